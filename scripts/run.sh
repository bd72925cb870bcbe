#!/usr/bin/env bash
# Set up everything that is missing, then run SocialHub: migrations, Redis (embedded unless
# REDIS_URL is set), the platform sandbox, a worker, the scheduler and the web app.
# Ctrl-C stops them all.
set -euo pipefail
source "$(dirname "$0")/bootstrap.sh" ""
exec .venv/bin/socialhub up "$@"
