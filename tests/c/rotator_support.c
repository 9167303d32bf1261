/* Helpers shared by the rotator and store tests: see rotator_support.h.
 *
 * Secrets: tokens are compared in memory and never printed. Token buffers are
 * wiped when a helper is done with them. */
#include "rotator_support.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------ small helpers */

void wipe(void *p, size_t n) {
    volatile unsigned char *v = p;
    while (n--) *v++ = 0;
}

long long unix_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Frees `*e` and clears it (for calls whose failure was already checked). */
void drop_err(xoxe_error **e) {
    xoxe_error_free(*e);
    *e = NULL;
}

xoxe_store *memory_store(void) {
    xoxe_store *s = NULL;
    xoxe_error *e = NULL;
    xoxe_status st = xoxe_store_memory_new(&s, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
    return s;
}

void init_store(const xoxe_store *s, uint32_t kind, const char *refresh) {
    xoxe_error *e = NULL;
    xoxe_status st = xoxe_store_init(s, kind, refresh, NULL, 0, false, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
}

xoxe_rotator *config_rotator(const xoxe_client *c, const xoxe_store *s, const xoxe_rotator_options *o) {
    xoxe_rotator *r = NULL;
    xoxe_error *e = NULL;
    xoxe_status st = xoxe_rotator_new_config(c, s, o, &r, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
    return r;
}

/* get / force_rotate / current. */
xoxe_status fetch(int how, const xoxe_rotator *r, char *buf, int64_t *exp, xoxe_error **e) {
    switch (how) {
    case GET: return xoxe_rotator_get(r, buf, TOKEN_BUF, exp, e);
    case FORCE: return xoxe_rotator_force_rotate(r, buf, TOKEN_BUF, exp, e);
    default: return xoxe_rotator_current(r, buf, TOKEN_BUF, exp, e);
    }
}

/* The same, expecting success. */
int fetch_ok(const char *file, int line, int how, const xoxe_rotator *r, char *buf, int64_t *exp) {
    xoxe_error *e = NULL;
    xoxe_status st = fetch(how, r, buf, exp, &e);
    t_check_status(file, line, how == GET ? "xoxe_rotator_get" : how == FORCE ? "xoxe_rotator_force_rotate"
                                                                              : "xoxe_rotator_current",
                   st, XOXE_STATUS_OK, e);
    if (st == XOXE_STATUS_OK && e != NULL) t_fail(file, line, "success wrote an error handle");
    drop_err(&e);
    return st == XOXE_STATUS_OK;
}

/* auth.test accepts `token`. */
void check_auth(const char *file, int line, const xoxe_client *c, const char *token) {
    xoxe_auth_identity *id = NULL;
    xoxe_error *e = NULL;
    xoxe_status st = xoxe_auth_test(c, token, 0, &id, &e);
    t_check_status(file, line, "xoxe_auth_test(rotated token)", st, XOXE_STATUS_OK, e);
    drop_err(&e);
    xoxe_auth_identity_free(id);
}

/* A failed rotator call: status, cause, buffer and expiry untouched, no secret
 * in the message. */
void expect_fetch_err(const char *file, int line, int how, const xoxe_rotator *r, xoxe_status want,
                      xoxe_status cause, const char *secret) {
    char buf[TOKEN_BUF];
    int64_t exp = -7;
    xoxe_error *e = NULL;
    xoxe_status st;
    size_t i;
    int touched = 0;
    memset(buf, 'Z', sizeof buf);
    st = fetch(how, r, buf, &exp, &e);
    for (i = 0; i < sizeof buf; i++) touched |= buf[i] != 'Z';
    if (touched) t_fail(file, line, "token buffer written on failure");
    if (exp != -7) t_fail(file, line, "expires_at written on failure");
    if (e) {
        const xoxe_error_info *info = xoxe_error_get_info(e);
        if (info) {
            t_check_no_secret(file, line, "message", info->message, secret);
            t_check_no_secret(file, line, "response_json", info->response_json, secret);
        }
    }
    t_expect_err(file, line, "rotator call", st, &e, want, cause);
    wipe(buf, sizeof buf);
}

/* -------------------------------------------------------------- temp files */

int make_tmpdir(char *out, size_t n) {
    const char *tmp = getenv("TMPDIR");
    snprintf(out, n, "%s/xoxe-c-store.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (mkdtemp(out) == NULL) {
        t_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
        return -1;
    }
    return 0;
}

void remove_tree(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *de;
    char p[1024];
    if (d != NULL) {
        while ((de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
            snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
            if (unlink(p) != 0) rmdir(p);
        }
        closedir(d);
    }
    if (rmdir(dir) != 0) t_fail(__FILE__, __LINE__, "cannot remove %s: %s", dir, strerror(errno));
}

/* Reads a whole (small) file; returns its length or -1. */
long read_file(const char *path, char *buf, size_t n) {
    FILE *f = fopen(path, "r");
    size_t got;
    if (f == NULL) return -1;
    got = fread(buf, 1, n - 1, f);
    fclose(f);
    buf[got] = '\0';
    return (long)got;
}

xoxe_store *file_store(const char *path, uint32_t lock_timeout_ms) {
    xoxe_store *s = NULL;
    xoxe_error *e = NULL;
    xoxe_status st = xoxe_store_file_new(path, lock_timeout_ms, &s, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
    return s;
}

/* ------------------------------------------------------------ single flight */

typedef struct {
    const xoxe_rotator *rotator;
    pthread_barrier_t *barrier;
    xoxe_status st;
    char token[TOKEN_BUF];
} flight_worker;

static void *flight_run(void *arg) {
    flight_worker *w = arg;
    xoxe_error *e = NULL;
    pthread_barrier_wait(w->barrier);
    w->st = xoxe_rotator_get(w->rotator, w->token, sizeof w->token, NULL, &e);
    xoxe_error_free(e);
    return NULL;
}

/* 16 threads call get on a chain that needs rotating: one rotation. `fault`
 * (or NULL) is injected first, e.g. a delay that widens the race. */
void single_flight(const xoxe_client *c, const xoxe_store *s, const char *what, const char *fault) {
    static flight_worker w[NFLIGHT];
    pthread_t th[NFLIGHT];
    pthread_barrier_t barrier;
    xoxe_rotator *r = config_rotator(c, s, NULL);
    int i, started[NFLIGHT], ok = 0, same = 0;
    t_stats stats;
    if (r == NULL) return;
    pthread_barrier_init(&barrier, NULL, NFLIGHT);
    t_ctl_reset();
    if (fault) t_fault(fault);
    for (i = 0; i < NFLIGHT; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].rotator = r;
        w[i].barrier = &barrier;
        w[i].st = XOXE_STATUS_PANIC;
    }
    for (i = 0; i < NFLIGHT; i++) {
        started[i] = pthread_create(&th[i], NULL, flight_run, &w[i]) == 0;
        CHECK(started[i]);
        if (!started[i]) {
            /* Cannot reach the barrier count: give up (abort rather than hang). */
            fprintf(stderr, "pthread_create failed\n");
            abort();
        }
    }
    for (i = 0; i < NFLIGHT; i++) pthread_join(th[i], NULL);
    for (i = 0; i < NFLIGHT; i++) {
        if (w[i].st == XOXE_STATUS_OK) ok++;
        else t_fail(__FILE__, __LINE__, "%s: thread %d: %s", what, i, xoxe_status_name(w[i].st));
        if (w[i].st == XOXE_STATUS_OK && strcmp(w[i].token, w[0].token) == 0) same++;
    }
    CHECK_MSG(ok == NFLIGHT && same == NFLIGHT, "%s: %d ok, %d got the first thread's token", what, ok, same);
    stats = t_get_stats();
    CHECK_MSG(stats.rotate == 1 && stats.rotations == 1, "%s: %lld rotate requests, %lld rotations for %d callers",
              what, stats.rotate, stats.rotations, NFLIGHT);
    CHECK_MSG(stats.refresh_token_reuses == 0, "%s: %lld refresh tokens sent again", what,
              stats.refresh_token_reuses);
    if (fault) t_ctl_clear_faults(); /* what the one rotation did not use */
    if (ok) CHECK_AUTH(c, w[0].token);
    for (i = 0; i < NFLIGHT; i++) wipe(w[i].token, sizeof w[i].token);
    pthread_barrier_destroy(&barrier);
    xoxe_rotator_free(r);
}
