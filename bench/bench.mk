# Benchmarks: included by the top-level Makefile, which wires `make bench`
# to `bench-run`. Uses ROOT, RELEASE and BUILD from it. Not part of `make test`.
#
# Installs what it compares against: wrk, GNU time and nginx (Debian; run.py starts its own
# nginx from bench/nginx/nginx.conf.in under $(BUILD)/bench/nginx, the package's service is
# not used), slack_sdk and matplotlib (PyPI, pinned in bench/python/requirements.txt, venv in
# $(BUILD)/bench/venv; matplotlib draws bench/scaling.png), @slack/web-api (npm,
# pinned in bench/node/package-lock.json, installed into $(BUILD)/bench/node), slack-go
# (Go module proxy, pinned in bench/go-slackgo/go.mod + go.sum), and PostgreSQL and
# Redis for the store section (scripts/test-db.sh ensure: Debian's packages, when
# missing). Then bench/run.py starts nginx and the fake Slack and writes BENCHMARKS.md; for the
# section "Rotation through each store" it starts throwaway databases under
# $(BUILD)/bench/db and stops them afterwards.
#   make bench                      the whole run (~6 minutes on 2 cores)
#   make bench BENCH_ARGS="--reps 3 --calls 1000"   a quicker one
#   make bench-stores               that store section alone (printed, and written
#                                   to $(BUILD)/bench/store-rotation.json; BENCHMARKS.md
#                                   is left alone), e.g. BENCH_ARGS="--reps 3 --store-rotations 100"
#   make bench-pool                 the section "Pool: many chains" alone: get(chain) with
#                                   100 000 chains from C, Python and Go (and slack_sdk's
#                                   TokenRotator check), memory per chain, the background
#                                   refresher's rotations/s (printed, and written to
#                                   $(BUILD)/bench/pool.json), e.g. BENCH_ARGS="--reps 3"
#   make bench-scaling              the section "Scaling: threads and chains" alone: get(chain)
#                                   at 1, 2, 8, 32 threads with 10, 1 000, 100 000 chains, and
#                                   rotations from threads sharing one client against nginx and
#                                   the fake Slack (bench_xoxe scale-get / scale-rotate); draws
#                                   bench/scaling.png; written to $(BUILD)/bench/scaling.json
#   make bench-section BENCH_SECTION=KEY   any section alone by its --only key (stores, pool,
#                                   scaling, or an extra section of run.py's EXTRA_SECTIONS)
#   BENCH_ARGS=--write              with bench-stores, bench-pool, bench-scaling or bench-section:
#                                   also replace that section of BENCHMARKS.md (and its findings),
#                                   keeping the rest

BENCH_BUILD := $(BUILD)/bench
BENCH_GO ?= $(firstword $(shell command -v go 2>/dev/null) $(wildcard /usr/local/go/bin/go /usr/lib/go/bin/go))
BENCH_CC ?= cc
BENCH_ARGS ?=
BENCH_SUDO := $(shell [ "$$(id -u)" -ne 0 ] && echo sudo)

.PHONY: bench-run bench-stores bench-pool bench-scaling bench-section bench-deps bench-apt bench-db bench-python bench-node bench-go bench-c bench-rust bench-example

