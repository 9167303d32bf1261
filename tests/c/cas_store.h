/* A compare-and-swap store written in C, for the foreign (host callback)
 * store tests: what a host keeps behind xoxe_store_foreign_new, with counters
 * for what the library asked of it and knobs that make its next calls fail,
 * conflict, wait or see another writer's document.
 *
 * Secrets: the document is a secret; it is never printed and is wiped when
 * replaced or released. */
#ifndef XOXE_TEST_CAS_STORE_H
#define XOXE_TEST_CAS_STORE_H

#include "harness.h"

#include <pthread.h>
#include <stdint.h>

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

/* Callbacks over `s` (load, save and release; lock and unlock when
 * `with_lock`), user_data `s`. */
xoxe_store_callbacks cas_callbacks(cas_store *s, int with_lock);
/* The unlock callback alone (a set with unlock but no lock is refused). */
void cas_unlock(void *user_data);

/* A new foreign store over a new cas_store; `*state` is valid until release. */
xoxe_store *cas_new(int with_lock, int *released, cas_store **state);

/* Builds a config-chain document (a secret) for a cas_store, malloc'd: set as
 * `doc` or `swap_doc`, the store owns (and wipes) it. NULL when out of memory. */
char *config_doc(const char *access, const char *refresh, long long expires_at, unsigned long long gen,
                 long long lifetime);

#endif
