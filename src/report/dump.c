/* --dump: leaked memory goes to the one file the user named, and nowhere else. */
#include "report/report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int report_dump_open(const char *path)
{
    /* Leaked memory is a secret: owner-only, never through a symlink someone planted. */
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0 && fchmod(fd, 0600) != 0) {
        close(fd);
        fd = -1;
    }
    if (fd < 0)
        fprintf(stderr, "heartcheck: cannot open dump file %s: %s\n", path, strerror(errno));
    return fd;
}

static bool write_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            fprintf(stderr, "heartcheck: writing the dump: %s\n", strerror(errno));
            return false;
        }
        b += w;
        n -= (size_t)w;
    }
    return true;
}

void report_dump_leak(int fd, const char *header, const uint8_t *leak, size_t len)
{
    if (fd < 0 || !leak || len == 0)
        return;
    (void)(write_all(fd, "# heartcheck leak ", 18) && write_all(fd, header, strlen(header)) &&
           write_all(fd, "\n", 1) && write_all(fd, leak, len) && write_all(fd, "\n", 1));
}
