/* A scripted TLS server for the unit tests: a thread of the test process that listens on a
 * 127.0.0.1 port the kernel picks, serves connections one by one as its mode says, and sends a
 * throw-away self-signed certificate (CN=localhost, RSA 1024) made with libcrypto. */
#ifndef HC_SCRIPTED_SERVER_H
#define HC_SCRIPTED_SERVER_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

enum server_mode {
    SRV_CLOSE,        /* reads the ClientHello and closes: a handshake failure at every version */
    SRV_SILENT,       /* reads and never answers */
    SRV_VULNERABLE,   /* OpenSSL 1.0.1f: echoes every heartbeat, over-reading what it claims */
    SRV_PATCHED,      /* 1.0.1g: drops a heartbeat without padding, answers a well-formed one */
    SRV_NO_HEARTBEAT, /* OpenSSL 3: fatal unexpected_message on any heartbeat */
    SRV_NOT_TLS,      /* an FTP server's refusal */
};

struct scripted_server {
    enum server_mode mode;
    bool trickle; /* heartbeat responses in 1000-byte writes, 2 ms apart, as a slow link */
    int listener;
    uint16_t port; /* where it listens on 127.0.0.1 */
    pthread_t thread;
    atomic_bool stop;
    atomic_int connections; /* accepted so far */
};

/* cmocka group setup: makes the certificate every scripted server sends; 0 on success. */
int scripted_server_make_cert(void **state);

/* cmocka group teardown: frees the certificate made by scripted_server_make_cert. */
int scripted_server_free_cert(void **state);

/* Starts a server in its own thread; trickle slows its heartbeat responses down. */
void scripted_server_start(struct scripted_server *s, enum server_mode mode, bool trickle);

/* Stops the server, joins its thread and closes its listening socket. */
void scripted_server_stop(struct scripted_server *s);

/* A port on 127.0.0.1 nobody listens on: bound, then closed. */
uint16_t refused_port(void);
#endif
