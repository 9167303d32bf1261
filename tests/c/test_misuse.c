/* Caller mistakes, for every function: NULL pointers, invalid UTF-8, empty and
 * 1 MiB strings. Each gets its documented status, writes no out-parameter,
 * works with error_out NULL, and sends nothing. */
#include "harness.h"
#include "tests.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { F_ROTATE, F_EXCHANGE, F_REFRESH, F_AUTH, F_CALL, F_COUNT };
static const char *fn_names[] = {"rotate", "exchange", "refresh", "auth_test", "call"};
/* Number of string arguments each function takes (the call's: method, token). */
static const int nstr[] = {1, 3, 3, 1, 2};

/* Calls function `f` with the string arguments `s` and out-parameter `out`
 * (NULL = pass NULL), client `c`. */
static xoxe_status invoke(int f, const xoxe_client *c, const char *const *s, int null_out,
                          void **out, xoxe_error **err) {
    switch (f) {
    case F_ROTATE:
        return xoxe_tooling_tokens_rotate(c, s[0], 0, null_out ? NULL : (xoxe_config_token **)out, err);
    case F_EXCHANGE:
        return xoxe_oauth_v2_exchange(c, s[0], s[1], s[2], 0, null_out ? NULL : (xoxe_oauth_token **)out, err);
    case F_REFRESH:
        return xoxe_oauth_v2_refresh(c, s[0], s[1], s[2], 0, null_out ? NULL : (xoxe_oauth_token **)out, err);
    case F_AUTH:
        return xoxe_auth_test(c, s[0], 0, null_out ? NULL : (xoxe_auth_identity **)out, err);
    default:
        return xoxe_call(c, s[0], s[1], NULL, NULL, 0, 0, null_out ? NULL : (xoxe_api_response **)out, err);
    }
}

/* Runs one mistaken call twice (with and without error_out) and checks it. */
static void expect_usage(int f, const xoxe_client *c, const char *const *s, int null_out, xoxe_status want,
                         const char *what) {
    void *out = SENTINEL;
    xoxe_error *e = NULL;
    xoxe_status st = invoke(f, c, s, null_out, &out, &e);
    CHECK_MSG(st == want, "%s with %s: %s, expected %s (%s)", fn_names[f], what, xoxe_status_name(st),
              xoxe_status_name(want), e ? xoxe_error_get_info(e)->message : "no error");
    CHECK_MSG(out == SENTINEL, "%s with %s wrote its out-parameter", fn_names[f], what);
    CHECK_MSG(e != NULL, "%s with %s wrote no error", fn_names[f], what);
    if (e) {
        const xoxe_error_info *info = xoxe_error_get_info(e);
        CHECK_ERROR_INFO(info);
        CHECK_INT(info->status, want);
        CHECK_INT(info->cause, want);
        CHECK_INT(xoxe_status_family_of(info->status), XOXE_STATUS_FAMILY_USAGE);
        xoxe_error_free(e);
    }
    out = SENTINEL;
    st = invoke(f, c, s, null_out, &out, NULL);
    CHECK_MSG(st == want, "%s with %s and error_out NULL: %s", fn_names[f], what, xoxe_status_name(st));
    CHECK(out == SENTINEL);
}

void test_misuse_methods(void) {
    xoxe_client *c = t_client();
    t_config_pair cp = t_new_config(-1);
    t_app app = t_new_app(1);
    size_t mib = 1 << 20;
    char *big = malloc(mib + 1);
    char what[96];
    int f, i;
    t_stats s;
    if (big == NULL) return;
    memset(big, 'x', mib);
    memcpy(big, "xoxe-1-", 7);
    big[mib] = '\0';
    t_ctl_reset();
    for (f = 0; f < F_COUNT; f++) {
        /* Valid arguments for each function. */
        const char *good[3];
        const char *s2[3];
        switch (f) {
        case F_ROTATE: good[0] = cp.refresh_token; break;
        case F_EXCHANGE:
        case F_REFRESH:
            good[0] = app.client_id;
            good[1] = app.client_secret;
            good[2] = "xoxb-1-2-3";
            break;
        case F_AUTH: good[0] = cp.token; break;
        default:
            good[0] = "auth.test";
            good[1] = cp.token;
            break;
        }
        /* NULL client, NULL out. */
        expect_usage(f, NULL, good, 0, XOXE_STATUS_NULL_ARGUMENT, "NULL client");
        expect_usage(f, c, good, 1, XOXE_STATUS_NULL_ARGUMENT, "NULL out");
        for (i = 0; i < nstr[f]; i++) {
            int nullable = (f == F_CALL && i == 1); /* xoxe_call's token may be NULL */
            memcpy(s2, good, sizeof good);
            if (!nullable) {
                s2[i] = NULL;
                snprintf(what, sizeof what, "NULL string argument %d", i);
                expect_usage(f, c, s2, 0, XOXE_STATUS_NULL_ARGUMENT, what);
            }
            s2[i] = "xoxe-1-\xff\xfe";
            snprintf(what, sizeof what, "invalid UTF-8 in argument %d", i);
            expect_usage(f, c, s2, 0, XOXE_STATUS_INVALID_UTF8, what);
            s2[i] = "\xc3";
            snprintf(what, sizeof what, "truncated UTF-8 in argument %d", i);
            expect_usage(f, c, s2, 0, XOXE_STATUS_INVALID_UTF8, what);
            s2[i] = "";
            snprintf(what, sizeof what, "empty argument %d", i);
            expect_usage(f, c, s2, 0, XOXE_STATUS_INVALID_ARGUMENT, what);
            s2[i] = big;
            snprintf(what, sizeof what, "1 MiB argument %d", i);
            expect_usage(f, c, s2, 0, XOXE_STATUS_INVALID_ARGUMENT, what);
            /* Credentials go verbatim into headers or form fields: no spaces or
             * control characters (CR/LF would be header injection). */
            s2[i] = "xoxe-1-abc\r\nX-Injected: 1";
            snprintf(what, sizeof what, "CR/LF in argument %d", i);
            expect_usage(f, c, s2, 0, XOXE_STATUS_INVALID_ARGUMENT, what);
            s2[i] = "xoxe-1 abc";
            snprintf(what, sizeof what, "a space in argument %d", i);
            expect_usage(f, c, s2, 0, XOXE_STATUS_INVALID_ARGUMENT, what);
        }
    }
    /* Nothing above reached the server. */
    s = t_get_stats();
    CHECK_INT(s.rotate + s.exchange + s.access + s.auth_test + s.validate, 0);
    /* The caller's strings are untouched (copied, never retained or modified). */
    CHECK(big[mib] == '\0' && big[mib - 1] == 'x' && strncmp(big, "xoxe-1-", 7) == 0);
    free(big);
    /* The valid arguments still work with this client afterwards. */
    {
        xoxe_auth_identity *id = NULL;
        xoxe_error *e = NULL;
        xoxe_status st = xoxe_auth_test(c, cp.token, 0, &id, &e);
        CHECK_STATUS(st, XOXE_STATUS_OK, e);
        xoxe_auth_identity_free(id);
    }
    xoxe_client_free(c);
}

