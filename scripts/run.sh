#!/usr/bin/env bash
# Set up, then run the main job on the embedded default: a local Ray and the oracle engine.
# Extra arguments go to `omnisynth run`, e.g. scripts/run.sh --num-samples 200
# OMNISYNTH_OUT names the output folder (default out/doc_qa, relative to the repository root).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OMNISYNTH_OUT:-out/doc_qa}
bash scripts/setup.sh
. .venv/bin/activate
omnisynth run doc_qa --out "$out" "$@"
omnisynth verify "$out"
