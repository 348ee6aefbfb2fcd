#!/usr/bin/env bash
# Checks the link map of a firmware linked with libcairn.a: Cairn's hooks
# are in, and none of newlib's allocator objects came along. newlib's would
# only be pulled for a symbol Cairn does not define; the map's archive
# section names that symbol, and this script prints it.
#
#   Tests/Target/CFirmwareLink/check-map.sh FIRMWARE.map
set -euo pipefail

[[ $# -eq 1 && -f $1 ]] || { echo "usage: $0 FIRMWARE.map" >&2; exit 2; }
map=$1

# The "Archive member included to satisfy reference by file (symbol)" part:
# a member line, then the line that says which file asked for which symbol.
members=$(sed -n '/^Archive member included/,/^Discarded input sections/p' "$map")

if ! grep -q 'libcairn\.a(cairn_hooks\.o)' <<<"$members"; then
    echo "check-map: FAILED: Cairn's hooks (cairn_hooks.o) are not in $map" >&2
    exit 1
fi
# newlib's allocator proper (its state and the entry points Cairn defines),
# full newlib and newlib-nano. Not listed: valloc, pvalloc, reallocf and
# reallocarray, which newlib builds on _memalign_r and _realloc_r, so they
# run on Cairn's.
newlib_allocator='lib(c|g)(_nano)?\.a\(lib_a-(nano-)?(malloc|mallocr|freer|calloc|callocr|cfreer|realloc|reallocr|malign|malignr|msize|msizer|mallinfor|mallstatsr|malloptr|aligned_alloc)\.o\)'
if grep -A1 -E "$newlib_allocator" <<<"$members" >&2; then
    echo "check-map: FAILED: newlib's allocator was linked (above: the member and the symbol that pulled it)" >&2
    exit 1
fi
echo "check-map: Cairn's hooks linked, no newlib allocator in $(basename "$map")"
