/* Harness implementation: see harness.h. POSIX only (fork/exec, sockets). */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

int t_failures;
const char *t_current = "(none)";
char t_sentinel_byte;

void t_fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    t_failures++;
    fprintf(stdout, "    %s:%d: [%s] ", file, line, t_current);
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
}

int t_known_bugs;

void t_known_bug(const char *file, int line, int ok, const char *expr, const char *desc) {
    if (ok) {
        t_fail(file, line, "KNOWN_BUG(%s) now holds: the bug (%s) seems fixed; make it a CHECK", expr, desc);
    } else {
        t_known_bugs++;
        printf("    %s:%d: [%s] known library bug: %s (KNOWN_BUG(%s))\n", file, line, t_current, desc, expr);
    }
}

void t_check_str(const char *file, int line, const char *expr, const char *got,
                 const char *want) {
    if (got == NULL && want == NULL) return;
    if (got == NULL || want == NULL || strcmp(got, want) != 0)
        t_fail(file, line, "%s == \"%s\", expected \"%s\"", expr, got ? got : "(NULL)",
               want ? want : "(NULL)");
}

static const char *msg_of(const xoxe_error *err) {
    const xoxe_error_info *info = xoxe_error_get_info(err);
    return info && info->message ? info->message : "(no error handle)";
}

void t_check_status(const char *file, int line, const char *expr, xoxe_status st,
                    xoxe_status want, const xoxe_error *err) {
    if (st != want)
        t_fail(file, line, "%s returned %s (%u), expected %s (%u); message: %s", expr,
               xoxe_status_name(st), (unsigned)st, xoxe_status_name(want), (unsigned)want,
               msg_of(err));
}

void t_check_warnings(const char *file, int line, const char *const *w, size_t n) {
    size_t i;
    if ((w == NULL) != (n == 0)) {
        t_fail(file, line, "warnings array %s but warnings_len == %lu", w ? "non-NULL" : "NULL",
               (unsigned long)n);
        return;
    }
    for (i = 0; i < n; i++)
        if (w[i] == NULL) t_fail(file, line, "warnings[%lu] is NULL", (unsigned long)i);
}

void t_check_error_info(const char *file, int line, const xoxe_error_info *info) {
    if (info == NULL) {
        t_fail(file, line, "xoxe_error_get_info returned NULL");
        return;
    }
    if (info->message == NULL || info->message[0] == '\0')
        t_fail(file, line, "error message is NULL or empty");
    t_check_warnings(file, line, info->warnings, info->warnings_len);
    if (info->status == XOXE_STATUS_OK) t_fail(file, line, "error with status OK");
    /* cause == status, except OUTCOME_UNKNOWN (the underlying failure) and
     * CHAIN_DEAD (Slack's rejection that killed the chain, e.g.
     * invalid_refresh_token). */
    if (info->status == XOXE_STATUS_CHAIN_DEAD) {
        if (info->cause != info->status && xoxe_status_family_of(info->cause) != XOXE_STATUS_FAMILY_SLACK_API)
            t_fail(file, line, "CHAIN_DEAD with cause %s (not a Slack error)", xoxe_status_name(info->cause));
    } else if (info->status != XOXE_STATUS_OUTCOME_UNKNOWN && info->cause != info->status)
        t_fail(file, line, "cause %s differs from status %s", xoxe_status_name(info->cause),
               xoxe_status_name(info->status));
    if (info->status == XOXE_STATUS_OUTCOME_UNKNOWN && info->cause == XOXE_STATUS_OUTCOME_UNKNOWN)
        t_fail(file, line, "OUTCOME_UNKNOWN with cause OUTCOME_UNKNOWN");
    if (info->retry_after_secs < -1)
        t_fail(file, line, "retry_after_secs %lld", (long long)info->retry_after_secs);
    if (xoxe_status_family_of(info->status) == XOXE_STATUS_FAMILY_USAGE) {
        /* Nothing was sent: no HTTP status, no Slack error. */
        if (info->http_status != 0) t_fail(file, line, "usage error with http_status %u", info->http_status);
        if (info->slack_error != NULL) t_fail(file, line, "usage error with slack_error");
        if (info->response_json != NULL) t_fail(file, line, "usage error with response_json");
    }
    if (xoxe_status_family_of(info->cause) == XOXE_STATUS_FAMILY_SLACK_API ||
        xoxe_status_family_of(info->cause) == XOXE_STATUS_FAMILY_RATE_LIMITED) {
        if (info->slack_error == NULL) t_fail(file, line, "Slack error without slack_error");
        if (info->http_status == 0) t_fail(file, line, "Slack error without http_status");
    }
}

