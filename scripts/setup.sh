#!/usr/bin/env bash
# Install everything the project needs into the repo (.venv, .tools) plus the few OS packages
# it truly needs. Safe and fast to re-run: each step is skipped when already satisfied.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
step() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
ok() { printf '    \033[32m✓\033[0m %s\n' "$*"; }

# 1. OS packages: redis-server (embedded Redis), chromium (browser tests only).
need=()
command -v redis-server >/dev/null 2>&1 || [ -x /usr/sbin/redis-server ] || need+=(redis-server)
if [ "${VA_SETUP_BROWSER:-1}" = "1" ]; then command -v chromium >/dev/null 2>&1 || need+=(chromium); fi
if [ ${#need[@]} -gt 0 ]; then
  step "installing OS packages: ${need[*]}"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  ok "installed ${need[*]}"
else
  ok "OS packages present (redis-server, chromium)"
fi

# 2. Python virtual environment with uv: exactly the versions pinned (with hashes) in requirements.lock, which
#    `make lock` re-resolves from pyproject.toml, plus the project itself as an editable install. Re-run only when
#    requirements.lock or pyproject.toml changes.
PY=${PYTHON:-python3}
UV_VERSION=0.13.9  # the installer itself; uv pip sync keeps it (and pip) in .venv
stamp_src=$(cat requirements.lock pyproject.toml | sha256sum | cut -c1-16)
stamp=.venv/.installed-$stamp_src
if [ ! -x .venv/bin/python ]; then
  step "creating .venv"
  "$PY" -m venv .venv
fi
if [ ! -f "$stamp" ]; then
  step "installing Python dependencies from requirements.lock (uv)"
  [ -x .venv/bin/uv ] || .venv/bin/python -m pip install -q --disable-pip-version-check "uv==$UV_VERSION"
  # sync = install the pinned set and remove anything else; the project is rebuilt so entry points follow pyproject
  printf -- '-e .\n' | .venv/bin/uv pip sync --python .venv/bin/python --reinstall-package virtualagent \
    requirements.lock -
  .venv/bin/python scripts/check_lock.py  # a dependency added to pyproject.toml without `make lock`
  .venv/bin/uv pip check --python .venv/bin/python -q || { echo "run \`make lock\`" >&2; exit 1; }
  rm -f .venv/.installed-*
  touch "$stamp"
  ok "Python dependencies installed (requirements.lock)"
else
  ok "Python dependencies up to date (requirements.lock)"
fi

# 3. bun for Reflex's frontend build, from the npm registry (Reflex would otherwise download it).
if [ ! -x .tools/node_modules/bun/bin/bun.exe ]; then
  step "installing bun into .tools (npm registry)"
  mkdir -p .tools
  npm install --silent --no-audit --no-fund --prefix .tools bun@1.4.5
  ok "bun $(.tools/node_modules/bun/bin/bun.exe --version)"
else
  ok "bun $(.tools/node_modules/bun/bin/bun.exe --version) present"
fi
