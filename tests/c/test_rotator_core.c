/* The rotator through the C ABI, mostly on memory stores: xoxe_store_init;
 * rotators for config and OAuth chains; get / force_rotate / current; single
 * flight across threads (memory and file stores); what the store holds after a
 * lost response and on a dead chain; the refresh window of short tokens;
 * expiry under a skewed Slack clock; and the logger callback. File stores are
 * in test_rotator_file.c, foreign (host callback) stores in
 * test_rotator_foreign.c, fleet (PostgreSQL, Redis) stores in
 * test_rotator_fleet.c.
 *
 * Secrets: tokens are compared in memory and never printed. Token buffers are
 * wiped when a test is done with them. */
#include "harness.h"
#include "tests.h"
#include "rotator_support.h"
#include "cas_store.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define FAR_FUTURE 4102444800LL /* 2100-01-01, Unix seconds */
#define SHORT_TIMEOUT_MS (t_slow_mode() ? 2500u : 1000u)
#define LONG_DELAY_MS (t_slow_mode() ? 8000 : 4000)

/* xoxe_store_init on a memory store: kinds, overwrite, every bad argument. */
void test_store_init(void) {
    xoxe_client *c = t_client();
    xoxe_store *s = (xoxe_store *)SENTINEL, *s2;
    xoxe_rotator *r;
    xoxe_error *e = NULL;
    xoxe_status st;
    char buf[TOKEN_BUF];
    int64_t exp = -1;
    t_stats stats;
    const char *access = "xoxe.xoxp-1-c0ffee00c0ffee00c0ffee00";

    st = xoxe_store_memory_new(NULL, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
    st = xoxe_store_memory_new(NULL, NULL);
    CHECK_INT(st, XOXE_STATUS_NULL_ARGUMENT);
    st = xoxe_store_memory_new(&s, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    CHECK(s != (xoxe_store *)SENTINEL && s != NULL);
    CHECK(e == NULL);
    r = config_rotator(c, s, NULL);

    /* An empty store: the rotator says so, without any request. */
    t_ctl_reset();
    EXPECT_FETCH_ERR(GET, r, XOXE_STATUS_STORE_EMPTY, XOXE_STATUS_STORE_EMPTY, NULL);
    EXPECT_FETCH_ERR(CURRENT, r, XOXE_STATUS_STORE_EMPTY, XOXE_STATUS_STORE_EMPTY, NULL);
    EXPECT_FETCH_ERR(FORCE, r, XOXE_STATUS_STORE_EMPTY, XOXE_STATUS_STORE_EMPTY, NULL);

    /* Bad arguments: nothing is stored. */
    st = xoxe_store_init(NULL, XOXE_CHAIN_KIND_CONFIG, "xoxe-1-abc", NULL, 0, false, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
    st = xoxe_store_init(s, 2, "xoxe-1-abc", NULL, 0, false, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT);
    st = xoxe_store_init(s, 0xffffffffu, "xoxe-1-abc", NULL, 0, false, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT);
    st = xoxe_store_init(s, XOXE_CHAIN_KIND_CONFIG, NULL, NULL, 0, false, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
    st = xoxe_store_init(s, XOXE_CHAIN_KIND_CONFIG, "", NULL, 0, false, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT);
    st = xoxe_store_init(s, XOXE_CHAIN_KIND_CONFIG, "xoxe-1-\xff\xfe", NULL, 0, false, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_UTF8, XOXE_STATUS_INVALID_UTF8);
    st = xoxe_store_init(s, XOXE_CHAIN_KIND_CONFIG, "xoxe-1 with space", NULL, 0, false, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT);
    st = xoxe_store_init(s, XOXE_CHAIN_KIND_CONFIG, "xoxe-1-abc", "xoxe.xoxp-\xc3", 0, false, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_UTF8, XOXE_STATUS_INVALID_UTF8);
    st = xoxe_store_init(s, XOXE_CHAIN_KIND_CONFIG, "xoxe-1-abc", "xoxe.xoxp-1 x", 0, false, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT);
    st = xoxe_store_init(s, XOXE_CHAIN_KIND_CONFIG, NULL, NULL, 0, false, NULL);
    CHECK_INT(st, XOXE_STATUS_NULL_ARGUMENT);
    EXPECT_FETCH_ERR(CURRENT, r, XOXE_STATUS_STORE_EMPTY, XOXE_STATUS_STORE_EMPTY, NULL);

    /* A seed with the access token in use and its expiry: served as is, fresh,
     * with no request. */
    st = xoxe_store_init(s, XOXE_CHAIN_KIND_CONFIG, "xoxe-1-seedseedseed", access, FAR_FUTURE, false, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    CHECK(e == NULL);
    if (FETCH_OK(GET, r, buf, &exp)) {
        CHECK(strcmp(buf, access) == 0);
        CHECK_INT(exp, FAR_FUTURE);
    }
    exp = -1;
    if (FETCH_OK(CURRENT, r, buf, &exp)) {
        CHECK(strcmp(buf, access) == 0);
        CHECK_INT(exp, FAR_FUTURE);
    }
    /* Initialised twice: a conflict unless overwrite. */
    st = xoxe_store_init(s, XOXE_CHAIN_KIND_CONFIG, "xoxe-1-other", NULL, 0, false, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_STORE_CONFLICT, XOXE_STATUS_STORE_CONFLICT);
    st = xoxe_store_init(s, XOXE_CHAIN_KIND_OAUTH, "xoxe-1-other", "", 0, true, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
    /* A config rotator on an OAuth chain (a fresh rotator: nothing cached). */
    xoxe_rotator_free(r);
    r = config_rotator(c, s, NULL);
    EXPECT_FETCH_ERR(GET, r, XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT, NULL);
    EXPECT_FETCH_ERR(CURRENT, r, XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT, NULL);
    stats = t_get_stats();
    CHECK_INT(stats.rotate + stats.access, 0);

    /* Two store handles are independent memory stores. */
    s2 = memory_store();
    st = xoxe_store_init(s2, XOXE_CHAIN_KIND_CONFIG, "xoxe-1-abc", NULL, -5, false, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
    xoxe_store_free(s2);

    xoxe_store_free(NULL);
    xoxe_rotator_free(NULL);
    xoxe_rotator_free(r);
    xoxe_store_free(s);
    xoxe_client_free(c);
    wipe(buf, sizeof buf);
}

/* Constructors: NULL and invalid arguments; options of zeros are the defaults. */
void test_rotator_new(void) {
    xoxe_client *c = t_client();
    xoxe_store *s = memory_store();
    xoxe_rotator *r = (xoxe_rotator *)SENTINEL;
    xoxe_error *e = NULL;
    xoxe_status st;
    xoxe_rotator_options zeros;
    char buf[TOKEN_BUF], first[TOKEN_BUF];
    int64_t exp = 0;
    int i, n;
    t_stats stats;
    t_app app = t_new_app(1);
    memset(&zeros, 0, sizeof zeros);

    st = xoxe_rotator_new_config(NULL, s, NULL, &r, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
    st = xoxe_rotator_new_config(c, NULL, NULL, &r, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
    st = xoxe_rotator_new_config(c, s, NULL, NULL, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
    st = xoxe_rotator_new_config(c, s, &zeros, NULL, NULL);
    CHECK_INT(st, XOXE_STATUS_NULL_ARGUMENT);
    CHECK(r == (xoxe_rotator *)SENTINEL);

    st = xoxe_rotator_new_oauth(NULL, s, app.client_id, app.client_secret, NULL, &r, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
    st = xoxe_rotator_new_oauth(c, NULL, app.client_id, app.client_secret, NULL, &r, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
    st = xoxe_rotator_new_oauth(c, s, NULL, app.client_secret, NULL, &r, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
    st = xoxe_rotator_new_oauth(c, s, app.client_id, NULL, NULL, &r, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
    st = xoxe_rotator_new_oauth(c, s, app.client_id, app.client_secret, NULL, NULL, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
    st = xoxe_rotator_new_oauth(c, s, "", app.client_secret, NULL, &r, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT);
    st = xoxe_rotator_new_oauth(c, s, app.client_id, "", NULL, &r, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT);
    st = xoxe_rotator_new_oauth(c, s, "\xff", app.client_secret, NULL, &r, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_UTF8, XOXE_STATUS_INVALID_UTF8);
    st = xoxe_rotator_new_oauth(c, s, app.client_id, "se cret", &zeros, &r, &e);
    if (e) CHECK_NO_SECRET(xoxe_error_get_info(e)->message, app.client_secret);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT);
    CHECK(r == (xoxe_rotator *)SENTINEL);

    /* NULL options and options of zeros behave alike (the defaults): one
     * rotation on first use of a seed, then the 12 h token is served from
     * memory. */
    for (n = 0; n < 2; n++) {
        t_config_pair cp = t_new_config(-1);
        xoxe_store *cs = memory_store();
        init_store(cs, XOXE_CHAIN_KIND_CONFIG, cp.refresh_token);
        r = config_rotator(c, cs, n == 0 ? NULL : &zeros);
        xoxe_store_free(cs); /* the rotator keeps its own reference */
        t_ctl_reset();
        if (r && FETCH_OK(GET, r, first, &exp)) {
            CHECK(exp > (int64_t)time(NULL) + SERVER_DEFAULT_TTL - 600);
            for (i = 0; i < t_iters(50, 10); i++)
                if (FETCH_OK(GET, r, buf, NULL)) CHECK(strcmp(buf, first) == 0);
        }
        stats = t_get_stats();
        CHECK_MSG(stats.rotate == 1, "options %s: %lld rotate requests", n ? "zeros" : "NULL", stats.rotate);
        xoxe_rotator_free(r);
    }

    /* call_timeout_ms is honoured: headers later than it are an unknown outcome
     * (the client's own timeout is the default 30 s). */
    {
        xoxe_rotator_options o = zeros;
        t_config_pair cp = t_new_config(-1);
        xoxe_store *cs = memory_store();
        char f[256];
        init_store(cs, XOXE_CHAIN_KIND_CONFIG, cp.refresh_token);
        o.call_timeout_ms = SHORT_TIMEOUT_MS;
        r = config_rotator(c, cs, &o);
        snprintf(f, sizeof f, "{\"method\":\"tooling.tokens.rotate\",\"kind\":\"slow_headers\",\"delay_ms\":%d}",
                 LONG_DELAY_MS);
        t_fault(f);
        EXPECT_FETCH_ERR(GET, r, XOXE_STATUS_OUTCOME_UNKNOWN, XOXE_STATUS_TIMEOUT, cp.refresh_token);
        /* The seed is still what the rotator holds. */
        if (FETCH_OK(CURRENT, r, buf, &exp)) CHECK_INT(exp, 0);
        xoxe_rotator_free(r);
        xoxe_store_free(cs);
    }

    /* An OAuth rotator on a config chain refuses it. */
    {
        xoxe_store *cs = memory_store();
        init_store(cs, XOXE_CHAIN_KIND_CONFIG, "xoxe-1-abc");
        st = xoxe_rotator_new_oauth(c, cs, app.client_id, app.client_secret, &zeros, &r, &e);
        CHECK_STATUS(st, XOXE_STATUS_OK, e);
        drop_err(&e);
        EXPECT_FETCH_ERR(GET, r, XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT, NULL);
        xoxe_rotator_free(r);
        xoxe_store_free(cs);
    }
    xoxe_store_free(s);
    xoxe_client_free(c);
    wipe(buf, sizeof buf);
    wipe(first, sizeof first);
}

/* get / force_rotate / current on a seeded config chain in a memory store. */
void test_rotator_config(void) {
    xoxe_client *c = t_client();
    xoxe_store *s = memory_store();
    t_config_pair cp = t_new_config(-1);
    xoxe_rotator *r;
    xoxe_error *e = NULL;
    xoxe_status st;
    char buf[TOKEN_BUF], tok[TOKEN_BUF], forced[TOKEN_BUF], small[16];
    int64_t exp = -1, exp2 = -1;
    long long before = (long long)time(NULL);
    size_t len = 0;
    int i;
    long long extra = 0;
    t_stats stats;

    init_store(s, XOXE_CHAIN_KIND_CONFIG, cp.refresh_token);
    r = config_rotator(c, s, NULL);
    t_ctl_reset();

    /* Never rotated: current gives the seed (empty token, expiry 0), no I/O. */
    memset(buf, 'Z', sizeof buf);
    if (FETCH_OK(CURRENT, r, buf, &exp)) {
        CHECK_INT(exp, 0);
        CHECK_STR(buf, "");
    }
    stats = t_get_stats();
    CHECK_INT(stats.rotate, 0);

    /* NULL rotator and buffer. */
    st = xoxe_rotator_get(NULL, buf, sizeof buf, &exp, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
    st = xoxe_rotator_get(r, NULL, sizeof buf, &exp, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
    st = xoxe_rotator_force_rotate(NULL, buf, sizeof buf, NULL, NULL);
    CHECK_INT(st, XOXE_STATUS_NULL_ARGUMENT);
    st = xoxe_rotator_current(r, NULL, 0, NULL, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
    stats = t_get_stats();
    CHECK_INT(stats.rotate, 0);

    /* Before the first rotation the non-blocking get lends nothing and rotates
     * nothing; its arguments are checked like get's. */
    {
        bool fresh = true;
        memset(buf, 'Z', sizeof buf);
        st = xoxe_rotator_try_get(r, buf, sizeof buf, &exp, &fresh, &e);
        CHECK_STATUS(st, XOXE_STATUS_OK, e);
        drop_err(&e);
        CHECK(!fresh && buf[0] == 'Z');
        st = xoxe_rotator_try_get(NULL, buf, sizeof buf, &exp, &fresh, &e);
        EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
        st = xoxe_rotator_try_get(r, buf, sizeof buf, &exp, NULL, &e);
        EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
        st = xoxe_rotator_try_get(r, buf, XOXE_MAX_TOKEN_LEN, &exp, &fresh, &e);
        EXPECT_ERR(st, e, XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT);
        CHECK_INT(t_get_stats().rotate, 0);
    }

    /* First get: exactly one rotation; the token works. */
    exp = -1;
    if (FETCH_OK(GET, r, tok, &exp)) {
        len = strlen(tok);
        CHECK(strncmp(tok, "xoxe.xoxp-", 10) == 0);
        CHECK(exp >= before + SERVER_DEFAULT_TTL - 5);
        CHECK(exp <= (long long)time(NULL) + SERVER_DEFAULT_TTL + 5);
        CHECK(len > 0 && len <= XOXE_MAX_TOKEN_LEN);
        CHECK_AUTH(c, tok);
    }
    stats = t_get_stats();
    CHECK_INT(stats.rotate, 1);
    CHECK_INT(stats.rotations, 1);

    /* A fresh token: the same one, from memory, no request; expires_at may be NULL. */
    for (i = 0; i < t_iters(200, 20); i++) {
        if (!FETCH_OK(GET, r, buf, i % 2 ? NULL : &exp2)) break;
        CHECK(strcmp(buf, tok) == 0);
        if (i % 2 == 0) CHECK_INT(exp2, exp);
    }
    exp2 = -1;
    if (FETCH_OK(CURRENT, r, buf, &exp2)) {
        CHECK(strcmp(buf, tok) == 0);
        CHECK_INT(exp2, exp);
    }
    if (FETCH_OK(CURRENT, r, buf, NULL)) CHECK(strcmp(buf, tok) == 0);
    {
        bool fresh = false;
        exp2 = -1;
        st = xoxe_rotator_try_get(r, buf, sizeof buf, &exp2, &fresh, &e);
        CHECK_STATUS(st, XOXE_STATUS_OK, e);
        drop_err(&e);
        CHECK(fresh && strcmp(buf, tok) == 0);
        CHECK_INT(exp2, exp);
    }
    /* The same token with the rotator's deadline for handing it out again: at
     * most REUSE_HORIZON_MS ahead, never before now; arguments checked like get's. */
    {
        int64_t until = -1;
        long long before = unix_ms();
        exp2 = -1;
        st = xoxe_rotator_get_reusable(r, buf, sizeof buf, &exp2, &until, &e);
        long long after = unix_ms();
        CHECK_STATUS(st, XOXE_STATUS_OK, e);
        drop_err(&e);
        CHECK(strcmp(buf, tok) == 0);
        CHECK_INT(exp2, exp);
        CHECK_MSG(until >= before && until <= after + REUSE_HORIZON_MS, "reuse_until_ms %lld, called %lld-%lld ms",
                  (long long)until, before, after);
        st = xoxe_rotator_get_reusable(NULL, buf, sizeof buf, &exp2, &until, &e);
        EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
        st = xoxe_rotator_get_reusable(r, buf, sizeof buf, &exp2, NULL, &e);
        EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
        st = xoxe_rotator_get_reusable(r, buf, XOXE_MAX_TOKEN_LEN, &exp2, &until, &e);
        EXPECT_ERR(st, e, XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT);
        CHECK_INT(t_get_stats().rotate, 1);
    }

    /* Buffers shorter than XOXE_MAX_TOKEN_LEN + 1 are refused before anything else
     * (so a short buffer never costs a rotation), even one the token would fit. */
    if (len > 0) {
        int64_t e7 = -7;
        size_t sizes[3];
        int k;
        sizes[0] = 0;
        sizes[1] = sizeof small;
        sizes[2] = len + 1;
        for (k = 0; k < 3; k++) {
            char *b = k == 2 ? buf : small;
            size_t j, blen = k == 2 ? sizeof buf : sizeof small;
            int touched = 0;
            memset(b, 'Z', blen);
            st = xoxe_rotator_get(r, b, sizes[k], &e7, &e);
            CHECK_MSG(st == XOXE_STATUS_INVALID_ARGUMENT, "buf_len %lu: %s", (unsigned long)sizes[k],
                      xoxe_status_name(st));
            if (e) {
                CHECK_ERROR_INFO(xoxe_error_get_info(e));
                CHECK_NO_SECRET(xoxe_error_get_info(e)->message, tok);
            }
            drop_err(&e);
            st = xoxe_rotator_current(r, b, sizes[k], &e7, NULL);
            CHECK_INT(st, XOXE_STATUS_INVALID_ARGUMENT);
            for (j = 0; j < blen; j++) touched |= b[j] != 'Z';
            CHECK_MSG(!touched, "buf_len %lu: buffer written", (unsigned long)sizes[k]);
            CHECK_INT(e7, -7);
        }
        wipe(buf, sizeof buf);
        st = xoxe_rotator_get(r, buf, sizeof buf, &e7, &e);
        CHECK_STATUS(st, XOXE_STATUS_OK, e);
        drop_err(&e);
        CHECK(strcmp(buf, tok) == 0);
        CHECK_INT(e7, exp);
    }
    stats = t_get_stats();
    CHECK_INT(stats.rotate, 1); /* all of the above served from memory */

    /* force_rotate into a zero-length buffer: INVALID_ARGUMENT (a usage error:
     * "nothing was sent"), nothing written. */
    {
        int64_t e7 = -7;
        memset(small, 'Z', sizeof small);
        st = xoxe_rotator_force_rotate(r, small, 0, &e7, &e);
        EXPECT_ERR(st, e, XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT);
        CHECK(small[0] == 'Z' && e7 == -7);
        stats = t_get_stats();
        CHECK(stats.rotate == 1);
        extra = stats.rotate - 1;
        if (extra > 0 && FETCH_OK(CURRENT, r, tok, &exp)) len = strlen(tok); /* the pair it rotated to */
    }

    /* force_rotate: a new token, one more rotation; get and current follow it. */
    if (FETCH_OK(FORCE, r, forced, &exp2)) {
        CHECK(strcmp(forced, tok) != 0);
        CHECK(exp2 >= exp);
        CHECK_AUTH(c, forced);
        if (FETCH_OK(GET, r, buf, NULL)) CHECK(strcmp(buf, forced) == 0);
        if (FETCH_OK(CURRENT, r, buf, NULL)) CHECK(strcmp(buf, forced) == 0);
    }
    stats = t_get_stats();
    CHECK_INT(stats.rotate, 2 + extra);
    CHECK_INT(stats.rotations, 2 + extra);
    CHECK_INT(stats.refresh_token_reuses, 0);
    /* A second rotator on the same store starts from the stored pair. */
    {
        xoxe_rotator *r2 = config_rotator(c, s, NULL);
        if (FETCH_OK(GET, r2, buf, &exp)) {
            CHECK(strcmp(buf, forced) == 0);
            CHECK_INT(exp, exp2);
        }
        xoxe_rotator_free(r2);
    }
    stats = t_get_stats();
    CHECK_INT(stats.rotate, 2 + extra);
    xoxe_rotator_free(r);
    xoxe_store_free(s);
    xoxe_client_free(c);
    wipe(buf, sizeof buf);
    wipe(tok, sizeof tok);
    wipe(forced, sizeof forced);
}

/* An OAuth (bot) chain, renewed with oauth.v2.access. */
void test_rotator_oauth(void) {
    xoxe_client *c = t_client();
    xoxe_store *s = memory_store();
    t_app app = t_new_app(1);
    char legacy[T_SECRET_MAX], buf[TOKEN_BUF], tok[TOKEN_BUF];
    xoxe_oauth_token *ot = NULL;
    xoxe_rotator *r = NULL;
    xoxe_error *e = NULL;
    xoxe_status st;
    int64_t exp = 0;
    t_stats stats;
    t_new_legacy(app.client_id, "bot", legacy, sizeof legacy);
    st = xoxe_oauth_v2_exchange(c, app.client_id, app.client_secret, legacy, 0, &ot, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
    if (ot) init_store(s, XOXE_CHAIN_KIND_OAUTH, xoxe_oauth_token_get_info(ot)->refresh_token);
    xoxe_oauth_token_free(ot);
    st = xoxe_rotator_new_oauth(c, s, app.client_id, app.client_secret, NULL, &r, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
    t_ctl_reset();
    if (r && FETCH_OK(GET, r, tok, &exp)) {
        CHECK(strncmp(tok, "xoxe.xoxb-", 10) == 0);
        CHECK(exp > (long long)time(NULL) + SERVER_DEFAULT_TTL - 600);
        CHECK_AUTH(c, tok);
        if (FETCH_OK(GET, r, buf, NULL)) CHECK(strcmp(buf, tok) == 0);
        if (FETCH_OK(FORCE, r, buf, NULL)) {
            CHECK(strcmp(buf, tok) != 0);
            CHECK_AUTH(c, buf);
        }
    }
    stats = t_get_stats();
    CHECK_INT(stats.access, 2);
    CHECK_INT(stats.refreshes, 2);
    CHECK_INT(stats.rotate, 0);
    CHECK_INT(stats.refresh_token_reuses, 0);
    xoxe_rotator_free(r);
    xoxe_store_free(s);
    xoxe_client_free(c);
    wipe(buf, sizeof buf);
    wipe(tok, sizeof tok);
}

/* ------------------------------------------------------------ single flight */

/* One rotation for 16 callers at once, through a memory store and a file store. */
void test_rotator_single_flight(void) {
    xoxe_client *c = t_client();
    xoxe_store *s = memory_store();
    t_config_pair cp = t_new_config(-1);
    char dir[512], path[600];
    init_store(s, XOXE_CHAIN_KIND_CONFIG, cp.refresh_token);
    single_flight(c, s, "memory store", NULL);
    xoxe_store_free(s);
    if (make_tmpdir(dir, sizeof dir) == 0) {
        snprintf(path, sizeof path, "%s/pair.json", dir);
        cp = t_new_config(-1);
        s = file_store(path, 0);
        init_store(s, XOXE_CHAIN_KIND_CONFIG, cp.refresh_token);
        single_flight(c, s, "file store", NULL);
        xoxe_store_free(s);
        remove_tree(dir);
    }
    xoxe_client_free(c);
}

/* ------------------------------------------------------- failed rotations */

/* The response to a rotation is lost after Slack applied it: OUTCOME_UNKNOWN,
 * one request, the store untouched; the spent token then kills the chain. */
void test_rotator_outcome_unknown(void) {
    xoxe_client *c = t_client();
    t_config_pair cp = t_new_config(-1);
    char dir[512], path[600], before[8192], after[8192];
    xoxe_store *s;
    xoxe_rotator *r;
    t_stats stats;
    long nb, na;
    if (make_tmpdir(dir, sizeof dir) != 0) return;
    snprintf(path, sizeof path, "%s/pair.json", dir);
    s = file_store(path, 0);
    init_store(s, XOXE_CHAIN_KIND_CONFIG, cp.refresh_token);
    r = config_rotator(c, s, NULL);
    nb = read_file(path, before, sizeof before);
    CHECK(nb > 0);
    t_ctl_reset();
    t_fault("{\"method\":\"tooling.tokens.rotate\",\"kind\":\"drop_after_apply\"}");
    EXPECT_FETCH_ERR(GET, r, XOXE_STATUS_OUTCOME_UNKNOWN, XOXE_STATUS_NETWORK, cp.refresh_token);
    stats = t_get_stats();
    CHECK_INT(stats.rotate, 1);      /* never retried */
    CHECK_INT(stats.rotations, 1);   /* Slack did apply it */
    CHECK_INT(stats.faults_fired, 1);
    na = read_file(path, after, sizeof after);
    CHECK_MSG(na == nb && memcmp(before, after, (size_t)nb) == 0, "the store file changed");
    {
        char buf[TOKEN_BUF];
        int64_t exp = -1;
        if (FETCH_OK(CURRENT, r, buf, &exp)) {
            CHECK_INT(exp, 0);
            CHECK_STR(buf, "");
        }
    }
    /* Nothing newer in the store and the refresh token is spent: a dead chain,
     * reported with Slack's reason. */
    EXPECT_FETCH_ERR(GET, r, XOXE_STATUS_CHAIN_DEAD, XOXE_STATUS_INVALID_REFRESH_TOKEN, cp.refresh_token);
    stats = t_get_stats();
    CHECK_INT(stats.rotate, 2);
    CHECK_INT(stats.refresh_token_reuses, 1);
    na = read_file(path, after, sizeof after);
    CHECK_MSG(na == nb && memcmp(before, after, (size_t)nb) == 0, "the store file changed");
    xoxe_rotator_free(r);
    xoxe_store_free(s);
    remove_tree(dir);
    xoxe_client_free(c);
    wipe(before, sizeof before);
    wipe(after, sizeof after);
}

/* A refresh token spent elsewhere, with nothing newer in the store. */
void test_rotator_chain_dead(void) {
    xoxe_client *c = t_client();
    t_config_pair cp = t_new_config(-1);
    xoxe_config_token *tok = NULL;
    xoxe_store *s = memory_store();
    xoxe_rotator *r;
    xoxe_error *e = NULL;
    xoxe_status st;
    char buf[TOKEN_BUF];
    int64_t exp = -7;
    st = xoxe_tooling_tokens_rotate(c, cp.refresh_token, 0, &tok, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
    xoxe_config_token_free(tok);
    init_store(s, XOXE_CHAIN_KIND_CONFIG, cp.refresh_token);
    r = config_rotator(c, s, NULL);
    t_ctl_reset();
    memset(buf, 'Z', sizeof buf);
    st = xoxe_rotator_get(r, buf, sizeof buf, &exp, &e);
    CHECK_STATUS(st, XOXE_STATUS_CHAIN_DEAD, e);
    CHECK(buf[0] == 'Z' && exp == -7);
    if (e) {
        const xoxe_error_info *info = xoxe_error_get_info(e);
        CHECK_ERROR_INFO(info);
        CHECK_INT(info->status, XOXE_STATUS_CHAIN_DEAD);
        CHECK_INT(info->cause, XOXE_STATUS_INVALID_REFRESH_TOKEN);
        CHECK_STR(info->slack_error, "invalid_refresh_token");
        CHECK_INT(info->http_status, 200);
        CHECK_INT(xoxe_status_family_of(info->status), XOXE_STATUS_FAMILY_STORE);
        CHECK(strstr(info->message, "issue a new token") != NULL);
        CHECK_NO_SECRET(info->message, cp.refresh_token);
    }
    drop_err(&e);
    /* Still dead on the next call (one more request, no rotation). */
    EXPECT_FETCH_ERR(FORCE, r, XOXE_STATUS_CHAIN_DEAD, XOXE_STATUS_INVALID_REFRESH_TOKEN, cp.refresh_token);
    CHECK_INT(t_get_stats().rotations, 0);
    xoxe_rotator_free(r);
    xoxe_store_free(s);
    xoxe_client_free(c);
    wipe(buf, sizeof buf);
}

/* ------------------------------------------------- the refresh window */

static long long wall_secs(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts); /* the clock the library reads */
    return (long long)ts.tv_sec;
}

/* One get on a fresh rotator over a stored pair of `lifetime` seconds that
 * expires `ahead` seconds from now. Returns 1 when the wall clock stayed in one
 * second around the call (`*rotated` then says whether get rotated), 0 when it
 * ticked (the attempt proves nothing), -1 on a failure (already reported). */
static int window_attempt(const xoxe_client *c, long long lifetime, long long ahead, int *rotated) {
    int released = 0, judged = -1;
    cas_store *cs = NULL;
    xoxe_store *s = cas_new(0, &released, &cs);
    t_config_pair cp = t_new_config(-1);
    xoxe_rotator *r = NULL;
    xoxe_error *e = NULL;
    xoxe_status st;
    char buf[TOKEN_BUF];
    int64_t exp = -1;
    long long t0, t1, rotate_before;
    char *doc;
    if (s == NULL) return -1;
    r = config_rotator(c, s, NULL);
    xoxe_store_free(s);
    rotate_before = t_get_stats().rotate;
    t0 = wall_secs();
    doc = config_doc(cp.token, cp.refresh_token, t0 + ahead, 1, lifetime);
    CAS_DO(cs, cs->doc = doc; cs->gen = 1);
    st = r && doc ? xoxe_rotator_get(r, buf, sizeof buf, &exp, &e) : XOXE_STATUS_PANIC;
    t1 = wall_secs();
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
    if (st == XOXE_STATUS_OK && t1 == t0) {
        *rotated = t_get_stats().rotate > rotate_before;
        /* Either a new pair, or the stored one as it was. */
        if (*rotated) CHECK(strcmp(buf, cp.token) != 0 && exp > t0 + ahead);
        else CHECK(strcmp(buf, cp.token) == 0 && exp == t0 + ahead);
        judged = 1;
    } else if (st == XOXE_STATUS_OK) {
        judged = 0;
    }
    xoxe_rotator_free(r);
    CHECK_INT(released, 1);
    wipe(buf, sizeof buf);
    return judged;
}

/* Short tokens rotate at half their lifetime, rounded up (README: tokens living
 * less than twice the window "rotate at half their lifetime"): for an odd
 * lifetime L the window is (L + 1) / 2 s, so a token expiring that many seconds
 * from now is rotated at once, and one expiring a second later is served as it
 * is. A window rounded down would serve the first. Windows under 4 s get no
 * jitter (it is capped at a quarter of the window), so the decision is exact;
 * the pair comes from a store document that states its lifetime. An attempt
 * during which the wall clock ticks proves nothing and is repeated. */
void test_rotator_short_window(void) {
    xoxe_client *c = t_client();
    static const long long lifetimes[] = {3, 5};
    size_t i;
    int expect_rotate, tries, got, rotated = -1;
    for (i = 0; i < sizeof lifetimes / sizeof lifetimes[0]; i++) {
        long long life = lifetimes[i], window = (life + 1) / 2;
        for (expect_rotate = 1; expect_rotate >= 0; expect_rotate--) {
            long long ahead = expect_rotate ? window : window + 1;
            got = 0;
            for (tries = 0; tries < 20 && got == 0; tries++) got = window_attempt(c, life, ahead, &rotated);
            if (got == 0) t_fail(__FILE__, __LINE__, "lifetime %lld: the clock ticked during 20 attempts", life);
            if (got == 1)
                CHECK_MSG(rotated == expect_rotate,
                          "lifetime %lld s, expiring in %lld s: %s (the window is %lld s, half the lifetime rounded up)",
                          life, ahead, rotated ? "rotated" : "not rotated", window);
        }
    }
    CHECK_INT(t_get_stats().refresh_token_reuses, 0);
    xoxe_client_free(c);
}

/* ------------------------------------------------------ a skewed Slack clock */

static void set_server_clock(long long offset) {
    char body[64];
    snprintf(body, sizeof body, "{\"offset_secs\":%lld}", offset);
    t_ctl("POST", "clock", body, NULL, NULL, 0);
}

/* "A skewed clock does not matter": a rotated pair expires at this machine's
 * send time plus the token's lifetime, never at Slack's `exp`. With the fake
 * Slack's clock 3 h ahead and then 3 h behind (its own answers show it), a
 * config chain's and an OAuth chain's new expiry lies between the local time
 * before the call and after it, plus the lifetime. */
void test_rotator_skewed_clock(void) {
    static const long long offsets[] = {3 * 3600, -3 * 3600};
    xoxe_client *c = t_client();
    t_app app = t_new_app(1);
    size_t i;
    for (i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
        long long off = offsets[i], before, after;
        char buf[TOKEN_BUF], legacy[T_SECRET_MAX];
        int64_t exp = -1, cur = -1;
        xoxe_error *e = NULL;
        xoxe_status st;
        set_server_clock(off);
        /* Slack's own clock is skewed: its iat says so. */
        {
            t_config_pair cp = t_new_config(-1);
            xoxe_config_token *tok = NULL;
            before = wall_secs();
            st = xoxe_tooling_tokens_rotate(c, cp.refresh_token, 0, &tok, &e);
            after = wall_secs();
            CHECK_STATUS(st, XOXE_STATUS_OK, e);
            drop_err(&e);
            if (tok) {
                const xoxe_config_token_info *ti = xoxe_config_token_get_info(tok);
                CHECK_MSG(ti->iat >= before + off && ti->iat <= after + off,
                          "offset %lld: Slack's iat is %lld s from local time", off, (long long)ti->iat - before);
                CHECK_INT(ti->exp - ti->iat, SERVER_DEFAULT_TTL);
            }
            xoxe_config_token_free(tok);
        }
        /* A config chain. */
        {
            t_config_pair cp = t_new_config(-1);
            xoxe_store *s = memory_store();
            xoxe_rotator *r;
            init_store(s, XOXE_CHAIN_KIND_CONFIG, cp.refresh_token);
            r = config_rotator(c, s, NULL);
            before = wall_secs();
            if (r && FETCH_OK(GET, r, buf, &exp)) {
                after = wall_secs();
                CHECK_MSG(exp >= before + SERVER_DEFAULT_TTL && exp <= after + SERVER_DEFAULT_TTL,
                          "offset %lld: config chain expires %lld s after the call, expected %d", off,
                          (long long)exp - before, SERVER_DEFAULT_TTL);
                CHECK_AUTH(c, buf);
                if (FETCH_OK(CURRENT, r, buf, &cur)) CHECK_INT(cur, exp);
            }
            xoxe_rotator_free(r);
            xoxe_store_free(s);
        }
        /* An OAuth chain (Slack sends expires_in). */
        {
            xoxe_store *s = memory_store();
            xoxe_oauth_token *ot = NULL;
            xoxe_rotator *r = NULL;
            t_new_legacy(app.client_id, "bot", legacy, sizeof legacy);
            st = xoxe_oauth_v2_exchange(c, app.client_id, app.client_secret, legacy, 0, &ot, &e);
            CHECK_STATUS(st, XOXE_STATUS_OK, e);
            drop_err(&e);
            if (ot) init_store(s, XOXE_CHAIN_KIND_OAUTH, xoxe_oauth_token_get_info(ot)->refresh_token);
            xoxe_oauth_token_free(ot);
            st = xoxe_rotator_new_oauth(c, s, app.client_id, app.client_secret, NULL, &r, &e);
            CHECK_STATUS(st, XOXE_STATUS_OK, e);
            drop_err(&e);
            before = wall_secs();
            if (r && FETCH_OK(GET, r, buf, &exp)) {
                after = wall_secs();
                CHECK_MSG(exp >= before + SERVER_DEFAULT_TTL && exp <= after + SERVER_DEFAULT_TTL,
                          "offset %lld: OAuth chain expires %lld s after the call, expected %d", off,
                          (long long)exp - before, SERVER_DEFAULT_TTL);
                CHECK_AUTH(c, buf);
            }
            xoxe_rotator_free(r);
            xoxe_store_free(s);
        }
        wipe(buf, sizeof buf);
        wipe(legacy, sizeof legacy);
    }
    set_server_clock(0); /* reset does not touch the clock */
    CHECK_INT(t_get_stats().refresh_token_reuses, 0);
    xoxe_client_free(c);
}

/* ----------------------------------------------------------------- logging */

/* What the log callback collected: every line (non-secret by contract), the
 * levels seen, under a mutex (the callback may run on any thread). */
typedef struct {
    pthread_mutex_t mu;
    char text[65536];
    size_t len;
    long lines, bad_levels, null_messages;
} log_sink;

static void log_collect(void *user_data, uint32_t level, const char *message) {
    log_sink *k = user_data;
    size_t n;
    pthread_mutex_lock(&k->mu);
    k->lines++;
    if (level < XOXE_LOG_LEVEL_ERROR || level > XOXE_LOG_LEVEL_DEBUG) k->bad_levels++;
    if (message == NULL) {
        k->null_messages++;
    } else {
        n = strlen(message);
        if (k->len + n + 2 < sizeof k->text) {
            memcpy(k->text + k->len, message, n);
            k->len += n;
            k->text[k->len++] = '\n';
            k->text[k->len] = '\0';
        }
    }
    pthread_mutex_unlock(&k->mu);
}

/* xoxe_set_logger around rotator work: rotations, an unknown outcome and a dead
 * chain are logged, at valid levels, and no line holds a token. */
void test_logger_rotation(void) {
    static log_sink k;
    xoxe_client *c = t_client();
    xoxe_store *s = memory_store();
    t_config_pair cp = t_new_config(-1);
    xoxe_rotator *r;
    xoxe_error *e = NULL;
    xoxe_status st;
    char tok[TOKEN_BUF], forced[TOKEN_BUF];
    long lines, harness_lines;
    memset(&k, 0, sizeof k);
    pthread_mutex_init(&k.mu, NULL);
    init_store(s, XOXE_CHAIN_KIND_CONFIG, cp.refresh_token);
    r = config_rotator(c, s, NULL);
    tok[0] = forced[0] = '\0';
    st = xoxe_set_logger(log_collect, &k, XOXE_LOG_LEVEL_DEBUG, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
    FETCH_OK(GET, r, tok, NULL);
    FETCH_OK(FORCE, r, forced, NULL);
    t_fault("{\"method\":\"tooling.tokens.rotate\",\"kind\":\"drop_after_apply\"}");
    EXPECT_FETCH_ERR(FORCE, r, XOXE_STATUS_OUTCOME_UNKNOWN, XOXE_STATUS_NETWORK, NULL);
    EXPECT_FETCH_ERR(FORCE, r, XOXE_STATUS_CHAIN_DEAD, XOXE_STATUS_INVALID_REFRESH_TOKEN, NULL);
    st = xoxe_set_logger(NULL, NULL, 0, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
    pthread_mutex_lock(&k.mu);
    lines = k.lines;
    CHECK(k.lines > 0);
    CHECK_INT(k.bad_levels, 0);
    CHECK_INT(k.null_messages, 0);
    CHECK_NO_SECRET(k.text, cp.refresh_token);
    CHECK_NO_SECRET(k.text, cp.token);
    CHECK_NO_SECRET(k.text, tok);
    CHECK_NO_SECRET(k.text, forced);
    pthread_mutex_unlock(&k.mu);
    /* Off: not called again. */
    EXPECT_FETCH_ERR(FORCE, r, XOXE_STATUS_CHAIN_DEAD, XOXE_STATUS_INVALID_REFRESH_TOKEN, NULL);
    CHECK_INT(k.lines, lines);
    /* Logging back on (the harness's stderr logger, when XOXE_LOG is set) for
     * this test's last call and every test after it (the matrix): the secret
     * scan reads what they log. A dead chain logs at every level. */
    t_log_restore();
    harness_lines = t_log_lines();
    EXPECT_FETCH_ERR(FORCE, r, XOXE_STATUS_CHAIN_DEAD, XOXE_STATUS_INVALID_REFRESH_TOKEN, NULL);
    if (t_log_level() > 0)
        CHECK_MSG(t_log_lines() > harness_lines, "no library line reached stderr after t_log_restore");
    CHECK_INT(k.lines, lines);
    xoxe_rotator_free(r);
    xoxe_store_free(s);
    xoxe_client_free(c);
    pthread_mutex_destroy(&k.mu);
    wipe(k.text, sizeof k.text);
    wipe(tok, sizeof tok);
    wipe(forced, sizeof forced);
}
