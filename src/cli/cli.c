#include "cli/cli.h"

#include "clients/clients.h"
#include "host/host.h"
#include "pcap/pcap.h"
#include "proto/proto.h"
#include "scan/scan.h"
#include "targets/targets.h"
#include "verify/verify.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#ifndef HEARTCHECK_VERSION
#define HEARTCHECK_VERSION "0.1.0"
#endif

static const char main_usage[] =
    "Usage: heartcheck COMMAND [OPTIONS]\n"
    "\n"
    "Answers the Heartbleed (CVE-2014-0160) questions without reading anyone's memory.\n"
    "\n"
    "Commands:\n"
    "  host             (the default) is this machine affected, and what must I do?\n"
    "  scan TARGET...   is this TLS server vulnerable? (zero-leak probe)\n"
    "  verify --baseline FILE [TARGET...]\n"
    "                   was the remediation done? (fixed, new key, new certificate)\n"
    "  pcap FILE...     was I attacked, did anything leak? (packet captures)\n"
    "  watch -i IFACE   the same, live\n"
    "  clients          which TLS clients that connect here leak their memory?\n"
    "\n"
    "Run 'heartcheck COMMAND --help' for a command's options; 'man heartcheck' for more.\n";

static const char host_usage[] =
    "Usage: heartcheck [host] [OPTIONS]\n"
    "\n"
    "Audits this machine: every OpenSSL copy (shared libraries, copies running processes\n"
    "still map, static copies with --deep), judged by its behaviour: each libssl is loaded\n"
    "in a child process and given the zero-leak probe through memory. Then the processes\n"
    "that run one, their listening sockets (probed like 'heartcheck scan'), the programs\n"
    "that link libssl, the certificates and keys in use, and the plan: what to upgrade,\n"
    "restart, rotate, revoke and reset, in order.\n"
    "\n"
    "Options:\n"
    "      --root DIR        audit a mounted image or container tree (no processes)\n"
    "      --deep PATH       also search ELF files under PATH for static copies\n"
    "                        (repeatable)\n"
    "      --pid PID         only this process and its sockets (repeatable)\n"
    "      --probe-all       also probe sockets of processes without a TLS library\n"
    "      --no-probe        no self-scan and no behavioural test (versions only)\n"
    "  -t, --timeout SEC     deadline per probe (5)\n"
    "  -j, --json            JSON Lines, one object per finding (docs/json.md)\n"
    "  -v, --verbose         everything, not only what needs attention\n"
    "  -q, --quiet           no warnings on stderr\n"
    "      --color WHEN      auto (default: on a terminal), always, never\n"
    "  -h, --help            this help\n"
    "\n"
    "Run as root to see every process, socket and key.\n"
    "Exit status: 0 nothing to do, 1 something vulnerable or needing a restart, 2 error.\n";

static const char *current_command = "";

static const char scan_usage[] =
    "Usage: heartcheck scan [OPTIONS] TARGET...\n"
    "\n"
    "Probes each TLS server for Heartbleed with a heartbeat that reads none of its memory:\n"
    "16381 bytes that claim exactly their own length, without padding. A vulnerable OpenSSL\n"
    "echoes them; a patched one drops them. Thousands of targets are probed at once.\n"
    "\n"
    "Targets: host, host:port, [IPv6]:port, IPv4/IPv6 addresses, networks (10.0.0.0/16,\n"
    "2001:db8::/120), ranges (10.0.0.1-10.0.3.255, 10.0.0.1-20), '-' for standard input.\n"
    "dtls:// before any of them probes DTLS over UDP (dtls://vpn.example.com:4433).\n"
    "Networks and ranges are visited in a random order, in constant memory.\n"
    "\n"
    "Targets:\n"
    "  -p, --port PORTS      ports for addresses without one: 443,8443,9000-9010 (443)\n"
    "  -iL, --input-list F   targets from a file, one per line (zmap output works); repeatable\n"
    "      --exclude SPEC    never probe these addresses (address, network, range); repeatable\n"
    "      --exclude-file F  the same, one per line\n"
    "      --shard I/N       probe part I of N disjoint parts (needs --seed)\n"
    "      --seed N          the order of the space (random by default)\n"
    "      --dry-run         print the targets, probe nothing\n"
    "Probing:\n"
    "  -t, --timeout SEC     deadline per target, every attempt included (5)\n"
    "  -c, --concurrency N   targets probed at once (1024, fitted to the open-file limit)\n"
    "      --rate N          new connections per second, smooth (0: unlimited, the default)\n"
    "      --retries N       retry targets whose connection was lost before any reply (0)\n"
    "      --max-version V   highest version offered first: tls1.2 (default), tls1.1,\n"
    "                        tls1.0, ssl3; lower ones are tried when the server refuses\n"
    "      --sni NAME        send this server name to every target\n"
    "      --no-sni          never send a server name\n"
    "      --starttls PROTO  the dialogue before TLS: smtp, lmtp, imap, pop3, ftp, xmpp,\n"
    "                        xmpp-server, ldap, postgres, mysql, nntp, irc, sieve; 'auto'\n"
    "                        (default) picks it by port (25, 587 smtp; 143 imap; 110 pop3;\n"
    "                        21 ftp; 5222/5269 xmpp; 389 ldap; 5432 postgres; 3306 mysql;\n"
    "                        119 nntp; 6667 irc; 4190 sieve), 'none' never uses one\n"
    "      --xmpp-domain D   the XMPP domain to ask for (default: the target's name)\n"
    "      --udp             DTLS 1.2/1.0 over UDP for every target (one target: "
    "dtls://HOST:PORT);\n"
    "                        heartbeats claim at most 16365 bytes: more would crash a\n"
    "                        vulnerable DTLS server (--leak N then reads at most 16349)\n"
    "      --openvpn         TLS inside OpenVPN's control channel, over TCP; port 1194 by\n"
    "                        default. Without its tls-auth/tls-crypt key: a server that\n"
    "                        requires one does not answer, and is reported inconclusive\n"
    "      --openvpn-udp     the same over UDP\n"
    "      --leak N          forensics: over-read N bytes (1..65519) of server memory;\n"
    "                        counted, never printed\n"
    "      --dump FILE       write the leaked bytes to FILE (mode 0600); needs --leak\n"
    "      --confirm         prove the over-read itself with a one-byte over-read (for\n"
    "                        stacks that skip the padding check but bound the copy)\n"
    "Output:\n"
    "  -j, --json            JSON Lines on stdout, one object per target (docs/json.md)\n"
    "  -o, --output FILE     also write every result to FILE as JSON Lines\n"
    "      --resume FILE     skip the targets FILE already holds, append the rest to it\n"
    "  -v, --verbose         evidence under each result: TLS, alert, certificate\n"
    "  -q, --quiet           no summary, no progress line\n"
    "      --no-progress     no progress line on a terminal\n"
    "      --color WHEN      auto (default: on a terminal), always, never\n"
    "  -h, --help            this help\n"
    "\n"
    "Verdicts: vulnerable, patched, not_vulnerable, not_tls, unreachable, inconclusive.\n"
    "Exit status: 0 nothing vulnerable, 1 something vulnerable, 2 usage or runtime error\n"
    "(also: a name that does not resolve), 3 nothing vulnerable but some inconclusive.\n";

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("heartcheck: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'heartcheck %s--help'.\n", current_command);
    return EXIT_ERROR;
}

