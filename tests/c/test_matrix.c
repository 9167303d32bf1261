/* The cross-language fault matrix, C side: reads tests/matrix/matrix.json, runs
 * every (fault, method) cell against the fake Slack with fresh credentials, checks
 * status, cause, http_status, retry_after and slack_error, that out-parameters are
 * untouched on failure, and that the client still works after each cell. In every
 * cell, the error's message and the library's log lines (captured at debug level)
 * must hold no secret of the request (its tokens, the client secret) and no
 * control character; for the echo rows, slack_error must be exactly what the
 * hostile server echoed (it is server-controlled and never recorded raw). Results
 * go to $XOXE_MATRIX_DIR (default <repo>/build/matrix) as c.jsonl (normal build),
 * c-asan.jsonl (sanitizer build) or c-valgrind.jsonl (XOXE_TEST_SLOW=1).
 *
 * TLS rows use a second fake Slack started here with --tls-ca-file.
 * Nothing here prints a token: only status names, ids and library messages. */
#include "harness.h"
#include "tests.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

/* ------------------------------------------------------ a minimal JSON reader */

enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

typedef struct {
    int type;
    const char *s, *e;   /* the value's text (strings: without the quotes) */
    const char *ks, *ke; /* the member name, inside an object */
    int child, next;     /* first child, next sibling (-1: none) */
} jnode;

static jnode *jn;
static int jn_len, jn_cap;

static int j_new(int type, const char *s) {
    if (jn_len == jn_cap) {
        jnode *n;
        jn_cap = jn_cap ? jn_cap * 2 : 1024;
        n = (jnode *)realloc(jn, (size_t)jn_cap * sizeof *jn);
        if (n == NULL) return -1;
        jn = n;
    }
    jn[jn_len].type = type;
    jn[jn_len].s = jn[jn_len].e = s;
    jn[jn_len].ks = jn[jn_len].ke = NULL;
    jn[jn_len].child = jn[jn_len].next = -1;
    return jn_len++;
}

static const char *j_ws(const char *p) {
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    return p;
}

/* A string's end (the closing quote), escapes skipped; NULL if unterminated. */
static const char *j_str_end(const char *p) {
    for (; *p && *p != '"'; p++)
        if (*p == '\\' && p[1]) p++;
    return *p == '"' ? p : NULL;
}

static const char *j_value(const char *p, int *out);

static const char *j_container(const char *p, int idx, int obj) {
    int last = -1;
    char close = obj ? '}' : ']';
    p = j_ws(p + 1);
    if (*p == close) return p + 1;
    for (;;) {
        const char *ks = NULL, *ke = NULL;
        int child;
        if (obj) {
            if (*p != '"' || (ke = j_str_end(p + 1)) == NULL) return NULL;
            ks = p + 1;
            p = j_ws(ke + 1);
            if (*p != ':') return NULL;
            p = j_ws(p + 1);
        }
        p = j_value(p, &child);
        if (p == NULL) return NULL;
        jn[child].ks = ks;
        jn[child].ke = ke;
        if (last < 0)
            jn[idx].child = child;
        else
            jn[last].next = child;
        last = child;
        p = j_ws(p);
        if (*p == ',') {
            p = j_ws(p + 1);
            continue;
        }
        return *p == close ? p + 1 : NULL;
    }
}

static const char *j_value(const char *p, int *out) {
    int idx;
    p = j_ws(p);
    if (*p == '{' || *p == '[') {
        idx = j_new(*p == '{' ? J_OBJ : J_ARR, p);
        if (idx < 0) return NULL;
        p = j_container(p, idx, jn[idx].type == J_OBJ);
        if (p) jn[idx].e = p;
    } else if (*p == '"') {
        const char *e = j_str_end(p + 1);
        if (e == NULL) return NULL;
        idx = j_new(J_STR, p + 1);
        if (idx < 0) return NULL;
        jn[idx].e = e;
        p = e + 1;
    } else if (strncmp(p, "null", 4) == 0 || strncmp(p, "true", 4) == 0 || strncmp(p, "false", 5) == 0) {
        idx = j_new(*p == 'n' ? J_NULL : J_BOOL, p);
        if (idx < 0) return NULL;
        p += *p == 'f' ? 5 : 4;
        jn[idx].e = p;
    } else if (*p == '-' || (*p >= '0' && *p <= '9')) {
        idx = j_new(J_NUM, p);
        if (idx < 0) return NULL;
        while (*p == '-' || *p == '+' || *p == '.' || *p == 'e' || *p == 'E' || (*p >= '0' && *p <= '9')) p++;
        jn[idx].e = p;
    } else {
        return NULL;
    }
    *out = idx;
    return p;
}

