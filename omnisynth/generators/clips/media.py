"""Real media for planned clips: photographs as scene backgrounds and recorded sound effects.

Bundled defaults (installed by scripts/setup.sh from Debian packages):

- photographs: MATE's nature backgrounds (`mate-backgrounds`, GPL-2+), twelve camera
  photographs (a water drop, leaves, dune grass, flowers, a ladybird, storm clouds over a road,
  wood), each with what it shows in `PHOTOS`;
- sound effects: the freedesktop sound theme (`sound-theme-freedesktop`; CC-BY-3.0,
  CC-BY-SA-3.0, GPL-2+): an alarm clock, a bell, a camera shutter, a phone ringing, a busy
  signal, a chime, a message alert, a warning beep (`EFFECTS`).

Your own folders replace them (`generator.photos`, `generator.sounds`): every image Pillow
reads, every sound ffmpeg reads, named by its file name ("dog_bark.wav" is "dog bark").

A photograph background is scaled to cover the frame by `PAN_MARGIN` more on each axis and
panned across it during its scene; `region_mean` gives the mean RGB a probe should see in a
box at a time, from the very pixels the render crops (`cover`), so the `timeline` filter still
re-measures the scene cuts and the objects' entries and exits over a photograph.
"""

from __future__ import annotations

import functools
import math
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from omnisynth.generators.errors import InputError

PHOTO_DIR = Path("/usr/share/backgrounds/mate/nature")
PHOTOS = {"Aqua.jpg": "a water drop splashing", "Blinds.jpg": "a green leaf up close",
          "Dune.jpg": "dune grass by the sea", "FreshFlower.jpg": "an orange flower",
          "Garden.jpg": "a red marigold", "GreenMeadow.jpg": "young grass", "LadyBird.jpg": "a ladybird on a stem",
          "RainDrops.jpg": "raindrops on leaves", "Storm.jpg": "storm clouds over a road",
          "TwoWings.jpg": "dandelion seeds", "Wood.jpg": "weathered wood", "YellowFlower.jpg": "a yellow flower"}
SOUND_DIR = Path("/usr/share/sounds/freedesktop/stereo")
EFFECTS = {"alarm-clock-elapsed.oga": "alarm clock", "bell.oga": "bell", "camera-shutter.oga": "camera shutter",
           "phone-incoming-call.oga": "phone ringing", "phone-outgoing-busy.oga": "busy signal",
           "complete.oga": "chime", "message-new-instant.oga": "message alert", "dialog-warning.oga": "warning beep"}
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"}
SOUND_SUFFIXES = {".wav", ".oga", ".ogg", ".flac", ".mp3", ".opus", ".m4a"}
PAN_MARGIN = 1.2  # the cover is this much larger than the frame on each axis: room to pan
MAX_EFFECT_S = 2.0  # a longer recording is cut (with a fade) to its first 2 s
EFFECT_FLOOR_DBFS = -50.0  # an effect spans its 50 ms stretches louder than this (after peak normalising)


@dataclass(frozen=True)
class Medium:
    path: str
    name: str  # what it shows or sounds like: 'storm clouds over a road', 'phone ringing'


def _named(path: Path) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[-_.]+", " ", path.stem)).strip().lower() or path.stem


def _listing(folder: str | None, default_dir: Path, default_names: dict[str, str], suffixes: set[str]
             ) -> tuple[Medium, ...]:
    if not folder:
        return tuple(Medium(str(default_dir / f), name) for f, name in sorted(default_names.items())
                     if (default_dir / f).is_file() and (default_dir / f).stat().st_size > 0)
    root = Path(folder)
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file()
                                                 and p.suffix.lower() in suffixes and not p.name.startswith("."))
    return tuple(Medium(str(p), _named(p)) for p in files if p.stat().st_size > 0)


def _image_ok(path: str) -> bool:
    try:
        with Image.open(path) as im:
            im.verify()
        return True
    except Exception:  # noqa: BLE001 - whatever Pillow raises for a file it cannot read
        return False


