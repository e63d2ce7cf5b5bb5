/* libFuzzer target: the input as a /proc/net/tcp(6) line, a /proc/PID/maps line and a
 * /proc/PID/cgroup file. Every parse must stay inside the input and keep its invariants. */
#include "host/procs.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_procnet(const char *text, size_t size)
{
    static const int families[] = {AF_INET, AF_INET6};
    for (size_t i = 0; i < HC_ARRAY_LEN(families); i++) {
        struct host_procnet_entry e;
        if (host_procnet_line_parse(text, size, families[i], &e) && e.state > 0xFF)
            abort();
        (void)host_procnet_is_listening(&e, HOST_PROTO_TCP);
        (void)host_procnet_is_listening(&e, HOST_PROTO_UDP);
    }
}

static void parse_maps(const char *text, size_t size)
{
    struct host_maps_line m;
    if (!host_maps_line_parse(text, size, &m))
        return;
    if (m.end < m.start || strlen(m.perms) != 4)
        abort();
    if (m.path && (m.path < text || m.path_len == 0 || m.path + m.path_len > text + size))
        abort();
    if (m.path) {
        char *path = strndup(m.path, m.path_len);
        if (path && host_tls_kind_of(path) > HOST_TLS_OTHER)
            abort();
        free(path);
    }
}

static void parse_cgroup(const char *text, size_t size)
{
    char unit[HOST_UNIT_MAX];
    bool user;
    bool found = host_cgroup_unit(text, size, unit, sizeof unit, &user);
    if (found != (unit[0] != '\0') || !memchr(unit, 0, sizeof unit))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy, so ASan sees any read past the end. */
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    parse_procnet(text, size);
    parse_maps(text, size);
    parse_cgroup(text, size);
    free(text);
    return 0;
}
