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

.PHONY: run serve test smoke bench install browser clean

# One gunicorn process (its threads serve requests; the embedded runner's threads run
# the queued runs), SQLite in instance/, no Redis.
run: install
	IGNY8_PUBLIC_URL=http://$(HOST):$(PORT) $(FLASK) igny8 init --demo
	$(FLASK) igny8 pipeline --demo
	IGNY8_SESSION_COOKIE_SECURE=false IGNY8_OUTBOUND_ALLOW_HOSTS=127.0.0.1 \
	  IGNY8_PUBLIC_URL=http://$(HOST):$(PORT) $(BIN)/gunicorn --config deploy/gunicorn.conf.py --workers 1 --threads 32 --bind $(HOST):$(PORT) --access-logfile - 'wsgi:app'

# Production-shaped (docs/deploy.md): gunicorn, a Celery worker and beat, on the
# PostgreSQL and Redis given by IGNY8_DATABASE_URL and IGNY8_CELERY_BROKER_URL.
WEB_WORKERS ?= 2
WEB_THREADS ?= 32
# Runs a Celery worker executes at once (threads; their items share ITEM_WORKERS threads).
RUN_CONCURRENCY ?= 32
# supervisord's socket and pid file (`$(BIN)/supervisorctl -c deploy/supervisord.conf status`).
SERVE_STATE ?= instance/serve
serve: install
	@test -n "$$IGNY8_DATABASE_URL" -a -n "$$IGNY8_CELERY_BROKER_URL" || { echo \
	  "make serve: set IGNY8_DATABASE_URL (PostgreSQL) and IGNY8_CELERY_BROKER_URL (Redis); see docs/deploy.md" >&2; \
	  exit 2; }
	$(FLASK) igny8 init
	mkdir -p $(SERVE_STATE)
	IGNY8_RATELIMIT_STORAGE_URI=$${IGNY8_RATELIMIT_STORAGE_URI:-$$IGNY8_CELERY_BROKER_URL} \
	  IGNY8_SERVE_STATE=$(abspath $(SERVE_STATE)) IGNY8_BIN=$(abspath $(BIN)) \
	  HOST=$(HOST) PORT=$(PORT) WEB_WORKERS=$(WEB_WORKERS) IGNY8_WEB_THREADS=$(WEB_THREADS) \
	  RUN_CONCURRENCY=$(RUN_CONCURRENCY) \
	  exec $(BIN)/supervisord --nodaemon --configuration deploy/supervisord.conf

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
	$(BIN)/python bench/pricing.py
	$(BIN)/python bench/phases.py
	$(BIN)/python bench/reports.py
	$(BIN)/python bench/load.py
	$(BIN)/python bench/latency.py

install: $(VENV)/.installed node_modules/.installed

# Reinstalled only when the packaging files change. uv (from PyPI) installs the same
# packages pip would, from the same index, in seconds rather than most of a minute.
$(VENV)/.installed: setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(BIN)/uv pip install --python $(BIN)/python --quiet -e '.[dev,postgres]'
	@# Bytecode now, once: with PYTHONDONTWRITEBYTECODE set (as here) Python never writes
	@# it, and every process compiles every module it imports (create_app(): 7.0 s -> 3.7 s
	@# measured; bench/startup.py is still to come, issue 24).
	$(BIN)/python -m compileall -q -j 0 $(VENV)/lib igny8 plugins > /dev/null
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

clean:
	rm -rf $(VENV) node_modules .pytest_cache
