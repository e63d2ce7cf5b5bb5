/* The heartbeat analysis of one flow: requests per direction, responses paired with them.
 *
 * RFC 6520 section 4: a request's payload_length must fit in its record with at least 16 bytes
 * of padding, and the response echoes the payload. OpenSSL 1.0.1f copies payload_length bytes
 * whatever the record holds, answers 3 + payload_length + 16 bytes, and splits answers over
 * 16384 bytes into several records of type 24 (only the first has the heartbeat header). */
#include "pcap/internal.h"

#include <stdlib.h>
#include <string.h>

enum {
    HB_MIN_MESSAGE = TLS_HEARTBEAT_HEADER_LEN + TLS_HEARTBEAT_MIN_PADDING,
    /* A response may pad more than its request did: sizes within this much are not a leak. */
    HB_PADDING_SLACK = TLS_HEARTBEAT_MIN_PADDING,
    /* Bytes of a heartbeat record kept for --extract: one record body at most. */
    HB_RECORD_KEEP = TLS_MAX_RECORD_BODY,
    /* A whole response: header, the largest payload, padding. */
    HB_RESPONSE_KEEP = TLS_HEARTBEAT_HEADER_LEN + 65535 + TLS_HEARTBEAT_MIN_PADDING,
};

void hb_side_free(struct hb_side *s)
{
    hc_free_secret(s->response.bytes, s->response.bytes_cap);
    hc_free_secret(s->rec, s->rec_cap);
    memset(s, 0, sizeof *s);
}

/* ---- roles and the hellos ---- */

static int guess_client(const struct flow *f)
{
    if (f->client >= 0)
        return f->client;
    /* No handshake or SYN seen: the higher port is the client's ephemeral one. */
    return f->ep[0].port > f->ep[1].port ? 0 : 1;
}

void hb_hello(struct traffic_analyzer *a, struct flow *f, int dir, const uint8_t *msg, size_t n)
{
    (void)a;
    struct wire_reader r = wire_reader_init(msg, n);
    uint8_t type;
    uint16_t version, cipher;
    struct wire_reader session_id;
    if (!hc_ok(wire_read_u8(&r, &type)))
        return;
    if (type == TLS_HS_CLIENT_HELLO && f->client < 0)
        f->client = dir;
    if (type != TLS_HS_SERVER_HELLO)
        return;
    if (f->client < 0)
        f->client = 1 - dir;
    /* RFC 5246 section 7.4.1.3: version, random, session_id, cipher_suite. */
    if (!hc_ok(wire_skip(&r, 3)) || !hc_ok(wire_read_u16(&r, &version)) ||
        !hc_ok(wire_skip(&r, TLS_RANDOM_LEN)) || !hc_ok(wire_read_vector(&r, 1, &session_id)) ||
        !hc_ok(wire_read_u16(&r, &cipher)))
        return;
    f->version = version;
    f->cipher = cipher;
    f->cipher_known = true;
}

/* ---- record bytes, kept while the record goes by ---- */

void hb_body(struct traffic_analyzer *a, struct flow *f, int dir, uint32_t at, const uint8_t *p,
             size_t n)
{
    struct hb_side *s = &f->hb[dir];
    if (at == 0)
        s->head_len = s->rec_len = 0;
    for (size_t i = 0; i < n && s->head_len < sizeof s->head; i++)
        s->head[s->head_len++] = p[i];
    if (!traffic_extracting(a))
        return;
    if (!s->rec && !(s->rec = malloc(HB_RECORD_KEEP)))
        return;
    s->rec_cap = HB_RECORD_KEEP;
    size_t take = n < s->rec_cap - s->rec_len ? n : s->rec_cap - s->rec_len;
    memcpy(s->rec + s->rec_len, p, take);
    s->rec_len += take;
}

/* The payload bytes a message's first record carried, up to HB_PREFIX of them. */
static size_t payload_prefix(const struct hb_side *s, uint8_t *out)
{
    if (s->head_len <= TLS_HEARTBEAT_HEADER_LEN)
        return 0;
    size_t n = s->head_len - TLS_HEARTBEAT_HEADER_LEN;
    memcpy(out, s->head + TLS_HEARTBEAT_HEADER_LEN, n);
    return n;
}

