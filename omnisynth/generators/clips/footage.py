"""Your footage behind planned clips: videos cut into shots at measured boundaries, spliced in planned order.

`generator.footage` names a folder of your videos (any container and codec ffmpeg reads; the
sound of the footage is not used: the clip's track is the planned mix). Each video is measured
once per worker (`shots`): its length from ffprobe, its shot changes by the same scene score
as your own videos (`omnisynth.generators.clips.video`, 0.35 on a 160-pixel-wide copy), so a
scene plays a stretch of one shot and the cuts between scenes are the plan's. A scene's stretch
is scaled to cover the frame, centre-cropped and resampled to the clip's frame rate by one
filter chain (`chain`), in the render and when a probe asks what the footage shows in a box at a
time (`frame`): the same pixels both ways, so the `timeline` filter re-measures cuts and
entries over footage as over photographs.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
from pathlib import Path

import numpy as np

from omnisynth.generators.clips.media import Medium, _listing
from omnisynth.generators.errors import InputError

VIDEO_SUFFIXES = {".mp4", ".webm", ".mkv", ".mov", ".avi", ".ogv", ".mpg", ".mpeg", ".ts", ".m4v", ".3gp"}
SCENE_SCORE = 0.35  # as omnisynth.generators.clips.video.extract measures your videos' shot changes
MIN_SHOT_S = 2.0  # shorter shots are not used
_PTS = re.compile(r"pts_time:([0-9.]+)")
_TIME = re.compile(r"time=(\d+):(\d+):([0-9.]+)")


@functools.lru_cache(maxsize=8)
def footage(folder: str) -> tuple[Medium, ...]:
    """Your videos under `folder` (by suffix), each named by its file name ('city_street.mp4': 'city street')."""
    return _listing(folder, Path(folder), {}, VIDEO_SUFFIXES)


@functools.lru_cache(maxsize=128)
def shots(path: str, timeout: float = 120.0) -> tuple[tuple[float, float], ...]:
    """The shots of a video, (start, end) seconds on its own clock from its first frame, each at least 2 s, within what
    really decodes (a truncated file's header may claim more); () for a file ffmpeg cannot read or without video (such
    a file is passed over, not an error)."""
    try:
        probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                                "stream=duration:format=duration", "-of", "json", path], capture_output=True,
                               timeout=timeout)
        info = json.loads(probe.stdout or b"{}")
        length = float((info.get("streams") or [{}])[0].get("duration") or info.get("format", {}).get("duration") or 0)
        if probe.returncode != 0 or not info.get("streams") or length <= 0:
            return ()
        graph = (f"[0:v:0]setpts=PTS-STARTPTS,scale=160:-2,split=2[a][b];"
                 f"[a]select='gt(scene,{SCENE_SCORE})',showinfo,nullsink;[b]null[all]")
        scan = subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-v", "info", "-i", path, "-filter_complex", graph,
                               "-map", "[all]", "-f", "null", "-"], capture_output=True, timeout=timeout)
    except (subprocess.TimeoutExpired, ValueError):
        return ()
    if scan.returncode != 0:
        return ()
    log = scan.stderr.decode(errors="replace")
    decoded = _TIME.findall(log)  # ffmpeg's progress: how far it really decoded (a truncated file says more)
    if decoded:
        h, m, sec = decoded[-1]
        length = min(length, int(h) * 3600 + int(m) * 60 + float(sec))
    cuts = [float(t) for t in _PTS.findall(log)]
    edges = [0.0] + [t for t in cuts if 0 < t < length] + [length]
    return tuple((round(a, 3), round(b - 0.1, 3)) for a, b in zip(edges, edges[1:], strict=False)
                 if b - 0.1 - a >= MIN_SHOT_S)  # 0.1 s short of the next cut: a frame of it never shows


def chain(width: int, height: int, fps: int) -> str:
    """The filters that make a stretch of footage into the clip's frames: cover, centre-crop, the clip's rate."""
    return (f"scale={width}:{height}:force_original_aspect_ratio=increase,crop={width}:{height},"
            f"fps={fps},setpts=PTS-STARTPTS")


@functools.lru_cache(maxsize=64)
def frame(path: str, start: float, index: int, width: int, height: int, fps: int) -> np.ndarray:
    """Frame `index` (at the clip's rate) of the stretch from `start` seconds, through `chain`: HxWx3 uint8.

    Raises InputError `media_unreadable` when ffmpeg gives no such frame.
    """
    out = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-ss", f"{start:g}", "-i", path, "-map", "0:v:0",
                          "-vf", f"{chain(width, height, fps)},select='eq(n,{index})'", "-frames:v", "1",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, timeout=120)
    if out.returncode != 0 or len(out.stdout) != width * height * 3:
        raise InputError("media_unreadable", f"{Path(path).name}: no frame {index} from {start:g} s "
                         f"({out.stderr.decode(errors='replace').strip()[-200:]})")
    return np.frombuffer(out.stdout, dtype=np.uint8).reshape(height, width, 3)


def region_mean(path: str, start: float, t_rel: float, width: int, height: int, fps: int, box) -> tuple[int, ...]:
    """Mean RGB of `box` (frame pixels) in the footage `t_rel` seconds into a scene playing it from `start`."""
    x0, y0, x1, y1 = box
    region = frame(path, start, int(round(t_rel * fps)), width, height, fps)[max(0, y0):y1, max(0, x0):x1]
    return tuple(int(round(v)) for v in region.reshape(-1, 3).mean(axis=0))
