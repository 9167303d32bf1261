/*
 * xoxe soak driver (C): SOAK_THREADS workers (default 4) run a mix of calls for
 * SOAK_SECONDS (default 600) against the soak's fake Slack (HTTP and HTTPS) while
 * faults are injected; the main thread samples RSS (/proc/self/statm) every 10 s
 * into $SOAK_OUT/soak-c.csv and writes $SOAK_OUT/soak-c.json at the end.
 *
 * The mix: rotate chains, exchange + refresh, auth.test, xoxe_call, a rotator
 * get() hot loop (memory and file stores), and error paths (NULL arguments,
 * invalid UTF-8, an insecure URL, invalid tokens). Every error is counted by its
 * status; a panic or a number xoxe_status_name does not know is "unexpected".
 * Never prints a token.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "xoxe.h"

#define MAX_CODE 4096
#define TOK (XOXE_MAX_TOKEN_LEN + 1)

static char base_url[256], tls_base_url[256], ca_file[1024], out_dir[1024];
static int control_port;
static double deadline;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned long long counts[MAX_CODE], unexpected_other, calls, oks, log_lines;
static unsigned long long unexpected[MAX_CODE];

static double now_mono(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void log_count(void *user_data, uint32_t level, const char *message) {
    (void)user_data;
    (void)level;
    if (message != NULL && message[0] != '\0') __atomic_fetch_add(&log_lines, 1, __ATOMIC_RELAXED);
}

/* Counts a call's outcome and frees its error (NULL when error_out was NULL). */
static void record_as(xoxe_status st, xoxe_error *err, int want_info) {
    const xoxe_error_info *info = xoxe_error_get_info(err);
    int bad = st == XOXE_STATUS_PANIC || strcmp(xoxe_status_name(st), "unknown_status") == 0 ||
              xoxe_status_family_of(st) == XOXE_STATUS_FAMILY_INTERNAL ||
              (want_info && st != XOXE_STATUS_OK && (info == NULL || info->status != st || info->message == NULL));
    pthread_mutex_lock(&mu);
    calls++;
    if (st == XOXE_STATUS_OK) oks++;
    else if (st < MAX_CODE) counts[st]++;
    if (bad) {
        if (st < MAX_CODE) unexpected[st]++;
        else unexpected_other++;
    }
    pthread_mutex_unlock(&mu);
    xoxe_error_free(err);
}

static void record(xoxe_status st, xoxe_error *err) { record_as(st, err, 1); }

static void wipe(void *p, size_t n) {
    volatile unsigned char *v = p;
    while (n--) *v++ = 0;
}

/* Copies the JSON string value of "key" in text into out (no escapes expected). */
static int json_str(const char *text, const char *key, char *out, size_t len) {
    char pat[64];
    const char *p, *e;
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    if ((p = strstr(text, pat)) == NULL) return -1;
    p += strlen(pat);
    if ((e = strchr(p, '"')) == NULL || (size_t)(e - p) >= len) return -1;
    memcpy(out, p, (size_t)(e - p));
    out[e - p] = '\0';
    return 0;
}

/* POSTs body to the fake Slack's /_control/path; the reply body goes to out. */
static int control(const char *path, const char *body, char *out, size_t len) {
    char req[1024];
    struct sockaddr_in a;
    size_t got = 0;
    ssize_t n;
    int fd = socket(AF_INET, SOCK_STREAM, 0), rc = -1;
    char *sep;
    if (fd < 0) return -1;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)control_port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) goto done;
    n = snprintf(req, sizeof req,
                 "POST /_control/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                 path, strlen(body), body);
    if (write(fd, req, (size_t)n) != n) goto done;
    while (got + 1 < len && (n = read(fd, out + got, len - 1 - got)) > 0) got += (size_t)n;
    out[got] = '\0';
    if ((sep = strstr(out, "\r\n\r\n")) == NULL || strncmp(out, "HTTP/1.1 200", 12) != 0) goto done;
    memmove(out, sep + 4, strlen(sep + 4) + 1);
    rc = 0;
done:
    close(fd);
    return rc;
}

