# The C ABI's policy (ABI.md), checked. Included by the top-level Makefile (ROOT,
# RELEASE and TEST_TARGETS come from it):
#   make test-abi   tests/abi/abi.py's planted breaks (each must be caught), then the
#                   release build against abi/: libxoxe.so exports exactly the header's
#                   functions, all xoxe_*; its SONAME is libxoxe.so.XOXE_ABI_VERSION;
#                   nothing of the newest earlier release's list is gone or changed
#                   unless XOXE_ABI_VERSION went up; abi/'s history is consistent
#   make abi-list   writes abi/xoxe-VERSION.abi (VERSION from Cargo.toml) from
#                   include/xoxe.h: committed with the release (ABI.md)

ABI_MK_DIR := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
ROOT ?= $(abspath $(ABI_MK_DIR)/../..)
RELEASE ?= $(ROOT)/target/release
ABI_LISTS := $(ROOT)/abi
# The release version: [package]'s `version` in Cargo.toml (the one place it is kept).
XOXE_RELEASE := $(shell awk -F'"' '/^\[/ { pkg = ($$0 == "[package]") } pkg && /^version *=/ { print $$2; exit }' $(ROOT)/Cargo.toml)

TEST_TARGETS += test-abi

.PHONY: test-abi abi-list

# The checker's own planted breaks first, then the header and the library built.
test-abi: build
	python3 $(ABI_MK_DIR)/abi.py selftest --header $(ROOT)/include/xoxe.h
	python3 $(ABI_MK_DIR)/abi.py check --header $(ROOT)/include/xoxe.h --library $(RELEASE)/libxoxe.so --lists $(ABI_LISTS)

# The release's list, from the committed header (check-header: it must be current).
# Refused when the header is of another version than Cargo.toml's.
abi-list: check-header
	python3 $(ABI_MK_DIR)/abi.py list $(ROOT)/include/xoxe.h --release $(XOXE_RELEASE) -o $(ABI_LISTS)/xoxe-$(XOXE_RELEASE).abi
