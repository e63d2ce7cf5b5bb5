#include "clients/clients.h"

#include <stdio.h>
#include <string.h>

/* The URL scheme each prelude's clients know; the protocol's name otherwise. */
static const char *scheme(const char *proto)
{
    if (!proto)
        return "https";
    if (strcmp(proto, "postgres") == 0)
        return "postgresql";
    return proto;
}

hc_result clients_exec_expand(const char *tmpl, const char *host, uint16_t port, const char *proto,
                              char *out, size_t cap)
{
    bool v6 = strchr(host, ':') != NULL;
    char port_s[8], url[320];
    snprintf(port_s, sizeof port_s, "%u", port);
    int n = snprintf(url, sizeof url, "%s://%s%s%s:%u/", scheme(proto), v6 ? "[" : "", host,
                     v6 ? "]" : "", port);
    HC_ENSURE(n > 0 && (size_t)n < sizeof url, HC_ERR_NO_SPACE);
    static const char *const keys[] = {"{host}", "{port}", "{url}"};
    const char *values[] = {host, port_s, url};
    size_t o = 0;
    while (*tmpl) {
        size_t k = 0;
        while (k < HC_ARRAY_LEN(keys) && strncmp(tmpl, keys[k], strlen(keys[k])) != 0)
            k++;
        const char *add = k < HC_ARRAY_LEN(keys) ? values[k] : tmpl;
        size_t len = k < HC_ARRAY_LEN(keys) ? strlen(values[k]) : 1;
        HC_ENSURE(o + len < cap, HC_ERR_NO_SPACE);
        memcpy(out + o, add, len);
        o += len;
        tmpl += k < HC_ARRAY_LEN(keys) ? strlen(keys[k]) : 1;
    }
    HC_ENSURE(cap > 0, HC_ERR_NO_SPACE);
    out[o] = '\0';
    return HC_SUCCESS;
}
