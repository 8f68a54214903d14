"""Your own videos, measured from their decoded streams: the `video_corpus` family's ffmpeg side.

Time 0 is the video stream's first decoded frame, whatever clock the file keeps (a clip cut
from a broadcast starts at 3600 s, an export written with `-output_ts_offset 10` at 10 s, a
phone recording's audio a few ms before its picture): the sampled frames' `time_s`, the shot
changes, the sound events and the `mp4` member all count seconds from it. The frame given for
a time t is the one on screen at t, the last frame presented at or before t, so variable frame
rates (screen recordings, phones, held stills) give the right picture. Sizes are those of the
decoded frames in pixels: ffmpeg applies the display matrix (a phone's portrait clip, coded
1920x1080 with a 90-degree matrix, gives 1080x1920 frames; 180 and 270 degrees and flips too)
and the frames get square pixels (a 720x576 DVD frame with a 16:15 sample aspect ratio is 768
pixels wide). The length is the video stream's own, end of its last frame minus its first
frame, never the container's (which can count from the file clock's 0).
"""

from __future__ import annotations

import io
import re
import subprocess
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np

from omnisynth.generators.clips.render import WAV_RATE, ffprobe, run_ffmpeg, tool, wav_bytes
from omnisynth.generators.errors import InputError

_SHOWINFO = re.compile(r"\[Parsed_showinfo_(\d+) @ [^\]]*\] n:\s*\d+ pts:\s*(-?\d+) pts_time:(-?[\d.]+)")
_ADDRESS = re.compile(r" @ 0x[0-9a-f]+")  # log prefixes carry pointers: not in quarantine details
_DECODE_ERROR = re.compile(r"(error while decoding|Invalid NAL|partial file|corrupt|Invalid data|"
                           r"missing picture|concealing)", re.I)
_IDENTITY = [65536, 0, 0, 0, 65536, 0, 0, 0, 1073741824]  # an ffprobe display matrix that turns nothing
COPY_AUDIO = ("aac", "mp3")  # audio an mp4 member may carry as the source has it


def _float(value) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if out == out and abs(out) != float("inf") else None


def rotation(video: dict) -> int:
    """The stream's display rotation in degrees, 0..359 (ffprobe's sign: -90 and 270 are one turn)."""
    for side in video.get("side_data_list", []):
        if _float(side.get("rotation")) is not None:
            return int(round(float(side["rotation"]))) % 360
    return int(round(_float(video.get("tags", {}).get("rotate")) or 0)) % 360


def _plain_geometry(video: dict) -> bool:
    """No display matrix that turns or flips the picture, and square pixels (or none stated)."""
    for side in video.get("side_data_list", []):
        if "displaymatrix" in side:
            rows = side["displaymatrix"].strip().splitlines()
            numbers = [int(x) for row in rows for x in re.findall(r"-?\d+", row.split(":", 1)[-1])]
            if numbers != _IDENTITY:
                return False
    sar = video.get("sample_aspect_ratio", "1:1")
    return rotation(video) == 0 and sar in ("1:1", "0:1", "N/A", "")


def video_length(path: Path, video: dict, timeout: float) -> float:
    """Seconds from the video stream's first frame to the end of its last; 0.0 when nothing says.

    The stream's own duration where the container keeps one (mp4, avi, ts); else the span of
    its packets (Matroska and a live-recorded WebM keep none; a raw .h264 stream has no
    timestamps, only packet durations). Never the container's duration: Matroska and mp4
    count it from 0 of the file's clock, so a clip whose timestamps start at 10 s would be
    10 s too long and every frame past its end would look missing.
    """
    own = _float(video.get("duration"))
    if own and own > 0:
        return own
    out = subprocess.run([tool("ffprobe"), "-v", "error", "-select_streams", str(video["index"]), "-show_entries",
                          "packet=pts_time,dts_time,duration_time,flags", "-of", "compact=p=0", str(path)],
                         capture_output=True, timeout=timeout).stdout.decode(errors="replace")
    num, _, den = video.get("avg_frame_rate", "0/1").partition("/")
    period = 1 / float(num) * float(den or 1) if _float(num) and _float(den or 1) else 0.0
    starts, ends, total = [], [], 0.0
    for line in out.splitlines():
        fields = dict(kv.split("=", 1) for kv in line.split("|") if "=" in kv)
        if not fields or "D" in fields.get("flags", ""):  # dropped by an edit list: never shown
            continue
        length = _float(fields.get("duration_time")) or period
        total += length
        t = _float(fields.get("pts_time"))
        t = _float(fields.get("dts_time")) if t is None else t
        if t is not None:
            starts.append(t)
            ends.append(t + length)
    return max(ends) - min(starts) if starts else total