static int j_span_eq(const char *s, const char *e, const char *want) {
    size_t n = (size_t)(e - s);
    return strlen(want) == n && strncmp(s, want, n) == 0;
}

/* The member `key` of object `obj`, or -1. */
static int j_get(int obj, const char *key) {
    int c;
    if (obj < 0 || jn[obj].type != J_OBJ) return -1;
    for (c = jn[obj].child; c >= 0; c = jn[c].next)
        if (j_span_eq(jn[c].ks, jn[c].ke, key)) return c;
    return -1;
}

/* Copies a string value with its escapes decoded (\uXXXX: the BMP, as UTF-8);
 * cut short when `buf` is full. */
static const char *j_str(int i, char *buf, size_t len) {
    const char *p, *e;
    size_t n = 0;
    if (i < 0 || jn[i].type != J_STR || len == 0) return NULL;
    for (p = jn[i].s, e = jn[i].e; p < e && n + 4 < len; p++) {
        unsigned long c = (unsigned char)*p;
        if (c == '\\' && p + 1 < e) {
            switch (*++p) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'u': {
                char hex[5] = {0};
                if (e - p < 5) return NULL;
                memcpy(hex, p + 1, 4);
                c = strtoul(hex, NULL, 16);
                p += 4;
                break;
            }
            default: c = (unsigned char)*p; /* \" \\ \/ */
            }
        }
        if (c < 0x80) {
            buf[n++] = (char)c;
        } else if (c < 0x800) {
            buf[n++] = (char)(0xc0 | (c >> 6));
            buf[n++] = (char)(0x80 | (c & 0x3f));
        } else {
            buf[n++] = (char)(0xe0 | (c >> 12));
            buf[n++] = (char)(0x80 | ((c >> 6) & 0x3f));
            buf[n++] = (char)(0x80 | (c & 0x3f));
        }
    }
    buf[n] = '\0';
    return buf;
}

static long long j_int(int i, long long dflt) {
    return i >= 0 && jn[i].type == J_NUM ? strtoll(jn[i].s, NULL, 10) : dflt;
}

static int j_true(int i) { return i >= 0 && jn[i].type == J_BOOL && jn[i].s[0] == 't'; }

/* ----------------------------------------------------------------- output */

static void put_json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

/* ------------------------------------------------------------ the runner */

/* One fake Slack: its control port and URLs, and a plain client for set-up calls. */
typedef struct {
    int port;
    char base_url[128];
    char tls_base_url[128];
    xoxe_client *setup;
} m_server;

static m_server plain_srv, tls_srv;
static pid_t tls_pid = -1;
static char tls_dir[256], tls_ca[320];

static char m_root[512];

static void m_find_root(void) {
    const char *env = getenv("XOXE_REPO_ROOT");
    const char *file = __FILE__, *cut = strstr(file, "tests/c/test_matrix.c");
    if (env && env[0]) {
        snprintf(m_root, sizeof m_root, "%s", env);
    } else if (cut && file[0] == '/') {
        snprintf(m_root, sizeof m_root, "%.*s", (int)(cut - file - 1), file);
    } else {
        snprintf(m_root, sizeof m_root, "../..");
    }
}

static char *m_read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    if (f == NULL) return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = (char *)malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf) buf[n] = '\0';
    fclose(f);
    return buf;
}

static void m_mkdirs(char *path) {
    char *p;
    for (p = path + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0755);
            *p = '/';
        }
    mkdir(path, 0755);
}

static void m_sleep_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

