# 北海道デジタル人材育成ポータル — two commands from a fresh clone:
#   make demo   venv, install, migrate, organisations, catalogue, dev key, demo accounts, serve
#   make test   the whole test suite (SQLite)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000
PYTEST_ARGS ?= -n 2

export PORTAL_ENV ?= development

.PHONY: demo test install migrate setup-demo translations lint typecheck serve clean-venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

translations: install
	$(FLASK) i18n compile

migrate: install
	$(FLASK) db upgrade

# Everything `make demo` prepares, without starting the server (idempotent).
setup-demo: migrate translations
	$(FLASK) orgs sync
	$(FLASK) curricula sync
	$(FLASK) demo seed
	$(FLASK) keys generate --if-missing

demo: setup-demo
	@echo ""
	@echo "  北海道デジタル人材育成ポータル: http://$(HOST):$(PORT)/"
	@echo "  demo accounts (password demo-pass): learner@ trainer@ hr@ admin@ demo.hokkaido.example,"
	@echo "                                      learner@ hr@ demo.furano.example"
	@echo ""
	$(FLASK) run --host $(HOST) --port $(PORT)

test: install translations
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy

clean-venv:
	rm -rf $(VENV)
