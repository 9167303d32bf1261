/* xoxe from C, for `make bench` (bench/run.py drives it; every mode prints one
 * JSON line on stdout).
 *
 *   bench_xoxe rotate BASE RT CALLS WARMUP    sequential tooling.tokens.rotate calls,
 *                                             one client (one kept-alive connection)
 *   bench_xoxe get BASE RT CALLS THREADS      xoxe_rotator_get on a fresh token
 *   bench_xoxe mt BASE RT CALLS THREADS       THREADS threads sharing one client,
 *                                             CALLS rotations each
 *   bench_xoxe rss BASE RT CALLS              RSS after 10 000 and after CALLS rotations
 */
#define _GNU_SOURCE
#include <pthread.h>
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
    pthread_barrier_wait(&start);
    double w0 = now_s(CLOCK_MONOTONIC), c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
    for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
    double w1 = now_s(CLOCK_MONOTONIC), c1 = now_s(CLOCK_PROCESS_CPUTIME_ID);
    pthread_barrier_destroy(&start);
    *cpu = c1 - c0;
    return w1 - w0;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: bench_xoxe rotate|get|mt|rss BASE RT CALLS [N]\n");
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
