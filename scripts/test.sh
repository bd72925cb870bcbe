#!/usr/bin/env bash
# Run the whole test suite. SQLite and an embedded Redis by default; set DATABASE_URL
# (PostgreSQL) or REDIS_URL to test against those servers. Extra arguments go to pytest.
set -euo pipefail
source "$(dirname "$0")/bootstrap.sh" dev
exec .venv/bin/python -m pytest "$@"
