#!/usr/bin/env bash
# Everything a fresh machine needs: a virtual environment with omnisynth and its test extras.
# Idempotent: rerunning only installs what is missing. Sourced by run.sh and test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
# Debian's Chromium for GUI screens and the browser tests (Playwright cannot download its own
# browser here), the fonts the screens name (Liberation, DejaVu), Debian's ffmpeg/ffprobe
# and espeak-ng for audio-visual clips.
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || need+=(ffmpeg)
command -v espeak-ng >/dev/null || need+=(espeak-ng)
fonts=$(fc-list 2>/dev/null || true)
grep -q "Liberation Sans" <<<"$fonts" || need+=(fonts-liberation)
grep -q "DejaVu Sans" <<<"$fonts" || need+=(fonts-dejavu-core fonts-dejavu-extra)
# handwriting fonts for handwritten forms and notes (omnisynth/generators/fonts.py names them), and
# Tesseract, which the degrade tests read pages with
for pair in "DkgHandwriting:fonts-dkg-handwriting" "Breip:fonts-breip" "Humor Sans:fonts-humor-sans" \
            "Dancing Script:fonts-dancingscript" "Kristi:fonts-kristi" "LXGW WenKai:fonts-lxgw-wenkai"; do
  grep -q "${pair%%:*}" <<<"$fonts" || need+=("${pair##*:}")
done
# the bundled default prose of document pages: The Debian Administrator's Handbook in HTML, in
# English, Chinese, Japanese, Korean, German, French and Spanish (GPL-2+ or CC-BY-SA-3.0)
[ -f /usr/share/doc/debian-handbook/html/en-US/index.html ] || need+=(debian-handbook)
command -v tesseract >/dev/null || need+=(tesseract-ocr tesseract-ocr-eng)
# Graphviz's dot lays out the flowcharts and org charts of the `diagram` document family
command -v dot >/dev/null || need+=(graphviz)
# KDE's Breeze icons (LGPL-3+) for the professional screens' toolbars, and an English word list
# (wamerican, SCOWL) that says which icon names are words (omnisynth/generators/gui/iconset.py)
[ -d /usr/share/icons/breeze-dark/actions/22 ] || need+=(breeze-icon-theme)
[ -f /usr/share/dict/american-english ] || need+=(wamerican)
# Chinese and Japanese interface fonts for screens in those languages (generator.languages of gui)
grep -q "WenQuanYi Micro Hei" <<<"$fonts" || need+=(fonts-wqy-microhei)
grep -q "IPAGothic" <<<"$fonts" || need+=(fonts-ipafont-gothic)
# real media for the default audio-visual clips (omnisynth/generators/clips/media.py): MATE's
# nature photographs (GPL-2+) as scene backgrounds, the freedesktop sound theme (CC-BY-3.0,
# CC-BY-SA-3.0, GPL-2+) as sound effects
[ -d /usr/share/backgrounds/mate/nature ] || need+=(mate-backgrounds)
[ -f /usr/share/sounds/freedesktop/stereo/bell.oga ] || need+=(sound-theme-freedesktop)
# unshare and ip: the tests run in a network namespace with loopback only (scripts/test.sh)
command -v unshare >/dev/null || need+=(util-linux)
command -v ip >/dev/null || need+=(iproute2)
if [ ${#need[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# shellcheck disable=SC1091
. .venv/bin/activate
# The Python packages are installed once per pyproject.toml: a stamp holds its hash, so a rerun
# with nothing new installs nothing and needs no network (the tests run set-up again through
# scripts/run.sh, inside a namespace with loopback only).
stamp=.venv/.omnisynth-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || ! python -c 'import omnisynth, torch' 2>/dev/null; then
  python -m pip install -q --upgrade pip >/dev/null
  # The CPU build of torch (a local wheel on these machines) before anything asks for torch,
  # so that no multi-GB CUDA build is pulled in by megatron-energon's bare `torch` requirement.
  python -c 'import torch' 2>/dev/null || python -m pip install -q torch==2.13.0
  python -m pip install -q -e '.[test,energon,hf,train]'
  echo "$want" > "$stamp"
fi
