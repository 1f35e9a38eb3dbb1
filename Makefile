# ConectCRM Atendimento — the commands: `make run`, `make test`, `make bench`, `make stop`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HASH   := $(shell sha1sum pyproject.toml | cut -c1-12)
RUN_OK  := $(VENV)/.run-$(HASH)
TEST_OK := $(VENV)/.test-$(HASH)
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test lint e2e stop clean chromium bench gettext mensagens

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_OK): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -e .
	touch $@

$(TEST_OK): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -e '.[dev]'
	touch $@ $(RUN_OK)

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
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	CONECTCRM_PERFIL=test $(BIN)/python manage.py makemigrations --check --dry-run

## make test: lint + migrations check + the whole suite on real PostgreSQL and Redis
test: $(TEST_OK) chromium gettext lint
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