def _opens(load):
    """A check that `load(path, SR)` works; `load` is cached, so the plan reuses what the check decoded."""
    from omnisynth.generators.clips.timeline import SR

    def ok(path: str) -> bool:
        try:
            load(path, SR)
            return True
        except InputError:
            return False
    return ok


def _usable(found: tuple[Medium, ...], ok, what: str) -> tuple[Medium, ...]:
    """The media that open; the others are left out, once, with a warning naming them."""
    bad = [m for m in found if not ok(m.path)]
    if bad:
        import logging

        logging.getLogger("omnisynth").warning("left out %d unreadable %s: %s", len(bad), what,
                                               ", ".join(Path(m.path).name for m in bad[:10]))
    return tuple(m for m in found if m not in bad)


@functools.lru_cache(maxsize=8)
def photos(folder: str | None = None) -> tuple[Medium, ...]:
    """The photographs backgrounds are drawn from (or your cut-outs): your folder's images that Pillow reads, else the
    bundled twelve."""
    return _usable(_listing(folder, PHOTO_DIR, PHOTOS, PHOTO_SUFFIXES), _image_ok, "images")


@functools.lru_cache(maxsize=8)
def effects(folder: str | None = None) -> tuple[Medium, ...]:
    """The recorded sound effects: your folder's sounds that ffmpeg decodes, else the bundled eight."""
    return _usable(_listing(folder, SOUND_DIR, EFFECTS, SOUND_SUFFIXES), _opens(_effect), "sounds")


@functools.lru_cache(maxsize=32)
def cutout(path: str, height: int) -> np.ndarray:
    """Your cut-out scaled (Lanczos) to `height` pixels high: HxWx4 uint8 RGBA (an image without alpha is opaque).

    Raises InputError `photo_unreadable` for a file Pillow cannot decode.
    """
    try:
        with Image.open(path) as im:
            im = im.convert("RGBA")
            im = im.resize((max(1, round(im.width * height / im.height)), height), Image.LANCZOS)
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InputError("photo_unreadable", f"{Path(path).name}: {exc}") from None
    return np.asarray(im, dtype=np.uint8).copy()


def article(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


def cover_size(width: int, height: int) -> tuple[int, int]:
    return math.ceil(width * PAN_MARGIN / 2) * 2, math.ceil(height * PAN_MARGIN / 2) * 2


@functools.lru_cache(maxsize=24)
def cover(path: str, width: int, height: int) -> np.ndarray:
    """The photograph scaled (Lanczos) and centre-cropped to exactly `cover_size(width, height)`: HxWx3 uint8.

    Raises InputError `photo_unreadable` for a file Pillow cannot decode.
    """
    cw, ch = cover_size(width, height)
    try:
        with Image.open(path) as im:
            im = im.convert("RGB")
            k = max(cw / im.width, ch / im.height)
            im = im.resize((max(cw, round(im.width * k)), max(ch, round(im.height * k))), Image.LANCZOS)
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InputError("photo_unreadable", f"{Path(path).name}: {exc}") from None
    x, y = (im.width - cw) // 2, (im.height - ch) // 2
    return np.asarray(im.crop((x, y, x + cw, y + ch)), dtype=np.uint8).copy()


def pan_offset(pan: tuple[float, float, float, float], start: float, end: float, t: float) -> tuple[int, int]:
    """The crop's top-left corner in the cover at `t` seconds: ffmpeg's crop evaluates the same line, rounds it to the
    nearest integer (lrint: halves to even, as Python's round) and on YUV 4:2:0 clears the low bit."""
    x0, y0, x1, y1 = pan
    a = (t - start) / (end - start) if end > start else 0.0
    x, y = round(x0 + a * (x1 - x0)), round(y0 + a * (y1 - y0))
    return x - x % 2, y - y % 2


def pan_expr(pan: tuple[float, float, float, float], start: float, end: float, axis: int) -> str:
    """The crop's x (axis 0) or y (axis 1) as an ffmpeg expression in t."""
    a, b = pan[axis], pan[axis + 2]
    rate = (b - a) / (end - start) if end > start else 0.0
    return f"{a:g}+(t-{start:g})*{rate:.9g}"


def region_mean(path: str, width: int, height: int, pan, start: float, end: float, t: float, box) -> tuple[int, ...]:
    """Mean RGB of `box` (frame pixels) of a panned photograph's frame at `t`."""
    ox, oy = pan_offset(pan, start, end, t)
    x0, y0, x1, y1 = box
    region = cover(path, width, height)[oy + max(0, y0): oy + y1, ox + max(0, x0): ox + x1]
    return tuple(int(round(v)) for v in region.reshape(-1, 3).mean(axis=0))


def _decode(path: str, rate: int) -> np.ndarray:
    """A sound file as mono float32 at `rate`, peak 0.6; InputError `sound_unreadable` when ffmpeg gives nothing."""
    try:
        raw = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-vn", "-ac", "1", "-ar", str(rate),
                              "-f", "f32le", "-"], capture_output=True, timeout=60)
    except subprocess.TimeoutExpired:
        raise InputError("sound_unreadable", f"{Path(path).name}: ffmpeg ran over 60 s") from None
    pcm = np.frombuffer(raw.stdout, dtype=np.float32)
    if raw.returncode != 0 or not len(pcm) or not np.isfinite(pcm).all():
        why = raw.stderr.decode(errors="replace").strip()[-200:] or "no audio"
        raise InputError("sound_unreadable", f"{Path(path).name}: {why}")
    return (0.6 * pcm / max(1e-6, float(np.abs(pcm).max()))).astype(np.float32)