static void keep_response_bytes(struct hb_side *s)
{
    struct hb_response *r = &s->response;
    if (!s->rec_len)
        return;
    if (!r->bytes && !(r->bytes = malloc(HB_RESPONSE_KEEP)))
        return;
    r->bytes_cap = HB_RESPONSE_KEEP;
    size_t take =
        s->rec_len < r->bytes_cap - r->bytes_len ? s->rec_len : r->bytes_cap - r->bytes_len;
    memcpy(r->bytes + r->bytes_len, s->rec, take);
    r->bytes_len += take;
}

/* ---- events ---- */

static struct traffic_event event_for(const struct flow *f, int requester, int64_t ts,
                                      enum traffic_kind kind, bool encrypted, uint16_t version)
{
    int client = guess_client(f);
    return (struct traffic_event){
        .kind = kind,
        .ts_us = ts,
        .udp = f->proto == IP_PROTO_UDP,
        .client = f->ep[client],
        .server = f->ep[1 - client],
        .client_known = f->client >= 0,
        .to_server = requester == client,
        .encrypted = encrypted,
        .version = f->version ? f->version : version,
        .cipher = f->cipher,
        .cipher_known = f->cipher_known,
    };
}

static void push_request(struct hb_side *s, const struct hb_request *q)
{
    if (s->pending_count == HB_PENDING_MAX) { /* the oldest was never answered */
        memmove(s->pending, s->pending + 1, (HB_PENDING_MAX - 1) * sizeof *s->pending);
        s->pending_count--;
    }
    s->pending[s->pending_count++] = *q;
}

/* Takes pending request i and the older ones (the peer dropped or lost those). */
static struct hb_request take_request(struct hb_side *s, size_t i)
{
    struct hb_request q = s->pending[i];
    memmove(s->pending, s->pending + i + 1, (s->pending_count - i - 1) * sizeof *s->pending);
    s->pending_count -= i + 1;
    return q;
}

/* The request a plaintext response answers: the same payload_length and first payload bytes,
 * else the oldest plaintext one. */
static bool match_plain(struct hb_side *req, const struct hb_response *r, struct hb_request *out)
{
    size_t fallback = req->pending_count;
    for (size_t i = 0; i < req->pending_count; i++) {
        const struct hb_request *q = &req->pending[i];
        if (q->encrypted)
            continue;
        if (fallback == req->pending_count)
            fallback = i;
        size_t n = q->prefix_len < r->prefix_len ? q->prefix_len : r->prefix_len;
        if (q->claimed == r->claimed && !memcmp(q->prefix, r->prefix, n)) {
            *out = take_request(req, i);
            return true;
        }
    }
    if (fallback == req->pending_count)
        return false;
    *out = take_request(req, fallback);
    return true;
}

static bool match_encrypted(struct hb_side *req, struct hb_request *out)
{
    for (size_t i = 0; i < req->pending_count; i++)
        if (req->pending[i].encrypted) {
            *out = take_request(req, i);
            return true;
        }
    return false;
}

static void finish_plain(struct traffic_analyzer *a, struct flow *f, int dir, struct hb_response *r)
{
    int requester = 1 - dir;
    struct hb_request q;
    bool paired = match_plain(&f->hb[requester], r, &q);
    uint64_t carried =
        r->wire_len > TLS_HEARTBEAT_HEADER_LEN ? r->wire_len - TLS_HEARTBEAT_HEADER_LEN : 0;
    uint64_t payload = r->claimed < carried ? r->claimed : carried;
    struct traffic_event e = event_for(f, requester, r->ts_us, TRAFFIC_LEAK, false, 0);
    e.records = r->records;
    e.claimed_known = true;
    e.claimed = r->claimed;
    e.paired = paired;
    if (paired) {
        e.sent_known = true;
        e.sent = q.sent;
        e.leaked_known = true;
        e.leaked = e.leaked_max = payload > q.sent ? payload - q.sent : 0;
        e.claimed = q.claimed;
        /* A well-formed request answered in kind is a heartbeat doing its job. */
        if (!q.malformed && !e.leaked)
            return;
        if (r->bytes_len > TLS_HEARTBEAT_HEADER_LEN + q.sent) {
            size_t from = TLS_HEARTBEAT_HEADER_LEN + q.sent;
            size_t end = TLS_HEARTBEAT_HEADER_LEN + payload;
            e.secret = r->bytes + from;
            e.secret_len = (end < r->bytes_len ? end : r->bytes_len) - from;
        }
    } else if (r->wire_len <= TLS_MAX_PLAINTEXT) {
        return; /* unpaired and within one record: nothing shows it is not legitimate */
    }
    traffic_emit(a, &e);
}

