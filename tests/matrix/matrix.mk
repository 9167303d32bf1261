# The fault matrix report. Include from the top-level Makefile
# (ROOT and BUILD come from it), after the C, Python and Go suites have run:
#   make reliability-report   rewrites the "Fault matrix" section of RELIABILITY.md
#                             from $(BUILD)/matrix/{c,python,go}.jsonl
# Fails when a language's results are missing, stale or failing (the file is written anyway).

MATRIX_MK_DIR := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
ROOT ?= $(abspath $(MATRIX_MK_DIR)/../..)
BUILD ?= $(ROOT)/build

.PHONY: reliability-report
reliability-report:
	python3 $(MATRIX_MK_DIR)/report.py --dir $(BUILD)/matrix --out $(ROOT)/RELIABILITY.md
