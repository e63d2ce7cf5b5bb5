/* Output: times and addresses, JSON and text events, the summary per victim. */
#include "unit.h"

#include "pcap/output.h"

#include <stdlib.h>
#include <string.h>

static struct traffic_event attack(void)
{
    struct traffic_event e = {.kind = TRAFFIC_ATTACK,
                              .ts_us = 1700000000123456,
                              .to_server = true,
                              .version = 0x0303,
                              .claimed_known = true,
                              .claimed = 16384,
                              .sent_known = true,
                              .sent = 19,
                              .client_known = true};
    e.client.family = e.server.family = 4;
    e.client.addr[0] = 192;
    e.client.addr[3] = 7;
    e.client.port = 50000;
    e.server.addr[0] = 10;
    e.server.port = 443;
    return e;
}

static char *run(bool json, const struct traffic_event *ev, size_t n)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    struct traffic_options opt = {.json = json};
    struct traffic_output o;
    assert_true(traffic_output_init(&o, f, &opt));
    o.source = "x.pcap";
    for (size_t i = 0; i < n; i++)
        traffic_output_event(&o, &ev[i]);
    struct traffic_stats s = {.frames = 10, .bytes = 2000000, .flows_max = 1};
    traffic_output_summary(&o, &s, 1);
    bool leak = o.leak_found;
    traffic_output_free(&o);
    fclose(f);
    assert_int_equal(leak, n > 1);
    return text;
}

static void test_formats(void **state)
{
    (void)state;
    char t[32], a[64];
    traffic_format_time(1700000000123456, t);
    assert_string_equal(t, "2023-11-14T22:13:20.123456Z");
    struct traffic_endpoint e = {.family = 6, .addr = {0x20, 0x01, 0x0d, 0xb8, [15] = 1}};
    traffic_format_address(&e, a);
    assert_string_equal(a, "2001:db8::1");
}

static void test_json(void **state)
{
    (void)state;
    struct traffic_event ev[2] = {attack(), attack()};
    ev[1].kind = TRAFFIC_LEAK;
    ev[1].leaked_known = ev[1].paired = true;
    ev[1].leaked = 16365;
    ev[1].records = 2;
    char *out = run(true, ev, 2);
    assert_non_null(strstr(out, "{\"type\":\"pcap_event\",\"kind\":\"attack\",\"time\":"
                                "\"2023-11-14T22:13:20.123456Z\",\"source\":\"x.pcap\","
                                "\"transport\":\"tcp\",\"client\":{\"ip\":\"192.0.0.7\","
                                "\"port\":50000},\"server\":{\"ip\":\"10.0.0.0\",\"port\":443}"));
    assert_non_null(strstr(out, "\"bytes_requested\":16384,\"payload_sent\":19,"
                                "\"bytes_leaked\":null"));
    assert_non_null(strstr(out, "\"kind\":\"leak\""));
    assert_non_null(strstr(out, "\"bytes_leaked\":16365,\"bytes_leaked_max\":null,"
                                "\"response_records\":2,\"paired\":true,\"extract\":null"));
    assert_non_null(strstr(out, "{\"type\":\"pcap_summary\",\"role\":\"server\",\"ip\":"
                                "\"10.0.0.0\",\"port\":443,\"attempts\":1,\"leaks\":1,"
                                "\"bytes_leaked\":16365"));
    assert_non_null(strstr(out, "\"attackers\":[\"192.0.0.7\"]"));
    free(out);
}

static void test_text(void **state)
{
    (void)state;
    struct traffic_event ev = attack();
    ev.to_server = false; /* a server attacking its client */
    char *out = run(false, &ev, 1);
    assert_non_null(strstr(out, "ATTACK      192.0.0.7:50000 <- 10.0.0.0:443  TLSv1.2, "
                                "heartbeat request claims 16384 bytes, carries 19"));
    assert_non_null(strstr(out, "client 192.0.0.7\n    attempts 1, successful leaks 0"));
    assert_non_null(strstr(out, "from 10.0.0.0"));
    assert_non_null(strstr(out, "1 event; 10 frames (2.0 MB) in 1 capture"));
    free(out);
    out = run(false, NULL, 0);
    assert_non_null(strstr(out, "no Heartbleed attempt or leak"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
