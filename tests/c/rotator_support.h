/* Helpers shared by the rotator and store tests (test_rotator_core.c,
 * test_rotator_file.c, test_rotator_foreign.c, test_rotator_fleet.c) and by
 * cas_store.c: stores and
 * rotators created with their success checked, get / force_rotate / current
 * with the checks every test makes, temp directories for file stores, and the
 * single-flight check run on memory, file and foreign stores.
 *
 * Secrets: tokens are compared in memory and never printed. */
#ifndef XOXE_TEST_ROTATOR_SUPPORT_H
#define XOXE_TEST_ROTATOR_SUPPORT_H

#include "harness.h"

#include <stddef.h>
#include <stdint.h>

#define TOKEN_BUF (XOXE_MAX_TOKEN_LEN + 1)
#define SERVER_DEFAULT_TTL 43200
/* The reuse deadline's bound as xoxe.h documents it for xoxe_rotator_get_reusable
 * and xoxe_pool_get_reusable: "at most 30 seconds ahead". */
#define REUSE_HORIZON_MS 30000

/* Unix milliseconds now, on CLOCK_REALTIME (the clock the reuse deadline is on). */
long long unix_ms(void);

/* ------------------------------------------------------------ small helpers */

/* Zeroes `n` bytes (through a volatile pointer, so it is not optimised away). */
void wipe(void *p, size_t n);
/* Frees `*e` and clears it (for calls whose failure was already checked). */
void drop_err(xoxe_error **e);
/* A memory store, an initialised store and a config rotator; failures are
 * reported (the result is then NULL). */
xoxe_store *memory_store(void);
void init_store(const xoxe_store *s, uint32_t kind, const char *refresh);
xoxe_rotator *config_rotator(const xoxe_client *c, const xoxe_store *s, const xoxe_rotator_options *o);

/* get / force_rotate / current into a TOKEN_BUF buffer. */
enum { GET, FORCE, CURRENT };
xoxe_status fetch(int how, const xoxe_rotator *r, char *buf, int64_t *exp, xoxe_error **e);

/* The same, expecting success; returns 1 when it succeeded. */
#define FETCH_OK(how, r, buf, exp) fetch_ok(__FILE__, __LINE__, (how), (r), (buf), (exp))
int fetch_ok(const char *file, int line, int how, const xoxe_rotator *r, char *buf, int64_t *exp);

/* auth.test accepts `token`. */
#define CHECK_AUTH(c, token) check_auth(__FILE__, __LINE__, (c), (token))
void check_auth(const char *file, int line, const xoxe_client *c, const char *token);

/* A failed rotator call: status, cause, buffer and expiry untouched, no secret
 * in the message. */
#define EXPECT_FETCH_ERR(how, r, want, cause, secret) \
    expect_fetch_err(__FILE__, __LINE__, (how), (r), (want), (cause), (secret))
void expect_fetch_err(const char *file, int line, int how, const xoxe_rotator *r, xoxe_status want,
                      xoxe_status cause, const char *secret);

/* -------------------------------------------------------------- temp files */

/* A new directory under $TMPDIR (or /tmp) in `out`; 0, or -1 (reported). */
int make_tmpdir(char *out, size_t n);
/* Removes `dir` and the files (or empty directories) in it. */
void remove_tree(const char *dir);
/* Reads a whole (small) file; returns its length or -1. */
long read_file(const char *path, char *buf, size_t n);
/* A file store at `path`, checked to succeed. */
xoxe_store *file_store(const char *path, uint32_t lock_timeout_ms);

/* ------------------------------------------------------------ single flight */

#define NFLIGHT 16

/* NFLIGHT threads call get on a chain that needs rotating: one rotation.
 * `fault` (or NULL) is injected first, e.g. a delay that widens the race. */
void single_flight(const xoxe_client *c, const xoxe_store *s, const char *what, const char *fault);

#endif