def first_frame_time(path: Path, video: dict, timeout: float) -> float:
    """Presentation time (s, on the file's clock) of the video stream's first decoded frame."""
    out = subprocess.run([tool("ffprobe"), "-v", "error", "-select_streams", str(video["index"]), "-read_intervals",
                          "%+#12", "-show_entries", "frame=best_effort_timestamp_time", "-of", "csv=p=0", str(path)],
                         capture_output=True, timeout=timeout).stdout.decode(errors="replace")
    times = [t for t in (_float(x.strip(",")) for x in out.split()) if t is not None]
    return min(times, default=_float(video.get("start_time")) or 0.0)


def sampling(duration: float, n: int) -> Fraction:
    """The rate (frames/s) whose slots k = 0..n-1 sit at the times (k + 0.5) / rate across `duration` seconds."""
    rate = n / duration  # ffmpeg takes a rate whose terms are at most 1001000: a two-hour film's 8/7200 is 1/900
    return Fraction(rate).limit_denominator(max(1, min(1_000_000, int(1_000_000 / rate))))


def _audio(audio: dict, start: float, rate: int | None) -> list[str]:
    """Map the sound on the video's clock: 0 at the first frame; samples before it cut, a late start or gaps silent.

    Its own filter chain (not in the video's graph), so a file that interleaves its sound
    late never holds the picture back.
    """
    to = f"{rate}:" if rate else ""
    return ["-map", f"0:{audio['index']}", "-af", f"asetpts=PTS-{start:.6f}/TB,aresample={to}async=1:first_pts=0"]


def extract(path: Path, video: dict, audio: dict | None, duration: float, n: int, start: float, timeout: float):
    """One ffmpeg pass: the frame on screen at each of n times across the clip, shot changes, the 16 kHz track.

    Returns (frames [(time_s, jpg)], shot change times in s, wav bytes, ffmpeg's log). Times count
    from the first frame; `start` is that frame's time on the file's clock (the audio is cut or
    padded to it). Frames come from ffmpeg's `fps` filter rounding up: slot k shows the last
    frame presented at or before its time, which is what a player shows then.
    """
    rate = sampling(duration, n)
    half = 0.5 / float(rate)  # slots sit half a period in: shift the frames back by it
    graph = (f"[0:{video['index']}]settb=AVTB,setpts=PTS-STARTPTS,split=2[a][b];"
             f"[a]setpts=PTS-{half:.6f}/TB,fps=fps={rate.numerator}/{rate.denominator}:start_time=0:round=up,"
             "scale=w='max(1,round(iw*sar))':h=ih,setsar=1,showinfo[f];"
             "[b]scale=160:-2,select='gt(scene,0.35)',showinfo,nullsink")
    with tempfile.TemporaryDirectory(prefix="omnisynth-video-") as tmp:
        work = Path(tmp)
        args = [tool("ffmpeg"), "-nostdin", "-hide_banner", "-nostats", "-v", "info", "-y", "-copyts", "-i", str(path),
                "-filter_complex", graph, "-map", "[f]", "-fps_mode", "passthrough", "-q:v", "3", str(work / "f%03d.jpg")]
        if audio is not None:
            args += [*_audio(audio, start, WAV_RATE), "-ac", "1", "-c:a", "pcm_s16le", str(work / "a.wav")]
        try:
            proc = subprocess.run(args, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise InputError("render_timeout", f"{path.name}: ffmpeg ran over {timeout:g} s") from None
        stderr = proc.stderr.decode(errors="replace")
        found: dict[int, list[tuple[int, float]]] = {}
        for m in _SHOWINFO.finditer(stderr):
            found.setdefault(int(m.group(1)), []).append((int(m.group(2)), float(m.group(3))))
        order = sorted(found)
        slots = [k for k, _ in found[order[0]]] if order else []
        cuts = [t for _, t in found[order[1]]] if len(order) > 1 else []
        jpgs = sorted(work.glob("f*.jpg"))
        frames = [((k + 0.5) / float(rate), p.read_bytes()) for k, p in zip(slots, jpgs, strict=False)]
        if proc.returncode != 0 and not frames:
            raise InputError("media_unreadable", f"{path.name}: ffmpeg cannot decode it: {stderr.strip()[-300:]}")
        wav = (work / "a.wav").read_bytes() if audio is not None and (work / "a.wav").exists() else wav_bytes(
            np.zeros(0, np.float32), WAV_RATE)
        return frames, cuts, wav, stderr


def check_complete(rel: str, frames: list, n: int, duration: float, stderr: str) -> list:
    """The n frames, the last repeated (at the missing times) when a clip's final second lacks a few.

    Raises InputError `media_truncated` when decoding stopped more than a second before the
    last time asked for: a cut-off download, an mp4 whose data ends before its index says.
    """
    rate = float(sampling(duration, n))
    times = [(k + 0.5) / rate for k in range(n)]
    if len(frames) < n and (not frames or frames[-1][0] < times[-1] - 1.0):
        errors = [ln for ln in stderr.splitlines() if _DECODE_ERROR.search(ln) and not ln.startswith("Input #")]
        why = _ADDRESS.sub("", errors[0].strip())[:200] if errors else "no frames decoded past that point"
        raise InputError("media_truncated", f"{rel}: decoded {len(frames)} of {n} frames, the last at "
                         f"{frames[-1][0] if frames else 0:.2f} s of {duration:.2f} s: {why}")
    return frames + [(t, frames[-1][1]) for t in times[len(frames):]]


def jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) in pixels from an image's header."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        return im.size


