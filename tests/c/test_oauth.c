/* oauth.v2.exchange, oauth.v2.access (refresh grant) and auth.test. */
#include "harness.h"
#include "tests.h"

#include <stdio.h>
#include <string.h>

static void check_oauth_info(const xoxe_oauth_token_info *info, const t_app *app, const char *kind) {
    int bot = strcmp(kind, "bot") == 0;
    CHECK(info != NULL);
    if (info == NULL) return;
    CHECK(info->access_token != NULL &&
          strncmp(info->access_token, bot ? "xoxe.xoxb-" : "xoxe.xoxp-", 10) == 0);
    CHECK(info->refresh_token != NULL && strncmp(info->refresh_token, "xoxe-", 5) == 0);
    CHECK(info->expires_in > 0);
    CHECK_STR(info->token_type, kind);
    CHECK(info->scope != NULL && info->scope[0] != '\0');
    CHECK_STR(info->app_id, app->app_id);
    if (bot) {
        CHECK(info->bot_user_id != NULL && info->bot_user_id[0] == 'U');
        CHECK(info->user_id == NULL);
    } else {
        CHECK(info->user_id != NULL && info->user_id[0] == 'U');
        CHECK(info->bot_user_id == NULL);
    }
    CHECK(info->team_id != NULL && info->team_id[0] == 'T');
    CHECK(info->team_name != NULL);
    CHECK(info->enterprise_id == NULL);
    CHECK(info->enterprise_name == NULL);
    CHECK(!info->is_enterprise_install);
    CHECK_WARNINGS(info->warnings, info->warnings_len);
}

