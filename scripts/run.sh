#!/usr/bin/env bash
# Set up, then run the main job on the embedded default: a local Ray and the oracle engine.
# Extra arguments go to `omnisynth run`, e.g. scripts/run.sh --num-samples 200
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
omnisynth run doc_qa --out out/doc_qa "$@"
omnisynth verify out/doc_qa
