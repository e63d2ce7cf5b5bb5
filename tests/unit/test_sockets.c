/* sockets.c: /proc/net lines as the kernel prints them, a fake proc tree with shared and
 * ownerless sockets, and the test's own listening sockets found in the real /proc. */
#include "unit.h"

#include "host/procs.h"

#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* Lines copied from this machine's /proc/net files. */
static const char tcp_header[] =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
    "inode                                                     \n";
static const char tcp_any_2024[] = "   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 "
                                   "00:00000000 00000000     0        0 19 1 000000004ef6460a 100 "
                                   "0 0 10 0                        \n";
static const char tcp_lo_35311[] = "   2: 0100007F:89EF 00000000:0000 0A 00000000:00000000 "
                                   "00:00000000 00000000     0        0 121079 1 "
                                   "0000000008f77f56 100 0 0 10 0                    \n";
static const char tcp6_header[] =
    "  sl  local_address                         remote_address                        st "
    "tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
static const char tcp6_mapped_lo[] =
    "   0: 0000000000000000FFFF00000100007F:E193 00000000000000000000000000000000:0000 0A "
    "00000000:00000000 00:00000000 00000000     0        0 155639 1 000000005d2f6a3e 100 0 0 10 "
    "0\n";
static const char tcp6_lo[] =
    "   1: 00000000000000000000000001000000:882B 00000000000000000000000000000000:0000 0A "
    "00000000:00000000 00:00000000 00000000     0        0 155638 1 00000000839efc83 100 0 0 10 "
    "0\n";
static const char tcp6_any[] =
    "   2: 00000000000000000000000000000000:5F72 00000000000000000000000000000000:0000 0A "
    "00000000:00000000 00:00000000 00000000     0        0 12712 1 0000000059febe5a 100 0 0 10 "
    "0\n";
static const char udp_header[] = "   sl  local_address rem_address   st tx_queue rx_queue tr "
                                 "tm->when retrnsmt   uid  timeout inode ref pointer drops     \n";
static const char udp_bound[] = " 6252: 0100007F:B700 00000000:0000 07 00000000:00000000 "
                                "00:00000000 00000000     0        0 155640 2 00000000e3eef2f1 0 "
                                "       \n";
static const char udp_connected[] = "10192: 0100007F:8664 0100007F:0009 01 00000000:00000000 "
                                    "00:00000000 00000000     0        0 155642 2 "
                                    "000000008e276bf3 0        \n";

static bool parse(const char *line, int family, struct host_procnet_entry *e)
{
    return host_procnet_line_parse(line, strlen(line), family, e);
}

static void test_parse_ipv4(void **state)
{
    (void)state;
    struct host_procnet_entry e;
    assert_false(parse(tcp_header, AF_INET, &e));
    assert_true(parse(tcp_lo_35311, AF_INET, &e));
    static const uint8_t lo[4] = {127, 0, 0, 1};
    assert_memory_equal(e.local, lo, 4);
    assert_int_equal(e.local_port, 35311);
    assert_int_equal(e.state, 0x0A);
    assert_int_equal(e.inode, 121079);
    assert_int_equal(e.uid, 0);
    assert_true(host_procnet_is_listening(&e, HOST_PROTO_TCP));
    assert_true(parse(tcp_any_2024, AF_INET, &e));
    assert_int_equal(e.local_port, 2024);
    assert_int_equal(e.inode, 19);
}

static void test_parse_ipv6(void **state)
{
    (void)state;
    struct host_procnet_entry e;
    char text[INET6_ADDRSTRLEN];
    assert_false(parse(tcp6_header, AF_INET6, &e));
    assert_true(parse(tcp6_lo, AF_INET6, &e));
    assert_string_equal(inet_ntop(AF_INET6, e.local, text, sizeof text), "::1");
    assert_int_equal(e.local_port, 0x882B);
    assert_true(parse(tcp6_mapped_lo, AF_INET6, &e));
    assert_string_equal(inet_ntop(AF_INET6, e.local, text, sizeof text), "::ffff:127.0.0.1");
    assert_int_equal(e.inode, 155639);
    /* The same line read as IPv4 is malformed, and the other way round. */
    assert_false(parse(tcp6_lo, AF_INET, &e));
    assert_false(parse(tcp_lo_35311, AF_INET6, &e));
}

