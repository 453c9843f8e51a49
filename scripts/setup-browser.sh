#!/usr/bin/env bash
# Install what the browser tests of the editors' console need (tests/console/):
#   * Chromium from the system's Debian packages (/usr/bin/chromium) — installed with apt-get as root;
#   * Playwright for Python in .venv (the "dev" extra of pyproject.toml; bootstrap.sh installs it).
# Playwright's own browser download (`playwright install`) is never used: it fetches a browser build
# from outside the package registries. Fonts: Noto (Arabic) and Noto Color Emoji, so screenshots show
# what editors see. Idempotent: does nothing when all of it is already there.
# Run by .ci/run (where a missing browser is a failure) and by scripts/bootstrap.sh when it sets up
# .venv as root (so ./test.sh installs it on a fresh machine). By hand: `sudo scripts/setup-browser.sh`.
# Without root (and without chromium) it says what to run and returns non-zero.
set -euo pipefail
if [ -x /usr/bin/chromium ] && { [ -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || [ "$(id -u)" != "0" ]; }; then
  exit 0  # (the fonts only make screenshots faithful; without root, Chromium alone will do)
fi
if [ "$(id -u)" != "0" ]; then
  echo "setup-browser: /usr/bin/chromium is missing; as root run: apt-get update && apt-get install -y chromium" >&2
  exit 1
fi
echo "setup-browser: installing chromium from the Debian packages…" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends chromium fonts-noto-core fonts-noto-color-emoji >&2
/usr/bin/chromium --version >&2
