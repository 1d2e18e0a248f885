# Platekeeper. The two set-up commands are `make run` and `make test`; both build .venv first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
STAGE ?= prod
DATA ?= ../shared/data
PACKAGE_DIR := build/package
LAYER_ZIP := layers/build/recognition-layer.zip

.PHONY: help venv browser run demo test lint typecheck cfn-lint checkov packaged pytest package \
        layer \
        bench-recognition bench-search bench-ingest bench-load bench-alert fuzz openapi audit-now audit-verify \
        bootstrap-admin smoke clean

help:
	@echo "make run    - the whole local stack (API + event pump + demo users) until Ctrl-C"
	@echo "make test   - every check: ruff, mypy, cfn-lint and checkov on the templates, all tests"
	@echo "make demo   - scripted tour of every capability (IMAGES=dir for your own frames)"
	@echo "make audit-now MONTH=YYYY-MM - build that month's audit report (the running local"
	@echo "             stack's, or the deployment named by your environment)"
	@echo "make audit-verify - check the access record against its signed checkpoints"
	@echo "make bootstrap-admin USERNAME=... EMAIL=... CLETS=... VENDOR_TRAINING=... TRAINING=..."
	@echo "             [STACK=...] - the first administrator, once after deploying"
	@echo "make smoke URL=... USER=... - check a deployment: sign-in, health, OpenAPI, public"
	@echo "             page, console, an unauthenticated search refused and recorded"
	@echo "make package STAGE=prod - CloudFormation template + artifacts in $(PACKAGE_DIR)"
	@echo "make layer  - the OpenCV/numpy Lambda layer for the ingest function"
	@echo "make bench-recognition - accuracy and speed of plate recognition on $(DATA)"
	@echo "make bench-search - 100,000 reads in the local stack; search latency and cost"
	@echo "make bench-ingest - 200+ frames camera -> S3 -> SQS -> ingest; throughput, losses"
	@echo "make bench-load - 1,000 frames from concurrent cameras while officers search; p95, losses"
	@echo "make bench-alert - 8 cameras upload hotlisted plates; upload -> alert in an officer's console, p50/p95"
	@echo "make fuzz   - the API fuzzer with a large budget: requests tried and failures"

$(STAMP): requirements.txt requirements-dev.txt layers/requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet 'pip>=23,<26.3'  # chalice 1.34 packages with pip < 26.3
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(PY) -m local_stack run

demo: $(STAMP)
	$(PY) -m local_stack demo $(if $(IMAGES),--images $(IMAGES))

# On a clean machine the two venvs and Chromium install side by side; the template checks run
# next (alone: a test packages the template too, and chalice keeps one deployment cache); then
# pytest (on every core) runs beside ruff and mypy. That keeps a clean clone inside CI's
# 10-minute budget on two cores. Each job's output is printed whole when it ends.
test:
	$(MAKE) --no-print-directory -j3 $(STAMP) browser $(CHECKOV_STAMP)
	$(MAKE) --no-print-directory cfn-lint checkov
	$(MAKE) --no-print-directory -j2 --output-sync=target pytest lint typecheck

# The console's browser tests drive Debian's Chromium (Playwright's own download needs the
# internet); installed here so a clean CI machine has it.
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
browser:
	@test -x /usr/bin/chromium || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium; }
	@/usr/bin/chromium --version

lint: $(STAMP)
	$(PY) -m ruff check .

typecheck: $(STAMP)
	$(PY) -m mypy

# The packaged (merged) template that would be deployed; built once per make run.
packaged: $(STAMP)
	AWS_DEFAULT_REGION=us-west-2 $(PY) -m infra.package $(STAGE) $(PACKAGE_DIR) >/dev/null

# cfn-lint on our template and on the packaged output.
cfn-lint: packaged
	$(VENV)/bin/cfn-lint infra/template.yaml $(PACKAGE_DIR)/sam.yaml

# checkov's AWS rules on the packaged template: any finding not skipped on its resource with a
# reason fails. checkov pins its own boto3 and other libraries, so it lives in a venv of its own
# (requirements-checkov.txt); it is told not to call home (no downloads, no update check).
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
$(CHECKOV_STAMP): requirements-checkov.txt
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet 'pip>=23,<26.3'
	$(CHECKOV_VENV)/bin/python -m pip install --quiet -r requirements-checkov.txt
	touch $(CHECKOV_STAMP)

checkov: packaged $(CHECKOV_STAMP)
	CKV_SKIP_PACKAGE_UPDATE_CHECK=true BC_SKIP_MAPPING=TRUE \
	  $(CHECKOV_VENV)/bin/checkov --framework cloudformation --skip-download --compact --quiet \
	  -f $(PACKAGE_DIR)/sam.yaml

