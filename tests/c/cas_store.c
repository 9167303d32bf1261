/* A compare-and-swap store in C: see cas_store.h. */
#include "cas_store.h"
#include "rotator_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void cas_unlock(void *user_data) {
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

xoxe_store_callbacks cas_callbacks(cas_store *s, int with_lock) {
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

xoxe_store *cas_new(int with_lock, int *released, cas_store **state) {
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

char *config_doc(const char *access, const char *refresh, long long expires_at, unsigned long long gen,
                 long long lifetime) {
    char *d = malloc(1024);
    if (d)
        snprintf(d, 1024,
                 "{\"format\":1,\"kind\":\"config\",\"access_token\":\"%s\",\"refresh_token\":\"%s\","
                 "\"expires_at\":%lld,\"generation\":%llu,\"lifetime\":%lld}",
                 access, refresh, expires_at, gen, lifetime);
    return d;
}
