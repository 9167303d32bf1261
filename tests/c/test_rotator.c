/* The rotator and its stores through the C ABI: memory, file and foreign
 * (host callback) stores; xoxe_store_init; rotators for config and OAuth
 * chains; get / force_rotate / current; single flight across threads (also
 * through a store without a lock); what the store holds after every kind of
 * failure; a compare-and-swap store written in C that keeps a short-lived
 * chain alive under concurrent use; the refresh window of short tokens; expiry
 * under a skewed Slack clock; and the logger callback.
 *
 * Secrets: tokens are compared in memory and never printed. Token buffers are
 * wiped when a test is done with them. */
#include "harness.h"
#include "tests.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TOKEN_BUF (XOXE_MAX_TOKEN_LEN + 1)
#define FAR_FUTURE 4102444800LL /* 2100-01-01, Unix seconds */
#define SERVER_DEFAULT_TTL 43200
#define SHORT_TIMEOUT_MS (t_slow_mode() ? 2500u : 1000u)
#define LONG_DELAY_MS (t_slow_mode() ? 8000 : 4000)

/* ------------------------------------------------------------ small helpers */

static void wipe(void *p, size_t n) {
    volatile unsigned char *v = p;
    while (n--) *v++ = 0;
}

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

/* Frees `*e` and clears it (for calls whose failure was already checked). */
static void drop_err(xoxe_error **e) {
    xoxe_error_free(*e);
    *e = NULL;
}

