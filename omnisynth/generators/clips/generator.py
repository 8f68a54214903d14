"""Audio-visual clips: procedural clips with an exact timeline, and your own videos, measured.

`AvGenerator` plans a clip (`plan.py` draws the `timeline.py`: scenes, moving objects, signs, counters, captions,
tones, bells, beeps, noise, melodies, espeak-ng speech), renders it with one ffmpeg process
(`render.py`) and keeps the plan as ground truth beside what the render measured (probe
frames, the 16 kHz track), so the filter can confirm every event an answer rests on.

`VideoCorpusGenerator` takes the user's files (whatever ffmpeg reads, probed by content into
the inventory by `probe.py`, which reports audio-only and unreadable files once): ffprobe, then one
ffmpeg pass that extracts the sampled frames, the shot changes and the 16 kHz track (`video.py`:
time 0 at the first frame, the frame on screen at each time, sizes as decoded). There
is no plan to check against: the oracle describes what was measured, and model captions go
through the judge. A file without audio gets an empty (0-sample) wav; an empty, unreadable,
video-less, zero-length or truncated file costs its sample, quarantined with the reason
(`media_empty_file`, `media_unreadable`, `media_no_video`, `media_zero_duration`,
`media_truncated`, `render_timeout`).

One import runs up the layers, on purpose: `AvGenerator.plan` asks the clip question writer
(`omnisynth.tasks.clips.supports`) whether a plan can carry the drawn question type, and
replans until it can; the rule that says what a question needs lives once, with the question.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from omnisynth.generators.clips.timeline import Event, Plan
from omnisynth.generators.clips import footage, media
from omnisynth.generators.clips.plan import Sources, make_plan
from omnisynth.generators.clips.render import WAV_RATE, dbfs, ffprobe, read_wav, render_clip
from omnisynth.generators.clips.video import (check_complete, extract, first_frame_time, jpeg_size, mp4_member,
                                             rotation, video_length)
from omnisynth.generators import Generator
from omnisynth.generators.corpus import Inventory
from omnisynth.generators.errors import InputError
from omnisynth.generators.clips.config import AvGenerator as AvConfig
from omnisynth.schemas.recipe import TaskConfig
from omnisynth.generators.clips.config import VideoCorpusGenerator as VideoCorpusConfig
from omnisynth.schemas.truth import GroundTruth, SampleSpec

VERSION = "av/2"  # 2: photographs behind scenes, recorded sound effects, people
CORPUS_VERSION = "video_corpus/2"  # 2: frames on screen at their time, sizes as decoded, time 0 at the first frame
SOUND_DBFS = -40.0  # your videos: louder than this counts as sound


@dataclass
class ClipTruth:
    events: list[Event]
    media: list[dict]  # the sample JSON's `media` entries
    pcm: np.ndarray  # the 16 kHz mono track the sample carries
    rate: int
    duration: float
    plan: Plan | None = None  # synthetic clips: the timeline that was rendered
    probe_frames: dict[float, np.ndarray] = field(default_factory=dict)  # time -> HxWx3 RGB
    info: dict = field(default_factory=dict)  # your videos: what ffprobe and the extraction measured

    def frame_at(self, t: float):
        if not self.probe_frames:
            return None
        best = min(self.probe_frames, key=lambda k: abs(k - t))
        fps = self.plan.fps if self.plan else 25
        return self.probe_frames[best] if abs(best - t) < 0.5 / fps else None


def frame_member(i: int) -> str:
    return f"f{i:02d}.jpg"


def clip_media(frames: list[tuple[float, bytes]], size: tuple[int, int] | None, want: list[str]
               ) -> tuple[dict[str, bytes], list[dict]]:
    """Frame members and their `media` entries (timestamps in s, sizes in pixels), when the recipe wants frames.

    `size` None: each entry's size is read from its JPEG (your videos: what was decoded).
    """
    members, media = {}, []
    if "frames" in want:
        for i, (t, jpg) in enumerate(frames):
            members[frame_member(i)] = jpg
            width, height = size or jpeg_size(jpg)
            media.append({"member": frame_member(i), "modality": "image", "width": width, "height": height,
                          "page": 0, "time_s": round(t, 3), "duration_s": 0.0})
    return members, media


class AvGenerator(Generator):
    name = "av"
    version = VERSION

    def __init__(self, config: AvConfig, task: TaskConfig):
        self.config = config
        self.task = task

    def source(self, spec: SampleSpec) -> dict:
        return {"generator": self.name, "seed": spec.seed, "index": spec.index}

    def sources(self) -> Sources:
        """The real media plans draw on; raises InputError `media_none` when a folder you named holds none."""
        cfg = self.config
        photos = media.photos(cfg.photos or None) if cfg.photo_share else ()
        effects = media.effects(cfg.sounds or None) if cfg.effect_share else ()
        videos = footage.footage(cfg.footage) if cfg.footage and cfg.footage_share else ()
        if videos and not any(footage.shots(v.path) for v in videos):
            raise InputError("media_none", f"no video under {cfg.footage} has a shot of {footage.MIN_SHOT_S:g} s or more")
        spoken = media.lines(cfg.speech) if cfg.speech and cfg.speech_share else ()
        cutouts = media.photos(cfg.cutouts) if cfg.cutouts and cfg.cutout_share else ()  # any image Pillow reads
        for folder, found, what in ((cfg.photos, photos, "images"), (cfg.sounds, effects, "sounds"),
                                    (cfg.footage if cfg.footage_share else "", videos, "videos"),
                                    (cfg.speech if cfg.speech_share else "", spoken, "recordings with a .txt transcript"),
                                    (cfg.cutouts if cfg.cutout_share else "", cutouts, "cut-outs")):
            if folder and not found:
                raise InputError("media_none", f"no {what} under {folder}")
        return Sources(photos, effects, cfg.photo_share, cfg.effect_share, cfg.people, footage=videos,
                       footage_share=cfg.footage_share, lines=spoken, line_share=cfg.speech_share, cutouts=cutouts,
                       cutout_share=cfg.cutout_share)

    def plan(self, spec: SampleSpec) -> tuple[Plan, str]:
        """A plan able to carry the question type drawn for this sample (replanned until it is)."""
        from omnisynth.tasks.clips import SCENE_NEEDS, SCRIPT_NEEDS, supports
        from omnisynth.generators.documents.generator import weighted

        cfg = self.config
        qtype = weighted(spec.rng("qtype"), self.task.weights())
        sources = self.sources()
        for attempt in range(12):
            rng = spec.rng(f"plan{attempt}")
            duration = round(rng.uniform(*cfg.duration_s) * cfg.fps) / cfg.fps
            if attempt >= 2 and 0 < cfg.people < 1 and qtype in SCENE_NEEDS:  # a question the mix keeps missing:
                # plan only the kind of scene that can carry it
                sources = dataclasses.replace(sources, people_share=float(SCENE_NEEDS[qtype] == "people"))
            if attempt >= 2 and qtype in SCRIPT_NEEDS:  # e.g. only one script of four hands anything over
                sources = dataclasses.replace(sources, scripts=SCRIPT_NEEDS[qtype])
            plan = make_plan(cfg.size[0], cfg.size[1], cfg.fps, duration, rng.randint(*cfg.scenes), cfg.objects,
                             cfg.captions, cfg.voice, rng, sources)
            if supports(plan, self.task.kind, qtype):
                return plan, qtype
        raise InputError("no_plan_for_question", f"12 plans in a row had nothing to ask a {qtype!r} question about "
                         f"(duration_s={list(cfg.duration_s)}, objects={list(cfg.objects)}); widen the ranges")

    def render(self, spec: SampleSpec) -> tuple[dict[str, bytes], GroundTruth]:
        cfg = self.config
        plan, qtype = self.plan(spec)
        out = render_clip(plan, spec.seed * 1_000_003 + spec.index, cfg.frames, "mp4" in cfg.media, cfg.timeout_s,
                          cfg.preset, cfg.crf)
        pcm, rate = read_wav(out["wav"])
        members, media = clip_media(out["frames"], cfg.size, cfg.media)
        _audio_video(members, media, cfg.media, out["wav"], plan.duration, out["mp4"], cfg.size)
        clip = ClipTruth(plan.events, media, pcm, rate, plan.duration, plan, out["probe_frames"])
        meta = {"generator_version": VERSION, "duration_s": plan.duration, "question_type": qtype,
                "language": cfg.voice.split("-")[0]}
        return members, GroundTruth(self.name, "av", meta["language"], [], [], meta, clip)


def _audio_video(members, media, want, wav: bytes, audio_s: float, mp4: bytes | None, size) -> None:
    """The wav and mp4 members and their `media` entries, as the recipe wants."""
    if "wav" in want:
        members["wav"] = wav
        media.append({"member": "wav", "modality": "audio", "width": 0, "height": 0, "page": 0, "time_s": 0.0,
                      "duration_s": round(audio_s, 3)})
    if "mp4" in want and mp4 is not None:
        members["mp4"] = mp4
        media.append({"member": "mp4", "modality": "video", "width": size[0], "height": size[1], "page": 0,
                      "time_s": 0.0, "duration_s": round(audio_s, 3)})


# -- your own videos (measured by video.py) -----------------------------------------------------
def sound_events(pcm: np.ndarray, rate: int, first_id: int) -> list[Event]:
    """Stretches of the track louder than -40 dBFS (50 ms windows, gaps under 0.3 s bridged)."""
    hop = int(0.05 * rate)
    loud = [dbfs(pcm[i:i + hop]) > SOUND_DBFS for i in range(0, len(pcm) - hop + 1, hop)]
    spans, start = [], None
    for i, on in enumerate(loud + [False]):
        if on and start is None:
            start = i
        elif not on and start is not None:
            spans.append([start * 0.05, i * 0.05])
            start = None
    merged: list[list[float]] = []
    for s, e in spans:
        if merged and s - merged[-1][1] < 0.3:
            merged[-1][1] = e
        else:
            merged.append([s, e])
    return [Event(first_id + k, "audio", "sound", round(s, 3), round(e, 3)) for k, (s, e) in enumerate(merged)
            if e - s >= 0.05]


class VideoCorpusGenerator(Generator):
    name = "video_corpus"
    version = CORPUS_VERSION

    def __init__(self, config: VideoCorpusConfig, task: TaskConfig, inventory: Inventory | None):
        if inventory is None or not inventory.units:
            raise InputError("video_corpus_empty", f"no usable video files under {config.path} (see inventory.jsonl)")
        self.config = config
        self.task = task
        self.inventory = inventory

    def path(self, spec: SampleSpec) -> tuple[str, Path]:
        entry, _ = self.inventory.locate(spec.index)
        return entry.path, self.inventory.file(entry)

    @classmethod
    def from_recipe(cls, recipe, catalog=None) -> VideoCorpusGenerator:
        return cls(recipe.generator, recipe.task, catalog)

    def source(self, spec: SampleSpec) -> dict:
        return {"generator": self.name, "path": self.path(spec)[0]}

    def render(self, spec: SampleSpec) -> tuple[dict[str, bytes], GroundTruth]:
        """One clip: `frames` JPEGs (the frame on screen at each `time_s`, seconds from the first frame; sizes in
        pixels as decoded), the 16 kHz `wav` on the same clock, the `mp4` member, and the measured timeline.

        Raises InputError `media_empty_file`, `media_no_video`, `media_zero_duration`, `media_unreadable`,
        `media_truncated` or `render_timeout` for a file that cannot give a sample.
        """
        cfg = self.config
        rel, path = self.path(spec)
        if path.stat().st_size == 0:
            raise InputError("media_empty_file", f"{rel}: the file is empty (0 bytes)")
        probe = ffprobe(path, cfg.timeout_s)
        streams = probe.get("streams", [])
        videos = [s for s in streams if s.get("codec_type") == "video"
                  and not s.get("disposition", {}).get("attached_pic")]
        audios = [s for s in streams if s.get("codec_type") == "audio"]
        if not videos:
            cover = any(s.get("disposition", {}).get("attached_pic") for s in streams)
            what = ("audio only" + (" (its cover picture is not video)" if cover else "")) if audios else \
                "no video or audio stream"
            raise InputError("media_no_video", f"{rel}: {what}: nothing to see")
        video, audio = videos[0], (audios[0] if audios else None)
        duration = video_length(path, video, cfg.timeout_s)
        if duration <= 0:
            raise InputError("media_zero_duration", f"{rel}: no decodable duration")
        start = first_frame_time(path, video, cfg.timeout_s)
        frames, cuts, wav, stderr = extract(path, video, audio, duration, cfg.frames, start, cfg.timeout_s)
        frames = check_complete(rel, frames, cfg.frames, duration, stderr)
        width, height = jpeg_size(frames[0][1])  # as decoded: turned by the display matrix, square pixels
        pcm, rate = read_wav(wav) if audio else (np.zeros(0, np.float32), WAV_RATE)
        audio_s = len(pcm) / rate
        events = [Event(0, "visual", "scene_change", round(t, 3), round(t, 3)) for t in cuts]
        events += sound_events(pcm, rate, 0)
        events.sort(key=lambda e: (e.start, e.modality))
        for i, ev in enumerate(events):
            ev.id = i
        members, media = clip_media(frames, None, cfg.media)
        _audio_video(members, media, cfg.media, wav, audio_s, None, (width, height))
        if "mp4" in cfg.media:
            members["mp4"], held = mp4_member(path, probe, video, audio, start, duration, cfg.timeout_s)
            media.append({"member": "mp4", "modality": "video", "width": held["width"], "height": held["height"],
                          "page": 0, "time_s": 0.0, "duration_s": held["duration_s"]})
        info = {"width": width, "height": height, "duration": round(duration, 3), "has_audio": audio is not None,
                "video_codec": video.get("codec_name", ""), "audio_codec": audio.get("codec_name", "") if audio
                else "", "fps": _ratio(video.get("avg_frame_rate", "0/1")), "shot_changes": [round(t, 3) for t in cuts],
                "rotation": rotation(video), "start_s": round(start, 3)}
        clip = ClipTruth(events, media, pcm, rate, duration, info=info)
        meta = {"generator_version": CORPUS_VERSION, "duration_s": round(duration, 3), "source": rel,
                "question_type": "describe"}
        return members, GroundTruth(self.name, "video", "und", [], [], meta, clip)


def _ratio(text: str) -> float:
    num, _, den = text.partition("/")
    try:
        return round(float(num) / float(den or 1), 3) if float(den or 1) else 0.0
    except ValueError:
        return 0.0
