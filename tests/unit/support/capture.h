/* Running code with stdout and stderr sent to temporary files, for tests of whole commands. */
#ifndef HC_CAPTURE_H
#define HC_CAPTURE_H
#include <stdio.h>

/* What a captured call returned and what it wrote. */
struct captured_output {
    int status; /* the call's return value */
    char *out;  /* what went to stdout */
    char *err;  /* what went to stderr */
};

/* Calls run(ctx) with stdout and stderr sent to temporary files; its status and output. */
struct captured_output capture_output(int (*run)(const void *ctx), const void *ctx);

/* Frees the text of a captured_output. */
void captured_output_free(struct captured_output *c);

/* The whole of f, from its start, as a string the caller frees; closes f. */
char *read_and_close(FILE *f);
#endif
