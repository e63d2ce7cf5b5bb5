/* host.c: host_run on a synthetic Debian 7 image (--root, so no processes; --no-probe, so no
 * child and no socket): JSON Lines with the copies, the plan and the summary, exit status 1
 * while a vulnerable copy is there and 0 once the package is fixed, 2 for a missing root. */
#include "unit.h"

#include "host/host.h"
#include "support/capture.h"
#include "support/tree.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LIBDIR "/usr/lib/x86_64-linux-gnu"

static void write_image(const struct tree *t, const char *package_version)
{
    tree_write_text(t, "/etc/hostname", "wheezy-web\n");
    tree_write_text(t, "/etc/ld.so.conf", LIBDIR "\n");
    tree_fake_openssl(t, LIBDIR "/libssl.so.1.0.0", "TLSv1 part of OpenSSL 1.0.1e 11 Feb 2013",
                      true, false);
    tree_fake_openssl(t, LIBDIR "/libcrypto.so.1.0.0", "OpenSSL 1.0.1e 11 Feb 2013", true, false);
    char status[256];
    snprintf(status, sizeof status,
             "Package: libssl1.0.0\nStatus: install ok installed\nSource: openssl\n"
             "Version: %s\nArchitecture: amd64\n",
             package_version);
    tree_write_text(t, "/var/lib/dpkg/status", status);
    tree_write_text(t, "/var/lib/dpkg/info/libssl1.0.0:amd64.list",
                    LIBDIR "/libssl.so.1.0.0\n" LIBDIR "/libcrypto.so.1.0.0\n");
}

static int setup(void **state)
{
    struct tree *t = calloc(1, sizeof *t);
    if (!t || !tree_create(t, "host")) {
        free(t);
        return -1;
    }
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct tree *t = *state;
    tree_remove(t);
    free(t);
    return 0;
}

static int run(const void *ctx) { return host_run(ctx); }

static struct host_options options(const char *root, bool json)
{
    return (struct host_options){
        .root = root, .no_probe = true, .json = json, .quiet = true, .timeout_ms = 1000};
}

struct parsed {
    size_t copies, plans, summaries, others;
    json_t *summary;
    char first_action[32];
    char last_action[32];
};

static void parse(const char *text, struct parsed *p)
{
    memset(p, 0, sizeof *p);
    for (const char *s = text; *s;) {
        const char *nl = strchr(s, '\n');
        assert_non_null(nl);
        json_error_t err;
        json_t *o = json_loadb(s, (size_t)(nl - s), 0, &err);
        assert_non_null(o);
        const char *type = json_string_value(json_object_get(o, "type"));
        assert_non_null(type);
        assert_int_equal(p->summaries, 0); /* the summary closes the output */
        if (strcmp(type, "copy") == 0) {
            assert_int_equal(p->plans, 0);
            p->copies++;
        } else if (strcmp(type, "plan") == 0) {
            const char *action = json_string_value(json_object_get(o, "action"));
            if (p->plans++ == 0)
                snprintf(p->first_action, sizeof p->first_action, "%s", action);
            snprintf(p->last_action, sizeof p->last_action, "%s", action);
        } else if (strcmp(type, "summary") == 0) {
            p->summaries++;
            p->summary = json_incref(o);
        } else {
            p->others++;
        }
        json_decref(o);
        s = nl + 1;
    }
    assert_int_equal(p->summaries, 1);
}