static bool parse_seconds(const char *s, uint32_t *ms)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < 0.05 || v > 3600)
        return false;
    *ms = (uint32_t)(v * 1000.0 + 0.5);
    return true;
}

/* The engine fits this to the open-file limit, after raising that limit when it may. */
enum { DEFAULT_CONCURRENCY = 1024 };

enum {
    OPT_MAX_VERSION = 256,
    OPT_SNI,
    OPT_NO_SNI,
    OPT_UDP,
    OPT_LEAK,
    OPT_DUMP,
    OPT_CONFIRM,
    OPT_COLOR,
    OPT_INPUT_LIST,
    OPT_EXCLUDE,
    OPT_EXCLUDE_FILE,
    OPT_SHARD,
    OPT_SEED,
    OPT_DRY_RUN,
    OPT_RATE,
    OPT_RETRIES,
    OPT_RESUME,
    OPT_NO_PROGRESS,
    OPT_STARTTLS,
    OPT_XMPP_DOMAIN,
    OPT_OPENVPN,
    OPT_OPENVPN_UDP,
};

static const struct option scan_long_options[] = {
    {"port", required_argument, NULL, 'p'},
    {"timeout", required_argument, NULL, 't'},
    {"concurrency", required_argument, NULL, 'c'},
    {"max-version", required_argument, NULL, OPT_MAX_VERSION},
    {"sni", required_argument, NULL, OPT_SNI},
    {"no-sni", no_argument, NULL, OPT_NO_SNI},
    {"starttls", required_argument, NULL, OPT_STARTTLS},
    {"xmpp-domain", required_argument, NULL, OPT_XMPP_DOMAIN},
    {"udp", no_argument, NULL, OPT_UDP},
    {"leak", required_argument, NULL, OPT_LEAK},
    {"dump", required_argument, NULL, OPT_DUMP},
    {"confirm", no_argument, NULL, OPT_CONFIRM},
    {"json", no_argument, NULL, 'j'},
    {"verbose", no_argument, NULL, 'v'},
    {"quiet", no_argument, NULL, 'q'},
    {"color", required_argument, NULL, OPT_COLOR},
    {"input-list", required_argument, NULL, OPT_INPUT_LIST},
    {"exclude", required_argument, NULL, OPT_EXCLUDE},
    {"exclude-file", required_argument, NULL, OPT_EXCLUDE_FILE},
    {"shard", required_argument, NULL, OPT_SHARD},
    {"seed", required_argument, NULL, OPT_SEED},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"rate", required_argument, NULL, OPT_RATE},
    {"retries", required_argument, NULL, OPT_RETRIES},
    {"output", required_argument, NULL, 'o'},
    {"resume", required_argument, NULL, OPT_RESUME},
    {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
    {"openvpn", no_argument, NULL, OPT_OPENVPN},
    {"openvpn-udp", no_argument, NULL, OPT_OPENVPN_UDP},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Repeatable options collect their argv strings here (at most argc of each). */
struct scan_lists {
    char **inputs, **excludes, **exclude_files;
};

struct scan_cli {
    struct scan_options opt;
    struct scan_lists lists;
    const char *color;
    bool help;
    bool confirm;
};

static bool want_color(const char *when, bool text)
{
    if (strcmp(when, "always") == 0)
        return true;
    return strcmp(when, "auto") == 0 && text && isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
}

static bool valid_color(const char *when)
{
    return !strcmp(when, "auto") || !strcmp(when, "always") || !strcmp(when, "never");
}

/* The options of mass scanning. Returns -1 to go on, or an exit status. */
static int scan_space_option(struct scan_cli *c, int ch, const char *arg)
{
    struct scan_options *o = &c->opt;
    unsigned long v;
    switch (ch) {
    case OPT_INPUT_LIST: c->lists.inputs[o->input_count++] = (char *)arg; return -1;
    case OPT_EXCLUDE: c->lists.excludes[o->exclude_count++] = (char *)arg; return -1;
    case OPT_EXCLUDE_FILE: c->lists.exclude_files[o->exclude_file_count++] = (char *)arg; return -1;
    case OPT_SHARD: {
        char err[256];
        if (!hc_ok(targets_shard_parse(arg, &o->shard_index, &o->shard_count, err, sizeof err)))
            return usage_error("--shard: %s", err);
        return -1;
    }
    case OPT_SEED:
        if (!hc_parse_uint(arg, 0, ULONG_MAX, &v))
            return usage_error("--seed: '%s' is not a number", arg);
        o->seed = v;
        o->seed_given = true;
        return -1;
    case OPT_DRY_RUN: o->dry_run = true; return -1;
    case OPT_RATE:
        if (!hc_parse_uint(arg, 0, 10000000, &v))
            return usage_error("--rate: '%s' is not a number of connections per second", arg);
        o->engine.rate = (uint32_t)v;
        return -1;
    case OPT_RETRIES:
        if (!hc_parse_uint(arg, 0, 10, &v))
            return usage_error("--retries: '%s' is not a number from 0 to 10", arg);
        o->engine.retries = (unsigned)v;
        return -1;
    case 'o': o->output_path = arg; return -1;
    case OPT_RESUME: o->resume_path = arg; return -1;
    case OPT_NO_PROGRESS: o->progress = false; return -1;
    default: return usage_error("%s", "unknown option or missing argument");
    }
}

/* --starttls auto|none|PROTO. Returns -1 to go on, or an exit status. */
static int starttls_option(struct engine_config *e, const char *arg)
{
    e->starttls = NULL;
    e->starttls_auto = strcmp(arg, "auto") == 0;
    if (e->starttls_auto || strcmp(arg, "none") == 0)
        return -1;
    e->starttls = proto_find(arg);
    if (e->starttls)
        return -1;
    char names[512] = "";
    size_t count;
    const struct prelude_desc *const *all = proto_all(&count);
    for (size_t i = 0; i < count; i++) {
        size_t at = strlen(names);
        snprintf(names + at, sizeof names - at, "%s%s", i ? ", " : "", all[i]->name);
    }
    return usage_error("--starttls: '%s' is not auto, none or one of %s", arg, names);
}

/* Returns -1 to go on, or an exit status. */
static int scan_option(struct scan_cli *c, int ch, const char *arg)
{
    struct scan_options *o = &c->opt;
    unsigned long v;
    switch (ch) {
    case 'p': o->ports = arg; return -1; /* checked with the targets */
    case 't':
        if (!parse_seconds(arg, &o->engine.timeout_ms))
            return usage_error("--timeout: '%s' is not a number of seconds (0.05 to 3600)", arg);
        return -1;
    case 'c':
        if (!hc_parse_uint(arg, 1, 100000, &v))
            return usage_error("--concurrency: '%s' is not a number from 1 to 100000", arg);
        o->engine.concurrency = (unsigned)v;
        return -1;
    case OPT_MAX_VERSION:
        if (!tls_version_parse(arg, &o->engine.max_version))
            return usage_error("--max-version: '%s' is not ssl3, tls1.0, tls1.1 or tls1.2", arg);
        return -1;
    case OPT_SNI:
        if (!*arg || strlen(arg) > 255)
            return usage_error("--sni: '%s' is not a server name", arg);
        o->engine.sni_override = arg;
        return -1;
    case OPT_NO_SNI: o->engine.sni = false; return -1;
    case OPT_STARTTLS: return starttls_option(&o->engine, arg);
    case OPT_XMPP_DOMAIN:
        if (!*arg || strlen(arg) >= PRELUDE_DOMAIN_MAX)
            return usage_error("--xmpp-domain: '%s' is not a domain", arg);
        o->engine.xmpp_domain = arg;
        return -1;
    case OPT_UDP: o->engine.transport = PROBE_DTLS; return -1;
    case OPT_OPENVPN: o->engine.transport = PROBE_OPENVPN_TCP; return -1;
    case OPT_OPENVPN_UDP: o->engine.transport = PROBE_OPENVPN_UDP; return -1;
    case OPT_LEAK:
        if (!hc_parse_uint(arg, 1, PROBE_MAX_LEAK, &v))
            return usage_error("--leak: '%s' is not a byte count from 1 to %d", arg,
                               PROBE_MAX_LEAK);
        o->engine.leak_bytes = (uint32_t)v;
        return -1;
    case OPT_DUMP: o->dump_path = arg; return -1;
    case OPT_CONFIRM: c->confirm = true; return -1;
    case 'j': o->format = &report_json; return -1;
    case 'v': o->report.verbose = true; return -1;
    case 'q': o->quiet = true; return -1;
    case OPT_COLOR:
        if (!valid_color(arg))
            return usage_error("--color: '%s' is not auto, always or never", arg);
        c->color = arg;
        return -1;
    case 'h': c->help = true; return -1;
    default: return scan_space_option(c, ch, arg);
    }
}

/* nmap's and masscan's spelling, "-iL FILE", is not a getopt short option: renamed first. */
static void rename_input_list(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "-iL") == 0)
            argv[i] = "--input-list";
}

