#include "engine/engine.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TARGET_ERR(...)                                                                            \
    do {                                                                                           \
        snprintf(err, err_cap, __VA_ARGS__);                                                       \
        return HC_RESULT(HC_ERR_USAGE);                                                            \
    } while (0)

static bool parse_port(const char *s, uint16_t *out)
{
    if (!*s || strlen(s) > 5)
        return false;
    unsigned v = 0;
    for (const char *c = s; *c; c++) {
        if (!isdigit((unsigned char)*c))
            return false;
        v = v * 10 + (unsigned)(*c - '0');
    }
    if (v == 0 || v > 65535)
        return false;
    *out = (uint16_t)v;
    return true;
}

/* RFC 1123 host names (underscores tolerated: internal names have them). */
static bool valid_name(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > 253 + (s[len - 1] == '.'))
        return false;
    size_t label = 0;
    for (const char *c = s; *c; c++) {
        if (*c == '.') {
            if (label == 0 || c[-1] == '-')
                return false;
            label = 0;
            continue;
        }
        bool ok = isalnum((unsigned char)*c) || *c == '_' || (*c == '-' && label > 0);
        if (!ok || ++label > 63)
            return false;
    }
    if (label > 0 ? s[len - 1] == '-' : s[len - 1] != '.')
        return false;
    /* No top-level domain is numeric (RFC 3696 section 2): "10.0.0.300" is a mistyped
     * address, not a name to send to the resolver. */
    const char *end = s + len - (s[len - 1] == '.');
    const char *last = end;
    while (last > s && last[-1] != '.')
        last--;
    for (const char *c = last; c < end; c++)
        if (!isdigit((unsigned char)*c))
            return true;
    return false;
}

static int address_family(const char *s)
{
    unsigned char buf[16];
    if (inet_pton(AF_INET, s, buf) == 1)
        return AF_INET;
    if (inet_pton(AF_INET6, s, buf) == 1)
        return AF_INET6;
    return 0;
}

static hc_result split_bracketed(const char *spec, char *host, const char **port, char *err,
                                 size_t err_cap)
{
    const char *close = strchr(spec, ']');
    if (!close)
        TARGET_ERR("'%s': missing ']' after the IPv6 address", spec);
    size_t n = (size_t)(close - spec - 1);
    if (n == 0 || n >= TARGET_HOST_MAX)
        TARGET_ERR("'%s': empty or too long address in brackets", spec);
    memcpy(host, spec + 1, n);
    host[n] = '\0';
    if (close[1] == ':')
        *port = close + 2;
    else if (close[1] != '\0')
        TARGET_ERR("'%s': expected ':PORT' after ']'", spec);
    if (address_family(host) != AF_INET6)
        TARGET_ERR("'%s': '%s' is not an IPv6 address", spec, host);
    return HC_SUCCESS;
}

static hc_result split_host_port(const char *spec, char *host, const char **port, char *err,
                                 size_t err_cap)
{
    const char *colon = strchr(spec, ':');
    if (colon && strchr(colon + 1, ':')) {
        /* Two colons or more: a bare IPv6 address, which cannot carry a port. */
        if (strlen(spec) >= TARGET_HOST_MAX || address_family(spec) != AF_INET6)
            TARGET_ERR("'%s': not an IPv6 address (write [ADDRESS]:PORT for a port)", spec);
        strcpy(host, spec);
        return HC_SUCCESS;
    }
    size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
    if (n == 0 || n >= TARGET_HOST_MAX)
        TARGET_ERR("'%s': empty or too long host", spec);
    memcpy(host, spec, n);
    host[n] = '\0';
    if (colon)
        *port = colon + 1;
    return HC_SUCCESS;
}

size_t target_scheme(const char *spec, enum probe_transport *out)
{
    static const char dtls[] = "dtls://";
    bool is_dtls = spec && strncmp(spec, dtls, sizeof dtls - 1) == 0;
    *out = is_dtls ? PROBE_DTLS : PROBE_TCP;
    return is_dtls ? sizeof dtls - 1 : 0;
}

hc_result target_parse(const char *spec, uint16_t default_port, struct target *out, char *err,
                       size_t err_cap)
{
    struct target t;
    memset(&t, 0, sizeof t);
    if (!spec || !*spec)
        TARGET_ERR("empty target");
    if (strlen(spec) >= TARGET_SPEC_MAX)
        TARGET_ERR("target longer than %d characters", TARGET_SPEC_MAX - 1);
    strcpy(t.spec, spec);
    spec += target_scheme(spec, &t.transport);
    if (!*spec)
        TARGET_ERR("'%s': no host after the scheme", t.spec);
    const char *port = NULL;
    if (spec[0] == '[')
        HC_TRY(split_bracketed(spec, t.host, &port, err, err_cap));
    else
        HC_TRY(split_host_port(spec, t.host, &port, err, err_cap));
    t.port = default_port;
    if (port && !parse_port(port, &t.port))
        TARGET_ERR("'%s': port must be a number from 1 to 65535", spec);
    t.family = address_family(t.host);
    if (!t.family && !valid_name(t.host))
        TARGET_ERR("'%s': '%s' is neither an IP address nor a host name", spec, t.host);
    *out = t;
    return HC_SUCCESS;
}
