// The C side of the on-target test firmware, seen from Swift.
#ifndef ONTARGET_BRIDGING_H
#define ONTARGET_BRIDGING_H

#include "block_pattern.h"
#include "c_suites.h"
#include "harness.h"
#include "test_profile.h"

#endif