void t_expect_err(const char *file, int line, const char *expr, xoxe_status st, xoxe_error **err,
                  xoxe_status want, xoxe_status cause) {
    const xoxe_error_info *info;
    t_check_status(file, line, expr, st, want, *err);
    if (st == XOXE_STATUS_OK) {
        if (*err != NULL) t_fail(file, line, "success wrote an error handle");
        return;
    }
    if (*err == NULL) {
        t_fail(file, line, "%s failed without writing an error handle", expr);
        return;
    }
    info = xoxe_error_get_info(*err);
    t_check_error_info(file, line, info);
    if (info) {
        if (info->status != st)
            t_fail(file, line, "info->status %s != returned %s", xoxe_status_name(info->status),
                   xoxe_status_name(st));
        if (info->cause != cause)
            t_fail(file, line, "info->cause %s, expected %s; message: %s",
                   xoxe_status_name(info->cause), xoxe_status_name(cause), info->message);
    }
    xoxe_error_free(*err);
    *err = NULL;
}

void t_check_no_secret(const char *file, int line, const char *expr, const char *hay,
                       const char *secret) {
    if (hay && secret && secret[0] && strstr(hay, secret) != NULL)
        t_fail(file, line, "%s contains a secret (not printed)", expr);
}

int t_slow_mode(void) {
    const char *v = getenv("XOXE_TEST_SLOW");
    return v != NULL && v[0] != '\0' && strcmp(v, "0") != 0;
}

int t_iters(int normal, int slow) { return t_slow_mode() ? slow : normal; }

/* ------------------------------------------------------------ logging */

static uint32_t log_level;
static long log_lines;

/* Captured lines (t_log_capture): NUL-terminated, back to back. */
static pthread_mutex_t cap_mu = PTHREAD_MUTEX_INITIALIZER;
static int cap_on;
static char *cap_buf;
static size_t cap_len, cap_cap;

static void log_capture_line(const char *message) {
    size_t n = strlen(message) + 1;
    pthread_mutex_lock(&cap_mu);
    if (cap_on) {
        if (cap_len + n > cap_cap) {
            size_t want = cap_cap ? cap_cap : 4096;
            char *b;
            while (want < cap_len + n) want *= 2;
            b = (char *)realloc(cap_buf, want);
            if (b) {
                cap_buf = b;
                cap_cap = want;
            }
        }
        if (cap_len + n <= cap_cap) {
            memcpy(cap_buf + cap_len, message, n);
            cap_len += n;
        }
    }
    pthread_mutex_unlock(&cap_mu);
}

static void log_to_stderr(void *user_data, uint32_t level, const char *message) {
    static const char *const names[] = {"?", "error", "warn", "info", "debug"};
    (void)user_data;
    if (cap_on) log_capture_line(message ? message : "(NULL)");
    if (level > log_level) return; /* captured only */
    __atomic_fetch_add(&log_lines, 1, __ATOMIC_RELAXED);
    /* One call per line: stdio locks the stream, so lines from several threads
     * never interleave. */
    fprintf(stderr, "[xoxe %s] %s\n", level <= XOXE_LOG_LEVEL_DEBUG ? names[level] : "?",
            message ? message : "(NULL)");
}

void t_log_capture(int on) {
    xoxe_error *e = NULL;
    if (on) {
        pthread_mutex_lock(&cap_mu);
        cap_on = 1;
        cap_len = 0;
        pthread_mutex_unlock(&cap_mu);
        if (xoxe_set_logger(log_to_stderr, NULL, XOXE_LOG_LEVEL_DEBUG, &e) != XOXE_STATUS_OK)
            t_fail(__FILE__, __LINE__, "xoxe_set_logger (the harness's capturing logger) failed");
        xoxe_error_free(e);
        return;
    }
    t_log_restore(); /* the library no longer calls the capturing logger */
    pthread_mutex_lock(&cap_mu);
    cap_on = 0;
    free(cap_buf);
    cap_buf = NULL;
    cap_len = cap_cap = 0;
    pthread_mutex_unlock(&cap_mu);
}

