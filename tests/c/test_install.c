/* The OAuth install through the C ABI, against the fake Slack's authorization
 * codes: a workspace install (bot and user token), an org-wide install (chain
 * bot:E…:-) and a user-token-only install, each through xoxe_pool_install_code
 * and through xoxe_oauth_v2_access + xoxe_pool_install, fetched, rotated and
 * uninstalled (auth.revoke); Slack's refusals with their own statuses; an app
 * with rotation off; a save that fails keeping the answer for
 * xoxe_pool_install_json; xoxe_auth_revoke; and every new function's NULL and
 * UTF-8 cases.
 *
 * Secrets: tokens, codes and raw answers are compared in memory and never
 * printed; buffers holding them are wiped when a test is done with them. */
#include "harness.h"
#include "tests.h"
#include "rotator_support.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define CODE_MAX 256
#define CHAIN_BUF (XOXE_MAX_CHAIN_NAME_LEN + 1)

/* ------------------------------------------------------------------ helpers */

static void sleep_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Mints an authorization code for `spec` (a CodeSpec as JSON) into `code`
 * (CODE_MAX bytes); 0 on success. */
static int mint_code(const char *spec, char *code) {
    char out[1024];
    int http = 0;
    code[0] = '\0';
    if (t_ctl("POST", "authorization_code", spec, &http, out, sizeof out) != 0) return -1;
    CHECK_INT(http, 200);
    if (http != 200 || t_json_get(out, "code", code, CODE_MAX) != 0) {
        t_fail(__FILE__, __LINE__, "minting a code for %s failed", spec);
        return -1;
    }
    return 0;
}

/* A counter of the fake Slack's stats (`installs`, `revocations`, …). */
static long long stat_of(const char *name) {
    char out[4096];
    long long n = -1;
    if (t_ctl("GET", "stats", NULL, NULL, out, sizeof out) == 0) t_json_int(out, name, &n);
    return n;
}

/* The seeded app (the one codes install by default). */
static t_app seeded_app(void) {
    t_app app;
    char out[4096];
    memset(&app, 0, sizeof app);
    if (t_ctl("GET", "seeds", NULL, NULL, out, sizeof out) == 0) {
        const char *a = t_json_find(out, "app");
        if (a == NULL || t_json_get(a, "client_id", app.client_id, sizeof app.client_id) != 0 ||
            t_json_get(a, "client_secret", app.client_secret, sizeof app.client_secret) != 0 ||
            t_json_get(a, "app_id", app.app_id, sizeof app.app_id) != 0)
            t_fail(__FILE__, __LINE__, "no seeded app in /_control/seeds");
    }
    return app;
}

