/* "Secrets are zeroed on free" (README; src/ffi/strings.rs), checked at the
 * moment of the free itself.
 *
 * Each string a result handle hands out is its own heap buffer whose first byte
 * is the returned pointer, and freeing the handle must zero the buffer before
 * giving it back to the allocator. This program defines `free` (forwarding to
 * glibc's `__libc_free`), so every free the library makes passes through it.
 * A test "watches" the secret strings of a handle; when a watched buffer is
 * freed, `free` counts how many of the string's bytes (and its NUL) are not
 * zero. After the handle's `*_free`, each watched buffer must have been freed
 * exactly once (so the test cannot pass without looking) with 0 such bytes.
 *
 * A separate program, built without sanitizers and run outside valgrind: both
 * replace `free` themselves. glibc only (`__libc_free`).
 *
 * Secrets: only byte counts and field names are printed, never a token. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ the free hook */

extern void __libc_free(void *p);

#define MAX_WATCH 8

typedef struct {
    void *p;          /* the watched buffer; NULL once freed (its address may be reused) */
    const char *what; /* the field's name, for messages */
    size_t len;       /* the string's length when watched */
    int freed;        /* frees of `p` seen */
    size_t nonzero;   /* bytes of the string and its NUL not zero at that free */
} watch;

static watch watches[MAX_WATCH];
static int nwatch;

/* Every free in the process, the library's included (the executable's
 * definition of `free` wins over libc's). The library may free from any
 * thread: the watched pointers are read atomically. */
void free(void *p) {
    int i, n = __atomic_load_n(&nwatch, __ATOMIC_ACQUIRE);
    if (p != NULL) {
        for (i = 0; i < n; i++) {
            if (__atomic_load_n(&watches[i].p, __ATOMIC_ACQUIRE) == p) {
                const volatile unsigned char *b = p;
                size_t j, nz = 0;
                for (j = 0; j <= watches[i].len; j++) nz += b[j] != 0;
                watches[i].nonzero = nz;
                watches[i].freed++;
                __atomic_store_n(&watches[i].p, NULL, __ATOMIC_RELEASE);
            }
        }
    }
    __libc_free(p);
}

static void unwatch_all(void) {
    int i;
    __atomic_store_n(&nwatch, 0, __ATOMIC_RELEASE);
    for (i = 0; i < MAX_WATCH; i++) __atomic_store_n(&watches[i].p, NULL, __ATOMIC_RELEASE);
}

/* Watches `s` (a string a result accessor returned) until it is freed. */
static void watch_string(const char *what, const char *s) {
    int n = nwatch;
    if (s == NULL || s[0] == '\0') {
        t_fail(__FILE__, __LINE__, "%s is NULL or empty: nothing to watch", what);
        return;
    }
    if (n == MAX_WATCH) {
        t_fail(__FILE__, __LINE__, "too many watched strings");
        return;
    }
    watches[n].what = what;
    watches[n].len = strlen(s);
    watches[n].freed = 0;
    watches[n].nonzero = 0;
    __atomic_store_n(&watches[n].p, (void *)s, __ATOMIC_RELEASE);
    __atomic_store_n(&nwatch, n + 1, __ATOMIC_RELEASE);
}

/* After a handle's free: every watched string was freed once, zeroed. */
#define CHECK_WATCHED_ZEROED(call) check_watched(__LINE__, (call))
static void check_watched(int line, const char *call) {
    int i, n = nwatch;
    if (n == 0) t_fail(__FILE__, line, "%s: nothing was watched", call);
    for (i = 0; i < n; i++) {
        if (watches[i].freed != 1)
            t_fail(__FILE__, line, "%s: the %s buffer was freed %d times, expected once", call, watches[i].what,
                   watches[i].freed);
        else if (watches[i].nonzero != 0)
            t_fail(__FILE__, line, "%s: %lu of the %lu bytes of %s (with its NUL) were not zeroed before free",
                   call, (unsigned long)watches[i].nonzero, (unsigned long)watches[i].len + 1, watches[i].what);
    }
    unwatch_all();
}

