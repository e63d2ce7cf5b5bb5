/* stdout and stderr capture of capture.h. */
#include "unit.h"

#include "support/capture.h"

#include <stdlib.h>
#include <unistd.h>

/* The whole of f, from its start, as a string the caller frees; closes f. */
char *read_and_close(FILE *f)
{
    fflush(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    assert_true(n >= 0);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    rewind(f);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = '\0';
    fclose(f);
    return s;
}

/* Calls run(ctx) with stdout and stderr sent to temporary files; its status and output. */
struct captured_output capture_output(int (*run)(const void *ctx), const void *ctx)
{
    FILE *out = tmpfile(), *err = tmpfile();
    assert_non_null(out);
    assert_non_null(err);
    fflush(stdout);
    fflush(stderr);
    int saved_out = dup(STDOUT_FILENO), saved_err = dup(STDERR_FILENO);
    assert_true(saved_out >= 0 && saved_err >= 0);
    dup2(fileno(out), STDOUT_FILENO);
    dup2(fileno(err), STDERR_FILENO);
    struct captured_output c = {.status = run(ctx)};
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, STDOUT_FILENO);
    dup2(saved_err, STDERR_FILENO);
    close(saved_out);
    close(saved_err);
    c.out = read_and_close(out);
    c.err = read_and_close(err);
    return c;
}

/* Frees the text of a captured_output. */
void captured_output_free(struct captured_output *c)
{
    free(c->out);
    free(c->err);
}
