/* What one cache miss costs on this machine, for the pool section of `make bench`:
 * a pointer chase over a random cycle through SIZE bytes (each load depends on the
 * one before, so none overlap), the time per load. At 128 MiB every load misses the
 * caches (and the TLB), as a get(chain) over 100 000 chains does at each step.
 *
 *     mem_latency SIZE_BYTES     prints {"bytes": N, "ns_per_load": X}
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, CLOCK_MONOTONIC under -std=c11 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t xorshift(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: mem_latency SIZE_BYTES\n");
        return 2;
    }
    size_t n = (size_t)atoll(argv[1]) / sizeof(size_t);
    if (n < 2) {
        fprintf(stderr, "mem_latency: SIZE_BYTES too small\n");
        return 2;
    }
    size_t *next = malloc(n * sizeof *next), *order = malloc(n * sizeof *order);
    if (!next || !order) {
        fprintf(stderr, "mem_latency: out of memory\n");
        return 1;
    }
    uint64_t seed = 0x9E3779B97F4A7C15u;
    for (size_t i = 0; i < n; i++) order[i] = i;
    for (size_t i = n - 1; i > 0; i--) { /* Fisher-Yates: one cycle through every slot */
        size_t j = (size_t)(xorshift(&seed) % (i + 1));
        size_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (size_t i = 0; i < n; i++) next[order[i]] = order[(i + 1) % n];
    free(order);
    size_t p = 0;
    for (size_t i = 0; i < n; i++) p = next[p]; /* warm-up: touch every page once */
    const long loads = 10000000;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < loads; i++) p = next[p];
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / (double)loads;
    printf("{\"bytes\":%zu,\"ns_per_load\":%.1f,\"end\":%zu}\n", n * sizeof *next, ns, p % 2);
    free(next);
    return 0;
}