# pytest exits 5 when it collected no tests: that is a broken suite, not a pass. The suite runs
# on every core (pytest-xdist), a test file at a time per worker so module fixtures (a local
# stack, a signed-in client) are built once; `PYTEST_WORKERS=0` runs it in one process.
PYTEST_WORKERS ?= auto
pytest: $(STAMP)
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$status

layer: $(STAMP)
	$(PY) -m layers.build --output $(LAYER_ZIP)

package: $(STAMP) layer
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-west-2} \
	  $(PY) -m infra.package $(STAGE) $(PACKAGE_DIR) --layer-zip $(LAYER_ZIP)

bench-search: $(STAMP)
	$(PY) -m bench.search

bench-ingest: $(STAMP)
	$(PY) -m bench.ingest

# IMAGES=50 for a quick run; the figures in docs/reliability.md come from the default 1,000.
bench-load: $(STAMP)
	$(PY) -m bench.load $(if $(IMAGES),--images $(IMAGES))

# CAMERAS=8 FRAMES=8 (per camera) INTERVAL=10 (seconds between one camera's uploads: a camera
# on a busy street sees a vehicle every few seconds to a minute).
bench-alert: $(STAMP)
	$(PY) -m bench.alert $(if $(CAMERAS),--cameras $(CAMERAS)) $(if $(FRAMES),--frames $(FRAMES)) \
	  $(if $(INTERVAL),--interval $(INTERVAL))

# make test runs the same fuzzer with a small budget (tests/conftest.py DEFAULT_FUZZ_EXAMPLES).
FUZZ_EXAMPLES ?= 25
fuzz: $(STAMP)
	$(PY) -m pytest tests/integration/test_fuzz_api.py -q \
	  --fuzz-examples $(FUZZ_EXAMPLES)

bench-recognition: $(STAMP)
	$(PY) -m chalicelib.recognition.evaluate $(DATA)/openalpr-us-dev $(DATA)/openalpr-us-crops \
	  $(DATA)/openalpr-eu $(DATA)/openalpr-br

# The monthly audit report for MONTH, built now, and the access record checked against its
# signed checkpoints. Against the environment's deployment, or, when no PLATEKEEPER_* variables
# are set, against the stack `make run` is serving (it writes build/local-stack.env while it
# runs, and the command reads it).
audit-now: $(STAMP)
	@test -n "$(MONTH)" || { echo "usage: make audit-now MONTH=YYYY-MM" >&2; exit 2; }
	$(PY) -m chalicelib.audit report --month $(MONTH) $(if $(SAVE),--save $(SAVE))

audit-verify: $(STAMP)
	$(PY) -m chalicelib.audit verify

# The first administrator, once after `aws cloudformation deploy` (README, "Deploying to AWS"):
# refused when any administrator exists; recorded in the access record. The three dates are
# the CLETS certification, the vendor's and the Police Training Unit's training (428.3.1(b)).
bootstrap-admin: $(STAMP)
	@test -n "$(USERNAME)" -a -n "$(EMAIL)" -a -n "$(CLETS)" -a -n "$(VENDOR_TRAINING)" \
	  -a -n "$(TRAINING)" || { echo "usage: make bootstrap-admin USERNAME=name EMAIL=address \
	CLETS=YYYY-MM-DD VENDOR_TRAINING=YYYY-MM-DD TRAINING=YYYY-MM-DD [STACK=stack-name]" >&2; \
	  exit 2; }
	$(PY) -m chalicelib.accounts bootstrap-admin --username '$(USERNAME)' --email '$(EMAIL)' \
	  --clets-cert-date '$(CLETS)' --vendor-training-date '$(VENDOR_TRAINING)' \
	  --training-date '$(TRAINING)' $(if $(STACK),--stack '$(STACK)')

# A deployment checked from the outside, as an administrator or auditor (asks for the password
# and the one-time code); writes no plate data. USER must be given: make would otherwise take
# the shell's $$USER.
smoke: $(STAMP)
	@test -n "$(URL)" -a "$(origin USER)" = "command line" || { echo "usage: make smoke \
	URL=https://...execute-api.../api USER=username" >&2; exit 2; }
	$(PY) -m chalicelib.smoke --url '$(URL)' --username '$(USER)'

openapi: $(STAMP)
	$(PY) -m chalicelib.openapi_export > docs/openapi.json

clean:
	rm -rf build layers/build .mypy_cache .ruff_cache .pytest_cache $(CHECKOV_VENV)