bench-apt:
	@missing=(); command -v wrk >/dev/null || missing+=(wrk); [ -x /usr/bin/time ] || missing+=(time); \
	  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx); \
	  command -v curl >/dev/null || missing+=(curl); command -v node >/dev/null || missing+=(nodejs npm); \
	  if [ $${#missing[@]} -gt 0 ]; then echo "installing: $${missing[*]}"; \
	    $(BENCH_SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(BENCH_SUDO) apt-get install -y -qq "$${missing[@]}" >/dev/null; fi

bench-db:
	@$(ROOT)/scripts/test-db.sh ensure

$(BENCH_BUILD)/venv/.ready: $(ROOT)/bench/python/requirements.txt
	@rm -rf $(BENCH_BUILD)/venv; mkdir -p $(BENCH_BUILD)
	python3 -m venv $(BENCH_BUILD)/venv
	$(BENCH_BUILD)/venv/bin/pip install -q --disable-pip-version-check -r $<
	@touch $@
bench-python: $(BENCH_BUILD)/venv/.ready

$(BENCH_BUILD)/node/.ready: $(ROOT)/bench/node/package.json $(ROOT)/bench/node/package-lock.json
	@mkdir -p $(BENCH_BUILD)/node
	cp $^ $(BENCH_BUILD)/node/
	cd $(BENCH_BUILD)/node && npm ci --no-audit --no-fund --loglevel=error
	@touch $@
bench-node: bench-apt $(BENCH_BUILD)/node/.ready
	cp $(ROOT)/bench/node/bench.js $(BENCH_BUILD)/node/

bench-go: build
	@mkdir -p $(BENCH_BUILD)
	cd $(ROOT)/bench/go-xoxe && CGO_ENABLED=1 GOFLAGS=-mod=mod CGO_CFLAGS="$(XOXE_CGO_CFLAGS)" "$(BENCH_GO)" build -o $(BENCH_BUILD)/goxoxe .
	cd $(ROOT)/bench/go-slackgo && GOFLAGS=-mod=readonly "$(BENCH_GO)" build -o $(BENCH_BUILD)/slackgo .
	cd $(ROOT)/bench/go-slackgo-xoxe && CGO_ENABLED=1 GOFLAGS=-mod=mod CGO_CFLAGS="$(XOXE_CGO_CFLAGS)" "$(BENCH_GO)" build -o $(BENCH_BUILD)/slackgo-xoxe .

bench-c: build
	@mkdir -p $(BENCH_BUILD)
	$(BENCH_CC) -O2 -std=c11 -Wall -Wextra -Werror -I$(ROOT)/include $(ROOT)/bench/c/bench_xoxe.c \
	  -o $(BENCH_BUILD)/bench_xoxe -L$(RELEASE) -Wl,-rpath,$(RELEASE) -lxoxe -lpthread
	$(BENCH_CC) -O2 -std=c11 -Wall -Wextra -Werror -I$(ROOT)/include $(ROOT)/bench/c/bench_load.c \
	  -o $(BENCH_BUILD)/bench_load -ldl
	$(BENCH_CC) -O2 -std=c11 -Wall -Wextra -Werror $(ROOT)/bench/c/mem_latency.c -o $(BENCH_BUILD)/mem_latency

# Its own Cargo project (own [workspace]), built apart in target/bench. Not --locked:
# its Cargo.lock follows whatever xoxe (and tools/fake-slack, which store_rotation
# runs in process) depend on. Builds every bin in bench/rust/src/bin: rotate
# (per-call figures) and store_rotation (the store section).
bench-rust: build
	cd $(ROOT)/bench/rust && CARGO_TARGET_DIR=$(ROOT)/target/bench $(CARGO) build --release

bench-example: build
	@$(MAKE) --no-print-directory -C $(ROOT)/examples/c BUILD=$(BUILD)/c RELEASE=$(RELEASE)

bench-deps: bench-apt bench-db bench-python bench-node bench-go bench-c bench-rust bench-example

bench-run: build bench-deps
	python3 $(ROOT)/bench/run.py --root $(ROOT) --release $(RELEASE) --build $(BENCH_BUILD) $(BENCH_ARGS)

bench-stores: bench-db bench-rust
	python3 $(ROOT)/bench/run.py --root $(ROOT) --release $(RELEASE) --build $(BENCH_BUILD) --only stores $(BENCH_ARGS)

bench-pool: bench-python bench-c bench-go
	python3 $(ROOT)/bench/run.py --root $(ROOT) --release $(RELEASE) --build $(BENCH_BUILD) --only pool $(BENCH_ARGS)

bench-scaling: bench-apt bench-python bench-c
	python3 $(ROOT)/bench/run.py --root $(ROOT) --release $(RELEASE) --build $(BENCH_BUILD) --only scaling $(BENCH_ARGS)

# Builds everything (an extra section may need any of it), then runs one section.
bench-section: build bench-deps
	@[ -n "$(BENCH_SECTION)" ] || { echo "bench-section: set BENCH_SECTION (see bench/run.py --help)"; exit 2; }
	python3 $(ROOT)/bench/run.py --root $(ROOT) --release $(RELEASE) --build $(BENCH_BUILD) --only $(BENCH_SECTION) $(BENCH_ARGS)