static void finish_encrypted(struct traffic_analyzer *a, struct flow *f, int dir,
                             struct hb_response *r)
{
    int requester = 1 - dir;
    struct hb_request q;
    bool paired = match_encrypted(&f->hb[requester], &q);
    uint32_t q_hi = paired ? q.plain_hi : 0;
    bool larger = r->plain_lo > (uint64_t)q_hi + HB_PADDING_SLACK;
    if (!(paired ? larger || r->records > 1 : r->records > 1))
        return;
    struct traffic_event e = event_for(f, requester, r->ts_us, TRAFFIC_LIKELY_LEAK, true, 0);
    e.records = r->records;
    e.paired = paired;
    e.leaked_known = true;
    /* The response is 3 + payload + 16 bytes (OpenSSL); the request carried at most
     * q_hi - 3 payload bytes, at least none. */
    uint64_t lo = r->plain_lo > (uint64_t)q_hi + TLS_HEARTBEAT_MIN_PADDING
                      ? r->plain_lo - q_hi - TLS_HEARTBEAT_MIN_PADDING
                      : 0;
    uint64_t hi = r->plain_hi > HB_MIN_MESSAGE ? r->plain_hi - HB_MIN_MESSAGE : 0;
    e.leaked = lo;
    e.leaked_max = hi > lo ? hi : lo;
    traffic_emit(a, &e);
}

static void finish_response(struct traffic_analyzer *a, struct flow *f, int dir)
{
    struct hb_response *r = &f->hb[dir].response;
    if (!r->active)
        return;
    if (r->encrypted)
        finish_encrypted(a, f, dir, r);
    else
        finish_plain(a, f, dir, r);
    uint8_t *bytes = r->bytes;
    size_t cap = r->bytes_cap;
    if (bytes)
        hc_wipe(bytes, r->bytes_len);
    memset(r, 0, sizeof *r);
    r->bytes = bytes;
    r->bytes_cap = cap;
}

/* ---- plaintext heartbeats ---- */

static void plain_request(struct traffic_analyzer *a, struct flow *f, int dir,
                          const struct record_info *rec, uint16_t claimed)
{
    struct hb_side *s = &f->hb[dir];
    uint32_t room = rec->length - TLS_HEARTBEAT_HEADER_LEN;
    struct hb_request q = {
        .claimed = claimed,
        .sent = claimed < room ? claimed : room,
        .malformed = (uint32_t)claimed + HB_MIN_MESSAGE > rec->length,
    };
    q.prefix_len = payload_prefix(s, q.prefix);
    push_request(s, &q);
    if (!q.malformed)
        return;
    enum traffic_kind kind = claimed > room ? TRAFFIC_ATTACK : TRAFFIC_PROBE;
    struct traffic_event e = event_for(f, dir, f->last_us, kind, false, rec->version);
    e.claimed_known = e.sent_known = true;
    e.claimed = claimed;
    e.sent = q.sent;
    traffic_emit(a, &e);
}

static void plain_response_start(struct traffic_analyzer *a, struct flow *f, int dir,
                                 const struct record_info *rec, uint16_t claimed)
{
    finish_response(a, f, dir);
    struct hb_side *s = &f->hb[dir];
    struct hb_response *r = &s->response;
    r->active = true;
    r->ts_us = f->last_us;
    r->claimed = claimed;
    r->wire_len = rec->length;
    r->expect = (uint64_t)claimed + HB_MIN_MESSAGE;
    r->records = 1;
    r->prefix_len = payload_prefix(s, r->prefix);
    keep_response_bytes(s);
    if (r->wire_len >= r->expect)
        finish_response(a, f, dir);
}

