/* The test list: X(name, needs_server). Each is `void test_<name>(void)`. */
#ifndef XOXE_TESTS_H
#define XOXE_TESTS_H

#define T_TESTS(X)                      \
    X(versions, 0)                      \
    X(status_names, 0)                  \
    X(status_families, 0)               \
    X(redact, 0)                        \
    X(options_setters, 0)               \
    X(misuse_options, 0)                \
    X(client_new, 1)                    \
    X(ca_bundle, 0)                     \
    X(default_options_work, 1)          \
    X(misuse_methods, 1)                \
    X(rotate_success_and_reuse, 1)      \
    X(rotate_drop_after_apply, 1)       \
    X(rotate_drop_before_apply, 1)      \
    X(rotate_bad_bodies, 1)             \
    X(rotate_slack_errors, 1)           \
    X(rotate_http_status, 1)            \
    X(rotate_timeouts, 1)               \
    X(rotate_client_timeout, 1)         \
    X(rotate_ratelimited, 1)            \
    X(rotate_huge_body, 1)              \
    X(ratelimited_huge_retry_after, 1)  \
    X(connection_refused, 0)            \
    X(exchange, 1)                      \
    X(exchange_faults, 1)               \
    X(refresh, 1)                       \
    X(auth_test, 1)                     \
    X(call_manifest_validate, 1)        \
    X(call_methods, 1)                  \
    X(call_params, 1)                   \
    X(threads, 1)                       \
    X(store_init, 1)                    \
    X(rotator_new, 1)                   \
    X(rotator_config, 1)                \
    X(rotator_oauth, 1)                 \
    X(rotator_single_flight, 1)         \
    X(store_file, 1)                    \
    X(store_file_errors, 1)             \
    X(rotator_outcome_unknown, 1)       \
    X(rotator_chain_dead, 1)            \
    X(store_foreign, 1)                 \
    X(store_foreign_reread, 1)          \
    X(store_foreign_lockless_race, 1)   \
    X(store_foreign_concurrent, 1)      \
    X(store_foreign_single_flight, 1)   \
    X(store_fleet_args, 0)              \
    X(store_fleet_rotate, 1)            \
    X(store_fleet_two_stores, 1)        \
    X(store_fleet_threads, 1)           \
    X(rotator_short_window, 1)          \
    X(rotator_skewed_clock, 1)          \
    X(logger_rotation, 1)               \
    X(pool_chains, 1)                   \
    X(pool_threads, 1)                  \
    X(pool_lru, 1)                      \
    X(pool_background, 1)               \
    X(pool_host_chains, 1)              \
    X(pool_revoked, 1)                  \
    X(pool_sealed, 1)                   \
    X(installation_chain, 0)            \
    X(pool_misuse, 1)                   \
    X(install_kinds, 1)                 \
    X(install_errors, 1)                \
    X(auth_revoke, 1)                   \
    X(install_misuse, 1)                \
    X(matrix, 1)

#define T_DECLARE(name, server) void test_##name(void);
T_TESTS(T_DECLARE)
#undef T_DECLARE

#endif
