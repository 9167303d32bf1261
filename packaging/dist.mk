# Release artifacts; included by the top-level Makefile (ROOT, BUILD come from it).
#   make dist        the wheel, the sdist, the C tarball and the Go module proxy in
#                    dist/, with SHA256SUMS and BUILD-INFO.txt (packaging/dist.sh;
#                    a portable glibc-2.17 build by cargo zigbuild, kept warm in
#                    build/dist/target)
#   make dist-check  installs and runs each of them with cargo and rustc hidden
#                    from PATH (packaging/dist-check.sh); run by .ci/run after make test
#   make dist-repro  builds dist/ again from a second clone at another path and
#                    compares the bytes (not in CI: it costs a second cold build)

DIST_DIR := $(ROOT)/dist
DIST_WORK := $(BUILD)/dist

.PHONY: dist dist-check dist-repro

dist: deps
	packaging/dist.sh $(DIST_DIR) $(DIST_WORK)

# The fake Slack the examples talk to comes from the ordinary build.
dist-check: build dist
	packaging/dist-check.sh $(DIST_DIR) $(BUILD)/dist-check

dist-repro: dist
	packaging/dist-repro.sh $(DIST_DIR) $(BUILD)/dist-repro