/* Starts a second fake Slack that also serves HTTPS (--tls-ca-file). */
static int m_tls_start(void) {
    const char *bin = getenv("XOXE_FAKE_SLACK");
    const char *issued = getenv("XOXE_ISSUED_TOKENS");
    const char *tmp = getenv("TMPDIR");
    char ready[320], *buf = NULL;
    long long port = 0;
    int i;
    if (bin == NULL || bin[0] == '\0') return -1;
    snprintf(tls_dir, sizeof tls_dir, "%s/xoxe-c-matrix.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (mkdtemp(tls_dir) == NULL) return -1;
    snprintf(ready, sizeof ready, "%s/ready.json", tls_dir);
    snprintf(tls_ca, sizeof tls_ca, "%s/ca.pem", tls_dir);
    fflush(NULL);
    tls_pid = fork();
    if (tls_pid < 0) return -1;
    if (tls_pid == 0) {
        const char *argv[10];
        int n = 0, devnull;
#ifdef __linux__
        prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
        devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) dup2(devnull, 1);
        argv[n++] = bin;
        argv[n++] = "--ready-file";
        argv[n++] = ready;
        argv[n++] = "--tls-ca-file";
        argv[n++] = tls_ca;
        if (issued && issued[0]) {
            argv[n++] = "--issued-tokens-file";
            argv[n++] = issued;
        }
        argv[n] = NULL;
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    for (i = 0; i < 600 && buf == NULL; i++) {
        int status;
        buf = m_read_file(ready);
        if (buf && buf[0] == '\0') {
            free(buf);
            buf = NULL;
        }
        if (buf) break;
        if (waitpid(tls_pid, &status, WNOHANG) == tls_pid) {
            tls_pid = -1;
            return -1;
        }
        m_sleep_ms(100);
    }
    if (buf == NULL) return -1;
    if (t_json_int(buf, "port", &port) != 0 ||
        t_json_get(buf, "base_url", tls_srv.base_url, sizeof tls_srv.base_url) != 0 ||
        t_json_get(buf, "tls_base_url", tls_srv.tls_base_url, sizeof tls_srv.tls_base_url) != 0) {
        free(buf);
        return -1;
    }
    free(buf); /* it held seeded secrets */
    unlink(ready);
    tls_srv.port = (int)port;
    return 0;
}

static void m_tls_stop(void) {
    int i, status;
    if (tls_pid > 0) {
        kill(tls_pid, SIGTERM);
        for (i = 0; i < 200; i++) {
            if (waitpid(tls_pid, &status, WNOHANG) == tls_pid) break;
            m_sleep_ms(50);
        }
        if (i == 200) {
            kill(tls_pid, SIGKILL);
            waitpid(tls_pid, &status, 0);
        }
        tls_pid = -1;
    }
    if (tls_ca[0]) unlink(tls_ca);
    if (tls_dir[0]) rmdir(tls_dir);
    tls_ca[0] = tls_dir[0] = '\0';
}

/* Client options: the matrix's defaults, then a row's overrides. */
static xoxe_client *m_client(int defaults, int row, const char *base_url, const char *ca) {
    xoxe_client_options *o = NULL;
    xoxe_client *c = NULL;
    xoxe_error *e = NULL;
    int over = j_get(row, "client");
    long long timeout = j_int(j_get(defaults, "timeout_ms"), 10000);
    long long connect = j_int(j_get(defaults, "connect_timeout_ms"), 5000);
    long long retries = j_int(j_get(defaults, "max_ratelimit_retries"), 0);
    long long wait = j_int(j_get(defaults, "max_retry_wait_secs"), 60);
    long long max_bytes = j_int(j_get(defaults, "max_response_bytes"), 0);
    timeout = j_int(j_get(over, "timeout_ms"), timeout);
    connect = j_int(j_get(over, "connect_timeout_ms"), connect);
    retries = j_int(j_get(over, "max_ratelimit_retries"), retries);
    max_bytes = j_int(j_get(over, "max_response_bytes"), max_bytes);
    CHECK_STATUS(xoxe_client_options_new(&o, &e), XOXE_STATUS_OK, e);
    CHECK_STATUS(xoxe_client_options_set_base_url(o, base_url, &e), XOXE_STATUS_OK, e);
    CHECK_STATUS(xoxe_client_options_set_timeouts(o, (uint32_t)connect, (uint32_t)timeout, &e), XOXE_STATUS_OK, e);
    CHECK_STATUS(xoxe_client_options_set_ratelimit_retries(o, (uint32_t)retries, (uint32_t)wait, &e),
                 XOXE_STATUS_OK, e);
    if (ca) CHECK_STATUS(xoxe_client_options_set_ca_bundle(o, ca, &e), XOXE_STATUS_OK, e);
    if (max_bytes > 0)
        CHECK_STATUS(xoxe_client_options_set_max_response_bytes(o, (uint64_t)max_bytes, &e), XOXE_STATUS_OK, e);
    CHECK_STATUS(xoxe_client_new(o, &c, &e), XOXE_STATUS_OK, e);
    xoxe_error_free(e);
    xoxe_client_options_free(o);
    return c;
}

/* Control requests go to `srv` (the harness talks to t_port). */
static int m_saved_port;
static void m_use(const m_server *srv) {
    m_saved_port = t_port;
    t_port = srv->port;
}
static void m_unuse(void) { t_port = m_saved_port; }

static const char *const manifest_names[] = {"manifest"};
static const char *const manifest_values[] = {"{\"display_information\":{\"name\":\"matrix\"}}"};

/* What a cell got. */
typedef struct {
    xoxe_status st;
    const char *status, *cause;
    int http_status;      /* 0: none */
    long long retry_after; /* -1: none */
    char slack_error[256]; /* never a secret: see m_take */
    int has_slack_error;
    char slack_echo[32];   /* the echo kind, when slack_error is exactly that echo */
    char message[512];     /* for failure output; withheld when it holds a secret */
    char checks[512];      /* what the secret and control-character checks found */
    int out_ok;  /* out-parameter: untouched on failure, a live handle on success */
    int err_ok;  /* error handle: present and consistent on failure, NULL on success */
    long long requests; /* requests to the method that reached the server */
} m_got;

/* A cell's credentials (fresh for every cell). */
typedef struct {
    t_config_pair cp;
    t_app app;
    char legacy[T_SECRET_MAX], refresh[T_SECRET_MAX];
} m_creds;

/* Whether `text` holds `secret`: the whole of it, or any 16 bytes of its random
 * part (after its last '-'), which is what a prefix-stripping echo leaves. */
static int m_holds_secret(const char *text, const char *secret) {
    const char *tail;
    char win[17];
    size_t n, i;
    if (text == NULL || secret == NULL || secret[0] == '\0') return 0;
    if (strstr(text, secret) != NULL) return 1;
    tail = strrchr(secret, '-');
    tail = tail ? tail + 1 : secret;
    n = strlen(tail);
    for (i = 0; i + 16 <= n; i++) {
        memcpy(win, tail + i, 16);
        win[16] = '\0';
        if (strstr(text, win) != NULL) return 1;
    }
    return 0;
}

enum { M_LEAKS_SECRET = 1, M_HAS_CONTROL = 2 };

/* The one check of a text the library produced during a cell (the error's
 * message, a log line): M_LEAKS_SECRET if it holds one of `secrets`
 * (NULL-terminated), M_HAS_CONTROL if it holds a byte < 0x20 or 0x7f. */
static int m_text_problems(const char *text, const char *const *secrets) {
    int bad = 0, i;
    const char *p;
    if (text == NULL) return 0;
    for (i = 0; secrets[i]; i++)
        if (m_holds_secret(text, secrets[i])) bad |= M_LEAKS_SECRET;
    for (p = text; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) bad |= M_HAS_CONTROL;
    return bad;
}

static void m_note(m_got *g, const char *what, int bad) {
    size_t used = strlen(g->checks);
    if (bad & M_LEAKS_SECRET)
        used += (size_t)snprintf(g->checks + used, sizeof g->checks - used, "%s holds a secret of the request; ", what);
    if ((bad & M_HAS_CONTROL) && used < sizeof g->checks)
        snprintf(g->checks + used, sizeof g->checks - used, "%s holds a control character; ", what);
}

/* The `error` an echo_error fault of `kind` builds from this cell's request
 * (fake-slack's Echo::value): the credential is the refresh token if the request
 * carries one, else its token. */
static void m_echo_value(const char *kind, const char *method, const m_creds *c, char *out, size_t len) {
    const char *cred = strcmp(method, "rotate") == 0     ? c->cp.refresh_token
                       : strcmp(method, "refresh") == 0  ? c->refresh
                       : strcmp(method, "exchange") == 0 ? c->legacy
                                                         : c->cp.token;
    const char *dash = strrchr(cred, '-');
    if (strcmp(kind, "credential_bare") == 0)
        snprintf(out, len, "%s", dash ? dash + 1 : cred);
    else if (strcmp(kind, "credential_ellipsis") == 0)
        snprintf(out, len, "%s\xe2\x80\xa6", cred); /* U+2026 */
    else if (strcmp(kind, "client_secret") == 0)
        snprintf(out, len, "invalid_client:%s", c->app.client_secret);
    else
        snprintf(out, len, "%s", cred);
}

/* Records a call's result; checks the message and the log lines captured during
 * the call against the cell's secrets, and slack_error against the expected echo. */
static void m_take(m_got *g, xoxe_status st, xoxe_error *err, int want, const char *method, const m_creds *c,
                   const char *const *secrets) {
    const xoxe_error_info *info = xoxe_error_get_info(err);
    int se = j_get(want, "slack_error"), bad = 0;
    size_t log_len, off;
    const char *logs = t_log_captured(&log_len);
    for (off = 0; off < log_len; off += strlen(logs + off) + 1) bad |= m_text_problems(logs + off, secrets);
    m_note(g, "a library log line", bad);
    g->st = st;
    g->status = xoxe_status_name(st);
    g->cause = g->status;
    g->http_status = 0;
    g->retry_after = -1;
    g->has_slack_error = 0;
    g->message[0] = g->slack_echo[0] = '\0';
    if (st == XOXE_STATUS_OK) {
        g->err_ok = err == NULL;
        return;
    }
    g->err_ok = info != NULL && info->status == st;
    if (info) {
        CHECK_ERROR_INFO(info);
        g->cause = xoxe_status_name(info->cause);
        g->http_status = info->http_status;
        g->retry_after = info->retry_after_secs;
        if (info->slack_error) {
            char echo[32], value[T_SECRET_MAX + 32];
            int i;
            g->has_slack_error = 1;
            if (se >= 0 && jn[se].type == J_OBJ && j_str(j_get(se, "echo"), echo, sizeof echo)) {
                m_echo_value(echo, method, c, value, sizeof value);
                if (strcmp(value, info->slack_error) == 0) snprintf(g->slack_echo, sizeof g->slack_echo, "%s", echo);
            }
            /* Server-controlled: recorded (and printed) only when it holds no secret. */
            for (i = 0; secrets[i] && !m_holds_secret(info->slack_error, secrets[i]); i++) {
            }
            snprintf(g->slack_error, sizeof g->slack_error, "%s",
                     secrets[i] ? "[withheld: it holds a secret of the request]" : info->slack_error);
        }
        bad = m_text_problems(info->message, secrets);
        m_note(g, "the message", bad);
        snprintf(g->message, sizeof g->message, "%s",
                 bad & M_LEAKS_SECRET ? "[withheld: it holds a secret of the request]"
                                      : info->message ? info->message : "");
    }
    xoxe_error_free(err);
}

/* Runs one method with fresh credentials from `srv` on `client`. */
static long long m_requests(const char *method) {
    t_stats s = t_get_stats();
    switch (method[0]) {
    case 'r': return method[2] == 't' ? s.rotate : s.access; /* rotate, refresh */
    case 'e': return s.exchange;
    case 'a': return s.auth_test;
    default: return s.validate;
    }
}

static void m_run(const char *method, const m_server *srv, xoxe_client *client, const char *fault_json,
                  const char *slack_method, int want, m_got *g) {
    long long before;
    xoxe_error *err = NULL;
    xoxe_status st;
    char fault[1024];
    m_creds c;
    /* Every secret of the cell (the request's and its pair's), NULL-terminated. */
    const char *secrets[] = {c.cp.token, c.cp.refresh_token, c.app.client_secret, c.legacy, c.refresh, NULL};
    memset(&c, 0, sizeof c);
    m_use(srv);
    if (strcmp(method, "rotate") == 0 || strcmp(method, "auth_test") == 0 || strcmp(method, "call") == 0) {
        c.cp = t_new_config(-1);
    } else {
        c.app = t_new_app(1);
        t_new_legacy(c.app.client_id, "bot", c.legacy, sizeof c.legacy);
        if (strcmp(method, "refresh") == 0) {
            xoxe_oauth_token *tok = NULL;
            st = xoxe_oauth_v2_exchange(srv->setup, c.app.client_id, c.app.client_secret, c.legacy, 0, &tok, &err);
            CHECK_STATUS(st, XOXE_STATUS_OK, err);
            if (st == XOXE_STATUS_OK) {
                snprintf(c.refresh, sizeof c.refresh, "%s", xoxe_oauth_token_get_info(tok)->refresh_token);
                xoxe_oauth_token_free(tok);
            }
            xoxe_error_free(err);
            err = NULL;
        }
    }
    t_ctl_clear_faults();
    if (fault_json) {
        /* The row's fault object with "method" added in front. */
        snprintf(fault, sizeof fault, "{\"method\":\"%s\",%s", slack_method, fault_json + 1);
        t_fault(fault);
    }
    before = m_requests(method);
    m_unuse();
    t_log_capture_clear(); /* the lines of this call only */
    if (strcmp(method, "rotate") == 0) {
        xoxe_config_token *out = (xoxe_config_token *)SENTINEL;
        st = xoxe_tooling_tokens_rotate(client, c.cp.refresh_token, 0, &out, &err);
        g->out_ok = st == XOXE_STATUS_OK ? out != NULL && out != SENTINEL && xoxe_config_token_get_info(out)->token[0]
                                         : out == SENTINEL;
        if (st == XOXE_STATUS_OK && out != SENTINEL) xoxe_config_token_free(out);
    } else if (strcmp(method, "exchange") == 0 || strcmp(method, "refresh") == 0) {
        xoxe_oauth_token *out = (xoxe_oauth_token *)SENTINEL;
        if (method[0] == 'e')
            st = xoxe_oauth_v2_exchange(client, c.app.client_id, c.app.client_secret, c.legacy, 0, &out, &err);
        else
            st = xoxe_oauth_v2_refresh(client, c.app.client_id, c.app.client_secret, c.refresh[0] ? c.refresh : "x", 0,
                                       &out, &err);
        g->out_ok = st == XOXE_STATUS_OK
                        ? out != NULL && out != SENTINEL && xoxe_oauth_token_get_info(out)->access_token[0]
                        : out == SENTINEL;
        if (st == XOXE_STATUS_OK && out != SENTINEL) xoxe_oauth_token_free(out);
    } else if (strcmp(method, "auth_test") == 0) {
        xoxe_auth_identity *out = (xoxe_auth_identity *)SENTINEL;
        st = xoxe_auth_test(client, c.cp.token, 0, &out, &err);
        g->out_ok = st == XOXE_STATUS_OK ? out != NULL && out != SENTINEL && xoxe_auth_identity_get_info(out)->team_id[0]
                                         : out == SENTINEL;
        if (st == XOXE_STATUS_OK && out != SENTINEL) xoxe_auth_identity_free(out);
    } else {
        xoxe_api_response *out = (xoxe_api_response *)SENTINEL;
        st = xoxe_call(client, slack_method, c.cp.token, manifest_names, manifest_values, 1, 0, &out, &err);
        g->out_ok = st == XOXE_STATUS_OK ? out != NULL && out != SENTINEL && xoxe_api_response_get_info(out)->json_len > 0
                                         : out == SENTINEL;
        if (st == XOXE_STATUS_OK && out != SENTINEL) xoxe_api_response_free(out);
    }
    m_take(g, st, err, want, method, &c, secrets);
    m_use(srv);
    g->requests = m_requests(method) - before;
    t_ctl_clear_faults();
    m_unuse();
    memset(&c, 0, sizeof c);
}

/* A successful auth.test with fresh credentials: the client survived. */
static int m_survives(const m_server *srv, xoxe_client *client) {
    t_config_pair cp;
    xoxe_auth_identity *out = NULL;
    xoxe_error *err = NULL;
    xoxe_status st;
    m_use(srv);
    cp = t_new_config(-1);
    m_unuse();
    st = xoxe_auth_test(client, cp.token, 0, &out, &err);
    memset(&cp, 0, sizeof cp);
    if (st != XOXE_STATUS_OK) {
        const xoxe_error_info *info = xoxe_error_get_info(err);
        printf("    survival auth.test failed: %s: %s\n", xoxe_status_name(st),
               info && info->message ? info->message : "");
        xoxe_error_free(err);
        return 0;
    }
    xoxe_auth_identity_free(out);
    return 1;
}

/* Compares a cell with its expectation; appends problems to `why`. */
static int m_compare(int want, const m_got *g, char *why, size_t len) {
    char buf[128];
    int ok = 1, i;
    size_t used = 0;
#define M_WHY(...)                                                                 \
    do {                                                                           \
        ok = 0;                                                                    \
        if (used < len) used += (size_t)snprintf(why + used, len - used, __VA_ARGS__); \
    } while (0)
    why[0] = '\0';
    j_str(j_get(want, "status"), buf, sizeof buf);
    if (strcmp(buf, g->status) != 0) M_WHY("status %s, expected %s; ", g->status, buf);
    if (!g->out_ok) M_WHY("out-parameter %s; ", g->st == XOXE_STATUS_OK ? "not written" : "written on failure");
    if (!g->err_ok) M_WHY("error handle inconsistent; ");
    i = j_get(want, "requests");
    if (i >= 0 && g->requests != j_int(i, -1))
        M_WHY("%lld requests reached the server, expected %lld; ", g->requests, j_int(i, -1));
    if (strcmp(buf, "ok") == 0) return ok;
    if (j_str(j_get(want, "cause"), buf, sizeof buf) && strcmp(buf, g->cause) != 0)
        M_WHY("cause %s, expected %s; ", g->cause, buf);
    i = j_get(want, "http_status");
    if (i >= 0 && g->http_status != (int)j_int(i, 0))
        M_WHY("http_status %d, expected %lld; ", g->http_status, j_int(i, 0));
    i = j_get(want, "retry_after");
    if (i >= 0 && g->retry_after != j_int(i, -1))
        M_WHY("retry_after %lld, expected %lld; ", g->retry_after, j_int(i, -1));
    i = j_get(want, "slack_error");
    if (i >= 0) {
        char raw[256];
        if (jn[i].type == J_NULL && g->has_slack_error) M_WHY("slack_error %s, expected none; ", g->slack_error);
        if (jn[i].type == J_STR && (!g->has_slack_error || strcmp(j_str(i, raw, sizeof raw), g->slack_error) != 0))
            M_WHY("slack_error %s, expected %s; ", g->has_slack_error ? g->slack_error : "(none)", j_str(i, raw, sizeof raw));
        /* {"echo": kind}: exactly what the hostile server built from the request. */
        if (jn[i].type == J_OBJ && strcmp(j_str(j_get(i, "echo"), buf, sizeof buf) ? buf : "?", g->slack_echo) != 0)
            M_WHY("slack_error is not the server's %s echo; ", buf);
    }
#undef M_WHY
    return ok;
}

static void m_write(FILE *out, const char *fault, const char *method, int want, const m_got *g, int pass,
                    const char *skipped) {
    if (out == NULL) return;
    fprintf(out, "{\"lang\":\"c\",\"fault\":");
    put_json_str(out, fault);
    fprintf(out, ",\"method\":");
    put_json_str(out, method);
    fprintf(out, ",\"expected\":%.*s,\"got\":", (int)(jn[want].e - jn[want].s), jn[want].s);
    if (skipped) {
        fprintf(out, "null,\"pass\":null,\"skipped\":");
        put_json_str(out, skipped);
        fprintf(out, "}\n");
        return;
    }
    fprintf(out, "{\"status\":");
    put_json_str(out, g->status);
    if (g->st != XOXE_STATUS_OK) {
        fprintf(out, ",\"cause\":");
        put_json_str(out, g->cause);
        if (g->http_status) fprintf(out, ",\"http_status\":%d", g->http_status);
        else fprintf(out, ",\"http_status\":null");
        if (g->retry_after >= 0) fprintf(out, ",\"retry_after\":%lld", g->retry_after);
        else fprintf(out, ",\"retry_after\":null");
        fprintf(out, ",\"slack_error\":");
        if (g->slack_echo[0]) {
            fprintf(out, "{\"echo\":");
            put_json_str(out, g->slack_echo);
            fputc('}', out);
        } else if (g->has_slack_error) {
            put_json_str(out, g->slack_error);
        } else {
            fprintf(out, "null");
        }
    }
    fprintf(out, ",\"requests\":%lld},\"pass\":%s", g->requests, pass ? "true" : "false");
    if (g->checks[0]) { /* what the secret and control-character checks found (no secret in it) */
        char checks[sizeof g->checks];
        size_t n = strlen(g->checks);
        snprintf(checks, sizeof checks, "%s", g->checks);
        if (n >= 2 && strcmp(checks + n - 2, "; ") == 0) checks[n - 2] = '\0';
        fprintf(out, ",\"checks\":");
        put_json_str(out, checks);
    }
    fprintf(out, "}\n");
}

void test_matrix(void) {
    char path[1024], outpath[1100], id[96], method[32], slack_method[64], buf[64];
    const char *variant, *dir = getenv("XOXE_MATRIX_DIR");
    char *text;
    int root = -1, methods, faults, defaults, row, m, total = 0, passed = 0, skipped = 0;
    FILE *out = NULL;
    long log_start = t_log_lines();
    m_find_root();
    snprintf(path, sizeof path, "%s/tests/matrix/matrix.json", m_root);
    text = m_read_file(path);
    CHECK_MSG(text != NULL, "cannot read %s", path);
    if (text == NULL) return;
    jn_len = 0;
    if (j_value(text, &root) == NULL || *j_ws(jn[root].e) != '\0' || jn[root].type != J_OBJ) {
        t_fail(__FILE__, __LINE__, "%s is not valid JSON (for this reader)", path);
        free(text);
        return;
    }
    methods = j_get(root, "methods");
    faults = j_get(root, "faults");
    defaults = j_get(root, "client");
    CHECK(methods >= 0 && faults >= 0);
#if defined(__SANITIZE_ADDRESS__)
    variant = "c-asan";
#else
    variant = t_slow_mode() ? "c-valgrind" : "c";
#endif
    if (dir && dir[0])
        snprintf(outpath, sizeof outpath, "%s", dir);
    else
        snprintf(outpath, sizeof outpath, "%s/build/matrix", m_root);
    m_mkdirs(outpath);
    snprintf(outpath + strlen(outpath), sizeof outpath - strlen(outpath), "/%s.jsonl", variant);
    out = fopen(outpath, "w");
    CHECK_MSG(out != NULL, "cannot write %s: %s", outpath, strerror(errno));

    plain_srv.port = t_port;
    snprintf(plain_srv.base_url, sizeof plain_srv.base_url, "%s", t_base_url);
    plain_srv.setup = m_client(defaults, -1, plain_srv.base_url, NULL);
    /* Every library line of the matrix, at debug level, for the per-cell checks. */
    t_log_capture(1);

    for (row = faults >= 0 ? jn[faults].child : -1; row >= 0; row = jn[row].next) {
        int fault = j_get(row, "fault"), expect = j_get(row, "expect");
        int tls = j_str(j_get(row, "server"), buf, sizeof buf) && strcmp(buf, "tls") == 0;
        int plain_survival = j_str(j_get(row, "survival"), buf, sizeof buf) && strcmp(buf, "plain_client") == 0;
        int skip = t_slow_mode() && j_str(j_get(row, "slow_mode"), buf, sizeof buf) && strcmp(buf, "skip") == 0;
        char fault_json[900];
        const m_server *srv = tls ? &tls_srv : &plain_srv;
        xoxe_client *client;
        j_str(j_get(row, "id"), id, sizeof id);
        if (skip) {
            char reason[256];
            if (!j_str(j_get(row, "slow_mode_reason"), reason, sizeof reason)) snprintf(reason, sizeof reason, "-");
            printf("    matrix: SKIPPED in slow (valgrind) mode: the %s cells (%s)\n", id, reason);
            for (m = jn[methods].child; m >= 0; m = jn[m].next) {
                j_str(j_get(m, "id"), method, sizeof method);
                m_write(out, id, method, j_get(expect, method), NULL, 0, "slow (valgrind) mode");
                skipped++;
            }
            continue;
        }
        if (tls && tls_pid < 0) {
            if (m_tls_start() != 0) {
                t_fail(__FILE__, __LINE__, "cannot start a fake Slack with --tls-ca-file");
                break;
            }
            tls_srv.setup = m_client(defaults, -1, tls_srv.base_url, NULL);
        }
        fault_json[0] = '\0';
        if (fault >= 0)
            snprintf(fault_json, sizeof fault_json, "%.*s", (int)(jn[fault].e - jn[fault].s), jn[fault].s);
        client = m_client(defaults, row, tls ? tls_srv.tls_base_url : plain_srv.base_url,
                          tls && j_true(j_get(row, "ca_bundle")) ? tls_ca : NULL);
        if (client == NULL) continue;
        for (m = jn[methods].child; m >= 0; m = jn[m].next) {
            int want;
            m_got g;
            char why[1024];
            int pass, alive;
            j_str(j_get(m, "id"), method, sizeof method);
            j_str(j_get(m, "slack_method"), slack_method, sizeof slack_method);
            want = j_get(expect, method);
            if (want < 0) {
                t_fail(__FILE__, __LINE__, "matrix: %s has no expectation for %s", id, method);
                continue;
            }
            memset(&g, 0, sizeof g);
            m_run(method, srv, client, fault >= 0 ? fault_json : NULL, slack_method, want, &g);
            pass = m_compare(want, &g, why, sizeof why);
            if (g.checks[0]) {
                pass = 0;
                snprintf(why + strlen(why), sizeof why - strlen(why), "%s", g.checks);
            }
            alive = m_survives(plain_survival ? &plain_srv : srv, plain_survival ? plain_srv.setup : client);
            if (!alive) {
                pass = 0;
                snprintf(why + strlen(why), sizeof why - strlen(why), "the client failed afterwards; ");
            }
            total++;
            if (pass) {
                passed++;
            } else {
                t_fail(__FILE__, __LINE__, "matrix cell %s x %s: %s(message: %s)", id, method, why, g.message);
            }
            m_write(out, id, method, want, &g, pass, NULL);
        }
        xoxe_client_free(client);
    }
    printf("    matrix: %d/%d cells passed", passed, total);
    if (skipped) printf(", %d skipped in slow (valgrind) mode (listed above)", skipped);
    printf("; results in %s\n", outpath);
    /* With XOXE_LOG=debug every call logs a line: the matrix must reach the log
     * the secret scan reads (a logger test that leaves logging off fails here). */
    if (t_log_level() == XOXE_LOG_LEVEL_DEBUG)
        CHECK_MSG(t_log_lines() - log_start >= total, "matrix: %ld library log lines for %d cells (XOXE_LOG=debug)",
                  t_log_lines() - log_start, total);
    t_log_capture(0);
    if (out) fclose(out);
    xoxe_client_free(plain_srv.setup);
    xoxe_client_free(tls_srv.setup);
    plain_srv.setup = tls_srv.setup = NULL;
    m_tls_stop();
    free(jn);
    jn = NULL;
    jn_len = jn_cap = 0;
    free(text);
}
