/* XMPP preludes (client-to-server and server-to-server): Prosody 0.12 (recorded) and
 * ejabberd-like streams with either quote, namespace prefixes, whitespace keepalives, stream
 * errors; openssl s_client -starttls xmpp / xmpp-server. */
#include "unit.h"

#include "proto/proto.h"
#include "support/dialogue.h"

#include <string.h>

#define C         PRELUDE_CLIENT
#define S         PRELUDE_SERVER
#define TLS_BYTES "\x16\x03\x01\x01\x2c\x01" /* no NUL: dialogue_text uses strlen */
#define NS_TLS    "urn:ietf:params:xml:ns:xmpp-tls"
#define OUR_STREAM(domain)                                                                         \
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "                                   \
    "xmlns:stream='http://etherx.jabber.org/streams' to='" domain "' version='1.0'>"
#define OUR_STARTTLS "<starttls xmlns='" NS_TLS "'/>"
#define PROSODY_STREAM                                                                             \
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "                                   \
    "xmlns:stream='http://etherx.jabber.org/streams' xml:lang='en' "                               \
    "id='1b6e3c2e-6b1f-4a52-9a43-6f4c1e2d1a90' from='example.org' version='1.0'>"
#define PROSODY_FEATURES                                                                           \
    "<stream:features><starttls xmlns='" NS_TLS "'><required/></starttls></stream:features>"

static struct dialogue client(const char *proto, const char *peer, const char *ours,
                              enum prelude_status status, const char *reason)
{
    struct dialogue d = dialogue_text(proto, C, peer, ours, status, reason);
    d.params.domain = "example.org";
    return d;
}

static void test_client_prosody(void **state)
{
    (void)state;
    struct dialogue d =
        client("xmpp", PROSODY_STREAM PROSODY_FEATURES "<proceed xmlns='" NS_TLS "'/>" TLS_BYTES,
               OUR_STREAM("example.org") OUR_STARTTLS, PRELUDE_READY, NULL);
    d.leftover = sizeof TLS_BYTES - 1;
    dialogue_check(&d);
}

/* Prosody 0.12.3 (recorded): client-to-server, server-to-server, and a host it does not
 * serve. */
static void test_client_prosody_recorded(void **state)
{
    (void)state;
    struct dialogue d = client(
        "xmpp",
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xml:lang='en' "
        "id='04f1f2c1-0d92-461d-bca6-1e90819efbc8' version='1.0' from='example.org' "
        "xmlns:stream='http://etherx.jabber.org/streams'><stream:features><starttls "
        "xmlns='" NS_TLS "'><required/></starttls></stream:features><proceed xmlns='" NS_TLS "'/>",
        OUR_STREAM("example.org") OUR_STARTTLS, PRELUDE_READY, NULL);
    dialogue_check(&d);

    d = client("xmpp-server",
               "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
               "xmlns:stream='http://etherx.jabber.org/streams' version='1.0' xml:lang='en' "
               "id='b18a9ab4-a14c-4a07-8176-01bf8a71bdfc' to='' from='example.org' "
               "xmlns:db='jabber:server:dialback'><stream:features><dialback "
               "xmlns='urn:xmpp:features:dialback'/><starttls xmlns='" NS_TLS
               "'><required/></starttls></stream:features><proceed xmlns='" NS_TLS "'/>",
               "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
               "xmlns:db='jabber:server:dialback' xmlns:stream='http://etherx.jabber.org/streams' "
               "to='example.org' version='1.0'>" OUR_STARTTLS,
               PRELUDE_READY, NULL);
    dialogue_check(&d);

    d = client("xmpp",
               "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xml:lang='en' "
               "id='5bfc9af7-839b-4b5b-b9cc-af33e7e138d3' version='1.0' from='nowhere.example' "
               "xmlns:stream='http://etherx.jabber.org/streams'><stream:error><host-unknown "
               "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text "
               "xmlns='urn:ietf:params:xml:ns:xmpp-streams'>This server does not serve "
               "nowhere.example</text></stream:error></stream:stream>",
               OUR_STREAM("nowhere.example"), PRELUDE_REFUSED,
               "stream error: \"host-unknown This server does not serve nowhere.example\"");
    d.params.domain = "nowhere.example";
    dialogue_check(&d);
}

