"""Render a clip plan with ffmpeg, and measure clips: the probes that check a render, ffprobe, extraction.

Tools: Debian's `ffmpeg`/`ffprobe` (5.1) and `espeak-ng` (1.51), called through a small
subprocess layer. We build the filter graph as a string ourselves rather than through
ffmpeg-python: ffmpeg-python (0.2, 2019) validates nothing until run time, our graph is
one fixed shape (background chain, overlays, splits), and a plain argv is what the bench's
"bare ffmpeg" baseline runs too, so the two are compared on exactly the same command.

One ffmpeg process per clip renders the mp4 and, from the same decoded graph, the sampled
frames (JPEG), the probe frames (raw RGB, for verification) and the 16 kHz mono wav: no
second decode, no seek per frame. Sprites (shapes and text labels) are PNGs drawn with
Pillow and overlaid with time-windowed `overlay`, so every drawn box is known exactly.
"""

from __future__ import annotations

import functools
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from omnisynth.generators.clips import footage, media
from omnisynth.generators.clips.timeline import COLOUR_TOLERANCE, LABEL_BOX, LABEL_TEXT, SR, Plan, Probe
from omnisynth.audio import read_wav, wav_bytes  # noqa: F401 - re-exported: the clip generator's media
from omnisynth.generators.errors import InputError

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
WAV_RATE = 16000
SOUND_DBFS = -30.0  # RMS above this in a window where the plan puts a sound
SILENCE_DBFS = -45.0  # RMS below this where the plan puts silence


def tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise RuntimeError(f"{name} not found: install Debian's ffmpeg and espeak-ng (scripts/setup.sh does)")
    return path


@functools.lru_cache(maxsize=256)
def _speech(text: str, voice: str) -> bytes:
    out = subprocess.run([tool("espeak-ng"), "-v", voice, "-s", "165", "--stdout", text], capture_output=True,
                         check=True, timeout=30).stdout
    with wave.open(io.BytesIO(out)) as w:
        if w.getframerate() != SR or w.getsampwidth() != 2:
            raise RuntimeError(f"espeak-ng wrote {w.getframerate()} Hz {8 * w.getsampwidth()}-bit; expected {SR} Hz 16-bit")
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float32) / 32768
    voiced = np.flatnonzero(np.abs(pcm) > 0.02)
    pcm = pcm[voiced[0]: voiced[-1] + 1]  # the event spans the voice, not espeak's padding
    return (0.6 * pcm / max(1e-6, float(np.abs(pcm).max()))).astype(np.float32).tobytes()


def speak(text: str, voice: str = "en") -> np.ndarray:
    """The sentence spoken by espeak-ng: float32 samples at SR, trimmed to the voiced part."""
    return np.frombuffer(_speech(text, voice), dtype=np.float32)


@functools.lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT, size)


