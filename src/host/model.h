/* Private to src/host: what the audit found, as plain records. Collectors fill it, the plan is
 * derived from it (plan.c), and the output formats print it (report_host.c). */
#ifndef HC_HOST_MODEL_H
#define HC_HOST_MODEL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

enum host_verdict {
    HOST_VULNERABLE,     /* a vulnerable OpenSSL, by behaviour or by version without back-port */
    HOST_PATCHED,        /* affected upstream version, fix back-ported or heartbeat alive+checked */
    HOST_NOT_VULNERABLE, /* not an affected version, no heartbeats, or refuses heartbeats */
    HOST_UNKNOWN,        /* not enough evidence */
};

/* How a verdict was reached, strongest first: the behaviour of the code beats the words of
 * its version string, which beat the package database. */
enum host_basis {
    BASIS_BEHAVIOUR,
    BASIS_BUILD,   /* compiled with OPENSSL_NO_HEARTBEATS */
    BASIS_VERSION, /* upstream version outside 1.0.1-1.0.1f / 1.0.2-beta1 */
    BASIS_PACKAGE, /* distribution back-port table or changelog */
    BASIS_NONE,
};

enum copy_kind {
    COPY_SHARED, /* libssl/libcrypto on disk, found by the dynamic linker's paths */
    COPY_STATIC, /* OpenSSL linked into another ELF file (--deep) */
    COPY_MAPPED, /* only in a running process: deleted or replaced on disk */
};

struct audit_copy {
    enum copy_kind kind;
    char path[PATH_MAX];      /* as the linker or the process sees it */
    char read_path[PATH_MAX]; /* where its bytes can be read (map_files for deleted copies) */
    bool is_libssl;           /* libssl (the heartbeat code) rather than libcrypto */
    unsigned long long dev;   /* device and inode: how a process's mapping is matched */
    unsigned long long ino;
    long partner;     /* index of its libssl/libcrypto counterpart, -1 when none */
    char version[32]; /* "1.0.1f", "" when no banner */
    char banner[96];
    bool no_heartbeats;
    char package[128];       /* owning package, "" when none */
    char package_manager[8]; /* "dpkg" or "rpm" */
    char package_version[128];
    char package_evidence[256];          /* back-port table or changelog */
    bool package_fixed;                  /* the distribution says the fix is in */
    bool behaviour_ran;                  /* the library was loaded and probed in a child */
    enum host_verdict behaviour_verdict; /* HOST_UNKNOWN when the child failed */
    char behaviour[256];                 /* what the zero-leak probe through memory BIOs showed */
    enum host_verdict verdict;
    enum host_basis basis;
    char reason[256];
};

struct audit_socket {
    bool tcp;
    char address[64]; /* as bound: "0.0.0.0", "::", "127.0.0.1" */
    uint16_t port;
    bool loopback_only;
    bool probed;
    char verdict[32]; /* the scan's verdict for it, when probed */
    char reason[256];
};

struct audit_process {
    int pid;
    char comm[64];
    char exe[PATH_MAX];
    char cmdline[512];
    char unit[256];   /* systemd unit, "" when none */
    size_t copies[8]; /* indexes into host_findings.copies of the TLS libraries it maps */
    size_t ncopies;
    bool maps_vulnerable; /* a vulnerable copy, or a listening socket that answered the probe */
    bool answers_probe;   /* a socket answered vulnerable with no vulnerable shared copy mapped:
                             the program carries its own TLS code */
    bool maps_stale;      /* a deleted or replaced library: restart needed */
    struct audit_socket *sockets;
    size_t nsockets;
};

/* A key's age against the OpenSSL fix (issue 8): a key that served while the library was
 * vulnerable may have leaked, one made after the fixed package was installed did not. */
enum key_age {
    KEY_AGE_UNKNOWN,    /* no file time, not in use by a service, or no fix in the dpkg logs */
    KEY_AGE_BEFORE_FIX, /* its file last changed before the fixed package was installed */
    KEY_AGE_AFTER_FIX,
};

/* When this machine's libssl was fixed, from the dpkg logs: the install of the first fixed
 * package version after the last vulnerable one (the latest such moment over its libssl
 * packages). */
struct audit_fix {
    bool known;
    time_t when;
    char package[128];
    char version[128];
};

struct audit_cert {
    char service[32]; /* nginx, apache, postfix, dovecot, mariadb; "" when only found in /etc */
    char cert_path[PATH_MAX];
    char key_path[PATH_MAX];
    char subject[512];
    char not_before[32];
    char spki_sha256[65];
    bool exposed_while_vulnerable; /* its service listened beyond loopback with a vulnerable lib */
    time_t key_mtime;              /* of the key file (else the certificate file); 0 when unknown */
    enum key_age key_age;
};

struct audit_program {
    char path[PATH_MAX];
    char package[128]; /* owning package: what to rebuild or update; "" when none */
};

struct audit_findings {
    char hostname[256];
    bool root; /* ran with the privileges to see everything */
    char root_dir[PATH_MAX];
    unsigned unseen_processes; /* could not be inspected (permissions, vanished) */
    struct audit_copy *copies;
    size_t ncopies;
    struct audit_process *processes;
    size_t nprocesses;
    struct audit_program *programs; /* ELF files that link libssl or libcrypto */
    size_t nprograms;
    struct audit_cert *certs;
    size_t ncerts;
    struct audit_fix fix;
    struct audit_socket *unowned_sockets; /* listening, owner not visible */
    size_t nunowned;
};

enum plan_action {
    PLAN_UPGRADE,    /* upgrade a package */
    PLAN_REBUILD,    /* a program with a vulnerable static copy */
    PLAN_RESTART,    /* a process or unit running a vulnerable or stale library */
    PLAN_ROTATE_KEY, /* new key, new certificate */
    PLAN_REVOKE,     /* revoke the old certificate */
    PLAN_RESET,      /* passwords and sessions of an exposed service */
    PLAN_KEEP_LOGS,  /* evidence for the investigation */
    PLAN_VERIFY,     /* run heartcheck again */
};

struct plan_step {
    enum plan_action action;
    char subject[PATH_MAX]; /* package, unit, path... */
    char command[512];      /* a command that does it, when there is one */
    char why[256];
};

struct host_plan {
    struct plan_step *steps;
    size_t nsteps;
};

/* Output (report_host.c): text sections for people, JSON Lines (docs/json.md, "host"). */
struct host_output {
    bool json;
    bool verbose;
    bool color;
};
void host_report(FILE *out, const struct audit_findings *f, const struct host_plan *plan,
                 const struct host_output *o);

/* Builds the ordered remediation plan from the findings. */
int host_plan_build(const struct audit_findings *f, struct host_plan *out); /* 0 or -1 (ENOMEM) */
void host_plan_free(struct host_plan *p);
const char *host_plan_action_name(enum plan_action a); /* "upgrade", "restart"... */
const char *host_verdict_name(enum host_verdict v);    /* "vulnerable"... */
const char *host_basis_name(enum host_basis b);        /* "behaviour"... */
const char *host_key_age_name(enum key_age a);         /* "before_fix", NULL when unknown */

#endif
