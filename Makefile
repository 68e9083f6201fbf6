# The README's two commands: `make run` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=
# Test processes (pytest-xdist): one per core.
PYTEST_WORKERS ?= auto

.PHONY: run test smoke bench install browser clean

run: install
	$(FLASK) igny8 init --demo
	$(FLASK) igny8 pipeline --demo
	IGNY8_SESSION_COOKIE_SECURE=false IGNY8_OUTBOUND_ALLOW_HOSTS=127.0.0.1 \
	  $(FLASK) run --host $(HOST) --port $(PORT)

test: install browser
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# The wheel in a fresh venv outside the checkout, with the tutorial's example plugins.
smoke: install
	./.ci/wheel-smoke

# Debian's Chromium and ChromeDriver for the admin browser test (no browser download).
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) || \
	  echo "chromium not installed: the browser test will be skipped (run as root, or install chromium and chromium-driver)"

bench: install
	$(BIN)/python bench/metering.py
	$(BIN)/python bench/phases.py
	$(BIN)/python bench/reports.py

install: $(VENV)/.installed node_modules/.installed

# Reinstalled only when the packaging files change.
$(VENV)/.installed: setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

clean:
	rm -rf $(VENV) node_modules .pytest_cache
