# 融资服务门户 — the two commands of the README are `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip -q --disable-pip-version-check

.PHONY: run test install install-dev assets lint format migrate load bench clean backup restore

$(VENV)/bin/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "需要 Python 3.11 ($(PYTHON))"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -e . 2>&1 | grep -v "^WARNING: Location" || true
	$(PY) -c "import django, celery" && touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(PIP) install -e ".[dev]" 2>&1 | grep -v "^WARNING: Location" || true
	$(PY) -c "import pytest, playwright" && touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# axe-core for the browser tests' accessibility checks, from the npm registry, served locally.
assets:
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --silent; else echo "npm 不可用：浏览器测试将跳过无障碍检查所需的 axe-core"; fi

migrate: install
	DEBUG=1 $(PY) manage.py migrate --no-input

load: migrate
	DEBUG=1 $(PY) manage.py load_catalogue
	DEBUG=1 $(PY) manage.py load_demo

## make run: install, migrate, load the catalogue and demo data, then serve web + worker + beat.
run: load
	DEBUG=1 bin/run-all

## make test: install the dev dependencies and run the whole suite.
test: install-dev assets
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## make backup [BACKUP_DIR=var/backups]: dump the PostgreSQL database (pg_dump -Fc) and the uploads.
backup: install
	bin/backup $(or $(BACKUP_DIR),var/backups)

## make restore BACKUP=var/backups/rongzi-...: restore into an empty database and MEDIA_ROOT.
restore: install
	bin/restore $(BACKUP)

bench: install-dev
	$(PY) -m benchmarks $(BENCH)

clean:
	rm -rf var .pytest_cache .ruff_cache
