/* Bytes captured from real servers (the pcaps in shared/vectors), shared by the unit tests.
 * Defined once in vectors.c; the lengths are part of the declarations so that sizeof works. */
#ifndef HC_VECTORS_H
#define HC_VECTORS_H
#include <stdint.h>

/* OpenSSL 1.0.1f s_server's answer to a TLS 1.2 ClientHello, one TCP segment
 * (openssl-1.0.1f_tls12_zero-leak-probe.pcap, frame 6): ServerHello (77), Certificate (787),
 * ServerHelloDone (0), one per handshake record. */
enum { FLIGHT_OPENSSL101F_LEN = 891 };
extern const uint8_t flight_openssl101f[FLIGHT_OPENSSL101F_LEN];

/* OpenSSL 3.0 s_server's flight (openssl-3.0_tls12_probe.pcap, frame 6): no heartbeat
 * extension. */
enum { FLIGHT_OPENSSL30_LEN = 1232 };
extern const uint8_t flight_openssl30[FLIGHT_OPENSSL30_LEN];

/* GnuTLS 3.7 gnutls-serv --heartbeat's flight (gnutls-3.7-heartbeat_tls12_probe.pcap, frame 6):
 * ServerKeyExchange and CertificateRequest included. */
enum { FLIGHT_GNUTLS37_LEN = 1283 };
extern const uint8_t flight_gnutls37[FLIGHT_GNUTLS37_LEN];

/* nmap ssl-heartbleed's request: 19 bytes of payload claiming 16384, no padding
 * (openssl-1.0.1f_nmap-ssl-heartbleed-16k-leak.pcap, frame 21). */
enum { HEARTBEAT_REQUEST_NMAP_LEN = 27 };
extern const uint8_t heartbeat_request_nmap[HEARTBEAT_REQUEST_NMAP_LEN];

/* Fatal unexpected_message from OpenSSL 3.0 and GnuTLS 3.7 on a heartbeat sent before the
 * handshake finished (openssl-3.0_tls12_probe.pcap and gnutls-3.7-heartbeat_tls12_probe.pcap,
 * frame 9 of each: the same seven bytes). */
enum { ALERT_EARLY_HEARTBEAT_LEN = 7 };
extern const uint8_t alert_early_heartbeat[ALERT_EARLY_HEARTBEAT_LEN];
#endif