/* ------------------------------------------------------------------- tests */

/* tooling.tokens.rotate: the new config token and refresh token. */
static void test_config_token(void) {
    xoxe_client *c = t_client();
    t_config_pair cp = t_new_config(-1);
    xoxe_config_token *tok = NULL;
    xoxe_error *e = NULL;
    xoxe_status st = xoxe_tooling_tokens_rotate(c, cp.refresh_token, 0, &tok, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    xoxe_error_free(e);
    if (tok) {
        const xoxe_config_token_info *info = xoxe_config_token_get_info(tok);
        watch_string("token", info->token);
        watch_string("refresh_token", info->refresh_token);
        xoxe_config_token_free(tok);
        CHECK_WATCHED_ZEROED("xoxe_config_token_free");
    }
    xoxe_client_free(c);
}

/* oauth.v2.exchange, then oauth.v2.access (refresh): both pairs' access and
 * refresh tokens. */
static void test_oauth_token(void) {
    xoxe_client *c = t_client();
    t_app app = t_new_app(1);
    char legacy[T_SECRET_MAX], refresh[T_SECRET_MAX];
    xoxe_oauth_token *tok = NULL;
    xoxe_error *e = NULL;
    xoxe_status st;
    refresh[0] = '\0';
    t_new_legacy(app.client_id, "bot", legacy, sizeof legacy);
    st = xoxe_oauth_v2_exchange(c, app.client_id, app.client_secret, legacy, 0, &tok, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    xoxe_error_free(e);
    e = NULL;
    if (tok) {
        const xoxe_oauth_token_info *info = xoxe_oauth_token_get_info(tok);
        if (strlen(info->refresh_token) < sizeof refresh) strcpy(refresh, info->refresh_token);
        watch_string("access_token (exchange)", info->access_token);
        watch_string("refresh_token (exchange)", info->refresh_token);
        xoxe_oauth_token_free(tok);
        CHECK_WATCHED_ZEROED("xoxe_oauth_token_free");
        tok = NULL;
    }
    if (refresh[0]) {
        st = xoxe_oauth_v2_refresh(c, app.client_id, app.client_secret, refresh, 0, &tok, &e);
        CHECK_STATUS(st, XOXE_STATUS_OK, e);
        xoxe_error_free(e);
        if (tok) {
            const xoxe_oauth_token_info *info = xoxe_oauth_token_get_info(tok);
            watch_string("access_token (refresh)", info->access_token);
            watch_string("refresh_token (refresh)", info->refresh_token);
            xoxe_oauth_token_free(tok);
            CHECK_WATCHED_ZEROED("xoxe_oauth_token_free");
        }
    }
    memset(refresh, 0, sizeof refresh);
    memset(legacy, 0, sizeof legacy);
    xoxe_client_free(c);
}

/* xoxe_call's raw answer, which may hold tokens: a rotation through xoxe_call
 * returns the new pair in its JSON. */
static void test_api_response(void) {
    xoxe_client *c = t_client();
    t_config_pair cp = t_new_config(-1);
    const char *names[1] = {"refresh_token"};
    const char *values[1];
    xoxe_api_response *r = NULL;
    xoxe_error *e = NULL;
    xoxe_status st;
    values[0] = cp.refresh_token;
    st = xoxe_call(c, "tooling.tokens.rotate", NULL, names, values, 1, 0, &r, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    xoxe_error_free(e);
    if (r) {
        const xoxe_api_response_info *info = xoxe_api_response_get_info(r);
        CHECK(strstr(info->json, "\"refresh_token\"") != NULL); /* it does hold a pair */
        watch_string("json", info->json);
        xoxe_api_response_free(r);
        CHECK_WATCHED_ZEROED("xoxe_api_response_free");
    }
    xoxe_client_free(c);
}

/* An error handle ("frees an error handle and zeroes its strings"): the message
 * and the raw JSON of a Slack error. */
static void test_error(void) {
    xoxe_client *c = t_client();
    xoxe_config_token *tok = NULL;
    xoxe_error *e = NULL;
    xoxe_status st = xoxe_tooling_tokens_rotate(c, "xoxe-1-notarealtoken", 0, &tok, &e);
    CHECK_INT(st, XOXE_STATUS_INVALID_REFRESH_TOKEN);
    CHECK(tok == NULL);
    if (e) {
        const xoxe_error_info *info = xoxe_error_get_info(e);
        watch_string("message", info->message);
        watch_string("response_json", info->response_json);
        xoxe_error_free(e);
        CHECK_WATCHED_ZEROED("xoxe_error_free");
    } else {
        t_fail(__FILE__, __LINE__, "no error handle");
    }
    xoxe_client_free(c);
}

/* oauth.v2.access (the install): both tokens and both refresh tokens, the
 * webhook URL and the raw answer. */
static void test_install(void) {
    xoxe_client *c = t_client();
    char out[1024], code[256], seeds[4096], id[T_ID_MAX], secret[T_SECRET_MAX];
    const char *app;
    xoxe_install *inst = NULL;
    xoxe_error *e = NULL;
    xoxe_status st;
    code[0] = id[0] = secret[0] = '\0';
    if (t_ctl("GET", "seeds", NULL, NULL, seeds, sizeof seeds) == 0 && (app = t_json_find(seeds, "app")) != NULL) {
        t_json_get(app, "client_id", id, sizeof id);
        t_json_get(app, "client_secret", secret, sizeof secret);
    }
    if (t_ctl("POST", "authorization_code", "{\"incoming_webhook\":true}", NULL, out, sizeof out) == 0)
        t_json_get(out, "code", code, sizeof code);
    CHECK(code[0] != '\0' && id[0] != '\0');
    st = xoxe_oauth_v2_access(c, id, secret, code, NULL, 0, &inst, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    xoxe_error_free(e);
    if (inst) {
        const xoxe_install_info *info = xoxe_install_get_info(inst);
        watch_string("bot_access_token", info->bot_access_token);
        watch_string("bot_refresh_token", info->bot_refresh_token);
        watch_string("user_access_token", info->user_access_token);
        watch_string("user_refresh_token", info->user_refresh_token);
        watch_string("webhook_url", info->webhook_url);
        watch_string("raw_json", info->raw_json);
        xoxe_install_free(inst);
        CHECK_WATCHED_ZEROED("xoxe_install_free");
    }
    memset(code, 0, sizeof code);
    memset(secret, 0, sizeof secret);
    memset(seeds, 0, sizeof seeds);
    memset(out, 0, sizeof out);
    xoxe_client_free(c);
}

/* ------------------------------------------------------------------ runner */

typedef struct {
    const char *name;
    void (*fn)(void);
} z_case;

static const z_case cases[] = {
    {"zeroing_config_token", test_config_token},
    {"zeroing_oauth_token", test_oauth_token},
    {"zeroing_api_response", test_api_response},
    {"zeroing_error", test_error},
    {"zeroing_install", test_install},
};

int main(void) {
    size_t i;
    int passed = 0, failed = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    t_log_start();
    /* The rotator hands out no library-owned token string (xoxe_rotator_get
     * writes into the caller's buffer), so result handles are all there is. */
    if (t_server_start() != 0) {
        printf("cannot start the fake Slack server\n0 passed, 1 failed\n");
        return 1;
    }
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        t_current = cases[i].name;
        t_failures = 0;
        t_ctl_reset();
        cases[i].fn();
        unwatch_all();
        if (t_failures == 0) {
            passed++;
            printf("ok   %s\n", cases[i].name);
        } else {
            failed++;
            printf("FAIL %s (%d failed checks)\n", cases[i].name, t_failures);
        }
    }
    t_server_stop();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
