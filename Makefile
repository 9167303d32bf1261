# xoxe: `make demo` and `make test` are the two commands; both set up what they need.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := demo

ROOT := $(abspath .)
CARGO ?= cargo
RELEASE := $(ROOT)/target/release
BUILD := $(ROOT)/build
LOGS := $(BUILD)/logs
PREFIX ?= /usr/local

# What tests and examples find: the library, the fake Slack, and where the fake
# Slack records every secret it issues (the secret scan greps all logs for them).
export XOXE_LIBRARY := $(RELEASE)/libxoxe.so
export XOXE_FAKE_SLACK := $(RELEASE)/fake-slack
export XOXE_ISSUED_TOKENS := $(BUILD)/issued-tokens.txt
# The fuzz targets' instrumented build lives outside the clone, so it stays warm.
export FUZZ_TARGET_DIR ?= $(HOME)/.cache/xoxe/fuzz-target

# Go's build cache does not hash a static library named in #cgo LDFLAGS, so a Go
# binary could keep linking an old libxoxe.a. Go does hash CGO_CFLAGS: this puts
# the library's checksum there (expanded when a recipe runs, after the build).
XOXE_LIB_STAMP = $(shell sha256sum $(RELEASE)/libxoxe.a 2>/dev/null | cut -c1-16)
XOXE_CGO_CFLAGS = -g -O2 -DXOXE_LIB_STAMP=$(XOXE_LIB_STAMP)

# Language fragments append their targets to these (LOG_CHECKED_SUITES: the
# suites whose logs must show library logging on; see log-check).
TEST_TARGETS := test-rust test-c fuzz-short
# Linters (make lint, run first by .ci/run); fragments append theirs.
LINT_TARGETS := lint-rust lint-shell check-header
# Pinned linters, installed by scripts/lint-tools.sh and kept between runs.
LINT_TOOLS := $(HOME)/.cache/xoxe/tools
LOG_CHECKED_SUITES := test-rust test-c
DEMO_TARGETS := demo-c demo-c-keep-fresh demo-cli
-include bindings/python/python.mk
-include bindings/go/go.mk
-include bench/bench.mk
-include fuzz/fuzz.mk
-include tests/matrix/matrix.mk
-include soak/soak.mk
-include tests/db/db.mk
-include packaging/dist.mk
-include tests/abi/abi.mk

# How make test runs the suites (scripts/run-suites.sh): the CPU-bound ones first,
# then the rest in two lanes side by side — the Go suites and the fuzz run beside
# the others, which mostly wait on tokens and servers. Every suite is in one list.
TEST_FIRST := test-rust test-c
TEST_BESIDE := fuzz-short test-go test-go-slackgo
TEST_AFTER = $(filter-out $(TEST_FIRST) $(TEST_BESIDE),$(TEST_TARGETS))

PHONY_EXTRA := lint lint-tools lint-rust lint-shell header demo-c-keep-fresh demo-cli reliability-check log-check mutants audit-mutants
.PHONY: all build deps demo test check-header test-rust test-c demo-c secret-scan $(PHONY_EXTRA) install clean bench $(TEST_TARGETS) $(DEMO_TARGETS)

all: build

deps:
	@scripts/ensure-deps.sh

# One release build serves the C tests, the bindings, the demo and the benchmarks.
# The library's SONAME is libxoxe.so.ABI (build.rs): programs linked against
# target/release load it through that name, so it is linked there too.
XOXE_ABI := $(shell sed -n 's/^\#define XOXE_ABI_VERSION //p' include/xoxe.h)
build: deps
	$(CARGO) build --release --workspace --locked
	@ln -sfn libxoxe.so $(RELEASE)/libxoxe.so.$(XOXE_ABI)
	@mkdir -p $(LOGS)

# Every linter, each run even when an earlier one fails; fails if any did.
lint: lint-tools
	@failed=""; for t in $(LINT_TARGETS); do echo "=== $$t ==="; \
	  $(MAKE) --no-print-directory $$t || failed="$$failed $$t"; done; \
	  if [ -n "$$failed" ]; then echo "lint failed:$$failed"; exit 1; fi; echo "lint: clean"

lint-tools:
	@scripts/lint-tools.sh $(LINT_TOOLS)

lint-rust:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	$(CARGO) clippy --workspace --all-targets --locked --features simulation -- -D warnings