static int scan_checked(struct scan_cli *c, int argc, char **argv)
{
    if (c->help) {
        fputs(scan_usage, stdout);
        return EXIT_CLEAN;
    }
    struct scan_options *o = &c->opt;
    if (optind >= argc && o->input_count == 0)
        return usage_error("%s", "scan: no target given");
    if (o->shard_count > 1 && !o->seed_given)
        return usage_error("%s", "--shard needs --seed: every shard must use the same order");
    if (o->output_path && o->resume_path)
        return usage_error("%s", "--resume FILE appends to FILE: give it without --output");
    if (c->confirm && !o->engine.leak_bytes)
        o->engine.leak_bytes = 1; /* sent 16380, claimed 16381: only an over-read answers */
    if (o->dump_path && !o->engine.leak_bytes)
        return usage_error("%s", "--dump needs --leak N: the default probe leaks nothing");
    bool openvpn =
        o->engine.transport == PROBE_OPENVPN_TCP || o->engine.transport == PROBE_OPENVPN_UDP;
    if (openvpn && !o->ports)
        o->ports = "1194"; /* OpenVPN's IANA port */
    o->targets = argv + optind;
    o->target_count = (size_t)(argc - optind);
    o->input_files = c->lists.inputs;
    o->excludes = c->lists.excludes;
    o->exclude_files = c->lists.exclude_files;
    o->report.color = want_color(c->color, o->format == &report_text);
    return scan_run(o);
}