static json_int_t summary_int(const struct parsed *p, const char *key)
{
    const json_t *v = json_object_get(p->summary, key);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

static void test_vulnerable_image(void **state)
{
    struct tree *t = *state;
    write_image(t, "1.0.1e-2+deb7u4");
    struct host_options o = options(t->root, true);
    struct captured_output c = capture_output(run, &o);
    print_message("%s%s", c.out, c.err);
    assert_int_equal(c.status, 1);
    struct parsed p;
    parse(c.out, &p);
    assert_int_equal(p.copies, 2);
    assert_int_equal(p.others, 0); /* no processes, programs or certificates in this image */
    assert_true(p.plans >= 2);
    assert_string_equal(p.first_action, "upgrade");
    assert_string_equal(p.last_action, "verify");
    assert_non_null(strstr(c.out, "--only-upgrade libssl1.0.0"));
    assert_string_equal(json_string_value(json_object_get(p.summary, "hostname")), "wheezy-web");
    assert_string_equal(json_string_value(json_object_get(p.summary, "root_dir")), t->root);
    assert_int_equal(summary_int(&p, "copies"), 2);
    assert_int_equal(summary_int(&p, "vulnerable"), 2);
    assert_int_equal(summary_int(&p, "restart_needed"), 0);
    assert_int_equal(summary_int(&p, "plan_steps"), (json_int_t)p.plans);
    json_decref(p.summary);
    captured_output_free(&c);

    /* The same in text. */
    o = options(t->root, false);
    c = capture_output(run, &o);
    assert_int_equal(c.status, 1);
    assert_non_null(strstr(c.out, "heartcheck host: wheezy-web (image at "));
    assert_non_null(strstr(c.out, "VULNERABLE"));
    assert_non_null(strstr(c.out, "What to do, in this order"));
    assert_null(strchr(c.out, '\033'));
    captured_output_free(&c);
}

static void test_fixed_image(void **state)
{
    struct tree *t = *state;
    write_image(t, "1.0.1e-2+deb7u5");
    struct host_options o = options(t->root, true);
    struct captured_output c = capture_output(run, &o);
    assert_int_equal(c.status, 0);
    struct parsed p;
    parse(c.out, &p);
    assert_int_equal(p.copies, 2);
    assert_int_equal(p.plans, 0);
    assert_non_null(strstr(c.out, "\"verdict\":\"patched\""));
    assert_int_equal(summary_int(&p, "vulnerable"), 0);
    assert_int_equal(summary_int(&p, "plan_steps"), 0);
    json_decref(p.summary);
    captured_output_free(&c);

    o = options(t->root, false);
    c = capture_output(run, &o);
    assert_int_equal(c.status, 0);
    assert_non_null(strstr(c.out, "Nothing to do"));
    captured_output_free(&c);
}

/* An empty image: nothing found, nothing to do; the hostname is the root's path. */
static void test_empty_image(void **state)
{
    struct tree *t = *state;
    struct host_options o = options(t->root, true);
    o.quiet = false;
    struct captured_output c = capture_output(run, &o);
    assert_int_equal(c.status, 0);
    struct parsed p;
    parse(c.out, &p);
    assert_int_equal(p.copies + p.plans + p.others, 0);
    assert_string_equal(json_string_value(json_object_get(p.summary, "hostname")), t->root);
    assert_int_equal(summary_int(&p, "copies"), 0);
    json_decref(p.summary);
    captured_output_free(&c);
}

static void test_missing_root(void **state)
{
    (void)state;
    struct host_options o = options("/does/not/exist/hc-host", true);
    struct captured_output c = capture_output(run, &o);
    assert_int_equal(c.status, 2);
    assert_string_equal(c.out, "");
    assert_non_null(strstr(c.err, "--root /does/not/exist/hc-host"));
    assert_non_null(strstr(c.err, "No such file or directory"));
    captured_output_free(&c);

    /* A file is not a root either. */
    o = options("/etc/hostname", true);
    if (access(o.root, F_OK) == 0) {
        c = capture_output(run, &o);
        assert_int_equal(c.status, 2);
        assert_non_null(strstr(c.err, "--root /etc/hostname"));
        assert_non_null(strstr(c.err, "not a directory"));
        captured_output_free(&c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_vulnerable_image, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fixed_image, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_image, setup, teardown),
        cmocka_unit_test(test_missing_root),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
