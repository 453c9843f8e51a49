#!/usr/bin/env bash
# Run the whole test suite on SQLite and on PostgreSQL (127.0.0.1:5432, user postgres, database test;
# override with AAJEL_TEST_POSTGRES_URL). Without a reachable PostgreSQL those tests skip with the reason,
# except under CI=true, where they fail. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/bootstrap.sh
# Four workers on two cores: most tests wait on sockets and the database, so the suite takes about
# 5 minutes on CI's 2 cores instead of 20 (AAJEL_TEST_WORKERS=0 runs it in one process).
workers="${AAJEL_TEST_WORKERS:-4}"
if [ "$workers" = "0" ]; then
  exec .venv/bin/python -m pytest "$@"
fi
exec .venv/bin/python -m pytest -n "$workers" --dist loadfile "$@"
