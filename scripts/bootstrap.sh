#!/usr/bin/env bash
# Sourced by scripts/run.sh and scripts/test.sh: a virtualenv with the project installed
# and bun (for Reflex's frontend) from the npm registry. Each step is skipped when its
# inputs have not changed, so a second start takes seconds.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
EXTRAS="${1:-}"   # "" for running, "dev" for tests

say() { printf '[socialhub] %s\n' "$*"; }

find_python() {
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "SocialHub needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)." >&2
  return 1
}

if [ ! -x .venv/bin/python ]; then
  PY="$(find_python)"
  say "creating the virtualenv (.venv) with $PY"
  "$PY" -m venv .venv
fi

# Reinstall only when pyproject.toml (or the extras asked for) changed.
# An install with the dev extras also satisfies a plain run.
hash="$(sha256sum pyproject.toml | cut -d' ' -f1)"
stamp=".venv/.socialhub-installed"
installed="$(cat "$stamp" 2>/dev/null || true)"
want="$hash-$EXTRAS"
if [ "$installed" != "$want" ] && [ "$installed" != "$hash-dev" ]; then
  say "installing SocialHub and its dependencies into .venv (first time takes a minute)…"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".${EXTRAS:+[$EXTRAS]}"
  echo "$want" > "$stamp"
fi

# bun from the npm registry: Reflex's own download of it needs the open internet.
if [ ! -x .tools/node_modules/.bin/bun ]; then
  command -v npm >/dev/null 2>&1 || { echo "SocialHub needs Node.js with npm (for the web frontend)." >&2; exit 1; }
  say "installing bun for the web frontend (npm registry)…"
  mkdir -p .tools
  npm install --prefix .tools --no-audit --no-fund --silent bun@1 >/dev/null
fi
export PATH="$ROOT/.tools/node_modules/.bin:$PATH"
export REFLEX_USE_SYSTEM_BUN=1
