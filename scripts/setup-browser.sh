#!/usr/bin/env bash
# Install what the browser tests of the editors' console need (tests/console/):
#   * Chromium from the system's Debian packages (/usr/bin/chromium) — installed with apt-get as root;
#   * Playwright for Python in .venv (the "dev" extra of pyproject.toml; bootstrap.sh installs it).
# Playwright's own browser download (`playwright install`) is never used: it fetches a browser build
# from outside the package registries. Idempotent: does nothing when Chromium is already there.
# Sourced or run by .ci/run (CI=true); run it by hand once to run tests/console on a developer machine.
# Without root (and without chromium) it says what to run and returns non-zero.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  return 0 2>/dev/null || exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "setup-browser: /usr/bin/chromium is missing; as root run: apt-get update && apt-get install -y chromium" >&2
  return 1 2>/dev/null || exit 1
fi
echo "setup-browser: installing chromium from the Debian packages…" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends chromium fonts-noto-core >&2
/usr/bin/chromium --version >&2