static void exchange_kind(xoxe_client *c, const t_app *app, const char *kind) {
    char legacy[T_SECRET_MAX];
    xoxe_oauth_token *ot = (xoxe_oauth_token *)SENTINEL;
    xoxe_error *e = NULL;
    xoxe_status st;
    t_new_legacy(app->client_id, kind, legacy, sizeof legacy);
    st = xoxe_oauth_v2_exchange(c, app->client_id, app->client_secret, legacy, 0, &ot, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    CHECK(e == NULL);
    if (st == XOXE_STATUS_OK) {
        const xoxe_oauth_token_info *info = xoxe_oauth_token_get_info(ot);
        check_oauth_info(info, app, kind);
        /* The new access token authenticates. */
        if (info) {
            xoxe_auth_identity *id = NULL;
            st = xoxe_auth_test(c, info->access_token, 0, &id, &e);
            CHECK_STATUS(st, XOXE_STATUS_OK, e);
            if (id) {
                const xoxe_auth_identity_info *ai = xoxe_auth_identity_get_info(id);
                if (strcmp(kind, "bot") == 0) {
                    CHECK(ai->bot_id != NULL && ai->bot_id[0] == 'B');
                    CHECK_STR(ai->user_id, info->bot_user_id);
                } else {
                    CHECK(ai->bot_id == NULL);
                    CHECK_STR(ai->user_id, info->user_id);
                }
                CHECK_STR(ai->team_id, info->team_id);
                CHECK(ai->url != NULL && ai->team != NULL && ai->user != NULL);
                CHECK(!ai->is_enterprise_install);
                CHECK(ai->enterprise_id == NULL);
                CHECK_WARNINGS(ai->warnings, ai->warnings_len);
            }
            xoxe_auth_identity_free(id);
        }
        xoxe_oauth_token_free(ot);
    }
    /* Each legacy token exchanges once. */
    ot = (xoxe_oauth_token *)SENTINEL;
    st = xoxe_oauth_v2_exchange(c, app->client_id, app->client_secret, legacy, 0, &ot, &e);
    CHECK(ot == (xoxe_oauth_token *)SENTINEL);
    CHECK_STATUS(st, XOXE_STATUS_TOKEN_ALREADY_EXCHANGED, e);
    if (e) {
        CHECK_STR(xoxe_error_get_info(e)->slack_error, "token_already_exchanged");
        CHECK_NO_SECRET(xoxe_error_get_info(e)->message, legacy);
        CHECK_NO_SECRET(xoxe_error_get_info(e)->message, app->client_secret);
        CHECK_ERROR_INFO(xoxe_error_get_info(e));
        xoxe_error_free(e);
    }
}

void test_exchange(void) {
    xoxe_client *c = t_client();
    t_app app = t_new_app(1), other = t_new_app(1), norot = t_new_app(0);
    char legacy[T_SECRET_MAX], norot_legacy[T_SECRET_MAX];
    xoxe_oauth_token *ot = (xoxe_oauth_token *)SENTINEL;
    xoxe_error *e = NULL;
    xoxe_status st;
    t_stats s;
    exchange_kind(c, &app, "bot");
    exchange_kind(c, &app, "user");
    t_new_legacy(app.client_id, "bot", legacy, sizeof legacy);
    st = xoxe_oauth_v2_exchange(c, "0000000000.0000000000000", app.client_secret, legacy, 0, &ot, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_CLIENT_ID, XOXE_STATUS_INVALID_CLIENT_ID);
    st = xoxe_oauth_v2_exchange(c, app.client_id, "00000000000000000000000000000000", legacy, 0, &ot, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_BAD_CLIENT_SECRET, XOXE_STATUS_BAD_CLIENT_SECRET);
    st = xoxe_oauth_v2_exchange(c, app.client_id, app.client_secret, "xoxb-0-0-notatoken", 0, &ot, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_TOKEN, XOXE_STATUS_INVALID_TOKEN);
    /* Another app's legacy token. */
    st = xoxe_oauth_v2_exchange(c, other.client_id, other.client_secret, legacy, 0, &ot, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_TOKEN, XOXE_STATUS_INVALID_TOKEN);
    /* An app without token rotation. */
    t_new_legacy(norot.client_id, "bot", norot_legacy, sizeof norot_legacy);
    st = xoxe_oauth_v2_exchange(c, norot.client_id, norot.client_secret, norot_legacy, 0, &ot, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_TOKEN_ROTATION_NOT_ENABLED, XOXE_STATUS_TOKEN_ROTATION_NOT_ENABLED);
    CHECK(ot == (xoxe_oauth_token *)SENTINEL);
    /* The refused attempts spent nothing: the legacy token still exchanges. */
    ot = NULL;
    st = xoxe_oauth_v2_exchange(c, app.client_id, app.client_secret, legacy, 0, &ot, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    xoxe_oauth_token_free(ot);
    s = t_get_stats();
    CHECK_INT(s.exchanges, 3);
    xoxe_oauth_token_free(NULL);
    CHECK(xoxe_oauth_token_get_info(NULL) == NULL);
    xoxe_client_free(c);
}

void test_exchange_faults(void) {
    xoxe_client *c = t_client();
    t_app app = t_new_app(1);
    char legacy[T_SECRET_MAX];
    xoxe_oauth_token *ot = (xoxe_oauth_token *)SENTINEL;
    xoxe_error *e = NULL;
    xoxe_status st;
    t_stats s;
    /* Applied but the answer lost: OUTCOME_UNKNOWN, and the token is indeed spent. */
    t_new_legacy(app.client_id, "user", legacy, sizeof legacy);
    t_ctl_reset();
    t_fault("{\"method\":\"oauth.v2.exchange\",\"kind\":\"drop_after_apply\"}");
    st = xoxe_oauth_v2_exchange(c, app.client_id, app.client_secret, legacy, 0, &ot, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_OUTCOME_UNKNOWN, XOXE_STATUS_NETWORK);
    s = t_get_stats();
    CHECK_INT(s.exchange, 1);
    CHECK_INT(s.exchanges, 1);
    st = xoxe_oauth_v2_exchange(c, app.client_id, app.client_secret, legacy, 0, &ot, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_TOKEN_ALREADY_EXCHANGED, XOXE_STATUS_TOKEN_ALREADY_EXCHANGED);
    /* internal_error on a token-spending call: may have applied. */
    t_new_legacy(app.client_id, "bot", legacy, sizeof legacy);
    t_fault("{\"method\":\"oauth.v2.exchange\",\"kind\":\"slack_error\",\"error\":\"internal_error\"}");
    st = xoxe_oauth_v2_exchange(c, app.client_id, app.client_secret, legacy, 0, &ot, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_OUTCOME_UNKNOWN, XOXE_STATUS_INTERNAL_ERROR);
    /* Wrong types in an ok answer. */
    t_fault("{\"method\":\"oauth.v2.exchange\",\"kind\":\"wrong_shape\",\"apply\":true}");
    st = xoxe_oauth_v2_exchange(c, app.client_id, app.client_secret, legacy, 0, &ot, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_OUTCOME_UNKNOWN, XOXE_STATUS_BAD_RESPONSE);
    CHECK(ot == (xoxe_oauth_token *)SENTINEL);
    xoxe_client_free(c);
}

/* A fresh exchanged pair for `app`: copies the refresh token out. */
static int exchanged_refresh(xoxe_client *c, const t_app *app, char *refresh, size_t n) {
    char legacy[T_SECRET_MAX];
    xoxe_oauth_token *ot = NULL;
    xoxe_error *e = NULL;
    xoxe_status st;
    t_new_legacy(app->client_id, "bot", legacy, sizeof legacy);
    st = xoxe_oauth_v2_exchange(c, app->client_id, app->client_secret, legacy, 0, &ot, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    xoxe_error_free(e);
    if (st != XOXE_STATUS_OK) return -1;
    snprintf(refresh, n, "%s", xoxe_oauth_token_get_info(ot)->refresh_token);
    xoxe_oauth_token_free(ot);
    return 0;
}

void test_refresh(void) {
    xoxe_client *c = t_client();
    t_app app = t_new_app(1), other = t_new_app(1);
    char rt[T_SECRET_MAX], first[T_SECRET_MAX];
    xoxe_oauth_token *ot;
    xoxe_error *e = NULL;
    xoxe_status st;
    int i;
    t_stats s;
    if (exchanged_refresh(c, &app, rt, sizeof rt) != 0) {
        xoxe_client_free(c);
        return;
    }
    strcpy(first, rt);
    t_ctl_reset();
    /* A chain of three refreshes, each spending the previous refresh token. */
    for (i = 0; i < 3; i++) {
        ot = NULL;
        st = xoxe_oauth_v2_refresh(c, app.client_id, app.client_secret, rt, 0, &ot, &e);
        CHECK_STATUS(st, XOXE_STATUS_OK, e);
        if (st != XOXE_STATUS_OK) break;
        {
            const xoxe_oauth_token_info *info = xoxe_oauth_token_get_info(ot);
            xoxe_auth_identity *id = NULL;
            check_oauth_info(info, &app, "bot");
            CHECK(strcmp(info->refresh_token, rt) != 0);
            st = xoxe_auth_test(c, info->access_token, 0, &id, &e);
            CHECK_STATUS(st, XOXE_STATUS_OK, e);
            xoxe_auth_identity_free(id);
            snprintf(rt, sizeof rt, "%s", info->refresh_token);
        }
        xoxe_oauth_token_free(ot);
    }
    s = t_get_stats();
    CHECK_INT(s.refreshes, 3);
    CHECK_INT(s.access, 3);
    /* Reusing a spent refresh token. */
    ot = (xoxe_oauth_token *)SENTINEL;
    st = xoxe_oauth_v2_refresh(c, app.client_id, app.client_secret, first, 0, &ot, &e);
    CHECK(ot == (xoxe_oauth_token *)SENTINEL);
    CHECK_STATUS(st, XOXE_STATUS_INVALID_REFRESH_TOKEN, e);
    if (e) {
        CHECK_STR(xoxe_error_get_info(e)->slack_error, "invalid_refresh_token");
        CHECK_NO_SECRET(xoxe_error_get_info(e)->message, first);
        xoxe_error_free(e);
        e = NULL;
    }
    /* Wrong secret, unknown client, another app's client: refused, nothing spent. */
    st = xoxe_oauth_v2_refresh(c, app.client_id, "ffffffffffffffffffffffffffffffff", rt, 0, &ot, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_BAD_CLIENT_SECRET, XOXE_STATUS_BAD_CLIENT_SECRET);
    st = xoxe_oauth_v2_refresh(c, "0000000000.0000000000000", app.client_secret, rt, 0, &ot, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_CLIENT_ID, XOXE_STATUS_INVALID_CLIENT_ID);
    st = xoxe_oauth_v2_refresh(c, other.client_id, other.client_secret, rt, 0, &ot, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_REFRESH_TOKEN, XOXE_STATUS_INVALID_REFRESH_TOKEN);
    st = xoxe_oauth_v2_refresh(c, app.client_id, app.client_secret, "xoxe-1-unknown", 0, &ot, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_REFRESH_TOKEN, XOXE_STATUS_INVALID_REFRESH_TOKEN);
    CHECK(ot == (xoxe_oauth_token *)SENTINEL);
    ot = NULL;
    st = xoxe_oauth_v2_refresh(c, app.client_id, app.client_secret, rt, 0, &ot, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    xoxe_error_free(e);
    e = NULL;
    xoxe_oauth_token_free(ot);
    s = t_get_stats();
    CHECK_INT(s.refreshes, 4);
    CHECK_INT(s.refresh_token_reuses, 1);

    /* Faults: internal_error applied -> OUTCOME_UNKNOWN, and the token is spent. */
    if (exchanged_refresh(c, &app, rt, sizeof rt) == 0) {
        t_fault("{\"method\":\"oauth.v2.access\",\"kind\":\"slack_error\",\"error\":\"internal_error\",\"apply\":true}");
        ot = (xoxe_oauth_token *)SENTINEL;
        st = xoxe_oauth_v2_refresh(c, app.client_id, app.client_secret, rt, 0, &ot, &e);
        EXPECT_ERR(st, e, XOXE_STATUS_OUTCOME_UNKNOWN, XOXE_STATUS_INTERNAL_ERROR);
        st = xoxe_oauth_v2_refresh(c, app.client_id, app.client_secret, rt, 0, &ot, &e);
        EXPECT_ERR(st, e, XOXE_STATUS_INVALID_REFRESH_TOKEN, XOXE_STATUS_INVALID_REFRESH_TOKEN);
        CHECK(ot == (xoxe_oauth_token *)SENTINEL);
    }
    /* HTTP 502 on a refresh: OUTCOME_UNKNOWN with cause HTTP_STATUS. */
    if (exchanged_refresh(c, &app, rt, sizeof rt) == 0) {
        t_fault("{\"method\":\"oauth.v2.access\",\"kind\":\"http_status\",\"status\":502}");
        st = xoxe_oauth_v2_refresh(c, app.client_id, app.client_secret, rt, 0, &ot, &e);
        EXPECT_ERR(st, e, XOXE_STATUS_OUTCOME_UNKNOWN, XOXE_STATUS_HTTP_STATUS);
        /* Not applied: still refreshable. */
        ot = NULL;
        st = xoxe_oauth_v2_refresh(c, app.client_id, app.client_secret, rt, 0, &ot, &e);
        CHECK_STATUS(st, XOXE_STATUS_OK, e);
        xoxe_error_free(e);
        xoxe_oauth_token_free(ot);
    }
    xoxe_client_free(c);
}

void test_auth_test(void) {
    xoxe_client *c = t_client();
    t_config_pair cp = t_new_config(-1), expired = t_new_config(0);
    t_app app = t_new_app(1);
    char legacy[T_SECRET_MAX];
    xoxe_auth_identity *id = (xoxe_auth_identity *)SENTINEL;
    xoxe_config_token *tok = NULL;
    xoxe_error *e = NULL;
    xoxe_status st;
    t_stats s;
    /* A freshly rotated config token. */
    st = xoxe_tooling_tokens_rotate(c, cp.refresh_token, 0, &tok, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    if (st == XOXE_STATUS_OK) {
        st = xoxe_auth_test(c, xoxe_config_token_get_info(tok)->token, 0, &id, &e);
        CHECK_STATUS(st, XOXE_STATUS_OK, e);
        if (st == XOXE_STATUS_OK) {
            const xoxe_auth_identity_info *info = xoxe_auth_identity_get_info(id);
            CHECK(info == xoxe_auth_identity_get_info(id));
            CHECK_STR(info->team_id, cp.team_id);
            CHECK_STR(info->user_id, cp.user_id);
            CHECK(info->url != NULL && strncmp(info->url, "https://", 8) == 0);
            CHECK(info->team != NULL && info->team[0] != '\0');
            CHECK(info->user != NULL && info->user[0] != '\0');
            CHECK(info->bot_id == NULL);
            CHECK_WARNINGS(info->warnings, info->warnings_len);
            xoxe_auth_identity_free(id);
        }
        xoxe_config_token_free(tok);
    }
    /* A legacy bot token has a bot id. */
    t_new_legacy(app.client_id, "bot", legacy, sizeof legacy);
    id = NULL;
    st = xoxe_auth_test(c, legacy, 0, &id, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    if (id) CHECK(xoxe_auth_identity_get_info(id)->bot_id != NULL);
    xoxe_auth_identity_free(id);
    /* An expired token (ttl 0: expired on issue). */
    id = (xoxe_auth_identity *)SENTINEL;
    st = xoxe_auth_test(c, expired.token, 0, &id, &e);
    CHECK_STATUS(st, XOXE_STATUS_TOKEN_EXPIRED, e);
    if (e) {
        CHECK_STR(xoxe_error_get_info(e)->slack_error, "token_expired");
        CHECK_NO_SECRET(xoxe_error_get_info(e)->message, expired.token);
        CHECK_NO_SECRET(xoxe_error_get_info(e)->response_json, expired.token);
        CHECK_ERROR_INFO(xoxe_error_get_info(e));
        xoxe_error_free(e);
        e = NULL;
    }
    /* Garbage. */
    st = xoxe_auth_test(c, "xoxp-garbage", 0, &id, &e);
    CHECK_STATUS(st, XOXE_STATUS_INVALID_AUTH, e);
    if (e) {
        CHECK_STR(xoxe_error_get_info(e)->slack_error, "invalid_auth");
        xoxe_error_free(e);
        e = NULL;
    }
    CHECK(id == (xoxe_auth_identity *)SENTINEL);
    /* auth.test spends nothing: transport and Slack failures are never OUTCOME_UNKNOWN. */
    t_fault("{\"method\":\"auth.test\",\"kind\":\"http_status\",\"status\":502}");
    st = xoxe_auth_test(c, cp.token, 0, &id, &e);
    CHECK_STATUS(st, XOXE_STATUS_HTTP_STATUS, e);
    if (e) {
        CHECK_INT(xoxe_error_get_info(e)->http_status, 502);
        CHECK(xoxe_error_get_info(e)->slack_error == NULL);
        CHECK_ERROR_INFO(xoxe_error_get_info(e));
        xoxe_error_free(e);
        e = NULL;
    }
    t_fault("{\"method\":\"auth.test\",\"kind\":\"slack_error\",\"error\":\"internal_error\"}");
    st = xoxe_auth_test(c, cp.token, 0, &id, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INTERNAL_ERROR, XOXE_STATUS_INTERNAL_ERROR);
    t_fault("{\"method\":\"auth.test\",\"kind\":\"truncated_json\"}");
    st = xoxe_auth_test(c, cp.token, 0, &id, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_BAD_RESPONSE, XOXE_STATUS_BAD_RESPONSE);
    t_fault("{\"method\":\"auth.test\",\"kind\":\"malformed_json\"}");
    st = xoxe_auth_test(c, cp.token, 0, &id, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_BAD_RESPONSE, XOXE_STATUS_BAD_RESPONSE);
    t_fault("{\"method\":\"auth.test\",\"kind\":\"empty_body\"}");
    st = xoxe_auth_test(c, cp.token, 0, &id, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_BAD_RESPONSE, XOXE_STATUS_BAD_RESPONSE);
    t_fault("{\"method\":\"auth.test\",\"kind\":\"drop_before_apply\"}");
    st = xoxe_auth_test(c, cp.token, 0, &id, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_NETWORK, XOXE_STATUS_NETWORK);
    t_fault("{\"method\":\"auth.test\",\"kind\":\"truncated_body\"}");
    st = xoxe_auth_test(c, cp.token, 0, &id, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_NETWORK, XOXE_STATUS_NETWORK);
    CHECK(id == (xoxe_auth_identity *)SENTINEL);
    /* Rate limited with retries (default 2): waits and succeeds. */
    t_ctl_reset();
    t_fault("{\"method\":\"auth.test\",\"kind\":\"ratelimited\",\"retry_after\":1}");
    id = NULL;
    st = xoxe_auth_test(c, cp.token, 0, &id, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    xoxe_auth_identity_free(id);
    s = t_get_stats();
    CHECK_INT(s.auth_test, 2);
    xoxe_auth_identity_free(NULL);
    CHECK(xoxe_auth_identity_get_info(NULL) == NULL);
    xoxe_error_free(e);
    xoxe_client_free(c);
}
