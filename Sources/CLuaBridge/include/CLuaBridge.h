/* The C seam: everything the Swift host layer may call. */
#include "bridge.h"
#include "households.h"