static int scan_command(int argc, char **argv)
{
    current_command = "scan ";
    rename_input_list(argc, argv);
    size_t n = (size_t)argc + 1;
    struct scan_cli c = {
        .lists = {calloc(n, sizeof(char *)), calloc(n, sizeof(char *)), calloc(n, sizeof(char *))},
        .opt = {.progress = true,
                .engine = {.timeout_ms = 5000,
                           .followup_ms = 100,
                           .max_version = TLS_VERSION_TLS12,
                           .concurrency = DEFAULT_CONCURRENCY,
                           .sni = true,
                           .starttls_auto = true},
                .format = &report_text},
        .color = "auto",
    };
    int status = -1, ch;
    if (!c.lists.inputs || !c.lists.excludes || !c.lists.exclude_files)
        status = EXIT_ERROR;
    optind = 1;
    opterr = 1;
    while (status < 0 &&
           (ch = getopt_long(argc, argv, "p:t:c:o:jvqh", scan_long_options, NULL)) != -1)
        status = scan_option(&c, ch, optarg);
    if (status < 0)
        status = scan_checked(&c, argc, argv);
    free(c.lists.inputs);
    free(c.lists.excludes);
    free(c.lists.exclude_files);
    return status;
}

enum { OPT_ROOT = 300, OPT_DEEP, OPT_PID, OPT_PROBE_ALL, OPT_NO_PROBE, OPT_HOST_COLOR };