static xoxe_client *new_client(const char *url, int https, uint64_t max_bytes) {
    xoxe_client_options *o = NULL;
    xoxe_client *c = NULL;
    xoxe_error *e = NULL;
    if (xoxe_client_options_new(&o, &e) != XOXE_STATUS_OK) goto fail;
    if (xoxe_client_options_set_base_url(o, url, &e) != XOXE_STATUS_OK) goto fail;
    if (xoxe_client_options_set_timeouts(o, 2000, 5000, &e) != XOXE_STATUS_OK) goto fail;
    if (xoxe_client_options_set_ratelimit_retries(o, 1, 1, &e) != XOXE_STATUS_OK) goto fail;
    if (https && xoxe_client_options_set_ca_bundle(o, ca_file, &e) != XOXE_STATUS_OK) goto fail;
    if (max_bytes && xoxe_client_options_set_max_response_bytes(o, max_bytes, &e) != XOXE_STATUS_OK) goto fail;
    if (xoxe_client_new(o, &c, &e) != XOXE_STATUS_OK) goto fail;
    xoxe_client_options_free(o);
    return c;
fail:
    fprintf(stderr, "soak-c: cannot make a client: %s\n", e ? xoxe_status_name(xoxe_error_get_info(e)->status) : "?");
    xoxe_error_free(e);
    xoxe_client_options_free(o);
    exit(3);
}

typedef struct {
    int n;
    unsigned seed;
    xoxe_client *client, *small;
    char refresh[TOK], access[TOK], client_id[128], client_secret[256];
    int have_chain, have_app, rotator_uses;
    xoxe_store *store;
    xoxe_rotator *rotator;
    char dir[256], path[512], lock_path[600];
} worker;

static unsigned rnd(worker *w) { return w->seed = w->seed * 1103515245u + 12345u, (w->seed >> 16) & 0x7fff; }

static int new_chain(worker *w, char *refresh, char *access) {
    static char buf[8192];
    char local[8192];
    (void)buf;
    if (control("config_tokens", "{}", local, sizeof local) != 0) return -1;
    if (json_str(local, "refresh_token", refresh, TOK) != 0) return -1;
    if (access != NULL && json_str(local, "token", access, TOK) != 0) return -1;
    (void)w;
    wipe(local, sizeof local);
    return 0;
}

static void op_rotate(worker *w) {
    int i;
    if (!w->have_chain) {
        if (new_chain(w, w->refresh, w->access) != 0) return;
        w->have_chain = 1;
    }
    for (i = 0; i < 3; i++) {
        xoxe_config_token *t = NULL;
        xoxe_error *e = NULL;
        xoxe_status st = xoxe_tooling_tokens_rotate(rnd(w) % 5 == 0 ? w->small : w->client, w->refresh, 0, &t, &e);
        record(st, e);
        if (st != XOXE_STATUS_OK) {
            w->have_chain = 0;
            return;
        }
        {
            const xoxe_config_token_info *in = xoxe_config_token_get_info(t);
            snprintf(w->refresh, TOK, "%s", in->refresh_token);
            snprintf(w->access, TOK, "%s", in->token);
        }
        xoxe_config_token_free(t);
    }
}

