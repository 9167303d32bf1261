/* File stores through the C ABI: mode 0600, atomic replace, a second handle
 * and a fresh rotator see the new pair, the lock file and its timeout, bad
 * arguments, and a clear error naming the path for every kind of bad file.
 *
 * Secrets: tokens are compared in memory and never printed. Token buffers are
 * wiped when a test is done with them. */
#include "harness.h"
#include "tests.h"
#include "rotator_support.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* -------------------------------------------------------------- temp files */

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

static void write_file(const char *path, const char *content, mode_t mode) {
    FILE *f = fopen(path, "w");
    if (f == NULL || fputs(content, f) < 0) t_fail(__FILE__, __LINE__, "cannot write %s", path);
    if (f) fclose(f);
    if (chmod(path, mode) != 0) t_fail(__FILE__, __LINE__, "chmod %s: %s", path, strerror(errno));
}

static int file_mode(const char *path) {
    struct stat sb;
    if (stat(path, &sb) != 0) return -1;
    return (int)(sb.st_mode & 0777);
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
    /* Its directory must exist: the store is refused with an I/O error naming the path. */
    {
        char missing[700];
        xoxe_store *m = (xoxe_store *)SENTINEL;
        snprintf(missing, sizeof missing, "%s/no/such/dir/pair.json", dir);
        st = xoxe_store_file_new(missing, 0, &m, &e);
        CHECK_STATUS(st, XOXE_STATUS_STORE_IO, e);
        CHECK(m == (xoxe_store *)SENTINEL);
        if (e) {
            CHECK(strstr(xoxe_error_get_info(e)->message, "no/such/dir") != NULL);
            CHECK_NO_SECRET(xoxe_error_get_info(e)->message, cp.refresh_token);
        }
        drop_err(&e);
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
