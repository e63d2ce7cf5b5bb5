/* host/procs: what the running system shows about its TLS libraries — which processes map
 * which copy (and whether that copy was deleted or replaced on disk since), which sockets
 * listen and who owns them, and which programs link libssl (DT_NEEDED).
 *
 * Private to src/host. Every function takes the proc root ("/proc", or a fake tree in tests)
 * or the filesystem root as a parameter, so tests never depend on the machine they run on.
 * Nothing here is fatal about a single process, socket or file: what cannot be seen (a
 * process that exited mid-scan, a maps file only root may read) is counted, and the caller
 * reports "could not see N processes". Strings in results are heap copies owned by the list
 * that holds them; one *_free call releases everything. */
#ifndef HC_HOST_PROCS_H
#define HC_HOST_PROCS_H

#include "base/base.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- Processes and their TLS libraries (procs.c) ---------------------------------------- */

enum host_tls_kind {
    HOST_TLS_NONE = 0,
    HOST_TLS_LIBSSL,    /* basename starts with "libssl.so" (OpenSSL, LibreSSL, BoringSSL) */
    HOST_TLS_LIBCRYPTO, /* basename starts with "libcrypto.so" */
    HOST_TLS_OTHER,     /* GnuTLS, NSS, wolfSSL, mbed TLS: listed, never taken for OpenSSL */
};

/* Which TLS library a mapped or linked file is, from its basename alone. */
enum host_tls_kind host_tls_kind_of(const char *path);

/* One line of /proc/PID/maps, split into fields. path points into the parsed line (not
 * terminated: path_len bytes), without the " (deleted)" suffix, which sets deleted. */
struct host_maps_line {
    unsigned long start, end, offset;
    unsigned dev_major, dev_minor;
    unsigned long inode;
    char perms[5];
    const char *path; /* NULL for anonymous mappings */
    size_t path_len;
    bool deleted;
};

/* Parses one maps line (with or without its '\n'). false when it is not a maps line. Pure:
 * the fuzz target feeds it arbitrary bytes. */
bool host_maps_line_parse(const char *line, size_t len, struct host_maps_line *out);

enum { HOST_UNIT_MAX = 256 };

/* Finds the systemd unit in the text of /proc/PID/cgroup: the cgroup v1 "name=systemd" line
 * if there is one, else the v2 "0::" line. The unit is the first path component that is not a
 * slice ("/system.slice/nginx.service/payload" -> nginx.service); under user@UID.service it is
 * the user's own unit, and *user_unit is set. Returns false (unit "") when the process is in no
 * unit (containers, "/", init.scope counts as a unit). */
bool host_cgroup_unit(const char *text, size_t len, char *unit, size_t unit_cap, bool *user_unit);

/* A TLS library mapped by a process: one entry per distinct file (path + device + inode),
 * however many segments the process maps of it. */
struct host_mapping {
    enum host_tls_kind kind;
    char *path; /* as the kernel printed it, without " (deleted)" */
    unsigned dev_major, dev_minor;
    unsigned long inode;
    bool deleted;    /* the mapped file was unlinked: restart needed */
    bool replaced;   /* the path now names another file (other device or inode) */
    bool disk_seen;  /* the path could be stat'ed (replaced is meaningful) */
    char *map_files; /* PROC/PID/map_files/START-END of the first segment: reads the
                        very bytes the process runs, even when deleted (root only) */
};

struct host_process {
    pid_t pid, ppid;
    uid_t uid; /* real uid, from status */
    char comm[64];
    char *exe; /* readlink of exe without " (deleted)"; "" when unreadable */
    bool exe_deleted;
    char *exe_proc; /* PROC/PID/exe: opens the running executable (static OpenSSL
                       banner check), even when deleted or in another mount ns */
    char *cmdline;  /* arguments joined by spaces, at most HOST_CMDLINE_MAX bytes */
    bool cmdline_truncated;
    char unit[HOST_UNIT_MAX]; /* systemd unit or "" */
    bool user_unit;           /* unit belongs to a user's systemd (user@UID.service) */
    bool maps_unreadable;     /* maps denied (not root): libs unknown, counted in denied */
    struct host_mapping *libs;
    size_t lib_count;
};

enum { HOST_CMDLINE_MAX = 4096 };

struct host_proc_list {
    struct host_process *items; /* sorted by pid */
    size_t count;
    size_t vanished;       /* exited between listing and reading: not in items */
    size_t denied;         /* in items but maps unreadable (the "could not see N" count) */
    size_t kernel_threads; /* skipped: they map no files and own no sockets */
};

/* A /proc entry's name as a process id: digits only, 1 to INT_MAX. */
bool host_pid_from_name(const char *name, pid_t *pid);

/* Reads every process under proc_root ("/proc"). Only a failure to list proc_root itself or to
 * allocate memory is an error (HC_ERR_IO, HC_ERR_NOMEM); *out is then empty. Free with
 * host_procs_free. */
HC_MUST_CHECK hc_result host_procs_scan(const char *proc_root, struct host_proc_list *out);

/* Reads one process. HC_ERR_IO when it does not exist (any more) or is a kernel thread
 * (*is_kthread tells which). Free with host_process_free. */
HC_MUST_CHECK hc_result host_process_read(const char *proc_root, pid_t pid,
                                          struct host_process *out, bool *is_kthread);

