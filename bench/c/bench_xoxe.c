/* xoxe from C, for `make bench` (bench/run.py drives it; every mode prints one
 * JSON line on stdout).
 *
 *   bench_xoxe rotate BASE RT CALLS WARMUP    sequential tooling.tokens.rotate calls,
 *                                             one client (one kept-alive connection)
 *   bench_xoxe get BASE RT CALLS THREADS      xoxe_rotator_get on a fresh token
 *   bench_xoxe mt BASE RT CALLS THREADS       THREADS threads sharing one client,
 *                                             CALLS rotations each
 *   bench_xoxe rss BASE RT CALLS              RSS after 10 000 and after CALLS rotations
 *   bench_xoxe pool-get BASE CHAINS CALLS REPS
 *                                             a pool over a memory store of CHAINS fresh
 *                                             chains, each loaded once (RSS and malloc'd
 *                                             bytes before and after), then REPS rounds of
 *                                             CALLS xoxe_pool_get on random chains; also one
 *                                             chain over and over, for reference
 *   bench_xoxe pool-refresh BASE CHAINS memory|dir [DIR]
 *                                             the background refresher: CHAINS config-token
 *                                             chains read from stdin ("ACCESS REFRESH" a
 *                                             line, real tokens of the fake Slack), all due
 *                                             at the same second after they are loaded;
 *                                             polls xoxe_pool_stats every millisecond until
 *                                             every chain was rotated
 *   bench_xoxe pool-rotate BASE CHAINS memory|dir [DIR]
 *                                             the same rotations made by xoxe_pool_get on
 *                                             the calling thread (chains seeded without an
 *                                             access token), for comparison
 *   bench_xoxe scale-get BASE CHAINS CALLS THREADS[,THREADS...] REPS
 *                                             the scaling curve of get(chain): a pool over a
 *                                             memory store of CHAINS fresh chains (each loaded
 *                                             once), then REPS rounds, each running every
 *                                             thread count in turn: T threads sharing the
 *                                             pool, CALLS gets in all (CALLS / T each) on
 *                                             random chains; wall and process CPU ns per call
 *   bench_xoxe scale-rotate BASE RT CALLS THREADS[,THREADS...] REPS
 *                                             the same for tooling.tokens.rotate: T threads
 *                                             sharing one client, CALLS rotations in all
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xoxe.h"

static double now_s(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what, xoxe_status st, xoxe_error *err) {
    const xoxe_error_info *e = xoxe_error_get_info(err);
    fprintf(stderr, "%s: %s: %s\n", what, xoxe_status_name(st), e ? e->message : "");
    xoxe_error_free(err);
    exit(1);
}

static xoxe_client *new_client(const char *base) {
    xoxe_client_options *o = NULL;
    xoxe_client *c = NULL;
    xoxe_error *err = NULL;
    xoxe_status st = xoxe_client_options_new(&o, &err);
    if (st) die("options", st, err);
    st = xoxe_client_options_set_base_url(o, base, &err);
    if (st) die("base url", st, err);
    st = xoxe_client_new(o, &c, &err);
    if (st) die("client", st, err);
    xoxe_client_options_free(o);
    return c;
}

static void rotate_once(const xoxe_client *c, const char *rt) {
    xoxe_config_token *pair = NULL;
    xoxe_error *err = NULL;
    xoxe_status st = xoxe_tooling_tokens_rotate(c, rt, 0, &pair, &err);
    if (st) die("rotate", st, err);
    xoxe_config_token_free(pair);
}

static long rss_kib(void) {
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f || fscanf(f, "%ld %ld", &pages, &resident) != 2) exit(1);
    fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

struct job {
    const xoxe_client *client;
    const xoxe_rotator *rotator;
    const char *rt;
    long calls;
    pthread_barrier_t *start;
};

static void *rotate_worker(void *p) {
    struct job *j = p;
    pthread_barrier_wait(j->start);
    for (long i = 0; i < j->calls; i++) rotate_once(j->client, j->rt);
    return NULL;
}

static void *get_worker(void *p) {
    struct job *j = p;
    char buf[XOXE_MAX_TOKEN_LEN + 1];
    int64_t exp = 0;
    pthread_barrier_wait(j->start);
    for (long i = 0; i < j->calls; i++) {
        xoxe_error *err = NULL;
        xoxe_status st = xoxe_rotator_get(j->rotator, buf, sizeof buf, &exp, &err);
        if (st) die("get", st, err);
    }
    return NULL;
}

/* Runs THREADS workers; returns wall seconds, and process CPU seconds in *cpu. */
static double run_threads(void *(*fn)(void *), struct job *proto, int threads, double *cpu) {
    pthread_t t[64];
    struct job jobs[64];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
    for (int i = 0; i < threads; i++) {
        jobs[i] = *proto;
        jobs[i].start = &start;
        pthread_create(&t[i], NULL, fn, &jobs[i]);
    }
    /* The clocks start before the workers are released: with more threads than cores,
     * they may finish their calls before this thread runs again. */
    double w0 = now_s(CLOCK_MONOTONIC), c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
    pthread_barrier_wait(&start);
    for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
    double w1 = now_s(CLOCK_MONOTONIC), c1 = now_s(CLOCK_PROCESS_CPUTIME_ID);
    pthread_barrier_destroy(&start);
    *cpu = c1 - c0;
    return w1 - w0;
}

