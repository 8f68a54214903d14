"""Your media files, probed by content for the inventory (omnisynth.generators.corpus).

Any container and codec ffmpeg reads is a video (.mpg, .avi, .ts, .m4v, .ogv, .3gp, a file
without a suffix), found by ffprobe, not by the file's name; files whose first bytes say they
are something else (a PDF, an image, text such as subtitles, an archive) are not run through
ffprobe at all.
"""

from __future__ import annotations

from pathlib import Path

from omnisynth.generators.clips.render import ffprobe
from omnisynth.generators.corpus import Probe, read_head, sniff
from omnisynth.generators.errors import InputError

STILL_FORMATS = ("image2", "png_pipe", "jpeg_pipe", "webp_pipe", "bmp_pipe", "gif", "tiff_pipe", "svg_pipe")


def probe_media(config, path: Path) -> Probe:
    """One clip (unit 0) for a file with a video stream; else why not.

    Reasons: `media_empty_file`, `not_media` (the bytes are a document, image, text...),
    `media_unreadable` (ffprobe refuses it), `media_still_image`, `media_no_video` (audio only,
    a cover picture being no video; or no stream at all). `info`: container, codecs, whether it
    has sound, the container's duration in seconds.
    """
    head = read_head(path)
    if not head:
        return Probe(reason="media_empty_file", detail=f"{path.name}: the file is empty (0 bytes)")
    what = sniff(head)
    if what:
        return Probe(reason="not_media", detail=f"{path.name}: {what}, not audio or video")
    try:
        found = ffprobe(path, config.timeout_s)
    except InputError as exc:
        return Probe(reason=exc.reason, detail=str(exc))
    streams = found.get("streams", [])
    fmt = found.get("format", {})
    videos = [s for s in streams if s.get("codec_type") == "video" and not s.get("disposition", {}).get("attached_pic")]
    audios = [s for s in streams if s.get("codec_type") == "audio"]
    info = {"format": fmt.get("format_name", ""), "video_codec": videos[0].get("codec_name", "") if videos else "",
            "audio_codec": audios[0].get("codec_name", "") if audios else "", "duration_s": _seconds(fmt.get("duration"))}
    if fmt.get("format_name", "") in STILL_FORMATS:
        return Probe(reason="media_still_image", kind="image", info=info,
                     detail=f"{path.name}: a still image ({fmt.get('format_name')}), not a video")
    if not videos:
        cover = any(s.get("disposition", {}).get("attached_pic") for s in streams)
        what = ("audio only" + (" (its cover picture is not video)" if cover else "")) if audios else \
            "no video or audio stream"
        return Probe(reason="media_no_video", kind="audio" if audios else "", info=info,
                     detail=f"{path.name}: {what}: nothing to see")
    return Probe(units=(0,), kind="video", info=info)


def _seconds(value) -> float:
    try:
        return round(float(value), 3)
    except (TypeError, ValueError):
        return 0.0
