/* Pools and stores of many chains through the C ABI: a pool over a memory
 * store and a directory store gets (and rotates) each chain, threads x chains
 * rotate each chain once, a removed chain is STORE_EMPTY, xoxe_store_chains
 * lists every chain with its fields, an LRU bound of 2 serves 5 chains, the
 * background refresher rotates without a get, a chain marked revoked is
 * CHAIN_REVOKED, a sealed directory store holds no token in clear (without its
 * keyring: STORE_SEALED naming the key id; tampered: refused and left as it
 * is), xoxe_store_rewrite_chains seals a plain store, xoxe_installation_chain's
 * forms and errors, and every new function's NULL, UTF-8 and NULL-free cases.
 *
 * Chains are seeded with refresh tokens from the fake Slack (xoxe_store_open_chain
 * + xoxe_store_init), as the rotator tests seed their stores.
 *
 * Secrets: tokens and keys are compared in memory and never printed; token
 * buffers and key text are wiped when a test is done with them. */
#include "harness.h"
#include "tests.h"
#include "rotator_support.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHAIN_NAME_MAX XOXE_MAX_CHAIN_NAME_LEN
#define CHAIN_BUF (CHAIN_NAME_MAX + 1)

/* ------------------------------------------------------------------ helpers */

static void sleep_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void set_server_ttl(long long ttl) {
    char body[64];
    snprintf(body, sizeof body, "{\"ttl\":%lld}", ttl);
    t_ctl("POST", "ttl", body, NULL, NULL, 0);
}

