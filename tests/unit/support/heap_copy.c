/* Heap copies of heap_copy.h. */
#include "unit.h"

#include "support/heap_copy.h"

#include <stdlib.h>
#include <string.h>

/* A heap copy of exactly n bytes of p (caller frees); n may be 0. */
uint8_t *exact_copy(const uint8_t *p, size_t n)
{
    uint8_t *c = malloc(n ? n : 1);
    assert_non_null(c);
    if (n)
        memcpy(c, p, n);
    return c;
}
