# The two commands: `make run` brings the whole product up, `make test` runs the whole suite.
.PHONY: setup run test lint format clean-data loadtest

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