void t_log_capture_clear(void) {
    pthread_mutex_lock(&cap_mu);
    cap_len = 0;
    pthread_mutex_unlock(&cap_mu);
}

const char *t_log_captured(size_t *len) {
    *len = cap_len;
    return cap_buf ? cap_buf : "";
}

void t_log_start(void) {
    const char *v = getenv("XOXE_LOG");
    log_level = 0;
    if (v == NULL) v = "";
    if (strcmp(v, "error") == 0) log_level = XOXE_LOG_LEVEL_ERROR;
    else if (strcmp(v, "warn") == 0) log_level = XOXE_LOG_LEVEL_WARN;
    else if (strcmp(v, "info") == 0) log_level = XOXE_LOG_LEVEL_INFO;
    else if (strcmp(v, "debug") == 0) log_level = XOXE_LOG_LEVEL_DEBUG;
    t_log_restore();
}

void t_log_restore(void) {
    xoxe_error *e = NULL;
    xoxe_status st = log_level ? xoxe_set_logger(log_to_stderr, NULL, log_level, &e)
                               : xoxe_set_logger(NULL, NULL, 0, &e);
    if (st != XOXE_STATUS_OK)
        t_fail(__FILE__, __LINE__, "xoxe_set_logger (the harness's stderr logger): %s", xoxe_status_name(st));
    xoxe_error_free(e);
}

uint32_t t_log_level(void) { return log_level; }

long t_log_lines(void) { return __atomic_load_n(&log_lines, __ATOMIC_RELAXED); }

/* --------------------------------------------------------------- JSON */

const char *t_json_find(const char *json, const char *key) {
    char pat[128];
    const char *p;
    if (json == NULL) return NULL;
    snprintf(pat, sizeof pat, "\"%s\":", key);
    p = strstr(json, pat);
    if (p == NULL) return NULL;
    p += strlen(pat);
    while (*p == ' ') p++;
    return p;
}

int t_json_get(const char *json, const char *key, char *out, size_t out_len) {
    const char *p = t_json_find(json, key);
    size_t n = 0;
    if (p == NULL || out_len == 0) return -1;
    if (*p == '"') {
        p++;
        while (p[n] && p[n] != '"') n++;
        if (p[n] != '"') return -1;
    } else {
        while (p[n] && p[n] != ',' && p[n] != '}' && p[n] != ']') n++;
    }
    if (n >= out_len) return -1;
    memcpy(out, p, n);
    out[n] = '\0';
    return 0;
}

int t_json_int(const char *json, const char *key, long long *out) {
    char buf[64];
    char *end;
    if (t_json_get(json, key, buf, sizeof buf) != 0) return -1;
    *out = strtoll(buf, &end, 10);
    return end == buf ? -1 : 0;
}

/* --------------------------------------------------------- fake Slack */

int t_port;
char t_base_url[128];
static pid_t server_pid = -1;
static char server_dir[256];

