/* The drivers on capture files written here: events and statuses, truncated and unreadable
 * files, a link type not supported, --extract. */
#include "unit.h"

#include "pcap/pcap.h"
#include "support/capture.h"
#include "support/frames.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/hc-test-capture.XXXXXX";
static uint8_t frame[FRAME_MAX];
static uint8_t rec[70000];

static void put_frame(FILE *f, const uint8_t *p, size_t n, uint32_t sec)
{
    uint32_t h[4] = {sec, 0, (uint32_t)n, (uint32_t)n};
    fwrite(h, sizeof h, 1, f);
    fwrite(p, 1, n, f);
}

static void segment(FILE *f, int from_server, uint32_t *seq, const uint8_t *p, size_t n,
                    uint8_t flags)
{
    struct frame_tcp t = {.src = {10, 0, 0, 1},
                          .dst = {10, 0, 0, 2},
                          .sport = 40000,
                          .dport = 443,
                          .seq = seq[from_server],
                          .flags = flags};
    if (from_server) {
        t.src[3] = 2;
        t.dst[3] = 1;
        t.sport = 443;
        t.dport = 40000;
    }
    put_frame(f, frame, frame_tcp(frame, &t, p, n), 1700000000);
    seq[from_server] += (uint32_t)n + ((flags & 0x02) ? 1 : 0);
}

/* A capture of nmap's attack and a leaking answer; linktype as given. */
static void write_attack(const char *path, uint32_t linktype, bool cut)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    uint32_t gh[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 262144, linktype};
    fwrite(gh, sizeof gh, 1, f);
    uint32_t seq[2] = {100, 900};
    segment(f, 0, seq, NULL, 0, 0x02);
    segment(f, 1, seq, NULL, 0, 0x12);
    segment(f, 0, seq, rec, record_client_hello(rec, 0x0302), 0);
    segment(f, 1, seq, rec, record_server_hello(rec, 0x0302, 0x002f), 0);
    segment(f, 0, seq, rec, record_heartbeat(rec, 0x0302, 1, 16384, 19, 'A', 0), 0);
    size_t n = record_heartbeat(rec, 0x0302, 2, 16384, 16381, 'S', 0);
    segment(f, 1, seq, rec, n, 0);
    fclose(f);
    if (cut)
        assert_int_equal(truncate(path, 24 + 3 * 16 + 3 * 54 + 13 + 10), 0);
}

struct run_args {
    const char *file;
    const char *extract;
    bool json;
};

static int run(const void *ctx)
{
    const struct run_args *a = ctx;
    char *files[] = {(char *)a->file};
    struct traffic_options o = {
        .files = files, .file_count = 1, .json = a->json, .extract_dir = a->extract};
    return traffic_run(&o);
}

static void test_attack_file(void **state)
{
    (void)state;
    char path[64];
    snprintf(path, sizeof path, "%s/a.pcap", dir);
    write_attack(path, 1, false);
    struct run_args a = {.file = path, .json = true, .extract = dir};
    struct captured_output c = capture_output(run, &a);
    assert_int_equal(c.status, 1);
    assert_non_null(strstr(c.out, "\"kind\":\"attack\""));
    assert_non_null(strstr(c.out, "\"bytes_leaked\":16362"));
    assert_non_null(strstr(c.out, "\"type\":\"pcap_summary\""));
    assert_null(strstr(c.out, "SSSS")); /* never the leaked bytes */
    char leaked[128];
    snprintf(leaked, sizeof leaked, "%s/000002-leak-10.0.0.2:443.bin", dir);
    struct stat st;
    assert_int_equal(stat(leaked, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 16362); /* 16381 bytes came back, 19 were ours */
    captured_output_free(&c);
    /* Again: the file is there, it is not overwritten, and that is an error. */
    c = capture_output(run, &a);
    assert_int_equal(c.status, 1); /* the leak still decides */
    assert_non_null(strstr(c.err, "--extract"));
    captured_output_free(&c);
    unlink(leaked);
    unlink(path);
}

static void test_text_and_truncated(void **state)
{
    (void)state;
    char path[64];
    snprintf(path, sizeof path, "%s/t.pcap", dir);
    write_attack(path, 1, true);
    struct run_args a = {.file = path};
    struct captured_output c = capture_output(run, &a);
    assert_int_equal(c.status, 2);
    assert_non_null(strstr(c.err, "ends in the middle of a frame"));
    assert_non_null(strstr(c.out, "event"));
    captured_output_free(&c);
    unlink(path);
}

static void test_bad_files(void **state)
{
    (void)state;
    char path[64];
    snprintf(path, sizeof path, "%s/l.pcap", dir);
    write_attack(path, 147, false); /* a user link type */
    struct run_args a = {.file = path};
    struct captured_output c = capture_output(run, &a);
    assert_int_equal(c.status, 2);
    assert_non_null(strstr(c.err, "not supported"));
    captured_output_free(&c);
    FILE *f = fopen(path, "wb");
    fputs("not a capture at all", f);
    fclose(f);
    c = capture_output(run, &a);
    assert_int_equal(c.status, 2);
    assert_non_null(strstr(c.err, "not a readable pcap"));
    captured_output_free(&c);
    unlink(path);
    struct run_args missing = {.file = path, .extract = "/nonexistent/dir"};
    c = capture_output(run, &missing);
    assert_int_equal(c.status, 2);
    assert_non_null(strstr(c.err, "--extract"));
    captured_output_free(&c);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attack_file),
        cmocka_unit_test(test_text_and_truncated),
        cmocka_unit_test(test_bad_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
