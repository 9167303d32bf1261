/* Fleet stores (PostgreSQL and Redis) through the C ABI, against the throwaway
 * servers of scripts/test-db.sh: xoxe_store_postgres_new and
 * xoxe_store_redis_new (TCP and unix socket), each test on its own chain
 * (pid, time, counter): init and rotation through a rotator; two rotators on
 * two store handles (two connections) for one chain rotate once and agree;
 * threads forcing rotations through several handles never send a refresh
 * token twice; bad arguments; and a server that is down or refuses the
 * password is a STORE_IO error whose message redacts the password.
 *
 * The servers: `make test` exports XOXE_TEST_DB_DIR and the URLs
 * (XOXE_TEST_POSTGRES_URL, XOXE_TEST_REDIS_URL, XOXE_TEST_REDIS_UNIX_URL). Run
 * by hand without XOXE_TEST_DB_DIR, the tests start them with
 * `scripts/test-db.sh start <repo>/build/db` and read its env file. A URL that
 * is still missing fails every test that needs it (never a silent skip).
 *
 * Secrets: the URLs hold passwords and are never printed (the library's
 * messages redact them, which these tests check); tokens are compared in
 * memory and never printed. Token buffers are wiped when a test is done. */
#include "harness.h"
#include "tests.h"
#include "rotator_support.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The repository (the Makefile passes it), for scripts/test-db.sh. */
#ifndef XOXE_TEST_ROOT
#define XOXE_TEST_ROOT "."
#endif

/* ------------------------------------------------------------- backends */

typedef struct {
    const char *name; /* for messages */
    const char *env;  /* the variable holding its URL */
    int redis;        /* 0: xoxe_store_postgres_new, 1: xoxe_store_redis_new */
} backend;

static const backend backends[] = {
    {"PostgreSQL", "XOXE_TEST_POSTGRES_URL", 0},
    {"Redis (TCP)", "XOXE_TEST_REDIS_URL", 1},
    {"Redis (unix socket)", "XOXE_TEST_REDIS_UNIX_URL", 1},
};
#define NBACKENDS (sizeof backends / sizeof backends[0])

/* Reads `export K='V'` lines (shell single quotes, `'\''` inside) of a
 * test-db.sh env file into the environment, without replacing a variable that
 * is already set. The values are secrets: never printed, wiped after. */
