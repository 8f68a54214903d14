"""Recipe `generator` sections of the audio-visual families: planned clips and your videos."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from omnisynth.schemas.base import CorpusSource, GeneratorConfig, existing_path
AV_MEDIA = ("frames", "wav", "mp4")


class _Clips(GeneratorConfig):
    frames: int = Field(default=8, ge=1, le=64, description="frames sampled per clip (members f00.jpg ...)")
    media: list[Literal[AV_MEDIA]] = Field(  # type: ignore[valid-type]
        default=["frames", "wav"], min_length=1, description=(
            "what a sample carries: frames (JPEG, with timestamps), wav (16 kHz mono), mp4 (the clip itself)"))
    timeout_s: float = Field(default=120.0, gt=0, le=3600, description="bound on each ffmpeg call")

    @field_validator("media")
    @classmethod
    def _media(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("lists a medium twice")
        return [m for m in AV_MEDIA if m in v]


class AvGenerator(_Clips):
    kind: Literal["av"] = "av"
    size: tuple[int, int] = Field(default=(640, 360), description="[width, height] of the video in pixels")
    fps: int = Field(default=25, ge=1, le=60)
    duration_s: tuple[float, float] = Field(default=(8.0, 12.0), description="[min, max] clip length in seconds")
    scenes: tuple[int, int] = Field(default=(2, 3), description="[min, max] scenes per clip")
    objects: tuple[int, int] = Field(default=(1, 3), description="[min, max] moving objects per scene (at most 3)")
    captions: float = Field(default=0.5, ge=0, le=1, description="share of clips that subtitle their speech on screen")
    voice: str = Field(default="en", pattern=r"^[a-z]{2,3}([-+][A-Za-z0-9]+)*$", description="espeak-ng voice")
    photos: str = Field(default="", description=(
        "folder of your photographs (any image Pillow reads) for scene backgrounds, each named by its file name; "
        "'' uses the bundled nature photographs (mate-backgrounds)"))
    sounds: str = Field(default="", description=(
        "folder of your sound effects (any sound ffmpeg reads: wav, ogg, flac, ...), each named by its file name; "
        "'' uses the bundled freedesktop sound theme"))
    cutouts: str = Field(default="", description=(
        "folder of your object cut-outs (PNG or WebP with alpha; any image Pillow reads), each named by its file name; "
        "a shape scene also moves one of them on a free lane (generator.cutout_share)"))
    cutout_share: float = Field(default=0.5, ge=0, le=1, description=(
        "share of shape scenes that show one of generator.cutouts when it is set"))
    speech: str = Field(default="", description=(
        "folder of your recorded lines: each sound file (wav, ogg, flac, ...) with its transcript beside it in a .txt "
        "of the same name; spoken sentences are drawn from them (generator.speech_share), the rest espeak-ng"))
    speech_share: float = Field(default=1.0, ge=0, le=1, description=(
        "share of spoken sentences taken from generator.speech when it is set"))
    photo_share: float = Field(default=1.0, ge=0, le=1, description=(
        "share of scenes played over a panned photograph (the rest over flat colours)"))
    effect_share: float = Field(default=0.6, ge=0, le=1, description=(
        "share of non-speech sounds that are recordings (the rest synthetic tones, beeps, bells, noise, melodies)"))
    footage: str = Field(default="", description=(
        "folder of your videos (any container and codec ffmpeg reads) cut into shots at measured boundaries; scenes "
        "play a stretch of one shot each, in planned order; the footage's own sound is not used"))
    footage_share: float = Field(default=0.0, ge=0, le=1, description=(
        "share of scenes played over your footage (needs generator.footage); the rest over photographs or colours"))
    people: float = Field(default=0.5, ge=0, le=1, description=(
        "share of scenes (3 s or longer) played by two people and a box or ball: carrying, handing over, picking up, "
        "putting down, pushing, waving, pointing; the rest show moving shapes"))
    preset: Literal["ultrafast", "superfast", "veryfast", "faster", "fast", "medium"] = "veryfast"
    crf: int = Field(default=23, ge=0, le=51, description="x264 quality (lower is better)")

    @field_validator("size")
    @classmethod
    def _size(cls, v: tuple[int, int]) -> tuple[int, int]:
        if not (160 <= v[0] <= 3840 and 120 <= v[1] <= 2160) or v[0] % 2 or v[1] % 2:
            raise ValueError("must be even [width, height] within 160x120 .. 3840x2160 (H.264 4:2:0)")
        return v

    @field_validator("photos", "sounds", "footage", "speech", "cutouts")
    @classmethod
    def _folder(cls, v: str, info) -> str:
        """An existing folder (or file) holding at least one file of its kind, by suffix: refused up front, not sample
        by sample."""
        if not v:
            return v
        from pathlib import Path

        from omnisynth.generators.clips.footage import VIDEO_SUFFIXES
        from omnisynth.generators.clips.media import PHOTO_SUFFIXES, SOUND_SUFFIXES, _listing

        path = existing_path(v)
        kinds = {"photos": ("images", PHOTO_SUFFIXES), "cutouts": ("images", PHOTO_SUFFIXES),
                 "sounds": ("sounds", SOUND_SUFFIXES), "speech": ("sounds", SOUND_SUFFIXES),
                 "footage": ("videos", VIDEO_SUFFIXES)}
        what, suffixes = kinds[info.field_name]
        if not _listing(path, Path(path), {}, suffixes):
            raise ValueError(f"{v!r} holds no {what} ({' '.join(sorted(suffixes))})")
        return path

    @model_validator(mode="after")
    def _ranges(self):
        (d0, d1), (s0, s1), (o0, o1) = self.duration_s, self.scenes, self.objects
        if not 1 <= d0 <= d1 <= 600:
            raise ValueError("duration_s must be [min, max] seconds with 1 <= min <= max <= 600")
        if not 1 <= s0 <= s1 <= 20:
            raise ValueError("scenes must be [min, max] with 1 <= min <= max <= 20")
        if not 1 <= o0 <= o1 <= 3:
            raise ValueError("objects must be [min, max] with 1 <= min <= max <= 3")
        if self.footage_share and not self.footage:
            raise ValueError("footage_share needs generator.footage, a folder of your videos "
                             "(--set generator.footage=DIR)")
        if d0 / s1 < 2.0:
            raise ValueError(f"duration_s min {d0:g} s over scenes max {s1} leaves scenes under 2 s; "
                             "lengthen the clips or plan fewer scenes")
        return self


class VideoCorpusGenerator(_Clips, CorpusSource):
    """Your videos: any container and codec ffmpeg reads (probed by content); one clip per video file."""

    kind: Literal["video_corpus"] = "video_corpus"