static void plain_record(struct traffic_analyzer *a, struct flow *f, int dir,
                         const struct record_info *rec)
{
    struct hb_side *s = &f->hb[dir];
    struct hb_response *r = &s->response;
    if (r->active && !r->encrypted && r->wire_len < r->expect) {
        /* The rest of a response over 16384 bytes: no heartbeat header of its own. */
        r->wire_len += rec->length;
        r->records++;
        keep_response_bytes(s);
        if (r->wire_len >= r->expect)
            finish_response(a, f, dir);
        return;
    }
    finish_response(a, f, dir);
    if (!rec->head_known || rec->length < TLS_HEARTBEAT_HEADER_LEN)
        return; /* its header was lost: nothing to judge */
    uint16_t claimed = (uint16_t)(s->head[1] << 8 | s->head[2]);
    if (s->head[0] == TLS_HEARTBEAT_REQUEST)
        plain_request(a, f, dir, rec, claimed);
    else if (s->head[0] == TLS_HEARTBEAT_RESPONSE)
        plain_response_start(a, f, dir, rec, claimed);
}

/* ---- encrypted heartbeats: sizes only ---- */

static void plaintext_range(const struct flow *f, const struct record_info *rec, uint32_t *lo,
                            uint32_t *hi)
{
    struct tls_record_overhead o;
    uint16_t v = f->version ? f->version : rec->version;
    if (v >= 0xfe00) /* DTLS 1.0 and 1.2 carry explicit IVs like TLS 1.1 and 1.2 */
        v = TLS_VERSION_TLS12;
    bool known = f->cipher_known && tls_record_overhead(f->cipher, v, &o);
    tls_plaintext_range(known ? &o : NULL, rec->length, lo, hi);
}

static void encrypted_record(struct traffic_analyzer *a, struct flow *f, int dir,
                             const struct record_info *rec)
{
    struct hb_response *r = &f->hb[dir].response;
    uint32_t lo, hi;
    plaintext_range(f, rec, &lo, &hi);
    if (r->active && r->encrypted && r->last_full) {
        r->plain_lo += lo;
        r->plain_hi += hi;
        r->records++;
        r->last_full = hi >= TLS_MAX_PLAINTEXT;
        return;
    }
    finish_response(a, f, dir);
    struct hb_side *peer = &f->hb[1 - dir];
    bool answers = false;
    for (size_t i = 0; i < peer->pending_count; i++)
        answers |= peer->pending[i].encrypted;
    if (answers || hi > TLS_MAX_PLAINTEXT) {
        *r = (struct hb_response){.active = true,
                                  .encrypted = true,
                                  .ts_us = f->last_us,
                                  .plain_lo = lo,
                                  .plain_hi = hi,
                                  .records = 1,
                                  .last_full = hi >= TLS_MAX_PLAINTEXT,
                                  .bytes = r->bytes,
                                  .bytes_cap = r->bytes_cap};
        return;
    }
    struct hb_request q = {
        .encrypted = true, .plain_lo = lo, .plain_hi = hi, .malformed = hi < HB_MIN_MESSAGE};
    push_request(&f->hb[dir], &q);
    if (q.malformed) {
        struct traffic_event e =
            event_for(f, dir, f->last_us, TRAFFIC_MALFORMED, true, rec->version);
        traffic_emit(a, &e);
    }
}

void hb_record(struct traffic_analyzer *a, struct flow *f, int dir, const struct record_info *r)
{
    if (r->type != TLS_CT_HEARTBEAT) {
        finish_response(a, f, dir);
        return;
    }
    if (r->encrypted)
        encrypted_record(a, f, dir, r);
    else
        plain_record(a, f, dir, r);
}

void hb_flush(struct traffic_analyzer *a, struct flow *f)
{
    finish_response(a, f, 0);
    finish_response(a, f, 1);
}