void host_process_free(struct host_process *p);
void host_procs_free(struct host_proc_list *l);

/* ---- Listening sockets (sockets.c) ------------------------------------------------------ */

enum host_proto { HOST_PROTO_TCP, HOST_PROTO_UDP };

/* One line of /proc/net/{tcp,tcp6,udp,udp6}. Addresses are in network byte order (4 bytes
 * used for AF_INET). */
struct host_procnet_entry {
    uint8_t local[16], remote[16];
    uint16_t local_port, remote_port;
    unsigned state; /* TCP state number: 0x0A LISTEN, 0x07 CLOSE (unconnected UDP) */
    uid_t uid;
    unsigned long inode;
};

/* Parses one data line of a /proc/net file of the given family (AF_INET or AF_INET6). false
 * for the header line and anything malformed. Pure: the fuzz target feeds it arbitrary bytes.
 * IPv6 addresses are four 32-bit words, each printed by the kernel in host byte order, so
 * this is right for files read on the machine (and endianness) that wrote them. */
bool host_procnet_line_parse(const char *line, size_t len, int family,
                             struct host_procnet_entry *out);

/* Whether an entry is a listening TCP socket or a bound, unconnected UDP socket. */
bool host_procnet_is_listening(const struct host_procnet_entry *e, enum host_proto proto);

enum { HOST_ADDR_TEXT_MAX = 46 }; /* INET6_ADDRSTRLEN */

struct host_socket {
    enum host_proto proto;
    int family;                         /* AF_INET or AF_INET6 */
    uint8_t addr[16];                   /* local address, network byte order */
    char addr_text[HOST_ADDR_TEXT_MAX]; /* "127.0.0.1", "::", "::ffff:127.0.0.1" */
    uint16_t port;
    unsigned long inode;
    uid_t uid;
    bool loopback_only; /* 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104 */
    bool wildcard;      /* 0.0.0.0 or :: (a :: socket may also take IPv4) */
    pid_t *pids;        /* owners, sorted; several when a socket is shared (nginx
                           master and workers) */
    size_t pid_count;   /* 0: owner unknown (not root, or another net ns) */
};

struct host_socket_list {
    struct host_socket *items; /* tcp, tcp6, udp, udp6, each in file order */
    size_t count;
    size_t fd_dirs_denied; /* processes whose fd directory we could not read */
};

/* Lists listening sockets from PROC/net/{tcp,tcp6,udp,udp6} (each read once, streamed; a
 * missing file, e.g. no IPv6, is skipped) and finds their owners through PROC/PID/fd/N ->
 * "socket:[INODE]". Errors: HC_ERR_NOMEM, or HC_ERR_IO when proc_root cannot be listed. */
HC_MUST_CHECK hc_result host_sockets_scan(const char *proc_root, struct host_socket_list *out);

void host_sockets_free(struct host_socket_list *l);

/* ---- Programs that link libssl (needed.c) ----------------------------------------------- */

enum { HOST_SONAME_MAX = 64 };

/* What an ELF file needs of OpenSSL. needs_* are the DT_NEEDED names as written
 * ("libssl.so.3"), "" when not needed. */
struct host_elf_needs {
    bool is_elf;
    char needs_ssl[HOST_SONAME_MAX];
    char needs_crypto[HOST_SONAME_MAX];
    size_t needed_count; /* DT_NEEDED entries in all */
};

/* Reads the DT_NEEDED entries of the file at path (32/64-bit, either endianness). A file that
 * is not ELF is not an error: HC_SUCCESS with is_elf false, having read at most 4 KiB.
 * Errors: HC_ERR_IO (cannot open or read), HC_ERR_SHORT (ELF but truncated or corrupt, libelf
 * refused it). */
HC_MUST_CHECK hc_result host_elf_needs_read(const char *path, struct host_elf_needs *out);

/* Same, on an open file descriptor (not closed, file offset not used). */
HC_MUST_CHECK hc_result host_elf_needs_read_fd(int fd, struct host_elf_needs *out);

struct host_linker {
    char *path; /* inside root: "/usr/bin/curl" (prefix root to open it) */
    struct host_elf_needs needs;
};

struct host_linker_list {
    struct host_linker *items; /* in walk order */
    size_t count;
    size_t files_checked; /* files opened */
    size_t errors;        /* unreadable or corrupt files, skipped */
};

/* Walks, under root ("/" or a mounted image): /usr/bin /usr/sbin /usr/local/bin
 * /usr/local/sbin /usr/libexec, /usr/lib (its .so files and every /usr/lib/X/ one level deep:
 * files with ".so" in their names in multiarch dirs such as x86_64-linux-gnu, every file
 * elsewhere), /usr/lib64, then /bin /sbin /lib /lib64 the same way, and lists each ELF file
 * that needs libssl.so.* or libcrypto.so.*. Directories and files are deduplicated by device
 * and inode (merged /usr: /bin is /usr/bin, so /usr names win); symlinks are resolved inside
 * root (openat2 RESOLVE_IN_ROOT) after all real files, so a file is listed under its own name
 * when the walk also meets it directly. Unreadable or corrupt files are counted in errors.
 * Errors: HC_ERR_IO when root cannot be opened, HC_ERR_NOMEM. */
HC_MUST_CHECK hc_result host_linkers_scan(const char *root, struct host_linker_list *out);

void host_linkers_free(struct host_linker_list *l);

#endif
