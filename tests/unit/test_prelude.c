/* The prelude table and driver: lookups, parameters, output, budgets, reasons, closes; and
 * every protocol's client role against its server role in memory, going ahead and refused. */
#include "unit.h"

#include "proto/proto.h"
#include "support/dialogue.h"

#include <stdlib.h>
#include <string.h>

#define TLS_BYTES "\x16\x03\x01\x00\xf4\x01\x00\x00\xf0\x03\x03"

static void test_table(void **state)
{
    (void)state;
    static const char *const names[] = {"smtp", "lmtp",        "imap", "pop3",     "ftp",
                                        "xmpp", "xmpp-server", "ldap", "postgres", "mysql",
                                        "nntp", "irc",         "sieve"};
    size_t count;
    const struct prelude_desc *const *all = proto_all(&count);
    assert_int_equal(count, HC_ARRAY_LEN(names));
    for (size_t i = 0; i < count; i++) {
        assert_string_equal(all[i]->name, names[i]);
        assert_ptr_equal(proto_find(names[i]), all[i]);
        assert_true(strlen(all[i]->summary) > 0);
        assert_non_null(all[i]->client.start);
        assert_non_null(all[i]->client.on_data);
        assert_non_null(all[i]->server.start);
        assert_non_null(all[i]->server.on_data);
        assert_int_not_equal(all[i]->ports[0], 0);
    }
    assert_null(proto_find("SMTP"));
    assert_null(proto_find("smtps"));
    assert_null(proto_find(""));
    assert_null(proto_find(NULL));
}

static void test_ports(void **state)
{
    (void)state;
    static const struct {
        uint16_t port;
        const char *name;
    } implied[] = {{25, "smtp"},  {587, "smtp"},      {24, "lmtp"},    {143, "imap"},
                   {110, "pop3"}, {21, "ftp"},        {5222, "xmpp"},  {5269, "xmpp-server"},
                   {389, "ldap"}, {5432, "postgres"}, {3306, "mysql"}, {119, "nntp"},
                   {6667, "irc"}, {4190, "sieve"}};
    for (size_t i = 0; i < HC_ARRAY_LEN(implied); i++)
        assert_ptr_equal(proto_for_port(implied[i].port), proto_find(implied[i].name));
    /* Implicit TLS and plain TLS ports need no prelude. */
    static const uint16_t none[] = {0,   22,  80,  443,  465,  563,  636,  853,
                                    990, 993, 995, 5223, 6697, 8443, 65535};
    for (size_t i = 0; i < HC_ARRAY_LEN(none); i++)
        assert_null(proto_for_port(none[i]));
}

static void test_new_rejects_unsafe_domains(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "a b", "x\r\nRCPT TO:<victim>", "a'b", "a\"b", "<x>", "a&b", "caf\xc3\xa9"};
    struct prelude *p = (struct prelude *)1;
    for (size_t i = 0; i < HC_ARRAY_LEN(bad); i++) {
        struct prelude_params params = {.domain = bad[i]};
        assert_error(prelude_new(proto_find("xmpp"), PRELUDE_CLIENT, &params, &p), HC_ERR_USAGE);
        assert_null(p);
    }
    char long_name[PRELUDE_DOMAIN_MAX + 1];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    struct prelude_params params = {.domain = long_name};
    assert_error(prelude_new(proto_find("smtp"), PRELUDE_CLIENT, &params, &p), HC_ERR_USAGE);
    long_name[PRELUDE_DOMAIN_MAX - 1] = '\0';
    assert_success(prelude_new(proto_find("smtp"), PRELUDE_CLIENT, &params, &p));
    prelude_free(p);
    assert_error(prelude_new(NULL, PRELUDE_CLIENT, NULL, &p), HC_ERR_USAGE);
    assert_error(prelude_new(proto_find("smtp"), (enum prelude_role)7, NULL, &p), HC_ERR_USAGE);
    prelude_free(NULL);
}

static void take(struct prelude *p, const char *expected)
{
    const uint8_t *data;
    size_t len;
    prelude_take_output(p, &data, &len);
    assert_non_null(data);
    assert_int_equal(len, strlen(expected));
    assert_memory_equal(data, expected, len);
}

