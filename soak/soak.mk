# Soak: `make soak` (not part of `make test`). Included by the top-level Makefile
# (ROOT, RELEASE, BUILD come from it). One fake Slack of its own (HTTP + HTTPS, a
# random port), a fault injector adding random faults all the time, and three
# drivers (C, Python, Go) running a mix of calls side by side for SOAK_SECONDS
# (default 600; `make soak SOAK_SECONDS=60` for a quick run). Fails on a crash, an
# unexpected status, or RSS growing > 10 % + SOAK_RSS_SLACK_MB (default 4) after
# warm-up. Summary: $(BUILD)/soak-summary.txt; everything else in $(BUILD)/soak/.
# Then the deterministic simulation runs its long count of seeds (below).

SOAK_DIR := $(ROOT)/soak
SOAK_BUILD := $(BUILD)/soak-bin
SOAK_OUT := $(BUILD)/soak
SOAK_SECONDS ?= 600
SOAK_GO ?= $(firstword $(shell command -v go 2>/dev/null) $(wildcard /usr/local/go/bin/go /usr/lib/go/bin/go))
SOAK_PY ?= $(shell command -v python3)

# The deterministic simulation (tests/simulation.rs, RELIABILITY.md) over
# SOAK_SIM_SEEDS seeds (default 100000), from seed SOAK_SIM_FIRST_SEED (default
# 1000000, past the seeds make test runs), every one even after a failure;
# its summary line and each failing seed's replay command go to
# $(BUILD)/soak-simulation.txt. `make soak-simulation` runs it alone.
SOAK_SIM_SEEDS ?= 100000
SOAK_SIM_FIRST_SEED ?= 1000000

.PHONY: soak soak-drivers soak-simulation

$(SOAK_BUILD)/soak-c: $(SOAK_DIR)/soak.c $(ROOT)/include/xoxe.h $(RELEASE)/libxoxe.so
	@mkdir -p $(SOAK_BUILD)
	$(CC) -std=c99 -Wall -Wextra -Werror -pedantic -O2 -pthread -I$(ROOT)/include $< \
	  -L$(RELEASE) -Wl,-rpath,$(RELEASE) -lxoxe -o $@

$(SOAK_BUILD)/soak-go: $(SOAK_DIR)/go/main.go $(SOAK_DIR)/go/go.mod $(RELEASE)/libxoxe.a $(wildcard $(ROOT)/bindings/go/*.go)
	@mkdir -p $(SOAK_BUILD)
	cd $(SOAK_DIR)/go && CGO_ENABLED=1 GOFLAGS=-mod=mod CGO_CFLAGS="$(XOXE_CGO_CFLAGS)" "$(SOAK_GO)" build -o $@ .

soak-drivers: $(SOAK_BUILD)/soak-c $(SOAK_BUILD)/soak-go

soak: build
	@$(MAKE) --no-print-directory -f $(firstword $(MAKEFILE_LIST)) soak-drivers
	SOAK_SECONDS=$(SOAK_SECONDS) $(SOAK_DIR)/run.sh $(SOAK_OUT) $(SOAK_BUILD)/soak-c $(SOAK_BUILD)/soak-go \
	  "$(SOAK_PY)" $(BUILD)/soak-summary.txt
	@$(MAKE) --no-print-directory -f $(firstword $(MAKEFILE_LIST)) soak-simulation

soak-simulation:
	@mkdir -p $(BUILD); rm -f $(BUILD)/soak-simulation.txt
	XOXE_SIM_SEEDS=$(SOAK_SIM_SEEDS) XOXE_SIM_FIRST_SEED=$(SOAK_SIM_FIRST_SEED) XOXE_SIM_KEEP_GOING=1 \
	  XOXE_SIM_SUMMARY=$(BUILD)/soak-simulation.txt \
	  $(CARGO) test --release --locked --features simulation --test simulation -- --exact seeds_keep_the_promise