static xoxe_pool *install_pool(const xoxe_client *c, const xoxe_store *s, const t_app *app) {
    xoxe_pool *p = NULL;
    xoxe_error *e = NULL;
    xoxe_status st;
    if (c == NULL || s == NULL) return NULL;
    st = xoxe_pool_new(c, s, app ? app->client_id : NULL, app ? app->client_secret : NULL, NULL, &p, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
    return p;
}

/* xoxe_pool_get of `chain` into `buf` (TOKEN_BUF); 1 on success. */
static int pool_get(const xoxe_pool *p, const char *chain, char *buf) {
    xoxe_error *e = NULL;
    xoxe_status st = xoxe_pool_get(p, chain, buf, TOKEN_BUF, NULL, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
    return st == XOXE_STATUS_OK;
}

/* An install's chains, with the tokens it installed, as the test keeps them. */
typedef struct {
    const char *kind;
    int org_wide, bot, user;
    char chain[2][CHAIN_BUF];     /* bot chain (when bot), then the user's */
    char token[2][TOKEN_BUF];     /* the access token of each chain */
    char installed[2][TOKEN_BUF]; /* as installed, before any rotation */
    int n;
} t_install;

/* Checks an install's info against its kind, and keeps its chains and tokens. */
static void check_install_info(const xoxe_install_info *info, const t_app *app, t_install *t) {
    CHECK(info != NULL);
    if (info == NULL) return;
    CHECK_STR(info->app_id, app->app_id);
    CHECK(info->is_enterprise_install == (t->org_wide != 0));
    if (t->org_wide) {
        CHECK(info->team_id == NULL && info->team_name == NULL);
        CHECK(info->enterprise_id != NULL && info->enterprise_id[0] == 'E');
        CHECK(info->enterprise_name != NULL);
    } else {
        CHECK(info->team_id != NULL && info->team_id[0] == 'T');
        CHECK(info->enterprise_id == NULL && info->enterprise_name == NULL);
    }
    CHECK(info->received_at > 0);
    CHECK(info->raw_json != NULL && strlen(info->raw_json) == info->raw_json_len);
    CHECK_WARNINGS(info->warnings, info->warnings_len);
    CHECK(info->webhook_url == NULL && info->webhook_channel == NULL);
    CHECK(info->user_id != NULL);
    t->n = 0;
    if (t->bot) {
        char want[CHAIN_BUF];
        CHECK(info->bot_access_token != NULL && strncmp(info->bot_access_token, "xoxe.xoxb-", 10) == 0);
        CHECK(info->bot_refresh_token != NULL && strncmp(info->bot_refresh_token, "xoxe-1-", 7) == 0);
        CHECK(info->bot_expires_in > 0 && info->bot_scope != NULL);
        CHECK(info->bot_user_id != NULL && info->bot_user_id[0] == 'U');
        if (t->org_wide)
            snprintf(want, sizeof want, "bot:%s:-", info->enterprise_id ? info->enterprise_id : "?");
        else
            snprintf(want, sizeof want, "bot:-:%s", info->team_id ? info->team_id : "?");
        CHECK_STR(info->bot_chain, want);
        if (info->bot_chain && info->bot_access_token && strlen(info->bot_access_token) < TOKEN_BUF) {
            snprintf(t->chain[t->n], CHAIN_BUF, "%s", info->bot_chain);
            strcpy(t->installed[t->n], info->bot_access_token);
            t->n++;
        }
    } else {
        CHECK(info->bot_chain == NULL && info->bot_access_token == NULL && info->bot_refresh_token == NULL);
        CHECK(info->bot_user_id == NULL && info->bot_expires_in == 0);
    }
    if (t->user) {
        CHECK(info->user_access_token != NULL && strncmp(info->user_access_token, "xoxe.xoxp-", 10) == 0);
        CHECK(info->user_refresh_token != NULL && strncmp(info->user_refresh_token, "xoxe-1-", 7) == 0);
        CHECK(info->user_expires_in > 0 && info->user_scope != NULL);
        CHECK(info->user_chain != NULL && strncmp(info->user_chain, "user:", 5) == 0);
        if (info->user_chain && info->user_access_token && strlen(info->user_access_token) < TOKEN_BUF) {
            snprintf(t->chain[t->n], CHAIN_BUF, "%s", info->user_chain);
            strcpy(t->installed[t->n], info->user_access_token);
            t->n++;
        }
    } else {
        CHECK(info->user_chain == NULL && info->user_access_token == NULL);
    }
}

/* One install of kind `t` (spec `spec`) into `p`: through
 * xoxe_pool_install_code when `by_code`, else xoxe_oauth_v2_access +
 * xoxe_pool_install. Then each chain's token is the installed one and works. */
static void install_one(const xoxe_client *c, const xoxe_pool *p, const t_app *app, const char *spec, int by_code,
                        t_install *t) {
    char code[CODE_MAX];
    xoxe_install *inst = NULL;
    xoxe_error *e = NULL;
    xoxe_status st;
    int i;
    long long installs = stat_of("installs");
    if (p == NULL || mint_code(spec, code) != 0) return;
    if (by_code) {
        st = xoxe_pool_install_code(p, code, NULL, &inst, &e);
        CHECK_STATUS(st, XOXE_STATUS_OK, e);
    } else {
        st = xoxe_oauth_v2_access(c, app->client_id, app->client_secret, code, NULL, 0, &inst, &e);
        CHECK_STATUS(st, XOXE_STATUS_OK, e);
        drop_err(&e);
        if (inst) {
            st = xoxe_pool_install(p, inst, &e);
            CHECK_STATUS(st, XOXE_STATUS_OK, e);
        }
    }
    drop_err(&e);
    CHECK_INT(stat_of("installs"), installs + 1);
    if (inst) check_install_info(xoxe_install_get_info(inst), app, t);
    xoxe_install_free(inst);
    CHECK_INT(t->n, t->bot + t->user);
    for (i = 0; i < t->n; i++) {
        if (!pool_get(p, t->chain[i], t->token[i])) continue;
        CHECK_MSG(strcmp(t->token[i], t->installed[i]) == 0, "%s: chain %s does not hand out the installed token",
                  t->kind, t->chain[i]);
        CHECK_AUTH(c, t->token[i]);
    }
    wipe(code, sizeof code);
}

/* ------------------------------------------------------ the three kinds */

/* Workspace, org-wide and user-only installs, each by code and by
 * access + install: saved, fetched, rotated (4 s tokens), uninstalled. */
void test_install_kinds(void) {
    static const struct {
        const char *kind, *spec;
        int org_wide, bot, user;
    } kinds[] = {
        {"workspace", "{}", 0, 1, 1},
        {"org-wide", "{\"is_enterprise_install\":true}", 1, 1, 1},
        {"user-only", "{\"bot\":false}", 0, 0, 1},
    };
    enum { NKINDS = sizeof kinds / sizeof kinds[0], NINST = 2 * NKINDS };
    xoxe_client *c = t_client();
    xoxe_store *s = memory_store();
    t_app app = seeded_app();
    xoxe_pool *p = install_pool(c, s, &app);
    t_install inst[NINST];
    char buf[TOKEN_BUF];
    xoxe_error *e = NULL;
    xoxe_status st;
    int i, j;
    memset(inst, 0, sizeof inst);
    t_ctl("POST", "ttl", "{\"ttl\":4}", NULL, NULL, 0);
    for (i = 0; i < NINST; i++) {
        inst[i].kind = kinds[i % NKINDS].kind;
        inst[i].org_wide = kinds[i % NKINDS].org_wide;
        inst[i].bot = kinds[i % NKINDS].bot;
        inst[i].user = kinds[i % NKINDS].user;
        install_one(c, p, &app, kinds[i % NKINDS].spec, i < NKINDS, &inst[i]);
    }
    /* Half the 4 s lifetime later, every chain hands out a new token. */
    sleep_ms(2600);
    for (i = 0; i < NINST; i++)
        for (j = 0; j < inst[i].n; j++) {
            if (!pool_get(p, inst[i].chain[j], buf)) continue;
            CHECK_MSG(strcmp(buf, inst[i].installed[j]) != 0, "%s: chain %s was not rotated", inst[i].kind,
                      inst[i].chain[j]);
            CHECK_AUTH(c, buf);
            strcpy(inst[i].token[j], buf);
        }
    CHECK_INT(stat_of("refresh_token_reuses"), 0);
    /* Uninstalled: revoked at Slack, gone from the store. */
    for (i = 0; i < NINST; i++)
        for (j = 0; j < inst[i].n; j++) {
            bool removed = false;
            long long revocations = stat_of("revocations");
            xoxe_auth_identity *id = NULL;
            st = xoxe_pool_uninstall(p, inst[i].chain[j], &removed, &e);
            CHECK_STATUS(st, XOXE_STATUS_OK, e);
            drop_err(&e);
            CHECK(removed);
            CHECK_INT(stat_of("revocations"), revocations + 1);
            CHECK_INT(xoxe_pool_get(p, inst[i].chain[j], buf, sizeof buf, NULL, NULL), XOXE_STATUS_STORE_EMPTY);
            st = xoxe_auth_test(c, inst[i].token[j], 0, &id, &e);
            EXPECT_ERR(st, e, XOXE_STATUS_TOKEN_REVOKED, XOXE_STATUS_TOKEN_REVOKED);
            CHECK(id == NULL);
        }
    t_ctl("POST", "ttl", "{\"ttl\":43200}", NULL, NULL, 0);
    xoxe_pool_free(p);
    xoxe_store_free(s);
    xoxe_client_free(c);
    wipe(inst, sizeof inst);
    wipe(buf, sizeof buf);
    wipe(&app, sizeof app);
}

/* ---------------------------------------------------------------- errors */

/* Slack's refusals, each with its status and nothing saved; an app with
 * rotation off; a pool without credentials; a failed save whose answer
 * xoxe_pool_install_json saves later. */
void test_install_errors(void) {
    static const xoxe_status refusals[] = {
        XOXE_STATUS_BAD_REDIRECT_URI,
        XOXE_STATUS_CANNOT_INSTALL_AN_ORG_INSTALLED_APP,
        XOXE_STATUS_CODE_ALREADY_USED,
        XOXE_STATUS_INVALID_CODE,
        XOXE_STATUS_INVALID_CODE_VERIFIER,
        XOXE_STATUS_INVALID_TEAM_FOR_NON_DISTRIBUTED_APP,
        XOXE_STATUS_NO_SCOPES,
        XOXE_STATUS_OAUTH_AUTHORIZATION_URL_MISMATCH,
        XOXE_STATUS_PKCE_NOT_ALLOWED,
        XOXE_STATUS_PREVIEW_FEATURE_NOT_AVAILABLE,
        XOXE_STATUS_TEAM_NOT_FOUND,
        XOXE_STATUS_USER_EMAIL_UNVERIFIED,
    };
    xoxe_client *c = t_client();
    xoxe_store *s = memory_store();
    t_app app = seeded_app(), plain = t_new_app(0);
    xoxe_pool *p = install_pool(c, s, &app), *bare = install_pool(c, s, NULL);
    xoxe_install *inst = (xoxe_install *)SENTINEL;
    xoxe_error *e = NULL;
    xoxe_status st;
    char code[CODE_MAX], fault[256], dir[512], chains[600], raw[8192], buf[TOKEN_BUF];
    size_t i;
    if (p == NULL || bare == NULL) goto out;

    st = xoxe_pool_install_code(p, "1.2.nope", NULL, &inst, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_CODE, XOXE_STATUS_INVALID_CODE);
    if (mint_code("{\"ttl_secs\":0}", code) == 0) {
        st = xoxe_pool_install_code(p, code, NULL, &inst, &e);
        EXPECT_ERR(st, e, XOXE_STATUS_INVALID_CODE, XOXE_STATUS_INVALID_CODE);
    }
    if (mint_code("{\"redirect_uri\":\"https://app.example/oauth\"}", code) == 0) {
        st = xoxe_pool_install_code(p, code, "https://app.example/other", &inst, &e);
        EXPECT_ERR(st, e, XOXE_STATUS_BAD_REDIRECT_URI, XOXE_STATUS_BAD_REDIRECT_URI);
        st = xoxe_pool_install_code(p, code, "https://app.example/oauth", NULL, &e);
        CHECK_STATUS(st, XOXE_STATUS_OK, e);
        drop_err(&e);
        st = xoxe_pool_install_code(p, code, "https://app.example/oauth", &inst, &e);
        CHECK_STATUS(st, XOXE_STATUS_CODE_ALREADY_USED, e);
        if (e) {
            CHECK_STR(xoxe_error_get_info(e)->slack_error, "code_already_used");
            CHECK_NO_SECRET(xoxe_error_get_info(e)->message, code);
            CHECK_NO_SECRET(xoxe_error_get_info(e)->message, app.client_secret);
        }
        drop_err(&e);
    }
    CHECK(inst == (xoxe_install *)SENTINEL);
    /* Every code Slack documents for oauth.v2.access has its own status; the
     * code stays unspent. */
    if (mint_code("{}", code) == 0) {
        for (i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
            snprintf(fault, sizeof fault,
                     "{\"method\":\"oauth.v2.access\",\"kind\":\"slack_error\",\"error\":\"%s\"}",
                     xoxe_status_name(refusals[i]));
            t_fault(fault);
            st = xoxe_oauth_v2_access(c, app.client_id, app.client_secret, code, NULL, 0, &inst, &e);
            CHECK_STATUS(st, refusals[i], e);
            if (e) {
                CHECK_STR(xoxe_error_get_info(e)->slack_error, xoxe_status_name(refusals[i]));
                CHECK_INT(xoxe_status_family_of(refusals[i]), XOXE_STATUS_FAMILY_SLACK_API);
                CHECK_ERROR_INFO(xoxe_error_get_info(e));
            }
            drop_err(&e);
        }
        CHECK(inst == (xoxe_install *)SENTINEL);
        st = xoxe_oauth_v2_access(c, app.client_id, "not-the-secret", code, NULL, 0, &inst, &e);
        EXPECT_ERR(st, e, XOXE_STATUS_BAD_CLIENT_SECRET, XOXE_STATUS_BAD_CLIENT_SECRET);
        /* A pool without the app's credentials cannot install. */
        st = xoxe_pool_install_code(bare, code, NULL, NULL, &e);
        EXPECT_ERR(st, e, XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT);
        /* The code is still good. */
        st = xoxe_pool_install_code(p, code, NULL, NULL, &e);
        CHECK_STATUS(st, XOXE_STATUS_OK, e);
        drop_err(&e);
    }

    /* Rotation off: TOKEN_ROTATION_NOT_ENABLED, the answer on the error. */
    snprintf(fault, sizeof fault, "{\"client_id\":\"%s\"}", plain.client_id);
    if (mint_code(fault, code) == 0) {
        st = xoxe_oauth_v2_access(c, plain.client_id, plain.client_secret, code, NULL, 0, &inst, &e);
        CHECK_STATUS(st, XOXE_STATUS_TOKEN_ROTATION_NOT_ENABLED, e);
        if (e) {
            const xoxe_error_info *info = xoxe_error_get_info(e);
            CHECK(info->response_json != NULL && strstr(info->response_json, "\"access_token\"") != NULL);
            CHECK(strstr(info->message, "token rotation") != NULL);
            CHECK_NO_SECRET(info->message, code);
        }
        drop_err(&e);
        CHECK(inst == (xoxe_install *)SENTINEL);
    }

    /* A save that fails: the answer is on the error, and install_json saves it
     * once the store works again. */
    if (make_tmpdir(dir, sizeof dir) == 0) {
        xoxe_store *ds = NULL;
        xoxe_pool *dp = NULL;
        xoxe_install *saved = NULL;
        snprintf(chains, sizeof chains, "%s/chains", dir);
        CHECK(mkdir(chains, 0700) == 0);
        st = xoxe_store_dir_new(chains, NULL, 0, &ds, &e);
        CHECK_STATUS(st, XOXE_STATUS_OK, e);
        drop_err(&e);
        dp = install_pool(c, ds, &app);
        raw[0] = '\0';
        remove_tree(chains); /* a lost mount, a full disk: every save fails */
        if (dp && mint_code("{}", code) == 0) {
            st = xoxe_pool_install_code(dp, code, NULL, &inst, &e);
            CHECK_MSG(st != XOXE_STATUS_OK && xoxe_status_family_of(st) == XOXE_STATUS_FAMILY_STORE,
                      "a failed save is %s", xoxe_status_name(st));
            CHECK(inst == (xoxe_install *)SENTINEL);
            if (e) {
                const xoxe_error_info *info = xoxe_error_get_info(e);
                CHECK(info->response_json != NULL && strlen(info->response_json) < sizeof raw);
                if (info->response_json && strlen(info->response_json) < sizeof raw)
                    strcpy(raw, info->response_json);
                CHECK(strstr(info->message, "install_json") != NULL);
                CHECK_NO_SECRET(info->message, code);
            }
            drop_err(&e);
            CHECK(mkdir(chains, 0700) == 0);
            saved = NULL;
            st = xoxe_pool_install_json(dp, raw, &saved, &e);
            CHECK_STATUS(st, XOXE_STATUS_OK, e);
            drop_err(&e);
            /* The install it saved names both chains. */
            CHECK(saved != NULL && xoxe_install_get_info(saved)->bot_chain != NULL &&
                  xoxe_install_get_info(saved)->user_chain != NULL);
            if (saved) {
                xoxe_store *bot = NULL;
                st = xoxe_store_open_chain(ds, xoxe_install_get_info(saved)->bot_chain, &bot, &e);
                CHECK_STATUS(st, XOXE_STATUS_OK, e);
                drop_err(&e);
                xoxe_store_free(bot);
            }
            xoxe_install_free(saved);
            {
                xoxe_chain_list *l = NULL;
                size_t k, n;
                st = xoxe_store_chains(ds, &l, &e);
                CHECK_STATUS(st, XOXE_STATUS_OK, e);
                drop_err(&e);
                n = xoxe_chain_list_len(l);
                CHECK_INT(n, 2);
                for (k = 0; k < n; k++) {
                    const xoxe_chain_info *ci = xoxe_chain_list_get(l, k);
                    if (ci && pool_get(dp, ci->chain, buf)) CHECK_AUTH(c, buf);
                }
                xoxe_chain_list_free(l);
            }
            /* Not an install's answer. */
            st = xoxe_pool_install_json(dp, "{\"ok\":true}", NULL, &e);
            EXPECT_ERR(st, e, XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT);
        }
        xoxe_pool_free(dp);
        xoxe_store_free(ds);
        remove_tree(chains);
        remove_tree(dir);
    }
out:
    xoxe_pool_free(p);
    xoxe_pool_free(bare);
    xoxe_store_free(s);
    xoxe_client_free(c);
    wipe(code, sizeof code);
    wipe(raw, sizeof raw);
    wipe(buf, sizeof buf);
    wipe(&app, sizeof app);
    wipe(&plain, sizeof plain);
}

/* ------------------------------------------------------------ auth.revoke */

/* A test revocation revokes nothing; a real one kills the chain's tokens. */
void test_auth_revoke(void) {
    xoxe_client *c = t_client();
    t_app app = seeded_app();
    char code[CODE_MAX], token[TOKEN_BUF], refresh[TOKEN_BUF];
    xoxe_install *inst = NULL;
    xoxe_oauth_token *ot = (xoxe_oauth_token *)SENTINEL;
    xoxe_error *e = NULL;
    xoxe_status st;
    bool revoked = true;
    token[0] = refresh[0] = '\0';
    if (mint_code("{\"bot\":false}", code) != 0) goto out;
    st = xoxe_oauth_v2_access(c, app.client_id, app.client_secret, code, NULL, 0, &inst, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
    if (inst) {
        const xoxe_install_info *info = xoxe_install_get_info(inst);
        if (info->user_access_token && strlen(info->user_access_token) < TOKEN_BUF &&
            info->user_refresh_token && strlen(info->user_refresh_token) < TOKEN_BUF) {
            strcpy(token, info->user_access_token);
            strcpy(refresh, info->user_refresh_token);
        }
    }
    xoxe_install_free(inst);
    if (!token[0]) goto out;
    st = xoxe_auth_revoke(c, token, true, 0, &revoked, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
    CHECK(!revoked);
    CHECK_AUTH(c, token);
    CHECK_INT(stat_of("revocations"), 0);
    st = xoxe_auth_revoke(c, token, false, 0, &revoked, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
    CHECK(revoked);
    CHECK_INT(stat_of("revocations"), 1);
    /* The chain is dead: its token, its refresh token. */
    revoked = false;
    st = xoxe_auth_revoke(c, token, false, 0, &revoked, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_TOKEN_REVOKED, XOXE_STATUS_TOKEN_REVOKED);
    CHECK_MSG(!revoked, "revoked_out written on failure");
    st = xoxe_oauth_v2_refresh(c, app.client_id, app.client_secret, refresh, 0, &ot, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_REFRESH_TOKEN, XOXE_STATUS_INVALID_REFRESH_TOKEN);
    CHECK(ot == (xoxe_oauth_token *)SENTINEL);
    /* revoked_out may be NULL; an unknown token is invalid_auth. */
    st = xoxe_auth_revoke(c, "xoxb-not-a-token", false, 0, NULL, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_AUTH, XOXE_STATUS_INVALID_AUTH);
out:
    xoxe_client_free(c);
    wipe(code, sizeof code);
    wipe(token, sizeof token);
    wipe(refresh, sizeof refresh);
    wipe(&app, sizeof app);
}

/* ----------------------------------------------------------------- misuse */

#define EXPECT_STATUS(call, want)            \
    do {                                     \
        xoxe_error *e_ = NULL;               \
        xoxe_status st_ = (call);            \
        EXPECT_ERR(st_, e_, (want), (want)); \
    } while (0)
#define EOUT (&e_)

/* Every new function: NULL arguments, invalid UTF-8, out-params untouched on
 * failure, NULL frees and infos. */
void test_install_misuse(void) {
    xoxe_client *c = t_client();
    xoxe_store *s = memory_store();
    t_app app = seeded_app();
    xoxe_pool *p = install_pool(c, s, &app);
    xoxe_install *inst = (xoxe_install *)SENTINEL;
    bool revoked = true;
    const char *id = app.client_id, *sec = app.client_secret;
    if (p == NULL) goto out;

    EXPECT_STATUS(xoxe_oauth_v2_access(NULL, id, sec, "1.2.3", NULL, 0, &inst, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_oauth_v2_access(c, NULL, sec, "1.2.3", NULL, 0, &inst, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_oauth_v2_access(c, id, NULL, "1.2.3", NULL, 0, &inst, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_oauth_v2_access(c, id, sec, NULL, NULL, 0, &inst, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_oauth_v2_access(c, id, sec, "1.2.3", NULL, 0, NULL, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_oauth_v2_access(c, "1\xff", sec, "1.2.3", NULL, 0, &inst, EOUT), XOXE_STATUS_INVALID_UTF8);
    EXPECT_STATUS(xoxe_oauth_v2_access(c, id, "s\xfe", "1.2.3", NULL, 0, &inst, EOUT), XOXE_STATUS_INVALID_UTF8);
    EXPECT_STATUS(xoxe_oauth_v2_access(c, id, sec, "1.\xff", NULL, 0, &inst, EOUT), XOXE_STATUS_INVALID_UTF8);
    EXPECT_STATUS(xoxe_oauth_v2_access(c, id, sec, "1.2.3", "https://\xff", 0, &inst, EOUT),
                  XOXE_STATUS_INVALID_UTF8);
    EXPECT_STATUS(xoxe_oauth_v2_access(c, id, sec, "", NULL, 0, &inst, EOUT), XOXE_STATUS_INVALID_ARGUMENT);
    EXPECT_STATUS(xoxe_oauth_v2_access(c, id, sec, "a code", NULL, 0, &inst, EOUT), XOXE_STATUS_INVALID_ARGUMENT);
    EXPECT_STATUS(xoxe_oauth_v2_access(c, id, sec, "1.2.3", "", 0, &inst, EOUT), XOXE_STATUS_INVALID_ARGUMENT);
    EXPECT_STATUS(xoxe_oauth_v2_access(c, id, sec, "1.2.3", "https://a\nb", 0, &inst, EOUT),
                  XOXE_STATUS_INVALID_ARGUMENT);
    CHECK(inst == (xoxe_install *)SENTINEL);
    CHECK(xoxe_install_get_info(NULL) == NULL);
    xoxe_install_free(NULL);

    EXPECT_STATUS(xoxe_auth_revoke(NULL, "xoxb-1", false, 0, &revoked, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_auth_revoke(c, NULL, false, 0, &revoked, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_auth_revoke(c, "xoxb-\xff", false, 0, &revoked, EOUT), XOXE_STATUS_INVALID_UTF8);
    EXPECT_STATUS(xoxe_auth_revoke(c, "", true, 0, &revoked, EOUT), XOXE_STATUS_INVALID_ARGUMENT);
    CHECK_MSG(revoked, "revoked_out written on failure");

    EXPECT_STATUS(xoxe_pool_install(NULL, (const xoxe_install *)SENTINEL, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_pool_install(p, NULL, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_pool_install_code(NULL, "1.2.3", NULL, &inst, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_pool_install_code(p, NULL, NULL, &inst, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_pool_install_code(p, "1.\xff", NULL, &inst, EOUT), XOXE_STATUS_INVALID_UTF8);
    EXPECT_STATUS(xoxe_pool_install_code(p, "1.2.3", "\xfe", &inst, EOUT), XOXE_STATUS_INVALID_UTF8);
    EXPECT_STATUS(xoxe_pool_install_code(p, "", NULL, NULL, EOUT), XOXE_STATUS_INVALID_ARGUMENT);
    CHECK(inst == (xoxe_install *)SENTINEL);
    EXPECT_STATUS(xoxe_pool_install_json(NULL, "{}", NULL, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_pool_install_json(p, NULL, NULL, EOUT), XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_STATUS(xoxe_pool_install_json(p, "{\"ok\":\xff}", NULL, EOUT), XOXE_STATUS_INVALID_UTF8);
    EXPECT_STATUS(xoxe_pool_install_json(p, "", NULL, EOUT), XOXE_STATUS_INVALID_ARGUMENT);
    EXPECT_STATUS(xoxe_pool_install_json(p, "{\"ok\":false,\"error\":\"invalid_code\"}", NULL, EOUT),
                  XOXE_STATUS_INVALID_ARGUMENT);
    /* Tokens that do not rotate: xoxe's own verdict on a saved answer (no HTTP
     * status, no slack_error: nothing was sent). */
    {
        xoxe_error *e = NULL;
        xoxe_status st = xoxe_pool_install_json(
            p, "{\"ok\":true,\"access_token\":\"xoxb-1-2\",\"team\":{\"id\":\"T1\"}}", NULL, &e);
        CHECK_STATUS(st, XOXE_STATUS_TOKEN_ROTATION_NOT_ENABLED, e);
        if (e) {
            const xoxe_error_info *info = xoxe_error_get_info(e);
            CHECK(info->slack_error == NULL && info->http_status == 0 && info->response_json == NULL);
            CHECK(strstr(info->message, "token rotation") != NULL);
        }
        drop_err(&e);
    }
    /* No error handle wanted: the status alone. */
    CHECK_INT(xoxe_pool_install_json(p, "[]", NULL, NULL), XOXE_STATUS_INVALID_ARGUMENT);
    CHECK_INT(stat_of("installs"), 0);
out:
    xoxe_pool_free(p);
    xoxe_store_free(s);
    xoxe_client_free(c);
    wipe(&app, sizeof app);
}