static size_t feed(struct prelude *p, const char *s)
{
    return prelude_on_data(p, (const uint8_t *)s, strlen(s));
}

static void test_defaults_and_output(void **state)
{
    (void)state;
    struct prelude *c, *s;
    assert_success(prelude_new(proto_find("smtp"), PRELUDE_CLIENT, NULL, &c));
    assert_ptr_equal(prelude_desc(c), proto_find("smtp"));
    assert_int_equal(prelude_status(c), PRELUDE_WANT_READ);
    assert_string_equal(prelude_reason(c), "");
    take(c, "");
    assert_int_equal(feed(c, "220 x\r\n"), 7);
    take(c, "EHLO heartcheck.invalid\r\n");
    take(c, ""); /* taken once */
    assert_int_equal(prelude_on_data(c, NULL, 0), 0);
    prelude_free(c);

    assert_success(prelude_new(proto_find("smtp"), PRELUDE_SERVER, NULL, &s));
    take(s, "220 localhost ESMTP Postfix (Debian/GNU)\r\n");
    prelude_free(s);
}

/* An ended prelude takes nothing more, and a close does not change it. */
static void test_ended_takes_nothing(void **state)
{
    (void)state;
    struct prelude *p;
    assert_success(prelude_new(proto_find("pop3"), PRELUDE_CLIENT, NULL, &p));
    assert_int_equal(feed(p, "-ERR go away\r\n+OK"), 14);
    assert_int_equal(prelude_status(p), PRELUDE_REFUSED);
    assert_int_equal(feed(p, "+OK\r\n"), 0);
    prelude_on_closed(p);
    assert_int_equal(prelude_status(p), PRELUDE_REFUSED);
    assert_string_equal(prelude_reason(p), "greeting refused the session: \"-ERR go away\"");
    prelude_free(p);
}

static void test_close_names_the_step(void **state)
{
    (void)state;
    struct prelude *p;
    assert_success(prelude_new(proto_find("smtp"), PRELUDE_CLIENT, NULL, &p));
    feed(p, "220 x\r\n250-x\r\n");
    prelude_on_closed(p);
    assert_int_equal(prelude_status(p), PRELUDE_FAILED);
    assert_string_equal(prelude_reason(p), "connection closed while waiting for the EHLO reply");
    prelude_free(p);
}

/* 64 KB of a never-ending multi-line greeting: the budget stops it. */
static void test_byte_budget(void **state)
{
    (void)state;
    struct prelude *p;
    assert_success(prelude_new(proto_find("smtp"), PRELUDE_CLIENT, NULL, &p));
    static char chunk[1000];
    for (size_t i = 0; i < sizeof chunk; i += 10)
        memcpy(chunk + i, "220-xxxx\r\n", 10);
    size_t total = 0;
    for (int i = 0; i < 70 && prelude_status(p) == PRELUDE_WANT_READ; i++)
        total += prelude_on_data(p, (const uint8_t *)chunk, sizeof chunk);
    assert_int_equal(prelude_status(p), PRELUDE_FAILED);
    assert_int_equal(total, PRELUDE_MAX_BYTES);
    assert_string_equal(prelude_reason(p), "more than 65536 bytes before TLS");
    prelude_free(p);
}

/* The peer's words are cleaned to printable ASCII and cut to PRELUDE_REASON_MAX. */
static void test_reason_cleaned_and_cut(void **state)
{
    (void)state;
    struct prelude *p;
    assert_success(prelude_new(proto_find("smtp"), PRELUDE_CLIENT, NULL, &p));
    feed(p, "554 \x1b[31mred\x7f\tcaf\xc3\xa9\r\n");
    assert_int_equal(prelude_status(p), PRELUDE_REFUSED);
    assert_string_equal(prelude_reason(p), "greeting refused the session: \"554 ?[31mred??caf??\"");
    prelude_free(p);

    assert_success(prelude_new(proto_find("smtp"), PRELUDE_CLIENT, NULL, &p));
    char line[600] = "554 ";
    memset(line + 4, 'z', 500);
    strcat(line, "\r\n");
    feed(p, line);
    const char *r = prelude_reason(p);
    assert_int_equal(strlen(r), PRELUDE_REASON_MAX);
    assert_string_equal(r + PRELUDE_REASON_MAX - 4, "z...");
    prelude_free(p);
}