static void test_parse_udp(void **state)
{
    (void)state;
    struct host_procnet_entry e;
    assert_false(parse(udp_header, AF_INET, &e));
    assert_true(parse(udp_bound, AF_INET, &e));
    assert_int_equal(e.local_port, 0xB700);
    assert_true(host_procnet_is_listening(&e, HOST_PROTO_UDP));
    assert_false(host_procnet_is_listening(&e, HOST_PROTO_TCP));
    assert_true(parse(udp_connected, AF_INET, &e));
    assert_int_equal(e.remote_port, 9);
    assert_false(host_procnet_is_listening(&e, HOST_PROTO_UDP));
}

/* Every prefix of a real line: parsed only past the inode (the last field we need) and the
 * space after it, and never read past the given length. */
static void test_parse_prefixes(void **state)
{
    (void)state;
    struct host_procnet_entry e;
    size_t len = strlen(tcp6_lo);
    size_t inode_end = (size_t)(strstr(tcp6_lo, "155638") - tcp6_lo) + 6;
    for (size_t i = 0; i <= len; i++) {
        char *copy = malloc(i ? i : 1); /* exact size: ASan catches an over-read */
        memcpy(copy, tcp6_lo, i);
        assert_int_equal(host_procnet_line_parse(copy, i, AF_INET6, &e), i > inode_end);
        free(copy);
    }
}

/* ---- fake proc tree ---------------------------------------------------------------------------
 */

static void put(const char *root, const char *rel, const char *text)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void dir(const char *root, const char *rel)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    assert_int_equal(mkdir(path, 0755), 0);
}

static void link_to(const char *root, const char *rel, const char *target)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    assert_int_equal(symlink(target, path), 0);
}

static char *cat3(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *s = malloc(n);
    snprintf(s, n, "%s%s%s", a, b, c);
    return s;
}

/* 100 and 101 share the loopback socket (master and worker); nobody owns 19; 102 has no fd. */
static void build_proc(const char *root)
{
    char *tcp = cat3(tcp_header, tcp_any_2024, tcp_lo_35311);
    char *tcp6 = cat3(tcp6_header, tcp6_lo, tcp6_any);
    char *udp = cat3(udp_header, udp_bound, udp_connected);
    dir(root, "net");
    put(root, "net/tcp", tcp);
    put(root, "net/tcp6", tcp6);
    put(root, "net/udp", udp); /* no udp6: as on a kernel without IPv6 UDP */
    free(tcp);
    free(tcp6);
    free(udp);
    dir(root, "100");
    dir(root, "100/fd");
    link_to(root, "100/fd/0", "/dev/null");
    link_to(root, "100/fd/3", "socket:[121079]");
    link_to(root, "100/fd/4", "socket:[121079]"); /* dup'ed: still one owner */
    link_to(root, "100/fd/5", "socket:[155638]");
    dir(root, "101");
    dir(root, "101/fd");
    link_to(root, "101/fd/7", "socket:[121079]");
    link_to(root, "101/fd/8", "pipe:[121079]");
    link_to(root, "101/fd/9", "socket:[155640]");
    dir(root, "102");
    dir(root, "self"); /* not a pid */
}

static const struct host_socket *find_port(const struct host_socket_list *l, enum host_proto proto,
                                           int family, uint16_t port)
{
    for (size_t i = 0; i < l->count; i++)
        if (l->items[i].proto == proto && l->items[i].family == family && l->items[i].port == port)
            return &l->items[i];
    return NULL;
}

static void test_fake_tree(void **state)
{
    (void)state;
    char root[] = "/tmp/hc-proc-XXXXXX", cmd[64];
    struct host_socket_list l;
    assert_non_null(mkdtemp(root));
    build_proc(root);
    assert_success(host_sockets_scan(root, &l));
    assert_int_equal(l.count, 5); /* 2 tcp, 2 tcp6, 1 bound udp */
    assert_int_equal(l.fd_dirs_denied, 1);

    const struct host_socket *s = find_port(&l, HOST_PROTO_TCP, AF_INET, 35311);
    assert_non_null(s);
    assert_string_equal(s->addr_text, "127.0.0.1");
    assert_true(s->loopback_only);
    assert_false(s->wildcard);
    assert_int_equal(s->pid_count, 2);
    assert_int_equal(s->pids[0], 100);
    assert_int_equal(s->pids[1], 101);

    s = find_port(&l, HOST_PROTO_TCP, AF_INET, 2024);
    assert_non_null(s);
    assert_true(s->wildcard);
    assert_false(s->loopback_only);
    assert_int_equal(s->pid_count, 0); /* owner unknown */

    s = find_port(&l, HOST_PROTO_TCP, AF_INET6, 0x882B);
    assert_non_null(s);
    assert_string_equal(s->addr_text, "::1");
    assert_true(s->loopback_only);
    assert_int_equal(s->pid_count, 1);
    assert_int_equal(s->pids[0], 100);

    s = find_port(&l, HOST_PROTO_TCP, AF_INET6, 0x5F72);
    assert_non_null(s);
    assert_string_equal(s->addr_text, "::");
    assert_true(s->wildcard);

    s = find_port(&l, HOST_PROTO_UDP, AF_INET, 0xB700);
    assert_non_null(s);
    assert_true(s->loopback_only);
    assert_int_equal(s->pid_count, 1);
    assert_int_equal(s->pids[0], 101);
    host_sockets_free(&l);
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    assert_int_equal(system(cmd), 0);
}

