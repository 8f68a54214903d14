"""The clip timeline: the plan that is both the render script and the ground truth (data only).

A plan is a pure function of the sample's random stream (and the lengths of the spoken
sentences, which espeak-ng decides). It holds

- `sprites`: everything drawn over the scene backgrounds, each with a visible window and a
  piecewise-linear track of its top-left corner (an object that changes colour is two
  sprites with adjacent windows on one track);
- `events`: what happens, in the shape of the sample JSON's `events` (modality, kind,
  start/end seconds, text, subject/other, box track), each with the `probes` that check it
  in the rendered media: the colour expected in a region of a frame at a time, or the
  energy/pitch expected in a window of the audio track.

Times are seconds rounded to milliseconds; boxes are pixels of the video frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SR = 22050  # sample rate of the mixed track: espeak-ng's own, so speech is never resampled before the mix

BACKGROUNDS = {"dark blue": (24, 38, 84), "dark green": (22, 66, 40), "grey": (96, 96, 100),
               "black": (12, 12, 14), "brown": (82, 52, 30), "teal": (16, 84, 90), "maroon": (86, 20, 34)}
COLOURS = {"red": (230, 40, 40), "green": (40, 200, 70), "blue": (50, 110, 245), "yellow": (245, 220, 40),
           "orange": (250, 140, 20), "purple": (160, 70, 220), "white": (245, 245, 245), "pink": (250, 120, 190)}
SHAPES = {"square": (56, 56), "circle": (60, 60), "triangle": (64, 56), "bar": (112, 36)}  # at 360 px height
COLOUR_TOLERANCE = 40.0  # max RGB distance of a region's mean from the planned colour (YUV 4:2:0 round trip)
LABEL_BOX = (16, 16, 16)
LABEL_TEXT = (250, 250, 250)
SIGNS = ("PLATFORM 3", "EXIT", "GATE B", "NORTH HALL", "LAB 2", "STUDIO", "DOCK 7", "ZONE A", "MARKET",
         "STATION 9", "ROOM 12", "PARK")
SENTENCES = ("The red line leaves in five minutes.", "Please wait behind the yellow mark.",
             "The meeting starts at nine.", "Turn left at the second gate.", "Keep the doors closed.",
             "The package arrived this morning.", "We will be landing shortly.", "The lights go out at ten.",
             "Bring the blue folder to room four.", "The market opens on Sunday.", "Check the second screen.",
             "The train to Lisbon is delayed.", "Lunch is served in the main hall.", "Count the boxes twice.",
             "The river is high today.", "Switch off the engine now.")
AUDIO_KINDS = ("tone", "beep", "bell", "noise", "music", "speech")  # synthetic sounds; `effect`: a recording
SOUND_WORDS = {"tone": "a steady tone", "beep": "a short beep", "bell": "a bell", "noise": "a burst of noise",
               "music": "a short melody"}


@dataclass
class Sprite:
    name: str  # what it is: 'red circle', or the label text
    kind: str  # object | label | person
    shape: str  # circle | square | triangle | bar | box | ball | cutout | label | person
    colour: str
    rgb: tuple[int, int, int]
    size: tuple[int, int]
    start: float
    end: float  # visible in [start, end]
    keys: list[tuple[float, float, float]]  # (t, x, y) of the top-left corner
    obj: int = -1  # object identity across colour changes
    scene: int = 0
    fontsize: int = 0  # labels
    rig: object = None  # a person's look and acts (omnisynth.generators.clips.people.Rig)
    image: str = ""  # a cut-out's path (omnisynth.generators.clips.media.cutout)

    def pos(self, t: float) -> tuple[float, float]:
        keys = self.keys
        if t <= keys[0][0]:
            return keys[0][1], keys[0][2]
        for (t0, x0, y0), (t1, x1, y1) in zip(keys, keys[1:], strict=False):
            if t <= t1:
                a = (t - t0) / (t1 - t0) if t1 > t0 else 1.0
                return x0 + a * (x1 - x0), y0 + a * (y1 - y0)
        return keys[-1][1], keys[-1][2]

    def box(self, t: float) -> tuple[float, float, float, float]:
        x, y = self.pos(t)
        return x, y, x + self.size[0], y + self.size[1]

    def visible(self, t: float) -> bool:
        return self.start <= t <= self.end


@dataclass
class Probe:
    """A measurement the rendered clip must pass for its event to count as placed right."""

    modality: str  # visual | audio
    t0: float  # visual: the frame time; audio: window start
    t1: float = 0.0  # audio: window end
    box: tuple[int, int, int, int] = (0, 0, 0, 0)  # visual: region to measure
    expect: str = "colour"  # visual: colour | text; audio: sound | silence
    rgb: tuple[int, int, int] = (0, 0, 0)
    freq: float = 0.0  # audio: the dominant frequency expected (0: any)
    sustained: float = 1.0  # audio sound: share of 50 ms stretches of the window that must be loud
    obj: int = -1  # visual colour probe of an object: its colour is whatever look it has at t0


@dataclass
class Event:
    id: int
    modality: str
    kind: str
    start: float
    end: float
    text: str = ""
    subject: str = ""
    other: str = ""
    scene: int = 0
    track: list[list[float]] = field(default_factory=list)  # [t, x0, y0, x1, y1]
    freq: float = 0.0
    probes: list[Probe] = field(default_factory=list)
    objs: tuple[int, ...] = ()  # the subject's (and other's) object ids: named by their look at `start`

    def json(self) -> dict:
        return {"id": self.id, "modality": self.modality, "kind": self.kind, "start": self.start, "end": self.end,
                "text": self.text, "subject": self.subject, "other": self.other, "scene": self.scene,
                "track": self.track, "freq_hz": self.freq}


@dataclass
class Scene:
    index: int
    start: float
    end: float
    background: str  # what is behind everything: 'a dark blue background', 'a photo of ...', 'footage of ...'
    rgb: tuple[int, int, int]  # the flat colour (a photograph: its mean; footage: its first frame's mean)
    photo: str = ""  # a photograph's path (omnisynth.generators.clips.media), panned across during the scene
    pan: tuple[float, float, float, float] = ()  # the crop's (x, y) in the photo's cover at start, then at end
    footage: str = ""  # a video's path (omnisynth.generators.clips.footage): a stretch of one of its shots plays
    footage_start: float = 0.0  # ... from this second of the video


@dataclass
class AudioCue:
    """One sound in the mix: its kind, samples start, and what drives its synthesis."""

    event: int
    kind: str
    start: float
    end: float
    freq: float = 0.0
    notes: list[float] = field(default_factory=list)
    speech: object = None  # float32 samples at SR: speech and recorded effects
    text: str = ""  # what is said; an effect: what it sounds like ('phone ringing')


@dataclass
class Plan:
    width: int
    height: int
    fps: int
    duration: float
    scenes: list[Scene]
    sprites: list[Sprite]
    events: list[Event]
    cues: list[AudioCue]
    captions: bool

    def event(self, eid: int) -> Event:
        return self.events[eid]

    def objects_at(self, t: float) -> list[Sprite]:
        """Object and person sprites wholly inside the frame at t, left to right."""
        out = [s for s in self.sprites if s.kind in ("object", "person") and s.visible(t) and self.inside(s.box(t))]
        return sorted(out, key=lambda s: s.box(t)[0])

    def inside(self, box) -> bool:
        return inside(box, self.width, self.height)

    def scene_at(self, t: float) -> Scene:
        return next((s for s in self.scenes if s.start <= t < s.end), self.scenes[-1])

    def frame_time(self, t: float) -> float:
        return round(t * self.fps) / self.fps


def inside(box, width: int, height: int) -> bool:
    return box[0] >= 0 and box[1] >= 0 and box[2] <= width and box[3] <= height


def ms(t: float) -> float:
    return round(t, 3)
