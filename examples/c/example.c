/*
 * xoxe C example: rotate a config token twice, validate a manifest, exchange a
 * legacy token, refresh it, and prove the result with auth.test.
 *
 * Environment:
 *   XOXE_CONFIG_REFRESH_TOKEN  config refresh token (xoxe-1-...)       required
 *   XOXE_CLIENT_ID, XOXE_CLIENT_SECRET, XOXE_LEGACY_TOKEN          optional
 *   XOXE_BASE_URL              e.g. a proxy; unset means https://slack.com/api/
 *
 * Against real Slack, persist every new pair before using it: the refresh token
 * you send is spent. This example only prints them, redacted.
 */
#include <stdio.h>
#include <stdlib.h>

#include "xoxe.h"

/* Prints an error's status, Slack code and message, frees it, and returns 1. */
static int fail(const char *what, xoxe_status status, xoxe_error *err) {
    const xoxe_error_info *info = xoxe_error_get_info(err);
    fprintf(stderr, "%s failed: %s", what, xoxe_status_name(status));
    if (info != NULL) {
        if (info->status == XOXE_STATUS_OUTCOME_UNKNOWN)
            fprintf(stderr, " (cause: %s)", xoxe_status_name(info->cause));
        fprintf(stderr, ": %s", info->message);
    }
    fputc('\n', stderr);
    xoxe_error_free(err);
    return 1;
}

/* The printable stand-in for a token (never print the token itself). */
static const char *redacted(const char *token, char *buf, size_t len) {
    xoxe_redact(token, buf, len);
    return buf;
}

static int rotate_config_token(const xoxe_client *client, const char *refresh_token) {
    char a[64], b[64];
    xoxe_config_token *first = NULL, *second = NULL;
    xoxe_api_response *validation = NULL;
    xoxe_error *err = NULL;
    xoxe_status st = xoxe_tooling_tokens_rotate(client, refresh_token, 0, &first, &err);
    if (st != XOXE_STATUS_OK) return fail("tooling.tokens.rotate", st, err);
    const xoxe_config_token_info *t1 = xoxe_config_token_get_info(first);
    printf("rotated config token: %s (refresh %s), team %s, user %s, valid %lld s\n",
           redacted(t1->token, a, sizeof a), redacted(t1->refresh_token, b, sizeof b),
           t1->team_id, t1->user_id, (long long)(t1->exp - t1->iat));

    /* The second rotation spends the refresh token the first one returned. */
    st = xoxe_tooling_tokens_rotate(client, t1->refresh_token, 0, &second, &err);
    if (st != XOXE_STATUS_OK) {
        xoxe_config_token_free(first);
        return fail("second tooling.tokens.rotate", st, err);
    }
    const xoxe_config_token_info *t2 = xoxe_config_token_get_info(second);
    printf("rotated again:        %s (refresh %s)\n", redacted(t2->token, a, sizeof a),
           redacted(t2->refresh_token, b, sizeof b));

    const char *names[] = {"manifest"};
    const char *values[] = {"{\"display_information\":{\"name\":\"xoxe demo\"}}"};
    st = xoxe_call(client, "apps.manifest.validate", t2->token, names, values, 1, 0, &validation, &err);
    xoxe_config_token_free(first);
    xoxe_config_token_free(second);
    if (st != XOXE_STATUS_OK) return fail("apps.manifest.validate", st, err);
    printf("apps.manifest.validate: %s\n", xoxe_api_response_get_info(validation)->json);
    xoxe_api_response_free(validation);
    return 0;
}

static int exchange_and_refresh(const xoxe_client *client, const char *id, const char *secret,
                                const char *legacy) {
    char a[64], b[64];
    xoxe_oauth_token *exchanged = NULL, *refreshed = NULL;
    xoxe_auth_identity *identity = NULL;
    xoxe_error *err = NULL;
    xoxe_status st = xoxe_oauth_v2_exchange(client, id, secret, legacy, 0, &exchanged, &err);
    if (st != XOXE_STATUS_OK) return fail("oauth.v2.exchange", st, err);
    const xoxe_oauth_token_info *x = xoxe_oauth_token_get_info(exchanged);
    printf("exchanged legacy %s token: %s (refresh %s), expires in %lld s\n", x->token_type,
           redacted(x->access_token, a, sizeof a), redacted(x->refresh_token, b, sizeof b),
           (long long)x->expires_in);

    st = xoxe_oauth_v2_refresh(client, id, secret, x->refresh_token, 0, &refreshed, &err);
    xoxe_oauth_token_free(exchanged);
    if (st != XOXE_STATUS_OK) return fail("oauth.v2.access (refresh)", st, err);
    const xoxe_oauth_token_info *r = xoxe_oauth_token_get_info(refreshed);
    printf("refreshed:                 %s (refresh %s)\n", redacted(r->access_token, a, sizeof a),
           redacted(r->refresh_token, b, sizeof b));

    st = xoxe_auth_test(client, r->access_token, 0, &identity, &err);
    xoxe_oauth_token_free(refreshed);
    if (st != XOXE_STATUS_OK) return fail("auth.test", st, err);
    const xoxe_auth_identity_info *who = xoxe_auth_identity_get_info(identity);
    printf("auth.test: team %s (%s), user %s%s%s\n", who->team, who->team_id, who->user_id,
           who->bot_id ? ", bot " : "", who->bot_id ? who->bot_id : "");
    xoxe_auth_identity_free(identity);
    return 0;
}

int main(void) {
    const char *refresh_token = getenv("XOXE_CONFIG_REFRESH_TOKEN");
    const char *base_url = getenv("XOXE_BASE_URL");
    const char *id = getenv("XOXE_CLIENT_ID"), *secret = getenv("XOXE_CLIENT_SECRET");
    const char *legacy = getenv("XOXE_LEGACY_TOKEN");
    if (refresh_token == NULL) {
        fprintf(stderr, "set XOXE_CONFIG_REFRESH_TOKEN (and optionally XOXE_CLIENT_ID, "
                        "XOXE_CLIENT_SECRET, XOXE_LEGACY_TOKEN, XOXE_BASE_URL)\n");
        return 2;
    }
    printf("xoxe %s (ABI %u)\n", xoxe_version(), (unsigned)xoxe_abi_version());

    xoxe_client_options *options = NULL;
    xoxe_client *client = NULL;
    xoxe_error *err = NULL;
    xoxe_status st = xoxe_client_options_new(&options, &err);
    if (st != XOXE_STATUS_OK) return fail("xoxe_client_options_new", st, err);
    if (base_url != NULL && (st = xoxe_client_options_set_base_url(options, base_url, &err)) != XOXE_STATUS_OK) {
        xoxe_client_options_free(options);
        return fail("base URL", st, err);
    }
    st = xoxe_client_new(options, &client, &err);
    xoxe_client_options_free(options);
    if (st != XOXE_STATUS_OK) return fail("xoxe_client_new", st, err);

    int rc = rotate_config_token(client, refresh_token);
    if (rc == 0 && id && secret && legacy) rc = exchange_and_refresh(client, id, secret, legacy);
    xoxe_client_free(client);
    return rc;
}