static void load_env_file(const char *path) {
    FILE *f = fopen(path, "r");
    char line[4096], key[128], val[4096];
    if (f == NULL) {
        printf("    note: cannot read %s: %s\n", path, strerror(errno));
        return;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        const char *p = line;
        size_t k = 0, v = 0;
        if (strncmp(p, "export ", 7) != 0) continue;
        p += 7;
        while ((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_')
            if (k < sizeof key - 1) key[k++] = *p++;
            else p++;
        key[k] = '\0';
        if (*p++ != '=' || k == 0) continue;
        while (*p && *p != '\n' && v < sizeof val - 1) {
            if (*p == '\'') {
                p++;
                while (*p && *p != '\'' && v < sizeof val - 1) val[v++] = *p++;
                if (*p == '\'') p++;
            } else if (*p == '\\' && p[1]) {
                val[v++] = p[1];
                p += 2;
            } else {
                val[v++] = *p++;
            }
        }
        val[v] = '\0';
        if (strncmp(key, "XOXE_TEST_", 10) == 0) setenv(key, val, 0);
        wipe(val, sizeof val);
    }
    wipe(line, sizeof line);
    fclose(f);
}

static int all_urls_set(void) {
    size_t i;
    for (i = 0; i < NBACKENDS; i++) {
        const char *v = getenv(backends[i].env);
        if (v == NULL || v[0] == '\0') return 0;
    }
    return 1;
}

/* Without XOXE_TEST_DB_DIR (a run by hand), starts the servers once. */
static void ensure_servers(void) {
    static int tried;
    char dir[1024], cmd[2600], env[1100];
    int rc;
    const char *db_dir = getenv("XOXE_TEST_DB_DIR");
    if (tried || all_urls_set()) return;
    tried = 1;
    if (db_dir != NULL && db_dir[0] != '\0') return; /* `make test`: what it gave is what there is */
    snprintf(dir, sizeof dir, "%s/build/db", XOXE_TEST_ROOT);
    snprintf(cmd, sizeof cmd, "'%s/scripts/test-db.sh' start '%s' >&2", XOXE_TEST_ROOT, dir);
    printf("    note: XOXE_TEST_DB_DIR is not set: starting the test servers (scripts/test-db.sh start %s)\n", dir);
    fflush(NULL);
    rc = system(cmd);
    if (rc != 0) printf("    note: scripts/test-db.sh start %s failed (exit status %d)\n", dir, rc);
    snprintf(env, sizeof env, "%s/env", dir);
    load_env_file(env);
}

/* The URL of `b` (a secret), or NULL after failing the test with what to do. */
static const char *backend_url(const backend *b) {
    const char *v;
    ensure_servers();
    v = getenv(b->env);
    if (v == NULL || v[0] == '\0') {
        t_fail(__FILE__, __LINE__,
               "%s is not set: the %s store tests need the throwaway servers (`make test` starts them; by hand: "
               "scripts/test-db.sh start build/db && source build/db/env)",
               b->env, b->name);
        return NULL;
    }
    return v;
}

static xoxe_status fleet_new(const backend *b, const char *url, const char *chain, xoxe_store **out,
                             xoxe_error **e) {
    return b->redis ? xoxe_store_redis_new(url, chain, out, e) : xoxe_store_postgres_new(url, chain, out, e);
}

/* A store handle (its own connection) on `chain`, checked to succeed. */
static xoxe_store *fleet_store(const backend *b, const char *url, const char *chain) {
    xoxe_store *s = NULL;
    xoxe_error *e = NULL;
    xoxe_status st = fleet_new(b, url, chain, &s, &e);
    CHECK_MSG(st == XOXE_STATUS_OK, "%s store: %s: %s", b->name, xoxe_status_name(st),
              e ? xoxe_error_get_info(e)->message : "(no error handle)");
    drop_err(&e);
    return st == XOXE_STATUS_OK ? s : NULL;
}

/* A chain no other test or run uses: pid, time, counter. */
static void new_chain(char *out, size_t n) {
    static unsigned counter;
    snprintf(out, n, "xoxe-c-%ld-%lld-%u", (long)getpid(), (long long)time(NULL), ++counter);
}

/* -------------------------------------------------------------- rotation */

/* A rotator over a fleet store: an empty chain, init (twice: a conflict), one
 * rotation on first use, the pair seen by fresh handles, a forced rotation. */
static void fleet_rotate(const xoxe_client *c, const backend *b, const char *url) {
    char chain[96], other[96], tok[TOKEN_BUF], buf[TOKEN_BUF];
    xoxe_store *s = NULL, *s2 = NULL;
    xoxe_rotator *r = NULL, *r2 = NULL;
    xoxe_error *e = NULL;
    xoxe_status st;
    int64_t exp = -1, exp2 = -1;
    t_config_pair cp = t_new_config(-1);
    t_stats stats;
    new_chain(chain, sizeof chain);
    new_chain(other, sizeof other);
    s = fleet_store(b, url, chain);
    if (s == NULL) return;
    r = config_rotator(c, s, NULL);
    t_ctl_reset();
    /* A new chain is empty: the rotator says so, without any request. */
    EXPECT_FETCH_ERR(GET, r, XOXE_STATUS_STORE_EMPTY, XOXE_STATUS_STORE_EMPTY, NULL);
    EXPECT_FETCH_ERR(CURRENT, r, XOXE_STATUS_STORE_EMPTY, XOXE_STATUS_STORE_EMPTY, NULL);
    init_store(s, XOXE_CHAIN_KIND_CONFIG, cp.refresh_token);
    st = xoxe_store_init(s, XOXE_CHAIN_KIND_CONFIG, "xoxe-1-other", NULL, 0, false, &e);
    if (e) CHECK_NO_SECRET(xoxe_error_get_info(e)->message, cp.refresh_token);
    EXPECT_ERR(st, e, XOXE_STATUS_STORE_CONFLICT, XOXE_STATUS_STORE_CONFLICT);

    /* First use of the seed: one rotation, persisted, then served from memory. */
    if (r && FETCH_OK(GET, r, tok, &exp)) {
        CHECK_MSG(exp > (int64_t)time(NULL) + SERVER_DEFAULT_TTL - 600, "%s: expires_at %lld", b->name,
                  (long long)exp);
        CHECK_AUTH(c, tok);
        if (FETCH_OK(GET, r, buf, NULL)) CHECK(strcmp(buf, tok) == 0);
        /* A second handle (another connection) and a fresh rotator on it read the
         * rotated pair: current and get agree, without a request. */
        s2 = fleet_store(b, url, chain);
        if (s2) {
            r2 = config_rotator(c, s2, NULL);
            if (r2 && FETCH_OK(CURRENT, r2, buf, &exp2)) {
                CHECK_MSG(strcmp(buf, tok) == 0, "%s: a second handle does not see the rotated token", b->name);
                CHECK_INT(exp2, exp);
            }
            if (r2 && FETCH_OK(GET, r2, buf, &exp2)) CHECK(strcmp(buf, tok) == 0);
        }
    }
    stats = t_get_stats();
    CHECK_MSG(stats.rotate == 1 && stats.rotations == 1, "%s: %lld rotate requests, %lld rotations (expected 1)",
              b->name, stats.rotate, stats.rotations);

    /* A forced rotation through the second rotator: a fresh rotator on a third
     * handle gets its pair. */
    if (r2 && FETCH_OK(FORCE, r2, buf, &exp2)) {
        xoxe_store *s3 = fleet_store(b, url, chain);
        CHECK(strcmp(buf, tok) != 0);
        CHECK_AUTH(c, buf);
        if (s3) {
            xoxe_rotator *r3 = config_rotator(c, s3, NULL);
            xoxe_store_free(s3); /* the rotator keeps it */
            if (r3 && FETCH_OK(GET, r3, tok, &exp)) {
                CHECK_MSG(strcmp(buf, tok) == 0, "%s: a fresh rotator does not get the forced pair", b->name);
                CHECK_INT(exp, exp2);
            }
            xoxe_rotator_free(r3);
        }
    }
    stats = t_get_stats();
    CHECK_MSG(stats.rotate == 2 && stats.rotations == 2, "%s: %lld rotate requests, %lld rotations (expected 2)",
              b->name, stats.rotate, stats.rotations);
    CHECK_INT(stats.refresh_token_reuses, 0);

    /* Chains are separate: another chain on the same server is still empty. */
    {
        xoxe_store *so = fleet_store(b, url, other);
        xoxe_rotator *ro = so ? config_rotator(c, so, NULL) : NULL;
        if (ro) EXPECT_FETCH_ERR(CURRENT, ro, XOXE_STATUS_STORE_EMPTY, XOXE_STATUS_STORE_EMPTY, NULL);
        xoxe_rotator_free(ro);
        xoxe_store_free(so);
    }
    /* Re-initialising with overwrite replaces the chain: a fresh rotator rotates
     * the new seed (once, without sending any refresh token twice). */
    {
        t_config_pair cp2 = t_new_config(-1);
        xoxe_rotator *r4;
        st = xoxe_store_init(s, XOXE_CHAIN_KIND_CONFIG, cp2.refresh_token, NULL, 0, true, &e);
        CHECK_STATUS(st, XOXE_STATUS_OK, e);
        drop_err(&e);
        r4 = config_rotator(c, s, NULL);
        t_ctl_reset();
        if (r4 && FETCH_OK(GET, r4, tok, NULL)) CHECK_AUTH(c, tok);
        CHECK_INT(t_get_stats().rotations, 1);
        CHECK_INT(t_get_stats().refresh_token_reuses, 0);
        xoxe_rotator_free(r4);
    }

    xoxe_rotator_free(r);
    xoxe_rotator_free(r2);
    xoxe_store_free(s);
    xoxe_store_free(s2);
    wipe(tok, sizeof tok);
    wipe(buf, sizeof buf);
    wipe(&cp, sizeof cp);
}

void test_store_fleet_rotate(void) {
    xoxe_client *c = t_client();
    size_t i;
    for (i = 0; i < NBACKENDS; i++) {
        const char *url = backend_url(&backends[i]);
        if (url) fleet_rotate(c, &backends[i], url);
    }
    xoxe_client_free(c);
}

/* ------------------------------------------ two handles, one chain, at once */

typedef struct {
    const xoxe_rotator *r;
    pthread_barrier_t *barrier;
    xoxe_status st;
    char message[256];
    char token[TOKEN_BUF];
} racer;

static void *racer_run(void *arg) {
    racer *w = arg;
    xoxe_error *e = NULL;
    pthread_barrier_wait(w->barrier);
    w->st = xoxe_rotator_get(w->r, w->token, sizeof w->token, NULL, &e);
    if (e) snprintf(w->message, sizeof w->message, "%s", xoxe_error_get_info(e)->message);
    xoxe_error_free(e);
    return NULL;
}

/* Two rotators, each on its own store handle (its own connection: what two
 * processes would have), call get at the same moment on a chain that needs
 * rotating, while Slack takes 0.5 s to answer: one rotation, both get its
 * token. */
static void fleet_two_stores(const xoxe_client *c, const backend *b, const char *url) {
    char chain[96], buf[TOKEN_BUF];
    static racer w[2];
    pthread_t th[2];
    pthread_barrier_t barrier;
    xoxe_store *sa, *sb;
    xoxe_rotator *r[2] = {NULL, NULL};
    t_config_pair cp = t_new_config(-1);
    t_stats stats;
    int i, started[2];
    new_chain(chain, sizeof chain);
    sa = fleet_store(b, url, chain);
    sb = fleet_store(b, url, chain);
    if (sa == NULL || sb == NULL) {
        xoxe_store_free(sa);
        xoxe_store_free(sb);
        return;
    }
    init_store(sa, XOXE_CHAIN_KIND_CONFIG, cp.refresh_token);
    r[0] = config_rotator(c, sa, NULL);
    r[1] = config_rotator(c, sb, NULL);
    xoxe_store_free(sa); /* the rotators keep them */
    xoxe_store_free(sb);
    if (r[0] == NULL || r[1] == NULL) goto out;
    t_ctl_reset();
    t_fault("{\"method\":\"tooling.tokens.rotate\",\"kind\":\"delay\",\"delay_ms\":500,\"count\":2}");
    pthread_barrier_init(&barrier, NULL, 2);
    for (i = 0; i < 2; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].r = r[i];
        w[i].barrier = &barrier;
        w[i].st = XOXE_STATUS_PANIC;
    }
    for (i = 0; i < 2; i++) {
        started[i] = pthread_create(&th[i], NULL, racer_run, &w[i]) == 0;
        if (!started[i]) {
            fprintf(stderr, "pthread_create failed\n");
            abort(); /* the other thread waits at the barrier */
        }
    }
    for (i = 0; i < 2; i++) pthread_join(th[i], NULL);
    pthread_barrier_destroy(&barrier);
    t_ctl_clear_faults();
    for (i = 0; i < 2; i++)
        CHECK_MSG(w[i].st == XOXE_STATUS_OK, "%s: rotator %d: %s: %s", b->name, i, xoxe_status_name(w[i].st),
                  w[i].message);
    if (w[0].st == XOXE_STATUS_OK && w[1].st == XOXE_STATUS_OK) {
        CHECK_MSG(strcmp(w[0].token, w[1].token) == 0, "%s: the two rotators got different tokens", b->name);
        CHECK_AUTH(c, w[0].token);
    }
    stats = t_get_stats();
    CHECK_MSG(stats.rotate == 1 && stats.rotations == 1,
              "%s: %lld rotate requests, %lld rotations for two rotators on two handles (expected 1)", b->name,
              stats.rotate, stats.rotations);
    CHECK_INT(stats.refresh_token_reuses, 0);

    /* One forces a rotation. The other, forcing next, finds a newer pair in the
     * store than the one it last saw and takes it instead of spending another
     * refresh token; forced once more (now up to date), it rotates. A fresh
     * rotator on a third handle sees that last pair. */
    if (FETCH_OK(FORCE, r[0], w[0].token, NULL)) CHECK(strcmp(w[0].token, w[1].token) != 0);
    if (FETCH_OK(FORCE, r[1], buf, NULL))
        CHECK_MSG(strcmp(buf, w[0].token) == 0, "%s: a force after another handle's rotation did not take its pair",
                  b->name);
    CHECK_INT(t_get_stats().rotations, 2);
    if (FETCH_OK(FORCE, r[1], buf, NULL)) {
        xoxe_store *s3 = fleet_store(b, url, chain);
        xoxe_rotator *r3 = s3 ? config_rotator(c, s3, NULL) : NULL;
        CHECK(strcmp(buf, w[0].token) != 0);
        CHECK_AUTH(c, buf);
        if (r3 && FETCH_OK(CURRENT, r3, w[1].token, NULL)) CHECK(strcmp(w[1].token, buf) == 0);
        xoxe_rotator_free(r3);
        xoxe_store_free(s3);
    }
    stats = t_get_stats();
    CHECK_INT(stats.rotations, 3);
    CHECK_INT(stats.refresh_token_reuses, 0);
out:
    xoxe_rotator_free(r[0]);
    xoxe_rotator_free(r[1]);
    for (i = 0; i < 2; i++) wipe(w[i].token, sizeof w[i].token);
    wipe(buf, sizeof buf);
    wipe(&cp, sizeof cp);
}

void test_store_fleet_two_stores(void) {
    xoxe_client *c = t_client();
    size_t i;
    for (i = 0; i < NBACKENDS; i++) {
        const char *url = backend_url(&backends[i]);
        if (url) fleet_two_stores(c, &backends[i], url);
    }
    xoxe_client_free(c);
}

/* ------------------------------------------------- threads forcing rotations */

#define NFORCERS 8
#define NHANDLES 4

typedef struct {
    const xoxe_client *client;
    const xoxe_rotator *r;
    pthread_barrier_t *barrier;
    int rounds;
    int forced, errors;
    xoxe_status first;
    char message[256];
} forcer;

static void *forcer_run(void *arg) {
    forcer *w = arg;
    char buf[TOKEN_BUF];
    int i;
    pthread_barrier_wait(w->barrier);
    for (i = 0; i < w->rounds; i++) {
        xoxe_error *e = NULL;
        xoxe_auth_identity *id = NULL;
        xoxe_status st = xoxe_rotator_force_rotate(w->r, buf, sizeof buf, NULL, &e);
        if (st == XOXE_STATUS_OK) {
            w->forced++;
            st = xoxe_auth_test(w->client, buf, 0, &id, &e);
            xoxe_auth_identity_free(id);
        }
        if (st != XOXE_STATUS_OK && w->errors++ == 0) {
            w->first = st;
            snprintf(w->message, sizeof w->message, "%s", e ? xoxe_error_get_info(e)->message : "(no error handle)");
        }
        xoxe_error_free(e);
        e = NULL;
        st = xoxe_rotator_get(w->r, buf, sizeof buf, NULL, &e);
        if (st != XOXE_STATUS_OK && w->errors++ == 0) {
            w->first = st;
            snprintf(w->message, sizeof w->message, "%s", e ? xoxe_error_get_info(e)->message : "(no error handle)");
        }
        xoxe_error_free(e);
    }
    wipe(buf, sizeof buf);
    return NULL;
}

/* 8 threads over 4 store handles (4 connections) force rotations and get
 * tokens: every call succeeds, every token works, and no refresh token is ever
 * sent twice. */
static void fleet_threads(const xoxe_client *c, const backend *b, const char *url) {
    char chain[96], buf[TOKEN_BUF], buf2[TOKEN_BUF];
    static forcer w[NFORCERS];
    pthread_t th[NFORCERS];
    pthread_barrier_t barrier;
    xoxe_rotator *r[NHANDLES];
    t_config_pair cp = t_new_config(-1);
    t_stats stats;
    int i, ok = 1, forced = 0;
    new_chain(chain, sizeof chain);
    for (i = 0; i < NHANDLES; i++) {
        xoxe_store *s = fleet_store(b, url, chain);
        if (s && i == 0) init_store(s, XOXE_CHAIN_KIND_CONFIG, cp.refresh_token);
        r[i] = s ? config_rotator(c, s, NULL) : NULL;
        xoxe_store_free(s);
        if (r[i] == NULL) ok = 0;
    }
    if (!ok) goto out;
    t_ctl_reset();
    pthread_barrier_init(&barrier, NULL, NFORCERS);
    for (i = 0; i < NFORCERS; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].client = c;
        w[i].r = r[i % NHANDLES];
        w[i].barrier = &barrier;
        w[i].rounds = t_iters(4, 2);
    }
    for (i = 0; i < NFORCERS; i++) {
        if (pthread_create(&th[i], NULL, forcer_run, &w[i]) != 0) {
            fprintf(stderr, "pthread_create failed\n");
            abort(); /* the others wait at the barrier */
        }
    }
    for (i = 0; i < NFORCERS; i++) pthread_join(th[i], NULL);
    pthread_barrier_destroy(&barrier);
    for (i = 0; i < NFORCERS; i++) {
        forced += w[i].forced;
        CHECK_MSG(w[i].errors == 0, "%s: thread %d: %d errors; first %s: %s", b->name, i, w[i].errors,
                  xoxe_status_name(w[i].first), w[i].message);
    }
    stats = t_get_stats();
    printf("    note: %s: %d forced rotations by %d threads over %d handles: %lld rotations at Slack\n", b->name,
           forced, NFORCERS, NHANDLES, stats.rotations);
    CHECK_MSG(stats.refresh_token_reuses == 0, "%s: %lld refresh tokens sent twice", b->name,
              stats.refresh_token_reuses);
    CHECK_INT(stats.rotate, stats.rotations);
    CHECK(stats.rotations >= 1 && stats.rotations <= forced);
    /* The chain is alive: a fresh handle and rotator agree with the store. */
    {
        xoxe_store *s = fleet_store(b, url, chain);
        xoxe_rotator *rf = s ? config_rotator(c, s, NULL) : NULL;
        xoxe_store_free(s);
        if (rf && FETCH_OK(CURRENT, rf, buf, NULL) && FETCH_OK(GET, rf, buf2, NULL)) {
            CHECK(strcmp(buf, buf2) == 0);
            CHECK_AUTH(c, buf2);
        }
        if (rf && FETCH_OK(FORCE, rf, buf, NULL)) CHECK_AUTH(c, buf);
        xoxe_rotator_free(rf);
    }
    CHECK_INT(t_get_stats().refresh_token_reuses, 0);
out:
    for (i = 0; i < NHANDLES; i++) xoxe_rotator_free(r[i]);
    wipe(buf, sizeof buf);
    wipe(buf2, sizeof buf2);
    wipe(&cp, sizeof cp);
}

