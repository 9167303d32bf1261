/*
 * xoxe C example: keep a config token fresh with a rotator and a file store.
 *
 * Starts a chain in a token store file (in a new temporary directory), then
 * asks the rotator for a token every 500 ms for about 12 s. The rotator renews
 * the token before it expires (one rotation at a time, the new pair saved to
 * the file before it is handed out); this prints a line each time the token
 * changes and a summary at the end.
 *
 * Environment:
 *   XOXE_CONFIG_REFRESH_TOKEN  config refresh token (xoxe-1-...)       required
 *   XOXE_BASE_URL              e.g. a proxy; unset means https://slack.com/api/
 *
 * Against real Slack, keep the store file: after the first rotation it holds
 * the only valid refresh token of the chain. This demo removes its temporary
 * directory at the end. Tokens are only ever printed redacted.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "xoxe.h"

#define RUN_SECONDS 12.0
#define INTERVAL_MS 500

/* Prints an error's status and message, frees it, and returns 1. */
static int fail(const char *what, xoxe_status status, xoxe_error *err) {
    const xoxe_error_info *info = xoxe_error_get_info(err);
    fprintf(stderr, "%s failed: %s", what, xoxe_status_name(status));
    if (info != NULL) {
        if (info->cause != info->status) fprintf(stderr, " (cause: %s)", xoxe_status_name(info->cause));
        fprintf(stderr, ": %s", info->message);
    }
    fputc('\n', stderr);
    xoxe_error_free(err);
    return 1;
}

/* Zeroes a buffer that held a secret (volatile: the compiler keeps it). */
static void wipe(void *p, size_t n) {
    volatile unsigned char *v = p;
    while (n--) *v++ = 0;
}

static double now_mono(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static xoxe_client *make_client(const char *base_url, int *rc) {
    xoxe_client_options *options = NULL;
    xoxe_client *client = NULL;
    xoxe_error *err = NULL;
    xoxe_status st = xoxe_client_options_new(&options, &err);
    if (st != XOXE_STATUS_OK) {
        *rc = fail("xoxe_client_options_new", st, err);
        return NULL;
    }
    if (base_url != NULL && (st = xoxe_client_options_set_base_url(options, base_url, &err)) != XOXE_STATUS_OK) {
        xoxe_client_options_free(options);
        *rc = fail("base URL", st, err);
        return NULL;
    }
    st = xoxe_client_new(options, &client, &err);
    xoxe_client_options_free(options);
    if (st != XOXE_STATUS_OK) *rc = fail("xoxe_client_new", st, err);
    return client;
}

/* Asks for a token every INTERVAL_MS for RUN_SECONDS; prints each new one. */
static int keep_fresh(const xoxe_rotator *rotator) {
    /* XOXE_MAX_TOKEN_LEN + 1 always fits. Both buffers hold secrets. */
    static char token[XOXE_MAX_TOKEN_LEN + 1], last[XOXE_MAX_TOKEN_LEN + 1];
    char shown[64];
    double start = now_mono(), elapsed = 0;
    int calls = 0, distinct = 0, rc = 0;
    last[0] = '\0';
    while (elapsed < RUN_SECONDS) {
        int64_t expires_at = 0;
        xoxe_error *err = NULL;
        xoxe_status st = xoxe_rotator_get(rotator, token, sizeof token, &expires_at, &err);
        elapsed = now_mono() - start;
        calls++;
        if (st != XOXE_STATUS_OK) {
            rc = fail("xoxe_rotator_get", st, err);
            break;
        }
        if (strcmp(token, last) != 0) {
            distinct++;
            xoxe_redact(token, shown, sizeof shown);
            printf("%5.1f s  token %-22s  %3lld s left\n", elapsed, shown,
                   (long long)(expires_at - (int64_t)time(NULL)));
            memcpy(last, token, strlen(token) + 1);
        }
        sleep_ms(INTERVAL_MS);
        elapsed = now_mono() - start;
    }
    if (rc == 0)
        printf("%d distinct tokens in %.1f s (%d calls to xoxe_rotator_get)\n", distinct, elapsed, calls);
    wipe(token, sizeof token);
    wipe(last, sizeof last);
    return rc;
}

int main(void) {
    const char *refresh_token = getenv("XOXE_CONFIG_REFRESH_TOKEN");
    const char *base_url = getenv("XOXE_BASE_URL");
    const char *tmp = getenv("TMPDIR");
    char dir[512], path[600], lock_path[640];
    xoxe_client *client = NULL;
    xoxe_store *store = NULL;
    xoxe_rotator *rotator = NULL;
    xoxe_error *err = NULL;
    xoxe_status st;
    struct stat sb;
    int rc = 0;
    if (refresh_token == NULL || refresh_token[0] == '\0') {
        fprintf(stderr, "set XOXE_CONFIG_REFRESH_TOKEN (and optionally XOXE_BASE_URL)\n");
        return 2;
    }
    printf("xoxe %s (ABI %u)\n", xoxe_version(), (unsigned)xoxe_abi_version());

    snprintf(dir, sizeof dir, "%s/xoxe-keep-fresh.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        fprintf(stderr, "mkdtemp %s: %s\n", dir, strerror(errno));
        return 1;
    }
    snprintf(path, sizeof path, "%s/pair.json", dir);
    snprintf(lock_path, sizeof lock_path, "%s.lock", path);

    client = make_client(base_url, &rc);
    if (client == NULL) goto done;
    st = xoxe_store_file_new(path, 0, &store, &err);
    if (st != XOXE_STATUS_OK) {
        rc = fail("xoxe_store_file_new", st, err);
        goto done;
    }
    /* Start the chain: just the refresh token (no access token yet, so the
     * first get rotates). */
    st = xoxe_store_init(store, XOXE_CHAIN_KIND_CONFIG, refresh_token, NULL, 0, false, &err);
    if (st != XOXE_STATUS_OK) {
        rc = fail("xoxe_store_init", st, err);
        goto done;
    }
    if (stat(path, &sb) == 0) printf("token store: %s (mode %03o)\n", path, (unsigned)(sb.st_mode & 0777));
    /* NULL options: the defaults (refresh 2 h before expiry, or at half the
     * lifetime for tokens that live less than 4 h). */
    st = xoxe_rotator_new_config(client, store, NULL, &rotator, &err);
    if (st != XOXE_STATUS_OK) {
        rc = fail("xoxe_rotator_new_config", st, err);
        goto done;
    }
    rc = keep_fresh(rotator);

done:
    xoxe_rotator_free(rotator);
    xoxe_store_free(store);
    xoxe_client_free(client);
    /* A demo: remove the temporary store (in real use, keep it). */
    unlink(path);
    unlink(lock_path);
    rmdir(dir);
    return rc;
}
