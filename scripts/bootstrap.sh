#!/usr/bin/env bash
# Create .venv and install Aajel with its dev tools — once, and again whenever pyproject.toml changes.
# Sourced by ./run.sh, ./test.sh and .ci/run, so each command does its own set-up on a fresh clone.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
py="${PYTHON:-python3}"
if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "Aajel needs Python >= 3.11 (found: $("$py" --version 2>&1)). Set PYTHON=/path/to/python3.11." >&2
  exit 1
fi
stamp=".venv/.aajel-installed"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setting up .venv (first run or pyproject.toml changed)…" >&2
  [ -x .venv/bin/python ] || "$py" -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip >&2
  .venv/bin/python -m pip install --quiet -e ".[dev]" >&2
  # the console's browser tests need Debian's Chromium: installed at set-up when we may (root)
  if [ "$(id -u)" = "0" ] && [ "${CI:-}" != "true" ]; then
    bash scripts/setup-browser.sh || echo "(browser tests will be skipped: Chromium not installed)" >&2
  fi
  echo "$want" > "$stamp"
fi
