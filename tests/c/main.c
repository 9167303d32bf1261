/* The test runner: starts the fake Slack, runs every test, prints one line per
 * test and the closing `N passed, M failed` line CI reads. */
#include "harness.h"
#include "tests.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;
    t_fn fn;
    int needs_server;
} t_case;

#define T_ENTRY(name, server) {#name, test_##name, server},
static const t_case cases[] = {T_TESTS(T_ENTRY)};

int main(int argc, char **argv) {
    size_t i, ncases = sizeof cases / sizeof cases[0];
    int passed = 0, failed = 0, server_up = 0;
    const char *filter = getenv("XOXE_TEST_FILTER");
    if (argc > 1) filter = argv[1];
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* With XOXE_LOG set, the library's lines go to stderr (the test log) through
     * the harness's logger, which tests that swap the logger put back. */
    t_log_start();
    printf("xoxe C tests: library %s (ABI %u), header ABI %d%s\n", xoxe_version(),
           (unsigned)xoxe_abi_version(), XOXE_ABI_VERSION, t_slow_mode() ? ", slow mode" : "");
    if (t_server_start() != 0) {
        printf("cannot start the fake Slack server\n");
        printf("0 passed, 1 failed\n");
        return 1;
    }
    server_up = 1;
    for (i = 0; i < ncases; i++) {
        if (filter && filter[0] && strstr(cases[i].name, filter) == NULL) continue;
        t_current = cases[i].name;
        t_failures = 0;
        if (cases[i].needs_server) t_ctl_reset();
        cases[i].fn();
        if (cases[i].needs_server) t_ctl_clear_faults();
        if (t_failures == 0) {
            passed++;
            printf("ok   %s\n", cases[i].name);
        } else {
            failed++;
            printf("FAIL %s (%d failed checks)\n", cases[i].name, t_failures);
        }
    }
    if (server_up) t_server_stop();
    if (t_known_bugs)
        printf("%d known library bug(s) reported above (KNOWN_BUG: not counted as failures)\n", t_known_bugs);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
