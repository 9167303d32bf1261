# Fuzzing: `make fuzz` runs every cargo-fuzz target for FUZZ_SECONDS
# (default 300) each; `make fuzz-short` for 30 s each (part of `make test`).
# Each writes `fuzz <target>: N executions in S s, 0 crashes` per target to
# $(BUILD)/fuzz-summary.txt; a crash fails the target and keeps its reproducer in
# fuzz/artifacts/<target>/. Needs only cargo (and a C++ compiler for libFuzzer):
# cargo-fuzz is installed when `cargo fuzz` is missing. See fuzz/README.md.
#
# Included by the top-level Makefile, which sets BUILD and CARGO; the defaults
# below let `make -f fuzz/fuzz.mk fuzz` work too.

FUZZ_DIR := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
BUILD ?= $(abspath $(FUZZ_DIR)/../build)
CARGO ?= cargo
FUZZ_SECONDS ?= 300
FUZZ_SHORT_SECONDS ?= 30
FUZZ_TARGETS ?= response_body caller_text ffi_args
FUZZ_SUMMARY ?= $(BUILD)/fuzz-summary.txt

.PHONY: fuzz fuzz-short

fuzz:
	CARGO="$(CARGO)" $(FUZZ_DIR)/run.sh $(FUZZ_SECONDS) $(FUZZ_SUMMARY) $(FUZZ_TARGETS)

fuzz-short:
	CARGO="$(CARGO)" $(FUZZ_DIR)/run.sh $(FUZZ_SHORT_SECONDS) $(FUZZ_SUMMARY) $(FUZZ_TARGETS)
