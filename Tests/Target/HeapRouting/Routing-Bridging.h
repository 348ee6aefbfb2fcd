// The C side of the heap-routing firmware, seen from Swift.
#ifndef ROUTING_BRIDGING_H
#define ROUTING_BRIDGING_H

#include "harness.h"
#include "routing_tests.h"

#endif
