# Parley: `make run` starts everything, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test lint format migrations-check bench bench-ws clean-var

install: $(STAMP)

# Re-installs only when requirements.txt changes; pip skips what the venv already has.
$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q --upgrade pip
	$(PY) -m pip install --disable-pip-version-check -q torch==2.13.0
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt
	touch $(STAMP)

run: install
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m tutor.stack up

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

migrations-check: install
	DJANGO_DEBUG=1 $(PY) -m tutor.stack exec --profile test -- $(PY) manage.py makemigrations --check --dry-run

test: install lint
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" DJANGO_DEBUG=1 $(PY) -m tutor.stack exec --profile test -- \
		sh -c '$(PY) manage.py makemigrations --check --dry-run && $(PY) -m pytest $(PYTEST_ARGS)'

bench: bench-ws

bench-ws: install
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" DJANGO_DEBUG=1 $(PY) -m tutor.stack exec --profile bench -- \
		$(PY) manage.py wsbench --frames 500

clean-var:
	rm -rf var/test var/bench
