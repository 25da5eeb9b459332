#!/usr/bin/env bash
# The whole gate: lint, format, import contracts, then every test against real backends.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
printf '\033[1;34m==>\033[0m ruff check\n'; ruff check .
printf '\033[1;34m==>\033[0m ruff format --check\n'; ruff format --check .
printf '\033[1;34m==>\033[0m import contracts\n'; lint-imports --no-cache
# Every package is type-checked; pages relax three codes that Reflex's Var typing trips (pyproject).
printf '\033[1;34m==>\033[0m mypy\n'; mypy core models analytics ingest va_app
printf '\033[1;34m==>\033[0m pytest\n'
set +e
pytest "$@"
code=$?
set -e
if [ "$code" -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi
exit "$code"
