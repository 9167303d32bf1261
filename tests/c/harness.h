/* Test harness for the xoxe C ABI: checks, a tiny runner, the fake Slack
 * server (started as a child process) and a raw-socket client for its control
 * interface.
 *
 * Secrets: nothing here ever prints a token, refresh token or client secret.
 * Failure messages print library statuses and messages (which the library
 * promises never contain a secret) and, for secret values, only
 * `xoxe_redact`'s stand-in. */
#ifndef XOXE_TEST_HARNESS_H
#define XOXE_TEST_HARNESS_H

#include "xoxe.h"

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ checks */

/* Failed checks in the current test (reset by the runner before each test). */
extern int t_failures;
/* Name of the running test. */
extern const char *t_current;

void t_fail(const char *file, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#define CHECK(cond)                                                    \
    do {                                                               \
        if (!(cond)) t_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);   \
    } while (0)

#define CHECK_MSG(cond, ...)                                           \
    do {                                                               \
        if (!(cond)) t_fail(__FILE__, __LINE__, __VA_ARGS__);          \
    } while (0)

#define CHECK_INT(got, want)                                                       \
    do {                                                                           \
        long long g_ = (long long)(got), w_ = (long long)(want);                   \
        if (g_ != w_)                                                              \
            t_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", #got, g_, \
                   #want, w_);                                                     \
    } while (0)

/* Non-secret strings only (ids, names, statuses): printed on mismatch. */
#define CHECK_STR(got, want) t_check_str(__FILE__, __LINE__, #got, (got), (want))
void t_check_str(const char *file, int line, const char *expr, const char *got,
                 const char *want);

/* Checks `st` against `want`; on mismatch prints both names and the error's
 * message. */
#define CHECK_STATUS(st, want, err) t_check_status(__FILE__, __LINE__, #st, (st), (want), (err))
void t_check_status(const char *file, int line, const char *expr, xoxe_status st,
                    xoxe_status want, const xoxe_error *err);

/* A failed call: checks status, error handle, info consistency and cause;
 * frees the error. `cause` is the expected `info->cause` (== `want` for
 * anything but OUTCOME_UNKNOWN). */
#define EXPECT_ERR(st, err, want, cause) \
    t_expect_err(__FILE__, __LINE__, #st, (st), &(err), (want), (cause))
void t_expect_err(const char *file, int line, const char *expr, xoxe_status st,
                  xoxe_error **err, xoxe_status want, xoxe_status cause);

/* Validates the invariants every error info must satisfy (message non-NULL,
 * warnings array consistent, family of status, cause rules). */
void t_check_error_info(const char *file, int line, const xoxe_error_info *info);
#define CHECK_ERROR_INFO(info) t_check_error_info(__FILE__, __LINE__, (info))

/* A warnings array is NULL exactly when its length is 0, and has no NULL entries. */
void t_check_warnings(const char *file, int line, const char *const *w, size_t n);
#define CHECK_WARNINGS(w, n) t_check_warnings(__FILE__, __LINE__, (w), (n))

/* `hay` must not contain `secret` (no printing of either). */
#define CHECK_NO_SECRET(hay, secret) t_check_no_secret(__FILE__, __LINE__, #hay, (hay), (secret))
void t_check_no_secret(const char *file, int line, const char *expr, const char *hay,
                       const char *secret);

/* A check that currently fails because of a known library bug (reported in
 * the test report): a failure is printed and counted as a known bug, not a
 * test failure; a pass fails the test ("fixed? make it a CHECK"). */
#define KNOWN_BUG(cond, desc) t_known_bug(__FILE__, __LINE__, (cond) ? 1 : 0, #cond, (desc))
void t_known_bug(const char *file, int line, int ok, const char *expr, const char *desc);
extern int t_known_bugs;

/* An address to pre-set out-parameters to, to prove they are not written. */
extern char t_sentinel_byte;
#define SENTINEL ((void *)&t_sentinel_byte)

/* -------------------------------------------------------------- the runner */

typedef void (*t_fn)(void);

/* 1 when the tests run under valgrind (fewer iterations, longer timeouts). */
int t_slow_mode(void);
/* Iteration count for loops: `normal` normally, `slow` under valgrind. */
int t_iters(int normal, int slow);

/* --------------------------------------------------------------- logging */

/* When XOXE_LOG is error, warn, info or debug, installs a logger callback that
 * writes `[xoxe <level>] <message>` lines to stderr (the format of the
 * library's own XOXE_LOG logger), so the library lines of every test reach the
 * test log the secret scan reads. The runner calls it before any test. */
void t_log_start(void);
/* Installs that logger again (none when XOXE_LOG is unset). A test that calls
 * xoxe_set_logger calls this when it is done, so that later tests log too. */
void t_log_restore(void);
/* The level t_log_start installed (0: logging off). */
uint32_t t_log_level(void);
/* Lines the harness logger has written so far. */
long t_log_lines(void);
/* Capture (the fault matrix): while on, the harness's logger runs at debug level
 * whatever XOXE_LOG says and keeps every line it receives; lines at XOXE_LOG's
 * level still go to stderr (and only those count in t_log_lines). Off puts the
 * plain harness logger back and frees the captured lines. */
void t_log_capture(int on);
/* Forgets the lines captured so far. */
void t_log_capture_clear(void);
/* The lines captured since the last clear, each NUL-terminated, back to back;
 * `*len` is their total size. Valid until the next line, clear or capture(0). */
const char *t_log_captured(size_t *len);

/* ------------------------------------------------------------ fake Slack */

#define T_SECRET_MAX 160
#define T_ID_MAX 96

typedef struct {
    char client_id[T_ID_MAX];
    char client_secret[T_SECRET_MAX];
    char app_id[T_ID_MAX];
} t_app;

typedef struct {
    char token[T_SECRET_MAX];
    char refresh_token[T_SECRET_MAX];
    char team_id[T_ID_MAX];
    char user_id[T_ID_MAX];
    long long iat, exp;
} t_config_pair;

/* Server state. */
extern int t_port;
extern char t_base_url[128];

int t_server_start(void);
void t_server_stop(void);

/* Control interface. Each returns 0 on success and fails the current test
 * otherwise. */
int t_ctl(const char *method, const char *path, const char *body, int *http_status,
          char *out, size_t out_len);
void t_ctl_reset(void);        /* clears faults, rate limits and stats */
void t_ctl_clear_faults(void);
/* POST /_control/faults with the given JSON object text. */
void t_fault(const char *json);
t_app t_new_app(int rotation_enabled);
/* kind: "bot" or "user". */
void t_new_legacy(const char *client_id, const char *kind, char *out, size_t out_len);
/* ttl < 0: the server's default. */
t_config_pair t_new_config(long long ttl);

typedef struct {
    long long rotate, exchange, access, auth_test, validate, unknown;
    long long rotations, exchanges, refreshes, refresh_token_reuses, faults_fired;
} t_stats;
t_stats t_get_stats(void);

/* A fresh client for the fake server with default options. */
xoxe_client *t_client(void);
/* A port on 127.0.0.1 with nothing listening. */
int t_closed_port(void);

/* ---------------------------------------------------------- flat JSON helper */

/* Finds `"key":` in `json` (first occurrence at or after `json`) and copies its
 * string value (no escapes needed for what the server sends) or its raw scalar
 * text into `out`. Returns 0 on success. */
int t_json_get(const char *json, const char *key, char *out, size_t out_len);
int t_json_int(const char *json, const char *key, long long *out);
/* Pointer just past `"key":`, or NULL. */
const char *t_json_find(const char *json, const char *key);

#endif
