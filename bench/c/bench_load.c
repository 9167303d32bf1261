/* Library load + client creation, for `make bench`: dlopen libxoxe.so, look up
 * the symbols, create a client for BASE. Prints {"load_ms":…,"create_ms":…}.
 * Run in a fresh process each time (bench/run.py does). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <time.h>

#include "xoxe.h"

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: bench_load LIBXOXE_SO BASE\n");
        return 2;
    }
    double t0 = now_ms();
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "%s\n", dlerror());
        return 1;
    }
    uint32_t (*abi)(void) = (uint32_t (*)(void))dlsym(h, "xoxe_abi_version");
    xoxe_status (*opts_new)(xoxe_client_options **, xoxe_error **) =
        (xoxe_status (*)(xoxe_client_options **, xoxe_error **))dlsym(h, "xoxe_client_options_new");
    xoxe_status (*set_base)(xoxe_client_options *, const char *, xoxe_error **) =
        (xoxe_status (*)(xoxe_client_options *, const char *, xoxe_error **))dlsym(h, "xoxe_client_options_set_base_url");
    xoxe_status (*client_new)(const xoxe_client_options *, xoxe_client **, xoxe_error **) =
        (xoxe_status (*)(const xoxe_client_options *, xoxe_client **, xoxe_error **))dlsym(h, "xoxe_client_new");
    void (*client_free)(xoxe_client *) = (void (*)(xoxe_client *))dlsym(h, "xoxe_client_free");
    void (*opts_free)(xoxe_client_options *) = (void (*)(xoxe_client_options *))dlsym(h, "xoxe_client_options_free");
    if (!abi || !opts_new || !set_base || !client_new || !client_free || !opts_free || abi() != XOXE_ABI_VERSION) {
        fprintf(stderr, "bad library\n");
        return 1;
    }
    double t1 = now_ms();
    xoxe_client_options *o = NULL;
    xoxe_client *c = NULL;
    if (opts_new(&o, NULL) || set_base(o, argv[2], NULL) || client_new(o, &c, NULL)) {
        fprintf(stderr, "client creation failed\n");
        return 1;
    }
    double t2 = now_ms();
    opts_free(o);
    client_free(c);
    printf("{\"load_ms\":%.3f,\"create_ms\":%.3f}\n", t1 - t0, t2 - t1);
    return 0;
}