static void op_exchange_refresh(worker *w) {
    char body[256], reply[8192], legacy[TOK], refresh[TOK], access[TOK];
    xoxe_oauth_token *t = NULL;
    xoxe_error *e = NULL;
    xoxe_status st;
    if (!w->have_app) {
        if (control("apps", "{\"rotation_enabled\":true}", reply, sizeof reply) != 0) return;
        if (json_str(reply, "client_id", w->client_id, sizeof w->client_id) != 0 ||
            json_str(reply, "client_secret", w->client_secret, sizeof w->client_secret) != 0)
            return;
        w->have_app = 1;
    }
    snprintf(body, sizeof body, "{\"client_id\":\"%s\",\"kind\":\"%s\"}", w->client_id, rnd(w) % 2 ? "bot" : "user");
    if (control("legacy_tokens", body, reply, sizeof reply) != 0 || json_str(reply, "token", legacy, sizeof legacy) != 0)
        return;
    st = xoxe_oauth_v2_exchange(w->client, w->client_id, w->client_secret, legacy, 0, &t, &e);
    record(st, e);
    if (st == XOXE_STATUS_OK) {
        const xoxe_oauth_token_info *in = xoxe_oauth_token_get_info(t);
        snprintf(refresh, sizeof refresh, "%s", in->refresh_token ? in->refresh_token : "");
        xoxe_oauth_token_free(t);
        t = NULL;
        e = NULL;
        st = xoxe_oauth_v2_refresh(w->client, w->client_id, w->client_secret, refresh, 0, &t, &e);
        record(st, e);
        if (st == XOXE_STATUS_OK) {
            xoxe_auth_identity *id = NULL;
            snprintf(access, sizeof access, "%s", xoxe_oauth_token_get_info(t)->access_token);
            xoxe_oauth_token_free(t);
            e = NULL;
            st = xoxe_auth_test(w->client, access, 0, &id, &e);
            record(st, e);
            xoxe_auth_identity_free(id);
        }
        /* The same legacy token again: token_already_exchanged (or a fault). */
        t = NULL;
        e = NULL;
        st = xoxe_oauth_v2_exchange(w->client, w->client_id, w->client_secret, legacy, 0, &t, &e);
        record(st, e);
        xoxe_oauth_token_free(t);
    }
    wipe(legacy, sizeof legacy);
    wipe(refresh, sizeof refresh);
    wipe(access, sizeof access);
    wipe(reply, sizeof reply);
}

static void op_auth_and_call(worker *w) {
    const char *tok = w->have_chain ? w->access : "xoxe.xoxp-1-notatoken";
    const char *names[] = {"manifest"}, *values[] = {"{\"display_information\":{\"name\":\"soak\"}}"};
    const char *n2[] = {"a"}, *v2[] = {"b"};
    xoxe_auth_identity *id = NULL;
    xoxe_api_response *r = NULL;
    xoxe_error *e = NULL;
    xoxe_status st = xoxe_auth_test(w->client, tok, 0, &id, &e);
    record(st, e);
    xoxe_auth_identity_free(id);
    e = NULL;
    st = xoxe_call(w->client, "auth.test", tok, NULL, NULL, 0, 0, &r, &e);
    record(st, e);
    xoxe_api_response_free(r);
    r = NULL;
    e = NULL;
    st = xoxe_call(w->small, "apps.manifest.validate", tok, names, values, 1, 0, &r, &e);
    record(st, e);
    xoxe_api_response_free(r);
    r = NULL;
    e = NULL;
    st = xoxe_call(w->client, "no.such.method", tok, n2, v2, 1, 0, &r, &e);
    record(st, e);
    xoxe_api_response_free(r);
}

static void close_rotator(worker *w) {
    xoxe_rotator_free(w->rotator);
    xoxe_store_free(w->store);
    w->rotator = NULL;
    w->store = NULL;
    unlink(w->path);
    unlink(w->lock_path);
}

static void op_rotator(worker *w) {
    char token[TOK];
    int i;
    if (w->rotator == NULL || w->rotator_uses > 50) {
        char refresh[TOK];
        xoxe_error *e = NULL;
        xoxe_status st;
        close_rotator(w);
        if (new_chain(w, refresh, NULL) != 0) return;
        st = rnd(w) % 2 ? xoxe_store_memory_new(&w->store, &e) : xoxe_store_file_new(w->path, 0, &w->store, &e);
        record(st, e);
        if (st != XOXE_STATUS_OK) return;
        e = NULL;
        st = xoxe_store_init(w->store, XOXE_CHAIN_KIND_CONFIG, refresh, NULL, 0, false, &e);
        record(st, e);
        wipe(refresh, sizeof refresh);
        if (st == XOXE_STATUS_OK) {
            xoxe_rotator_options opt = {0, 0, 10000, 0};
            e = NULL;
            st = xoxe_rotator_new_config(w->client, w->store, &opt, &w->rotator, &e);
            record(st, e);
        }
        if (st != XOXE_STATUS_OK) {
            close_rotator(w);
            return;
        }
        w->rotator_uses = 0;
    }
    w->rotator_uses++;
    for (i = 0; i < 2000; i++) {
        int64_t exp = 0;
        xoxe_error *e = NULL;
        xoxe_status st = xoxe_rotator_get(w->rotator, token, sizeof token, &exp, &e);
        record(st, e);
        if (st != XOXE_STATUS_OK) {
            if (st == XOXE_STATUS_CHAIN_DEAD || rnd(w) % 3 == 0) close_rotator(w);
            break;
        }
    }
    wipe(token, sizeof token);
}