def label_size(text: str, fontsize: int) -> tuple[int, int]:
    x0, y0, x1, y1 = _font(fontsize).getbbox(text)
    pad = max(4, fontsize // 3)
    return x1 + 2 * pad, (y1 - min(0, y0)) + 2 * pad


def label_png(text: str, fontsize: int, size: tuple[int, int]) -> bytes:
    im = Image.new("RGB", size, LABEL_BOX)
    pad = max(4, fontsize // 3)
    ImageDraw.Draw(im).text((pad, pad), text, font=_font(fontsize), fill=LABEL_TEXT)
    buf = io.BytesIO()
    im.save(buf, "PNG", compress_level=1)
    return buf.getvalue()


def shape_png(shape: str, rgb: tuple[int, int, int], size: tuple[int, int]) -> bytes:
    w, h = size
    im = Image.new("RGBA", size, (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    if shape in ("circle", "ball"):
        d.ellipse((0, 0, w - 1, h - 1), fill=rgb)
    elif shape == "triangle":
        d.polygon([(w / 2, 0), (w - 1, h - 1), (0, h - 1)], fill=rgb)
    else:
        d.rectangle((0, 0, w - 1, h - 1), fill=rgb)
    buf = io.BytesIO()
    im.save(buf, "PNG", compress_level=1)
    return buf.getvalue()


def mix(plan: Plan, seed: int) -> np.ndarray:
    """The audio track: every cue synthesised and added at its planned sample, silence elsewhere."""
    track = np.zeros(int(round(plan.duration * SR)), dtype=np.float32)
    for cue in plan.cues:
        n = int(round((cue.end - cue.start) * SR))
        t = np.arange(n, dtype=np.float32) / SR
        if cue.kind in ("speech", "effect"):
            sound = cue.speech[:n]
        elif cue.kind == "bell":
            f = cue.freq
            sound = (np.sin(2 * np.pi * f * t) + 0.35 * np.sin(2 * np.pi * 2.76 * f * t)
                     + 0.15 * np.sin(2 * np.pi * 5.4 * f * t)) * np.exp(-3.0 * t) * 0.45
        elif cue.kind == "noise":
            sound = np.random.default_rng([seed, cue.event]).uniform(-0.3, 0.3, n)
        elif cue.kind == "music":
            step = n // len(cue.notes)
            sound = np.zeros(n, dtype=np.float32)
            for i, f in enumerate(cue.notes):
                tt = t[: step]
                sound[i * step:(i + 1) * step] = (np.sin(2 * np.pi * f * tt) + 0.3 * np.sin(4 * np.pi * f * tt)) * 0.3
        else:  # tone, beep
            sound = 0.4 * np.sin(2 * np.pi * cue.freq * t)
        fade = min(len(sound) // 4, int(0.005 * SR))  # 5 ms ramps: no clicks at the edges
        sound = np.asarray(sound, dtype=np.float32).copy()
        if fade:
            ramp = np.linspace(0, 1, fade, dtype=np.float32)
            sound[:fade] *= ramp
            sound[-fade:] *= ramp[::-1]
        at = int(round(cue.start * SR))
        track[at: at + len(sound)] += sound[: len(track) - at]
    return np.clip(track, -1, 1)


def _piecewise(keys, axis: int) -> str:
    """An ffmpeg expression in t for a piecewise-linear coordinate."""
    expr = f"{keys[-1][axis]:g}"
    for (t0, *p0), (t1, *p1) in reversed(list(zip(keys, keys[1:], strict=False))):
        a, b = p0[axis - 1], p1[axis - 1]
        seg = f"{a:g}" if t1 <= t0 or a == b else f"{a:g}+(t-{t0:g})*{(b - a) / (t1 - t0):.6g}"
        expr = f"if(lt(t,{t1:g}),{seg},{expr})"
    return f"if(lt(t,{keys[0][0]:g}),{keys[0][axis]:g},{expr})"


def frame_indices(plan: Plan, n: int) -> list[int]:
    """The sampled frames: the middle frame of n equal stretches of the clip."""
    total = int(round(plan.duration * plan.fps))
    return sorted({min(total - 1, int((i + 0.5) * total / n)) for i in range(n)})


def cpu_share() -> tuple[list[str], list[str]]:
    """ffmpeg's (global, encoder) thread options for the CPUs this Ray task reserved.

    Ray sets OMP_NUM_THREADS to a task's CPUs. Without these options ffmpeg's filters and
    x264 start threads per core of the machine, so a task that reserved one CPU takes
    several and a node's workers fight over cores. Outside Ray ffmpeg keeps its defaults.
    """
    n = os.environ.get("OMP_NUM_THREADS", "")
    if not (n.isdigit() and int(n) > 0):
        return [], []
    return ["-filter_threads", n, "-filter_complex_threads", n], ["-threads", n]


def ffmpeg_command(plan: Plan, work: Path, sampled: list[int] | None, probes: list[int], want_mp4: bool,
                   preset: str = "veryfast", crf: int = 23) -> list[str]:
    """Write the sprites and the mix into `work` and return the one ffmpeg argv that renders the plan.

    Outputs in `work`: clip.mp4 (when `want_mp4`), f%03d.jpg (the sampled frames, in order),
    probes.rgb (raw RGB frames at the probe frame indices, in order) and audio.wav (16 kHz mono).
    `sampled=None` gives the bare render: the same graph to clip.mp4 only.
    """
    W, H, fps, D = plan.width, plan.height, plan.fps, plan.duration
    global_threads, encoder_threads = cpu_share()
    args = [tool("ffmpeg"), "-nostdin", "-v", "error", "-y", *global_threads, "-i", str(work / "mix.wav")]
    # the backgrounds, scene after scene, joined by `concat` (no full-frame overlay): a flat colour; a photograph's
    # cover, decoded and converted to YUV once then repeated and panned (`loop`, `crop` in the scene's own time); a
    # stretch of your footage through the chain its probes decode it by. Each is exactly its scene's frames long.
    graph, n_in = [], 1
    for scene in plan.scenes:
        frames = int(round((scene.end - scene.start) * fps))
        if scene.footage:
            args += ["-ss", f"{scene.footage_start:g}", "-t", f"{scene.end - scene.start + 1 / fps:g}", "-i",
                     scene.footage]
            seg, n_in = f"[{n_in}:v:0]{footage.chain(W, H, fps)},format=yuv420p", n_in + 1
        elif scene.photo:
            bmp = work / f"bg{scene.index:02d}.bmp"
            Image.fromarray(media.cover(scene.photo, W, H)).save(bmp)
            args += ["-i", str(bmp)]
            x, y = (media.pan_expr(scene.pan, 0.0, scene.end - scene.start, axis) for axis in (0, 1))
            seg = (f"[{n_in}:v]format=yuv420p,loop=loop={frames - 1}:size=1:start=0,setpts=N/{fps}/TB,"
                   f"crop=w={W}:h={H}:x='{x}':y='{y}'")
            n_in += 1
        else:
            seg = f"color=c=0x{_hex(scene.rgb)}:s={W}x{H}:r={fps}:d={(frames + 1) / fps:g},format=yuv420p"
        graph.append(f"{seg},trim=end_frame={frames},setpts=PTS-STARTPTS,setsar=1[bg{scene.index}]")
    graph.append("".join(f"[bg{s.index}]" for s in plan.scenes) + f"concat=n={len(plan.scenes)}:v=1:a=0,"
                 f"settb=1/{fps},setpts=N[v0]")  # frame n at n/fps s
    images: dict[tuple, str] = {}
    last = "v0"
    for sp in plan.sprites:  # one input per sprite (a PNG drawn once per look): a plain graph
        # shown on the frames of [start, end] (both frame times): half a frame each side, since ffmpeg's t for frame
        # 41 at 25 fps is 1.6400000000000001, past a window that ends at 1.64
        window = f"enable='between(t,{sp.start - 0.5 / fps:.6g},{sp.end + 0.5 / fps:.6g})'"
        if sp.kind == "person":  # a posed figure per frame of its window: raw RGBA, nothing to encode or decode
            raw = _person_frames(sp, fps, work / f"p{n_in:03d}.rgba")
            args += ["-f", "rawvideo", "-pix_fmt", "rgba", "-s", f"{sp.size[0]}x{sp.size[1]}", "-framerate", str(fps),
                     "-i", raw]
            graph.append(f"[{n_in}:v]setpts=PTS+{sp.start:g}/TB[ps{n_in}];[{last}][ps{n_in}]overlay="
                         f"x='{_piecewise(sp.keys, 1)}':y='{_piecewise(sp.keys, 2)}':{window}[v{n_in}]")
            last, n_in = f"v{n_in}", n_in + 1
            continue
        key = (sp.shape, sp.rgb, sp.size, sp.name if sp.kind == "label" else sp.image)
        if key not in images:
            images[key] = str(work / f"s{len(images):03d}.png")
            png = (label_png(sp.name, sp.fontsize, sp.size) if sp.kind == "label" else
                   _cutout_png(sp.image, sp.size[1]) if sp.image else shape_png(sp.shape, sp.rgb, sp.size))
            Path(images[key]).write_bytes(png)
        args += ["-i", images[key]]
        graph.append(f"[{last}][{n_in}:v]overlay=x='{_piecewise(sp.keys, 1)}':y='{_piecewise(sp.keys, 2)}'"
                     f":{window}[v{n_in}]")
        last, n_in = f"v{n_in}", n_in + 1
    if sampled is None:  # the bare render: the mp4 and nothing else (the bench's baseline)
        args += ["-filter_complex", ";".join(graph), "-map", f"[{last}]", "-map", "0:a", "-c:v", "libx264", *encoder_threads, "-preset",
                 preset, "-crf", str(crf), "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k", "-t", f"{D:g}",
                 "-movflags", "+faststart", str(work / "clip.mp4")]
        return args
    sel = lambda idx: "+".join(f"eq(n,{k})" for k in idx)  # noqa: E731
    branches = 2 + bool(probes)
    graph.append(f"[{last}]split={branches}[venc][vf]" + ("[vp]" if probes else ""))
    graph.append(f"[vf]select='{sel(sampled)}'[vfo]")
    if probes:
        graph.append(f"[vp]select='{sel(probes)}',format=rgb24[vpo]")
    graph.append("[0:a]asplit=2[aenc][aw]")
    graph.append(f"[aw]aresample={WAV_RATE},aformat=sample_fmts=s16:channel_layouts=mono[awo]")
    args += ["-filter_complex", ";".join(graph)]
    if want_mp4:
        args += ["-map", "[venc]", "-map", "[aenc]", "-c:v", "libx264", *encoder_threads, "-preset", preset, "-crf", str(crf),
                 "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k", "-t", f"{D:g}", "-movflags", "+faststart",
                 str(work / "clip.mp4")]
    else:
        args += ["-map", "[venc]", "-f", "null", "-", "-map", "[aenc]", "-f", "null", "-"]
    args += ["-map", "[vfo]", "-fps_mode", "passthrough", "-q:v", "3", str(work / "f%03d.jpg")]
    if probes:
        args += ["-map", "[vpo]", "-fps_mode", "passthrough", "-f", "rawvideo", str(work / "probes.rgb")]
    args += ["-map", "[awo]", "-c:a", "pcm_s16le", str(work / "audio.wav")]
    return args


def _person_frames(sp, fps: int, path: Path) -> str:
    """Write the person's frames (its canvas, raw RGBA, in order) for every frame time in [start, end]; the path."""
    from omnisynth.generators.clips.people import figure

    first, last = int(round(sp.start * fps)), int(round(sp.end * fps))
    with open(path, "wb") as out:
        for n in range(first, last + 1):
            t = n / fps
            x = sp.pos(t)[0]
            moving = abs(sp.pos(t + 1 / fps)[0] - x) > 1e-6 or abs(sp.pos(t - 1 / fps)[0] - x) > 1e-6
            out.write(figure(sp.rig, t, x, moving).tobytes())
    return str(path)


def _cutout_png(path: str, height: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(media.cutout(path, height), "RGBA").save(buf, "PNG", compress_level=1)
    return buf.getvalue()


def _hex(rgb) -> str:
    return "".join(f"{c:02x}" for c in rgb)


def run_ffmpeg(args: list[str], timeout: float) -> None:
    try:
        proc = subprocess.run(args, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise InputError("render_timeout", f"ffmpeg ran over {timeout:g} s") from None
    if proc.returncode != 0:
        raise RuntimeError(f"ffmpeg exited {proc.returncode}: {proc.stderr.decode(errors='replace')[-800:]}")


def render_clip(plan: Plan, seed: int, frames: int, want_mp4: bool, timeout: float, preset: str = "veryfast",
                crf: int = 23) -> dict:
    """Render `plan`: {'mp4': bytes|None, 'frames': [(time_s, jpg)], 'wav': bytes, 'probe_frames': {t: HxWx3}}."""
    sampled = frame_indices(plan, frames)
    probe_times = sorted({p.t0 for e in plan.events for p in e.probes if p.modality == "visual"})
    probe_idx = sorted({int(round(t * plan.fps)) for t in probe_times})
    with tempfile.TemporaryDirectory(prefix="omnisynth-av-") as tmp:
        work = Path(tmp)
        (work / "mix.wav").write_bytes(wav_bytes(mix(plan, seed), SR))
        run_ffmpeg(ffmpeg_command(plan, work, sampled, probe_idx, want_mp4, preset, crf), timeout)
        jpgs = [(work / f"f{i + 1:03d}.jpg").read_bytes() for i in range(len(sampled))]
        raw = np.frombuffer((work / "probes.rgb").read_bytes(), dtype=np.uint8) if probe_idx else np.zeros(0, np.uint8)
        raw = raw.reshape(-1, plan.height, plan.width, 3)
        if len(raw) != len(probe_idx):
            raise RuntimeError(f"ffmpeg wrote {len(raw)} probe frames, expected {len(probe_idx)}")
        return {"mp4": (work / "clip.mp4").read_bytes() if want_mp4 else None,
                "frames": [(k / plan.fps, jpg) for k, jpg in zip(sampled, jpgs, strict=False)],
                "wav": (work / "audio.wav").read_bytes(),
                "probe_frames": {k / plan.fps: frame for k, frame in zip(probe_idx, raw, strict=False)}}


# -- measuring a render ------------------------------------------------------------------------
def dbfs(x: np.ndarray) -> float:
    rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if len(x) else 0.0
    return 20 * np.log10(max(rms, 1e-9))


def peak_hz(x: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)), n=max(len(x), 8192)))
    return float(np.fft.rfftfreq(max(len(x), 8192), 1 / rate)[int(np.argmax(spectrum))])


def check_probe(probe: Probe, frame_at, pcm: np.ndarray, rate: int) -> str:
    """'' when the rendered media passes the probe, else what was measured instead.

    `frame_at(t)` returns the HxWx3 RGB frame at time t (None if not extracted).
    """
    if probe.modality == "audio":
        window = pcm[int(probe.t0 * rate): int(probe.t1 * rate)]
        level = dbfs(window)
        if probe.expect == "silence":
            return "" if level < SILENCE_DBFS else f"{level:.1f} dBFS in {probe.t0:.3f}-{probe.t1:.3f} s, expected silence"
        if level < SOUND_DBFS:
            return f"{level:.1f} dBFS in {probe.t0:.3f}-{probe.t1:.3f} s, expected a sound"
        hop = int(0.05 * rate)
        chunks = [dbfs(window[i:i + hop]) for i in range(0, max(1, len(window) - hop + 1), hop)]
        loud = sum(c >= SOUND_DBFS for c in chunks) / len(chunks)
        if loud < probe.sustained:
            return (f"sound in only {100 * loud:.0f}% of {probe.t0:.3f}-{probe.t1:.3f} s "
                    f"({min(chunks):.1f} dBFS at the quietest), expected {100 * probe.sustained:.0f}%")
        if probe.freq:
            hz = peak_hz(window, rate)
            if abs(hz - probe.freq) > max(8.0, 0.03 * probe.freq):
                return f"peak {hz:.0f} Hz in {probe.t0:.3f}-{probe.t1:.3f} s, expected {probe.freq:.0f} Hz"
        return ""
    frame = frame_at(probe.t0)
    if frame is None:
        return f"no frame at {probe.t0:.3f} s"
    x0, y0, x1, y1 = probe.box
    region = frame[max(0, y0):y1, max(0, x0):x1].reshape(-1, 3).astype(np.float32)
    if not len(region):
        return f"empty region {probe.box}"
    if probe.expect == "text":  # a label: mostly its box colour, with text-coloured strokes
        box_share = float(np.mean(np.linalg.norm(region - np.array(LABEL_BOX), axis=1) < COLOUR_TOLERANCE))
        ink_share = float(np.mean(np.linalg.norm(region - np.array(LABEL_TEXT), axis=1) < 2 * COLOUR_TOLERANCE))
        if box_share < 0.4 or ink_share < 0.03:
            return f"label not at {probe.box} at {probe.t0:.3f} s (box {box_share:.2f}, ink {ink_share:.2f})"
        return ""
    mean = region.mean(axis=0)
    dist = float(np.linalg.norm(mean - np.array(probe.rgb)))
    if dist > COLOUR_TOLERANCE:
        return (f"mean colour {[round(float(c)) for c in mean]} at {probe.box} at {probe.t0:.3f} s, "
                f"expected {list(probe.rgb)}")
    return ""


def check_event(event, frame_at, pcm: np.ndarray, rate: int) -> str:
    for probe in event.probes:
        why = check_probe(probe, frame_at, pcm, rate)
        if why:
            return why
    return ""


# -- your own media files ---------------------------------------------------------------------
def ffprobe(path: Path, timeout: float = 30) -> dict:
    proc = subprocess.run([tool("ffprobe"), "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
                           str(path)], capture_output=True, timeout=timeout)
    if proc.returncode != 0:
        why = re.sub(r" @ 0x[0-9a-f]+", "", proc.stderr.decode(errors="replace").strip())[-300:]
        raise InputError("media_unreadable", f"{path.name}: ffprobe cannot read it: {why}")
    return json.loads(proc.stdout or b"{}")