# Every tracked shell script.
lint-shell: lint-tools
	shellcheck $$(git ls-files '*.sh') .ci/run

# build.rs generates the header into OUT_DIR; `make header` copies it to
# include/xoxe.h, and check-header fails while the committed one differs.
header:
	scripts/header.sh write

check-header:
	scripts/header.sh check

demo: build
	@for t in $(DEMO_TARGETS); do echo; echo "=== $$t ==="; $(MAKE) --no-print-directory $$t; done

demo-c: build
	@$(MAKE) --no-print-directory -C examples/c BUILD=$(BUILD)/c RELEASE=$(RELEASE)
	scripts/with-fake-slack.sh $(BUILD)/c/example

# A rotator keeping a 5-second token fresh across several rotations.
demo-c-keep-fresh: build
	@$(MAKE) --no-print-directory -C examples/c BUILD=$(BUILD)/c RELEASE=$(RELEASE)
	XOXE_FAKE_SLACK_ARGS="--token-ttl 5" scripts/with-fake-slack.sh $(BUILD)/c/keep_fresh

# The xoxe command line: init a store, print fresh tokens, show the status.
demo-cli: build
	XOXE_FAKE_SLACK_ARGS="--token-ttl 5" scripts/with-fake-slack.sh scripts/demo-cli.sh $(RELEASE)/xoxe

# Every suite runs with xoxe's debug logging on (XOXE_LOG): the full output goes
# to build/logs/ (tests that capture a program's output, like the CLI tests, write
# it there too: XOXE_TEST_LOGS), the log check proves each suite logged, and the
# secret scan reads it all; the terminal skips the log lines. Results of an earlier
# run (logs, matrix results) are removed first, so none can stand in for this one.
#
# The fleet stores' suites need PostgreSQL and Redis: throwaway servers
# (scripts/test-db.sh, under build/db, installed from Debian when missing) run
# for the whole test run, their URLs exported to every suite, and are stopped at
# the end, pass or fail. Their passwords join the secret scan's list.
test: export XOXE_LOG := debug
test: export XOXE_TEST_LOGS := $(LOGS)
test: build
	@rm -rf $(XOXE_ISSUED_TOKENS) $(LOGS) $(BUILD)/matrix $(BUILD)/db-outage-*; mkdir -p $(LOGS); : > $(XOXE_ISSUED_TOKENS)
	$(MAKE) --no-print-directory check-header
	$(TEST_DB) ensure
	@$(TEST_DB) start $(DB_DIR); trap '$(TEST_DB) stop $(DB_DIR)' EXIT; . $(DB_DIR)/env; \
	  MAKE="$(MAKE)" scripts/run-suites.sh $(LOGS) "$(TEST_FIRST)" "$(TEST_AFTER)" "$(TEST_BESIDE)"
	@cat $(BUILD)/db*/secrets >> $(XOXE_ISSUED_TOKENS)
	$(MAKE) --no-print-directory log-check
	$(MAKE) --no-print-directory secret-scan
	$(MAKE) --no-print-directory reliability-check
	@echo; echo "all tests passed; logs in $(LOGS)/"

# The fleet stores' constructors also exist without their cargo features and
# answer UNSUPPORTED: checked on a build without them.
# The minute-long many-chains fleet test (tests/pool_fleet.rs) mostly waits on
# its worker processes: it runs beside the other Rust tests, not after them, and
# its output follows theirs.
POOL_FLEET_TEST := a_thousand_chains_in_one_store_are_shared_by_eight_processes_each_with_its_own_pool
test-rust: build
	$(CARGO) test --workspace --locked --no-run
	@$(CARGO) test --locked --test pool_fleet -- --exact $(POOL_FLEET_TEST) > $(BUILD)/pool-fleet.out 2>&1 & fleet=$$!; \
	  $(CARGO) test --workspace --locked -- --skip $(POOL_FLEET_TEST); rest=$$?; \
	  wait $$fleet; fleet_rc=$$?; echo "--- tests/pool_fleet.rs (ran beside the others): exit $$fleet_rc"; \
	  cat $(BUILD)/pool-fleet.out; rm -f $(BUILD)/pool-fleet.out; [ $$rest -eq 0 ] && [ $$fleet_rc -eq 0 ]
	$(CARGO) test --locked -p xoxe --no-default-features --lib store::fleet
	# The deterministic simulation (tests/sim/) needs the rotator's seams, which
	# only the `simulation` feature builds: a build of its own.
	$(CARGO) test --locked --features simulation --test simulation

