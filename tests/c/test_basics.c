/* Versions, status names and families, redaction, options and client creation. */
#include "harness.h"
#include "tests.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

void test_versions(void) {
    char want[64];
    const char *v = xoxe_version();
    CHECK(v != NULL);
    snprintf(want, sizeof want, "%d.%d.%d", XOXE_VERSION_MAJOR, XOXE_VERSION_MINOR, XOXE_VERSION_PATCH);
    CHECK_STR(v, want);
    CHECK(xoxe_version() == v); /* static string */
    CHECK_INT(xoxe_abi_version(), XOXE_ABI_VERSION);
    CHECK_INT(XOXE_ABI_VERSION, 1);
}

typedef struct {
    uint32_t code;
    const char *macro; /* the macro name after XOXE_STATUS_ */
    uint32_t family;
} status_row;

#define ROW(name, fam) {XOXE_STATUS_##name, #name, XOXE_STATUS_FAMILY_##fam}
static const status_row statuses[] = {
    ROW(OK, OK), ROW(NULL_ARGUMENT, USAGE), ROW(INVALID_UTF8, USAGE),
    ROW(INVALID_ARGUMENT, USAGE), ROW(INSECURE_URL, USAGE), ROW(PANIC, INTERNAL),
    ROW(FILE_UNREADABLE, USAGE), ROW(UNSUPPORTED, USAGE), ROW(NETWORK, TRANSPORT), ROW(TIMEOUT, TRANSPORT),
    ROW(TLS, TRANSPORT), ROW(HTTP_STATUS, TRANSPORT), ROW(BAD_RESPONSE, TRANSPORT),
    ROW(RESPONSE_TOO_LARGE, TRANSPORT), ROW(OUTCOME_UNKNOWN, OUTCOME_UNKNOWN),
    ROW(STORE_IO, STORE), ROW(STORE_CORRUPT, STORE), ROW(STORE_PERMISSIONS, STORE),
    ROW(STORE_EMPTY, STORE), ROW(LOCK_TIMEOUT, STORE), ROW(CHAIN_DEAD, STORE),
    ROW(STORE_CONFLICT, STORE),
    ROW(SLACK_OTHER, SLACK_API), ROW(ACCESS_DENIED, SLACK_API), ROW(ACCESSLIMITED, SLACK_API),
    ROW(ACCOUNT_INACTIVE, SLACK_API), ROW(AUTHORIZATION_NOT_FOUND, SLACK_API),
    ROW(BAD_CLIENT_SECRET, SLACK_API), ROW(DEPRECATED_ENDPOINT, SLACK_API),
    ROW(EKM_ACCESS_DENIED, SLACK_API), ROW(ENTERPRISE_IS_RESTRICTED, SLACK_API),
    ROW(FATAL_ERROR, SLACK_API), ROW(INTERNAL_ERROR, SLACK_API), ROW(INVALID_ARG_NAME, SLACK_API),
    ROW(INVALID_ARGUMENTS, SLACK_API), ROW(INVALID_ARRAY_ARG, SLACK_API),
    ROW(INVALID_AUTH, SLACK_API), ROW(INVALID_CHARSET, SLACK_API),
    ROW(INVALID_CLIENT_ID, SLACK_API), ROW(INVALID_FORM_DATA, SLACK_API),
    ROW(INVALID_GRANT_TYPE, SLACK_API), ROW(INVALID_POST_TYPE, SLACK_API),
    ROW(INVALID_REFRESH_TOKEN, SLACK_API), ROW(INVALID_TOKEN, SLACK_API),
    ROW(METHOD_DEPRECATED, SLACK_API), ROW(MISSING_POST_TYPE, SLACK_API),
    ROW(MISSING_SCOPE, SLACK_API), ROW(NO_PERMISSION, SLACK_API),
    ROW(NOT_ALLOWED_TOKEN_TYPE, SLACK_API), ROW(NOT_AUTHED, SLACK_API),
    ROW(ORG_LOGIN_REQUIRED, SLACK_API), ROW(RATELIMITED, RATE_LIMITED),
    ROW(REFRESH_TOKEN_EXPIRED, SLACK_API), ROW(REQUEST_TIMEOUT, SLACK_API),
    ROW(SERVICE_UNAVAILABLE, SLACK_API), ROW(TEAM_ACCESS_NOT_GRANTED, SLACK_API),
    ROW(TEAM_ADDED_TO_ORG, SLACK_API), ROW(TOKEN_ALREADY_EXCHANGED, SLACK_API),
    ROW(TOKEN_EXPIRED, SLACK_API), ROW(TOKEN_REVOKED, SLACK_API),
    ROW(TOKEN_ROTATION_NOT_ENABLED, SLACK_API), ROW(TWO_FACTOR_SETUP_REQUIRED, SLACK_API),
    ROW(UNKNOWN_ERROR, SLACK_API), ROW(INVALID_MANIFEST, SLACK_API), ROW(INVALID_JSON, SLACK_API),
    ROW(UNKNOWN_METHOD, SLACK_API), ROW(BAD_REDIRECT_URI, SLACK_API),
    ROW(CANNOT_INSTALL_AN_ORG_INSTALLED_APP, SLACK_API), ROW(CODE_ALREADY_USED, SLACK_API),
    ROW(INVALID_CODE, SLACK_API), ROW(INVALID_CODE_VERIFIER, SLACK_API),
    ROW(INVALID_TEAM_FOR_NON_DISTRIBUTED_APP, SLACK_API), ROW(NO_SCOPES, SLACK_API),
    ROW(OAUTH_AUTHORIZATION_URL_MISMATCH, SLACK_API), ROW(PKCE_NOT_ALLOWED, SLACK_API),
    ROW(PREVIEW_FEATURE_NOT_AVAILABLE, SLACK_API), ROW(TEAM_NOT_FOUND, SLACK_API),
    ROW(USER_EMAIL_UNVERIFIED, SLACK_API),
};
#define NSTATUSES (sizeof statuses / sizeof statuses[0])