/* ejabberd-like: double quotes, newlines and keepalive spaces, STARTTLS among other
 * features, an id holding '>' and '/' inside its quotes. */
static void test_client_ejabberd(void **state)
{
    (void)state;
    struct dialogue d = client(
        "xmpp",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<stream:stream "
        "xmlns:stream=\"http://etherx.jabber.org/streams\" xmlns=\"jabber:client\" "
        "id=\"a>b/\" from=\"example.org\" version=\"1.0\" xml:lang=\"en\">\n  \n"
        "<stream:features><c xmlns=\"http://jabber.org/protocol/caps\" hash=\"sha-1\" "
        "node=\"http://www.process-one.net/en/ejabberd/\" ver=\"x=\"/>"
        "<starttls xmlns=\"" NS_TLS "\"/><mechanisms xmlns=\"urn:ietf:params:xml:ns:xmpp-sasl\">"
        "<mechanism>PLAIN</mechanism><mechanism>SCRAM-SHA-1</mechanism></mechanisms>"
        "<register xmlns=\"http://jabber.org/features/iq-register\"/></stream:features>\n "
        "<proceed xmlns=\"" NS_TLS "\"/>",
        OUR_STREAM("example.org") OUR_STARTTLS, PRELUDE_READY, NULL);
    dialogue_check(&d);
}

/* Any prefix: features in the default namespace, a prefixed <tls:starttls>, and <proceed>
 * as an open tag whose end must be read before TLS. */
static void test_client_prefixes(void **state)
{
    (void)state;
    struct dialogue d =
        client("xmpp",
               "<s:stream xmlns:s='http://etherx.jabber.org/streams' xmlns='jabber:client' "
               "version='1.0'><features xmlns='http://etherx.jabber.org/streams'>"
               "<tls:starttls xmlns:tls='" NS_TLS "'/></features><tls:proceed xmlns:tls='" NS_TLS
               "'></tls:proceed>" TLS_BYTES,
               OUR_STREAM("example.org") OUR_STARTTLS, PRELUDE_READY, NULL);
    d.leftover = sizeof TLS_BYTES - 1;
    dialogue_check(&d);
}

static void test_client_server_to_server(void **state)
{
    (void)state;
    struct dialogue d =
        client("xmpp-server",
               "<?xml version='1.0'?><stream:stream xmlns:db='jabber:server:dialback' "
               "xmlns:stream='http://etherx.jabber.org/streams' version='1.0' from='example.org' "
               "id='x1' xml:lang='en' xmlns='jabber:server'><stream:features>"
               "<dialback xmlns='urn:xmpp:features:dialback'><errors/></dialback>"
               "<starttls xmlns='" NS_TLS "'/></stream:features><proceed xmlns='" NS_TLS "'/>",
               "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
               "xmlns:db='jabber:server:dialback' xmlns:stream='http://etherx.jabber.org/streams' "
               "to='example.org' version='1.0'>" OUR_STARTTLS,
               PRELUDE_READY, NULL);
    dialogue_check(&d);
}

