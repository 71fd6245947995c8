# chuangye-bot: `make run` starts the assistant, `make test` runs every check. Both set up what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
MODEL   := models/chuangye.tar.gz
ifneq (,$(wildcard .env))
include .env
export
endif
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export RASA_CACHE_DIRECTORY := .rasa/cache

# Python 3.10: `python3.10` on PATH if it really is 3.10 (a pyenv shim may not be), else pyenv's 3.10.x.
PYTHON310 ?= $(shell for candidate in python3.10 $$(ls -d $$(pyenv root 2>/dev/null || echo $$HOME/.pyenv)/versions/3.10*/bin/python3.10 2>/dev/null | sort -V -r); do \
	"$$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1 && { echo "$$candidate"; break; }; done)

TRAIN_INPUTS := config.yml domain.yml $(shell find nlu \( -name '*.yml' -o -name '*.txt' -o -name '*.py' \) -not -path 'nlu/experiments/*' 2>/dev/null | grep -v __pycache__) \
	$(wildcard policy_kb/data/topics/*.yml)

BROWSER ?= /usr/bin/chromium

.PHONY: help browser setup train run chat test lint validate nlu-eval nlu-compare lock dictionary clean bench run-prod loadtest

help:
	@echo "make run    - set up, train if needed, start the assistant (chat in this terminal)"
	@echo "make test   - set up, train if needed, run lint, data validation and the whole test suite"
	@echo "make setup  - create .venv with the pinned packages (constraints.txt)"
	@echo "make train  - train the model when it is missing or older than its inputs"
	@echo "make chat   - chat with the assistant in this terminal"
	@echo "make nlu-eval / nlu-compare - held-out accuracy of the model / of the alternative pipelines"

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@if [ -z "$(PYTHON310)" ]; then echo "Python 3.10 is required (Rasa 3.6 does not run on 3.11): install it, e.g. 'pyenv install 3.10.13' or your OS package python3.10, then re-run make." >&2; exit 1; fi
	@test -x $(PY) || $(PYTHON310) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip==24.3.1
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

dictionary: setup
	$(PY) -m bot.cli kb dictionary --write

train: $(MODEL)

$(MODEL): $(TRAIN_INPUTS) | $(STAMP)
	$(PY) -m bot.cli kb dictionary --write
	$(VENV)/bin/rasa train --fixed-model-name chuangye --data nlu/data --out models
	@touch $@

run: $(MODEL)
	$(PY) -m bot.cli serve

chat: $(MODEL)
	$(PY) -m bot.cli chat

# Production profile: REPLICAS Rasa servers (each with its action server) behind one round-robin address, sharing
# PostgreSQL (DATABASE_URL) and Redis (REDIS_HOST, REDIS_PORT, REDIS_DB, REDIS_PASSWORD, REDIS_KEY_PREFIX). Unset,
# they default to the servers on this machine; Ctrl-C stops everything.
PROD_ENV = DATABASE_URL="$${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test}" \
	REDIS_HOST="$${REDIS_HOST:-127.0.0.1}" REDIS_PORT="$${REDIS_PORT:-6379}"
# WORKERS: Sanic worker processes per replica; on one machine, REPLICAS=1 WORKERS=<cores> skips the proxy's hop.
REPLICAS ?= 2
WORKERS ?= 1
run-prod: $(MODEL)
	$(PROD_ENV) $(PY) -m bot.cli serve-prod --replicas $(REPLICAS) --workers $(WORKERS)

# Figures, and a failure when a message is lost or stored twice: LOADTEST_USERS simulated users over REST and WeChat
# for LOADTEST_SECONDS against the production profile (started and stopped by the script), checked in the database.
LOADTEST_USERS ?= 50
LOADTEST_SECONDS ?= 60
loadtest: $(MODEL)
	$(PROD_ENV) $(PY) bench/loadtest.py --users $(LOADTEST_USERS) --seconds $(LOADTEST_SECONDS) --replicas $(REPLICAS) --workers $(WORKERS)

test: $(MODEL) validate
	$(VENV)/bin/ruff check .
	$(VENV)/bin/rasa test core -m $(MODEL) --stories tests/stories --fail-on-prediction-errors \
		--out .rasa/test-results > .rasa/test-stories.log 2>&1 || { tail -40 .rasa/test-stories.log; exit 1; }
	$(PY) -m pytest

# Rasa's own consistency check of domain, rules and NLU data; it exits 0 on warnings, so warnings fail here.
validate: setup
	@$(VENV)/bin/rasa data validate --data nlu/data --domain domain.yml --config config.yml > .rasa-validate.log 2>&1 \
		|| { cat .rasa-validate.log; exit 1; }
	@if grep -E "UserWarning|WARNING|ERROR" .rasa-validate.log | grep -v -i deprecat; then echo "rasa data validate reported problems" >&2; exit 1; fi
	@rm -f .rasa-validate.log

nlu-eval: $(MODEL)
	$(PY) -m bot.cli nlu-eval

# Trains each alternative pipeline of nlu/experiments (NLU only) and scores it on the same held-out files.
nlu-compare: setup
	@for experiment in nlu/experiments/*.yml; do \
		name=$$(basename $$experiment .yml); \
		$(VENV)/bin/rasa train nlu --quiet -c $$experiment --nlu nlu/data --out .rasa/experiments --fixed-model-name $$name && \
		echo "== $$name" && $(PY) -m bot.cli nlu-eval --model .rasa/experiments/$$name.tar.gz; \
	done
	@echo "== config.yml" && $(MAKE) --no-print-directory nlu-eval

# Figures, not pass/fail: held-out NLU scores, training time and memory of config.yml, Rasa's default pipeline
# and TF-IDF + LR, then full-turn latency over REST. About 30 min (mostly training Rasa's default pipeline), plus
# 17 min the first time to train its full model for the latency run (kept in .rasa/bench/ while up to date).
bench: $(MODEL)
	$(PY) bench/nlu_bench.py && $(PY) bench/latency_bench.py

# Debian's Chromium for the console's browser test (needs root or sudo; does nothing when it is installed).
browser:
	@command -v chromium >/dev/null 2>&1 || test -x $(BROWSER) || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

lint: setup
	$(VENV)/bin/ruff check .

lock: setup
	(echo "# Exact versions of every package the project installs (Python 3.10). Regenerate with 'make lock'."; \
	 $(PY) -m pip freeze --exclude-editable | grep -v -i '^chuangye' | sort -f) > constraints.txt

clean:
	rm -rf $(VENV) models .rasa .pytest_cache .ruff_cache