void test_store_fleet_threads(void) {
    xoxe_client *c = t_client();
    size_t i;
    for (i = 0; i < NBACKENDS; i++) {
        const char *url = backend_url(&backends[i]);
        if (url) fleet_threads(c, &backends[i], url);
    }
    xoxe_client_free(c);
}

/* ------------------------------------------------------------ bad arguments */

/* A refused store: status, no handle written, and the message neither holds
 * `secret` nor lacks `must` (NULL: no check). */
static void expect_refused(const char *file, int line, const backend *b, const char *url, const char *chain,
                           xoxe_status want, const char *secret, const char *must) {
    xoxe_store *s = (xoxe_store *)SENTINEL;
    xoxe_error *e = NULL;
    xoxe_status st = fleet_new(b, url, chain, &s, &e);
    if (st != want)
        t_fail(file, line, "%s store: %s, expected %s; message: %s", b->name, xoxe_status_name(st),
               xoxe_status_name(want), e ? xoxe_error_get_info(e)->message : "(no error handle)");
    if (s != (xoxe_store *)SENTINEL) {
        t_fail(file, line, "%s store: out written on failure", b->name);
        if (st == XOXE_STATUS_OK) xoxe_store_free(s);
    }
    if (e == NULL) {
        if (st != XOXE_STATUS_OK) t_fail(file, line, "%s store: failed without an error handle", b->name);
        return;
    }
    {
        const xoxe_error_info *info = xoxe_error_get_info(e);
        t_check_error_info(file, line, info);
        if (info && info->message) {
            t_check_no_secret(file, line, "message", info->message, secret);
            if (must && strstr(info->message, must) == NULL)
                t_fail(file, line, "%s store: the message does not contain \"%s\": %s", b->name, must,
                       secret && strstr(info->message, secret) ? "(not printed: it holds the secret)"
                                                               : info->message);
        }
    }
    drop_err(&e);
}
#define EXPECT_REFUSED(b, url, chain, want, secret, must) \
    expect_refused(__FILE__, __LINE__, (b), (url), (chain), (want), (secret), (must))

