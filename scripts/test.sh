#!/usr/bin/env bash
# Set up, then run the whole test suite (slow end-to-end tests included), as CI does.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
python -m pytest -q -ra "$@"
