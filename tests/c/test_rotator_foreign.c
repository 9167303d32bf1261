/* Foreign (host callback) stores through the C ABI, over the compare-and-swap
 * store in cas_store.c: the callbacks' contract, failure codes, conflicts and
 * release; the re-read before a chain is declared dead; the lockless race of
 * two rotators; a short-lived chain kept alive under concurrent use; and single
 * flight through a store without a lock.
 *
 * Secrets: tokens are compared in memory and never printed. Token buffers are
 * wiped when a test is done with them. */
#include "harness.h"
#include "tests.h"
#include "rotator_support.h"
#include "cas_store.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------ small helpers */

static double mono_secs(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void set_server_ttl(long long ttl) {
    char body[64];
    snprintf(body, sizeof body, "{\"ttl\":%lld}", ttl);
    t_ctl("POST", "ttl", body, NULL, NULL, 0);
}

/* ---------------------------------------------------------- foreign stores */

/* The callbacks' contract, failure codes, conflicts and release. */
void test_store_foreign(void) {
    xoxe_client *c = t_client();
    int released = 0, i;
    cas_store *cs = NULL;
    xoxe_store *s, *bad = (xoxe_store *)SENTINEL;
    xoxe_rotator *r, *r2;
    xoxe_error *e = NULL;
    xoxe_status st;
    xoxe_store_callbacks cb;
    t_config_pair cp = t_new_config(-1);
    char buf[TOKEN_BUF], tok[TOKEN_BUF];
    int64_t exp = -1;
    long long reuses = 0;
    t_stats stats;
    /* Empty until a call fills them: a failed call leaves them defined. */
    buf[0] = tok[0] = '\0';

    /* Creation: required callbacks, lock with unlock, a UTF-8 name. A failed
     * creation never calls release (the host still owns user_data). */
    {
        static int dummy_released;
        cas_store dummy;
        memset(&dummy, 0, sizeof dummy);
        dummy.released = &dummy_released;
        cb = cas_callbacks(&dummy, 1);
        st = xoxe_store_foreign_new(NULL, "x", &bad, &e);
        EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
        st = xoxe_store_foreign_new(&cb, "x", NULL, &e);
        EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
        st = xoxe_store_foreign_new(&cb, "\xff", &bad, &e);
        EXPECT_ERR(st, e, XOXE_STATUS_INVALID_UTF8, XOXE_STATUS_INVALID_UTF8);
        cb.load = NULL;
        st = xoxe_store_foreign_new(&cb, "x", &bad, &e);
        EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
        cb = cas_callbacks(&dummy, 1);
        cb.save = NULL;
        st = xoxe_store_foreign_new(&cb, "x", &bad, &e);
        EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
        cb = cas_callbacks(&dummy, 1);
        cb.unlock = NULL;
        st = xoxe_store_foreign_new(&cb, "x", &bad, &e);
        EXPECT_ERR(st, e, XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT);
        cb = cas_callbacks(&dummy, 0);
        cb.unlock = cas_unlock;
        st = xoxe_store_foreign_new(&cb, "x", &bad, NULL);
        CHECK_INT(st, XOXE_STATUS_INVALID_ARGUMENT);
        CHECK(bad == (xoxe_store *)SENTINEL);
        CHECK_INT(dummy_released, 0);
        CHECK_INT(dummy.loads + dummy.saves + dummy.locks, 0);
        /* NULL name, no release callback: fine. */
        cb = cas_callbacks(&dummy, 0);
        cb.release = NULL;
        st = xoxe_store_foreign_new(&cb, NULL, &bad, &e);
        CHECK_STATUS(st, XOXE_STATUS_OK, e);
        drop_err(&e);
        if (st == XOXE_STATUS_OK) xoxe_store_free(bad);
        CHECK_INT(dummy_released, 0);
    }

    s = cas_new(1, &released, &cs);
    if (s == NULL) {
        xoxe_client_free(c);
        return;
    }
    /* xoxe_store_value_set with NULLs is a no-op (outside a callback too). */
    xoxe_store_value_set(NULL, NULL);
    xoxe_store_value_set(NULL, "{}");

    /* A failing load: init and the rotator report STORE_IO. */
    r = config_rotator(c, s, NULL);
    CAS_DO(cs, cs->fail_load = 2);
    st = xoxe_store_init(s, XOXE_CHAIN_KIND_CONFIG, cp.refresh_token, NULL, 0, false, &e);
    if (e) CHECK(strstr(xoxe_error_get_info(e)->message, "c-cas-store") != NULL);
    EXPECT_ERR(st, e, XOXE_STATUS_STORE_IO, XOXE_STATUS_STORE_IO);
    EXPECT_FETCH_ERR(GET, r, XOXE_STATUS_STORE_IO, XOXE_STATUS_STORE_IO, NULL);
    /* Nothing stored: STORE_EMPTY. A save that conflicts during init: STORE_CONFLICT. */
    EXPECT_FETCH_ERR(CURRENT, r, XOXE_STATUS_STORE_EMPTY, XOXE_STATUS_STORE_EMPTY, NULL);
    CAS_DO(cs, cs->conflict_save = 1);
    st = xoxe_store_init(s, XOXE_CHAIN_KIND_CONFIG, cp.refresh_token, NULL, 0, false, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_STORE_CONFLICT, XOXE_STATUS_STORE_CONFLICT);
    CAS_DO(cs, cs->fail_save = 1);
    st = xoxe_store_init(s, XOXE_CHAIN_KIND_CONFIG, cp.refresh_token, NULL, 0, false, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_STORE_IO, XOXE_STATUS_STORE_IO);
    CHECK(cs->doc == NULL);
    /* init: one save, expecting nothing stored, generation 0. */
    init_store(s, XOXE_CHAIN_KIND_CONFIG, cp.refresh_token);
    CHECK(cs->doc != NULL && strstr(cs->doc, cp.refresh_token) != NULL);
    CHECK_INT(cs->gen, 0);
    CHECK_INT(cs->stored, 1);
    CHECK_INT(cs->gen_mismatch, 0);
    st = xoxe_store_init(s, XOXE_CHAIN_KIND_CONFIG, cp.refresh_token, NULL, 0, false, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_STORE_CONFLICT, XOXE_STATUS_STORE_CONFLICT);
    CHECK_INT(cs->stored, 1);

    /* Documents that are not a pair. */
    CAS_DO(cs, cs->load_mode = 1);
    EXPECT_FETCH_ERR(GET, r, XOXE_STATUS_STORE_CORRUPT, XOXE_STATUS_STORE_CORRUPT, NULL);
    CAS_DO(cs, cs->load_mode = 2);
    EXPECT_FETCH_ERR(GET, r, XOXE_STATUS_STORE_CORRUPT, XOXE_STATUS_STORE_CORRUPT, NULL);
    /* A pair without a refresh token is not a pair (as the file store says). */
    CAS_DO(cs, cs->load_mode = 4);
    t_ctl_reset();
    {
        xoxe_rotator *probe = config_rotator(c, s, NULL);
        xoxe_status got;
        char b2[TOKEN_BUF];
        memset(b2, 'Z', sizeof b2);
        got = xoxe_rotator_get(probe, b2, sizeof b2, NULL, &e);
        CHECK(b2[0] == 'Z');
        CHECK(got == XOXE_STATUS_STORE_CORRUPT);
        CHECK(got != XOXE_STATUS_OK);
        drop_err(&e);
        CHECK_INT(t_get_stats().rotate, 0);
        xoxe_rotator_free(probe);
    }
    /* value_set with a NULL argument sets nothing: the store reads as empty. */
    CAS_DO(cs, cs->load_mode = 3);
    EXPECT_FETCH_ERR(CURRENT, r, XOXE_STATUS_STORE_EMPTY, XOXE_STATUS_STORE_EMPTY, NULL);
    CAS_DO(cs, cs->load_mode = 0);

    /* A lock that cannot be taken: LOCK_TIMEOUT, nothing sent. */
    t_ctl_reset();
    CAS_DO(cs, cs->fail_lock = 1);
    EXPECT_FETCH_ERR(GET, r, XOXE_STATUS_LOCK_TIMEOUT, XOXE_STATUS_LOCK_TIMEOUT, NULL);
    CHECK_INT(t_get_stats().rotate, 0);

    /* One spurious conflict on save: retried once on top of what is stored. */
    CAS_DO(cs, cs->conflict_save = 1);
    if (FETCH_OK(GET, r, tok, &exp)) CHECK_AUTH(c, tok);
    CHECK_INT(cs->gen, 1);
    CHECK_INT(cs->conflicts, 2); /* the one during init above, and this one */
    stats = t_get_stats();
    CHECK_INT(stats.rotations, 1);

    /* Conflicts twice: STORE_CONFLICT. The rotated pair (the only valid one at
     * Slack now) is kept in memory, never handed out before it is stored, and
     * saved on a later call without another rotation. */
    CAS_DO(cs, cs->conflict_save = 2);
    EXPECT_FETCH_ERR(FORCE, r, XOXE_STATUS_STORE_CONFLICT, XOXE_STATUS_STORE_CONFLICT, tok);
    CHECK_INT(cs->gen, 1);
    stats = t_get_stats();
    CHECK_INT(stats.rotations, 2);
    /* The very next call should save it: until then the store holds only a spent
     * refresh token, and a restart of this process would kill the chain. */
    if (FETCH_OK(GET, r, buf, &exp)) {
        CHECK(cs->gen == 2);
        if (cs->gen == 1) {
            /* What a restarted process would see. */
            xoxe_rotator *restarted = config_rotator(c, s, NULL);
            EXPECT_FETCH_ERR(FORCE, restarted, XOXE_STATUS_CHAIN_DEAD, XOXE_STATUS_INVALID_REFRESH_TOKEN, tok);
            xoxe_rotator_free(restarted);
            reuses++;
            /* A call that takes the slow path does save it. */
            FETCH_OK(FORCE, r, buf, &exp);
        }
        CHECK(strcmp(buf, tok) != 0);
        CHECK_AUTH(c, buf);
        CHECK(cs->doc != NULL && strstr(cs->doc, buf) != NULL);
    }
    CHECK_INT(cs->gen, 2);
    stats = t_get_stats();
    CHECK_INT(stats.rotations, 2);

    /* A failing save (-1): STORE_IO, then the same recovery (a forced call
     * takes the slow path, which saves the pending pair). */
    CAS_DO(cs, cs->fail_save = 1);
    EXPECT_FETCH_ERR(FORCE, r, XOXE_STATUS_STORE_IO, XOXE_STATUS_STORE_IO, buf);
    CHECK_INT(cs->gen, 2);
    if (FETCH_OK(FORCE, r, tok, &exp)) {
        CHECK(strcmp(buf, tok) != 0);
        CHECK_AUTH(c, tok);
        CHECK(cs->doc != NULL && strstr(cs->doc, tok) != NULL);
    }
    CHECK_INT(cs->gen, 3);
    stats = t_get_stats();
    CHECK_INT(stats.rotations, 3);
    CHECK_INT(stats.refresh_token_reuses, reuses);
    CHECK_INT(cs->gen_mismatch, 0);
    CHECK_INT(cs->locks, cs->unlocks);
    CHECK_INT(cs->bad_unlocks, 0);
    CHECK_INT(cs->held, 0);

    /* Overwrite: replaces the chain (expected generation 3, new 4). */
    {
        t_config_pair cp2 = t_new_config(-1);
        st = xoxe_store_init(s, XOXE_CHAIN_KIND_CONFIG, cp2.refresh_token, NULL, 0, true, &e);
        CHECK_STATUS(st, XOXE_STATUS_OK, e);
        drop_err(&e);
        CHECK_INT(cs->gen, 4);
        CHECK(cs->doc != NULL && strstr(cs->doc, cp2.refresh_token) != NULL);
        r2 = config_rotator(c, s, NULL);
        if (FETCH_OK(GET, r2, buf, NULL)) CHECK_AUTH(c, buf);
        CHECK_INT(cs->gen, 5);
    }

    /* release: once, only after the store and every rotator are freed. */
    xoxe_store_free(s);
    CHECK_INT(released, 0);
    for (i = 0; i < 3; i++) FETCH_OK(GET, r2, buf, NULL); /* still usable */
    xoxe_rotator_free(r);
    CHECK_INT(released, 0);
    xoxe_rotator_free(r2);
    CHECK_INT(released, 1);
    xoxe_client_free(c);
    wipe(buf, sizeof buf);
    wipe(tok, sizeof tok);
}

/* Re-read before declaring the chain dead: another writer's newer pair is
 * found after the rejection. */
void test_store_foreign_reread(void) {
    xoxe_client *c = t_client();
    int released = 0;
    cas_store *cs = NULL;
    xoxe_store *s = cas_new(1, &released, &cs);
    t_config_pair cp = t_new_config(-1);
    xoxe_config_token *theirs = NULL;
    xoxe_rotator *r;
    xoxe_error *e = NULL;
    xoxe_status st;
    char buf[TOKEN_BUF];
    int64_t exp = 0;
    if (s == NULL) {
        xoxe_client_free(c);
        return;
    }
    init_store(s, XOXE_CHAIN_KIND_CONFIG, cp.refresh_token);
    r = config_rotator(c, s, NULL);
    /* "Another process" rotates the seed and saves its pair right after our load. */
    st = xoxe_tooling_tokens_rotate(c, cp.refresh_token, 0, &theirs, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
    if (theirs) {
        const xoxe_config_token_info *ti = xoxe_config_token_get_info(theirs);
        char *doc = config_doc(ti->token, ti->refresh_token, (long long)time(NULL) + 40000, 1, 43200);
        CAS_DO(cs, cs->swap_doc = doc);
        t_ctl_reset();
        if (FETCH_OK(GET, r, buf, &exp)) {
            CHECK(strcmp(buf, ti->token) == 0);
            CHECK_AUTH(c, buf);
        }
        CHECK_INT(t_get_stats().refresh_token_reuses, 1); /* our attempt with the spent token */
        CHECK_INT(cs->gen, 1);
        xoxe_config_token_free(theirs);
    }
    xoxe_store_free(s);
    xoxe_rotator_free(r);
    CHECK_INT(released, 1);
    xoxe_client_free(c);
    wipe(buf, sizeof buf);
}

/* Without a lock, compare-and-swap alone is documented to keep a shared chain
 * correct ("at the cost of a rare wasted rotation"). Two rotators race: A's
 * rotation is applied by Slack but not yet saved when B, having loaded the same
 * pair, is refused the spent token, re-reads the store at once, finds nothing
 * newer and declares the chain dead (a human must issue a new token) — while
 * A is about to save a perfectly live pair. A slow save (a remote database)
 * is all it takes; two rotators on one memory store have the same window. */
typedef struct {
    const xoxe_rotator *r;
    xoxe_status st;
    char token[TOKEN_BUF];
} one_get;

static void *one_get_run(void *arg) {
    one_get *g = arg;
    xoxe_error *e = NULL;
    g->st = xoxe_rotator_get(g->r, g->token, sizeof g->token, NULL, &e);
    xoxe_error_free(e);
    return NULL;
}

void test_store_foreign_lockless_race(void) {
    xoxe_client *c = t_client();
    int released = 0, waited = 0, started;
    cas_store *cs = NULL;
    xoxe_store *s = cas_new(0, &released, &cs);
    t_config_pair cp = t_new_config(-1);
    xoxe_rotator *ra, *rb;
    static one_get a;
    pthread_t th;
    xoxe_error *e = NULL;
    xoxe_status st_b;
    char buf[TOKEN_BUF];
    if (s == NULL) {
        xoxe_client_free(c);
        return;
    }
    init_store(s, XOXE_CHAIN_KIND_CONFIG, cp.refresh_token);
    ra = config_rotator(c, s, NULL);
    rb = config_rotator(c, s, NULL);
    xoxe_store_free(s);
    t_ctl_reset();
    memset(&a, 0, sizeof a);
    a.r = ra;
    CAS_DO(cs, cs->hold_saves = 1);
    started = pthread_create(&th, NULL, one_get_run, &a) == 0;
    CHECK(started);
    if (started) {
        /* Wait (bounded) until A's rotation is done at Slack and its save waits. */
        pthread_mutex_lock(&cs->mu);
        while (cs->saves_waiting == 0 && waited < 600) {
            pthread_mutex_unlock(&cs->mu);
            sleep_ms(100);
            waited++;
            pthread_mutex_lock(&cs->mu);
        }
        waited = cs->saves_waiting;
        /* A's save goes on once B has loaded twice (its rotation's read and the
         * re-read after Slack's rejection), so B's re-read still sees the old
         * pair; a rotator that looked again later would find A's. */
        cs->release_after_loads = 2;
        pthread_mutex_unlock(&cs->mu);
        CHECK_MSG(waited == 1, "A's save never started");
        /* B, meanwhile. */
        st_b = xoxe_rotator_get(rb, buf, sizeof buf, NULL, &e);
        CHECK(st_b != XOXE_STATUS_CHAIN_DEAD);
        drop_err(&e);
        CAS_DO(cs, cs->hold_saves = 0; pthread_cond_broadcast(&cs->cv));
        pthread_join(th, NULL);
        CHECK_STATUS(a.st, XOXE_STATUS_OK, NULL);
        /* The chain was alive all along: B recovers on its next call. */
        if (a.st == XOXE_STATUS_OK) {
            CHECK_AUTH(c, a.token);
            if (FETCH_OK(GET, rb, buf, NULL)) CHECK(strcmp(buf, a.token) == 0);
        }
        CHECK_INT(t_get_stats().rotations, 1);
    }
    xoxe_rotator_free(ra);
    xoxe_rotator_free(rb);
    CHECK_INT(released, 1);
    xoxe_client_free(c);
    wipe(a.token, sizeof a.token);
    wipe(buf, sizeof buf);
}

/* ------------------------------------------ concurrent use of a CAS store */

typedef struct {
    const xoxe_client *client;
    const xoxe_rotator *rotator;
    double until;
    long gets, auths, changes;
    int errors;
    int where;            /* 1 get, 2 auth.test, 3 current */
    xoxe_status first, cause;
    char message[256];
} stress_worker;

static void stress_note(stress_worker *w, int where, xoxe_status st, xoxe_error *e) {
    if (w->errors++ == 0) {
        const xoxe_error_info *info = xoxe_error_get_info(e);
        w->where = where;
        w->first = st;
        w->cause = info ? info->cause : st;
        snprintf(w->message, sizeof w->message, "%s", info ? info->message : "(no error handle)");
    }
}

static void *stress_run(void *arg) {
    stress_worker *w = arg;
    char buf[TOKEN_BUF], last[TOKEN_BUF];
    last[0] = '\0';
    while (mono_secs() < w->until && w->errors < 3) {
        xoxe_error *e = NULL;
        xoxe_auth_identity *id = NULL;
        int64_t exp = 0;
        xoxe_status st = xoxe_rotator_get(w->rotator, buf, sizeof buf, &exp, &e);
        w->gets++;
        if (st != XOXE_STATUS_OK) {
            stress_note(w, 1, st, e);
            xoxe_error_free(e);
            continue;
        }
        if (strcmp(buf, last) != 0) {
            w->changes++;
            memcpy(last, buf, strlen(buf) + 1);
        }
        st = xoxe_auth_test(w->client, buf, 0, &id, &e);
        w->auths++;
        if (st != XOXE_STATUS_OK) stress_note(w, 2, st, e);
        xoxe_error_free(e);
        xoxe_auth_identity_free(id);
        e = NULL;
        if (w->gets % 4 == 0) {
            st = xoxe_rotator_current(w->rotator, buf, sizeof buf, NULL, &e);
            if (st != XOXE_STATUS_OK) stress_note(w, 3, st, e);
            xoxe_error_free(e);
        }
        sleep_ms(15);
    }
    wipe(buf, sizeof buf);
    wipe(last, sizeof last);
    return NULL;
}

#define NSTRESS 8

/* 8 threads and two rotators share a locked compare-and-swap store in C while
 * tokens live 3 s (the window is then half the lifetime): no refresh token is
 * ever used twice and every token handed out works. */
void test_store_foreign_concurrent(void) {
    xoxe_client *c = t_client();
    int released = 0, i, started[NSTRESS];
    cas_store *cs = NULL;
    xoxe_store *s = cas_new(1, &released, &cs);
    t_config_pair cp = t_new_config(-1);
    xoxe_rotator *r[2];
    static stress_worker w[NSTRESS];
    pthread_t th[NSTRESS];
    long long ttl = t_slow_mode() ? 6 : 3;
    double secs = t_slow_mode() ? 4.0 : 6.0, until;
    long gets = 0, auths = 0, changes = 0;
    t_stats stats;
    char buf[TOKEN_BUF];
    if (s == NULL) {
        xoxe_client_free(c);
        return;
    }
    init_store(s, XOXE_CHAIN_KIND_CONFIG, cp.refresh_token);
    r[0] = config_rotator(c, s, NULL);
    r[1] = config_rotator(c, s, NULL);
    xoxe_store_free(s); /* the rotators keep it alive */
    set_server_ttl(ttl);
    t_ctl_reset();
    until = mono_secs() + secs;
    for (i = 0; i < NSTRESS; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].client = c;
        w[i].rotator = r[i % 2];
        w[i].until = until;
    }
    for (i = 0; i < NSTRESS; i++) {
        started[i] = pthread_create(&th[i], NULL, stress_run, &w[i]) == 0;
        CHECK(started[i]);
    }
    for (i = 0; i < NSTRESS; i++)
        if (started[i]) pthread_join(th[i], NULL);
    for (i = 0; i < NSTRESS; i++) {
        gets += w[i].gets;
        auths += w[i].auths;
        changes += w[i].changes;
        CHECK_MSG(w[i].errors == 0, "thread %d: %d errors; first in %s: %s (cause %s): %s", i, w[i].errors,
                  w[i].where == 1 ? "get" : w[i].where == 2 ? "auth.test" : "current",
                  xoxe_status_name(w[i].first), xoxe_status_name(w[i].cause), w[i].message);
    }
    /* The chain is still alive. */
    if (FETCH_OK(GET, r[0], buf, NULL)) CHECK_AUTH(c, buf);
    if (FETCH_OK(GET, r[1], buf, NULL)) CHECK_AUTH(c, buf);
    stats = t_get_stats();
    set_server_ttl(SERVER_DEFAULT_TTL);
    printf("    note: %.0f s, token TTL %lld s: %lld rotations, %ld gets, %ld auth.test, %ld token changes seen\n",
           secs, ttl, stats.rotations, gets, auths, changes);
    CHECK_INT(stats.refresh_token_reuses, 0);
    CHECK(stats.rotations >= 1);
    CHECK_INT(stats.rotate, stats.rotations);
    /* Every rotation saved exactly once, under the lock, without a conflict. */
    pthread_mutex_lock(&cs->mu);
    CHECK_INT(cs->gen, stats.rotations);
    CHECK_INT(cs->stored, stats.rotations + 1);
    CHECK_INT(cs->conflicts, 0);
    CHECK_INT(cs->gen_mismatch, 0);
    CHECK_INT(cs->locks, cs->unlocks);
    CHECK_INT(cs->bad_unlocks, 0);
    CHECK_INT(cs->held, 0);
    pthread_mutex_unlock(&cs->mu);
    xoxe_rotator_free(r[0]);
    CHECK_INT(released, 0);
    xoxe_rotator_free(r[1]);
    CHECK_INT(released, 1);
    xoxe_client_free(c);
    wipe(buf, sizeof buf);
}

/* ------------------------------------------- single flight without a lock */

/* Single flight inside one process is the rotator's own gate, not the store's
 * lock: 16 threads call get at once on a chain that needs rotating, through a
 * compare-and-swap store with no lock callbacks, while Slack takes its time
 * answering the rotation (a `delay` fault on every rotate call widens the window
 * in which a second rotation could start). Exactly one rotation, no refresh
 * token sent twice, one save. (rotator_single_flight's memory and file stores
 * would pass without the gate: their lock and the re-read under it hide its
 * absence.) */
void test_store_foreign_single_flight(void) {
    xoxe_client *c = t_client();
    int released = 0;
    cas_store *cs = NULL;
    xoxe_store *s = cas_new(0, &released, &cs);
    t_config_pair cp = t_new_config(-1);
    char fault[160];
    if (s == NULL) {
        xoxe_client_free(c);
        return;
    }
    init_store(s, XOXE_CHAIN_KIND_CONFIG, cp.refresh_token);
    /* 0.5 s only widens the window; the gate keeps the count at 1 however long
     * the rotation takes. */
    snprintf(fault, sizeof fault,
             "{\"method\":\"tooling.tokens.rotate\",\"kind\":\"delay\",\"delay_ms\":500,\"count\":%d}", NFLIGHT);
    single_flight(c, s, "lockless CAS store", fault);
    pthread_mutex_lock(&cs->mu);
    CHECK_MSG(cs->stored == 2 && cs->gen == 1, "%ld saves (with init), generation %llu: expected 2 and 1", cs->stored,
              (unsigned long long)cs->gen);
    CHECK_INT(cs->conflicts, 0);
    CHECK_INT(cs->locks, 0);
    pthread_mutex_unlock(&cs->mu);
    xoxe_store_free(s);
    CHECK_INT(released, 1);
    xoxe_client_free(c);
}