/* What a server offers instead of STARTTLS is quoted, as far as the reason holds it. */
static void test_offered_words_cut(void **state)
{
    (void)state;
    struct prelude *p;
    assert_success(prelude_new(proto_find("pop3"), PRELUDE_CLIENT, NULL, &p));
    feed(p, "+OK ready\r\n+OK\r\n");
    for (int i = 0; i < 40; i++)
        feed(p, "X-CAPABILITY-0123456789\r\n");
    feed(p, ".\r\n");
    assert_int_equal(prelude_status(p), PRELUDE_REFUSED);
    const char *r = prelude_reason(p);
    assert_int_equal(strlen(r), PRELUDE_REASON_MAX);
    assert_memory_equal(r, "STLS not offered: \"X-CAPABILITY-0123456789 X-CAP", 46);
    assert_string_equal(r + PRELUDE_REASON_MAX - 3, "...");
    prelude_free(p);
}

/* Moves bytes both ways until neither side has anything to say (bounded). Once the client
 * goes ahead, TLS bytes follow its last words, as a MySQL client's ClientHello follows its
 * SSL request: the server must leave exactly those. */
static void pump(const struct prelude_desc *d, bool refuse, enum prelude_status want)
{
    struct prelude_params server_params = {.refuse = refuse, .domain = "mx.example.org"};
    struct prelude_params client_params = {.domain = "mx.example.org"};
    struct prelude *c, *s;
    assert_success(prelude_new(d, PRELUDE_CLIENT, &client_params, &c));
    assert_success(prelude_new(d, PRELUDE_SERVER, &server_params, &s));
    size_t server_left = 0;
    bool tls_sent = false;
    for (int round = 0; round < 20; round++) {
        const uint8_t *data;
        size_t len;
        prelude_take_output(s, &data, &len);
        if (len && prelude_on_data(c, data, len) < len)
            assert_int_not_equal(prelude_status(c), PRELUDE_WANT_READ);
        prelude_take_output(c, &data, &len);
        uint8_t buf[PRELUDE_LINE_MAX];
        assert_true(len + sizeof TLS_BYTES <= sizeof buf);
        if (len)
            memcpy(buf, data, len);
        if (prelude_status(c) == PRELUDE_READY && !tls_sent) {
            memcpy(buf + len, TLS_BYTES, sizeof TLS_BYTES - 1);
            len += sizeof TLS_BYTES - 1;
            tls_sent = true;
        }
        if (len)
            server_left += len - prelude_on_data(s, buf, len);
    }
    if (prelude_status(c) != want || prelude_status(s) != want)
        fail_msg("%s%s: client %d \"%s\", server %d \"%s\"", d->name, refuse ? " (refuse)" : "",
                 prelude_status(c), prelude_reason(c), prelude_status(s), prelude_reason(s));
    if (want == PRELUDE_READY)
        assert_int_equal(server_left, sizeof TLS_BYTES - 1);
    else
        assert_true(strlen(prelude_reason(c)) > 0 && strlen(prelude_reason(s)) > 0);
    prelude_free(c);
    prelude_free(s);
}

static void test_every_client_against_its_server(void **state)
{
    (void)state;
    size_t count;
    const struct prelude_desc *const *all = proto_all(&count);
    for (size_t i = 0; i < count; i++) {
        pump(all[i], false, PRELUDE_READY);
        pump(all[i], true, PRELUDE_REFUSED);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_ports),
        cmocka_unit_test(test_new_rejects_unsafe_domains),
        cmocka_unit_test(test_defaults_and_output),
        cmocka_unit_test(test_ended_takes_nothing),
        cmocka_unit_test(test_close_names_the_step),
        cmocka_unit_test(test_byte_budget),
        cmocka_unit_test(test_reason_cleaned_and_cut),
        cmocka_unit_test(test_offered_words_cut),
        cmocka_unit_test(test_every_client_against_its_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
