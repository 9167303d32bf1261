/* One client shared by 8 threads, each running its own rotation chain. */
#include "harness.h"
#include "tests.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define NTHREADS 8

typedef struct {
    const xoxe_client *client;
    int index, iterations;
    /* Config chain (even threads) or OAuth refresh chain (odd threads). */
    t_config_pair cp;
    t_app app;
    char refresh[T_SECRET_MAX];
    int errors;
    xoxe_status first_error;
} worker;

static void note(worker *w, xoxe_status st, xoxe_error *e) {
    if (st != XOXE_STATUS_OK) {
        if (w->errors++ == 0) w->first_error = st;
    }
    xoxe_error_free(e);
}

static void *run(void *arg) {
    worker *w = arg;
    char rt[T_SECRET_MAX], token[T_SECRET_MAX];
    int i;
    if (w->index % 2 == 0) {
        snprintf(rt, sizeof rt, "%s", w->cp.refresh_token);
        snprintf(token, sizeof token, "%s", w->cp.token);
    } else {
        snprintf(rt, sizeof rt, "%s", w->refresh);
        token[0] = '\0';
    }
    for (i = 0; i < w->iterations && w->errors == 0; i++) {
        xoxe_error *e = NULL;
        xoxe_status st;
        if (token[0]) {
            xoxe_auth_identity *id = NULL;
            st = xoxe_auth_test(w->client, token, 0, &id, &e);
            note(w, st, e);
            xoxe_auth_identity_free(id);
            e = NULL;
        }
        if (w->index % 2 == 0) {
            xoxe_config_token *tok = NULL;
            st = xoxe_tooling_tokens_rotate(w->client, rt, 0, &tok, &e);
            note(w, st, e);
            if (st == XOXE_STATUS_OK) {
                const xoxe_config_token_info *info = xoxe_config_token_get_info(tok);
                snprintf(rt, sizeof rt, "%s", info->refresh_token);
                snprintf(token, sizeof token, "%s", info->token);
            }
            xoxe_config_token_free(tok);
        } else {
            xoxe_oauth_token *ot = NULL;
            st = xoxe_oauth_v2_refresh(w->client, w->app.client_id, w->app.client_secret, rt, 0, &ot, &e);
            note(w, st, e);
            if (st == XOXE_STATUS_OK) {
                const xoxe_oauth_token_info *info = xoxe_oauth_token_get_info(ot);
                snprintf(rt, sizeof rt, "%s", info->refresh_token);
                snprintf(token, sizeof token, "%s", info->access_token);
            }
            xoxe_oauth_token_free(ot);
        }
    }
    return NULL;
}

void test_threads(void) {
    xoxe_client *c = t_client();
    worker w[NTHREADS];
    pthread_t th[NTHREADS];
    int i, iters = t_iters(12, 3), started[NTHREADS];
    long long want_rot = 0, want_ref = 0;
    t_stats s;
    memset(w, 0, sizeof w);
    for (i = 0; i < NTHREADS; i++) {
        w[i].client = c;
        w[i].index = i;
        w[i].iterations = iters;
        if (i % 2 == 0) {
            w[i].cp = t_new_config(-1);
            want_rot += iters;
        } else {
            char legacy[T_SECRET_MAX];
            xoxe_oauth_token *ot = NULL;
            xoxe_error *e = NULL;
            xoxe_status st;
            w[i].app = t_new_app(1);
            t_new_legacy(w[i].app.client_id, i % 4 == 1 ? "bot" : "user", legacy, sizeof legacy);
            st = xoxe_oauth_v2_exchange(c, w[i].app.client_id, w[i].app.client_secret, legacy, 0, &ot, &e);
            CHECK_STATUS(st, XOXE_STATUS_OK, e);
            xoxe_error_free(e);
            if (ot) snprintf(w[i].refresh, sizeof w[i].refresh, "%s", xoxe_oauth_token_get_info(ot)->refresh_token);
            xoxe_oauth_token_free(ot);
            want_ref += iters;
        }
    }
    t_ctl_reset();
    for (i = 0; i < NTHREADS; i++) {
        started[i] = pthread_create(&th[i], NULL, run, &w[i]) == 0;
        CHECK(started[i]);
    }
    for (i = 0; i < NTHREADS; i++)
        if (started[i]) pthread_join(th[i], NULL);
    for (i = 0; i < NTHREADS; i++)
        CHECK_MSG(w[i].errors == 0, "thread %d: %d errors, first %s", i, w[i].errors,
                  xoxe_status_name(w[i].first_error));
    s = t_get_stats();
    CHECK_INT(s.rotations, want_rot);
    CHECK_INT(s.refreshes, want_ref);
    CHECK_INT(s.refresh_token_reuses, 0);
    CHECK_INT(s.auth_test, (long long)NTHREADS * iters - (NTHREADS / 2));
    xoxe_client_free(c);
}
