/* SwiftPM needs one C file in a C target; the target-only hooks are guarded
 * so that the host build defines nothing. */