static const struct option host_long_options[] = {
    {"root", required_argument, NULL, OPT_ROOT},
    {"deep", required_argument, NULL, OPT_DEEP},
    {"pid", required_argument, NULL, OPT_PID},
    {"probe-all", no_argument, NULL, OPT_PROBE_ALL},
    {"no-probe", no_argument, NULL, OPT_NO_PROBE},
    {"timeout", required_argument, NULL, 't'},
    {"json", no_argument, NULL, 'j'},
    {"verbose", no_argument, NULL, 'v'},
    {"quiet", no_argument, NULL, 'q'},
    {"color", required_argument, NULL, OPT_HOST_COLOR},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

struct host_cli {
    struct host_options opt;
    char **deep; /* argv strings, collected from repeated --deep */
    int *pids;
    const char *color;
    bool help;
};

/* Returns -1 to go on, or an exit status. */
static int host_option(struct host_cli *c, int ch, char *arg, size_t max_deep)
{
    struct host_options *o = &c->opt;
    switch (ch) {
    case OPT_ROOT:
        if (!*arg)
            return usage_error("%s", "--root: empty directory");
        o->root = arg;
        return -1;
    case OPT_DEEP:
        if (o->ndeep == max_deep)
            return usage_error("%s", "--deep: too many paths");
        c->deep[o->ndeep++] = arg;
        return -1;
    case OPT_PID: {
        unsigned long v;
        if (!hc_parse_uint(arg, 1, INT_MAX, &v))
            return usage_error("--pid: '%s' is not a process id", arg);
        c->pids[o->npids++] = (int)v; /* at most argc of them */
        return -1;
    }
    case OPT_PROBE_ALL: o->probe_all = true; return -1;
    case OPT_NO_PROBE: o->no_probe = true; return -1;
    case 't':
        if (!parse_seconds(arg, &o->timeout_ms))
            return usage_error("--timeout: '%s' is not a number of seconds (0.05 to 3600)", arg);
        return -1;
    case 'j': o->json = true; return -1;
    case 'v': o->verbose = true; return -1;
    case 'q': o->quiet = true; return -1;
    case OPT_HOST_COLOR:
        if (!valid_color(arg))
            return usage_error("--color: '%s' is not auto, always or never", arg);
        c->color = arg;
        return -1;
    case 'h': c->help = true; return -1;
    default: return usage_error("%s", "unknown option or missing argument");
    }
}

/* argv[0] is "host" or the program itself (no command: the host audit is the default). */
static int host_command(int argc, char **argv)
{
    current_command = "host ";
    struct host_cli c = {
        .opt = {.root = "/", .timeout_ms = 5000},
        .color = "auto",
        .deep = calloc((size_t)argc + 1, sizeof(char *)),
        .pids = calloc((size_t)argc + 1, sizeof(int)),
    };
    if (!c.deep || !c.pids) {
        free(c.deep);
        free(c.pids);
        return EXIT_ERROR;
    }
    optind = 1;
    opterr = 1;
    int ch, status = -1;
    while (status < 0 && (ch = getopt_long(argc, argv, "t:jvqh", host_long_options, NULL)) != -1)
        status = host_option(&c, ch, optarg, (size_t)argc);
    if (status < 0 && optind < argc)
        status = usage_error("host: unexpected argument '%s'", argv[optind]);
    if (status < 0 && c.help) {
        fputs(host_usage, stdout);
        status = EXIT_CLEAN;
    }
    if (status < 0) {
        c.opt.deep = c.deep;
        c.opt.pids = c.pids;
        c.opt.color = want_color(c.color, !c.opt.json);
        status = host_run(&c.opt);
    }
    free(c.deep);
    free(c.pids);
    return status;
}

static const char verify_usage[] =
    "Usage: heartcheck verify --baseline FILE [OPTIONS] [TARGET...]\n"
    "\n"
    "Probes every target of an earlier result again (or only the TARGETs named) and tells\n"
    "whether the remediation was done: the fix alone is not enough when the server was\n"
    "vulnerable, its private key may have leaked and must be replaced, with a certificate\n"
    "issued for the NEW key and the old one revoked.\n"
    "\n"
    "The baseline: 'heartcheck scan --json' results, or 'heartcheck host --json' (its probed\n"
    "listening sockets are targets; the keys of its exposed certificates must not return).\n"
    "Each target is probed with the STARTTLS dialogue the baseline recorded.\n"
    "\n"
    "Options:\n"
    "  -b, --baseline FILE   the earlier JSON Lines ('-': standard input); required\n"
    "      --crl FILE        CRLs (PEM or DER) to look the old certificates up in; repeatable\n"
    "  -t, --timeout SEC     deadline per target, every attempt included (5)\n"
    "  -c, --concurrency N   targets probed at once (1024, fitted to the open-file limit)\n"
    "      --max-version V   highest version offered first: tls1.2 (default) ... ssl3\n"
    "      --no-sni          never send a server name\n"
    "      --xmpp-domain D   the XMPP domain to ask for (default: the target's name)\n"
    "  -j, --json            JSON Lines on stdout, one object per target (docs/json.md)\n"
    "  -v, --verbose         the baseline's and today's certificate under each result\n"
    "  -q, --quiet           no summary\n"
    "      --color WHEN      auto (default: on a terminal), always, never\n"
    "  -h, --help            this help\n"
    "\n"
    "Results: rotated, never_vulnerable (done); still_vulnerable, newly_vulnerable,\n"
    "not_rotated (same certificate), same_key (new certificate, old key) (to do);\n"
    "unreachable, inconclusive, not_tls, no_baseline_cert, no_current_cert,\n"
    "baseline_undecided (could not tell).\n"
    "Exit status: 0 every target rotated or never vulnerable, 1 something left to do,\n"
    "2 usage or I/O error (a bad baseline line is named FILE:LINE), 3 only could-not-tell left.\n";

enum {
    OPT_CRL = 400,
    OPT_VERIFY_MAX_VERSION,
    OPT_VERIFY_NO_SNI,
    OPT_VERIFY_XMPP,
    OPT_VERIFY_COLOR
};

static const struct option verify_long_options[] = {
    {"baseline", required_argument, NULL, 'b'},
    {"crl", required_argument, NULL, OPT_CRL},
    {"timeout", required_argument, NULL, 't'},
    {"concurrency", required_argument, NULL, 'c'},
    {"max-version", required_argument, NULL, OPT_VERIFY_MAX_VERSION},
    {"no-sni", no_argument, NULL, OPT_VERIFY_NO_SNI},
    {"xmpp-domain", required_argument, NULL, OPT_VERIFY_XMPP},
    {"json", no_argument, NULL, 'j'},
    {"verbose", no_argument, NULL, 'v'},
    {"quiet", no_argument, NULL, 'q'},
    {"color", required_argument, NULL, OPT_VERIFY_COLOR},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

struct verify_cli {
    struct verify_options opt;
    char **crls; /* argv strings, collected from repeated --crl */
    const char *color;
    bool help;
};

/* Returns -1 to go on, or an exit status. */
static int verify_option(struct verify_cli *c, int ch, const char *arg)
{
    struct verify_options *o = &c->opt;
    unsigned long v;
    switch (ch) {
    case 'b': o->baseline_path = arg; return -1;
    case OPT_CRL: c->crls[o->crl_count++] = (char *)arg; return -1; /* at most argc of them */
    case 't':
        if (!parse_seconds(arg, &o->engine.timeout_ms))
            return usage_error("--timeout: '%s' is not a number of seconds (0.05 to 3600)", arg);
        return -1;
    case 'c':
        if (!hc_parse_uint(arg, 1, 100000, &v))
            return usage_error("--concurrency: '%s' is not a number from 1 to 100000", arg);
        o->engine.concurrency = (unsigned)v;
        return -1;
    case OPT_VERIFY_MAX_VERSION:
        if (!tls_version_parse(arg, &o->engine.max_version))
            return usage_error("--max-version: '%s' is not ssl3, tls1.0, tls1.1 or tls1.2", arg);
        return -1;
    case OPT_VERIFY_NO_SNI: o->engine.sni = false; return -1;
    case OPT_VERIFY_XMPP:
        if (!*arg || strlen(arg) >= PRELUDE_DOMAIN_MAX)
            return usage_error("--xmpp-domain: '%s' is not a domain", arg);
        o->engine.xmpp_domain = arg;
        return -1;
    case 'j': o->json = true; return -1;
    case 'v': o->verbose = true; return -1;
    case 'q': o->quiet = true; return -1;
    case OPT_VERIFY_COLOR:
        if (!valid_color(arg))
            return usage_error("--color: '%s' is not auto, always or never", arg);
        c->color = arg;
        return -1;
    case 'h': c->help = true; return -1;
    default: return usage_error("%s", "unknown option or missing argument");
    }
}

static int verify_checked(struct verify_cli *c, int argc, char **argv)
{
    if (c->help) {
        fputs(verify_usage, stdout);
        return EXIT_CLEAN;
    }
    if (!c->opt.baseline_path)
        return usage_error("%s", "verify: --baseline FILE is required (scan --json results)");
    c->opt.only = argv + optind;
    c->opt.only_count = (size_t)(argc - optind);
    c->opt.crl_paths = c->crls;
    c->opt.color = want_color(c->color, !c->opt.json);
    return verify_run(&c->opt);
}

static int verify_command(int argc, char **argv)
{
    current_command = "verify ";
    struct verify_cli c = {
        .opt = {.engine = {.timeout_ms = 5000,
                           .followup_ms = 100,
                           .max_version = TLS_VERSION_TLS12,
                           .concurrency = DEFAULT_CONCURRENCY,
                           .sni = true}},
        .crls = calloc((size_t)argc + 1, sizeof(char *)),
        .color = "auto",
    };
    if (!c.crls)
        return EXIT_ERROR;
    optind = 1;
    opterr = 1;
    int ch, status = -1;
    while (status < 0 &&
           (ch = getopt_long(argc, argv, "b:t:c:jvqh", verify_long_options, NULL)) != -1)
        status = verify_option(&c, ch, optarg);
    if (status < 0)
        status = verify_checked(&c, argc, argv);
    free(c.crls);
    return status;
}

static const char pcap_usage[] =
    "Usage: heartcheck pcap [OPTIONS] FILE...\n"
    "\n"
    "Reads packet captures (pcap or pcapng; '-' for standard input) and reports every\n"
    "Heartbleed attempt and every leak, in both directions: over-reading heartbeat requests\n"
    "(attacks), requests without padding (harmless probes), responses that prove the peer\n"
    "vulnerable with the bytes of memory that left, and encrypted heartbeats whose response\n"
    "outgrows its request. Any port, STARTTLS, DTLS; IPv4, IPv6, fragments, VLANs.\n"
    "\n"
    "Options:\n"
    "      --extract DIR     write each event's leaked bytes to a new file in DIR (mode 0600)\n"
    "      --max-flows N     connections followed at once (1048576)\n"
    "  -j, --json            JSON Lines, one object per event and per victim (docs/json.md)\n"
    "  -q, --quiet           events only, no summary\n"
    "      --color WHEN      auto (default: on a terminal), always, never\n"
    "  -h, --help            this help\n"
    "\n"
    "Leaked bytes are never printed. Exit status: 0 nothing leaked, 1 a peer leaked memory or\n"
    "answered a malformed heartbeat (vulnerable), 2 error (a capture unreadable or cut short:\n"
    "the results so far are printed).\n";

static const char watch_usage[] =
    "Usage: heartcheck watch -i IFACE [OPTIONS] [BPF FILTER]\n"
    "\n"
    "Watches an interface live, like 'heartcheck pcap' on its traffic: each event is printed\n"
    "the moment it is seen; the summary follows on Ctrl-C (SIGINT) or SIGTERM. The filter is\n"
    "a tcpdump expression ('tcp port 443'). Needs the right to capture (root or\n"
    "CAP_NET_RAW).\n"
    "\n"
    "Options:\n"
    "  -i, --interface IFACE the interface (any: all of them)\n"
    "      --extract DIR     write each event's leaked bytes to a new file in DIR (mode 0600)\n"
    "      --max-flows N     connections followed at once (1048576)\n"
    "  -j, --json            JSON Lines, one object per event and per victim (docs/json.md)\n"
    "  -q, --quiet           events only, no summary\n"
    "      --color WHEN      auto (default: on a terminal), always, never\n"
    "  -h, --help            this help\n"
    "\n"
    "Exit status: 0 nothing leaked, 1 a peer leaked or proved vulnerable, 2 error.\n";

enum { OPT_EXTRACT = 400, OPT_MAX_FLOWS, OPT_TRAFFIC_COLOR };

static const struct option traffic_long_options[] = {
    {"interface", required_argument, NULL, 'i'},
    {"extract", required_argument, NULL, OPT_EXTRACT},
    {"max-flows", required_argument, NULL, OPT_MAX_FLOWS},
    {"json", no_argument, NULL, 'j'},
    {"quiet", no_argument, NULL, 'q'},
    {"color", required_argument, NULL, OPT_TRAFFIC_COLOR},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Returns -1 to go on, or an exit status. */
static int traffic_option(struct traffic_options *o, const char **color, bool *help, int ch,
                          char *arg, bool live)
{
    unsigned long v;
    switch (ch) {
    case 'i':
        if (!live)
            return usage_error("%s", "-i is for 'heartcheck watch'");
        o->interface = arg;
        return -1;
    case OPT_EXTRACT: o->extract_dir = arg; return -1;
    case OPT_MAX_FLOWS:
        if (!hc_parse_uint(arg, 1, 1UL << 26, &v))
            return usage_error("--max-flows: '%s' is not a number from 1 to %lu", arg, 1UL << 26);
        o->max_flows = v;
        return -1;
    case 'j': o->json = true; return -1;
    case 'q': o->quiet = true; return -1;
    case OPT_TRAFFIC_COLOR:
        if (!valid_color(arg))
            return usage_error("--color: '%s' is not auto, always or never", arg);
        *color = arg;
        return -1;
    case 'h': *help = true; return -1;
    default: return usage_error("%s", "unknown option or missing argument");
    }
}

/* The words after the options, joined with spaces: tcpdump's way of taking a filter. */
static char *join_words(int argc, char **argv)
{
    size_t n = 1;
    for (int i = 0; i < argc; i++)
        n += strlen(argv[i]) + 1;
    char *s = calloc(1, n);
    for (int i = 0; s && i < argc; i++) {
        if (i)
            strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

/* `pcap` (live false) and `watch` (live true). */
static int traffic_command(int argc, char **argv, bool live)
{
    current_command = live ? "watch " : "pcap ";
    struct traffic_options o = {0};
    const char *color = "auto";
    bool help = false;
    int ch, status = -1;
    optind = 1;
    opterr = 1;
    while (status < 0 &&
           (ch = getopt_long(argc, argv, live ? "i:jqh" : "jqh", traffic_long_options, NULL)) != -1)
        status = traffic_option(&o, &color, &help, ch, optarg, live);
    if (status >= 0)
        return status;
    if (help) {
        fputs(live ? watch_usage : pcap_usage, stdout);
        return EXIT_CLEAN;
    }
    o.color = want_color(color, !o.json);
    if (!live) {
        if (optind >= argc)
            return usage_error("%s", "pcap: no capture file given ('-' reads standard input)");
        o.files = argv + optind;
        o.file_count = (size_t)(argc - optind);
        return traffic_run(&o);
    }
    if (!o.interface)
        return usage_error("%s", "watch: -i IFACE is required");
    char *filter = optind < argc ? join_words(argc - optind, argv + optind) : NULL;
    if (optind < argc && !filter)
        return EXIT_ERROR;
    o.filter = filter;
    status = traffic_watch(&o);
    free(filter);
    return status;
}

static const char clients_usage[] =
    "Usage: heartcheck clients [OPTIONS]\n"
    "\n"
    "Plays a TLS server and tells which connecting clients leak their memory. Each client's\n"
    "ClientHello is answered with a ServerHello (its version, a suite it offered), at once\n"
    "the zero-leak heartbeat (16381 bytes claiming exactly those, no padding), then a\n"
    "certificate: a vulnerable OpenSSL client echoes our own bytes, a patched one drops them.\n"
    "\n"
    "Listening:\n"
    "  -l, --listen ADDR:PORT  where to listen: 127.0.0.1:8443 (default), [::1]:8443, ...\n"
    "      --proto PROTO     the server side of a dialogue before TLS: smtp, lmtp, imap,\n"
    "                        pop3, ftp, xmpp, xmpp-server, ldap, postgres, mysql, nntp,\n"
    "                        irc, sieve (default: TLS at once)\n"
    "      --name NAME       certificate CN and greeting name (localhost)\n"
    "      --cert FILE       present this PEM certificate instead of a self-signed one\n"
    "      --key FILE        its private key (checked against the certificate)\n"
    "  -t, --timeout SEC     deadline per connection (5)\n"
    "      --max-connections N  connections at once; more are closed at once (256)\n"
    "Stopping (default: until interrupted):\n"
    "      --exec CMD        run CMD against the listener ({host}, {port}, {url} substituted),\n"
    "                        report its connections and exit status; killed at the deadline\n"
    "      --once            stop after the first client's verdict\n"
    "      --max-clients N   stop after N verdicts\n"
    "      --duration SEC    stop listening after SEC seconds\n"
    "Forensics:\n"
    "      --leak N          over-read N bytes (1..65519) of client memory; counted, never\n"
    "                        printed\n"
    "      --dump FILE       write the leaked bytes to FILE (mode 0600); needs --leak\n"
    "Output:\n"
    "  -j, --json            JSON Lines on stdout, one object per client (docs/json.md)\n"
    "  -v, --verbose         evidence under each client: versions, suites, JA3, alert\n"
    "  -q, --quiet           no listening line, no summary\n"
    "      --color WHEN      auto (default: on a terminal), always, never\n"
    "  -h, --help            this help\n"
    "\n"
    "Verdicts: vulnerable, patched, not_vulnerable, not_tls, inconclusive.\n"
    "Exit status: 0 no vulnerable client, 1 a vulnerable client was seen, 2 usage or runtime\n"
    "error, 3 every verdict inconclusive.\n";

enum {
    OPT_C_PROTO = 400,
    OPT_C_NAME,
    OPT_C_CERT,
    OPT_C_KEY,
    OPT_C_MAX_CONNECTIONS,
    OPT_C_EXEC,
    OPT_C_ONCE,
    OPT_C_MAX_CLIENTS,
    OPT_C_DURATION,
    OPT_C_LEAK,
    OPT_C_DUMP,
    OPT_C_COLOR,
};

static const struct option clients_long_options[] = {
    {"listen", required_argument, NULL, 'l'},
    {"proto", required_argument, NULL, OPT_C_PROTO},
    {"name", required_argument, NULL, OPT_C_NAME},
    {"cert", required_argument, NULL, OPT_C_CERT},
    {"key", required_argument, NULL, OPT_C_KEY},
    {"timeout", required_argument, NULL, 't'},
    {"max-connections", required_argument, NULL, OPT_C_MAX_CONNECTIONS},
    {"exec", required_argument, NULL, OPT_C_EXEC},
    {"once", no_argument, NULL, OPT_C_ONCE},
    {"max-clients", required_argument, NULL, OPT_C_MAX_CLIENTS},
    {"duration", required_argument, NULL, OPT_C_DURATION},
    {"leak", required_argument, NULL, OPT_C_LEAK},
    {"dump", required_argument, NULL, OPT_C_DUMP},
    {"json", no_argument, NULL, 'j'},
    {"verbose", no_argument, NULL, 'v'},
    {"quiet", no_argument, NULL, 'q'},
    {"color", required_argument, NULL, OPT_C_COLOR},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

struct clients_cli {
    struct clients_options opt;
    const char *color;
    bool help;
};

/* --proto PROTO. Returns -1 to go on, or an exit status. */
static int clients_proto_option(struct clients_options *o, const char *arg)
{
    o->proto = proto_find(arg);
    if (o->proto)
        return -1;
    char names[512] = "";
    size_t count;
    const struct prelude_desc *const *all = proto_all(&count);
    for (size_t i = 0; i < count; i++) {
        size_t at = strlen(names);
        snprintf(names + at, sizeof names - at, "%s%s", i ? ", " : "", all[i]->name);
    }
    return usage_error("--proto: '%s' is not one of %s", arg, names);
}

/* Returns -1 to go on, or an exit status. */
static int clients_option(struct clients_cli *c, int ch, const char *arg)
{
    struct clients_options *o = &c->opt;
    unsigned long v;
    switch (ch) {
    case 'l': o->listen = arg; return -1; /* checked when binding */
    case OPT_C_PROTO: return clients_proto_option(o, arg);
    case OPT_C_NAME:
        if (!*arg || strlen(arg) > 64)
            return usage_error("--name: '%s' is not a name of 1 to 64 characters", arg);
        o->name = arg;
        return -1;
    case OPT_C_CERT: o->cert_path = arg; return -1;
    case OPT_C_KEY: o->key_path = arg; return -1;
    case 't':
        if (!parse_seconds(arg, &o->timeout_ms))
            return usage_error("--timeout: '%s' is not a number of seconds (0.05 to 3600)", arg);
        return -1;
    case OPT_C_MAX_CONNECTIONS:
        if (!hc_parse_uint(arg, 1, 100000, &v))
            return usage_error("--max-connections: '%s' is not a number from 1 to 100000", arg);
        o->max_connections = (unsigned)v;
        return -1;
    case OPT_C_EXEC:
        if (!*arg)
            return usage_error("%s", "--exec: empty command");
        o->exec = arg;
        return -1;
    case OPT_C_ONCE: o->once = true; return -1;
    case OPT_C_MAX_CLIENTS:
        if (!hc_parse_uint(arg, 1, UINT_MAX, &v))
            return usage_error("--max-clients: '%s' is not a positive number", arg);
        o->max_clients = (unsigned)v;
        return -1;
    case OPT_C_DURATION:
        if (!parse_seconds(arg, &o->duration_ms))
            return usage_error("--duration: '%s' is not a number of seconds (0.05 to 3600)", arg);
        return -1;
    case OPT_C_LEAK:
        if (!hc_parse_uint(arg, 1, PROBE_MAX_LEAK, &v))
            return usage_error("--leak: '%s' is not a byte count from 1 to %d", arg,
                               PROBE_MAX_LEAK);
        o->leak_bytes = (uint32_t)v;
        return -1;
    case OPT_C_DUMP: o->dump_path = arg; return -1;
    case 'j': o->format = &report_clients_json; return -1;
    case 'v': o->report.verbose = true; return -1;
    case 'q': o->quiet = true; return -1;
    case OPT_C_COLOR:
        if (!valid_color(arg))
            return usage_error("--color: '%s' is not auto, always or never", arg);
        c->color = arg;
        return -1;
    case 'h': c->help = true; return -1;
    default: return usage_error("%s", "unknown option or missing argument");
    }
}

static int clients_command(int argc, char **argv)
{
    current_command = "clients ";
    struct clients_cli c = {
        .opt = {.listen = "127.0.0.1:8443",
                .name = "localhost",
                .timeout_ms = 5000,
                .followup_ms = 100,
                .max_connections = 256,
                .format = &report_clients_text},
        .color = "auto",
    };
    optind = 1;
    opterr = 1;
    int ch, status = -1;
    while (status < 0 &&
           (ch = getopt_long(argc, argv, "l:t:jvqh", clients_long_options, NULL)) != -1)
        status = clients_option(&c, ch, optarg);
    if (status < 0 && optind < argc)
        status = usage_error("clients: unexpected argument '%s'", argv[optind]);
    if (status < 0 && c.help) {
        fputs(clients_usage, stdout);
        return EXIT_CLEAN;
    }
    if (status < 0 && c.opt.dump_path && !c.opt.leak_bytes)
        status = usage_error("%s", "--dump needs --leak N: the default probe leaks nothing");
    if (status < 0 && c.opt.key_path && !c.opt.cert_path)
        status = usage_error("%s", "--key needs --cert");
    if (status >= 0)
        return status;
    c.opt.report.color = want_color(c.color, c.opt.format == &report_clients_text);
    return clients_run(&c.opt);
}

int cli_main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : NULL;
    if (cmd && (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help"))) {
        fputs(main_usage, stdout);
        return EXIT_CLEAN;
    }
    if (cmd && (!strcmp(cmd, "-V") || !strcmp(cmd, "--version"))) {
        printf("heartcheck %s\n", HEARTCHECK_VERSION);
        return EXIT_CLEAN;
    }
    if (!cmd || cmd[0] == '-')
        return host_command(argc, argv); /* no command: the host audit, options and all */
    if (strcmp(cmd, "scan") == 0)
        return scan_command(argc - 1, argv + 1);
    if (strcmp(cmd, "host") == 0)
        return host_command(argc - 1, argv + 1);
    if (strcmp(cmd, "verify") == 0)
        return verify_command(argc - 1, argv + 1);
    if (strcmp(cmd, "pcap") == 0)
        return traffic_command(argc - 1, argv + 1, false);
    if (strcmp(cmd, "watch") == 0)
        return traffic_command(argc - 1, argv + 1, true);
    if (strcmp(cmd, "clients") == 0)
        return clients_command(argc - 1, argv + 1);
    fprintf(stderr, "heartcheck: unknown command '%s'\n%s", cmd, main_usage);
    return EXIT_ERROR;
}
