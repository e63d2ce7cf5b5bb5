/* Server configuration parsers: realistic configurations of the five servers in a synthetic
 * root, then hostile ones (include loops, huge lines, garbage, missing files). */
#include "unit.h"

#include "host/certs.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- a root tree in a temporary directory ---- */

static void make_parents(const char *full)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", full);
    for (char *s = strchr(dir + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        if (mkdir(dir, 0755) != 0)
            assert_true(errno == EEXIST);
        *s = '/';
    }
}

static void put(const char *root, const char *path, const char *text)
{
    char full[PATH_MAX];
    snprintf(full, sizeof full, "%s%s", root, path);
    make_parents(full);
    FILE *f = fopen(full, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

static void link_in(const char *root, const char *target, const char *path)
{
    char full[PATH_MAX];
    snprintf(full, sizeof full, "%s%s", root, path);
    make_parents(full);
    assert_int_equal(symlink(target, full), 0);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static int setup_root(void **state)
{
    char *root = strdup("/tmp/hc-tlsconf-XXXXXX");
    if (!root || !mkdtemp(root))
        return -1;
    *state = root;
    return 0;
}

static int teardown_root(void **state)
{
    nftw(*state, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(*state);
    return 0;
}

/* The n-th record of service svc (in order of appearance). */
static const struct host_tls_ref *nth(const struct host_tls_refs *r, const char *svc, size_t n)
{
    for (size_t i = 0; i < r->count; i++)
        if (!strcmp(r->items[i].service, svc) && n-- == 0)
            return &r->items[i];
    return NULL;
}

static size_t count_of(const struct host_tls_refs *r, const char *svc)
{
    size_t n = 0;
    while (nth(r, svc, n))
        n++;
    return n;
}

/* ---- nginx ---- */

static const char nginx_conf[] = "user www-data;\n"
                                 "events { worker_connections 768; }\n"
                                 "http {\n"
                                 "    # ssl_certificate /commented/out.pem;\n"
                                 "    include /etc/nginx/mime.types;\n"
                                 "    include /etc/nginx/conf.d/*.conf;\n"
                                 "    include sites-enabled/*;\n"
                                 "}\n"
                                 "stream { ssl_certificate /etc/ssl/stream.pem;\n"
                                 "  server { listen 993 ssl; proxy_pass 127.0.0.1:143; } }\n";

static const char nginx_site[] =
    "server {\n"                                                                    /* 1 */
    "    listen 80;\n"                                                              /* 2 */
    "    server_name plain.example.com;\n"                                          /* 3 */
    "}\n"                                                                           /* 4 */
    "server {\n"                                                                    /* 5 */
    "    listen 443 ssl http2;\n"                                                   /* 6 */
    "    listen [::]:443 ssl;\n"                                                    /* 7 */
    "    server_name example.com www.example.com; # the main site\n"                /* 8 */
    "    ssl_certificate /etc/ssl/certs/example.pem;\n"                             /* 9 */
    "    ssl_certificate_key \"/etc/ssl/private/example.key\";\n"                   /* 10 */
    "    location / { root /var/www; }\n"                                           /* 11 */
    "}\n"                                                                           /* 12 */
    "server { listen 8443 ssl; server_name mail.example.org;\n"                     /* 13 */
    "  ssl_certificate certs/mail.crt; ssl_certificate_key 'certs/mail key.pem';\n" /* 14 */
    "  ssl_certificate /etc/ssl/certs/mail-rsa.crt;\n"                              /* 15 */
    "  ssl_certificate_key /etc/ssl/private/mail-rsa.key;\n"                        /* 16 */
    "}\n";

static void test_nginx(void **state)
{
    const char *root = *state;
    put(root, "/etc/nginx/nginx.conf", nginx_conf);
    put(root, "/etc/nginx/mime.types", "types { text/html html; }\n");
    put(root, "/etc/nginx/sites-enabled/default", nginx_site);
    struct host_tls_refs r = {0};
    assert_success(host_tlsconf_nginx(root, &r));
    assert_int_equal(count_of(&r, "nginx"), 4);
    const struct host_tls_ref *a = nth(&r, "nginx", 0);
    assert_string_equal(a->config, "/etc/nginx/sites-enabled/default");
    assert_int_equal(a->line, 9);
    assert_string_equal(a->cert, "/etc/ssl/certs/example.pem");
    assert_string_equal(a->key, "/etc/ssl/private/example.key");
    assert_string_equal(a->name, "example.com www.example.com");
    assert_string_equal(a->listen, "443 ssl http2; [::]:443 ssl");
    assert_null(a->chain);
    const struct host_tls_ref *b = nth(&r, "nginx", 1);
    assert_string_equal(b->cert, "/etc/nginx/certs/mail.crt"); /* relative to the prefix */
    assert_string_equal(b->key, "/etc/nginx/certs/mail key.pem");
    assert_string_equal(b->name, "mail.example.org");
    assert_string_equal(b->listen, "8443 ssl");
    assert_int_equal(b->line, 14);
    const struct host_tls_ref *c = nth(&r, "nginx", 2); /* the block's second pair */
    assert_string_equal(c->cert, "/etc/ssl/certs/mail-rsa.crt");
    assert_string_equal(c->key, "/etc/ssl/private/mail-rsa.key");
    const struct host_tls_ref *d = nth(&r, "nginx", 3); /* stream{}'s default, for its servers */
    assert_string_equal(d->cert, "/etc/ssl/stream.pem");
    assert_string_equal(d->name, "(stream default)");
    assert_string_equal(d->config, "/etc/nginx/nginx.conf");
    assert_int_equal(r.skipped_count, 0);
    host_tls_refs_free(&r);
}

/* ---- Apache ---- */

static const char apache_site[] =
    "<IfModule mod_ssl.c>\n"
    "\t<VirtualHost _default_:443 [::]:443>\n"
    "\t\tServerAdmin webmaster@localhost\n"
    "\t\tServerName www.example.com\n"
    "\t\t# SSLCertificateFile /commented.pem\n"
    "\t\tSSLEngine on\n"
    "\t\tSSLCertificateFile \\\n"
    "\t\t    \"/etc/ssl/certs/apache chain.pem\"\n"
    "\t\tsslcertificatekeyfile /etc/ssl/private/apache.key\n"
    "\t\tSSLCertificateChainFile chain.pem\n"
    "\t</VirtualHost>\n"
    "</IfModule>\n"
    "<VirtualHost *:80>\n  ServerName plain.example.com\n</VirtualHost>\n";

static void test_apache(void **state)
{
    const char *root = *state;
    put(root, "/etc/apache2/apache2.conf",
        "# ServerRoot \"/etc/apache2\"\nInclude ports.conf\n"
        "IncludeOptional mods-enabled/*.conf\nIncludeOptional sites-enabled/*.conf\n");
    put(root, "/etc/apache2/ports.conf",
        "Listen 80\n<IfModule ssl_module>\nListen 443\n"
        "</IfModule>\n");
    put(root, "/etc/apache2/sites-enabled/default-ssl.conf", apache_site);
    put(root, "/etc/httpd/conf/httpd.conf",
        "ServerRoot \"/etc/httpd\"\n"
        "IncludeOptional conf.d/*.conf\n");
    put(root, "/etc/httpd/conf.d/ssl.conf",
        "Listen 443 https\n"
        "SSLCertificateFile /etc/pki/tls/certs/localhost.crt\n"
        "SSLCertificateKeyFile "
        "/etc/pki/tls/private/localhost.key\n");
    struct host_tls_refs r = {0};
    assert_success(host_tlsconf_apache(root, &r));
    assert_int_equal(count_of(&r, "apache"), 2);
    const struct host_tls_ref *a = nth(&r, "apache", 0);
    assert_string_equal(a->config, "/etc/apache2/sites-enabled/default-ssl.conf");
    assert_int_equal(a->line, 7);
    assert_string_equal(a->cert, "/etc/ssl/certs/apache chain.pem");
    assert_string_equal(a->key, "/etc/ssl/private/apache.key");
    assert_string_equal(a->chain, "/etc/apache2/chain.pem");
    assert_string_equal(a->name, "www.example.com");
    assert_string_equal(a->listen, "_default_:443 [::]:443");
    const struct host_tls_ref *b = nth(&r, "apache", 1);
    assert_string_equal(b->config, "/etc/httpd/conf.d/ssl.conf");
    assert_int_equal(b->line, 2);
    assert_string_equal(b->cert, "/etc/pki/tls/certs/localhost.crt");
    assert_string_equal(b->key, "/etc/pki/tls/private/localhost.key");
    assert_string_equal(b->name, "(global)");
    host_tls_refs_free(&r);
}

/* ---- Postfix ---- */

static const char postfix_main[] =
    "# See /usr/share/postfix/main.cf.dist\n"      /* 1 */
    "smtpd_banner = $myhostname ESMTP\n"           /* 2 */
    "tls_dir = ${config_directory}/tls\n"          /* 3 */
    "smtpd_tls_cert_file = /etc/postfix/old.pem\n" /* 4 */
    "smtpd_tls_cert_file=$tls_dir/smtpd.pem\n"     /* 5: the last wins */
    "smtpd_tls_key_file =\n"                       /* 6 */
    "    $(tls_dir)/smtpd.key\n"                   /* 7 */
    "  # not a comment inside a continuation in postfix, but harmless\n"
    "smtp_tls_cert_file = $undefined_dir/client.pem\n"
    "smtpd_tls_chain_files = /etc/postfix/ec.pem,\n"
    "\t${tls_dir}/rsa.pem\n"
    "smtpd_use_tls=yes\n";

static void test_postfix(void **state)
{
    const char *root = *state;
    put(root, "/etc/postfix/main.cf", postfix_main);
    struct host_tls_refs r = {0};
    assert_success(host_tlsconf_postfix(root, &r));
    assert_int_equal(count_of(&r, "postfix"), 4);
    const struct host_tls_ref *a = nth(&r, "postfix", 0);
    assert_string_equal(a->config, "/etc/postfix/main.cf");
    assert_int_equal(a->line, 5);
    assert_string_equal(a->cert, "/etc/postfix/tls/smtpd.pem");
    assert_string_equal(a->key, "/etc/postfix/tls/smtpd.key"); /* comment line skipped */
    assert_string_equal(a->name, "smtpd");
    const struct host_tls_ref *b = nth(&r, "postfix", 1);
    assert_string_equal(b->cert, "/etc/postfix/ec.pem");
    assert_string_equal(b->key, "/etc/postfix/ec.pem");
    const struct host_tls_ref *c = nth(&r, "postfix", 2);
    assert_string_equal(c->cert, "/etc/postfix/tls/rsa.pem");
    const struct host_tls_ref *d = nth(&r, "postfix", 3);
    /* An unknown variable stays as written: visible, and no made-up path. */
    assert_string_equal(d->cert, "/etc/postfix/$undefined_dir/client.pem");
    assert_string_equal(d->key, d->cert); /* smtp_tls_key_file defaults to the cert file */
    assert_string_equal(d->name, "smtp (client)");
    host_tls_refs_free(&r);
}

/* ---- Dovecot ---- */

static void test_dovecot(void **state)
{
    const char *root = *state;
    put(root, "/etc/dovecot/dovecot.conf",
        "protocols = imap pop3\n!include conf.d/*.conf\n!include_try local.conf\n");
    put(root, "/etc/dovecot/conf.d/10-ssl.conf",
        "ssl = required\n"                                    /* 1 */
        "# ssl_cert = </etc/commented.pem\n"                  /* 2 */
        "ssl_cert = </etc/dovecot/private/dovecot.pem\n"      /* 3 */
        "ssl_key = </etc/dovecot/private/dovecot.key # key\n" /* 4 */
        "ssl_ca = </etc/ssl/certs/ca.pem\n"                   /* 5 */
        "local_name imap.example.org {\n"                     /* 6 */
        "  ssl_cert = \"</etc/ssl/imap.pem\"\n"               /* 7 */
        "  ssl_key = </etc/ssl/imap.key\n"                    /* 8 */
        "}\n"
        "protocol imap {\n  mail_max_userip_connections = 10\n}\n");
    struct host_tls_refs r = {0};
    assert_success(host_tlsconf_dovecot(root, &r));
    assert_int_equal(count_of(&r, "dovecot"), 2);
    const struct host_tls_ref *a = nth(&r, "dovecot", 0); /* sections close first */
    assert_string_equal(a->config, "/etc/dovecot/conf.d/10-ssl.conf");
    assert_int_equal(a->line, 7);
    assert_string_equal(a->cert, "/etc/ssl/imap.pem");
    assert_string_equal(a->key, "/etc/ssl/imap.key");
    assert_string_equal(a->name, "local_name imap.example.org");
    const struct host_tls_ref *b = nth(&r, "dovecot", 1);
    assert_int_equal(b->line, 3);
    assert_string_equal(b->cert, "/etc/dovecot/private/dovecot.pem");
    assert_string_equal(b->key, "/etc/dovecot/private/dovecot.key");
    assert_string_equal(b->chain, "/etc/ssl/certs/ca.pem");
    assert_string_equal(b->name, "(global)");
    host_tls_refs_free(&r);
}

/* ---- MariaDB ---- */

static void test_mariadb(void **state)
{
    const char *root = *state;
    put(root, "/etc/mysql/mariadb.cnf",
        "[client-server]\nport = 3306\n"
        "!includedir /etc/mysql/conf.d/\n"
        "!includedir /etc/mysql/mariadb.conf.d/\n");
    link_in(root, "/etc/alternatives/my.cnf", "/etc/mysql/my.cnf"); /* Debian's layout */
    link_in(root, "/etc/mysql/mariadb.cnf", "/etc/alternatives/my.cnf");
    put(root, "/etc/mysql/conf.d/mysql.cnf", "[mysql]\nssl-cert = /client-only.pem\n");
    put(root, "/etc/mysql/conf.d/README", "[mysqld]\nssl-cert = /not-read.pem\n");
    put(root, "/etc/mysql/mariadb.conf.d/50-server.cnf",
        "[server]\n\n[mysqld]\n"                              /* 1-3 */
        "datadir = /srv/mysql\n"                              /* 4 */
        "; ssl-cert = /commented.pem\n"                       /* 5 */
        "ssl-ca = ca.pem\n"                                   /* 6 */
        "ssl-cert = \"/etc/mysql/server-cert.pem\"  # cert\n" /* 7 */
        "ssl_key=/etc/mysql/server-key.pem\n"                 /* 8 */
        "[mysqldump]\nssl-cert = /dump.pem\n"
        "[mariadb-10.6]\nbind-address = 0.0.0.0\n");
    struct host_tls_refs r = {0};
    assert_success(host_tlsconf_mariadb(root, &r));
    assert_int_equal(count_of(&r, "mariadb"), 1);
    const struct host_tls_ref *a = nth(&r, "mariadb", 0);
    assert_string_equal(a->config, "/etc/mysql/mariadb.conf.d/50-server.cnf");
    assert_int_equal(a->line, 7);
    assert_string_equal(a->cert, "/etc/mysql/server-cert.pem");
    assert_string_equal(a->key, "/etc/mysql/server-key.pem");
    assert_string_equal(a->chain, "/srv/mysql/ca.pem"); /* relative: from the datadir */
    host_tls_refs_free(&r);
}

/* ---- everything at once, nothing there ---- */

static void test_all_and_empty_root(void **state)
{
    const char *root = *state;
    struct host_tls_refs r = {0};
    assert_success(host_tlsconf_all(root, &r)); /* no configuration at all */
    assert_int_equal(r.count, 0);
    assert_int_equal(r.skipped_count, 0);
    put(root, "/etc/nginx/nginx.conf", "http{server{ssl_certificate /a.pem;}}");
    put(root, "/etc/postfix/main.cf", "smtpd_tls_cert_file = /b.pem\n");
    assert_success(host_tlsconf_all(root, &r));
    assert_int_equal(r.count, 2);
    assert_string_equal(r.items[0].service, "nginx");
    assert_null(r.items[0].key);
    assert_string_equal(r.items[1].service, "postfix");
    assert_string_equal(host_tls_service_name(HOST_TLS_MARIADB), "mariadb");
    assert_null(host_tls_service_name(HOST_TLS_SERVICE_COUNT));
    host_tls_refs_free(&r);
}

/* ---- hostile configurations ---- */

static void test_include_loops(void **state)
{
    const char *root = *state;
    put(root, "/etc/nginx/nginx.conf",
        "http { include nginx.conf; include loop/*.conf; server { ssl_certificate /x; } }\n");
    put(root, "/etc/nginx/loop/a.conf", "include /etc/nginx/loop/*.conf;\n");
    put(root, "/etc/nginx/loop/b.conf", "include /etc/nginx/loop/*.conf;\n");
    put(root, "/etc/apache2/apache2.conf", "Include apache2.conf\nInclude /etc/apache2/\n");
    put(root, "/etc/dovecot/dovecot.conf", "!include dovecot.conf\n!include_try *.conf\n");
    put(root, "/etc/mysql/my.cnf", "!include /etc/mysql/my.cnf\n!includedir /etc/mysql\n");
    link_in(root, "/etc/mysql/my.cnf", "/etc/mysql/self.cnf");
    link_in(root, "loop2", "/etc/ssl/loop1");
    link_in(root, "loop1", "/etc/ssl/loop2");
    struct host_tls_refs r = {0};
    assert_success(host_tlsconf_all(root, &r));
    assert_true(r.skipped_count >= 1); /* the bound is reported, not silent */
    assert_non_null(strstr(r.skipped[0], "bound"));
    /* nginx: every nested copy of the server block is one more record, but bounded. */
    assert_true(count_of(&r, "nginx") >= 1 && count_of(&r, "nginx") <= 256);
    host_tls_refs_free(&r);
    char out[PATH_MAX];
    errno = 0;
    assert_false(host_root_resolve(root, "/etc/ssl/loop1/x", out, sizeof out));
    assert_int_equal(errno, ELOOP);
}

static void test_huge_line_and_garbage(void **state)
{
    const char *root = *state;
    size_t n = 3u << 20;
    char *big = malloc(n + 64);
    assert_non_null(big);
    memset(big, 'a', n);
    strcpy(big + n, "\nssl_certificate /x.pem;\n");
    put(root, "/etc/nginx/nginx.conf", big);
    put(root, "/etc/postfix/main.cf", big);
    struct host_tls_refs r = {0};
    assert_success(host_tlsconf_all(root, &r));
    host_tls_refs_free(&r);
    /* Every byte value, NULs included, through every parser. */
    for (size_t i = 0; i < n; i++)
        big[i] = (char)((i * 7919u) >> 3);
    for (int s = 0; s < HOST_TLS_SERVICE_COUNT; s++) {
        assert_success(host_tlsconf_parse_text(s, root, "/etc/x.conf", big, 1u << 16, &r));
        assert_success(host_tlsconf_parse_text(s, root, NULL, "", 0, &r));
        assert_success(host_tlsconf_parse_text(s, root, "/etc/y", "{{{{}}}}}}}\\", 12, &r));
    }
    host_tls_refs_free(&r);
    free(big);
}

static void test_unclosed_and_stray(void **state)
{
    const char *root = *state;
    struct host_tls_refs r = {0};
    static const char ngx[] = "}}} http { server { ssl_certificate /unterminated; listen \"443";
    assert_success(host_tlsconf_parse_text(HOST_TLS_NGINX, root, "/n", ngx, strlen(ngx), &r));
    assert_int_equal(r.count, 1); /* an unclosed block still names its file */
    assert_string_equal(r.items[0].cert, "/unterminated");
    static const char dc[] = "}\n}\nlocal_name a {\nssl_cert = </a.pem\n";
    assert_success(host_tlsconf_parse_text(HOST_TLS_DOVECOT, root, "/d", dc, strlen(dc), &r));
    assert_int_equal(r.count, 2);
    assert_string_equal(r.items[1].cert, "/a.pem");
    static const char ap[] = "</VirtualHost>\n<VirtualHost *:443\nSSLCertificateFile /v.pem\\";
    assert_success(host_tlsconf_parse_text(HOST_TLS_APACHE, root, "/a", ap, strlen(ap), &r));
    assert_int_equal(r.count, 3);
    assert_string_equal(r.items[2].cert, "/v.pem\\");
    assert_string_equal(r.items[2].listen, "*:443");
    host_tls_refs_free(&r);
}

static void test_unreadable_config(void **state)
{
    const char *root = *state;
    put(root, "/etc/nginx/nginx.conf", "http { }");
    char full[PATH_MAX];
    snprintf(full, sizeof full, "%s/etc/nginx/nginx.conf", root);
    make_parents(full);
    /* A directory where the file should be: exists, cannot be read as a file. */
    snprintf(full, sizeof full, "%s/etc/postfix/main.cf", root);
    make_parents(full);
    assert_int_equal(mkdir(full, 0755), 0);
    struct host_tls_refs r = {0};
    assert_success(host_tlsconf_all(root, &r));
    assert_int_equal(r.count, 0);
    assert_int_equal(r.skipped_count, 1);
    assert_non_null(strstr(r.skipped[0], "/etc/postfix/main.cf"));
    host_tls_refs_free(&r);
}

/* ---- paths under ROOT ---- */

static void test_root_resolve(void **state)
{
    const char *root = *state;
    put(root, "/etc/ssl/real.pem", "x");
    link_in(root, "/etc/ssl/real.pem", "/etc/ssl/abs.pem"); /* absolute: stays in root */
    link_in(root, "../ssl/./abs.pem", "/etc/le/rel.pem");
    link_in(root, "../../../../../../etc/ssl/real.pem", "/etc/up.pem");
    char out[PATH_MAX];
    assert_true(host_root_resolve(root, "/etc/le/rel.pem", out, sizeof out));
    assert_string_equal(out, "/etc/ssl/real.pem");
    assert_true(host_root_resolve(root, "/etc/up.pem", out, sizeof out));
    assert_string_equal(out, "/etc/ssl/real.pem"); /* ".." stops at root */
    assert_true(host_root_resolve(root, "//etc/./missing/../ssl//x", out, sizeof out));
    assert_string_equal(out, "/etc/ssl/x");
    assert_true(host_root_resolve(root, "/", out, sizeof out));
    assert_string_equal(out, "/");
    assert_false(host_root_resolve(root, "relative", out, sizeof out));
    assert_false(host_root_resolve(root, "/etc/ssl/real.pem", out, 4));
    assert_true(host_root_join("/", "/etc", out, sizeof out));
    assert_string_equal(out, "/etc");
    assert_true(host_root_join("/mnt/img//", "/etc", out, sizeof out));
    assert_string_equal(out, "/mnt/img/etc");
    assert_false(host_root_join("/mnt", "/etc", out, 5));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_nginx, setup_root, teardown_root),
        cmocka_unit_test_setup_teardown(test_apache, setup_root, teardown_root),
        cmocka_unit_test_setup_teardown(test_postfix, setup_root, teardown_root),
        cmocka_unit_test_setup_teardown(test_dovecot, setup_root, teardown_root),
        cmocka_unit_test_setup_teardown(test_mariadb, setup_root, teardown_root),
        cmocka_unit_test_setup_teardown(test_all_and_empty_root, setup_root, teardown_root),
        cmocka_unit_test_setup_teardown(test_include_loops, setup_root, teardown_root),
        cmocka_unit_test_setup_teardown(test_huge_line_and_garbage, setup_root, teardown_root),
        cmocka_unit_test_setup_teardown(test_unclosed_and_stray, setup_root, teardown_root),
        cmocka_unit_test_setup_teardown(test_unreadable_config, setup_root, teardown_root),
        cmocka_unit_test_setup_teardown(test_root_resolve, setup_root, teardown_root),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
