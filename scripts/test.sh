#!/usr/bin/env bash
# The whole gate: lint, format, import contracts, then every test against real backends.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
printf '\033[1;34m==>\033[0m ruff check\n'; ruff check .
printf '\033[1;34m==>\033[0m ruff format --check\n'; ruff format --check .
printf '\033[1;34m==>\033[0m import contracts\n'; lint-imports --no-cache
# The layers without UI are type-checked; Reflex's event/var typing defeats mypy in va_app.
printf '\033[1;34m==>\033[0m mypy (core, models, analytics, ingest)\n'; mypy core models analytics ingest
printf '\033[1;34m==>\033[0m pytest\n'
set +e
pytest "$@"
code=$?
set -e
if [ "$code" -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi
exit "$code"
