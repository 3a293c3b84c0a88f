# Tawasul developer entry points. Every target bootstraps .venv from the requirement files.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev
INFRA_STAMP := $(VENV)/.installed-infra
# npm tools that check /openapi.json (Redocly lint, openapi-typescript, openapi-fetch, tsc), pinned
# by tools/openapi/package-lock.json and installed there, never globally.
NODE_TOOLS  := tools/openapi
NODE_STAMP  := $(NODE_TOOLS)/node_modules/.installed
# dynalite, a second DynamoDB implementation for `make test-dynalite`, pinned the same way.
DYNALITE_TOOLS := tools/dynalite
DYNALITE_STAMP := $(DYNALITE_TOOLS)/node_modules/.installed
PORT   ?= 8000
OUT    ?= cdk.out

.PHONY: install openapi-tools dynalite test-dynalite run jobs test unit lint smoke bench bench-imports bench-local-stack bench-cold-start bench-routes synth cfn-lint infra-test clean rebuild-reports

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

$(NODE_STAMP): $(NODE_TOOLS)/package.json $(NODE_TOOLS)/package-lock.json
	cd $(NODE_TOOLS) && npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

openapi-tools: $(NODE_STAMP)

$(DYNALITE_STAMP): $(DYNALITE_TOOLS)/package.json $(DYNALITE_TOOLS)/package-lock.json
	cd $(DYNALITE_TOOLS) && npm ci --no-audit --no-fund --loglevel=error
	touch $(DYNALITE_STAMP)

dynalite: $(DYNALITE_STAMP)

install: $(STAMP) $(INFRA_STAMP) $(NODE_STAMP) $(DYNALITE_STAMP)

## run: the API on http://127.0.0.1:$(PORT) with moto as DynamoDB/S3/SES/SNS, jobs on schedule
run: $(STAMP)
	$(BIN)/python -m scripts.local_stack run --port $(PORT)

## jobs: run every scheduled job once against the running local stack (TAWASUL_NOW sets the clock)
jobs: $(STAMP)
	$(BIN)/python -m scripts.local_stack jobs

## test: linters, then unit, API, HTTP smoke and infra template tests (those synthesise the stack
## once and run cfn-lint on it), and the OpenAPI checks in tests/openapi (Redocly lint, a generated
## TypeScript client against the local stack); then the import and read-path tests again against
## dynalite (test-dynalite, about two minutes)
test: $(STAMP) $(INFRA_STAMP) $(NODE_STAMP) $(DYNALITE_STAMP) lint
	$(BIN)/python -m pytest
	$(BIN)/python -m scripts.dynalite_tests

## test-dynalite: the import and read-path tests (marked `dynalite`) against dynalite instead of moto,
## started on a free port and stopped after (scripts/dynalite_tests.py)
test-dynalite: $(STAMP) $(DYNALITE_STAMP)
	$(BIN)/python -m scripts.dynalite_tests

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

lint: $(STAMP)
	$(BIN)/ruff check app.py chalicelib scripts tests infra bench
	$(BIN)/ruff format --check app.py chalicelib scripts tests infra bench
	$(BIN)/mypy

## rebuild-reports: rebuild ORG's report counters from the source items (ORG=<org id>; the table
## and endpoint come from the environment, as for the app: TAWASUL_TABLE, AWS_ENDPOINT_URL ...)
rebuild-reports: $(STAMP)
	$(BIN)/python -m scripts.rebuild_reports $(ORG)

## bench: every benchmark below (not part of `make test`); each merges its keys into bench/results.json
bench: bench-imports bench-local-stack bench-cold-start bench-routes

## bench-imports: CSV import throughput, requests per row and memory against moto server
bench-imports: $(STAMP)
	$(BIN)/python -m bench.run

## bench-local-stack: 20,000 POST /accounts against `make run`; the stack's RSS and speed, 2k vs 20k
bench-local-stack: $(STAMP)
	$(BIN)/python -m bench.local_stack

## bench-cold-start: `import app` over the libraries it is built on (cold_import_ratio)
bench-cold-start: $(STAMP)
	$(BIN)/python -m bench.cold_start

## bench-routes: DynamoDB calls per request of every route by role and our own time per request
## (bench/routes.py); each job's reads per due item among 50,000 not due, and every report's calls at
## 10 and 5,000 leads (bench/jobs.py); in process against moto
bench-routes: $(STAMP)
	$(BIN)/python -m bench.routes
	$(BIN)/python -m bench.jobs

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
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache cdk.out infra/chalice.out $(NODE_TOOLS)/node_modules \
	       $(DYNALITE_TOOLS)/node_modules
