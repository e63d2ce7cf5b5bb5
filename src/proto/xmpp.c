/* XMPP STARTTLS (RFC 6120 §5), client-to-server (jabber:client, 5222) and server-to-server
 * (jabber:server with the dialback namespace, 5269).
 *
 * Both roles read the stream tag by tag: the XML declaration is skipped, attribute values may
 * use either quote, names may carry any namespace prefix (only local names are compared), a
 * tag may arrive split over any number of reads, and text between tags is ignored.
 * Client: the stream header, the stream features, <starttls/> only when they offer it, then
 * <proceed/> (or <failure/>, or a stream error: refused).
 * Server: Prosody-like header and features requiring STARTTLS. */
#include "proto/internal.h"

#include <string.h>

#define NS_TLS     "urn:ietf:params:xml:ns:xmpp-tls"
#define NS_STREAMS "http://etherx.jabber.org/streams"
#define NS_ERRORS  "urn:ietf:params:xml:ns:xmpp-streams"

enum { STEP_STREAM, STEP_FEATURES, STEP_ANSWER, STEP_STREAM_ERROR };
enum {
    IN_FEATURES = 1,      /* client: inside <stream:features> */
    OFFERED_STARTTLS = 2, /* client: the features list <starttls/> in its namespace */
    OPEN_GO_AHEAD = 4,    /* <proceed> or <starttls> came as an open tag: wait for its end */
};

enum xml_kind { XML_DECLARATION, XML_OPEN, XML_EMPTY, XML_CLOSE };

struct xml_tag {
    enum xml_kind kind;
    const char *local; /* the name without its prefix */
    size_t local_len;
    const char *attrs, *end; /* the attributes, up to end */
};

struct xml_attr {
    const char *name, *value;
    size_t name_len, value_len;
};

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* The next name="value" or name='value' from *p; false at the end or on malformed input. */
static bool next_attr(const char **p, const char *end, struct xml_attr *a)
{
    const char *s = *p;
    while (s < end && is_space(*s))
        s++;
    a->name = s;
    while (s < end && *s != '=' && !is_space(*s))
        s++;
    a->name_len = (size_t)(s - a->name);
    while (s < end && is_space(*s))
        s++;
    if (a->name_len == 0 || s == end || *s++ != '=')
        return false;
    while (s < end && is_space(*s))
        s++;
    if (s == end || (*s != '"' && *s != '\''))
        return false;
    const char *close = memchr(s + 1, *s, (size_t)(end - s - 1));
    if (!close)
        return false;
    a->value = s + 1;
    a->value_len = (size_t)(close - a->value);
    *p = close + 1;
    return true;
}

static bool equals(const char *s, size_t n, const char *literal)
{
    return n == strlen(literal) && memcmp(s, literal, n) == 0;
}

static bool is_named(const struct xml_tag *t, const char *local)
{
    return equals(t->local, t->local_len, local);
}

/* The value of attribute name, or NULL. */
static const char *attr(const struct xml_tag *t, const char *name, size_t *len)
{
    struct xml_attr a;
    for (const char *p = t->attrs; next_attr(&p, t->end, &a);)
        if (equals(a.name, a.name_len, name)) {
            *len = a.value_len;
            return a.value;
        }
    return NULL;
}

/* Whether the tag declares namespace ns, as the default or for a prefix (xmlns:tls='...'). */
static bool declares(const struct xml_tag *t, const char *ns)
{
    struct xml_attr a;
    for (const char *p = t->attrs; next_attr(&p, t->end, &a);)
        if ((equals(a.name, a.name_len, "xmlns") ||
             (a.name_len > 6 && memcmp(a.name, "xmlns:", 6) == 0)) &&
            equals(a.value, a.value_len, ns))
            return true;
    return false;
}

/* s holds one whole tag, "<" to ">". */
static bool parse_tag(const char *s, size_t n, struct xml_tag *t)
{
    const char *body = s + 1, *end = s + n - 1;
    if (body < end && *body == '?') {
        t->kind = XML_DECLARATION;
        return end[-1] == '?';
    }
    t->kind = XML_OPEN;
    if (body < end && *body == '/') {
        t->kind = XML_CLOSE;
        body++;
    } else if (body < end && end[-1] == '/') {
        t->kind = XML_EMPTY;
        end--;
    }
    const char *name = body;
    while (body < end && !is_space(*body) && *body != '/')
        body++;
    if (body == name)
        return false;
    const char *colon = memrchr(name, ':', (size_t)(body - name));
    t->local = colon ? colon + 1 : name;
    t->local_len = (size_t)(body - t->local);
    t->attrs = body;
    t->end = end;
    return t->local_len > 0;
}

typedef void tag_fn(struct prelude *st, const struct xml_tag *t, const char *raw, size_t n);

/* Cuts the stream into tags for on_tag until the prelude ends; text between them is skipped.
 * Restricted XML (RFC 6120 §11.1) has no comments, DTDs or CDATA, so a '>' outside an
 * attribute value always ends the tag. */