/* A directory store on `dir` (its default chain), checked to succeed. */
static xoxe_store *dir_store(const char *dir) {
    xoxe_store *s = NULL;
    xoxe_error *e = NULL;
    xoxe_status st = xoxe_store_dir_new(dir, NULL, 0, &s, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
    return s;
}

/* Chain `chain` of `s`'s place, checked to succeed. */
static xoxe_store *open_chain(const xoxe_store *s, const char *chain) {
    xoxe_store *o = NULL;
    xoxe_error *e = NULL;
    xoxe_status st;
    if (s == NULL) return NULL;
    st = xoxe_store_open_chain(s, chain, &o, &e);
    CHECK_MSG(st == XOXE_STATUS_OK, "open chain %s: %s", chain, xoxe_status_name(st));
    drop_err(&e);
    return o;
}

/* Starts chain `chain` of `s`'s place with a fresh config refresh token;
 * returns the pair the fake Slack issued (secrets: wipe it). */
static t_config_pair seed_chain(const xoxe_store *s, const char *chain) {
    t_config_pair cp = t_new_config(-1);
    xoxe_store *o = open_chain(s, chain);
    if (o) init_store(o, XOXE_CHAIN_KIND_CONFIG, cp.refresh_token);
    xoxe_store_free(o);
    return cp;
}

static xoxe_pool *new_pool(const xoxe_client *c, const xoxe_store *s, const char *client_id,
                           const char *client_secret, const xoxe_pool_options *o) {
    xoxe_pool *p = NULL;
    xoxe_error *e = NULL;
    xoxe_status st = xoxe_pool_new(c, s, client_id, client_secret, o, &p, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
    return p;
}

/* xoxe_pool_get into a TOKEN_BUF buffer, expecting success. */
#define POOL_GET_OK(p, chain, buf, exp) pool_get_ok(__FILE__, __LINE__, (p), (chain), (buf), (exp))
static int pool_get_ok(const char *file, int line, const xoxe_pool *p, const char *chain, char *buf, int64_t *exp) {
    xoxe_error *e = NULL;
    xoxe_status st;
    if (p == NULL) return 0;
    st = xoxe_pool_get(p, chain, buf, TOKEN_BUF, exp, &e);
    t_check_status(file, line, "xoxe_pool_get", st, XOXE_STATUS_OK, e);
    if (st == XOXE_STATUS_OK && e != NULL) t_fail(file, line, "success wrote an error handle");
    drop_err(&e);
    return st == XOXE_STATUS_OK;
}

/* xoxe_pool_get failing with `want`: buffer and expiry untouched, no secret in
 * the message. CHAIN_REVOKED carries Slack's code as its cause (`cause`), and
 * for a chain marked revoked no response: checked here rather than by
 * t_expect_err, whose cause rules predate CHAIN_REVOKED. */
#define EXPECT_POOL_ERR(p, chain, want, cause, secret) \
    expect_pool_err(__FILE__, __LINE__, (p), (chain), (want), (cause), (secret))
static void expect_pool_err(const char *file, int line, const xoxe_pool *p, const char *chain, xoxe_status want,
                            xoxe_status cause, const char *secret) {
    char buf[TOKEN_BUF];
    int64_t exp = -7;
    xoxe_error *e = NULL;
    xoxe_status st;
    size_t i;
    int touched = 0;
    if (p == NULL) return;
    memset(buf, 'Z', sizeof buf);
    st = xoxe_pool_get(p, chain, buf, sizeof buf, &exp, &e);
    for (i = 0; i < sizeof buf; i++) touched |= buf[i] != 'Z';
    if (touched) t_fail(file, line, "token buffer written on failure");
    if (exp != -7) t_fail(file, line, "expires_at written on failure");
    if (e) {
        const xoxe_error_info *info = xoxe_error_get_info(e);
        if (info) {
            t_check_no_secret(file, line, "message", info->message, secret);
            if (want == XOXE_STATUS_CHAIN_REVOKED && st == want) {
                if (info->status != want || info->cause != cause)
                    t_fail(file, line, "CHAIN_REVOKED: info status %s, cause %s (expected cause %s)",
                           xoxe_status_name(info->status), xoxe_status_name(info->cause), xoxe_status_name(cause));
                if (info->message == NULL || strstr(info->message, "revoked") == NULL)
                    t_fail(file, line, "CHAIN_REVOKED message does not say revoked");
                t_check_status(file, line, "xoxe_pool_get", st, want, e);
                drop_err(&e);
                return;
            }
        }
    }
    t_expect_err(file, line, "xoxe_pool_get", st, &e, want, cause);
}

/* The chains of `s`'s place, checked to succeed. */
static xoxe_chain_list *chains_of(const xoxe_store *s) {
    xoxe_chain_list *l = NULL;
    xoxe_error *e = NULL;
    xoxe_status st;
    if (s == NULL) return NULL;
    st = xoxe_store_chains(s, &l, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
    return l;
}

static const xoxe_chain_info *find_chain(const xoxe_chain_list *l, const char *name) {
    size_t i, n = xoxe_chain_list_len(l);
    for (i = 0; i < n; i++) {
        const xoxe_chain_info *ci = xoxe_chain_list_get(l, i);
        if (ci && ci->chain && strcmp(ci->chain, name) == 0) return ci;
    }
    return NULL;
}

static xoxe_pool_stats_info pool_stats(const xoxe_pool *p) {
    xoxe_pool_stats_info s;
    xoxe_error *e = NULL;
    xoxe_status st;
    memset(&s, 0, sizeof s);
    if (p == NULL) return s;
    st = xoxe_pool_stats(p, &s, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
    return s;
}

static int file_exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* Writes `len` bytes to `path` (created 0600, or truncated keeping its mode). */
static void write_bytes(const char *path, const char *data, size_t len) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, data, len) != (ssize_t)len) t_fail(__FILE__, __LINE__, "cannot write %s", path);
    if (fd >= 0) close(fd);
}

/* ------------------------------------------------------- get, list, remove */

static const char *const pool_names[] = {"bot:-:T0001", "config-a", "user:E1:T0001:U0002"};
#define NPOOL_NAMES (sizeof pool_names / sizeof pool_names[0])

/* A pool over `s` (a memory store, or a directory store on `dir`): each chain
 * rotates on first use and is fresh after; an unknown chain is STORE_EMPTY;
 * xoxe_store_chains lists every chain with its fields; remove deletes a chain
 * (and its file) and says whether it was there. */
static void pool_chains_on(const xoxe_client *c, const xoxe_store *s, const char *what, const char *dir) {
    t_config_pair cp[NPOOL_NAMES];
    char tok[NPOOL_NAMES][TOKEN_BUF], buf[TOKEN_BUF], path[700];
    int64_t exp[NPOOL_NAMES], exp2 = -1;
    long long before, after;
    xoxe_pool *p;
    xoxe_chain_list *l;
    xoxe_pool_stats_info ps;
    xoxe_error *e = NULL;
    xoxe_status st;
    bool removed = false;
    size_t i;
    t_stats stats;
    for (i = 0; i < NPOOL_NAMES; i++) {
        cp[i] = seed_chain(s, pool_names[i]);
        tok[i][0] = '\0';
        exp[i] = -1;
    }
    p = new_pool(c, s, NULL, NULL, NULL);
    if (p == NULL) return;
    t_ctl_reset();
    before = (long long)time(NULL);
    for (i = 0; i < NPOOL_NAMES; i++) {
        if (!POOL_GET_OK(p, pool_names[i], tok[i], &exp[i])) continue;
        CHECK_MSG(exp[i] > before + SERVER_DEFAULT_TTL - 600, "%s: chain %s expires_at %lld", what, pool_names[i],
                  (long long)exp[i]);
        CHECK_AUTH(c, tok[i]);
        if (i > 0) CHECK_MSG(strcmp(tok[i], tok[i - 1]) != 0, "%s: two chains share a token", what);
    }
    after = (long long)time(NULL);
    stats = t_get_stats();
    CHECK_MSG(stats.rotations == (long long)NPOOL_NAMES, "%s: %lld rotations for %d chains", what, stats.rotations,
              (int)NPOOL_NAMES);
    /* Fresh now: served without a request. */
    for (i = 0; i < NPOOL_NAMES; i++)
        if (POOL_GET_OK(p, pool_names[i], buf, &exp2)) {
            CHECK_MSG(strcmp(buf, tok[i]) == 0, "%s: chain %s: another token while fresh", what, pool_names[i]);
            CHECK_INT(exp2, exp[i]);
        }
    CHECK_INT(t_get_stats().rotations, (long long)NPOOL_NAMES);
    /* The non-blocking get lends the same fresh token; a chain not in memory
     * is "not fresh" (call xoxe_pool_get), with nothing written. */
    for (i = 0; i < NPOOL_NAMES; i++) {
        bool fresh = false;
        exp2 = -1;
        st = xoxe_pool_try_get(p, pool_names[i], buf, sizeof buf, &exp2, &fresh, &e);
        CHECK_STATUS(st, XOXE_STATUS_OK, e);
        drop_err(&e);
        CHECK_MSG(fresh && strcmp(buf, tok[i]) == 0, "%s: try_get of chain %s", what, pool_names[i]);
        CHECK_INT(exp2, exp[i]);
    }
    /* And with the deadline for handing it out again: within the documented horizon. */
    for (i = 0; i < NPOOL_NAMES; i++) {
        int64_t until = -1;
        long long before = unix_ms();
        st = xoxe_pool_get_reusable(p, pool_names[i], buf, sizeof buf, &exp2, &until, &e);
        long long after = unix_ms();
        CHECK_STATUS(st, XOXE_STATUS_OK, e);
        drop_err(&e);
        CHECK_MSG(strcmp(buf, tok[i]) == 0, "%s: get_reusable of chain %s", what, pool_names[i]);
        CHECK_MSG(until >= before && until <= after + REUSE_HORIZON_MS, "%s: reuse_until_ms %lld, called %lld-%lld ms",
                  what, (long long)until, before, after);
    }
    {
        bool fresh = true;
        memset(buf, 'Z', sizeof buf);
        exp2 = -7;
        st = xoxe_pool_try_get(p, "not-in-memory", buf, sizeof buf, &exp2, &fresh, &e);
        CHECK_STATUS(st, XOXE_STATUS_OK, e);
        drop_err(&e);
        CHECK_MSG(!fresh && buf[0] == 'Z' && exp2 == -7, "%s: try_get of a chain not in memory", what);
    }
    CHECK_INT(t_get_stats().rotations, (long long)NPOOL_NAMES);
    ps = pool_stats(p);
    CHECK_INT(ps.chains_in_memory, NPOOL_NAMES);
    CHECK_INT(ps.background_rotations, 0);
    CHECK_INT(ps.background_failures, 0);
    /* No such chain; a name that is not a chain name. Nothing sent. */
    EXPECT_POOL_ERR(p, "no-such-chain", XOXE_STATUS_STORE_EMPTY, XOXE_STATUS_STORE_EMPTY, NULL);
    EXPECT_POOL_ERR(p, "../escape", XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT, NULL);
    CHECK_INT(t_get_stats().rotate, (long long)NPOOL_NAMES);

    /* Every chain with its fields, sorted by name. */
    l = chains_of(s);
    CHECK_INT(xoxe_chain_list_len(l), NPOOL_NAMES);
    for (i = 0; l && i < NPOOL_NAMES; i++) {
        const xoxe_chain_info *ci = xoxe_chain_list_get(l, i);
        if (ci == NULL) {
            t_fail(__FILE__, __LINE__, "%s: no chain %d", what, (int)i);
            continue;
        }
        CHECK_STR(ci->chain, pool_names[i]);
        CHECK_INT(ci->status, XOXE_STATUS_OK);
        CHECK(ci->error_message == NULL);
        CHECK_INT(ci->kind, XOXE_CHAIN_KIND_CONFIG);
        CHECK_INT(ci->generation, 1);
        CHECK_INT(ci->expires_at, exp[i]);
        CHECK_MSG(ci->rotated_at >= before && ci->rotated_at <= after, "%s: rotated_at %lld not in [%lld, %lld]",
                  what, (long long)ci->rotated_at, before, after);
        CHECK(ci->rotated_by != NULL && strchr(ci->rotated_by, '/') != NULL);
        CHECK(ci->revoked == NULL);
        CHECK_STR(ci->team_id, cp[i].team_id);
        CHECK_STR(ci->user_id, cp[i].user_id);
    }
    CHECK(xoxe_chain_list_get(l, NPOOL_NAMES) == NULL);
    xoxe_chain_list_free(l);
    if (dir) {
        snprintf(path, sizeof path, "%s/%s.json", dir, pool_names[0]);
        CHECK_MSG(file_exists(path), "%s: no file for chain %s", what, pool_names[0]);
    }

    /* Removed: gone from the store (and its file), STORE_EMPTY for the pool. */
    st = xoxe_pool_remove(p, pool_names[0], &removed, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
    CHECK(removed);
    EXPECT_POOL_ERR(p, pool_names[0], XOXE_STATUS_STORE_EMPTY, XOXE_STATUS_STORE_EMPTY, tok[0]);
    removed = true;
    st = xoxe_pool_remove(p, pool_names[0], &removed, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
    CHECK_MSG(!removed, "%s: removing a removed chain says it was there", what);
    st = xoxe_pool_remove(p, pool_names[0], NULL, &e); /* removed_out may be NULL */
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
    if (dir) CHECK_MSG(!file_exists(path), "%s: the removed chain's file is still there", what);
    /* Through a store handle of the chain. */
    {
        xoxe_store *o = open_chain(s, pool_names[2]);
        removed = false;
        if (o) {
            st = xoxe_store_remove_chain(o, &removed, &e);
            CHECK_STATUS(st, XOXE_STATUS_OK, e);
            drop_err(&e);
            CHECK(removed);
            st = xoxe_store_remove_chain(o, NULL, &e);
            CHECK_STATUS(st, XOXE_STATUS_OK, e);
            drop_err(&e);
        }
        xoxe_store_free(o);
    }
    l = chains_of(s);
    CHECK_INT(xoxe_chain_list_len(l), 1);
    CHECK(find_chain(l, pool_names[1]) != NULL);
    xoxe_chain_list_free(l);
    CHECK_INT(t_get_stats().refresh_token_reuses, 0);
    xoxe_pool_free(p);
    for (i = 0; i < NPOOL_NAMES; i++) wipe(tok[i], sizeof tok[i]);
    wipe(buf, sizeof buf);
    wipe(cp, sizeof cp);
}

/* OAuth chains need the app: a pool without it refuses them as a usage
 * error; with it, they renew through oauth.v2.access. */
static void pool_oauth_chain(const xoxe_client *c, const xoxe_store *s) {
    t_app app = t_new_app(1);
    char legacy[T_SECRET_MAX], tok[TOKEN_BUF];
    xoxe_oauth_token *ot = NULL;
    xoxe_error *e = NULL;
    xoxe_status st;
    xoxe_pool *without, *with;
    xoxe_store *o;
    t_new_legacy(app.client_id, "bot", legacy, sizeof legacy);
    st = xoxe_oauth_v2_exchange(c, app.client_id, app.client_secret, legacy, 0, &ot, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
    o = open_chain(s, "bot:-:TOAUTH");
    if (ot && o) init_store(o, XOXE_CHAIN_KIND_OAUTH, xoxe_oauth_token_get_info(ot)->refresh_token);
    xoxe_oauth_token_free(ot);
    xoxe_store_free(o);
    without = new_pool(c, s, NULL, NULL, NULL);
    EXPECT_POOL_ERR(without, "bot:-:TOAUTH", XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT,
                    app.client_secret);
    xoxe_pool_free(without);
    with = new_pool(c, s, app.client_id, app.client_secret, NULL);
    t_ctl_reset();
    if (with && POOL_GET_OK(with, "bot:-:TOAUTH", tok, NULL)) {
        CHECK(strncmp(tok, "xoxe.xoxb-", 10) == 0);
        CHECK_AUTH(c, tok);
    }
    CHECK_INT(t_get_stats().refreshes, 1);
    xoxe_pool_free(with);
    wipe(tok, sizeof tok);
    wipe(&app, sizeof app);
    wipe(legacy, sizeof legacy);
}

void test_pool_chains(void) {
    xoxe_client *c = t_client();
    xoxe_store *s = memory_store();
    char dir[512];
    if (s) {
        pool_chains_on(c, s, "memory store", NULL);
        pool_oauth_chain(c, s);
    }
    xoxe_store_free(s);
    if (make_tmpdir(dir, sizeof dir) == 0) {
        s = dir_store(dir);
        if (s) pool_chains_on(c, s, "directory store", dir);
        xoxe_store_free(s);
        remove_tree(dir);
    }
    xoxe_client_free(c);
}

/* --------------------------------------------------------- threads x chains */

#define POOL_THREADS 8
#define POOL_CHAINS 4

typedef struct {
    const xoxe_pool *pool;
    pthread_barrier_t *barrier;
    int index, iters, failures, mismatches;
    char tokens[POOL_CHAINS][TOKEN_BUF];
} pool_worker;

static const char *const thread_chains[POOL_CHAINS] = {"t0", "t1", "t2", "t3"};

static void *pool_worker_run(void *arg) {
    pool_worker *w = arg;
    char buf[TOKEN_BUF];
    int it, k;
    pthread_barrier_wait(w->barrier);
    for (it = 0; it < w->iters; it++)
        for (k = 0; k < POOL_CHAINS; k++) {
            int chain = (k + w->index) % POOL_CHAINS;
            xoxe_error *e = NULL;
            xoxe_status st = xoxe_pool_get(w->pool, thread_chains[chain], buf, sizeof buf, NULL, &e);
            xoxe_error_free(e);
            if (st != XOXE_STATUS_OK)
                w->failures++;
            else if (w->tokens[chain][0] == '\0')
                memcpy(w->tokens[chain], buf, sizeof buf);
            else if (strcmp(w->tokens[chain], buf) != 0)
                w->mismatches++;
        }
    wipe(buf, sizeof buf);
    return NULL;
}

/* POOL_THREADS threads get every one of POOL_CHAINS chains (each starting on
 * another chain) while Slack takes 200 ms per rotation: one rotation per
 * chain, and every thread gets the same token for a chain. */
static void pool_threads_on(const xoxe_client *c, const xoxe_store *s, const char *what) {
    static pool_worker w[POOL_THREADS];
    pthread_t th[POOL_THREADS];
    pthread_barrier_t barrier;
    t_config_pair cp;
    xoxe_pool *p;
    t_stats stats;
    int i, k;
    for (k = 0; k < POOL_CHAINS; k++) {
        cp = seed_chain(s, thread_chains[k]);
        wipe(&cp, sizeof cp);
    }
    p = new_pool(c, s, NULL, NULL, NULL);
    if (p == NULL) return;
    t_ctl_reset();
    t_fault("{\"method\":\"tooling.tokens.rotate\",\"kind\":\"delay\",\"delay_ms\":200,\"count\":4}");
    pthread_barrier_init(&barrier, NULL, POOL_THREADS);
    for (i = 0; i < POOL_THREADS; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].pool = p;
        w[i].barrier = &barrier;
        w[i].index = i;
        w[i].iters = t_iters(20, 3);
    }
    for (i = 0; i < POOL_THREADS; i++)
        if (pthread_create(&th[i], NULL, pool_worker_run, &w[i]) != 0) {
            fprintf(stderr, "pthread_create failed\n");
            abort(); /* the others wait at the barrier */
        }
    for (i = 0; i < POOL_THREADS; i++) pthread_join(th[i], NULL);
    pthread_barrier_destroy(&barrier);
    for (i = 0; i < POOL_THREADS; i++) {
        CHECK_MSG(w[i].failures == 0, "%s: thread %d: %d gets failed", what, i, w[i].failures);
        CHECK_MSG(w[i].mismatches == 0, "%s: thread %d: %d tokens changed", what, i, w[i].mismatches);
        for (k = 0; k < POOL_CHAINS; k++)
            CHECK_MSG(strcmp(w[i].tokens[k], w[0].tokens[k]) == 0, "%s: threads got different tokens for %s", what,
                      thread_chains[k]);
    }
    for (k = 0; k < POOL_CHAINS; k++) {
        if (w[0].tokens[k][0]) CHECK_AUTH(c, w[0].tokens[k]);
        if (k > 0) CHECK(strcmp(w[0].tokens[k], w[0].tokens[k - 1]) != 0);
    }
    stats = t_get_stats();
    CHECK_MSG(stats.rotations == POOL_CHAINS && stats.rotate == POOL_CHAINS,
              "%s: %lld rotate requests, %lld rotations for %d chains", what, stats.rotate, stats.rotations,
              POOL_CHAINS);
    CHECK_INT(stats.refresh_token_reuses, 0);
    CHECK_INT(pool_stats(p).chains_in_memory, POOL_CHAINS);
    xoxe_pool_free(p);
    for (i = 0; i < POOL_THREADS; i++) wipe(w[i].tokens, sizeof w[i].tokens);
}

void test_pool_threads(void) {
    xoxe_client *c = t_client();
    xoxe_store *s = memory_store();
    char dir[512];
    if (s) pool_threads_on(c, s, "memory store");
    xoxe_store_free(s);
    if (make_tmpdir(dir, sizeof dir) == 0) {
        s = dir_store(dir);
        if (s) pool_threads_on(c, s, "directory store");
        xoxe_store_free(s);
        remove_tree(dir);
    }
    xoxe_client_free(c);
}

/* ------------------------------------------------------------ the LRU bound */

/* At most 2 rotators in memory for 5 chains: every chain is served, round
 * after round, each rotated once (an evicted chain is read again from the
 * store, still fresh). */
void test_pool_lru(void) {
    static const char *const names[] = {"lru-0", "lru-1", "lru-2", "lru-3", "lru-4"};
    enum { N = sizeof names / sizeof names[0] };
    xoxe_client *c = t_client();
    char dir[512], tok[N][TOKEN_BUF], buf[TOKEN_BUF];
    xoxe_pool_options o;
    xoxe_store *s;
    xoxe_pool *p = NULL;
    t_config_pair cp;
    int round, i;
    if (make_tmpdir(dir, sizeof dir) != 0) {
        xoxe_client_free(c);
        return;
    }
    s = dir_store(dir);
    for (i = 0; s && i < N; i++) {
        cp = seed_chain(s, names[i]);
        wipe(&cp, sizeof cp);
        tok[i][0] = '\0';
    }
    memset(&o, 0, sizeof o);
    o.max_chains_in_memory = 2;
    if (s) p = new_pool(c, s, NULL, NULL, &o);
    t_ctl_reset();
    for (round = 0; p && round < 3; round++)
        for (i = 0; i < N; i++) {
            xoxe_pool_stats_info ps;
            if (!POOL_GET_OK(p, names[i], buf, NULL)) continue;
            if (round == 0)
                memcpy(tok[i], buf, sizeof buf);
            else
                CHECK_MSG(strcmp(tok[i], buf) == 0, "round %d: chain %s: another token", round, names[i]);
            ps = pool_stats(p);
            CHECK_MSG(ps.chains_in_memory >= 1 && ps.chains_in_memory <= 2,
                      "round %d: %d rotators in memory (bound 2)", round, (int)ps.chains_in_memory);
        }
    CHECK_INT(t_get_stats().rotations, N);
    CHECK_INT(t_get_stats().refresh_token_reuses, 0);
    xoxe_pool_free(p);
    xoxe_store_free(s);
    remove_tree(dir);
    xoxe_client_free(c);
    wipe(tok, sizeof tok);
    wipe(buf, sizeof buf);
}

/* ------------------------------------------------- the background refresher */

/* With 6 s tokens and background_refresh, both chains are rotated again
 * (generation 2 and more) without any get, by the refresher, without a failure
 * or a refresh token sent twice. */
void test_pool_background(void) {
    xoxe_client *c = t_client();
    xoxe_store *s = memory_store();
    xoxe_pool_options o;
    xoxe_pool *p = NULL;
    xoxe_pool_stats_info ps;
    t_config_pair cp;
    char buf[TOKEN_BUF];
    int i, done = 0;
    double waited = 0, deadline = t_slow_mode() ? 120 : 45;
    static const char *const names[] = {"bg-a", "bg-b"};
    if (s == NULL) {
        xoxe_client_free(c);
        return;
    }
    for (i = 0; i < 2; i++) {
        cp = seed_chain(s, names[i]);
        wipe(&cp, sizeof cp);
    }
    memset(&o, 0, sizeof o);
    o.background_refresh = true;
    t_ctl_reset();
    set_server_ttl(6);
    p = new_pool(c, s, NULL, NULL, &o);
    /* Load both chains (rotating their seeds into 6 s tokens). */
    for (i = 0; p && i < 2; i++) POOL_GET_OK(p, names[i], buf, NULL);
    while (p && !done && waited < deadline) {
        xoxe_chain_list *l = chains_of(s);
        const xoxe_chain_info *a = find_chain(l, names[0]), *b = find_chain(l, names[1]);
        ps = pool_stats(p);
        done = a && b && a->generation >= 2 && b->generation >= 2 && ps.background_rotations >= 2;
        xoxe_chain_list_free(l);
        if (!done) {
            sleep_ms(100);
            waited += 0.1;
        }
    }
    CHECK_MSG(done, "the background refresher did not rotate both chains within %.0f s", deadline);
    /* Back to long tokens: the refresher's next rotation makes them last. */
    set_server_ttl(SERVER_DEFAULT_TTL);
    if (p) {
        ps = pool_stats(p);
        CHECK_INT(ps.background_failures, 0);
        CHECK_INT(ps.chains_in_memory, 2);
        for (i = 0; i < 2; i++)
            if (POOL_GET_OK(p, names[i], buf, NULL)) CHECK_AUTH(c, buf);
    }
    xoxe_pool_free(p); /* stops the refresher */
    CHECK_INT(t_get_stats().refresh_token_reuses, 0);
    xoxe_store_free(s);
    xoxe_client_free(c);
    wipe(buf, sizeof buf);
}

/* ----------------------------------------------------- revoked, uninstalled */

/* mark_revoked: every get is then CHAIN_REVOKED (cause: Slack's code) without
 * a request, and the store shows the chain revoked; only revocation codes are
 * taken. uninstall of a revoked chain just removes it; of a missing chain,
 * removes nothing; when the revocation call fails, nothing is removed. */
void test_pool_revoked(void) {
    xoxe_client *c = t_client();
    xoxe_store *s = memory_store();
    xoxe_pool *p = NULL;
    xoxe_chain_list *l;
    const xoxe_chain_info *ci;
    xoxe_error *e = NULL;
    xoxe_status st;
    t_config_pair cp, live;
    char tok[TOKEN_BUF], buf[TOKEN_BUF];
    bool removed = false;
    if (s == NULL) {
        xoxe_client_free(c);
        return;
    }
    cp = seed_chain(s, "rev");
    live = seed_chain(s, "live");
    p = new_pool(c, s, NULL, NULL, NULL);
    if (p == NULL) goto out;
    t_ctl_reset();
    if (POOL_GET_OK(p, "rev", tok, NULL)) CHECK_AUTH(c, tok);

    st = xoxe_pool_mark_revoked(p, "rev", "ratelimited", &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT);
    st = xoxe_pool_mark_revoked(p, "absent", "token_revoked", &e);
    EXPECT_ERR(st, e, XOXE_STATUS_STORE_EMPTY, XOXE_STATUS_STORE_EMPTY);
    st = xoxe_pool_mark_revoked(p, "rev", "token_revoked", &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
    t_ctl_reset();
    EXPECT_POOL_ERR(p, "rev", XOXE_STATUS_CHAIN_REVOKED, XOXE_STATUS_TOKEN_REVOKED, tok);
    EXPECT_POOL_ERR(p, "rev", XOXE_STATUS_CHAIN_REVOKED, XOXE_STATUS_TOKEN_REVOKED, tok);
    CHECK_INT(t_get_stats().rotate, 0);
    /* Another pool (another process) sees it revoked in the store. */
    {
        xoxe_pool *p2 = new_pool(c, s, NULL, NULL, NULL);
        EXPECT_POOL_ERR(p2, "rev", XOXE_STATUS_CHAIN_REVOKED, XOXE_STATUS_TOKEN_REVOKED, tok);
        xoxe_pool_free(p2);
    }
    l = chains_of(s);
    ci = find_chain(l, "rev");
    CHECK(ci != NULL);
    if (ci) {
        CHECK_INT(ci->status, XOXE_STATUS_OK);
        CHECK_STR(ci->revoked, "token_revoked");
    }
    ci = find_chain(l, "live");
    CHECK(ci != NULL && ci->revoked == NULL);
    xoxe_chain_list_free(l);

    /* uninstall: revoked → removed without a request; missing → nothing. */
    st = xoxe_pool_uninstall(p, "rev", &removed, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
    CHECK(removed);
    EXPECT_POOL_ERR(p, "rev", XOXE_STATUS_STORE_EMPTY, XOXE_STATUS_STORE_EMPTY, tok);
    removed = true;
    st = xoxe_pool_uninstall(p, "rev", &removed, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
    CHECK(!removed);
    /* auth.revoke fails (Slack's internal error): nothing is removed. */
    t_fault("{\"method\":\"auth.revoke\",\"kind\":\"slack_error\",\"error\":\"internal_error\"}");
    removed = true;
    st = xoxe_pool_uninstall(p, "live", &removed, &e);
    CHECK_MSG(st != XOXE_STATUS_OK, "uninstall succeeded though auth.revoke failed");
    if (e) CHECK_NO_SECRET(xoxe_error_get_info(e)->message, live.refresh_token);
    drop_err(&e);
    CHECK_MSG(removed, "removed_out written on failure");
    if (POOL_GET_OK(p, "live", buf, NULL)) CHECK_AUTH(c, buf);
    CHECK_INT(t_get_stats().refresh_token_reuses, 0);
out:
    xoxe_pool_free(p);
    xoxe_store_free(s);
    xoxe_client_free(c);
    wipe(&cp, sizeof cp);
    wipe(&live, sizeof live);
    wipe(tok, sizeof tok);
    wipe(buf, sizeof buf);
}

/* ------------------------------------------------------------------ sealing */

static void base64(const unsigned char *in, size_t n, char *out) {
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i, o = 0;
    for (i = 0; i + 2 < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
        out[o++] = abc[v >> 18 & 63];
        out[o++] = abc[v >> 12 & 63];
        out[o++] = abc[v >> 6 & 63];
        out[o++] = abc[v & 63];
    }
    if (n - i == 1) {
        unsigned v = (unsigned)in[i] << 16;
        out[o++] = abc[v >> 18 & 63];
        out[o++] = abc[v >> 12 & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (n - i == 2) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
        out[o++] = abc[v >> 18 & 63];
        out[o++] = abc[v >> 12 & 63];
        out[o++] = abc[v >> 6 & 63];
        out[o++] = '=';
    }
    out[o] = '\0';
}

/* A keyring line `id BASE64` with a random 32-byte key (key material: wipe it). */
static void key_line(const char *id, char *out, size_t n) {
    unsigned char key[32];
    char b64[64];
    FILE *f = fopen("/dev/urandom", "rb");
    if (f == NULL || fread(key, 1, sizeof key, f) != sizeof key) t_fail(__FILE__, __LINE__, "cannot read /dev/urandom");
    if (f) fclose(f);
    base64(key, sizeof key, b64);
    snprintf(out, n, "%s %s", id, b64);
    wipe(key, sizeof key);
    wipe(b64, sizeof b64);
}

static xoxe_keyring *keyring_file(const char *path) {
    xoxe_keyring *k = NULL;
    xoxe_error *e = NULL;
    xoxe_status st = xoxe_keyring_from_file(path, &k, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
    return k;
}

static xoxe_store *sealed_store(const xoxe_store *s, const xoxe_keyring *k) {
    xoxe_store *out = NULL;
    xoxe_error *e = NULL;
    xoxe_status st;
    if (s == NULL || k == NULL) return NULL;
    st = xoxe_store_sealed(s, k, &out, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
    return out;
}

/* A failed keyring call: status, no handle, no key material in the message. */
static void expect_keyring_err(int line, xoxe_status st, xoxe_keyring *k, xoxe_error **e, xoxe_status want,
                               const char *key) {
    if (*e) t_check_no_secret(__FILE__, line, "message", xoxe_error_get_info(*e)->message, key);
    if (k != (xoxe_keyring *)SENTINEL) t_fail(__FILE__, line, "keyring written on failure");
    t_expect_err(__FILE__, line, "xoxe_keyring_*", st, e, want, want);
}

/* A sealed directory store: files without a token in clear, read back by a
 * pool; without the keyring (or with another key) STORE_SEALED naming the key
 * id; a tampered file refused and left as it is; rewrite_chains seals plain
 * chains; keyrings from a variable; keyring file errors. */
void test_pool_sealed(void) {
    xoxe_client *c = t_client();
    char dir[512], keys[600], s1[600], p1[600], line1[128], line2[128], text[4 * TOKEN_BUF],
        orig[4 * TOKEN_BUF], tok[TOKEN_BUF], buf[TOKEN_BUF];
    const char *b64;
    xoxe_store *plain = NULL, *sealed = NULL;
    xoxe_keyring *k = NULL;
    xoxe_pool *p = NULL;
    xoxe_chain_list *l;
    const xoxe_chain_info *ci;
    xoxe_error *e = NULL;
    xoxe_status st;
    t_config_pair cp, cp2;
    size_t rewritten = 99;
    long n, norig;
    memset(&cp, 0, sizeof cp);
    memset(&cp2, 0, sizeof cp2);
    tok[0] = '\0';
    if (make_tmpdir(dir, sizeof dir) != 0) {
        xoxe_client_free(c);
        return;
    }
    snprintf(keys, sizeof keys, "%s/keyring", dir);
    snprintf(s1, sizeof s1, "%s/s1.json", dir);
    snprintf(p1, sizeof p1, "%s/p1.json", dir);
    key_line("k1", line1, sizeof line1);
    key_line("k2", line2, sizeof line2);
    b64 = strchr(line1, ' ') + 1;
    snprintf(text, sizeof text, "# test keyring\n%s\n", line1);
    write_bytes(keys, text, strlen(text));
    k = keyring_file(keys);
    plain = dir_store(dir);
    sealed = sealed_store(plain, k);
    xoxe_keyring_free(k); /* the sealed store keeps its own reference */
    k = NULL;
    if (sealed == NULL) goto out;

    /* Sealed on disk: no token in clear, the key id beside the ciphertext. */
    cp = seed_chain(sealed, "s1");
    n = read_file(s1, text, sizeof text);
    CHECK(n > 0);
    CHECK(strstr(text, "\"xoxe_sealed\":1") != NULL && strstr(text, "\"kid\":\"k1\"") != NULL);
    CHECK_NO_SECRET(text, cp.refresh_token);
    CHECK_MSG(strstr(text, "xoxe-1-") == NULL, "a refresh token in clear in the sealed file");
    CHECK_NO_SECRET(text, b64);
    /* A pool over the sealed store rotates it; the new pair is sealed too. */
    p = new_pool(c, sealed, NULL, NULL, NULL);
    t_ctl_reset();
    if (p && POOL_GET_OK(p, "s1", tok, NULL)) CHECK_AUTH(c, tok);
    xoxe_pool_free(p);
    p = NULL;
    n = read_file(s1, text, sizeof text);
    CHECK(n > 0 && strstr(text, "\"kid\":\"k1\"") != NULL);
    if (tok[0]) CHECK_NO_SECRET(text, tok);
    CHECK_MSG(strstr(text, "xoxe-1-") == NULL && strstr(text, "xoxe.xoxp-") == NULL, "a token in clear after a rotation");

    /* Without the keyring: STORE_SEALED naming the key id, for a pool and a listing. */
    p = new_pool(c, plain, NULL, NULL, NULL);
    if (p) {
        char mbuf[TOKEN_BUF];
        xoxe_status gst = xoxe_pool_get(p, "s1", mbuf, sizeof mbuf, NULL, &e);
        if (e) {
            CHECK_MSG(strstr(xoxe_error_get_info(e)->message, "k1") != NULL, "STORE_SEALED does not name the key: %s",
                      xoxe_error_get_info(e)->message);
            CHECK_NO_SECRET(xoxe_error_get_info(e)->message, b64);
        }
        EXPECT_ERR(gst, e, XOXE_STATUS_STORE_SEALED, XOXE_STATUS_STORE_SEALED);
        wipe(mbuf, sizeof mbuf);
    }
    xoxe_pool_free(p);
    p = NULL;
    l = chains_of(plain);
    ci = find_chain(l, "s1");
    CHECK(ci != NULL);
    if (ci) {
        CHECK_INT(ci->status, XOXE_STATUS_STORE_SEALED);
        CHECK(ci->error_message != NULL && strstr(ci->error_message, "k1") != NULL);
        CHECK(ci->generation == 0 && ci->expires_at == 0 && ci->team_id == NULL && ci->rotated_by == NULL);
    }
    xoxe_chain_list_free(l);
    l = chains_of(sealed);
    ci = find_chain(l, "s1");
    CHECK(ci != NULL && ci->status == XOXE_STATUS_OK && ci->generation == 1 && ci->error_message == NULL);
    xoxe_chain_list_free(l);

    /* Another key only (from a variable): still sealed, naming k1. */
    setenv("XOXE_C_TEST_KEYRING", line2, 1);
    {
        xoxe_keyring *k2 = NULL;
        xoxe_store *other;
        st = xoxe_keyring_from_env("XOXE_C_TEST_KEYRING", &k2, &e);
        CHECK_STATUS(st, XOXE_STATUS_OK, e);
        drop_err(&e);
        other = sealed_store(plain, k2);
        xoxe_keyring_free(k2);
        l = chains_of(other);
        ci = find_chain(l, "s1");
        CHECK(ci != NULL && ci->status == XOXE_STATUS_STORE_SEALED && ci->error_message &&
              strstr(ci->error_message, "k1") != NULL);
        xoxe_chain_list_free(l);
        xoxe_store_free(other);
    }
    unsetenv("XOXE_C_TEST_KEYRING");
    {
        xoxe_keyring *k2 = (xoxe_keyring *)SENTINEL;
        st = xoxe_keyring_from_env("XOXE_C_TEST_KEYRING", &k2, &e);
        expect_keyring_err(__LINE__, st, k2, &e, XOXE_STATUS_INVALID_ARGUMENT, NULL);
    }

    /* Tampered: refused by a fresh pool, the file left as it is, nothing sent. */
    norig = read_file(s1, orig, sizeof orig);
    if (norig > 0) {
        char *at = strstr(orig, "\"ciphertext\":\"");
        CHECK(at != NULL);
        if (at) {
            memcpy(text, orig, (size_t)norig + 1);
            at = text + (at - orig) + strlen("\"ciphertext\":\"");
            *at = *at == 'A' ? 'B' : 'A';
            write_bytes(s1, text, (size_t)norig);
            p = new_pool(c, sealed, NULL, NULL, NULL);
            t_ctl_reset();
            EXPECT_POOL_ERR(p, "s1", XOXE_STATUS_STORE_SEALED, XOXE_STATUS_STORE_SEALED, tok);
            xoxe_pool_free(p);
            p = NULL;
            CHECK_INT(t_get_stats().rotate, 0);
            {
                char after[4 * TOKEN_BUF];
                n = read_file(s1, after, sizeof after);
                CHECK_MSG(n == norig && memcmp(after, text, (size_t)n) == 0, "the tampered file was overwritten");
                wipe(after, sizeof after);
            }
            /* It stops a rewrite, too. */
            rewritten = 99;
            st = xoxe_store_rewrite_chains(sealed, &rewritten, &e);
            EXPECT_ERR(st, e, XOXE_STATUS_STORE_SEALED, XOXE_STATUS_STORE_SEALED);
            CHECK_INT(rewritten, 99);
            write_bytes(s1, orig, (size_t)norig);
        }
    }

    /* rewrite_chains through the sealed handle seals a plain chain; through the
     * plain handle, a sealed chain cannot be read (nothing is written). */
    cp2 = seed_chain(plain, "p1");
    n = read_file(p1, text, sizeof text);
    CHECK(n > 0 && strstr(text, cp2.refresh_token) != NULL);
    rewritten = 99;
    st = xoxe_store_rewrite_chains(plain, &rewritten, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_STORE_SEALED, XOXE_STATUS_STORE_SEALED);
    CHECK_INT(rewritten, 99);
    st = xoxe_store_rewrite_chains(sealed, &rewritten, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
    CHECK_INT(rewritten, 2);
    n = read_file(p1, text, sizeof text);
    CHECK(n > 0 && strstr(text, "\"kid\":\"k1\"") != NULL);
    CHECK_NO_SECRET(text, cp2.refresh_token);
    st = xoxe_store_rewrite_chains(sealed, NULL, &e); /* rewritten_out may be NULL */
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
    l = chains_of(sealed);
    ci = find_chain(l, "p1");
    /* Rewritten in place three times: still the generation it was seeded at. */
    CHECK(ci != NULL && ci->status == XOXE_STATUS_OK && ci->generation == 0);
    xoxe_chain_list_free(l);

    /* Keyring files: missing, loose, malformed; no key in any message. */
    {
        char missing[700];
        xoxe_keyring *kk = (xoxe_keyring *)SENTINEL;
        snprintf(missing, sizeof missing, "%s/no-keyring", dir);
        st = xoxe_keyring_from_file(missing, &kk, &e);
        expect_keyring_err(__LINE__, st, kk, &e, XOXE_STATUS_FILE_UNREADABLE, NULL);
        if (chmod(keys, 0644) != 0) t_fail(__FILE__, __LINE__, "chmod: %s", strerror(errno));
        st = xoxe_keyring_from_file(keys, &kk, &e);
        expect_keyring_err(__LINE__, st, kk, &e, XOXE_STATUS_STORE_PERMISSIONS, b64);
        snprintf(text, sizeof text, "k1 %.20s\n", b64);
        write_bytes(keys, text, strlen(text));
        if (chmod(keys, 0600) != 0) t_fail(__FILE__, __LINE__, "chmod: %s", strerror(errno));
        st = xoxe_keyring_from_file(keys, &kk, &e);
        expect_keyring_err(__LINE__, st, kk, &e, XOXE_STATUS_INVALID_ARGUMENT, text + 3);
    }
    /* A memory store cannot seal. */
    {
        xoxe_store *m = memory_store(), *ms = (xoxe_store *)SENTINEL;
        snprintf(text, sizeof text, "%s\n", line1);
        write_bytes(keys, text, strlen(text));
        k = keyring_file(keys);
        if (m && k) {
            st = xoxe_store_sealed(m, k, &ms, &e);
            EXPECT_ERR(st, e, XOXE_STATUS_UNSUPPORTED, XOXE_STATUS_UNSUPPORTED);
            CHECK(ms == (xoxe_store *)SENTINEL);
        }
        xoxe_store_free(m);
    }
    CHECK_INT(t_get_stats().refresh_token_reuses, 0);
out:
    xoxe_keyring_free(k);
    xoxe_store_free(sealed);
    xoxe_store_free(plain);
    remove_tree(dir);
    xoxe_client_free(c);
    wipe(line1, sizeof line1);
    wipe(line2, sizeof line2);
    wipe(text, sizeof text);
    wipe(orig, sizeof orig);
    wipe(tok, sizeof tok);
    wipe(buf, sizeof buf);
    wipe(&cp, sizeof cp);
    wipe(&cp2, sizeof cp2);
}

/* --------------------------------------------------- installation chains */

static void expect_chain_name(int line, const char *enterprise, const char *team, bool org, const char *user,
                              const char *want) {
    char buf[CHAIN_BUF];
    xoxe_error *e = NULL;
    xoxe_status st = xoxe_installation_chain(enterprise, team, org, user, buf, sizeof buf, &e);
    t_check_status(__FILE__, line, "xoxe_installation_chain", st, XOXE_STATUS_OK, e);
    drop_err(&e);
    if (st == XOXE_STATUS_OK) t_check_str(__FILE__, line, "chain name", buf, want);
}

static void expect_chain_error(int line, const char *enterprise, const char *team, bool org, const char *user,
                               size_t buf_len, xoxe_status want) {
    char buf[CHAIN_BUF];
    size_t i;
    int touched = 0;
    xoxe_error *e = NULL;
    xoxe_status st;
    memset(buf, 'Z', sizeof buf);
    st = xoxe_installation_chain(enterprise, team, org, user, buf, buf_len, &e);
    for (i = 0; i < sizeof buf; i++) touched |= buf[i] != 'Z';
    if (touched) t_fail(__FILE__, line, "buf written on failure");
    t_expect_err(__FILE__, line, "xoxe_installation_chain", st, &e, want, want);
}

/* The documented forms, and every way to get it wrong. */
void test_installation_chain(void) {
    char big[64];
    expect_chain_name(__LINE__, NULL, "T0123", false, NULL, "bot:-:T0123");
    expect_chain_name(__LINE__, "", "T0123", false, NULL, "bot:-:T0123");
    expect_chain_name(__LINE__, "E0456", "T0123", false, "U0789", "user:E0456:T0123:U0789");
    expect_chain_name(__LINE__, "E0456", "T0123", true, NULL, "bot:E0456:-");
    expect_chain_name(__LINE__, "E0456", NULL, true, "W0789", "user:E0456:-:W0789");
    /* The buffer: exactly the name plus its NUL fits; one byte less does not. */
    {
        char exact[sizeof "bot:-:T0123"];
        xoxe_error *e = NULL;
        xoxe_status st = xoxe_installation_chain(NULL, "T0123", false, NULL, exact, sizeof exact, &e);
        CHECK_STATUS(st, XOXE_STATUS_OK, e);
        drop_err(&e);
        if (st == XOXE_STATUS_OK) CHECK_STR(exact, "bot:-:T0123");
    }
    expect_chain_error(__LINE__, NULL, "T0123", false, NULL, sizeof "bot:-:T0123" - 1, XOXE_STATUS_INVALID_ARGUMENT);
    expect_chain_error(__LINE__, NULL, "T0123", false, NULL, 0, XOXE_STATUS_INVALID_ARGUMENT);
    /* Ids that cannot name a chain. */
    expect_chain_error(__LINE__, NULL, NULL, false, NULL, CHAIN_BUF, XOXE_STATUS_INVALID_ARGUMENT);
    expect_chain_error(__LINE__, NULL, "", false, NULL, CHAIN_BUF, XOXE_STATUS_INVALID_ARGUMENT);
    expect_chain_error(__LINE__, NULL, "T0123", true, NULL, CHAIN_BUF, XOXE_STATUS_INVALID_ARGUMENT);
    expect_chain_error(__LINE__, NULL, "T:1", false, NULL, CHAIN_BUF, XOXE_STATUS_INVALID_ARGUMENT);
    expect_chain_error(__LINE__, "E/1", "T1", false, NULL, CHAIN_BUF, XOXE_STATUS_INVALID_ARGUMENT);
    expect_chain_error(__LINE__, NULL, "T1", false, "", CHAIN_BUF, XOXE_STATUS_INVALID_ARGUMENT);
    expect_chain_error(__LINE__, NULL, "T1", false, "U1:x", CHAIN_BUF, XOXE_STATUS_INVALID_ARGUMENT);
    memset(big, 'T', 33);
    big[33] = '\0';
    expect_chain_error(__LINE__, NULL, big, false, NULL, CHAIN_BUF, XOXE_STATUS_INVALID_ARGUMENT);
    expect_chain_error(__LINE__, NULL, "T\xff", false, NULL, CHAIN_BUF, XOXE_STATUS_INVALID_UTF8);
    expect_chain_error(__LINE__, "\xc3", "T1", false, NULL, CHAIN_BUF, XOXE_STATUS_INVALID_UTF8);
    expect_chain_error(__LINE__, NULL, "T1", false, "U\xfe", CHAIN_BUF, XOXE_STATUS_INVALID_UTF8);
    {
        xoxe_error *e = NULL;
        xoxe_status st = xoxe_installation_chain(NULL, "T1", false, NULL, NULL, CHAIN_BUF, &e);
        EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
    }
}

/* ------------------------------------------------------------------ misuse */

#define EXPECT_STATUS(call, want)                 \
    do {                                          \
        xoxe_error *e_ = NULL;                    \
        xoxe_status st_ = (call);                 \
        EXPECT_ERR(st_, e_, (want), (want));      \
    } while (0)
/* The error out-param of a call inside EXPECT_STATUS. */
#define EOUT (&e_)

/* Every new function: NULL arguments, invalid UTF-8, bad names, wrong stores,
 * out-params untouched on failure, NULL frees. */
void test_pool_misuse(void) {
    xoxe_client *c = t_client();
    xoxe_store *m = memory_store(), *file = NULL, *s = (xoxe_store *)SENTINEL;
    xoxe_pool *p = NULL, *pp = (xoxe_pool *)SENTINEL;
    xoxe_chain_list *l = (xoxe_chain_list *)SENTINEL;
    xoxe_keyring *k = (xoxe_keyring *)SENTINEL;
    xoxe_pool_stats_info ps;
    char dir[512], path[600], buf[TOKEN_BUF], long_name[CHAIN_NAME_MAX + 2];
    bool removed = true;
    size_t rewritten = 99;
    xoxe_pool_options o;
    if (make_tmpdir(dir, sizeof dir) != 0 || m == NULL) {
        xoxe_store_free(m);
        xoxe_client_free(c);
        return;
    }
    snprintf(path, sizeof path, "%s/one.json", dir);
    file = file_store(path, 0);
    memset(long_name, 'c', CHAIN_NAME_MAX + 1);
    long_name[CHAIN_NAME_MAX + 1] = '\0';

    /* xoxe_pool_new */
    EXPECT_STATUS(xoxe_pool_new(NULL, m, NULL, NULL, NULL, &pp, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_pool_new(c, NULL, NULL, NULL, NULL, &pp, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_pool_new(c, m, NULL, NULL, NULL, NULL, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_pool_new(c, m, "123.456", NULL, NULL, &pp, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_pool_new(c, m, NULL, "secret", NULL, &pp, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_pool_new(c, m, "123\xff", "secret", NULL, &pp, EOUT), XOXE_STATUS_INVALID_UTF8);
    EXPECT_STATUS(xoxe_pool_new(c, m, "123.456", "s\xfe", NULL, &pp, EOUT), XOXE_STATUS_INVALID_UTF8);
    if (file) EXPECT_STATUS(xoxe_pool_new(c, file, NULL, NULL, NULL, &pp, EOUT), XOXE_STATUS_UNSUPPORTED);
    CHECK(pp == (xoxe_pool *)SENTINEL);
    memset(&o, 0, sizeof o); /* zero: every default */
    p = new_pool(c, m, NULL, NULL, &o);
    if (p == NULL) goto out;

    /* xoxe_pool_get */
    EXPECT_STATUS(xoxe_pool_get(NULL, "c", buf, sizeof buf, NULL, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_pool_get(p, NULL, buf, sizeof buf, NULL, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_pool_get(p, "c\xff", buf, sizeof buf, NULL, EOUT), XOXE_STATUS_INVALID_UTF8);
    EXPECT_STATUS(xoxe_pool_get(p, "c", NULL, sizeof buf, NULL, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_pool_get(p, "c", buf, XOXE_MAX_TOKEN_LEN, NULL, EOUT), XOXE_STATUS_INVALID_ARGUMENT);
    EXPECT_STATUS(xoxe_pool_get(p, "", buf, sizeof buf, NULL, EOUT), XOXE_STATUS_INVALID_ARGUMENT);
    EXPECT_STATUS(xoxe_pool_get(p, long_name, buf, sizeof buf, NULL, EOUT), XOXE_STATUS_INVALID_ARGUMENT);
    /* No error handle wanted: the status alone. */
    CHECK_INT(xoxe_pool_get(p, "missing", buf, sizeof buf, NULL, NULL), XOXE_STATUS_STORE_EMPTY);
    /* xoxe_pool_try_get */
    {
        bool fresh = true;
        EXPECT_STATUS(xoxe_pool_try_get(NULL, "c", buf, sizeof buf, NULL, &fresh, EOUT), XOXE_STATUS_NULL_ARGUMENT);
        EXPECT_STATUS(xoxe_pool_try_get(p, NULL, buf, sizeof buf, NULL, &fresh, EOUT), XOXE_STATUS_NULL_ARGUMENT);
        EXPECT_STATUS(xoxe_pool_try_get(p, "c", buf, sizeof buf, NULL, NULL, EOUT), XOXE_STATUS_NULL_ARGUMENT);
        EXPECT_STATUS(xoxe_pool_try_get(p, "c\xff", buf, sizeof buf, NULL, &fresh, EOUT), XOXE_STATUS_INVALID_UTF8);
        EXPECT_STATUS(xoxe_pool_try_get(p, "c", NULL, sizeof buf, NULL, &fresh, EOUT), XOXE_STATUS_NULL_ARGUMENT);
        EXPECT_STATUS(xoxe_pool_try_get(p, "c", buf, XOXE_MAX_TOKEN_LEN, NULL, &fresh, EOUT),
                      XOXE_STATUS_INVALID_ARGUMENT);
        CHECK_INT(xoxe_pool_try_get(p, "missing", buf, sizeof buf, NULL, &fresh, NULL), XOXE_STATUS_OK);
        CHECK(!fresh);
    }
    /* xoxe_pool_get_reusable */
    {
        int64_t until = 0;
        EXPECT_STATUS(xoxe_pool_get_reusable(NULL, "c", buf, sizeof buf, NULL, &until, EOUT), XOXE_STATUS_NULL_ARGUMENT);
        EXPECT_STATUS(xoxe_pool_get_reusable(p, NULL, buf, sizeof buf, NULL, &until, EOUT), XOXE_STATUS_NULL_ARGUMENT);
        EXPECT_STATUS(xoxe_pool_get_reusable(p, "c", buf, sizeof buf, NULL, NULL, EOUT), XOXE_STATUS_NULL_ARGUMENT);
        EXPECT_STATUS(xoxe_pool_get_reusable(p, "c\xff", buf, sizeof buf, NULL, &until, EOUT),
                      XOXE_STATUS_INVALID_UTF8);
        EXPECT_STATUS(xoxe_pool_get_reusable(p, "c", buf, XOXE_MAX_TOKEN_LEN, NULL, &until, EOUT),
                      XOXE_STATUS_INVALID_ARGUMENT);
        CHECK_INT(xoxe_pool_get_reusable(p, "missing", buf, sizeof buf, NULL, &until, NULL), XOXE_STATUS_STORE_EMPTY);
    }
    /* xoxe_pool_remove / uninstall */
    EXPECT_STATUS(xoxe_pool_remove(NULL, "c", &removed, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_pool_remove(p, NULL, &removed, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_pool_remove(p, "c\xff", &removed, EOUT), XOXE_STATUS_INVALID_UTF8);
    EXPECT_STATUS(xoxe_pool_remove(p, "a/b", &removed, EOUT), XOXE_STATUS_INVALID_ARGUMENT);
    EXPECT_STATUS(xoxe_pool_uninstall(NULL, "c", &removed, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_pool_uninstall(p, NULL, &removed, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_pool_uninstall(p, "c\xff", &removed, EOUT), XOXE_STATUS_INVALID_UTF8);
    EXPECT_STATUS(xoxe_pool_uninstall(p, "..", &removed, EOUT), XOXE_STATUS_INVALID_ARGUMENT);
    CHECK_MSG(removed, "removed_out written on failure");
    /* xoxe_pool_mark_revoked */
    EXPECT_STATUS(xoxe_pool_mark_revoked(NULL, "c", "token_revoked", EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_pool_mark_revoked(p, NULL, "token_revoked", EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_pool_mark_revoked(p, "c", NULL, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_pool_mark_revoked(p, "c\xff", "token_revoked", EOUT), XOXE_STATUS_INVALID_UTF8);
    EXPECT_STATUS(xoxe_pool_mark_revoked(p, "c", "token_\xff", EOUT), XOXE_STATUS_INVALID_UTF8);
    /* xoxe_pool_stats */
    EXPECT_STATUS(xoxe_pool_stats(NULL, &ps, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_pool_stats(p, NULL, EOUT), XOXE_STATUS_NULL_ARGUMENT);

    /* xoxe_store_chains and the list */
    EXPECT_STATUS(xoxe_store_chains(NULL, &l, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_store_chains(m, NULL, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    CHECK(l == (xoxe_chain_list *)SENTINEL);
    CHECK_INT(xoxe_chain_list_len(NULL), 0);
    CHECK(xoxe_chain_list_get(NULL, 0) == NULL);
    l = chains_of(m); /* an empty memory store: an empty list */
    CHECK_INT(xoxe_chain_list_len(l), 0);
    CHECK(xoxe_chain_list_get(l, 0) == NULL);
    CHECK(xoxe_chain_list_get(l, (size_t)-1) == NULL);
    xoxe_chain_list_free(l);

    /* xoxe_store_dir_new */
    EXPECT_STATUS(xoxe_store_dir_new(NULL, NULL, 0, &s, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_store_dir_new(dir, NULL, 0, NULL, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_store_dir_new("/tmp/\xff", NULL, 0, &s, EOUT), XOXE_STATUS_INVALID_UTF8);
    EXPECT_STATUS(xoxe_store_dir_new(dir, "c\xff", 0, &s, EOUT), XOXE_STATUS_INVALID_UTF8);
    EXPECT_STATUS(xoxe_store_dir_new(dir, "..", 0, &s, EOUT), XOXE_STATUS_INVALID_ARGUMENT);
    EXPECT_STATUS(xoxe_store_dir_new("", NULL, 0, &s, EOUT), XOXE_STATUS_INVALID_ARGUMENT);
    if (file) EXPECT_STATUS(xoxe_store_dir_new(path, NULL, 0, &s, EOUT), XOXE_STATUS_STORE_IO); /* no such directory */
    /* xoxe_store_open_chain */
    EXPECT_STATUS(xoxe_store_open_chain(NULL, "c", &s, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_store_open_chain(m, NULL, &s, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_store_open_chain(m, "c", NULL, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_store_open_chain(m, "c\xff", &s, EOUT), XOXE_STATUS_INVALID_UTF8);
    EXPECT_STATUS(xoxe_store_open_chain(m, "", &s, EOUT), XOXE_STATUS_INVALID_ARGUMENT);
    EXPECT_STATUS(xoxe_store_open_chain(m, "..", &s, EOUT), XOXE_STATUS_INVALID_ARGUMENT);
    EXPECT_STATUS(xoxe_store_open_chain(m, ".hidden", &s, EOUT), XOXE_STATUS_INVALID_ARGUMENT);
    EXPECT_STATUS(xoxe_store_open_chain(m, "a/b", &s, EOUT), XOXE_STATUS_INVALID_ARGUMENT);
    EXPECT_STATUS(xoxe_store_open_chain(m, "a b", &s, EOUT), XOXE_STATUS_INVALID_ARGUMENT);
    EXPECT_STATUS(xoxe_store_open_chain(m, long_name, &s, EOUT), XOXE_STATUS_INVALID_ARGUMENT);
    if (file) EXPECT_STATUS(xoxe_store_open_chain(file, "other", &s, EOUT), XOXE_STATUS_UNSUPPORTED);
    CHECK(s == (xoxe_store *)SENTINEL);
    long_name[CHAIN_NAME_MAX] = '\0'; /* the longest name is fine */
    s = open_chain(m, long_name);
    xoxe_store_free(s);
    s = (xoxe_store *)SENTINEL;
    /* xoxe_store_remove_chain, xoxe_store_sealed, xoxe_store_rewrite_chains */
    EXPECT_STATUS(xoxe_store_remove_chain(NULL, &removed, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    CHECK(removed);
    EXPECT_STATUS(xoxe_store_sealed(NULL, (const xoxe_keyring *)SENTINEL, &s, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_store_sealed(m, NULL, &s, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    CHECK(s == (xoxe_store *)SENTINEL);
    EXPECT_STATUS(xoxe_store_rewrite_chains(NULL, &rewritten, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    CHECK_INT(rewritten, 99);
    /* keyrings */
    EXPECT_STATUS(xoxe_keyring_from_file(NULL, &k, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_keyring_from_file(path, NULL, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_keyring_from_file("/tmp/\xff", &k, EOUT), XOXE_STATUS_INVALID_UTF8);
    EXPECT_STATUS(xoxe_keyring_from_env(NULL, &k, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_keyring_from_env("HOME", NULL, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_keyring_from_env("X\xff", &k, EOUT), XOXE_STATUS_INVALID_UTF8);
    EXPECT_STATUS(xoxe_keyring_from_env("", &k, EOUT), XOXE_STATUS_INVALID_ARGUMENT);
    EXPECT_STATUS(xoxe_keyring_from_env("A=B", &k, EOUT), XOXE_STATUS_INVALID_ARGUMENT);
    CHECK(k == (xoxe_keyring *)SENTINEL);
out:
    /* Freeing NULL is fine. */
    xoxe_pool_free(NULL);
    xoxe_chain_list_free(NULL);
    xoxe_keyring_free(NULL);
    xoxe_pool_free(p);
    xoxe_store_free(file);
    xoxe_store_free(m);
    remove_tree(dir);
    xoxe_client_free(c);
}

/* ---------------------------------------------- a host keeping many chains */

/* The host's side: chains kept in memory by name, under one mutex, as a C
 * service keeping them in its own database would. */
#define HOST_SLOTS 8
#define HOST_DOC 8192

typedef struct host_chains host_chains;

typedef struct {
    host_chains *host;
    int present;
    uint64_t generation;
    char name[CHAIN_BUF];
    char document[HOST_DOC];
} host_slot;

struct host_chains {
    pthread_mutex_t mu;
    host_slot slots[HOST_SLOTS];
    int opens, releases, removes, fail_open, bad_listing, released;
};

static int32_t host_load(void *user_data, xoxe_store_value *value) {
    host_slot *slot = user_data;
    pthread_mutex_lock(&slot->host->mu);
    if (slot->present) xoxe_store_value_set(value, slot->document);
    pthread_mutex_unlock(&slot->host->mu);
    return 0;
}

static int32_t host_save(void *user_data, bool expected_present, uint64_t expected, uint64_t next,
                         const char *document) {
    host_slot *slot = user_data;
    int32_t rc = 1;
    pthread_mutex_lock(&slot->host->mu);
    if (strlen(document) >= HOST_DOC)
        rc = -1;
    else if (expected_present ? (slot->present && slot->generation == expected) : !slot->present) {
        snprintf(slot->document, sizeof slot->document, "%s", document);
        slot->generation = next;
        slot->present = 1;
        rc = 0;
    }
    pthread_mutex_unlock(&slot->host->mu);
    return rc;
}

static void host_slot_release(void *user_data) {
    host_slot *slot = user_data;
    pthread_mutex_lock(&slot->host->mu);
    slot->host->releases++;
    pthread_mutex_unlock(&slot->host->mu);
}

static int32_t host_open(void *user_data, const char *chain, xoxe_store_callbacks *cb) {
    host_chains *h = user_data;
    host_slot *slot = NULL;
    int i;
    pthread_mutex_lock(&h->mu);
    if (h->fail_open) {
        pthread_mutex_unlock(&h->mu);
        return -3;
    }
    h->opens++;
    for (i = 0; i < HOST_SLOTS && slot == NULL; i++)
        if (h->slots[i].name[0] && strcmp(h->slots[i].name, chain) == 0) slot = &h->slots[i];
    for (i = 0; i < HOST_SLOTS && slot == NULL; i++)
        if (h->slots[i].name[0] == '\0') {
            slot = &h->slots[i];
            snprintf(slot->name, sizeof slot->name, "%s", chain);
        }
    pthread_mutex_unlock(&h->mu);
    if (slot == NULL) return -1;
    slot->host = h;
    memset(cb, 0, sizeof *cb);
    cb->user_data = slot;
    cb->load = host_load;
    cb->save = host_save;
    cb->release = host_slot_release;
    return 0;
}

static int32_t host_list(void *user_data, xoxe_chain_names *names) {
    host_chains *h = user_data;
    int i;
    pthread_mutex_lock(&h->mu);
    for (i = 0; i < HOST_SLOTS; i++)
        if (h->slots[i].present) xoxe_chain_names_add(names, h->slots[i].name);
    if (h->bad_listing) xoxe_chain_names_add(names, "../escape");
    pthread_mutex_unlock(&h->mu);
    xoxe_chain_names_add(NULL, "ignored");
    xoxe_chain_names_add(names, NULL);
    return 0;
}

static int32_t host_remove(void *user_data, const char *chain) {
    host_chains *h = user_data;
    int32_t rc = 1;
    int i;
    pthread_mutex_lock(&h->mu);
    h->removes++;
    for (i = 0; i < HOST_SLOTS; i++)
        if (h->slots[i].present && strcmp(h->slots[i].name, chain) == 0) {
            wipe(h->slots[i].document, sizeof h->slots[i].document);
            h->slots[i].present = 0;
            rc = 0;
        }
    pthread_mutex_unlock(&h->mu);
    return rc;
}

static void host_release(void *user_data) {
    host_chains *h = user_data;
    h->released++;
}

static int host_holds_secret(host_chains *h, const char *secret) {
    int i, found = 0;
    pthread_mutex_lock(&h->mu);
    for (i = 0; i < HOST_SLOTS; i++)
        if (h->slots[i].present && strstr(h->slots[i].document, secret)) found = 1;
    pthread_mutex_unlock(&h->mu);
    return found;
}

/* A pool over a host's many-chain store (xoxe_store_foreign_chains_new): each
 * chain is opened through the host's `open` by name and rotated, the host's
 * `list` names them (xoxe_chain_names_add), the pool's remove deletes through
 * the host's `remove`, a listing with a bad name is STORE_CORRUPT, a failing
 * `open` is a clear error, and `release` runs once when all is freed. */
void test_pool_host_chains(void) {
    static host_chains h;
    static const char *const names[2] = {"bot:-:T0HOST", "user:-:T0HOST:U0HOST"};
    xoxe_chain_callbacks cb;
    xoxe_client *c = t_client();
    xoxe_store *s = NULL, *bad = NULL;
    xoxe_error *e = NULL;
    xoxe_chain_list *l;
    xoxe_status st;
    xoxe_pool *p;
    char tokens[2][TOKEN_BUF], buf[TOKEN_BUF];
    t_config_pair seeds[2];
    bool removed = false;
    int k;

    memset(&h, 0, sizeof h);
    pthread_mutex_init(&h.mu, NULL);
    memset(&cb, 0, sizeof cb);
    cb.user_data = &h;
    cb.open = host_open;
    cb.list = host_list;
    cb.remove = host_remove;
    cb.release = host_release;

    /* Bad arguments: nothing created, release not called. */
    EXPECT_STATUS(xoxe_store_foreign_chains_new(NULL, "host", NULL, &bad, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_store_foreign_chains_new(&cb, "host", NULL, NULL, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_store_foreign_chains_new(&cb, "\xff", NULL, &bad, EOUT), XOXE_STATUS_INVALID_UTF8);
    EXPECT_STATUS(xoxe_store_foreign_chains_new(&cb, "host", "\xff", &bad, EOUT), XOXE_STATUS_INVALID_UTF8);
    EXPECT_STATUS(xoxe_store_foreign_chains_new(&cb, "host", "../up", &bad, EOUT), XOXE_STATUS_INVALID_ARGUMENT);
    {
        xoxe_chain_callbacks no_open = cb;
        no_open.open = NULL;
        EXPECT_STATUS(xoxe_store_foreign_chains_new(&no_open, "host", NULL, &bad, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    }
    CHECK(bad == NULL);
    CHECK_INT(h.released, 0);

    st = xoxe_store_foreign_chains_new(&cb, "host", NULL, &s, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
    if (s == NULL) {
        xoxe_client_free(c);
        return;
    }
    for (k = 0; k < 2; k++) seeds[k] = seed_chain(s, names[k]);
    p = new_pool(c, s, NULL, NULL, NULL);
    for (k = 0; k < 2 && p; k++) {
        CHECK(POOL_GET_OK(p, names[k], tokens[k], NULL));
        CHECK_AUTH(c, tokens[k]);
        CHECK_MSG(host_holds_secret(&h, tokens[k]), "the host holds chain %s's rotated token", names[k]);
    }
    CHECK(strcmp(tokens[0], tokens[1]) != 0);
    CHECK_MSG(h.opens >= 2, "the host opened %d chains", h.opens);

    l = chains_of(s);
    CHECK_INT((long long)xoxe_chain_list_len(l), 2);
    for (k = 0; k < 2; k++) CHECK_MSG(find_chain(l, names[k]) != NULL, "listed: %s", names[k]);
    xoxe_chain_list_free(l);

    /* Removal goes through the host's `remove`; the chain is then empty. */
    if (p) {
        st = xoxe_pool_remove(p, names[1], &removed, &e);
        CHECK_STATUS(st, XOXE_STATUS_OK, e);
        drop_err(&e);
        CHECK(removed);
        CHECK_INT(h.removes, 1);
        CHECK(!host_holds_secret(&h, tokens[1]));
        EXPECT_POOL_ERR(p, names[1], XOXE_STATUS_STORE_EMPTY, XOXE_STATUS_STORE_EMPTY, tokens[1]);
        CHECK(POOL_GET_OK(p, names[0], buf, NULL));
        CHECK(strcmp(buf, tokens[0]) == 0);
    }

    /* A listing with a name that is no chain name is refused as corrupt. */
    h.bad_listing = 1;
    l = NULL;
    EXPECT_STATUS(xoxe_store_chains(s, &l, EOUT), XOXE_STATUS_STORE_CORRUPT);
    CHECK(l == NULL);
    h.bad_listing = 0;

    /* A host whose `open` fails: a clear error, no chain. */
    h.fail_open = 1;
    EXPECT_STATUS(xoxe_store_open_chain(s, "bot:-:T0OTHER", &bad, EOUT), XOXE_STATUS_STORE_IO);
    CHECK(bad == NULL);
    h.fail_open = 0;

    xoxe_pool_free(p);
    xoxe_store_free(s);
    CHECK_INT(h.released, 1);
    CHECK_MSG(h.releases == h.opens, "chain callbacks released %d times for %d opens", h.releases, h.opens);
    for (k = 0; k < 2; k++) wipe(&seeds[k], sizeof seeds[k]);
    wipe(tokens, sizeof tokens);
    wipe(buf, sizeof buf);
    for (k = 0; k < HOST_SLOTS; k++) wipe(h.slots[k].document, sizeof h.slots[k].document);
    pthread_mutex_destroy(&h.mu);
    xoxe_client_free(c);
}

#undef EOUT
#undef EXPECT_STATUS
