# ConectCRM Atendimento — the commands: `make run`, `make test`, `make bench`, `make stop`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
LOCK_RUN := requirements/run.txt
LOCK_DEV := requirements/dev.txt
HASH   := $(shell cat pyproject.toml $(LOCK_RUN) $(LOCK_DEV) | sha1sum | cut -c1-12)
PIP    := $(BIN)/pip install --disable-pip-version-check -q
RUN_OK  := $(VENV)/.run-$(HASH)
TEST_OK := $(VENV)/.test-$(HASH)
CHROMIUM ?= /usr/bin/chromium

.PHONY: lock auditar run test lint e2e stop clean chromium bench gettext mensagens

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Installs come from the lock files (exact versions, verified hashes), then the project itself.
$(RUN_OK): pyproject.toml $(LOCK_RUN) | $(BIN)/python
	$(PIP) --require-hashes --no-deps -r $(LOCK_RUN)
	$(PIP) --no-deps -e .
	touch $@

$(TEST_OK): pyproject.toml $(LOCK_DEV) | $(BIN)/python
	$(PIP) --require-hashes --no-deps -r $(LOCK_DEV)
	$(PIP) --no-deps -e .
	touch $@ $(RUN_OK)

## make lock: re-resolve the lock files after changing pyproject.toml (commit both)
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes -q
lock: | $(BIN)/python
	$(PIP) uv
	$(UV_COMPILE) -o $(LOCK_RUN)
	$(UV_COMPILE) --extra dev -o $(LOCK_DEV)

## make auditar: known vulnerabilities in the locked versions (skipped, with a notice, offline)
auditar: $(TEST_OK)
	$(BIN)/python requirements/auditar.py $(LOCK_RUN) $(LOCK_DEV)

## make run: the product on the embedded PostgreSQL+pgvector and Redis (or DATABASE_URL/REDIS_URL)
run: $(RUN_OK)
	$(BIN)/python -m conectcrm.executar

## Debian's Chromium for the browser tests (Playwright drives it; no browser download)
chromium:
	@test -x $(CHROMIUM) || { \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium) \
	  || echo "AVISO: não foi possível instalar o chromium; os testes e2e serão pulados"; }

## GNU gettext (xgettext/msgfmt) for makemessages/compilemessages, from Debian like chromium
gettext:
	@command -v msgfmt >/dev/null || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gettext) \
	  || echo "AVISO: não foi possível instalar o gettext; make mensagens não roda e o teste do catálogo é pulado"

## make mensagens: refresh locale/en from the code and templates, then compile the .mo files.
## Translate the new entries of locale/en/LC_MESSAGES/django.po (no empty msgstr, no fuzzy), run
## it again and commit both the .po and the .mo (tests/i18n checks they match).
mensagens: $(TEST_OK) gettext
	$(BIN)/python manage.py makemessages -l en --no-location --ignore='.*' --ignore='tests/*' \
	  --ignore='bench/*' --ignore='static/vendor/*' --ignore='artifacts/*'
	$(BIN)/python manage.py compilemessages -l en --ignore='.*'

lint: $(TEST_OK)
	$(BIN)/python requirements/verificar.py
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	CONECTCRM_PERFIL=test $(BIN)/python manage.py makemigrations --check --dry-run

## make test: lint + migrations check + the whole suite on real PostgreSQL and Redis
test: $(TEST_OK) chromium gettext lint auditar
	CONECTCRM_PERFIL=test $(BIN)/python -m conectcrm.testar $(PYTEST_ARGS)

## make stop: the embedded PostgreSQL/Redis of every profile (run, test, bench, …)
stop:
	-$(BIN)/python -m conectcrm.embedded stop --todos

## make bench: every benchmark of bench/__main__.py (BENCH_ARGS, e.g. "ingest -- --segundos 5");
## stops everything it started, also on failure and Ctrl-C
bench: $(TEST_OK)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean: stop
	rm -rf .devdata