static void op_errors(worker *w) {
    xoxe_config_token *t = NULL;
    xoxe_auth_identity *id = NULL;
    xoxe_client_options *o = NULL;
    xoxe_client *c = NULL;
    xoxe_store *s = NULL;
    xoxe_error *e = NULL;
    char small_buf[16];
    const char bad_utf8[] = {'x', 'o', 'x', (char)0xff, (char)0xfe, 0};
    xoxe_status st;
    st = xoxe_tooling_tokens_rotate(w->client, "xoxe-1-not-a-real-refresh-token", 0, &t, &e);
    record(st, e);
    e = NULL;
    st = xoxe_auth_test(w->client, "xoxb-not-a-real-token", 0, &id, &e);
    record(st, e);
    e = NULL;
    st = xoxe_tooling_tokens_rotate(w->client, NULL, 0, &t, &e);
    record(st, e);
    e = NULL;
    st = xoxe_tooling_tokens_rotate(NULL, "xoxe-1-x", 0, &t, &e);
    record(st, e);
    e = NULL;
    st = xoxe_tooling_tokens_rotate(w->client, "", 0, &t, &e);
    record(st, e);
    e = NULL;
    st = xoxe_auth_test(w->client, bad_utf8, 0, &id, &e);
    record(st, e);
    e = NULL;
    st = xoxe_auth_test(w->client, "xoxb-x", 0, NULL, &e);
    record(st, e);
    e = NULL;
    st = xoxe_call(w->client, "", NULL, NULL, NULL, 0, 0, NULL, &e);
    record(st, e);
    e = NULL;
    st = xoxe_client_options_new(&o, &e);
    record(st, e);
    e = NULL;
    st = xoxe_client_options_set_base_url(o, "http://example.com/api/", &e);
    record(st, e);
    e = NULL;
    st = xoxe_client_options_set_ca_bundle(o, "/nonexistent/ca.pem", &e);
    record(st, e);
    e = NULL;
    st = xoxe_client_new(o, &c, &e);
    record(st, e);
    xoxe_client_free(c);
    xoxe_client_options_free(o);
    e = NULL;
    st = xoxe_store_file_new("", 0, &s, &e);
    record(st, e);
    xoxe_store_free(s);
    if (w->rotator != NULL) {
        e = NULL;
        st = xoxe_rotator_get(w->rotator, small_buf, sizeof small_buf, NULL, &e);
        record(st, e);
    }
    /* error_out may be NULL */
    st = xoxe_auth_test(w->client, NULL, 0, &id, NULL);
    record_as(st, NULL, 0);
}

static void *run(void *arg) {
    worker *w = arg;
    int i = 0, https = (w->n % 2 == 1) && tls_base_url[0] != '\0';
    const char *url = https ? tls_base_url : base_url;
    const char *tmp = getenv("TMPDIR");
    w->client = new_client(url, https, 0);
    w->small = new_client(url, https, 1 << 20);
    snprintf(w->dir, sizeof w->dir, "%s/xoxe-soak-c.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (mkdtemp(w->dir) == NULL) exit(3);
    snprintf(w->path, sizeof w->path, "%s/pair.json", w->dir);
    snprintf(w->lock_path, sizeof w->lock_path, "%s.lock", w->path);
    while (now_mono() < deadline) {
        switch (i++ % 5) {
        case 0: op_rotate(w); break;
        case 1: op_exchange_refresh(w); break;
        case 2: op_auth_and_call(w); break;
        case 3: op_rotator(w); break;
        default: op_errors(w); break;
        }
    }
    close_rotator(w);
    xoxe_client_free(w->client);
    xoxe_client_free(w->small);
    wipe(w->refresh, sizeof w->refresh);
    wipe(w->access, sizeof w->access);
    rmdir(w->dir);
    return NULL;
}

static long rss_kb(void) {
    long size = 0, res = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL) return -1;
    if (fscanf(f, "%ld %ld", &size, &res) != 2) res = -1;
    fclose(f);
    return res * (sysconf(_SC_PAGESIZE) / 1024);
}

