/* base: the result type every fallible function returns, and secret-memory helpers.
 *
 * A function that can fail returns hc_result; HC_MUST_CHECK makes the compiler reject a
 * caller that ignores it. Errors are specific (a test asserts the exact one) and each
 * belongs to one category, which is what callers outside a module usually decide on. */
#ifndef HC_BASE_H
#define HC_BASE_H

#include <stdbool.h>
#include <stddef.h>

#define HC_MUST_CHECK __attribute__((warn_unused_result))

enum hc_category {
    HC_CAT_NONE = 0,
    HC_CAT_IO,          /* the operating system refused (socket, file) */
    HC_CAT_PEER_CLOSED, /* the peer closed or reset the connection */
    HC_CAT_PEER_ALERT,  /* the peer sent a TLS alert */
    HC_CAT_PROTOCOL,    /* the peer's bytes break the protocol */
    HC_CAT_INTERNAL,    /* our own limits or bugs: out of space, out of memory */
    HC_CAT_USAGE,       /* the user's input is wrong */
};

/* X(name, category, message) */
#define HC_ERROR_LIST(X)                                                                           \
    X(HC_OK, HC_CAT_NONE, "success")                                                               \
    X(HC_ERR_SHORT, HC_CAT_PROTOCOL, "input ends before the field does")                           \
    X(HC_ERR_TRAILING, HC_CAT_PROTOCOL, "bytes left after the last field")                         \
    X(HC_ERR_NO_SPACE, HC_CAT_INTERNAL, "output buffer too small")                                 \
    X(HC_ERR_LENGTH_TOO_BIG, HC_CAT_INTERNAL, "body too long for its length field")                \
    X(HC_ERR_NOMEM, HC_CAT_INTERNAL, "out of memory")                                              \
    X(HC_ERR_NOT_TLS, HC_CAT_PROTOCOL, "not a TLS record")                                         \
    X(HC_ERR_RECORD_TOO_LONG, HC_CAT_PROTOCOL, "record longer than TLS allows")                    \
    X(HC_ERR_EMPTY_RECORD, HC_CAT_PROTOCOL, "empty handshake or alert record")                     \
    X(HC_ERR_MESSAGE_TOO_LONG, HC_CAT_PROTOCOL, "handshake message longer than we accept")         \
    X(HC_ERR_BAD_VERSION, HC_CAT_PROTOCOL, "unknown or unoffered protocol version")                \
    X(HC_ERR_BAD_SESSION_ID, HC_CAT_PROTOCOL, "session id longer than 32 bytes")                   \
    X(HC_ERR_BAD_COMPRESSION, HC_CAT_PROTOCOL, "compression method not offered")                   \
    X(HC_ERR_BAD_CIPHER_LIST, HC_CAT_PROTOCOL, "cipher suite list empty or odd-sized")             \
    X(HC_ERR_DUPLICATE_EXTENSION, HC_CAT_PROTOCOL, "extension appears twice")                      \
    X(HC_ERR_BAD_EXTENSION, HC_CAT_PROTOCOL, "malformed extension")                                \
    X(HC_ERR_EMPTY_CHAIN, HC_CAT_PROTOCOL, "certificate message without certificates")             \
    X(HC_ERR_BAD_CERTIFICATE, HC_CAT_PROTOCOL, "certificate is not valid DER X.509")               \
    X(HC_ERR_BAD_ALERT, HC_CAT_PROTOCOL, "alert is not two bytes of level and code")               \
    X(HC_ERR_BAD_HEARTBEAT, HC_CAT_PROTOCOL, "malformed heartbeat message")                        \
    X(HC_ERR_BAD_FRAGMENT, HC_CAT_PROTOCOL, "handshake fragment disagrees with its message")       \
    X(HC_ERR_UNEXPECTED_MESSAGE, HC_CAT_PROTOCOL, "message out of order")                          \
    X(HC_ERR_NOT_OPENVPN, HC_CAT_PROTOCOL, "not an OpenVPN packet")                                \
    X(HC_ERR_BAD_OPENVPN, HC_CAT_PROTOCOL, "malformed OpenVPN control packet")                     \
    X(HC_ERR_PEER_ALERT, HC_CAT_PEER_ALERT, "peer sent a fatal alert")                             \
    X(HC_ERR_PEER_CLOSED, HC_CAT_PEER_CLOSED, "peer closed the connection")                        \
    X(HC_ERR_IO, HC_CAT_IO, "input/output error")                                                  \
    X(HC_ERR_LOOP, HC_CAT_INTERNAL, "event loop did not shut down cleanly")                        \
    X(HC_ERR_USAGE, HC_CAT_USAGE, "invalid input")

#define HC_ERROR_ENUM(name, cat, msg) name,
enum hc_error { HC_ERROR_LIST(HC_ERROR_ENUM) HC_ERROR_COUNT };
#undef HC_ERROR_ENUM

/* A struct rather than a bare enum so that it cannot be mixed up with an int or a bool. */
typedef struct {
    enum hc_error error;
} hc_result;

#define HC_RESULT(e) ((hc_result){.error = (e)})
#define HC_SUCCESS   HC_RESULT(HC_OK)

static inline int hc_ok(hc_result r) { return r.error == HC_OK; }

/* Guards: propagate the first error, so it sticks on its way up. */
#define HC_TRY(expr)                                                                               \
    do {                                                                                           \
        hc_result hc_try_r_ = (expr);                                                              \
        if (!hc_ok(hc_try_r_))                                                                     \
            return hc_try_r_;                                                                      \
    } while (0)

#define HC_ENSURE(cond, err)                                                                       \
    do {                                                                                           \
        if (!(cond))                                                                               \
            return HC_RESULT(err);                                                                 \
    } while (0)

const char *hc_error_name(enum hc_error e);    /* "HC_ERR_SHORT" */
const char *hc_error_message(enum hc_error e); /* "input ends before the field does" */
enum hc_category hc_error_category(enum hc_error e);

/* Secrets (leaked memory, keys) are wiped before their memory is given back, in a way the
 * compiler may not remove. */
void hc_wipe(void *p, size_t n);
void hc_free_secret(void *p, size_t n);

/* A decimal number from min to max, nothing else around it (no sign, no spaces). */
bool hc_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);

#define HC_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