void test_misuse_options(void) {
    xoxe_client_options *o = (xoxe_client_options *)SENTINEL;
    xoxe_client *c = (xoxe_client *)SENTINEL;
    xoxe_error *e = NULL;
    xoxe_status st;
    st = xoxe_client_options_new(NULL, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
    CHECK_INT(xoxe_client_options_new(NULL, NULL), XOXE_STATUS_NULL_ARGUMENT);
    st = xoxe_client_options_set_base_url(NULL, "https://slack.com/api/", &e);
    EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
    st = xoxe_client_options_set_preset(NULL, XOXE_PRESET_SLACK, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
    st = xoxe_client_options_set_timeouts(NULL, 1, 1, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
    st = xoxe_client_options_set_ratelimit_retries(NULL, 1, 1, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
    st = xoxe_client_options_set_ca_bundle(NULL, "/etc/hosts", &e);
    EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
    st = xoxe_client_options_set_max_response_bytes(NULL, 1, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
    CHECK_INT(xoxe_client_options_set_base_url(NULL, NULL, NULL), XOXE_STATUS_NULL_ARGUMENT);
    CHECK_INT(xoxe_client_options_set_preset(NULL, 0, NULL), XOXE_STATUS_NULL_ARGUMENT);
    CHECK_INT(xoxe_client_options_set_timeouts(NULL, 0, 0, NULL), XOXE_STATUS_NULL_ARGUMENT);
    CHECK_INT(xoxe_client_options_set_ratelimit_retries(NULL, 0, 0, NULL), XOXE_STATUS_NULL_ARGUMENT);
    CHECK_INT(xoxe_client_options_set_ca_bundle(NULL, NULL, NULL), XOXE_STATUS_NULL_ARGUMENT);
    CHECK_INT(xoxe_client_options_set_max_response_bytes(NULL, 0, NULL), XOXE_STATUS_NULL_ARGUMENT);
    st = xoxe_client_new(NULL, NULL, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
    CHECK_INT(xoxe_client_new(NULL, NULL, NULL), XOXE_STATUS_NULL_ARGUMENT);
    CHECK(o == (xoxe_client_options *)SENTINEL);
    CHECK(c == (xoxe_client *)SENTINEL);
    /* Success never touches error_out. */
    {
        xoxe_error *pre = (xoxe_error *)SENTINEL;
        o = NULL;
        st = xoxe_client_options_new(&o, &pre);
        CHECK_INT(st, XOXE_STATUS_OK);
        CHECK(pre == (xoxe_error *)SENTINEL);
        st = xoxe_client_options_set_timeouts(o, 100, 100, &pre);
        CHECK_INT(st, XOXE_STATUS_OK);
        CHECK(pre == (xoxe_error *)SENTINEL);
        c = NULL;
        st = xoxe_client_new(o, &c, &pre);
        CHECK_INT(st, XOXE_STATUS_OK);
        CHECK(pre == (xoxe_error *)SENTINEL);
        xoxe_client_free(c);
        xoxe_client_options_free(o);
    }
    /* Getters and frees take NULL. */
    CHECK(xoxe_error_get_info(NULL) == NULL);
    xoxe_error_free(NULL);
    xoxe_client_options_free(NULL);
    xoxe_client_free(NULL);
    xoxe_config_token_free(NULL);
    xoxe_oauth_token_free(NULL);
    xoxe_auth_identity_free(NULL);
    xoxe_api_response_free(NULL);
}
