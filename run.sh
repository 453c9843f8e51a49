#!/usr/bin/env bash
# Run Aajel. With BOT_TOKEN (environment or .env) it runs the real bot; without it, the offline demo
# (bundled Bot API emulator + sample newsroom + simulated subscribers). Extra arguments are passed on,
# e.g. ./run.sh --duration 30
set -euo pipefail
cd "$(dirname "$0")"
source scripts/bootstrap.sh
token="${BOT_TOKEN:-}"
if [ -z "$token" ] && [ -f .env ]; then
  token="$(grep -E '^[[:space:]]*BOT_TOKEN=' .env | tail -n1 | cut -d= -f2- | tr -d '"'"'"' ')"
fi
if [ -n "$token" ]; then
  exec .venv/bin/aajel run "$@"
fi
echo "No BOT_TOKEN configured: starting the offline demo (emulated Telegram, sample newsroom)." >&2
exec .venv/bin/aajel demo "$@"