static xoxe_store *memory_store(void) {
    xoxe_store *s = NULL;
    xoxe_error *e = NULL;
    xoxe_status st = xoxe_store_memory_new(&s, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
    return s;
}

static void init_store(const xoxe_store *s, uint32_t kind, const char *refresh) {
    xoxe_error *e = NULL;
    xoxe_status st = xoxe_store_init(s, kind, refresh, NULL, 0, false, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
}

static xoxe_rotator *config_rotator(const xoxe_client *c, const xoxe_store *s,
                                    const xoxe_rotator_options *o) {
    xoxe_rotator *r = NULL;
    xoxe_error *e = NULL;
    xoxe_status st = xoxe_rotator_new_config(c, s, o, &r, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
    return r;
}

/* get / force_rotate / current, expecting success. */
enum { GET, FORCE, CURRENT };
static xoxe_status fetch(int how, const xoxe_rotator *r, char *buf, int64_t *exp, xoxe_error **e) {
    switch (how) {
    case GET: return xoxe_rotator_get(r, buf, TOKEN_BUF, exp, e);
    case FORCE: return xoxe_rotator_force_rotate(r, buf, TOKEN_BUF, exp, e);
    default: return xoxe_rotator_current(r, buf, TOKEN_BUF, exp, e);
    }
}
#define FETCH_OK(how, r, buf, exp) fetch_ok(__LINE__, (how), (r), (buf), (exp))
static int fetch_ok(int line, int how, const xoxe_rotator *r, char *buf, int64_t *exp) {
    xoxe_error *e = NULL;
    xoxe_status st = fetch(how, r, buf, exp, &e);
    t_check_status(__FILE__, line, how == GET ? "xoxe_rotator_get" : how == FORCE ? "xoxe_rotator_force_rotate"
                                                                                  : "xoxe_rotator_current",
                   st, XOXE_STATUS_OK, e);
    if (st == XOXE_STATUS_OK && e != NULL) t_fail(__FILE__, line, "success wrote an error handle");
    drop_err(&e);
    return st == XOXE_STATUS_OK;
}

/* auth.test accepts `token`. */
#define CHECK_AUTH(c, token) check_auth(__LINE__, (c), (token))
static void check_auth(int line, const xoxe_client *c, const char *token) {
    xoxe_auth_identity *id = NULL;
    xoxe_error *e = NULL;
    xoxe_status st = xoxe_auth_test(c, token, 0, &id, &e);
    t_check_status(__FILE__, line, "xoxe_auth_test(rotated token)", st, XOXE_STATUS_OK, e);
    drop_err(&e);
    xoxe_auth_identity_free(id);
}

/* A failed rotator call: status, cause, buffer and expiry untouched, no secret
 * in the message. */
#define EXPECT_FETCH_ERR(how, r, want, cause, secret) \
    expect_fetch_err(__LINE__, (how), (r), (want), (cause), (secret))
static void expect_fetch_err(int line, int how, const xoxe_rotator *r, xoxe_status want, xoxe_status cause,
                             const char *secret) {
    char buf[TOKEN_BUF];
    int64_t exp = -7;
    xoxe_error *e = NULL;
    xoxe_status st;
    size_t i;
    int touched = 0;
    memset(buf, 'Z', sizeof buf);
    st = fetch(how, r, buf, &exp, &e);
    for (i = 0; i < sizeof buf; i++) touched |= buf[i] != 'Z';
    if (touched) t_fail(__FILE__, line, "token buffer written on failure");
    if (exp != -7) t_fail(__FILE__, line, "expires_at written on failure");
    if (e) {
        const xoxe_error_info *info = xoxe_error_get_info(e);
        if (info) {
            t_check_no_secret(__FILE__, line, "message", info->message, secret);
            t_check_no_secret(__FILE__, line, "response_json", info->response_json, secret);
        }
    }
    t_expect_err(__FILE__, line, "rotator call", st, &e, want, cause);
    wipe(buf, sizeof buf);
}

/* -------------------------------------------------------------- temp files */

static int make_tmpdir(char *out, size_t n) {
    const char *tmp = getenv("TMPDIR");
    snprintf(out, n, "%s/xoxe-c-store.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (mkdtemp(out) == NULL) {
        t_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static int count_entries(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;
    if (d == NULL) return -1;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) n++;
    closedir(d);
    return n;
}

static void remove_tree(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *de;
    char p[1024];
    if (d != NULL) {
        while ((de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
            snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
            if (unlink(p) != 0) rmdir(p);
        }
        closedir(d);
    }
    if (rmdir(dir) != 0) t_fail(__FILE__, __LINE__, "cannot remove %s: %s", dir, strerror(errno));
}

static void write_file(const char *path, const char *content, mode_t mode) {
    FILE *f = fopen(path, "w");
    if (f == NULL || fputs(content, f) < 0) t_fail(__FILE__, __LINE__, "cannot write %s", path);
    if (f) fclose(f);
    if (chmod(path, mode) != 0) t_fail(__FILE__, __LINE__, "chmod %s: %s", path, strerror(errno));
}

/* Reads a whole (small) file; returns its length or -1. */
static long read_file(const char *path, char *buf, size_t n) {
    FILE *f = fopen(path, "r");
    size_t got;
    if (f == NULL) return -1;
    got = fread(buf, 1, n - 1, f);
    fclose(f);
    buf[got] = '\0';
    return (long)got;
}

static int file_mode(const char *path) {
    struct stat sb;
    if (stat(path, &sb) != 0) return -1;
    return (int)(sb.st_mode & 0777);
}

static xoxe_store *file_store(const char *path, uint32_t lock_timeout_ms) {
    xoxe_store *s = NULL;
    xoxe_error *e = NULL;
    xoxe_status st = xoxe_store_file_new(path, lock_timeout_ms, &s, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
    return s;
}

/* ------------------------------------------- a compare-and-swap store in C */

/* What a host keeps: one document (a secret) and its generation, behind a
 * mutex, plus a "fleet" lock (a flag and a condition variable, so that unlock
 * need not run on the locking thread), counters and fault knobs. Owned by the
 * xoxe store once created: `release` frees it and bumps `*released`. */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int held;
    char *doc;
    uint64_t gen;
    /* counters */
    long loads, saves, stored, conflicts, locks, unlocks, bad_unlocks, gen_mismatch;
    /* knobs: counts of upcoming calls to fail, or modes */
    int fail_load, fail_save, conflict_save, fail_lock;
    int load_mode;       /* 0 normal, 1 bad JSON, 2 invalid UTF-8, 3 value_set with NULLs only,
                            4 a pair without a refresh token */
    char *swap_doc;      /* installed right after the next load (a concurrent writer) */
    int hold_saves;      /* saves wait while set */
    int release_after_loads; /* clears hold_saves when this many more loads are done */
    int saves_waiting;
    int *released;
} cas_store;

#define CAS_DO(s, stmt)                      \
    do {                                     \
        pthread_mutex_lock(&(s)->mu);        \
        stmt;                                \
        pthread_mutex_unlock(&(s)->mu);      \
    } while (0)

static void secret_free(char *p) {
    if (p) {
        wipe(p, strlen(p));
        free(p);
    }
}

static char *dup_str(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

static int32_t cas_load(void *user_data, xoxe_store_value *value) {
    cas_store *s = user_data;
    int32_t rc = 0;
    pthread_mutex_lock(&s->mu);
    s->loads++;
    if (s->fail_load > 0) {
        s->fail_load--;
        rc = -1;
    } else if (s->load_mode == 1) {
        xoxe_store_value_set(value, "{\"kind\":\"config\",\"refresh_tok");
    } else if (s->load_mode == 2) {
        xoxe_store_value_set(value, "{\"kind\":\"config\",\"refresh_token\":\"xoxe-1-\xff\xfe\"}");
    } else if (s->load_mode == 4) {
        xoxe_store_value_set(value, "{\"kind\":\"config\",\"refresh_token\":\"\",\"generation\":7}");
    } else if (s->load_mode == 3) {
        xoxe_store_value_set(value, NULL);
        xoxe_store_value_set(NULL, s->doc ? s->doc : "{}");
    } else if (s->doc != NULL) {
        xoxe_store_value_set(value, s->doc);
        if (s->swap_doc != NULL) {
            long long g = 0;
            secret_free(s->doc);
            s->doc = s->swap_doc;
            s->swap_doc = NULL;
            if (t_json_int(s->doc, "generation", &g) == 0) s->gen = (uint64_t)g;
        }
    }
    if (s->release_after_loads > 0 && --s->release_after_loads == 0) {
        s->hold_saves = 0;
        pthread_cond_broadcast(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int32_t cas_save(void *user_data, bool expected_present, uint64_t expected_generation,
                        uint64_t new_generation, const char *document) {
    cas_store *s = user_data;
    int32_t rc;
    long long g = -1;
    pthread_mutex_lock(&s->mu);
    s->saves++;
    if (s->hold_saves) {
        s->saves_waiting++;
        pthread_cond_broadcast(&s->cv);
        while (s->hold_saves) pthread_cond_wait(&s->cv, &s->mu);
        s->saves_waiting--;
    }
    if (document == NULL) {
        rc = -2;
    } else if (s->fail_save > 0) {
        s->fail_save--;
        rc = -1;
    } else if (s->conflict_save > 0) {
        s->conflict_save--;
        s->conflicts++;
        rc = 1;
    } else if (expected_present ? (s->doc == NULL || s->gen != expected_generation) : s->doc != NULL) {
        s->conflicts++;
        rc = 1;
    } else {
        char *copy = dup_str(document);
        if (copy == NULL) {
            rc = -3;
        } else {
            if (t_json_int(document, "generation", &g) != 0 || (uint64_t)g != new_generation) s->gen_mismatch++;
            secret_free(s->doc);
            s->doc = copy;
            s->gen = new_generation;
            s->stored++;
            rc = 0;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int32_t cas_lock(void *user_data) {
    cas_store *s = user_data;
    int32_t rc = 0;
    pthread_mutex_lock(&s->mu);
    if (s->fail_lock > 0) {
        s->fail_lock--;
        rc = -1;
    } else {
        while (s->held) pthread_cond_wait(&s->cv, &s->mu);
        s->held = 1;
        s->locks++;
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static void cas_unlock(void *user_data) {
    cas_store *s = user_data;
    pthread_mutex_lock(&s->mu);
    if (!s->held) s->bad_unlocks++;
    s->held = 0;
    s->unlocks++;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static void cas_release(void *user_data) {
    cas_store *s = user_data;
    int *released = s->released;
    secret_free(s->doc);
    secret_free(s->swap_doc);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
    (*released)++;
}

static xoxe_store_callbacks cas_callbacks(cas_store *s, int with_lock) {
    xoxe_store_callbacks cb;
    memset(&cb, 0, sizeof cb);
    cb.user_data = s;
    cb.load = cas_load;
    cb.save = cas_save;
    if (with_lock) {
        cb.lock = cas_lock;
        cb.unlock = cas_unlock;
    }
    cb.release = cas_release;
    return cb;
}

/* A new foreign store over a new cas_store; `*state` is valid until release. */
static xoxe_store *cas_new(int with_lock, int *released, cas_store **state) {
    cas_store *s = calloc(1, sizeof *s);
    xoxe_store_callbacks cb;
    xoxe_store *store = (xoxe_store *)SENTINEL;
    xoxe_error *e = NULL;
    xoxe_status st;
    *state = NULL;
    if (s == NULL) {
        t_fail(__FILE__, __LINE__, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    s->released = released;
    cb = cas_callbacks(s, with_lock);
    st = xoxe_store_foreign_new(&cb, "c-cas-store", &store, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    drop_err(&e);
    if (st != XOXE_STATUS_OK) {
        cas_release(s); /* creation failed: the host still owns user_data */
        return NULL;
    }
    *state = s;
    return store;
}

/* ===================================================================== tests */

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

#define NFLIGHT 16

typedef struct {
    const xoxe_rotator *rotator;
    pthread_barrier_t *barrier;
    xoxe_status st;
    char token[TOKEN_BUF];
} flight_worker;

static void *flight_run(void *arg) {
    flight_worker *w = arg;
    xoxe_error *e = NULL;
    pthread_barrier_wait(w->barrier);
    w->st = xoxe_rotator_get(w->rotator, w->token, sizeof w->token, NULL, &e);
    xoxe_error_free(e);
    return NULL;
}

/* 16 threads call get on a chain that needs rotating: one rotation. `fault`
 * (or NULL) is injected first, e.g. a delay that widens the race. */
static void single_flight(const xoxe_client *c, const xoxe_store *s, const char *what, const char *fault) {
    static flight_worker w[NFLIGHT];
    pthread_t th[NFLIGHT];
    pthread_barrier_t barrier;
    xoxe_rotator *r = config_rotator(c, s, NULL);
    int i, started[NFLIGHT], ok = 0, same = 0;
    t_stats stats;
    if (r == NULL) return;
    pthread_barrier_init(&barrier, NULL, NFLIGHT);
    t_ctl_reset();
    if (fault) t_fault(fault);
    for (i = 0; i < NFLIGHT; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].rotator = r;
        w[i].barrier = &barrier;
        w[i].st = XOXE_STATUS_PANIC;
    }
    for (i = 0; i < NFLIGHT; i++) {
        started[i] = pthread_create(&th[i], NULL, flight_run, &w[i]) == 0;
        CHECK(started[i]);
        if (!started[i]) {
            /* Cannot reach the barrier count: give up (abort rather than hang). */
            fprintf(stderr, "pthread_create failed\n");
            abort();
        }
    }
    for (i = 0; i < NFLIGHT; i++) pthread_join(th[i], NULL);
    for (i = 0; i < NFLIGHT; i++) {
        if (w[i].st == XOXE_STATUS_OK) ok++;
        else t_fail(__FILE__, __LINE__, "%s: thread %d: %s", what, i, xoxe_status_name(w[i].st));
        if (w[i].st == XOXE_STATUS_OK && strcmp(w[i].token, w[0].token) == 0) same++;
    }
    CHECK_MSG(ok == NFLIGHT && same == NFLIGHT, "%s: %d ok, %d got the first thread's token", what, ok, same);
    stats = t_get_stats();
    CHECK_MSG(stats.rotate == 1 && stats.rotations == 1, "%s: %lld rotate requests, %lld rotations for %d callers",
              what, stats.rotate, stats.rotations, NFLIGHT);
    CHECK_MSG(stats.refresh_token_reuses == 0, "%s: %lld refresh tokens sent again", what,
              stats.refresh_token_reuses);
    if (fault) t_ctl_clear_faults(); /* what the one rotation did not use */
    if (ok) CHECK_AUTH(c, w[0].token);
    for (i = 0; i < NFLIGHT; i++) wipe(w[i].token, sizeof w[i].token);
    pthread_barrier_destroy(&barrier);
    xoxe_rotator_free(r);
}

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

/* ------------------------------------------------------------- file stores */

/* Mode 0600, atomic replace, a second handle sees the new pair, the lock
 * timeout, bad arguments. */
void test_store_file(void) {
    xoxe_client *c = t_client();
    t_config_pair cp = t_new_config(-1);
    char dir[512], path[600], lockp[640], tok[TOKEN_BUF], buf[TOKEN_BUF], text[2 * TOKEN_BUF];
    xoxe_store *a, *b = NULL, *s = (xoxe_store *)SENTINEL;
    xoxe_rotator *ra = NULL, *rb = NULL;
    xoxe_error *e = NULL;
    xoxe_status st;
    int64_t exp = -1, expb = -1;
    t_stats stats;
    if (make_tmpdir(dir, sizeof dir) != 0) return;
    snprintf(path, sizeof path, "%s/pair.json", dir);
    snprintf(lockp, sizeof lockp, "%s.lock", path);

    st = xoxe_store_file_new(NULL, 0, &s, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
    st = xoxe_store_file_new("", 0, &s, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT);
    st = xoxe_store_file_new("/tmp/\xff.json", 0, &s, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_UTF8, XOXE_STATUS_INVALID_UTF8);
    st = xoxe_store_file_new(path, 0, NULL, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
    CHECK(s == (xoxe_store *)SENTINEL);
    /* Its directory must exist: init fails with an I/O error naming the path. */
    {
        char missing[700];
        xoxe_store *m;
        snprintf(missing, sizeof missing, "%s/no/such/dir/pair.json", dir);
        m = file_store(missing, 0);
        st = xoxe_store_init(m, XOXE_CHAIN_KIND_CONFIG, cp.refresh_token, NULL, 0, false, &e);
        CHECK_STATUS(st, XOXE_STATUS_STORE_IO, e);
        if (e) {
            CHECK(strstr(xoxe_error_get_info(e)->message, "no/such/dir") != NULL);
            CHECK_NO_SECRET(xoxe_error_get_info(e)->message, cp.refresh_token);
        }
        drop_err(&e);
        xoxe_store_free(m);
    }

    a = file_store(path, 0);
    CHECK_INT(file_mode(path), -1); /* created by init, not by the handle */
    init_store(a, XOXE_CHAIN_KIND_CONFIG, cp.refresh_token);
    CHECK_INT(file_mode(path), 0600);
    /* The document holds the seed (read back; never printed). */
    if (read_file(path, text, sizeof text) > 0) {
        CHECK(strstr(text, cp.refresh_token) != NULL);
        CHECK(strstr(text, "\"config\"") != NULL);
    }
    b = file_store(path, 0);
    ra = config_rotator(c, a, NULL);
    rb = config_rotator(c, b, NULL);
    xoxe_store_free(a); /* the rotators keep their stores alive */
    xoxe_store_free(b);
    t_ctl_reset();
    /* b has the unrotated seed in memory. */
    if (FETCH_OK(CURRENT, rb, buf, &expb)) CHECK_INT(expb, 0);
    if (FETCH_OK(GET, ra, tok, &exp)) {
        CHECK_INT(file_mode(path), 0600);
        CHECK_INT(file_mode(lockp), 0600);
        if (read_file(path, text, sizeof text) > 0) {
            CHECK(strstr(text, tok) != NULL);          /* persisted before handed out */
            CHECK(strstr(text, cp.refresh_token) == NULL); /* the spent one is gone */
        }
        /* b re-reads the store under the lock instead of rotating. */
        if (FETCH_OK(GET, rb, buf, &expb)) {
            CHECK(strcmp(buf, tok) == 0);
            CHECK_INT(expb, exp);
        }
        /* A third handle, and a fresh rotator on it: current without I/O to Slack. */
        {
            xoxe_store *s3 = file_store(path, 0);
            xoxe_rotator *r3 = config_rotator(c, s3, NULL);
            if (FETCH_OK(CURRENT, r3, buf, &expb)) {
                CHECK(strcmp(buf, tok) == 0);
                CHECK_INT(expb, exp);
            }
            xoxe_rotator_free(r3);
            xoxe_store_free(s3);
        }
        CHECK_AUTH(c, tok);
    }
    stats = t_get_stats();
    CHECK_INT(stats.rotate, 1);
    /* Only the store and its lock file: no temp files left behind. */
    CHECK_INT(count_entries(dir), 2);

    /* b forces a rotation; a, holding the previous pair in memory, still serves
     * it (fresh), and a fresh rotator on the file sees b's pair. */
    if (FETCH_OK(FORCE, rb, buf, &expb)) {
        CHECK(strcmp(buf, tok) != 0);
        CHECK_INT(file_mode(path), 0600);
        {
            xoxe_store *s3 = file_store(path, 0);
            xoxe_rotator *r3 = config_rotator(c, s3, NULL);
            xoxe_store_free(s3);
            if (FETCH_OK(GET, r3, text, NULL)) CHECK(strcmp(text, buf) == 0);
            xoxe_rotator_free(r3);
        }
    }
    stats = t_get_stats();
    CHECK_INT(stats.rotate, 2);
    CHECK_INT(stats.refresh_token_reuses, 0);

    /* lock_timeout_ms: another holder of <path>.lock makes a rotation wait, then
     * fail with LOCK_TIMEOUT; the store is unchanged. */
    {
        int fd = open(lockp, O_RDWR);
        xoxe_store *ls = file_store(path, 300);
        xoxe_rotator *lr = config_rotator(c, ls, NULL);
        CHECK(fd >= 0);
        if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0) {
            EXPECT_FETCH_ERR(FORCE, lr, XOXE_STATUS_LOCK_TIMEOUT, XOXE_STATUS_LOCK_TIMEOUT, NULL);
            flock(fd, LOCK_UN);
            if (FETCH_OK(GET, lr, text, NULL)) CHECK(strcmp(text, buf) == 0); /* no lock needed */
        } else {
            t_fail(__FILE__, __LINE__, "cannot flock %s", lockp);
        }
        if (fd >= 0) close(fd);
        xoxe_rotator_free(lr);
        xoxe_store_free(ls);
    }
    stats = t_get_stats();
    CHECK_INT(stats.rotate, 2);

    xoxe_rotator_free(ra);
    xoxe_rotator_free(rb);
    remove_tree(dir);
    xoxe_client_free(c);
    wipe(tok, sizeof tok);
    wipe(buf, sizeof buf);
    wipe(text, sizeof text);
}

/* A bad store file is a clear error naming the path, from init and the rotator. */
static void expect_bad_file(const xoxe_client *c, const char *path, xoxe_status want, const char *what) {
    xoxe_store *s = file_store(path, 0);
    xoxe_rotator *r = config_rotator(c, s, NULL);
    xoxe_error *e = NULL;
    xoxe_status st;
    char buf[TOKEN_BUF];
    int64_t exp = -7;
    memset(buf, 'Z', sizeof buf);
    st = xoxe_rotator_get(r, buf, sizeof buf, &exp, &e);
    CHECK_MSG(st == want, "%s: get returned %s, expected %s", what, xoxe_status_name(st), xoxe_status_name(want));
    CHECK_MSG(buf[0] == 'Z' && exp == -7, "%s: out-parameters written on failure", what);
    if (e) {
        const xoxe_error_info *info = xoxe_error_get_info(e);
        CHECK_ERROR_INFO(info);
        CHECK_MSG(strstr(info->message, path) != NULL, "%s: message does not name the path: %s", what,
                  info->message);
    } else {
        t_fail(__FILE__, __LINE__, "%s: no error handle", what);
    }
    drop_err(&e);
    st = xoxe_rotator_current(r, buf, sizeof buf, &exp, NULL);
    CHECK_MSG(st == want, "%s: current returned %s", what, xoxe_status_name(st));
    /* init reads the store first (a missing file is an empty store: init works). */
    st = xoxe_store_init(s, XOXE_CHAIN_KIND_CONFIG, "xoxe-1-abc", NULL, 0, false, &e);
    CHECK_MSG(st == (want == XOXE_STATUS_STORE_EMPTY ? XOXE_STATUS_OK : want), "%s: init returned %s", what,
              xoxe_status_name(st));
    drop_err(&e);
    xoxe_rotator_free(r);
    xoxe_store_free(s);
}

void test_store_file_errors(void) {
    xoxe_client *c = t_client();
    char dir[512], path[600];
    t_stats stats;
    if (make_tmpdir(dir, sizeof dir) != 0) return;
    snprintf(path, sizeof path, "%s/pair.json", dir);
    t_ctl_reset();
    expect_bad_file(c, path, XOXE_STATUS_STORE_EMPTY, "missing file");
    write_file(path, "", 0600);
    expect_bad_file(c, path, XOXE_STATUS_STORE_CORRUPT, "empty file");
    write_file(path, "{\"kind\":\"config\",\"refresh_tok", 0600);
    expect_bad_file(c, path, XOXE_STATUS_STORE_CORRUPT, "truncated JSON");
    write_file(path, "[1,2,3]", 0600);
    expect_bad_file(c, path, XOXE_STATUS_STORE_CORRUPT, "wrong JSON");
    write_file(path, "{\"kind\":\"config\",\"refresh_token\":\"\"}", 0600);
    expect_bad_file(c, path, XOXE_STATUS_STORE_CORRUPT, "no refresh token");
    write_file(path, "{\"kind\":\"config\",\"refresh_token\":\"xoxe-1-abc\"}", 0644);
    expect_bad_file(c, path, XOXE_STATUS_STORE_PERMISSIONS, "mode 0644");
    write_file(path, "{\"kind\":\"config\",\"refresh_token\":\"xoxe-1-abc\"}", 0640);
    expect_bad_file(c, path, XOXE_STATUS_STORE_PERMISSIONS, "mode 0640");
    CHECK_INT(unlink(path), 0);
    CHECK_INT(mkdir(path, 0700), 0);
    expect_bad_file(c, path, XOXE_STATUS_STORE_PERMISSIONS, "a directory");
    stats = t_get_stats();
    CHECK_INT(stats.rotate, 0);
    remove_tree(dir);
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

/* ---------------------------------------------------------- foreign stores */

/* Builds a config-chain document (a secret) for a cas_store. */
static char *config_doc(const char *access, const char *refresh, long long expires_at, unsigned long long gen,
                        long long lifetime) {
    char *d = malloc(1024);
    if (d)
        snprintf(d, 1024,
                 "{\"format\":1,\"kind\":\"config\",\"access_token\":\"%s\",\"refresh_token\":\"%s\","
                 "\"expires_at\":%lld,\"generation\":%llu,\"lifetime\":%lld}",
                 access, refresh, expires_at, gen, lifetime);
    return d;
}

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
 * token sent twice, one save. (The memory and file store tests above would pass
 * without the gate: their lock and the re-read under it hide its absence.) */
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