/* ------------------------------------------------------------------ pools */

/* Bytes malloc has handed out and not had back (every arena, plus mmapped chunks). */
static long heap_bytes(void) {
    struct mallinfo2 m = mallinfo2();
    return (long)(m.uordblks + m.hblkhd);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rng(void) { /* xorshift64 */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* A token of the fake Slack's shape: PREFIX then 40 hex digits. */
static void synthetic_token(char *out, size_t n, const char *prefix) {
    snprintf(out, n, "%s%016llx%016llx%08llx", prefix, (unsigned long long)rng(), (unsigned long long)rng(),
             (unsigned long long)(rng() & 0xffffffffu));
}

#define NAME_LEN 24
/* Installation-style chain names, as xoxe_installation_chain makes them. */
static char (*chain_names(long n))[NAME_LEN] {
    char (*names)[NAME_LEN] = malloc((size_t)n * NAME_LEN);
    if (!names) exit(1);
    for (long i = 0; i < n; i++) snprintf(names[i], NAME_LEN, "bot:-:T%08lX", (unsigned long)i + 1);
    return names;
}

static void seed_chain(const xoxe_store *store, const char *name, const char *refresh, const char *access,
                       int64_t expires_at, bool overwrite) {
    xoxe_store *chain = NULL;
    xoxe_error *err = NULL;
    xoxe_status st = xoxe_store_open_chain(store, name, &chain, &err);
    if (st) die("open chain", st, err);
    st = xoxe_store_init(chain, XOXE_CHAIN_KIND_CONFIG, refresh, access, expires_at, overwrite, &err);
    if (st) die("init", st, err);
    xoxe_store_free(chain);
}

static int64_t pool_get(const xoxe_pool *pool, const char *name, char *buf, size_t n) {
    int64_t exp = 0;
    xoxe_error *err = NULL;
    xoxe_status st = xoxe_pool_get(pool, name, buf, n, &exp, &err);
    if (st) die("pool get", st, err);
    return exp;
}

static xoxe_pool_stats_info pool_stats(const xoxe_pool *pool) {
    xoxe_pool_stats_info s;
    xoxe_error *err = NULL;
    xoxe_status st = xoxe_pool_stats(pool, &s, &err);
    if (st) die("pool stats", st, err);
    return s;
}

static void print_list(const char *key, const double *v, int n) {
    printf("\"%s\":[", key);
    for (int i = 0; i < n; i++) printf("%s%.2f", i ? "," : "", v[i]);
    printf("]");
}

/* pool-get: get(chain) with CHAINS chains in memory, and the memory they take. */
static int pool_get_mode(xoxe_client *client, long chains, long calls, int reps) {
    if (chains < 1 || calls < 1 || reps < 1 || reps > 64 || chains > UINT32_MAX) return 2;
    char (*names)[NAME_LEN] = chain_names(chains);
    xoxe_store *store = NULL;
    xoxe_pool *pool = NULL;
    xoxe_error *err = NULL;
    xoxe_status st = xoxe_store_memory_new(&store, &err);
    if (st) die("store", st, err);
    /* Valid for 6 hours: far outside the refresh window (2 h + up to 5 min of jitter). */
    int64_t expires_at = (int64_t)time(NULL) + 6 * 3600;
    char access[64], refresh[64], buf[XOXE_MAX_TOKEN_LEN + 1];
    double t0 = now_s(CLOCK_MONOTONIC);
    for (long i = 0; i < chains; i++) {
        synthetic_token(access, sizeof access, "xoxe.xoxp-1-");
        synthetic_token(refresh, sizeof refresh, "xoxe-1-");
        seed_chain(store, names[i], refresh, access, expires_at, false);
    }
    double seed_s = now_s(CLOCK_MONOTONIC) - t0;
    xoxe_pool_options o;
    memset(&o, 0, sizeof o);
    o.max_chains_in_memory = (uint32_t)chains;
    st = xoxe_pool_new(client, store, NULL, NULL, &o, &pool, &err);
    if (st) die("pool", st, err);
    /* Every chain once: the pool makes its rotators (no rotation: all are fresh). */
    long rss0 = rss_kib(), heap0 = heap_bytes();
    t0 = now_s(CLOCK_MONOTONIC);
    for (long i = 0; i < chains; i++)
        if (pool_get(pool, names[i], buf, sizeof buf) != expires_at) {
            fprintf(stderr, "chain %s: unexpected expiry (rotated?)\n", names[i]);
            return 1;
        }
    double load_s = now_s(CLOCK_MONOTONIC) - t0;
    long rss1 = rss_kib(), heap1 = heap_bytes();
    xoxe_pool_stats_info s = pool_stats(pool);
    if ((long)s.chains_in_memory != chains) {
        fprintf(stderr, "pool holds %zu chains, not %ld\n", s.chains_in_memory, chains);
        return 1;
    }
    uint32_t *order = malloc((size_t)calls * sizeof *order);
    if (!order) return 1;
    for (long i = 0; i < calls; i++) order[i] = (uint32_t)(rng() % (uint64_t)chains);
    double ns[64], one[64];
    for (long i = 0; i < calls / 10; i++) pool_get(pool, names[order[i]], buf, sizeof buf); /* warm-up */
    for (int r = 0; r < reps; r++) {
        t0 = now_s(CLOCK_MONOTONIC);
        for (long i = 0; i < calls; i++) pool_get(pool, names[order[i]], buf, sizeof buf);
        ns[r] = (now_s(CLOCK_MONOTONIC) - t0) * 1e9 / (double)calls;
        t0 = now_s(CLOCK_MONOTONIC);
        for (long i = 0; i < calls; i++) pool_get(pool, names[0], buf, sizeof buf);
        one[r] = (now_s(CLOCK_MONOTONIC) - t0) * 1e9 / (double)calls;
    }
    s = pool_stats(pool);
    printf("{\"chains\":%ld,\"calls\":%ld,", chains, calls);
    print_list("ns_per_call", ns, reps);
    printf(",");
    print_list("ns_one_chain", one, reps);
    printf(",\"rss_kib_before\":%ld,\"rss_kib_after\":%ld,\"heap_before\":%ld,\"heap_after\":%ld,"
           "\"seed_s\":%.3f,\"load_s\":%.3f,\"chains_in_memory\":%zu,\"background_rotations\":%llu}\n",
           rss0, rss1, heap0, heap1, seed_s, load_s, s.chains_in_memory,
           (unsigned long long)s.background_rotations);
    xoxe_pool_free(pool);
    xoxe_store_free(store);
    free(order);
    free(names);
    return 0;
}

/* pool-refresh: how fast the background refresher rotates chains that all fall due
 * together. The chains carry real tokens of the fake Slack and an expiry EXP; the
 * pool's refresh window is 3 s, under the 4 s below which the library adds no
 * jitter (a quarter of the window, rounded down), so each is due at EXP - 3 s
 * exactly: after every chain was loaded into the pool, fresh. */
#define REFRESH_WINDOW 3
static int pool_refresh_mode(xoxe_client *client, long chains, const char *kind, const char *dir, bool foreground) {
    if (chains < 1 || chains > UINT32_MAX) return 2;
    char (*names)[NAME_LEN] = chain_names(chains);
    char (*access)[128] = malloc((size_t)chains * 128), (*refresh)[128] = malloc((size_t)chains * 128);
    if (!access || !refresh) return 1;
    for (long i = 0; i < chains; i++)
        if (scanf("%127s %127s", access[i], refresh[i]) != 2) {
            fprintf(stderr, "stdin: %ld token pairs, not %ld\n", i, chains);
            return 2;
        }
    xoxe_store *store = NULL;
    xoxe_pool *pool = NULL;
    xoxe_error *err = NULL;
    xoxe_status st;
    double per_seed = 0; /* calibration: seconds per seeded chain in this store */
    if (!strcmp(kind, "memory")) {
        st = xoxe_store_memory_new(&store, &err);
    } else if (!strcmp(kind, "dir") && dir) {
        st = xoxe_store_dir_new(dir, NULL, 0, &store, &err);
        if (st) die("store", st, err);
        /* A few throwaway chains, removed again, time a seed (and so the lead). */
        double t0 = now_s(CLOCK_MONOTONIC);
        for (int i = 0; i < 8; i++) {
            char name[32], at[64], rt[64];
            xoxe_store *c = NULL;
            snprintf(name, sizeof name, "calibrate-%d", i);
            synthetic_token(at, sizeof at, "xoxe.xoxp-1-");
            synthetic_token(rt, sizeof rt, "xoxe-1-");
            seed_chain(store, name, rt, at, (int64_t)time(NULL) + 6 * 3600, false);
            st = xoxe_store_open_chain(store, name, &c, &err);
            if (st) die("open chain", st, err);
            st = xoxe_store_remove_chain(c, NULL, &err);
            if (st) die("remove chain", st, err);
            xoxe_store_free(c);
        }
        per_seed = (now_s(CLOCK_MONOTONIC) - t0) / 8;
    } else {
        fprintf(stderr, "pool-refresh: store memory, or dir DIR\n");
        return 2;
    }
    if (st) die("store", st, err);
    if (foreground) {
        /* The same rotations made by get() on this thread, for comparison: chains
         * seeded without an access token, so each get rotates first. */
        for (long i = 0; i < chains; i++) seed_chain(store, names[i], refresh[i], NULL, 0, false);
        memset(refresh, 0, (size_t)chains * 128);
        memset(access, 0, (size_t)chains * 128);
        xoxe_pool_options o;
        memset(&o, 0, sizeof o);
        o.max_chains_in_memory = (uint32_t)chains;
        st = xoxe_pool_new(client, store, NULL, NULL, &o, &pool, &err);
        if (st) die("pool", st, err);
        char buf[XOXE_MAX_TOKEN_LEN + 1];
        int64_t now = (int64_t)time(NULL);
        long rotated = 0;
        double t0 = now_s(CLOCK_MONOTONIC);
        for (long i = 0; i < chains; i++) rotated += pool_get(pool, names[i], buf, sizeof buf) > now;
        double secs = now_s(CLOCK_MONOTONIC) - t0;
        printf("{\"store\":\"%s\",\"chains\":%ld,\"rotated\":%ld,\"failures\":0,\"secs\":%.4f,"
               "\"per_sec\":%.1f}\n",
               kind, chains, rotated, secs, (double)chains / secs);
        xoxe_pool_free(pool);
        xoxe_store_free(store);
        free(access);
        free(refresh);
        free(names);
        return 0;
    }
    /* Due (EXP - 3 s) at least a second after seeding is over (loading takes
     * milliseconds). A slow disk may make seeding overrun the lead: the chains are
     * then seeded again (overwritten: no token was spent yet) with a longer one. */
    int64_t lead = 2 + (int64_t)(1.5 * per_seed * (double)chains), due = 0, expires_at = 0;
    double t0 = 0, seed_s = 0;
    for (int attempt = 0;; attempt++) {
        due = (int64_t)time(NULL) + lead;
        expires_at = due + REFRESH_WINDOW;
        t0 = now_s(CLOCK_MONOTONIC);
        for (long i = 0; i < chains; i++)
            seed_chain(store, names[i], refresh[i], access[i], expires_at, attempt > 0);
        seed_s = now_s(CLOCK_MONOTONIC) - t0;
        if ((double)due - now_s(CLOCK_REALTIME) >= 1.0) break;
        if (attempt == 3) {
            fprintf(stderr, "seeding %ld chains keeps overrunning the lead (%lld s)\n", chains, (long long)lead);
            return 1;
        }
        lead = 2 * lead + (int64_t)seed_s + 1;
    }
    memset(refresh, 0, (size_t)chains * 128); /* the store holds them now */
    memset(access, 0, (size_t)chains * 128);
    xoxe_pool_options o;
    memset(&o, 0, sizeof o);
    o.rotator.refresh_window_secs = REFRESH_WINDOW;
    o.max_chains_in_memory = (uint32_t)chains;
    o.background_refresh = true;
    st = xoxe_pool_new(client, store, NULL, NULL, &o, &pool, &err);
    if (st) die("pool", st, err);
    char buf[XOXE_MAX_TOKEN_LEN + 1];
    t0 = now_s(CLOCK_MONOTONIC);
    for (long i = 0; i < chains; i++)
        if (pool_get(pool, names[i], buf, sizeof buf) != expires_at) {
            fprintf(stderr, "chain %s rotated while loading\n", names[i]);
            return 1;
        }
    double load_s = now_s(CLOCK_MONOTONIC) - t0;
    double margin = (double)due - now_s(CLOCK_REALTIME);
    xoxe_pool_stats_info s = pool_stats(pool);
    if (margin <= 0 || s.background_rotations || s.background_failures) {
        fprintf(stderr, "loading overran the due time (%.3f s left, %llu rotations)\n", margin,
                (unsigned long long)s.background_rotations);
        return 1;
    }
    /* Sample the counters every millisecond: the first sample that shows a rotation
     * and the first that shows them all bound the refresher's run. */
    double t_first = 0, t_last = 0, rt_first = 0, deadline = now_s(CLOCK_MONOTONIC) + lead + 120;
    uint64_t r_first = 0, done = 0;
    struct timespec ms = {0, 1000000};
    for (;;) {
        s = pool_stats(pool);
        double t = now_s(CLOCK_MONOTONIC);
        done = s.background_rotations + s.background_failures;
        if (done && !r_first) {
            t_first = t;
            rt_first = now_s(CLOCK_REALTIME);
            r_first = done;
        }
        if (done >= (uint64_t)chains) {
            t_last = t;
            break;
        }
        if (t > deadline) {
            fprintf(stderr, "the refresher did %llu of %ld rotations in time\n", (unsigned long long)done, chains);
            return 1;
        }
        nanosleep(&ms, NULL);
    }
    /* Every chain now holds a new token, with the fake Slack's later expiry. */
    long rotated = 0;
    for (long i = 0; i < chains; i++) rotated += pool_get(pool, names[i], buf, sizeof buf) > expires_at;
    s = pool_stats(pool);
    double secs = t_last - t_first;
    printf("{\"store\":\"%s\",\"chains\":%ld,\"rotations\":%llu,\"failures\":%llu,\"rotated\":%ld,"
           "\"first_sample\":%llu,\"secs\":%.4f,\"per_sec\":%.1f,\"first_after_due_ms\":%.1f,"
           "\"all_after_due_ms\":%.1f,\"seed_s\":%.3f,\"load_s\":%.3f,\"lead_s\":%lld}\n",
           kind, chains, (unsigned long long)s.background_rotations, (unsigned long long)s.background_failures,
           rotated, (unsigned long long)r_first, secs,
           secs > 0 ? (double)((uint64_t)chains - r_first) / secs : 0.0, (rt_first - (double)due) * 1e3,
           (rt_first + secs - (double)due) * 1e3, seed_s, load_s, (long long)lead);
    xoxe_pool_free(pool);
    xoxe_store_free(store);
    free(access);
    free(refresh);
    free(names);
    return 0;
}

/* ------------------------------------------------------------------ scaling */

#define MAX_POINTS 16
static int parse_threads(const char *list, int *out) {
    int n = 0;
    const char *p = list;
    while (*p && n < MAX_POINTS) {
        char *end = NULL;
        long t = strtol(p, &end, 10);
        if (end == p || t < 1 || t > 64) return -1;
        out[n++] = (int)t;
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') return -1;
    }
    return *p ? -1 : n;
}

struct scale_job {
    const xoxe_pool *pool;
    const xoxe_client *client;
    const char *rt;
    char (*names)[NAME_LEN];
    long chains, calls;
    uint64_t seed;
    pthread_barrier_t *start;
};

static void *scale_get_worker(void *p) {
    struct scale_job *j = p;
    char buf[XOXE_MAX_TOKEN_LEN + 1];
    uint64_t x = j->seed;
    pthread_barrier_wait(j->start);
    for (long i = 0; i < j->calls; i++) {
        x ^= x << 13; /* xorshift64, per thread */
        x ^= x >> 7;
        x ^= x << 17;
        pool_get(j->pool, j->names[x % (uint64_t)j->chains], buf, sizeof buf);
    }
    return NULL;
}

static void *scale_rotate_worker(void *p) {
    struct scale_job *j = p;
    pthread_barrier_wait(j->start);
    for (long i = 0; i < j->calls; i++) rotate_once(j->client, j->rt);
    return NULL;
}

/* T threads running fn over proto, calls split among them; wall and process CPU
 * seconds. */
static double scale_run(void *(*fn)(void *), const struct scale_job *proto, int threads, double *cpu) {
    pthread_t t[64];
    struct scale_job jobs[64];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
    for (int i = 0; i < threads; i++) {
        jobs[i] = *proto;
        jobs[i].calls = proto->calls / threads + (i < proto->calls % threads);
        jobs[i].seed = 0x9e3779b97f4a7c15u ^ ((uint64_t)(i + 1) * 0xbf58476d1ce4e5b9u);
        jobs[i].start = &start;
        pthread_create(&t[i], NULL, fn, &jobs[i]);
    }
    /* The clocks start before the workers are released: with more threads than cores,
     * they may finish their calls before this thread runs again. */
    double w0 = now_s(CLOCK_MONOTONIC), c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
    pthread_barrier_wait(&start);
    for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
    double w1 = now_s(CLOCK_MONOTONIC), c1 = now_s(CLOCK_PROCESS_CPUTIME_ID);
    pthread_barrier_destroy(&start);
    *cpu = c1 - c0;
    return w1 - w0;
}

/* Rounds of every thread count in turn; prints {"points":[{"threads":T,
 * "wall_ns_per_call":[...],"cpu_ns_per_call":[...]}...]} after HEAD. */
static void scale_points(void *(*fn)(void *), const struct scale_job *proto, const int *threads, int npoints,
                         int reps, const char *head) {
    static double wall[MAX_POINTS][64], cpu[MAX_POINTS][64];
    for (int r = 0; r < reps; r++)
        for (int k = 0; k < npoints; k++) {
            double c, w = scale_run(fn, proto, threads[k], &c);
            wall[k][r] = w * 1e9 / (double)proto->calls;
            cpu[k][r] = c * 1e9 / (double)proto->calls;
        }
    printf("{%s\"calls\":%ld,\"points\":[", head, proto->calls);
    for (int k = 0; k < npoints; k++) {
        printf("%s{\"threads\":%d,", k ? "," : "", threads[k]);
        print_list("wall_ns_per_call", wall[k], reps);
        printf(",");
        print_list("cpu_ns_per_call", cpu[k], reps);
        printf("}");
    }
    printf("]}\n");
}

/* scale-get: get(chain) with CHAINS chains, at each thread count. */
static int scale_get_mode(xoxe_client *client, long chains, long calls, const char *list, int reps) {
    int threads[MAX_POINTS];
    int npoints = parse_threads(list, threads);
    if (chains < 1 || calls < 1 || reps < 1 || reps > 64 || npoints < 1 || chains > UINT32_MAX) return 2;
    char (*names)[NAME_LEN] = chain_names(chains);
    xoxe_store *store = NULL;
    xoxe_pool *pool = NULL;
    xoxe_error *err = NULL;
    xoxe_status st = xoxe_store_memory_new(&store, &err);
    if (st) die("store", st, err);
    int64_t expires_at = (int64_t)time(NULL) + 6 * 3600; /* fresh: no rotation, no network */
    char access[64], refresh[64], buf[XOXE_MAX_TOKEN_LEN + 1];
    for (long i = 0; i < chains; i++) {
        synthetic_token(access, sizeof access, "xoxe.xoxp-1-");
        synthetic_token(refresh, sizeof refresh, "xoxe-1-");
        seed_chain(store, names[i], refresh, access, expires_at, false);
    }
    memset(access, 0, sizeof access);
    memset(refresh, 0, sizeof refresh);
    xoxe_pool_options o;
    memset(&o, 0, sizeof o);
    o.max_chains_in_memory = (uint32_t)chains;
    st = xoxe_pool_new(client, store, NULL, NULL, &o, &pool, &err);
    if (st) die("pool", st, err);
    for (long i = 0; i < chains; i++)
        if (pool_get(pool, names[i], buf, sizeof buf) != expires_at) {
            fprintf(stderr, "chain %s: unexpected expiry (rotated?)\n", names[i]);
            return 1;
        }
    struct scale_job j = {pool, client, NULL, names, chains, calls / 10 + 1, 0, NULL};
    double c;
    scale_run(scale_get_worker, &j, 1, &c); /* warm-up */
    j.calls = calls;
    char head[64];
    snprintf(head, sizeof head, "\"chains\":%ld,", chains);
    scale_points(scale_get_worker, &j, threads, npoints, reps, head);
    xoxe_pool_stats_info s = pool_stats(pool);
    if ((long)s.chains_in_memory != chains || s.background_rotations) {
        fprintf(stderr, "pool holds %zu chains, not %ld\n", s.chains_in_memory, chains);
        return 1;
    }
    xoxe_pool_free(pool);
    xoxe_store_free(store);
    free(names);
    return 0;
}

/* scale-rotate: tooling.tokens.rotate from T threads sharing one client. */
static int scale_rotate_mode(xoxe_client *client, const char *rt, long calls, const char *list, int reps) {
    int threads[MAX_POINTS];
    int npoints = parse_threads(list, threads);
    if (calls < 1 || reps < 1 || reps > 64 || npoints < 1) return 2;
    int most = 1;
    for (int k = 0; k < npoints; k++) most = threads[k] > most ? threads[k] : most;
    struct scale_job j = {NULL, client, rt, NULL, 0, (long)most * 20, 0, NULL};
    double c;
    scale_run(scale_rotate_worker, &j, most, &c); /* warm-up: the client's connections */
    j.calls = calls;
    scale_points(scale_rotate_worker, &j, threads, npoints, reps, "");
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 5 && !strcmp(argv[1], "pool-get")) {
        xoxe_client *client = new_client(argv[2]);
        int rc = pool_get_mode(client, atol(argv[3]), argc > 4 ? atol(argv[4]) : 1000000,
                               argc > 5 ? atoi(argv[5]) : 5);
        xoxe_client_free(client);
        return rc;
    }
    if (argc >= 5 && (!strcmp(argv[1], "pool-refresh") || !strcmp(argv[1], "pool-rotate"))) {
        xoxe_client *client = new_client(argv[2]);
        int rc = pool_refresh_mode(client, atol(argv[3]), argv[4], argc > 5 ? argv[5] : NULL,
                                   !strcmp(argv[1], "pool-rotate"));
        xoxe_client_free(client);
        return rc;
    }
    if (argc >= 7 && !strcmp(argv[1], "scale-get")) {
        xoxe_client *client = new_client(argv[2]);
        int rc = scale_get_mode(client, atol(argv[3]), atol(argv[4]), argv[5], atoi(argv[6]));
        xoxe_client_free(client);
        return rc;
    }
    if (argc >= 7 && !strcmp(argv[1], "scale-rotate")) {
        xoxe_client *client = new_client(argv[2]);
        int rc = scale_rotate_mode(client, argv[3], atol(argv[4]), argv[5], atoi(argv[6]));
        xoxe_client_free(client);
        return rc;
    }
    if (argc < 5) {
        fprintf(stderr, "usage: bench_xoxe rotate|get|mt|rss BASE RT CALLS [N]\n"
                        "       bench_xoxe pool-get BASE CHAINS CALLS REPS\n"
                        "       bench_xoxe pool-refresh|pool-rotate BASE CHAINS memory|dir [DIR]\n"
                        "       bench_xoxe scale-get BASE CHAINS CALLS THREADS[,THREADS...] REPS\n"
                        "       bench_xoxe scale-rotate BASE RT CALLS THREADS[,THREADS...] REPS\n");
        return 2;
    }
    const char *mode = argv[1], *base = argv[2], *rt = argv[3];
    long calls = atol(argv[4]);
    long n = argc > 5 ? atol(argv[5]) : 0;
    xoxe_client *client = new_client(base);

    if (!strcmp(mode, "rotate")) {
        for (long i = 0; i < n; i++) rotate_once(client, rt); /* n = warm-up calls */
        double t0 = now_s(CLOCK_MONOTONIC);
        for (long i = 0; i < calls; i++) rotate_once(client, rt);
        double t1 = now_s(CLOCK_MONOTONIC);
        printf("{\"us_per_call\":%.3f}\n", (t1 - t0) * 1e6 / (double)calls);
    } else if (!strcmp(mode, "get")) {
        /* n = threads. A memory store seeded with the bench refresh token: the
         * first get rotates once, every later one is the fresh path. */
        xoxe_store *store = NULL;
        xoxe_rotator *rot = NULL;
        xoxe_error *err = NULL;
        xoxe_status st = xoxe_store_memory_new(&store, &err);
        if (st) die("store", st, err);
        st = xoxe_store_init(store, XOXE_CHAIN_KIND_CONFIG, rt, NULL, 0, false, &err);
        if (st) die("init", st, err);
        st = xoxe_rotator_new_config(client, store, NULL, &rot, &err);
        if (st) die("rotator", st, err);
        char buf[XOXE_MAX_TOKEN_LEN + 1];
        st = xoxe_rotator_get(rot, buf, sizeof buf, NULL, &err);
        if (st) die("first get", st, err);
        struct job j = {client, rot, rt, calls, NULL};
        double cpu, wall = run_threads(get_worker, &j, 1, &cpu); /* warm-up */
        wall = run_threads(get_worker, &j, (int)n, &cpu);
        double total = (double)calls * (double)n;
        printf("{\"ns_per_call\":%.2f,\"cpu_ns_per_call\":%.2f,\"calls_per_sec\":%.0f}\n",
               wall * 1e9 / total, cpu * 1e9 / total, total / wall);
        xoxe_rotator_free(rot);
        xoxe_store_free(store);
    } else if (!strcmp(mode, "mt")) {
        struct job j = {client, NULL, rt, calls, NULL};
        double cpu, wall = run_threads(rotate_worker, &j, (int)n, &cpu);
        double total = (double)calls * (double)n;
        printf("{\"calls_per_sec\":%.1f,\"us_per_call\":%.3f}\n", total / wall, wall * 1e6 / total);
    } else if (!strcmp(mode, "rss")) {
        long first = 10000, r10k = 0;
        for (long i = 0; i < calls; i++) {
            rotate_once(client, rt);
            if (i + 1 == first) r10k = rss_kib();
        }
        long rend = rss_kib();
        printf("{\"rss_kib_10k\":%ld,\"rss_kib_end\":%ld,\"calls\":%ld}\n", r10k, rend, calls);
    } else {
        fprintf(stderr, "unknown mode %s\n", mode);
        return 2;
    }
    xoxe_client_free(client);
    return 0;
}
