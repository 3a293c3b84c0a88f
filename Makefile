# Tawasul developer entry points. Every target bootstraps .venv from the requirement files.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev
PORT   ?= 8000
OUT    ?= cdk.out

.PHONY: install run jobs test unit lint smoke bench synth clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "pip<26.3"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

## run: the API on http://127.0.0.1:$(PORT) with moto as DynamoDB/S3/SES/SNS, jobs on schedule
run: $(STAMP)
	$(BIN)/python -m scripts.local_stack run --port $(PORT)

## jobs: run every scheduled job once against the running local stack (TAWASUL_NOW sets the clock)
jobs: $(STAMP)
	$(BIN)/python -m scripts.local_stack jobs

## test: linters, then unit, API and HTTP smoke tests
test: $(STAMP) lint
	$(BIN)/python -m pytest

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

lint: $(STAMP)
	$(BIN)/ruff check app.py chalicelib scripts tests bench
	$(BIN)/mypy

## bench: CSV import benchmark against moto server (not part of `make test`); writes bench/results.json
bench: $(STAMP)
	$(BIN)/python -m bench.run

smoke: $(STAMP)
	$(BIN)/python -m pytest tests/smoke

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
