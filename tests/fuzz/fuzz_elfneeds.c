/* libFuzzer target: the input as a file handed to host_elf_needs_read_fd (through a memfd), so
 * the program-header parser, and libelf where it hands over, read arbitrary bytes: 32/64-bit,
 * either byte order, cut anywhere. Results must keep their invariants; never a crash. */
#include "host/procs.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool write_all(int fd, const uint8_t *data, size_t size)
{
    size_t done = 0;
    while (done < size) {
        ssize_t n = pwrite(fd, data + done, size - done, (off_t)done);
        if (n <= 0)
            return false;
        done += (size_t)n;
    }
    return true;
}

static void check_name(const char *name, const char *prefix)
{
    if (!memchr(name, '\0', HOST_SONAME_MAX))
        abort();
    if (name[0] && strncmp(name, prefix, strlen(prefix)) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    if (fd < 0)
        fd = memfd_create("fuzz-elfneeds", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, 0) != 0 || !write_all(fd, data, size))
        return 0;
    struct host_elf_needs n;
    hc_result r = host_elf_needs_read_fd(fd, &n);
    check_name(n.needs_ssl, "libssl.so");
    check_name(n.needs_crypto, "libcrypto.so");
    bool magic = size >= 4 && memcmp(data, "\177ELF", 4) == 0;
    if (n.is_elf != magic)
        abort();
    if (!n.is_elf && (!hc_ok(r) || n.needed_count != 0 || n.needs_ssl[0] || n.needs_crypto[0]))
        abort();
    if (hc_ok(r) && (n.needs_ssl[0] || n.needs_crypto[0]) && n.needed_count == 0)
        abort();
    if (!hc_ok(r) && r.error != HC_ERR_SHORT && r.error != HC_ERR_NOMEM && r.error != HC_ERR_IO)
        abort();
    return 0;
}