static int is_known(uint32_t code) {
    size_t i;
    for (i = 0; i < NSTATUSES; i++)
        if (statuses[i].code == code) return 1;
    return 0;
}

/* Numbers no status will ever take (outside every range, or far past the end
 * of one). */
static const uint32_t unassigned[] = {300, 500, 999, 1999, 2000, 65535, 0x7fffffffu, 0x80000000u, 0xffffffffu};
#define NUNASSIGNED (sizeof unassigned / sizeof unassigned[0])

static int snake_case(const char *s) {
    if (!s || !*s) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_')) return 0;
    return 1;
}

void test_status_names(void) {
    size_t i, j;
    for (i = 0; i < NSTATUSES; i++) {
        const char *name = xoxe_status_name(statuses[i].code);
        CHECK_MSG(name != NULL, "xoxe_status_name(%u) is NULL", (unsigned)statuses[i].code);
        if (name == NULL) continue;
        /* The name is the macro's suffix in snake_case (lowercase). */
        CHECK_MSG(strcasecmp(name, statuses[i].macro) == 0 && snake_case(name),
                  "xoxe_status_name(%u) == \"%s\", expected lowercase \"%s\"",
                  (unsigned)statuses[i].code, name, statuses[i].macro);
        CHECK(xoxe_status_name(statuses[i].code) == name); /* static */
        for (j = 0; j < i; j++)
            CHECK_MSG(statuses[j].code != statuses[i].code, "duplicate status number %u",
                      (unsigned)statuses[i].code);
    }
    CHECK_STR(xoxe_status_name(XOXE_STATUS_INVALID_REFRESH_TOKEN), "invalid_refresh_token");
    CHECK_STR(xoxe_status_name(XOXE_STATUS_OK), "ok");
    for (i = 0; i < NUNASSIGNED; i++)
        CHECK_STR(xoxe_status_name(unassigned[i]), "unknown_status");
    /* Every number up to 1100 is either named in snake_case or "unknown_status";
     * a number this table does not know (added after it was written) must at
     * least be named consistently with its family. */
    for (i = 0; i <= 1100; i++) {
        const char *name = xoxe_status_name((uint32_t)i);
        CHECK(name != NULL && snake_case(name));
        if (name && !is_known((uint32_t)i)) {
            int unknown = strcmp(name, "unknown_status") == 0;
            uint32_t fam = xoxe_status_family_of((uint32_t)i);
            CHECK_MSG(unknown == (fam == XOXE_STATUS_FAMILY_INTERNAL),
                      "status %u named \"%s\" has family %u", (unsigned)i, name, (unsigned)fam);
        }
    }
}

