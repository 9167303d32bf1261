# Throwaway PostgreSQL and Redis for the tests (scripts/test-db.sh). Included by
# the top-level Makefile (ROOT and BUILD come from it):
#   make db-start   installs postgresql and redis-server when missing, then starts
#                   a PostgreSQL and two Redis (unix socket, TCP) on loopback,
#                   state in $(DB_DIR); does nothing when they already run there
#   make db-stop    stops them (safe to repeat); keeps $(DB_DIR)'s logs, env and
#                   secrets
#
# $(DB_DIR)/env (mode 0600) holds shell `export` lines with single-quoted values:
#   XOXE_TEST_POSTGRES_URL    postgresql://xoxe:PASSWORD@127.0.0.1:PORT/xoxe_test
#   XOXE_TEST_REDIS_URL       redis://:PASSWORD@127.0.0.1:PORT/0
#   XOXE_TEST_REDIS_UNIX_URL  redis+unix:///ABS/PATH/redis.sock?db=0&pass=PASSWORD
#                             (redis-rs reads a unix URL's password only from
#                             ?pass=, never from user:pass@)
#   XOXE_TEST_DB_SECRETS      a file: the PostgreSQL password, then the Redis one
#   XOXE_TEST_DB_DIR          $(DB_DIR), for scripts/test-db.sh psql|redis-cli|
#                             stop-server|start-server from a test
#   XOXE_TEST_PG_BIN, XOXE_TEST_PG_SOCKET_DIR, XOXE_TEST_PG_PORT,
#   XOXE_TEST_REDIS_SOCKET, XOXE_TEST_REDIS_PORT
# It is for `.` in a bash recipe, not for make's `include`.
#
# How `make test` is to wrap the suites (the top-level Makefile does this; nothing
# is exported from here yet): run db-start before the suite loop, source the env
# in the same recipe shell so every suite inherits it, and stop the servers
# however the loop ends; the secret scan also reads $(DB_DIR)/secrets (kept by
# db-stop), so no database password may show up in a log either:
#   $(MAKE) --no-print-directory db-start
#   set -a; . $(DB_DIR)/env; set +a
#   trap '$(MAKE) --no-print-directory db-stop' EXIT
#   scripts/run-suites.sh ... (each suite of $(TEST_TARGETS))

DB_MK_DIR := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
ROOT ?= $(abspath $(DB_MK_DIR)/../..)
BUILD ?= $(ROOT)/build
DB_DIR := $(BUILD)/db
TEST_DB := $(ROOT)/scripts/test-db.sh

.PHONY: db-start db-stop

db-start:
	@$(TEST_DB) ensure
	@$(TEST_DB) start $(DB_DIR)

db-stop:
	@$(TEST_DB) stop $(DB_DIR)