/* NULL, invalid UTF-8, a bad chain name, the wrong scheme, a server that is
 * down or refuses the password (whose message redacts it), the default chain
 * and the longest chain name. */
void test_store_fleet_args(void) {
    static const backend *pg = &backends[0], *redis = &backends[1];
    const char *pg_down = "postgresql://xoxe:SECRETPW123@127.0.0.1:9/db";
    const char *redis_down = "redis://:SECRETPW123@127.0.0.1:9/0";
    char longest[XOXE_MAX_CHAIN_NAME_LEN + 2], wrong[512];
    xoxe_store *s = (xoxe_store *)SENTINEL;
    xoxe_error *e = NULL;
    xoxe_status st;
    size_t i;
    memset(longest, 'x', sizeof longest);
    longest[XOXE_MAX_CHAIN_NAME_LEN + 1] = '\0'; /* one too long */

    /* NULL arguments, with and without an error handle. */
    st = xoxe_store_postgres_new(NULL, "c", &s, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
    st = xoxe_store_redis_new(NULL, "c", &s, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
    st = xoxe_store_postgres_new(pg_down, "c", NULL, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
    st = xoxe_store_redis_new(redis_down, "c", NULL, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
    CHECK_INT(xoxe_store_postgres_new(NULL, NULL, &s, NULL), XOXE_STATUS_NULL_ARGUMENT);
    CHECK_INT(xoxe_store_redis_new(NULL, NULL, &s, NULL), XOXE_STATUS_NULL_ARGUMENT);
    CHECK(s == (xoxe_store *)SENTINEL);

    /* Invalid UTF-8 in the URL or the chain; malformed URLs; the other store's
     * scheme. */
    EXPECT_REFUSED(pg, "postgresql://xoxe:SECRETPW123@127.0.0.1:9/\xff", "c", XOXE_STATUS_INVALID_UTF8,
                   "SECRETPW123", NULL);
    EXPECT_REFUSED(redis, "redis://:SECRETPW123@127.0.0.1:9/\xc3", "c", XOXE_STATUS_INVALID_UTF8, "SECRETPW123",
                   NULL);
    EXPECT_REFUSED(pg, pg_down, "chain-\xff", XOXE_STATUS_INVALID_UTF8, "SECRETPW123", NULL);
    EXPECT_REFUSED(redis, redis_down, "chain-\xff", XOXE_STATUS_INVALID_UTF8, "SECRETPW123", NULL);
    EXPECT_REFUSED(pg, "", "c", XOXE_STATUS_INVALID_ARGUMENT, NULL, NULL);
    EXPECT_REFUSED(redis, "", "c", XOXE_STATUS_INVALID_ARGUMENT, NULL, NULL);
    EXPECT_REFUSED(pg, redis_down, "c", XOXE_STATUS_INVALID_ARGUMENT, "SECRETPW123", NULL);
    EXPECT_REFUSED(redis, pg_down, "c", XOXE_STATUS_INVALID_ARGUMENT, "SECRETPW123", NULL);
    /* Bad chain names, on a server that is down (checked before connecting). */
    EXPECT_REFUSED(pg, pg_down, "a b", XOXE_STATUS_INVALID_ARGUMENT, "SECRETPW123", NULL);
    EXPECT_REFUSED(redis, redis_down, "a b", XOXE_STATUS_INVALID_ARGUMENT, "SECRETPW123", NULL);
    EXPECT_REFUSED(pg, pg_down, "", XOXE_STATUS_INVALID_ARGUMENT, "SECRETPW123", NULL);
    EXPECT_REFUSED(redis, redis_down, "{slot}", XOXE_STATUS_INVALID_ARGUMENT, "SECRETPW123", NULL);
    EXPECT_REFUSED(pg, pg_down, longest, XOXE_STATUS_INVALID_ARGUMENT, "SECRETPW123", NULL);
    EXPECT_REFUSED(redis, redis_down, longest, XOXE_STATUS_INVALID_ARGUMENT, "SECRETPW123", NULL);

    /* Nothing listens on port 9: STORE_IO, naming the URL with its password
     * redacted. */
    EXPECT_REFUSED(pg, pg_down, "c", XOXE_STATUS_STORE_IO, "SECRETPW123", "***");
    EXPECT_REFUSED(pg, pg_down, NULL, XOXE_STATUS_STORE_IO, "SECRETPW123", "127.0.0.1:9");
    EXPECT_REFUSED(pg, "postgres://xoxe:SECRETPW123@127.0.0.1:9/db?sslmode=disable", "c", XOXE_STATUS_STORE_IO,
                   "SECRETPW123", "***");
    EXPECT_REFUSED(redis, redis_down, "c", XOXE_STATUS_STORE_IO, "SECRETPW123", "***");
    EXPECT_REFUSED(redis, redis_down, NULL, XOXE_STATUS_STORE_IO, "SECRETPW123", "127.0.0.1:9");
    EXPECT_REFUSED(redis, "redis+unix:///nonexistent/xoxe.sock?pass=SECRETPW123", "c", XOXE_STATUS_STORE_IO,
                   "SECRETPW123", "***");

    /* The real servers, with each backend's own URL: bad chain names are refused
     * there too; the default chain (NULL) and the longest name are accepted
     * (nothing is stored: the stores are only created). */
    longest[XOXE_MAX_CHAIN_NAME_LEN] = '\0';
    for (i = 0; i < NBACKENDS; i++) {
        const backend *b = &backends[i];
        const char *url = backend_url(b);
        xoxe_store *ok;
        if (url == NULL) continue;
        EXPECT_REFUSED(b, url, "a b", XOXE_STATUS_INVALID_ARGUMENT, NULL, NULL);
        ok = fleet_store(b, url, NULL);
        xoxe_store_free(ok);
        ok = fleet_store(b, url, longest);
        xoxe_store_free(ok);
    }

    /* The right servers with the wrong password: STORE_IO, the password redacted. */
    {
        const char *pg_port = getenv("XOXE_TEST_PG_PORT"), *redis_port = getenv("XOXE_TEST_REDIS_PORT");
        const char *sock = getenv("XOXE_TEST_REDIS_SOCKET");
        if (pg_port && pg_port[0]) {
            snprintf(wrong, sizeof wrong, "postgresql://xoxe:WRONGPW456@127.0.0.1:%s/xoxe_test", pg_port);
            EXPECT_REFUSED(pg, wrong, "c", XOXE_STATUS_STORE_IO, "WRONGPW456", "***");
        } else {
            t_fail(__FILE__, __LINE__, "XOXE_TEST_PG_PORT is not set (scripts/test-db.sh's env file sets it)");
        }
        if (redis_port && redis_port[0]) {
            snprintf(wrong, sizeof wrong, "redis://:WRONGPW456@127.0.0.1:%s/0", redis_port);
            EXPECT_REFUSED(redis, wrong, "c", XOXE_STATUS_STORE_IO, "WRONGPW456", "***");
            snprintf(wrong, sizeof wrong, "redis://xoxe:WRONGPW456@127.0.0.1:%s/0", redis_port);
            EXPECT_REFUSED(redis, wrong, "c", XOXE_STATUS_STORE_IO, "WRONGPW456", "***");
        } else {
            t_fail(__FILE__, __LINE__, "XOXE_TEST_REDIS_PORT is not set (scripts/test-db.sh's env file sets it)");
        }
        if (sock && sock[0]) {
            snprintf(wrong, sizeof wrong, "redis+unix://%s?db=0&pass=WRONGPW456", sock);
            EXPECT_REFUSED(redis, wrong, "c", XOXE_STATUS_STORE_IO, "WRONGPW456", "***");
        } else {
            t_fail(__FILE__, __LINE__, "XOXE_TEST_REDIS_SOCKET is not set (scripts/test-db.sh's env file sets it)");
        }
    }
}