test-c: build
	$(MAKE) --no-print-directory -C tests/c test BUILD=$(BUILD)/c-tests RELEASE=$(RELEASE) PREFIX_TEST=$(BUILD)/prefix

# The fault matrix must be complete and green in C, Python and Go. Renders into
# build/ so a test run leaves the tracked RELIABILITY.md alone (`make
# reliability-report` updates that one).
reliability-check:
	@cp RELIABILITY.md $(BUILD)/RELIABILITY.md
	python3 tests/matrix/report.py --dir $(BUILD)/matrix --out $(BUILD)/RELIABILITY.md

# Each suite's log holds xoxe's debug lines with redacted tokens, so the secret
# scan really reads what the library logged in every language.
log-check:
	scripts/log-check.sh $(LOGS) $(LOG_CHECKED_SUITES)

# No full token the fake Slack issued may appear in any test log.
secret-scan:
	scripts/secret-scan.sh $(XOXE_ISSUED_TOKENS) $(LOGS) $(BUILD)/matrix

# Header, libxoxe.so.ABI (+ libxoxe.so), libxoxe.a, pkg-config files, bin/xoxe
# and its man page under $(DESTDIR)$(PREFIX) (scripts/install.sh lists them).
install: build
	scripts/install.sh "$(PREFIX)" "$(DESTDIR)"

# Mutation testing (not part of make test; MUTANTS.md): cargo-mutants over the
# modules that guard tokens, in two passes (the core; the C ABI and the host-kept
# store), then Rust line coverage, then MUTANTS.md. Fails on a missed mutant that
# tests/mutants/survivors.toml does not explain. MUTANTS_JOBS: shards run side by
# side. MUTANTS_ITERATE=1 re-tests only what the last run did not catch.
MUTANTS_OUT := $(BUILD)/mutants
MUTANTS_JOBS ?= 2
MUTANTS_CORE := src/rotator.rs src/outcome.rs src/store/file.rs src/store/file_open.rs src/store/memory.rs src/store/mod.rs src/store/fleet.rs src/client.rs src/secret.rs
MUTANTS_FFI := $(wildcard src/ffi/*.rs)
mutants:
	@scripts/cargo-tool.sh cargo-mutants mutants
	@scripts/cargo-tool.sh cargo-tarpaulin tarpaulin
	@[ "$${MUTANTS_ITERATE:-0}" = 1 ] || rm -rf $(MUTANTS_OUT); mkdir -p $(MUTANTS_OUT); date +%s > $(MUTANTS_OUT)/started
	tests/mutants/run.sh $(MUTANTS_OUT)/core $(MUTANTS_JOBS) $(MUTANTS_CORE)
	tests/mutants/run.sh $(MUTANTS_OUT)/ffi $(MUTANTS_JOBS) $(MUTANTS_FFI)
	$(CARGO) tarpaulin --engine llvm -p xoxe --skip-clean --target-dir $(MUTANTS_OUT)/coverage-target \
	  --exclude-files 'tests/*' 'fuzz/*' 'bench/*' --out Stdout 2>&1 | tee $(MUTANTS_OUT)/tarpaulin.log \
	  | sed -n '/|| Tested\/Total Lines:/,$$p' > $(MUTANTS_OUT)/coverage.txt
	python3 tests/mutants/report.py --out MUTANTS.md --pass core=$(MUTANTS_OUT)/core --pass ffi=$(MUTANTS_OUT)/ffi \
	  --coverage $(MUTANTS_OUT)/coverage.txt --seconds $$(( $$(date +%s) - $$(cat $(MUTANTS_OUT)/started) )) \
	  $$([ "$${MUTANTS_ITERATE:-0}" = 1 ] && echo --iterated)

# The audit's planted bugs replayed against every suite (about 6 minutes a mutant).
audit-mutants: build python-venv
	tests/mutants/audit.py --suites rust,c,python,go --markdown $(MUTANTS_OUT)/audit.md

# Benchmarks (not part of make test): xoxe from Rust, C, Python and Go against the
# raw HTTP floor and the official SDKs; writes BENCHMARKS.md.
bench: bench-run

clean:
	$(CARGO) clean
	rm -rf $(BUILD) $(DIST_DIR) fuzz/target $(FUZZ_TARGET_DIR)