void test_status_families(void) {
    size_t i;
    for (i = 0; i < NSTATUSES; i++)
        CHECK_MSG(xoxe_status_family_of(statuses[i].code) == statuses[i].family,
                  "family of %s is %u, expected %u", statuses[i].macro,
                  (unsigned)xoxe_status_family_of(statuses[i].code), (unsigned)statuses[i].family);
    for (i = 0; i < NUNASSIGNED; i++)
        CHECK_INT(xoxe_status_family_of(unassigned[i]), XOXE_STATUS_FAMILY_INTERNAL);
    CHECK_INT(XOXE_STATUS_FAMILY_OK, 0);
    CHECK_INT(XOXE_STATUS_FAMILY_INTERNAL, 7);
    CHECK_INT(XOXE_STATUS_FAMILY_STORE, 6);
}

/* Valid UTF-8 check (no partial multi-byte sequence at the end). */
static int valid_utf8(const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 : (*p & 0xf8) == 0xf0 ? 3 : -1;
        int k;
        if (n < 0) return 0;
        p++;
        for (k = 0; k < n; k++, p++)
            if ((*p & 0xc0) != 0x80) return 0;
    }
    return 1;
}

void test_redact(void) {
    static const char *tokens[] = {
        "xoxe.xoxp-1-4ac3a5c0318df0bd8c82e0edb2cc4032b20a3a72",
        "xoxe-1-63523840b82dfed47a4204b5f4e1e940f4271f5c",
        "xoxb-1234-5678-abcdefghijklmnopqrstuvwx",
        "xoxe.xoxb-1-ffffffffffffffffffffffffffffffffffffffff",
        "xoxe-1-short",
        "not a token at all but quite long and secret-looking 0123456789",
        "",
    };
    char buf[256], small[64];
    size_t i, k, need;
    for (i = 0; i < sizeof tokens / sizeof tokens[0]; i++) {
        const char *t = tokens[i];
        size_t tl = strlen(t);
        need = xoxe_redact(t, NULL, 0);
        CHECK_MSG(need > 0 && need < sizeof buf, "xoxe_redact(token %lu, NULL, 0) == %lu", (unsigned long)i,
                  (unsigned long)need);
        if (need == 0 || need >= sizeof buf) continue;
        memset(buf, 'Z', sizeof buf);
        CHECK_INT(xoxe_redact(t, buf, sizeof buf), need);
        CHECK_INT(strlen(buf), need);
        CHECK(valid_utf8(buf));
        /* The stand-in never holds the token's secret middle. */
        if (tl >= 24) {
            char middle[9];
            memcpy(middle, t + tl / 2 - 4, 8);
            middle[8] = '\0';
            CHECK_NO_SECRET(buf, middle);
        }
        CHECK_NO_SECRET(buf, t[0] ? t : NULL);
        CHECK(strlen(buf) <= 4 || tl == 0 || strcmp(buf, t) != 0);
        /* Truncation like snprintf: any buffer size gives a NUL-terminated prefix
         * (never splitting a UTF-8 character) and the same return value. */
        for (k = 1; k <= need + 1 && k < sizeof small; k++) {
            memset(small, 'Z', sizeof small);
            CHECK_INT(xoxe_redact(t, small, k), need);
            CHECK_MSG(memchr(small, '\0', k) != NULL, "no NUL within %lu bytes", (unsigned long)k);
            CHECK_MSG(small[k] == 'Z', "xoxe_redact wrote past buf_len %lu", (unsigned long)k);
            CHECK(strlen(small) <= k - 1);
            CHECK(strncmp(small, buf, strlen(small)) == 0);
            CHECK(valid_utf8(small));
            /* At most 3 bytes lost to the character boundary ("…" is 3 bytes). */
            CHECK(strlen(small) + 3 >= (k - 1 < need ? k - 1 : need));
        }
        /* buf_len 0: nothing written even when buf is not NULL. */
        small[0] = 'Q';
        CHECK_INT(xoxe_redact(t, small, 0), need);
        CHECK(small[0] == 'Q');
    }
    /* A known shape: prefix, ellipsis, last four. */
    xoxe_redact(tokens[0], buf, sizeof buf);
    CHECK_STR(buf, "xoxe.xoxp-1-\xe2\x80\xa6" "3a72");
    xoxe_redact(tokens[4], buf, sizeof buf);
    CHECK_STR(buf, "xoxe-1-\xe2\x80\xa6");
    /* NULL and invalid UTF-8 give 0. */
    CHECK_INT(xoxe_redact(NULL, NULL, 0), 0);
    CHECK_INT(xoxe_redact("xoxe-1-\xff\xfe", NULL, 0), 0);
    memset(small, 'Z', sizeof small);
    CHECK_INT(xoxe_redact(NULL, small, sizeof small), 0);
    /* "like snprintf": with room in buf, the result is always a NUL-terminated
     * string (here the empty one), so `printf("%s", buf)` is safe. */
    CHECK(small[0] == '\0');
    memset(small, 'Z', sizeof small);
    CHECK_INT(xoxe_redact("xoxp-\xc3", small, sizeof small), 0);
    CHECK(small[1] == 'Z'); /* nothing beyond the terminator */
}

