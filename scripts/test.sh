#!/usr/bin/env bash
# Set up, lint (ruff), then run the whole test suite (slow end-to-end tests included), as CI does.
#
# The suite runs in a network namespace of its own (where this user may make one: root, or
# unprivileged user namespaces) with loopback and a stand-in outside that ends inside the
# namespace (scripts/loopback_ns.sh): every server a test starts and every address a test makes
# the code contact is loopback, and the kernel holds it so. That
# includes what the libraries do on their own: every Ray head's dashboard process asks the
# cloud metadata service (169.254.169.254) which cloud it runs on, whatever the usage-stats
# setting (README: "Loopback only, and quiet"). Without a namespace the tests run as they are,
# with a warning.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# a real vLLM on the CPU for the engine tests (tests/test_vllm.py), in its own environment
bash scripts/setup_vllm.sh
. .venv/bin/activate
# lint first (pyflakes + bugbear, pyproject.toml [tool.ruff]): an undefined name fails in seconds, not mid-suite
ruff check .
export RAY_USAGE_STATS_ENABLED=0 VLLM_NO_USAGE_STATS=1 DO_NOT_TRACK=1
pytest=(python -m pytest -q -ra --durations=30 "$@")
userns=(); [ "$(id -u)" = 0 ] || userns=(--map-root-user)
if unshare --net "${userns[@]}" true 2>/dev/null; then
  exec unshare --net "${userns[@]}" bash scripts/loopback_ns.sh "${pytest[@]}"
fi
echo "warning: cannot make a network namespace here (needs root or user namespaces); the tests run with the machine's network" >&2
exec "${pytest[@]}"