static void test_client_refusals(void **state)
{
    (void)state;
    static const struct {
        const char *peer, *ours, *reason;
    } cases[] = {
        {PROSODY_STREAM "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                        "<mechanism>PLAIN</mechanism></mechanisms></stream:features>",
         "", "STARTTLS not offered in the stream features: \"mechanisms\""},
        /* <starttls> in another namespace, or nested deeper, is not the offer. */
        {PROSODY_STREAM
         "<stream:features><starttls xmlns='urn:example'/><x><starttls xmlns='" NS_TLS
         "'/></x></stream:features>",
         "", "STARTTLS not offered in the stream features: \"starttls x\""},
        {PROSODY_STREAM "<stream:features/>", "", "STARTTLS not offered"},
        {PROSODY_STREAM PROSODY_FEATURES "<failure xmlns='" NS_TLS "'/></stream:stream>",
         OUR_STARTTLS, "server answered STARTTLS with <failure/>"},
        {PROSODY_STREAM "<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                        "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>no such host</text>"
                        "</stream:error></stream:stream>",
         "", "stream error: \"host-unknown no such host\""},
        /* Prosody without TLS for the host (recorded words), the stream left open. */
        {PROSODY_STREAM "<stream:error><undefined-condition xmlns='urn:ietf:params:xml:ns:xmpp-"
                        "streams'/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>No stream "
                        "features to proceed with</text></stream:error>",
         "", "stream error: \"undefined-condition No stream features to proceed with\""},
        {PROSODY_STREAM "<stream:error/>", "", "stream error"},
        {PROSODY_STREAM "</stream:stream>", "", "server closed the stream"},
        {"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
         "id='old' from='example.org'>",
         "", "pre-1.0 XMPP stream without features"},
    };
    for (size_t i = 0; i < HC_ARRAY_LEN(cases); i++) {
        char ours[512] = OUR_STREAM("example.org");
        strcat(ours, cases[i].ours);
        struct dialogue d = client("xmpp", cases[i].peer, ours, PRELUDE_REFUSED, cases[i].reason);
        dialogue_check(&d);
    }
}

static void test_client_garbage(void **state)
{
    (void)state;
    static const struct {
        const char *peer, *reason;
    } cases[] = {
        {"HTTP/1.1 400 Bad Request\r\n\r\n<html><body>400</body></html>",
         "not an XMPP stream: \"<html>\""},
        {"<stream:stream/>", "not an XMPP stream"},
        {"<!-- hello --><stream:stream>", "XML comment or DTD"},
        {PROSODY_STREAM "<?xml version='1.0'?>", "XML declaration inside the stream"},
        {PROSODY_STREAM "<>", "malformed XML"},
        {PROSODY_STREAM "</>", "malformed XML"},
    };
    for (size_t i = 0; i < HC_ARRAY_LEN(cases); i++) {
        struct dialogue d = client("xmpp", cases[i].peer, OUR_STREAM("example.org"), PRELUDE_FAILED,
                                   cases[i].reason);
        dialogue_check(&d);
    }
    static const char nul[] = PROSODY_STREAM "<a\0b>";
    struct dialogue d =
        client("xmpp", "", OUR_STREAM("example.org"), PRELUDE_FAILED, "malformed XML");
    d.peer = (const uint8_t *)nul;
    d.peer_len = sizeof nul - 1;
    dialogue_check(&d);

    static char huge[PRELUDE_LINE_MAX + 100];
    memcpy(huge, "<stream:stream version='1.0' x='", 32);
    memset(huge + 32, 'v', sizeof huge - 33);
    d = client("xmpp", huge, OUR_STREAM("example.org"), PRELUDE_FAILED,
               "XML tag longer than 4096 bytes");
    dialogue_check_chunked(&d, 0);
    dialogue_check_chunked(&d, 1);
    dialogue_check_chunked(&d, 999);
}

#define OUR_SERVER_STREAM                                                                          \
    "<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' "         \
    "version='1.0' from='localhost' id='hc-prelude' xml:lang='en' xmlns='jabber:client'>"          \
    "<stream:features><starttls xmlns='" NS_TLS "'><required/></starttls></stream:features>"
#define OPENSSL_STREAM(ns)                                                                         \
    "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='" ns "' "               \
    "to='127.0.0.1' version='1.0'>"

