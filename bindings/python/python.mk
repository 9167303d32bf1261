# Python binding: included by the top-level Makefile (ROOT, BUILD, XOXE_LIBRARY, ... come from it).
#   make test-python          pytest against the fake Slack (dev layout: src/ + $XOXE_LIBRARY); the
#                             fleet-store tests use scripts/test-db.sh's servers (XOXE_TEST_* from
#                             `make test`, else started under build/db by tests/conftest.py)
#   make test-python-install  `pip install ./bindings/python` into a fresh venv, then check it
#   make demo-python          examples/python/example.py against a fake Slack
#   make demo-python-keep-fresh  examples/python/keep_fresh.py: a rotator keeping 5-second tokens fresh
#   make demo-python-bolt     examples/python/bolt_app.py: a Bolt app answering signed events
#   make demo-python-asyncio  examples/python/asyncio_app.py: 50 tasks posting through slack_sdk

PY_SRC := $(ROOT)/bindings/python
PY_BUILD := $(BUILD)/python
PY_VENV := $(PY_BUILD)/venv
PY := $(PY_VENV)/bin/python
PY_INSTALL_VENV := $(PY_BUILD)/install-venv

TEST_TARGETS += test-python test-python-install
LOG_CHECKED_SUITES += test-python
DEMO_TARGETS += demo-python demo-python-keep-fresh demo-python-bolt demo-python-asyncio

.PHONY: python-venv test-python test-python-install demo-python demo-python-keep-fresh demo-python-bolt demo-python-asyncio

# A venv with the test tools. Falls back to virtualenv where python3-venv is missing.
define py_make_venv
	@rm -rf $(1); mkdir -p $(dir $(1))
	@python3 -m venv $(1) 2>/dev/null || { rm -rf $(1); \
	  python3 -m pip install -q --user --disable-pip-version-check virtualenv && python3 -m virtualenv -q $(1); }
endef

# The test tools and the frameworks the integrations are tested against, pinned.
PY_TEST_REQUIREMENTS := $(PY_SRC)/tests/requirements.txt
$(PY_VENV)/.ready: $(PY_SRC)/pyproject.toml $(PY_SRC)/python.mk $(PY_TEST_REQUIREMENTS)
	$(call py_make_venv,$(PY_VENV))
	$(PY) -m pip install -q --disable-pip-version-check -r $(PY_TEST_REQUIREMENTS)
	@touch $@

python-venv: $(PY_VENV)/.ready

test-python: build python-venv
	cd $(PY_SRC) && PYTHONPATH=$(PY_SRC)/src $(PY) -m pytest -q -s tests

# The install path: `pip install ./bindings/python` into a fresh venv puts the library
# and the xoxe command line inside the package. It packages the one release build
# (XOXE_PREBUILT_LIBRARY, XOXE_PREBUILT_CLI) that
# every other suite tests: left to itself, setuptools-rust's `cargo rustc --crate-type
# cdylib` rebuilds the crate with other settings and replaces target/release's library
# under the later suites (and makes the next `cargo build` compile it again).
test-python-install: build
	$(call py_make_venv,$(PY_INSTALL_VENV))
	XOXE_PREBUILT_LIBRARY=$(RELEASE)/libxoxe.so XOXE_PREBUILT_CLI=$(RELEASE)/xoxe $(PY_INSTALL_VENV)/bin/pip install -q --disable-pip-version-check $(PY_SRC)
	cd $(PY_BUILD) && env -u XOXE_LIBRARY -u PYTHONPATH PATH=$(PY_INSTALL_VENV)/bin:$$PATH $(PY_INSTALL_VENV)/bin/python $(PY_SRC)/tools/check_install.py
	@installed=$$(cd $(PY_BUILD) && env -u XOXE_LIBRARY -u PYTHONPATH $(PY_INSTALL_VENV)/bin/python -c 'import xoxe; print(xoxe.LIBRARY_PATH)'); \
	  cmp -s $(RELEASE)/libxoxe.so "$$installed" || { echo "the installed $$installed is not the tested $(RELEASE)/libxoxe.so"; exit 1; }; \
	  echo "the installed package carries the tested library"

demo-python: build python-venv
	PYTHONPATH=$(PY_SRC)/src scripts/with-fake-slack.sh $(PY) examples/python/example.py

# A rotator keeping a 5-second token fresh across several rotations.
demo-python-keep-fresh: build python-venv
	PYTHONPATH=$(PY_SRC)/src XOXE_FAKE_SLACK_ARGS="--token-ttl 5" scripts/with-fake-slack.sh $(PY) examples/python/keep_fresh.py

# A Bolt app (xoxe.bolt) answering three signed events the fake Slack delivers, 3 s
# apart, with 5-second tokens.
demo-python-bolt: build python-venv
	PYTHONPATH=$(PY_SRC)/src XOXE_FAKE_SLACK_ARGS="--token-ttl 5" scripts/with-fake-slack.sh $(PY) examples/python/bolt_app.py

# asyncio tasks posting through xoxe's slack_sdk AsyncWebClient across 5-second tokens.
demo-python-asyncio: build python-venv
	PYTHONPATH=$(PY_SRC)/src XOXE_FAKE_SLACK_ARGS="--token-ttl 5" scripts/with-fake-slack.sh $(PY) examples/python/asyncio_app.py

# Ruff (lint and format) over every Python file in the repository (ruff.toml),
# and mypy --strict over the package.
LINT_TARGETS += lint-python
.PHONY: lint-python
# mypy reads the frameworks (slack_bolt, slack_sdk, aiohttp) from the test venv.
lint-python: lint-tools python-venv
	cd $(ROOT) && $(LINT_TOOLS)/ruff check . && $(LINT_TOOLS)/ruff format --check .
	cd $(PY_SRC) && $(LINT_TOOLS)/mypy --strict --python-executable $(PY) src
