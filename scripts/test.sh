#!/usr/bin/env bash
# Set up, then run the whole test suite (slow end-to-end tests included), as CI does.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# a real vLLM on the CPU for the engine tests (tests/test_vllm.py), in its own environment
bash scripts/setup_vllm.sh
. .venv/bin/activate
python -m pytest -q -ra --durations=30 "$@"