static void test_server_openssl(void **state)
{
    (void)state;
    /* openssl s_client -starttls xmpp (recorded), then its ClientHello. */
    struct dialogue d =
        dialogue_text("xmpp", S, OPENSSL_STREAM("jabber:client") OUR_STARTTLS TLS_BYTES,
                      OUR_SERVER_STREAM "<proceed xmlns='" NS_TLS "'/>", PRELUDE_READY, NULL);
    d.leftover = sizeof TLS_BYTES - 1;
    dialogue_check(&d);

    d = dialogue_text(
        "xmpp-server", S, OPENSSL_STREAM("jabber:server") OUR_STARTTLS,
        "<?xml version='1.0'?><stream:stream xmlns:db='jabber:server:dialback' "
        "xmlns:stream='http://etherx.jabber.org/streams' version='1.0' from='localhost' "
        "id='hc-prelude' xml:lang='en' xmlns='jabber:server'><stream:features><dialback "
        "xmlns='urn:xmpp:features:dialback'/><starttls xmlns='" NS_TLS
        "'><required/></starttls></stream:features><proceed xmlns='" NS_TLS "'/>",
        PRELUDE_READY, NULL);
    dialogue_check(&d);
}

/* A declaration first, whitespace, and <starttls> as an open tag: answered at its end. */
static void test_server_variants(void **state)
{
    (void)state;
    struct dialogue d = dialogue_text(
        "xmpp", S,
        "<?xml version=\"1.0\"?>\n<stream:stream xmlns=\"jabber:client\" "
        "xmlns:stream=\"http://etherx.jabber.org/streams\" to=\"localhost\" version=\"1.0\">\n "
        "<starttls xmlns=\"" NS_TLS "\">\n</starttls>" TLS_BYTES,
        OUR_SERVER_STREAM "<proceed xmlns='" NS_TLS "'/>", PRELUDE_READY, NULL);
    d.leftover = sizeof TLS_BYTES - 1;
    dialogue_check(&d);
}

static void test_server_refusals_and_failures(void **state)
{
    (void)state;
    struct dialogue d =
        dialogue_text("xmpp", S, OPENSSL_STREAM("jabber:client") OUR_STARTTLS,
                      OUR_SERVER_STREAM "<failure xmlns='" NS_TLS "'/></stream:stream>",
                      PRELUDE_REFUSED, "refused as configured: \"<starttls xmlns=");
    d.params.refuse = true;
    dialogue_check(&d);

    d = dialogue_text("xmpp", S,
                      OPENSSL_STREAM("jabber:client") "<auth xmlns='urn:ietf:params:xml:ns:xmpp-"
                                                      "sasl' mechanism='PLAIN'>AGEAYg==</auth>",
                      OUR_SERVER_STREAM "<stream:error><policy-violation "
                                        "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                                        "</stream:error></stream:stream>",
                      PRELUDE_FAILED, "the client sent another element before STARTTLS");
    dialogue_check(&d);

    d = dialogue_text("xmpp", S, OPENSSL_STREAM("jabber:client") "</stream:stream>",
                      OUR_SERVER_STREAM, PRELUDE_FAILED,
                      "the client closed the stream before STARTTLS");
    dialogue_check(&d);

    d = dialogue_text("xmpp", S, "<iq type='get'/>", "", PRELUDE_FAILED,
                      "not an XMPP stream header");
    dialogue_check(&d);

    /* A client speaking implicit TLS to 5222 is told apart at once. */
    d = dialogue_text("xmpp", S, TLS_BYTES "<", "", PRELUDE_FAILED,
                      "the client sent a TLS record without asking for TLS first");
    dialogue_check(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_prosody),
        cmocka_unit_test(test_client_prosody_recorded),
        cmocka_unit_test(test_client_ejabberd),
        cmocka_unit_test(test_client_prefixes),
        cmocka_unit_test(test_client_server_to_server),
        cmocka_unit_test(test_client_refusals),
        cmocka_unit_test(test_client_garbage),
        cmocka_unit_test(test_server_openssl),
        cmocka_unit_test(test_server_variants),
        cmocka_unit_test(test_server_refusals_and_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