static void test_mapped_loopback(void **state)
{
    (void)state;
    char root[] = "/tmp/hc-proc-XXXXXX", cmd[64];
    struct host_socket_list l;
    assert_non_null(mkdtemp(root));
    dir(root, "net");
    char *tcp6 = cat3(tcp6_header, tcp6_mapped_lo, "");
    put(root, "net/tcp6", tcp6);
    free(tcp6);
    assert_success(host_sockets_scan(root, &l));
    assert_int_equal(l.count, 1);
    assert_string_equal(l.items[0].addr_text, "::ffff:127.0.0.1");
    assert_true(l.items[0].loopback_only);
    assert_false(l.items[0].wildcard);
    host_sockets_free(&l);
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    assert_int_equal(system(cmd), 0);
}

/* ---- the real /proc ----------------------------------------------------------------------------
 */

/* A socket of type on the loopback address of family, bound to port 0 (listening for TCP). */
static int loopback_socket(int family, int type, uint16_t *port, unsigned long *inode)
{
    struct sockaddr_storage ss = {0};
    socklen_t len;
    if (family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof *a;
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        len = sizeof *a;
    }
    int fd = socket(family, type, 0);
    if (fd < 0)
        return -1;
    struct stat st;
    if (bind(fd, (struct sockaddr *)&ss, len) != 0 || (type == SOCK_STREAM && listen(fd, 1) != 0) ||
        getsockname(fd, (struct sockaddr *)&ss, &len) != 0 || fstat(fd, &st) != 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                    : ((struct sockaddr_in6 *)&ss)->sin6_port);
    *inode = (unsigned long)st.st_ino;
    return fd;
}

static void expect_own(const struct host_socket_list *l, enum host_proto proto, int family,
                       uint16_t port, unsigned long inode)
{
    const struct host_socket *s = find_port(l, proto, family, port);
    if (!s)
        fail_msg("own %s socket on port %u not found", proto == HOST_PROTO_TCP ? "tcp" : "udp",
                 port);
    assert_int_equal(s->inode, inode);
    assert_true(s->loopback_only);
    assert_false(s->wildcard);
    assert_int_equal(s->pid_count, 1);
    assert_int_equal(s->pids[0], getpid());
}

static void test_own_sockets(void **state)
{
    (void)state;
    static const struct {
        int family, type;
        enum host_proto proto;
    } kinds[] = {
        {AF_INET, SOCK_STREAM, HOST_PROTO_TCP},
        {AF_INET6, SOCK_STREAM, HOST_PROTO_TCP},
        {AF_INET, SOCK_DGRAM, HOST_PROTO_UDP},
    };
    int fds[HC_ARRAY_LEN(kinds)];
    uint16_t ports[HC_ARRAY_LEN(kinds)];
    unsigned long inodes[HC_ARRAY_LEN(kinds)];
    for (size_t i = 0; i < HC_ARRAY_LEN(kinds); i++) {
        fds[i] = loopback_socket(kinds[i].family, kinds[i].type, &ports[i], &inodes[i]);
        if (fds[i] < 0 && kinds[i].family == AF_INET6) {
            printf("note: no IPv6 loopback here, [::1] check skipped\n");
            continue;
        }
        assert_true(fds[i] >= 0);
    }
    struct host_socket_list l;
    assert_success(host_sockets_scan("/proc", &l));
    for (size_t i = 0; i < HC_ARRAY_LEN(kinds); i++)
        if (fds[i] >= 0)
            expect_own(&l, kinds[i].proto, kinds[i].family, ports[i], inodes[i]);
    host_sockets_free(&l);
    for (size_t i = 0; i < HC_ARRAY_LEN(kinds); i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ipv4),  cmocka_unit_test(test_parse_ipv6),
        cmocka_unit_test(test_parse_udp),   cmocka_unit_test(test_parse_prefixes),
        cmocka_unit_test(test_fake_tree),   cmocka_unit_test(test_mapped_loopback),
        cmocka_unit_test(test_own_sockets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
