# The two commands: `make run` brings the whole product up, `make test` runs the whole suite.
.PHONY: setup run test lint format clean-data loadtest lock upgrade-deps

setup:
	@bash scripts/setup.sh

run: setup
	@.venv/bin/va run

test: setup
	@bash scripts/test.sh

lint: setup
	@.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/lint-imports --no-cache

format: setup
	@.venv/bin/ruff format . && .venv/bin/ruff check --fix .

clean-data:
	@.venv/bin/va services stop || true
	rm -rf .data

# Locust mix against a real server on loopback (LOADTEST_ARGS="--find-capacity" steps the users)
loadtest: setup
	@.venv/bin/python loadtests/run.py $(LOADTEST_ARGS)

# requirements.lock pins every Python package (with hashes) for Linux x86_64 / Python 3.11; setup installs exactly it.
# `make lock` re-resolves it after a change to the dependencies in pyproject.toml and keeps every other pin;
# `make lock LOCK_ARGS="--upgrade-package litellm"` moves one package, `make upgrade-deps` all of them.
lock:
	@[ -x .venv/bin/uv ] || { echo "run make setup first (it installs uv into .venv)" >&2; exit 1; }
	.venv/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
		--generate-hashes --custom-compile-command "make lock" --quiet -o requirements.lock $(LOCK_ARGS)

upgrade-deps:
	@$(MAKE) --no-print-directory lock LOCK_ARGS=--upgrade
