#!/usr/bin/env bash
# Installs everything into ./.venv and runs the whole test suite against the real Postgres and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh
./scripts/services.sh
export INTERVIEW_ENGINE_REQUIRE_SERVICES=1   # a missing service is a failure, never a skip
exec .venv/bin/python -m pytest -n "${PYTEST_WORKERS:-auto}" --dist loadscope --durations=15 "$@"