static size_t read_tags(struct prelude *st, const uint8_t *data, size_t len, tag_fn *on_tag)
{
    size_t pos = 0;
    while (pos < len && prelude_running(st)) {
        if (st->in.len == 0) {
            const uint8_t *lt = memchr(data + pos, '<', len - pos);
            if (!lt)
                return len;
            pos = (size_t)(lt - data);
        }
        size_t i = st->in.len == 0 ? pos + 1 : pos;
        bool complete = false;
        for (; i < len && !complete; i++) {
            uint8_t c = data[i];
            if (st->quote)
                st->quote = c == st->quote ? 0 : st->quote;
            else if (c == '"' || c == '\'')
                st->quote = c;
            else
                complete = c == '>';
        }
        if (!prelude_keep(st, data + pos, i - pos, "XML tag longer than 4096 bytes"))
            return pos;
        pos = i;
        if (!complete)
            continue;
        const char *raw = (const char *)st->in.data;
        size_t n = st->in.len;
        struct xml_tag t;
        st->in.len = 0;
        if (memchr(raw, '\0', n) || !parse_tag(raw, n, &t))
            prelude_failed(st, "malformed XML", raw, n);
        else if (raw[1] == '!')
            prelude_failed(st, "XML comment or DTD in an XMPP stream", raw, n);
        else
            on_tag(st, &t, raw, n);
    }
    return pos;
}

/* Nesting: the stream is depth 1, its children 2. Returns the depth the tag lives at. */
static unsigned track_depth(struct prelude *st, const struct xml_tag *t)
{
    if (t->kind == XML_OPEN)
        return st->depth++;
    if (t->kind == XML_CLOSE && st->depth > 0)
        return --st->depth;
    return st->depth;
}

static void client_start(struct prelude *st)
{
    if (st->xmpp_server)
        prelude_sendf(st,
                      "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
                      "xmlns:db='jabber:server:dialback' xmlns:stream='" NS_STREAMS
                      "' to='%s' version='1.0'>",
                      st->domain);
    else
        prelude_sendf(st,
                      "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                      "xmlns:stream='" NS_STREAMS "' to='%s' version='1.0'>",
                      st->domain);
    st->step = STEP_STREAM;
    st->awaiting = "the stream header";
}

static void on_stream_header(struct prelude *st, const struct xml_tag *t, const char *raw, size_t n)
{
    size_t version_len = 0;
    if (t->kind != XML_OPEN || !is_named(t, "stream")) {
        prelude_failed(st, "not an XMPP stream", raw, n);
        return;
    }
    st->depth = 1;
    /* Without version='1.0' there are no stream features, hence no STARTTLS (RFC 6120
     * §4.7.5). */
    const char *version = attr(t, "version", &version_len);
    if (!version || version_len < 2 || memcmp(version, "1.", 2) != 0)
        prelude_refused(st, "pre-1.0 XMPP stream without features", raw, n);
    else {
        st->step = STEP_FEATURES;
        st->awaiting = "the stream features";
    }
}

static void on_features_child(struct prelude *st, const struct xml_tag *t, unsigned depth)
{
    if (depth == 1 && t->kind == XML_CLOSE) { /* </stream:features> */
        st->flags &= ~(unsigned)IN_FEATURES;
        if (!(st->flags & OFFERED_STARTTLS))
            prelude_refused(st, "STARTTLS not offered in the stream features", NULL, 0);
        else {
            prelude_send_str(st, "<starttls xmlns='" NS_TLS "'/>");
            st->step = STEP_ANSWER;
            st->awaiting = "the answer to STARTTLS";
        }
    } else if (depth == 2 && t->kind != XML_CLOSE && is_named(t, "starttls") && declares(t, NS_TLS))
        st->flags |= OFFERED_STARTTLS;
}

/* Children of the stream itself (depth 1) while waiting for features or the answer. */
static void on_stream_child(struct prelude *st, const struct xml_tag *t, const char *raw, size_t n)
{
    if (t->kind == XML_CLOSE)
        return; /* the end of a child we did not need */
    if (is_named(t, "error") && t->kind == XML_EMPTY)
        prelude_refused(st, "stream error", raw, n);
    else if (is_named(t, "error"))
        st->step = STEP_STREAM_ERROR;
    else if (st->step == STEP_FEATURES && is_named(t, "features") && t->kind == XML_EMPTY)
        prelude_refused(st, "STARTTLS not offered in the stream features", raw, n);
    else if (st->step == STEP_FEATURES && is_named(t, "features"))
        st->flags |= IN_FEATURES;
    else if (st->step == STEP_ANSWER && is_named(t, "proceed") && t->kind == XML_EMPTY)
        prelude_ready(st);
    else if (st->step == STEP_ANSWER && is_named(t, "proceed"))
        st->flags |= OPEN_GO_AHEAD;
    else if (st->step == STEP_ANSWER && is_named(t, "failure"))
        prelude_refused(st, "server answered STARTTLS with <failure/>", raw, n);
}

