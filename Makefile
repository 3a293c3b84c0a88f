# Tawasul developer entry points. Every target bootstraps .venv from the requirement files.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev
INFRA_STAMP := $(VENV)/.installed-infra
PORT   ?= 8000
OUT    ?= cdk.out

.PHONY: install run jobs test unit lint smoke bench synth cfn-lint infra-test clean rebuild-reports

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "pip<26.3"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

# CDK tooling (aws-cdk-lib, chalice[cdkv2], cfn-lint) on top of the Lambda requirements.
$(INFRA_STAMP): requirements.txt infra/requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "pip<26.3"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r infra/requirements.txt
	touch $(INFRA_STAMP)

install: $(STAMP) $(INFRA_STAMP)

## run: the API on http://127.0.0.1:$(PORT) with moto as DynamoDB/S3/SES/SNS, jobs on schedule
run: $(STAMP)
	$(BIN)/python -m scripts.local_stack run --port $(PORT)

## jobs: run every scheduled job once against the running local stack (TAWASUL_NOW sets the clock)
jobs: $(STAMP)
	$(BIN)/python -m scripts.local_stack jobs

## test: linters, then unit, API, HTTP smoke and infra template tests (those synthesise the stack
## once and run cfn-lint on it)
test: $(STAMP) $(INFRA_STAMP) lint
	$(BIN)/python -m pytest

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

lint: $(STAMP)
	$(BIN)/ruff check app.py chalicelib scripts tests infra bench
	$(BIN)/mypy

## rebuild-reports: rebuild ORG's report counters from the source items (ORG=<org id>; the table
## and endpoint come from the environment, as for the app: TAWASUL_TABLE, AWS_ENDPOINT_URL ...)
rebuild-reports: $(STAMP)
	$(BIN)/python -m scripts.rebuild_reports $(ORG)

## bench: CSV import benchmark against moto server (not part of `make test`); writes bench/results.json
bench: $(STAMP)
	$(BIN)/python -m bench.run

smoke: $(STAMP)
	$(BIN)/python -m pytest tests/smoke

## synth: the CloudFormation templates of every stage into $(OUT), offline, no AWS credentials
synth: $(INFRA_STAMP)
	CDK_OUTDIR="$(abspath $(OUT))" $(BIN)/python infra/app.py

## cfn-lint: synthesise into $(OUT), then lint every template there
cfn-lint: synth
	$(BIN)/cfn-lint "$(abspath $(OUT))"/*.template.json

## infra-test: only the template tests
infra-test: $(INFRA_STAMP) $(STAMP)
	$(BIN)/python -m pytest tests/infra

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache cdk.out infra/chalice.out
