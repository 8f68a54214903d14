"""What a model is shown of a clip: sampled frames and the wav, or the mp4 with its own sound (`model.clip_input`)."""

from __future__ import annotations


def clip_members(item, cfg) -> tuple[list[tuple[str, str]], str, dict]:
    """What the model is shown of a clip: (members with their kinds, the prompt's words for them, request context).

    `cfg.clip_input` 'frames': up to `cfg.frames` frames spread over the clip, then the audio track when the sample
    has one. 'video': the mp4 member alone; its sound reaches the model from the video itself (context
    `audio_in_video`, Qwen2.5-Omni-style `use_audio_in_video`), time-aligned with the pictures.
    """
    clip = item.truth.clip
    has_audio = clip.plan is not None or bool(clip.info.get("has_audio"))  # planned clips always carry sound
    if cfg.clip_input == "video":
        video = next(m for m in clip.media if m["modality"] == "video")
        words = f"a {clip.duration:.1f}-second clip as a video" + (" with its sound, time-aligned" if has_audio else
                                                                     " (no audio)")
        return [(video["member"], "video")], words, {"audio_in_video": has_audio}
    frames = [m for m in clip.media if m["modality"] == "image"]
    if len(frames) > cfg.frames:
        step = len(frames) / cfg.frames
        frames = [frames[int(i * step)] for i in range(cfg.frames)]
    audio = [(m["member"], "audio") for m in clip.media if m["modality"] == "audio" and m["duration_s"] > 0]
    times = ", ".join(f"{m['time_s']:.1f}" for m in frames)
    words = f"{len(frames)} frames of a {clip.duration:.1f}-second clip (at {times} seconds)" + (
        " and its audio track" if audio else " (no audio)")
    return [(m["member"], "image") for m in frames] + audio, words, {}


def prompt_video(data: bytes, timeout: float = 120.0) -> bytes:
    """The mp4 as sent to a model: the video stream copied, the sound (if any) re-encoded 16 kHz mono AAC, moov first.

    Omni models hear 16 kHz; vLLM resamples any other rate with torchaudio, which a CPU build may lack, so the
    track is sent at the rate the model takes. Raises subprocess.CalledProcessError when ffmpeg cannot read it.
    """
    import subprocess
    import tempfile
    from pathlib import Path

    from omnisynth.generators.clips.render import tool

    with tempfile.TemporaryDirectory(prefix="omnisynth-prompt-") as tmp:
        src, dst = Path(tmp) / "in.mp4", Path(tmp) / "out.mp4"
        src.write_bytes(data)
        subprocess.run([tool("ffmpeg"), "-nostdin", "-v", "error", "-y", "-i", str(src), "-map", "0:v:0", "-map",
                        "0:a:0?", "-c:v", "copy", "-c:a", "aac", "-ar", "16000", "-ac", "1", "-b:a", "48k",
                        "-movflags", "+faststart", str(dst)], check=True, capture_output=True, timeout=timeout)
        return dst.read_bytes()