static void client_tag(struct prelude *st, const struct xml_tag *t, const char *raw, size_t n)
{
    if (t->kind == XML_DECLARATION) {
        if (st->step != STEP_STREAM)
            prelude_failed(st, "XML declaration inside the stream", raw, n);
        return;
    }
    if (st->step == STEP_STREAM) {
        on_stream_header(st, t, raw, n);
        return;
    }
    unsigned depth = track_depth(st, t);
    if (st->step == STEP_STREAM_ERROR) {
        /* The first child of <stream:error> names the condition (RFC 6120 §4.9.3). */
        if (depth == 2 && t->kind != XML_CLOSE)
            prelude_refused(st, "stream error", t->local, t->local_len);
        else if (depth == 1)
            prelude_refused(st, "stream error", NULL, 0);
    } else if (st->flags & IN_FEATURES)
        on_features_child(st, t, depth);
    else if (st->flags & OPEN_GO_AHEAD) {
        if (depth == 1 && t->kind == XML_CLOSE)
            prelude_ready(st); /* </proceed> */
    } else if (depth == 1)
        on_stream_child(st, t, raw, n);
    else if (depth == 0)
        prelude_refused(st, "server closed the stream", raw, n);
}

static size_t client_data(struct prelude *st, const uint8_t *data, size_t len)
{
    return read_tags(st, data, len, client_tag);
}

static void server_start(struct prelude *st)
{
    st->step = STEP_STREAM;
    st->awaiting = "the stream header";
}

static void send_header_and_features(struct prelude *st)
{
    if (st->xmpp_server)
        prelude_sendf(st,
                      "<?xml version='1.0'?><stream:stream xmlns:db='jabber:server:dialback' "
                      "xmlns:stream='" NS_STREAMS "' version='1.0' from='%s' "
                      "id='hc-prelude' xml:lang='en' xmlns='jabber:server'>"
                      "<stream:features><dialback xmlns='urn:xmpp:features:dialback'/>"
                      "<starttls xmlns='" NS_TLS "'><required/></starttls></stream:features>",
                      st->domain);
    else
        prelude_sendf(st,
                      "<?xml version='1.0'?><stream:stream xmlns:stream='" NS_STREAMS "' "
                      "version='1.0' from='%s' id='hc-prelude' xml:lang='en' "
                      "xmlns='jabber:client'><stream:features><starttls xmlns='" NS_TLS
                      "'><required/></starttls></stream:features>",
                      st->domain);
}

static void answer_starttls(struct prelude *st, const char *raw, size_t n)
{
    if (st->refuse) {
        prelude_send_str(st, "<failure xmlns='" NS_TLS "'/></stream:stream>");
        prelude_refused(st, "refused as configured", raw, n);
    } else {
        prelude_send_str(st, "<proceed xmlns='" NS_TLS "'/>");
        prelude_ready(st);
    }
}

static void server_tag(struct prelude *st, const struct xml_tag *t, const char *raw, size_t n)
{
    if (t->kind == XML_DECLARATION) {
        if (st->step != STEP_STREAM)
            prelude_failed(st, "XML declaration inside the stream", raw, n);
        return;
    }
    if (st->step == STEP_STREAM) {
        if (t->kind != XML_OPEN || !is_named(t, "stream")) {
            prelude_failed(st, "not an XMPP stream header", raw, n);
            return;
        }
        send_header_and_features(st);
        st->depth = 1;
        st->step = STEP_ANSWER;
        st->awaiting = "<starttls/>";
        return;
    }
    unsigned depth = track_depth(st, t);
    if (st->flags & OPEN_GO_AHEAD) {
        if (depth == 1 && t->kind == XML_CLOSE)
            answer_starttls(st, raw, n); /* </starttls> */
    } else if (depth == 0)
        prelude_failed(st, "the client closed the stream before STARTTLS", NULL, 0);
    else if (depth == 1 && is_named(t, "starttls") && t->kind == XML_EMPTY)
        answer_starttls(st, raw, n);
    else if (depth == 1 && is_named(t, "starttls"))
        st->flags |= OPEN_GO_AHEAD;
    else if (depth == 1) {
        /* Prosody with c2s_require_encryption: nothing else before TLS. */
        prelude_send_str(st, "<stream:error><policy-violation xmlns='" NS_ERRORS
                             "'/></stream:error></stream:stream>");
        prelude_failed(st, "the client sent another element before STARTTLS", raw, n);
    }
}

static size_t server_data(struct prelude *st, const uint8_t *data, size_t len)
{
    return read_tags(st, data, len, server_tag);
}

const struct prelude_desc proto_xmpp = {
    .name = "xmpp",
    .summary = "XMPP client-to-server STARTTLS (RFC 6120)",
    .ports = {5222},
    .client = {client_start, client_data},
    .server = {server_start, server_data},
};

const struct prelude_desc proto_xmpp_server = {
    .name = "xmpp-server",
    .summary = "XMPP server-to-server STARTTLS (RFC 6120, jabber:server)",
    .ports = {5269},
    .client = {client_start, client_data},
    .server = {server_start, server_data},
};