int main(void) {
    const char *ready = getenv("SOAK_READY"), *ca = getenv("SOAK_CA"), *out = getenv("SOAK_OUT");
    const char *secs = getenv("SOAK_SECONDS"), *th = getenv("SOAK_THREADS");
    int nthreads = th ? atoi(th) : 4, i, first = 1;
    static char text[16384];
    char path[1200], num[32];
    worker *ws;
    pthread_t *ts;
    double start, next = 0;
    FILE *f, *csv;
    xoxe_error *e = NULL;
    size_t n;
    if (ready == NULL || out == NULL) {
        fprintf(stderr, "set SOAK_READY and SOAK_OUT\n");
        return 2;
    }
    if ((f = fopen(ready, "r")) == NULL) return 2;
    n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    json_str(text, "base_url", base_url, sizeof base_url);
    json_str(text, "tls_base_url", tls_base_url, sizeof tls_base_url);
    if (ca == NULL || ca[0] == '\0') tls_base_url[0] = '\0';
    else snprintf(ca_file, sizeof ca_file, "%s", ca);
    {
        const char *p = strstr(text, "\"port\":");
        control_port = p ? atoi(p + 7) : 0;
    }
    wipe(text, sizeof text);
    snprintf(out_dir, sizeof out_dir, "%s", out);
    if (xoxe_set_logger(log_count, NULL, XOXE_LOG_LEVEL_INFO, &e) != XOXE_STATUS_OK) return 3;

    start = now_mono();
    deadline = start + (secs ? atof(secs) : 600.0);
    ws = calloc((size_t)nthreads, sizeof *ws);
    ts = calloc((size_t)nthreads, sizeof *ts);
    for (i = 0; i < nthreads; i++) {
        ws[i].n = i;
        ws[i].seed = (unsigned)(i * 7919 + 17);
        pthread_create(&ts[i], NULL, run, &ws[i]);
    }
    snprintf(path, sizeof path, "%s/soak-c.csv", out_dir);
    csv = fopen(path, "w");
    fprintf(csv, "elapsed_s,rss_kb,calls\n");
    while (now_mono() < deadline + 0.5 || first) {
        double t = now_mono() - start;
        first = 0;
        if (t >= next) {
            pthread_mutex_lock(&mu);
            fprintf(csv, "%.0f,%ld,%llu\n", t, rss_kb(), calls);
            pthread_mutex_unlock(&mu);
            fflush(csv);
            next += 10;
        }
        {
            struct timespec ts200 = {0, 200000000L};
            nanosleep(&ts200, NULL);
        }
    }
    for (i = 0; i < nthreads; i++) pthread_join(ts[i], NULL);
    fprintf(csv, "%.0f,%ld,%llu\n", now_mono() - start, rss_kb(), calls);
    fclose(csv);
    xoxe_set_logger(NULL, NULL, 0, NULL);

    snprintf(path, sizeof path, "%s/soak-c.json", out_dir);
    f = fopen(path, "w");
    fprintf(f, "{\"lang\":\"c\",\"calls\":%llu,\"ok\":%llu,\"log_lines\":%llu,\"errors\":{", calls, oks, log_lines);
    first = 1;
    for (i = 1; i < MAX_CODE; i++)
        if (counts[i]) fprintf(f, "%s\"%s\":%llu", first ? "" : ",", xoxe_status_name((xoxe_status)i), counts[i]), first = 0;
    fprintf(f, "},\"unexpected\":{");
    first = 1;
    for (i = 0; i < MAX_CODE; i++)
        if (unexpected[i]) {
            snprintf(num, sizeof num, "%d", i);
            fprintf(f, "%s\"%s(%s)\":%llu", first ? "" : ",", xoxe_status_name((xoxe_status)i), num, unexpected[i]);
            first = 0;
        }
    if (unexpected_other) fprintf(f, "%s\"out_of_range\":%llu", first ? "" : ",", unexpected_other);
    fprintf(f, "}}\n");
    fclose(f);
    printf("c: %llu calls, %llu ok\n", calls, oks);
    free(ws);
    free(ts);
    return 0;
}