def reencode_reason(probe: dict, video: dict, audio: dict | None) -> str:
    """Why the source file cannot travel as the `mp4` member byte for byte ('' when it can).

    It can when it is an ISO mp4 holding one video stream, H.264 in 8-bit 4:2:0 with an even
    size, square pixels and no display matrix, starting at 0 s, and AAC or MP3 sound if any:
    what players and loaders read the same way we measured it.
    """
    fmt = probe.get("format", {})
    streams = [s for s in probe.get("streams", []) if s.get("codec_type") == "video"]
    checks = [("not an mp4 file", "mp4" in fmt.get("format_name", "") and
               fmt.get("tags", {}).get("major_brand", "").strip() != "qt"),
              ("more than one video stream", len(streams) == 1),
              (f"{video.get('codec_name')} {video.get('pix_fmt')}, not H.264 yuv420p",
               video.get("codec_name") == "h264" and video.get("pix_fmt") == "yuv420p"),
              (f"odd size {video.get('width')}x{video.get('height')}",
               int(video.get("width", 1)) % 2 == 0 and int(video.get("height", 1)) % 2 == 0),
              ("turned (display matrix) or non-square pixels", _plain_geometry(video)),
              ("does not start at 0 s", abs(_float(video.get("start_time")) or 0.0) < 1e-3
               and abs(_float(fmt.get("start_time")) or 0.0) < 1e-3),
              (f"{audio and audio.get('codec_name')} sound", audio is None or audio.get("codec_name") in COPY_AUDIO)]
    return next((why for why, ok in checks if not ok), "")


def mp4_member(path: Path, probe: dict, video: dict, audio: dict | None, start: float, duration: float,
               timeout: float) -> tuple[bytes, dict]:
    """The `mp4` member and its measured {'width', 'height' (pixels), 'duration_s' (seconds)}.

    The source itself when `reencode_reason` finds nothing to change; else H.264 yuv420p (+AAC)
    on the frames' clock: turned upright, square pixels, padded to an even size (one black
    column or row on the right or bottom), 0 s at the first frame.
    """
    if not reencode_reason(probe, video, audio):
        return path.read_bytes(), {"width": int(video["width"]), "height": int(video["height"]),
                                   "duration_s": round(duration, 3)}
    graph = (f"[0:{video['index']}]setpts=PTS-STARTPTS,scale=w='max(1,round(iw*sar))':h=ih,setsar=1,"
             "pad=ceil(iw/2)*2:ceil(ih/2)*2,format=yuv420p[v]")
    args = ["-map", "[v]"]
    if audio is not None:
        args += [*_audio(audio, start, None), "-c:a", "aac"]
    with tempfile.TemporaryDirectory(prefix="omnisynth-video-") as tmp:
        out = Path(tmp) / "clip.mp4"
        run_ffmpeg([tool("ffmpeg"), "-nostdin", "-v", "error", "-y", "-copyts", "-i", str(path), "-filter_complex",
                    graph, *args, "-c:v", "libx264", "-preset", "veryfast", "-fps_mode", "vfr", "-movflags",
                    "+faststart", str(out)], timeout)
        held = next(s for s in ffprobe(out, timeout)["streams"] if s.get("codec_type") == "video")
        return out.read_bytes(), {"width": int(held["width"]), "height": int(held["height"]),
                                  "duration_s": round(video_length(out, held, timeout), 3)}