@functools.lru_cache(maxsize=64)
def lines(folder: str) -> tuple[Medium, ...]:
    """Your recorded lines under `folder`: each sound file with a transcript beside it (same name, `.txt`), named by
    the transcript's text; a sound without one is left out."""
    found = []
    for sound in _listing(folder, SOUND_DIR, {}, SOUND_SUFFIXES):
        text = Path(sound.path).with_suffix(".txt")
        said = " ".join(text.read_text(errors="replace").split()) if text.is_file() else ""
        if said:
            found.append(Medium(sound.path, said))
    return _usable(tuple(found), _opens(_line), "recorded lines")


@functools.lru_cache(maxsize=64)
def _line(path: str, rate: int) -> bytes:
    pcm = _decode(path, rate)
    voiced = np.flatnonzero(np.abs(pcm) > 0.02)  # the line spans the voice, not the recording's silence (as espeak's)
    if not len(voiced):
        raise InputError("sound_unreadable", f"{Path(path).name}: silent")
    return pcm[voiced[0]: voiced[-1] + 1].copy().tobytes()


def line_samples(path: str, rate: int) -> np.ndarray:
    """A recorded line as float32 mono at `rate`, peak 0.6, trimmed to its voiced part. InputError `sound_unreadable`."""
    return np.frombuffer(_line(path, rate), dtype=np.float32)


@functools.lru_cache(maxsize=64)
def _effect(path: str, rate: int) -> bytes:
    pcm = _decode(path, rate)
    hop = int(0.05 * rate)
    loud = [i for i in range(0, len(pcm), hop)
            if 20 * np.log10(max(1e-9, float(np.sqrt(np.mean(np.square(pcm[i:i + hop], dtype=np.float64))))))
            > EFFECT_FLOOR_DBFS]
    if not loud:
        raise InputError("sound_unreadable", f"{Path(path).name}: silent (nothing above {EFFECT_FLOOR_DBFS:g} dBFS)")
    pcm = pcm[loud[0]: min(loud[-1] + hop, loud[0] + int(MAX_EFFECT_S * rate))].copy()
    fade = min(len(pcm) // 4, int(0.02 * rate))
    if fade:
        pcm[-fade:] *= np.linspace(1, 0, fade, dtype=np.float32)
    return pcm.astype(np.float32).tobytes()


def effect_samples(path: str, rate: int) -> np.ndarray:
    """A sound effect as float32 mono samples at `rate`: peak 0.6, from its first to its last stretch louder than
    -50 dBFS, at most 2 s (cut with a 20 ms fade). Raises InputError `sound_unreadable`."""
    return np.frombuffer(_effect(path, rate), dtype=np.float32)