static xoxe_client_options *new_options(void) {
    xoxe_client_options *o = NULL;
    xoxe_error *e = NULL;
    xoxe_status st = xoxe_client_options_new(&o, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    CHECK(e == NULL);
    CHECK(o != NULL);
    return o;
}

static void expect_base_url(const xoxe_client_options *o, const char *want) {
    xoxe_client *c = (xoxe_client *)SENTINEL;
    xoxe_error *e = NULL;
    xoxe_status st = xoxe_client_new(o, &c, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    if (st == XOXE_STATUS_OK) {
        CHECK(c != (xoxe_client *)SENTINEL);
        CHECK_STR(xoxe_client_base_url(c), want);
        xoxe_client_free(c);
    }
    xoxe_error_free(e);
}

void test_options_setters(void) {
    xoxe_client_options *o = new_options();
    xoxe_error *e = NULL;
    xoxe_status st;
    /* Every setter, valid values. */
    st = xoxe_client_options_set_base_url(o, "http://127.0.0.1:9/api", &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    expect_base_url(o, "http://127.0.0.1:9/api/");
    st = xoxe_client_options_set_base_url(o, "http://localhost:1234/x/", &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    expect_base_url(o, "http://localhost:1234/x/");
    st = xoxe_client_options_set_base_url(o, "http://[::1]:8080/api/", &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    st = xoxe_client_options_set_base_url(o, "https://proxy.example.com/slack/api", &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    expect_base_url(o, "https://proxy.example.com/slack/api/");
    st = xoxe_client_options_set_preset(o, XOXE_PRESET_GOV_SLACK, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    expect_base_url(o, "https://slack-gov.com/api/");
    st = xoxe_client_options_set_preset(o, XOXE_PRESET_SLACK, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    expect_base_url(o, "https://slack.com/api/");
    uint32_t connect_ms = 0, call_ms = 0, retries = 0, wait_secs = 0;
    st = xoxe_client_options_set_timeouts(o, 1, 1, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    st = xoxe_client_options_set_timeouts(o, 0xffffffffu, 0xfffffffeu, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    st = xoxe_client_options_get_timeouts(o, &connect_ms, &call_ms, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    CHECK(connect_ms == 0xffffffffu && call_ms == 0xfffffffeu);
    st = xoxe_client_options_set_ratelimit_retries(o, 0, 0, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    st = xoxe_client_options_set_ratelimit_retries(o, 0xffffffffu, 0xfffffffeu, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    st = xoxe_client_options_get_ratelimit_retries(o, &retries, &wait_secs, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    CHECK(retries == 0xffffffffu && wait_secs == 0xfffffffeu);
    st = xoxe_client_options_get_timeouts(o, NULL, &call_ms, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
    st = xoxe_client_options_get_ratelimit_retries(o, &retries, NULL, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
    st = xoxe_client_options_set_max_response_bytes(o, 1, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    st = xoxe_client_options_set_max_response_bytes(o, UINT64_MAX, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    CHECK(e == NULL);
    expect_base_url(o, "https://slack.com/api/");

    /* Invalid values: the documented status, and the options keep their old value. */
    st = xoxe_client_options_set_base_url(o, "http://127.0.0.1:7/api/", &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    st = xoxe_client_options_set_base_url(o, "http://slack.com/api/", &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INSECURE_URL, XOXE_STATUS_INSECURE_URL);
    st = xoxe_client_options_set_base_url(o, "http://10.0.0.1/api/", &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INSECURE_URL, XOXE_STATUS_INSECURE_URL);
    st = xoxe_client_options_set_base_url(o, "http://127.0.0.1.evil.example/", &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INSECURE_URL, XOXE_STATUS_INSECURE_URL);
    st = xoxe_client_options_set_base_url(o, "", &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT);
    st = xoxe_client_options_set_base_url(o, "ftp://slack.com/api/", &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT);
    st = xoxe_client_options_set_base_url(o, "slack.com/api", &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT);
    st = xoxe_client_options_set_base_url(o, "https://user:pw@slack.com/api/", &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT);
    st = xoxe_client_options_set_base_url(o, "https://slack.com/api/?token=x", &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT);
    st = xoxe_client_options_set_base_url(o, "https://slack.com/a pi/", &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT);
    st = xoxe_client_options_set_base_url(o, "https://sl\xff" "ack.com/api/", &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_UTF8, XOXE_STATUS_INVALID_UTF8);
    st = xoxe_client_options_set_base_url(o, NULL, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
    st = xoxe_client_options_set_preset(o, 2, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT);
    st = xoxe_client_options_set_preset(o, 0xffffffffu, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT);
    st = xoxe_client_options_set_timeouts(o, 0, 1000, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT);
    st = xoxe_client_options_set_timeouts(o, 1000, 0, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT);
    st = xoxe_client_options_set_timeouts(o, 0, 0, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT);
    st = xoxe_client_options_set_max_response_bytes(o, 0, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT);
    st = xoxe_client_options_set_ca_bundle(o, "", &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT);
    st = xoxe_client_options_set_ca_bundle(o, NULL, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_NULL_ARGUMENT, XOXE_STATUS_NULL_ARGUMENT);
    st = xoxe_client_options_set_ca_bundle(o, "/tmp/\xc3\x28.pem", &e);
    EXPECT_ERR(st, e, XOXE_STATUS_INVALID_UTF8, XOXE_STATUS_INVALID_UTF8);
    /* None of the failures changed the base URL. */
    expect_base_url(o, "http://127.0.0.1:7/api/");

    /* error_out may be NULL. */
    CHECK_INT(xoxe_client_options_set_preset(o, 9, NULL), XOXE_STATUS_INVALID_ARGUMENT);
    CHECK_INT(xoxe_client_options_set_base_url(o, NULL, NULL), XOXE_STATUS_NULL_ARGUMENT);
    CHECK_INT(xoxe_client_options_set_timeouts(o, 5, 5, NULL), XOXE_STATUS_OK);

    /* A 1 MiB URL. */
    {
        size_t n = 1 << 20;
        char *big = malloc(n + 1);
        CHECK(big != NULL);
        if (big) {
            memset(big, 'a', n);
            memcpy(big, "https://", 8);
            big[n] = '\0';
            st = xoxe_client_options_set_base_url(o, big, &e);
            EXPECT_ERR(st, e, XOXE_STATUS_INVALID_ARGUMENT, XOXE_STATUS_INVALID_ARGUMENT);
            free(big);
        }
    }
    xoxe_client_options_free(o);
    xoxe_client_options_free(NULL);
}

void test_client_new(void) {
    xoxe_client *c = (xoxe_client *)SENTINEL;
    xoxe_error *e = NULL;
    xoxe_client_options *o;
    xoxe_status st;
    /* NULL options: the defaults. */
    st = xoxe_client_new(NULL, &c, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    CHECK(e == NULL);
    if (st == XOXE_STATUS_OK) {
        const char *u = xoxe_client_base_url(c);
        CHECK_STR(u, "https://slack.com/api/");
        CHECK(xoxe_client_base_url(c) == u); /* stable while the client lives */
        xoxe_client_free(c);
    }
    CHECK(xoxe_client_base_url(NULL) == NULL);
    xoxe_client_free(NULL);
    /* Options may be freed right after the client is made. */
    o = NULL;
    st = xoxe_client_options_new(&o, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    xoxe_client_options_set_base_url(o, t_base_url, &e);
    c = NULL;
    st = xoxe_client_new(o, &c, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    xoxe_client_options_free(o);
    if (c) {
        xoxe_auth_identity *id = NULL;
        t_config_pair cp = t_new_config(-1);
        CHECK_STR(xoxe_client_base_url(c), t_base_url);
        st = xoxe_auth_test(c, cp.token, 0, &id, &e);
        CHECK_STATUS(st, XOXE_STATUS_OK, e);
        xoxe_auth_identity_free(id);
        xoxe_client_free(c);
    }
    /* Two options handles, two clients, independent. */
    {
        xoxe_client_options *a = NULL, *b = NULL;
        xoxe_client *ca = NULL, *cb = NULL;
        xoxe_client_options_new(&a, NULL);
        xoxe_client_options_new(&b, NULL);
        xoxe_client_options_set_preset(a, XOXE_PRESET_GOV_SLACK, NULL);
        CHECK_INT(xoxe_client_new(a, &ca, NULL), XOXE_STATUS_OK);
        CHECK_INT(xoxe_client_new(b, &cb, NULL), XOXE_STATUS_OK);
        CHECK_STR(xoxe_client_base_url(ca), "https://slack-gov.com/api/");
        CHECK_STR(xoxe_client_base_url(cb), "https://slack.com/api/");
        xoxe_client_free(ca);
        xoxe_client_free(cb);
        xoxe_client_options_free(a);
        xoxe_client_options_free(b);
    }
}

void test_ca_bundle(void) {
    xoxe_client_options *o = new_options();
    xoxe_client *c = (xoxe_client *)SENTINEL;
    xoxe_error *e = NULL;
    xoxe_status st;
    char path[256];
    FILE *f;
    /* Missing file: accepted by the setter, refused by xoxe_client_new. */
    st = xoxe_client_options_set_ca_bundle(o, "/nonexistent/xoxe/ca.pem", &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    st = xoxe_client_new(o, &c, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_FILE_UNREADABLE, XOXE_STATUS_FILE_UNREADABLE);
    CHECK(c == (xoxe_client *)SENTINEL);
    /* A directory. */
    st = xoxe_client_options_set_ca_bundle(o, "/", &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    st = xoxe_client_new(o, &c, &e);
    EXPECT_ERR(st, e, XOXE_STATUS_FILE_UNREADABLE, XOXE_STATUS_FILE_UNREADABLE);
    /* A readable file with no certificate in it. */
    snprintf(path, sizeof path, "/tmp/xoxe-c-ca-%ld.pem", (long)getpid());
    f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs("this is not a certificate\n", f);
        fclose(f);
        st = xoxe_client_options_set_ca_bundle(o, path, &e);
        CHECK_STATUS(st, XOXE_STATUS_OK, e);
        st = xoxe_client_new(o, &c, &e);
        EXPECT_ERR(st, e, XOXE_STATUS_FILE_UNREADABLE, XOXE_STATUS_FILE_UNREADABLE);
        /* A broken PEM block. */
        f = fopen(path, "w");
        if (f) {
            fputs("-----BEGIN CERTIFICATE-----\nnot base64 !!!\n-----END CERTIFICATE-----\n", f);
            fclose(f);
        }
        st = xoxe_client_new(o, &c, &e);
        EXPECT_ERR(st, e, XOXE_STATUS_FILE_UNREADABLE, XOXE_STATUS_FILE_UNREADABLE);
        unlink(path);
    }
    CHECK(c == (xoxe_client *)SENTINEL);
    /* A real bundle, when the system has one. */
    if (access("/etc/ssl/certs/ca-certificates.crt", R_OK) == 0) {
        st = xoxe_client_options_set_ca_bundle(o, "/etc/ssl/certs/ca-certificates.crt", &e);
        CHECK_STATUS(st, XOXE_STATUS_OK, e);
        c = NULL;
        st = xoxe_client_new(o, &c, &e);
        CHECK_STATUS(st, XOXE_STATUS_OK, e);
        xoxe_client_free(c);
    }
    /* A 1 MiB path: accepted as a string, unreadable as a file. */
    {
        size_t n = 1 << 20;
        char *big = malloc(n + 1);
        if (big) {
            memset(big, 'p', n);
            big[0] = '/';
            big[n] = '\0';
            st = xoxe_client_options_set_ca_bundle(o, big, &e);
            CHECK_STATUS(st, XOXE_STATUS_OK, e);
            free(big);
            c = (xoxe_client *)SENTINEL;
            st = xoxe_client_new(o, &c, &e);
            EXPECT_ERR(st, e, XOXE_STATUS_FILE_UNREADABLE, XOXE_STATUS_FILE_UNREADABLE);
            CHECK(c == (xoxe_client *)SENTINEL);
        }
    }
    xoxe_client_options_free(o);
}

/* Options with timeouts that the client must reject at xoxe_client_new are
 * impossible through the C setters (they refuse 0 already): check the defaults
 * of xoxe_client_options_new give a working client against the fake server. */
void test_default_options_work(void) {
    xoxe_client *c = t_client();
    xoxe_auth_identity *id = NULL;
    xoxe_error *e = NULL;
    t_config_pair cp = t_new_config(-1);
    xoxe_status st = xoxe_auth_test(c, cp.token, 0, &id, &e);
    CHECK_STATUS(st, XOXE_STATUS_OK, e);
    if (id) {
        const xoxe_auth_identity_info *info = xoxe_auth_identity_get_info(id);
        CHECK(info != NULL);
        if (info) {
            CHECK_STR(info->team_id, cp.team_id);
            CHECK_STR(info->user_id, cp.user_id);
            CHECK(info->bot_id == NULL);
            CHECK_WARNINGS(info->warnings, info->warnings_len);
        }
    }
    xoxe_auth_identity_free(id);
    xoxe_client_free(c);
}
