#!/usr/bin/env bash
# Run the whole test suite on SQLite and on PostgreSQL (127.0.0.1:5432, user postgres, database test;
# override with AAJEL_TEST_PG_URL). Without a reachable PostgreSQL those tests skip with the reason,
# except under CI=true, where they fail. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/bootstrap.sh
exec .venv/bin/python -m pytest "$@"
