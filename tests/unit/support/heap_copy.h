/* Heap copies of test input, sized to the byte so that ASan sees any read past the end. */
#ifndef HC_HEAP_COPY_H
#define HC_HEAP_COPY_H
#include <stddef.h>
#include <stdint.h>

/* A heap copy of exactly n bytes of p (caller frees); n may be 0. */
uint8_t *exact_copy(const uint8_t *p, size_t n);
#endif
