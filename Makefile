# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test bench lint format check-deploy clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files: reinstall only when a requirements file changes.
$(VENV)/.installed-run: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed-run

## run: a running CRM with demo data, web server, Celery worker and beat (Ctrl-C stops all)
run: $(VENV)/.installed-run
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --customers $${DEMO_CUSTOMERS:-200}
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	bash scripts/run.sh

## test: the whole suite, in parallel
test: $(VENV)/.installed-dev
	$(BIN)/pytest -n $${TEST_WORKERS:-auto} $(PYTEST_ARGS)

## bench: seed a benchmark database and print page and job timings
bench: $(VENV)/.installed-dev
	$(BIN)/python manage.py bench

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf var/static var/broker var/cache
