/* xoxe_call: any Web API method, raw JSON back. */
#include "harness.h"
#include "tests.h"

#include <stdlib.h>
#include <string.h>

static const char *names1[] = {"manifest"};

void test_call_manifest_validate(void) {
    xoxe_client *c = t_client();
    t_config_pair cp = t_new_config(-1);
    xoxe_api_response *r = (xoxe_api_response *)SENTINEL;
    xoxe_error *e = NULL;
    xoxe_status st;
    const char *valid[] = {"{\"display_information\":{\"name\":\"xoxe test app\"}}"};
    const char *odd[] = {"{\"display_information\":{\"name\":\"a&b=c+d %20 \xc3\xa9\xe2\x80\xa6\"}}"};
    const char *invalid[] = {"{\"display_information\":{}}"};
    const char *notjson[] = {"this is not json"};
    st = xoxe_call(c, "apps.manifest.validate", cp.token, names1, valid, 1, 0, &r, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    CHECK(e == NULL);
    if (st == XOXE_STATUS_OK) {
        const xoxe_api_response_info *info = xoxe_api_response_get_info(r);
        CHECK(r != (xoxe_api_response *)SENTINEL);
        CHECK(info != NULL && info == xoxe_api_response_get_info(r));
        if (info) {
            CHECK(info->json != NULL);
            CHECK_INT(info->json_len, strlen(info->json));
            CHECK_STR(info->json, "{\"ok\":true}");
            CHECK_WARNINGS(info->warnings, info->warnings_len);
        }
        xoxe_api_response_free(r);
    }
    /* Form encoding survives &, =, +, % and non-ASCII. */
    r = NULL;
    st = xoxe_call(c, "apps.manifest.validate", cp.token, names1, odd, 1, 0, &r, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    xoxe_api_response_free(r);
    /* invalid_manifest carries the body with `errors`. */
    r = (xoxe_api_response *)SENTINEL;
    st = xoxe_call(c, "apps.manifest.validate", cp.token, names1, invalid, 1, 0, &r, &e);
    CHECK(r == (xoxe_api_response *)SENTINEL);
    CHECK_STATUS(st, XOXE_STATUS_INVALID_MANIFEST, e);
    if (e) {
        const xoxe_error_info *info = xoxe_error_get_info(e);
        CHECK_ERROR_INFO(info);
        CHECK_STR(info->slack_error, "invalid_manifest");
        CHECK_INT(info->http_status, 200);
        CHECK(info->response_json != NULL && strstr(info->response_json, "\"errors\"") != NULL &&
              strstr(info->response_json, "/display_information/name") != NULL);
        xoxe_error_free(e);
        e = NULL;
    }
    st = xoxe_call(c, "apps.manifest.validate", cp.token, names1, notjson, 1, 0, &r, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_MANIFEST, XOXE_STATUS_INVALID_MANIFEST);
    /* NULL token is allowed: the call goes out unauthenticated. */
    st = xoxe_call(c, "apps.manifest.validate", NULL, names1, valid, 1, 0, &r, &e);
    CHECK_STATUS(st, XOXE_STATUS_NOT_AUTHED, e);
    if (e) {
        CHECK_STR(xoxe_error_get_info(e)->slack_error, "not_authed");
        xoxe_error_free(e);
        e = NULL;
    }
    /* NULL arrays with length 0. */
    st = xoxe_call(c, "apps.manifest.validate", cp.token, NULL, NULL, 0, 0, &r, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_ARGUMENTS, XOXE_STATUS_INVALID_ARGUMENTS);
    CHECK(r == (xoxe_api_response *)SENTINEL);
    /* A bot token is not a config token. */
    {
        t_app app = t_new_app(1);
        char legacy[T_SECRET_MAX];
        t_new_legacy(app.client_id, "bot", legacy, sizeof legacy);
        st = xoxe_call(c, "apps.manifest.validate", legacy, names1, valid, 1, 0, &r, &e);
        EXPECT_ERR(st, e, XOXE_STATUS_NOT_ALLOWED_TOKEN_TYPE, XOXE_STATUS_NOT_ALLOWED_TOKEN_TYPE);
    }
    /* auth.test through xoxe_call, no params. */
    r = NULL;
    st = xoxe_call(c, "auth.test", cp.token, NULL, NULL, 0, 30000, &r, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    if (r) {
        const xoxe_api_response_info *info = xoxe_api_response_get_info(r);
        CHECK(strstr(info->json, cp.user_id) != NULL);
        CHECK_INT(info->json_len, strlen(info->json));
        xoxe_api_response_free(r);
    }
    xoxe_api_response_free(NULL);
    CHECK(xoxe_api_response_get_info(NULL) == NULL);
    xoxe_client_free(c);
}

void test_call_methods(void) {
    xoxe_client *c = t_client();
    t_config_pair cp = t_new_config(-1);
    xoxe_api_response *r = (xoxe_api_response *)SENTINEL;
    xoxe_error *e = NULL;
    xoxe_status st;
    t_stats s;
    size_t i;
    static const char *bad_methods[] = {"", "../x", "a/b", "auth.test?x=1", ".hidden", "a b",
                                        "auth.test#f", "\xc3\xa9", "auth%2etest", "..", "/auth.test"};
    t_ctl_reset();
    for (i = 0; i < sizeof bad_methods / sizeof bad_methods[0]; i++) {
        st = xoxe_call(c, bad_methods[i], cp.token, NULL, NULL, 0, 0, &r, &e);
        CHECK_MSG(st == XOXE_STATUS_INVALID_ARGUMENT, "method #%lu: %s", (unsigned long)i, xoxe_status_name(st));
        EXPECT_ERR(st, e, XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT);
    }
    s = t_get_stats();
    CHECK_INT(s.auth_test + s.validate + s.unknown, 0); /* nothing was sent */
    /* An unknown method: Slack's 404 answer. */
    st = xoxe_call(c, "no.such.method", cp.token, NULL, NULL, 0, 0, &r, &e);
    CHECK_STATUS(st, XOXE_STATUS_UNKNOWN_METHOD, e);
    if (e) {
        CHECK_STR(xoxe_error_get_info(e)->slack_error, "unknown_method");
        CHECK_INT(xoxe_error_get_info(e)->http_status, 404);
        CHECK_ERROR_INFO(xoxe_error_get_info(e));
        xoxe_error_free(e);
        e = NULL;
    }
    s = t_get_stats();
    CHECK_INT(s.unknown, 1);
    CHECK(r == (xoxe_api_response *)SENTINEL);
    /* An invalid token as Bearer. */
    st = xoxe_call(c, "auth.test", "xoxp-nope", NULL, NULL, 0, 0, &r, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_AUTH, XOXE_STATUS_INVALID_AUTH);
    /* A token-spending method through xoxe_call keeps the never-retry rule. */
    {
        const char *n[] = {"refresh_token"};
        const char *v[] = {cp.refresh_token};
        t_ctl_reset();
        t_fault("{\"method\":\"tooling.tokens.rotate\",\"kind\":\"drop_after_apply\"}");
        st = xoxe_call(c, "tooling.tokens.rotate", NULL, n, v, 1, 0, &r, &e);
        EXPECT_ERR(st, e, XOXE_STATUS_OUTCOME_UNKNOWN, XOXE_STATUS_NETWORK);
        s = t_get_stats();
        CHECK_INT(s.rotate, 1);
        CHECK_INT(s.rotations, 1);
        st = xoxe_call(c, "tooling.tokens.rotate", NULL, n, v, 1, 0, &r, &e);
        CHECK_STATUS(st, XOXE_STATUS_INVALID_REFRESH_TOKEN, e);
        if (e) {
            CHECK_NO_SECRET(xoxe_error_get_info(e)->message, cp.refresh_token);
            xoxe_error_free(e);
            e = NULL;
        }
    }
    /* A successful rotation through xoxe_call: the JSON holds the new pair. */
    {
        t_config_pair p2 = t_new_config(-1);
        const char *n[] = {"refresh_token"};
        const char *v[] = {p2.refresh_token};
        r = NULL;
        st = xoxe_call(c, "tooling.tokens.rotate", NULL, n, v, 1, 0, &r, &e);
        CHECK_STATUS(st, XOXE_STATUS_OK, e);
        if (r) {
            const xoxe_api_response_info *info = xoxe_api_response_get_info(r);
            CHECK(strstr(info->json, "\"refresh_token\":\"xoxe-") != NULL);
            CHECK(strstr(info->json, p2.refresh_token) == NULL);
            CHECK_INT(info->json_len, strlen(info->json));
            xoxe_api_response_free(r);
        }
    }
    /* Faults on a non-spending method are plain transport errors. */
    t_fault("{\"method\":\"apps.manifest.validate\",\"kind\":\"http_status\",\"status\":503}");
    st = xoxe_call(c, "apps.manifest.validate", cp.token, NULL, NULL, 0, 0, &r, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_HTTP_STATUS, XOXE_STATUS_HTTP_STATUS);
    xoxe_client_free(c);
}

void test_call_params(void) {
    xoxe_client *c = t_client();
    t_config_pair cp = t_new_config(-1);
    xoxe_api_response *r = (xoxe_api_response *)SENTINEL;
    xoxe_error *e = NULL;
    xoxe_status st;
    t_stats s;
    const char *valid = "{\"display_information\":{\"name\":\"x\"}}";
    const char *n2[] = {"manifest", NULL};
    const char *v2[] = {valid, "y"};
    const char *n2b[] = {"manifest", "extra"};
    const char *v2b[] = {valid, NULL};
    const char *nempty[] = {""};
    const char *v1[] = {valid};
    const char *nbad[] = {"man\xff"};
    const char *vbad[] = {"\xc3\x28"};
    t_ctl_reset();
    st = xoxe_call(c, "apps.manifest.validate", cp.token, n2, v2, 2, 0, &r, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
    st = xoxe_call(c, "apps.manifest.validate", cp.token, n2b, v2b, 2, 0, &r, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
    st = xoxe_call(c, "apps.manifest.validate", cp.token, NULL, v1, 1, 0, &r, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
    st = xoxe_call(c, "apps.manifest.validate", cp.token, names1, NULL, 1, 0, &r, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
    st = xoxe_call(c, "apps.manifest.validate", cp.token, nempty, v1, 1, 0, &r, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT);
    st = xoxe_call(c, "apps.manifest.validate", cp.token, nbad, v1, 1, 0, &r, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_UTF8, XOXE_STATUS_INVALID_UTF8);
    st = xoxe_call(c, "apps.manifest.validate", cp.token, names1, vbad, 1, 0, &r, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_UTF8, XOXE_STATUS_INVALID_UTF8);
    /* Too many pairs. */
    {
        size_t i, n = 10001;
        const char **names = malloc(n * sizeof *names), **values = malloc(n * sizeof *values);
        if (names && values) {
            for (i = 0; i < n; i++) {
                names[i] = "a";
                values[i] = "b";
            }
            st = xoxe_call(c, "apps.manifest.validate", cp.token, names, values, n, 0, &r, &e);
            EXPECT_ERR(st, e, XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT);
        }
        free(names);
        free(values);
    }
    /* A body over the 4 MiB request limit is refused before sending. */
    {
        size_t n = (4u << 20) + 16;
        char *big = malloc(n + 1);
        if (big) {
            const char *vb[1];
            memset(big, 'x', n);
            big[n] = '\0';
            vb[0] = big;
            st = xoxe_call(c, "apps.manifest.validate", cp.token, names1, vb, 1, 0, &r, &e);
            EXPECT_ERR(st, e, XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT);
            free(big);
        }
    }
    s = t_get_stats();
    CHECK_INT(s.validate, 0); /* none of the above was sent */
    /* A large parameter value (under both the client's 4 MiB and the fake
     * server's 1 MiB request limits) goes out and reaches the server. */
    {
        size_t n = 900 * 1024;
        char *big = malloc(n + 1);
        if (big) {
            const char *vb[1];
            memset(big, 'a', n);
            big[0] = '[';
            big[n - 1] = ']';
            big[n] = '\0';
            vb[0] = big;
            st = xoxe_call(c, "apps.manifest.validate", cp.token, names1, vb, 1, 0, &r, &e);
            EXPECT_ERR(st, e, XOXE_STATUS_INVALID_MANIFEST, XOXE_STATUS_INVALID_MANIFEST);
            free(big);
        }
    }
    CHECK(r == (xoxe_api_response *)SENTINEL);
    xoxe_client_free(c);
}