int t_server_start(void) {
    const char *bin = getenv("XOXE_FAKE_SLACK");
    const char *issued = getenv("XOXE_ISSUED_TOKENS");
    const char *tmp = getenv("TMPDIR");
    char ready[320], buf[8192];
    int i;
    if (bin == NULL || bin[0] == '\0') {
        fprintf(stderr, "XOXE_FAKE_SLACK is not set (path of the fake-slack binary)\n");
        return -1;
    }
    snprintf(server_dir, sizeof server_dir, "%s/xoxe-c-tests.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (mkdtemp(server_dir) == NULL) {
        perror("mkdtemp");
        return -1;
    }
    snprintf(ready, sizeof ready, "%s/ready.json", server_dir);
    fflush(NULL);
    server_pid = fork();
    if (server_pid < 0) {
        perror("fork");
        return -1;
    }
    if (server_pid == 0) {
        const char *argv[8];
        int n = 0, devnull;
#ifdef __linux__
        prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
        devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) dup2(devnull, 1);
        argv[n++] = bin;
        argv[n++] = "--ready-file";
        argv[n++] = ready;
        if (issued && issued[0]) {
            argv[n++] = "--issued-tokens-file";
            argv[n++] = issued;
        }
        argv[n] = NULL;
        execv(bin, (char *const *)argv);
        perror("exec fake-slack");
        _exit(127);
    }
    for (i = 0; i < 600; i++) { /* up to 60 s */
        FILE *f = fopen(ready, "r");
        int status;
        if (f) {
            size_t n = fread(buf, 1, sizeof buf - 1, f);
            fclose(f);
            buf[n] = '\0';
            if (n > 0) break;
        }
        if (waitpid(server_pid, &status, WNOHANG) == server_pid) {
            fprintf(stderr, "fake-slack exited before it was ready\n");
            server_pid = -1;
            return -1;
        }
        {
            struct timespec ts = {0, 100 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    if (i == 600) {
        fprintf(stderr, "fake-slack did not write its ready file\n");
        return -1;
    }
    {
        long long port;
        if (t_json_int(buf, "port", &port) != 0 ||
            t_json_get(buf, "base_url", t_base_url, sizeof t_base_url) != 0) {
            fprintf(stderr, "cannot parse the ready file\n");
            return -1;
        }
        t_port = (int)port;
    }
    /* The ready file holds seeded secrets: remove it now. */
    unlink(ready);
    return 0;
}

void t_server_stop(void) {
    int i, status;
    if (server_pid > 0) {
        kill(server_pid, SIGTERM);
        for (i = 0; i < 200; i++) {
            struct timespec ts = {0, 50 * 1000 * 1000};
            if (waitpid(server_pid, &status, WNOHANG) == server_pid) break;
            nanosleep(&ts, NULL);
        }
        if (i == 200) {
            kill(server_pid, SIGKILL);
            waitpid(server_pid, &status, 0);
        }
        server_pid = -1;
    }
    if (server_dir[0]) rmdir(server_dir);
}

static int connect_loopback(int port) {
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int t_ctl(const char *method, const char *path, const char *body, int *http_status, char *out,
          size_t out_len) {
    char req[4096];
    static char resp[65536];
    size_t len = 0, blen = body ? strlen(body) : 0;
    int n, fd, status = 0;
    const char *hdr_end, *cl;
    fd = connect_loopback(t_port);
    if (fd < 0) {
        t_fail(__FILE__, __LINE__, "cannot connect to the fake Slack control interface");
        return -1;
    }
    n = snprintf(req, sizeof req,
                 "%s /_control/%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                 "Content-Type: application/json\r\nContent-Length: %lu\r\n"
                 "Connection: close\r\n\r\n%s",
                 method, path, t_port, (unsigned long)blen, body ? body : "");
    if (n < 0 || (size_t)n >= sizeof req || send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
        close(fd);
        t_fail(__FILE__, __LINE__, "control request %s %s failed to send", method, path);
        return -1;
    }
    for (;;) {
        ssize_t r = recv(fd, resp + len, sizeof resp - 1 - len, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        len += (size_t)r;
        resp[len] = '\0';
        hdr_end = strstr(resp, "\r\n\r\n");
        if (hdr_end) {
            cl = strstr(resp, "Content-Length:");
            if (cl == NULL) cl = strstr(resp, "content-length:");
            if (cl && cl < hdr_end &&
                len >= (size_t)(hdr_end + 4 - resp) + strtoul(cl + 15, NULL, 10))
                break;
        }
        if (len >= sizeof resp - 1) break;
    }
    close(fd);
    resp[len] = '\0';
    hdr_end = strstr(resp, "\r\n\r\n");
    if (len < 12 || strncmp(resp, "HTTP/1.1 ", 9) != 0 || hdr_end == NULL) {
        t_fail(__FILE__, __LINE__, "control request %s %s: no HTTP response", method, path);
        return -1;
    }
    status = atoi(resp + 9);
    if (http_status) *http_status = status;
    if (out && out_len) {
        size_t bl = strlen(hdr_end + 4);
        if (bl >= out_len) bl = out_len - 1;
        memcpy(out, hdr_end + 4, bl);
        out[bl] = '\0';
    }
    if (status != 200) {
        /* Control answers never hold secrets except the credential-minting ones,
         * which only fail with an error body. */
        t_fail(__FILE__, __LINE__, "control request %s %s: HTTP %d: %.200s", method, path, status,
               hdr_end + 4);
        return -1;
    }
    return 0;
}

void t_ctl_reset(void) { t_ctl("POST", "reset", "{}", NULL, NULL, 0); }
void t_ctl_clear_faults(void) { t_ctl("DELETE", "faults", NULL, NULL, NULL, 0); }
void t_fault(const char *json) { t_ctl("POST", "faults", json, NULL, NULL, 0); }

t_app t_new_app(int rotation_enabled) {
    t_app a;
    char out[1024];
    memset(&a, 0, sizeof a);
    if (t_ctl("POST", "apps", rotation_enabled ? "{\"rotation_enabled\":true}" : "{\"rotation_enabled\":false}",
              NULL, out, sizeof out) != 0)
        return a;
    if (t_json_get(out, "client_id", a.client_id, sizeof a.client_id) ||
        t_json_get(out, "client_secret", a.client_secret, sizeof a.client_secret) ||
        t_json_get(out, "app_id", a.app_id, sizeof a.app_id))
        t_fail(__FILE__, __LINE__, "cannot parse /_control/apps answer");
    return a;
}

void t_new_legacy(const char *client_id, const char *kind, char *out, size_t out_len) {
    char body[256], resp[1024];
    snprintf(body, sizeof body, "{\"client_id\":\"%s\",\"kind\":\"%s\"}", client_id, kind);
    out[0] = '\0';
    if (t_ctl("POST", "legacy_tokens", body, NULL, resp, sizeof resp) != 0) return;
    if (t_json_get(resp, "token", out, out_len))
        t_fail(__FILE__, __LINE__, "cannot parse /_control/legacy_tokens answer");
}

t_config_pair t_new_config(long long ttl) {
    t_config_pair c;
    char body[64], out[1024];
    memset(&c, 0, sizeof c);
    if (ttl >= 0)
        snprintf(body, sizeof body, "{\"ttl\":%lld}", ttl);
    else
        snprintf(body, sizeof body, "{}");
    if (t_ctl("POST", "config_tokens", body, NULL, out, sizeof out) != 0) return c;
    if (t_json_get(out, "token", c.token, sizeof c.token) ||
        t_json_get(out, "refresh_token", c.refresh_token, sizeof c.refresh_token) ||
        t_json_get(out, "team_id", c.team_id, sizeof c.team_id) ||
        t_json_get(out, "user_id", c.user_id, sizeof c.user_id) || t_json_int(out, "iat", &c.iat) ||
        t_json_int(out, "exp", &c.exp))
        t_fail(__FILE__, __LINE__, "cannot parse /_control/config_tokens answer");
    return c;
}

static long long stat_of(const char *json, const char *key) {
    long long v = 0;
    if (t_json_int(json, key, &v) != 0) v = 0;
    return v;
}

t_stats t_get_stats(void) {
    t_stats s;
    char out[4096];
    const char *req;
    memset(&s, 0, sizeof s);
    if (t_ctl("GET", "stats", NULL, NULL, out, sizeof out) != 0) return s;
    req = t_json_find(out, "requests");
    if (req) {
        /* The per-method map comes first; its keys are method names. */
        const char *end = strchr(req, '}');
        char sub[2048];
        size_t n = end ? (size_t)(end - req + 1) : 0;
        if (n >= sizeof sub) n = sizeof sub - 1;
        memcpy(sub, req, n);
        sub[n] = '\0';
        s.rotate = stat_of(sub, "tooling.tokens.rotate");
        s.exchange = stat_of(sub, "oauth.v2.exchange");
        s.access = stat_of(sub, "oauth.v2.access");
        s.auth_test = stat_of(sub, "auth.test");
        s.validate = stat_of(sub, "apps.manifest.validate");
        s.unknown = stat_of(sub, "no.such.method");
    }
    s.rotations = stat_of(out, "rotations");
    s.exchanges = stat_of(out, "exchanges");
    s.refreshes = stat_of(out, "refreshes");
    s.refresh_token_reuses = stat_of(out, "refresh_token_reuses");
    s.faults_fired = stat_of(out, "faults_fired");
    return s;
}

xoxe_client *t_client(void) {
    xoxe_client_options *o = NULL;
    xoxe_client *c = NULL;
    xoxe_error *e = NULL;
    xoxe_status st = xoxe_client_options_new(&o, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    st = xoxe_client_options_set_base_url(o, t_base_url, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    st = xoxe_client_new(o, &c, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    xoxe_error_free(e);
    xoxe_client_options_free(o);
    return c;
}

int t_closed_port(void) {
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    int port, fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &al) != 0) {
        t_fail(__FILE__, __LINE__, "cannot find a free port");
        if (fd >= 0) close(fd);
        return 1;
    }
    port = ntohs(a.sin_port);
    close(fd); /* bound but never listened: connecting is refused */
    return port;
}
