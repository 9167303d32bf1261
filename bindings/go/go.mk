# Go binding (bindings/go) and Go examples (examples/go); included by the top-level Makefile.
# Needs a Go toolchain (>= 1.22) with cgo and a C compiler; the package links
# target/release/libxoxe.a, which `build` produces. The binding's module has no
# third-party requirement; the slack-go example (examples/go, whose module pins
# github.com/slack-go/slack v0.35.0 and so needs Go >= 1.26) and its tests
# (tests/slackgo, a module of their own) do.

GO ?= $(firstword $(shell command -v go 2>/dev/null) $(wildcard /usr/local/go/bin/go /usr/lib/go/bin/go))
GO_PKG_DIR := $(ROOT)/bindings/go
GO_EXAMPLE_DIR := $(ROOT)/examples/go
GO_SLACKGO_TEST_DIR := $(ROOT)/tests/slackgo
GO_BUILD := $(BUILD)/go
# -mod=mod: resolve modules from go.mod (nothing is vendored); cgo is required.
# CGO_CFLAGS carries the library's checksum (XOXE_CGO_CFLAGS, top-level Makefile)
# so a rebuilt libxoxe.a is relinked rather than served from Go's cache.
GO_ENV = CGO_ENABLED=1 GOFLAGS=-mod=mod CGO_CFLAGS="$(XOXE_CGO_CFLAGS)"

TEST_TARGETS += test-go test-go-slackgo
LOG_CHECKED_SUITES += test-go test-go-slackgo
DEMO_TARGETS += demo-go demo-go-slackgo

.PHONY: go-toolchain go-vet lint-go go-example go-example-slackgo test-go test-go-slackgo demo-go demo-go-slackgo
LINT_TARGETS += lint-go

go-toolchain:
	@if [ -z "$(GO)" ] || ! "$(GO)" version >/dev/null 2>&1; then \
	  echo "test-go/demo-go need a Go toolchain (>= 1.22; >= 1.26 for the slack-go example and tests) on PATH: install it from https://go.dev/dl/ or your package manager"; exit 1; \
	fi
	@"$(GO)" version

# gofmt, go vet and staticcheck over every Go module in the repository (make
# lint). Vetting compiles the cgo preamble against include/xoxe.h; nothing is linked.
GO_MODULES := $(patsubst %/go.mod,%,$(shell git ls-files '*go.mod'))
lint-go: go-toolchain lint-tools
	@unformatted=$$("$$(dirname "$(GO)")/gofmt" -l $(GO_MODULES)); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi; \
	  echo "gofmt: clean"
	@for m in $(GO_MODULES); do echo "go vet + staticcheck: $$m"; \
	  (cd $$m && $(GO_ENV) "$(GO)" vet ./... && $(GO_ENV) $(LINT_TOOLS)/staticcheck ./...) || exit 1; done

# make test keeps vetting before it runs the Go tests.
go-vet: lint-go

go-example: go-toolchain build
	@mkdir -p $(GO_BUILD)
	cd $(GO_EXAMPLE_DIR) && $(GO_ENV) "$(GO)" build -o $(GO_BUILD)/example .

# The tests start one fake Slack ($(XOXE_FAKE_SLACK)) for the package and record
# the secrets it issues in $(XOXE_ISSUED_TOKENS) for the secret scan.
# The GOGC=1 run uses a test binary built beforehand, so the compiler does not
# run with GOGC=1 too, and -test.short: the tests that mostly wait for tokens to
# expire run once, in the first pass.
test-go: go-vet go-example
	cd $(GO_PKG_DIR) && $(GO_ENV) "$(GO)" test -race -count=1 -v ./...
	cd $(GO_PKG_DIR) && $(GO_ENV) "$(GO)" test -c -o $(GO_BUILD)/xoxe.test .
	@echo "--- again with GOGC=1 GODEBUG=cgocheck=1 (no -race) ---"
	cd $(GO_PKG_DIR) && GOGC=1 GODEBUG=cgocheck=1 $(GO_BUILD)/xoxe.test -test.count=1 -test.short

demo-go: go-example
	scripts/with-fake-slack.sh $(GO_BUILD)/example

# examples/go/slackgo: a slack-go program with xoxe's Transport (the few lines
# bindings/go/README.md opens with).
go-example-slackgo: go-toolchain build
	@mkdir -p $(GO_BUILD)
	cd $(GO_EXAMPLE_DIR) && $(GO_ENV) "$(GO)" build -o $(GO_BUILD)/example-slackgo ./slackgo

# Tokens that live 5 s: the example's three posts, 3 s apart, span a rotation.
demo-go-slackgo: go-example-slackgo
	XOXE_FAKE_SLACK_ARGS="--token-ttl 5" scripts/with-fake-slack.sh $(GO_BUILD)/example-slackgo

# slack-go v0.35.0 (pinned in tests/slackgo/go.mod) through xoxe's Transport,
# under -race, against a fake Slack of the suite's own with 3-second tokens
# ($(XOXE_FAKE_SLACK); issued secrets recorded in $(XOXE_ISSUED_TOKENS)). With
# XOXE_LOG set the library's own logger writes its lines to stderr, which make
# test keeps in build/logs/ for the log check and the secret scan.
test-go-slackgo: go-example-slackgo
	cd $(GO_SLACKGO_TEST_DIR) && $(GO_ENV) "$(GO)" test -race -count=1 -v ./...
