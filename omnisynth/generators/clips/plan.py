"""Audio-visual clip plans: `Planner` draws the timeline (`omnisynth.generators.clips.timeline`)
from the sample's random stream; `make_plan` speaks the sentences with espeak-ng first.

A plan is a pure function of the sample's random stream (and the lengths of the spoken
sentences, which espeak-ng decides).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from omnisynth.generators.clips import media
from omnisynth.generators.clips.plan_audio import AudioPlanning
from omnisynth.generators.clips.plan_media import MediaPlanning
from omnisynth.generators.clips.plan_people import PeoplePlanning
from omnisynth.generators.clips.timeline import (BACKGROUNDS, COLOUR_TOLERANCE, COLOURS, LABEL_BOX, SHAPES, SIGNS, AudioCue,
                                                Event, Plan, Probe, Scene, Sprite, inside, ms)


@dataclass(frozen=True)
class Sources:
    """Real media a plan may draw on (`omnisynth.generators.clips.media`); the empty default plans flat colours and
    synthetic sounds only."""

    photos: tuple[media.Medium, ...] = ()
    effects: tuple[media.Medium, ...] = ()
    photo_share: float = 0.0  # share of scenes with a photograph behind
    effect_share: float = 0.0  # share of non-speech sounds that are recordings
    people_share: float = 0.0  # share of scenes played by two people with an object instead of moving shapes
    scripts: tuple[str, ...] = ("hand_over", "pick_up", "push", "put_down")  # what people scenes may play
    footage: tuple[media.Medium, ...] = ()  # your videos
    footage_share: float = 0.0  # share of scenes over a stretch of one shot of your footage
    cutouts: tuple[media.Medium, ...] = ()  # your object cut-outs (images with alpha)
    cutout_share: float = 0.0  # share of shape scenes that also show one of them
    lines: tuple[media.Medium, ...] = ()  # your recorded lines, each named by its transcript
    line_share: float = 0.0  # share of spoken sentences taken from them (the rest espeak-ng)


def _distance(a, b) -> float:
    return float(np.linalg.norm(np.subtract(a, b, dtype=np.float64)))


class Planner(AudioPlanning, PeoplePlanning, MediaPlanning):
    """Draws a plan from a random stream; `speak(text)` returns the trimmed speech samples."""

    def __init__(self, width: int, height: int, fps: int, duration: float, scenes: int, objects: tuple[int, int],
                 captions: float, speak, rng: random.Random, sources: Sources = Sources()):
        self.w, self.h, self.fps, self.duration = width, height, fps, duration
        self.n_scenes, self.objects, self.captions_p = scenes, objects, captions
        self.speak, self.rng, self.sources = speak, rng, sources
        self.k = height / 360
        self.sprites: list[Sprite] = []
        self.events: list[Event] = []
        self.scenes: list[Scene] = []
        self.cues: list[AudioCue] = []
        self.obj_count = 0
        self.combos: set[tuple[str, str]] = set()  # (colour, shape) used in the clip: names stay unique
        self.shirts: set[str] = set()  # shirt colours worn in the clip: people's names stay unique
        self.shots_used: set[tuple[str, float]] = set()  # (video, shot start) already played
        self.person_scene: dict = {}

    def plan(self) -> Plan:
        rng = self.rng
        edges = [0.0] + [ms(self._frame(self.duration * (i + 1) / self.n_scenes)) for i in range(self.n_scenes - 1)]
        edges.append(ms(self.duration))
        backgrounds = rng.sample(sorted(BACKGROUNDS), self.n_scenes)
        photos = list(self.sources.photos)
        for i, (s, e) in enumerate(zip(edges, edges[1:], strict=False)):
            shot = self._shot(s, e) if self.sources.footage and rng.random() < self.sources.footage_share else None
            if shot is not None:
                scene = self._footage_scene(i, s, e, *shot)
            elif photos and rng.random() < self.sources.photo_share:
                scene = self._photo_scene(i, s, e, photos.pop(rng.randrange(len(photos))))
            else:
                scene = Scene(i, s, e, f"a {backgrounds[i]} background", BACKGROUNDS[backgrounds[i]])
            self.scenes.append(scene)
            if i > 0:
                self._scene_cut(scene)
            if not (self.sources.people_share and rng.random() < self.sources.people_share
                    and self._scene_people(scene)):
                self._scene_objects(scene)
            if rng.random() < 0.7:
                self._sign(scene)
        if rng.random() < 0.5:
            self._counter(rng.choice(self.scenes))
        captions = rng.random() < self.captions_p
        self._audio(captions)
        self._resolve_looks()
        self.events.sort(key=lambda e: (e.start, e.modality, e.kind, e.subject))
        remap = {}
        for new, ev in enumerate(self.events):
            remap[ev.id] = new
            ev.id = new
        for cue in self.cues:
            cue.event = remap[cue.event]
        return Plan(self.w, self.h, self.fps, self.duration, self.scenes, self.sprites, self.events, self.cues,
                    captions)

    def _look(self, obj: int, t: float) -> Sprite | None:
        """The object's sprite on screen at `t` (seconds), or None."""
        return next((s for s in self.sprites if s.obj == obj and s.visible(t)), None)

    def _look_near(self, obj: int, t: float) -> Sprite:
        """The object as it looks near `t`: its sprite on screen then, else the one whose span is nearest.

        Spans are frame-aligned (a colour change ends one sprite a frame before the next starts) and
        event times need not be, so an event can start between two of them or just before the first.
        """
        return min((s for s in self.sprites if s.obj == obj),
                   key=lambda s: 0.0 if s.visible(t) else min(abs(t - s.start), abs(t - s.end)))

    def _resolve_looks(self) -> None:
        """Colour changes are planned last: probes expect, and events name, each object as it looks then."""
        for ev in self.events:
            for probe in ev.probes:
                look = self._look(probe.obj, probe.t0) if probe.obj >= 0 else None
                if look is not None:
                    probe.rgb = look.rgb
            ev.probes = [p for p in ev.probes if p.obj < 0 or self._look(p.obj, p.t0) is not None]
            if ev.objs and ev.kind != "colour_change":
                at = ev.start if ev.kind != "leave" else ev.start - 1 / self.fps
                names = [(self._look(o, at) or self._look(o, ev.end) or self._look_near(o, at)).name for o in ev.objs]
                ev.subject = names[0]
                ev.other = names[1] if len(names) > 1 else ""

    # -- helpers -----------------------------------------------------------------------
    def _frame(self, t: float) -> float:
        return round(t * self.fps) / self.fps

    def _event(self, **kw) -> Event:
        ev = Event(id=len(self.events), **kw)
        self.events.append(ev)
        return ev

    def _size(self, shape: str) -> tuple[int, int]:
        w, h = SHAPES[shape]
        return max(4, round(w * self.k)), max(4, round(h * self.k))

    def _lane_y(self, lane: int, height: int) -> float:
        centre = (0.34 + 0.2 * lane) * self.h
        return round(centre - height / 2)

    def _track(self, sprite: Sprite, t0: float, t1: float) -> list[list[float]]:
        times = sorted({t0, t1, *(k[0] for k in sprite.keys if t0 < k[0] < t1)})
        return [[ms(t), *(round(v, 1) for v in sprite.box(t))] for t in times]

    def _inner(self, box, frac: float = 0.3) -> tuple[int, int, int, int]:
        x0, y0, x1, y1 = box
        cx, cy, hw, hh = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) * frac / 2, (y1 - y0) * frac / 2
        return round(cx - hw), round(cy - hh), round(cx + hw), round(cy + hh)

    def inside(self, box) -> bool:
        return inside(box, self.w, self.h)

    def _colour_probe(self, sprite: Sprite, t: float) -> Probe:
        t = self._frame(t)
        return Probe("visual", t, box=self._inner(sprite.box(t)), expect="colour", rgb=sprite.rgb, obj=sprite.obj)

    def _absent_probe(self, box, t: float, scene: Scene, against=None) -> Probe | None:
        """The background where `box` is empty at `t`; None when it would not tell the background from `against` (the
        colour of what is absent) within twice the colour tolerance."""
        t, inner = self._frame(t), self._inner(box)
        if not self.inside(inner):
            return None
        rgb = self._background_at(scene, inner, t)
        if against is not None and _distance(rgb, against) < 2 * COLOUR_TOLERANCE:
            return None
        return Probe("visual", t, box=inner, expect="colour", rgb=rgb)

    # -- visual ------------------------------------------------------------------------
    def _scene_cut(self, scene: Scene) -> None:
        before = self.scenes[scene.index - 1]
        ta, tb = scene.start - 2 / self.fps, scene.start + 2 / self.fps
        corners = [(0, round(self.h * 0.86), round(self.w * 0.08), self.h),  # bottom corners: nothing is drawn there
                   (round(self.w * 0.92), round(self.h * 0.86), self.w, self.h)]
        corner = max(corners, key=lambda c: _distance(self._background_at(before, self._inner(c), self._frame(ta)),
                                                      self._background_at(scene, self._inner(c), self._frame(tb))))
        ev = self._event(modality="visual", kind="scene_change", start=scene.start, end=scene.start,
                         text=scene.background, subject=f"scene {scene.index + 1}", scene=scene.index)
        ev.probes = [p for p in (self._absent_probe(corner, ta, before), self._absent_probe(corner, tb, scene)) if p]

    def _object(self, shape: str, colour: str, scene: Scene, start: float, end: float, keys, cutout=None) -> Sprite:
        self.obj_count += 1
        track = [(ms(t), round(x, 1), round(y, 1)) for t, x, y in keys]
        if cutout:  # your cut-out: named by its file, probed by its own mean colour where it is opaque
            medium, size, rgb = cutout
            sprite = Sprite(medium.name, "object", "cutout", "", rgb, size, ms(start), ms(end), track, self.obj_count,
                            scene.index, image=medium.path)
        else:
            sprite = Sprite(f"{colour} {shape}", "object", shape, colour, COLOURS[colour], self._size(shape),
                            ms(start), ms(end), track, self.obj_count, scene.index)
        self.sprites.append(sprite)
        return sprite

    def _scene_objects(self, scene: Scene) -> None:
        rng = self.rng
        S, E = scene.start, scene.end
        L = E - S
        n = rng.randint(self.objects[0], self.objects[1])
        shapes = rng.sample(sorted(SHAPES), n)
        colours = []
        for shape in shapes:
            free = sorted(set(COLOURS) - set(colours) - {c for c, s in self.combos if s == shape})
            colours.append(rng.choice(free))
            self.combos.add((colours[-1], shape))
        lanes = rng.sample(range(3), n)
        placed: list[Sprite] = []
        interaction = rng.choice(["touch", "overtake", "none"]) if n >= 2 and L >= 2.5 else "none"
        first = 0
        if interaction == "touch":
            first = 2
            placed += self._touch(scene, shapes[:2], colours[:2], lanes[0])
        elif interaction == "overtake":
            first = 2
            placed += self._overtake(scene, shapes[:2], colours[:2], lanes[:2])
        wanderers = [self._wander(scene, shapes[i], colours[i], lanes[i]) for i in range(first, n)]
        if wanderers and rng.random() < 0.5 and L >= 2.0:  # touching/overtaking objects keep their colour
            self._colour_change(rng.choice(wanderers), scene)
        free = sorted(set(range(3)) - set(lanes))
        if free and self.sources.cutouts and rng.random() < self.sources.cutout_share:
            cutout = self._pick_cutout()
            if cutout is not None:
                self._wander(scene, "cutout", "", rng.choice(free), cutout)

    def _wander(self, scene: Scene, shape: str, colour: str, lane: int, cutout=None) -> Sprite:
        """An object that enters, leaves, does both or stays, on its lane; `cutout` (medium, size, probe colour): one of
        your cut-outs instead of a shape."""
        rng = self.rng
        S, E = scene.start, scene.end
        w, h = cutout[1] if cutout else self._size(shape)
        y = self._lane_y(lane, h)
        rest = rng.uniform(0.1 * self.w, 0.85 * self.w - w)
        speed = rng.uniform(0.35, 0.6) * self.w
        mode = rng.choice(["enter", "present", "leave", "enter_leave"])
        keys, start, end = [(S, rest, y)], S, E
        events = []
        if mode in ("enter", "enter_leave"):
            t0 = S + rng.uniform(0.1, 0.3) * (E - S)
            t1 = t0 + (rest + w) / speed
            if t1 < E - 0.6:
                keys, start = [(t0, -w, y), (t1, rest, y)], self._frame(t0)
                events.append(("enter", t0, t1 - w / speed, t1))
        if mode in ("leave", "enter_leave"):
            t2 = max(keys[-1][0] + 0.5, S + rng.uniform(0.5, 0.7) * (E - S))
            t3 = t2 + (self.w - rest) / speed
            if t3 < E - 0.3:
                keys = keys + [(t2, rest, y), (t3, self.w, y)]
                end = self._frame(t3)
                events.append(("leave", t2, t2 + (self.w - rest - w) / speed, t3))
        sprite = self._object(shape, colour, scene, start, end, keys, cutout)
        if not events:
            ev = self._event(modality="visual", kind="present", start=ms(S), end=ms(E), subject=sprite.name,
                             scene=scene.index, track=self._track(sprite, S, E), objs=(sprite.obj,))
            ev.probes = [self._colour_probe(sprite, (S + E) / 2)]
        for kind, ta, tb, tc in events:
            # enter: [first visible, wholly inside]; leave: [starts moving, last visible]
            s, e = (ta, tb) if kind == "enter" else (ta, tc)
            ev = self._event(modality="visual", kind=kind, start=ms(s), end=ms(e), subject=sprite.name,
                             scene=scene.index, track=self._track(sprite, ta, tc), objs=(sprite.obj,))
            if kind == "enter":
                ev.probes = [self._absent_probe(sprite.box(tc), ta - 0.12, scene, sprite.rgb),
                             self._colour_probe(sprite, tc + 0.12)]
            else:
                ev.probes = [self._colour_probe(sprite, ta - 0.12),
                             self._absent_probe(sprite.box(ta), tc + 0.12, scene, sprite.rgb)]
            ev.probes = [p for p in ev.probes if p is not None]
        return sprite

    def _touch(self, scene: Scene, shapes, colours, lane: int) -> list[Sprite]:
        rng = self.rng
        S, E = scene.start, scene.end
        (wa, ha), (wb, hb) = self._size(shapes[0]), self._size(shapes[1])
        xb = rng.uniform(0.5 * self.w, 0.85 * self.w - wb)
        xa0 = rng.uniform(0.03 * self.w, 0.2 * self.w)
        ts = S + rng.uniform(0.1, 0.25) * (E - S)
        t_touch = self._frame(ts + rng.uniform(0.45, 0.65) * (E - ts))
        ya, yb = self._lane_y(lane, ha), self._lane_y(lane, hb)
        mover = self._object(shapes[0], colours[0], scene, S, E, [(ts, xa0, ya), (t_touch, xb - wa, ya)])
        still = self._object(shapes[1], colours[1], scene, S, E, [(S, xb, yb)])
        ev = self._event(modality="visual", kind="touch", start=ms(t_touch), end=ms(t_touch), subject=mover.name,
                         other=still.name, scene=scene.index, track=self._track(mover, ts, t_touch))
        ev.probes = [self._colour_probe(mover, t_touch - 0.4), self._colour_probe(mover, t_touch + 0.12),
                     self._colour_probe(still, t_touch + 0.12)]
        return [mover, still]

    def _overtake(self, scene: Scene, shapes, colours, lanes) -> list[Sprite]:
        rng = self.rng
        S, E = scene.start, scene.end
        (wa, ha), (wb, hb) = self._size(shapes[0]), self._size(shapes[1])
        ts, te = S + 0.2, E - 0.3
        xa0, xb0 = rng.uniform(0.0, 0.05) * self.w, rng.uniform(0.25, 0.35) * self.w
        xa1 = rng.uniform(0.78, 0.95) * self.w - wa
        xb1 = rng.uniform(0.45, 0.55) * self.w - wb / 2
        ya, yb = self._lane_y(lanes[0], ha), self._lane_y(lanes[1], hb)
        fast = self._object(shapes[0], colours[0], scene, S, E, [(ts, xa0, ya), (te, xa1, ya)])
        slow = self._object(shapes[1], colours[1], scene, S, E, [(ts, xb0, yb), (te, xb1, yb)])
        va, vb = (xa1 - xa0) / (te - ts), (xb1 - xb0) / (te - ts)
        tau = ts + (xb0 + wb / 2 - xa0 - wa / 2) / (va - vb)
        ev = self._event(modality="visual", kind="overtake", start=ms(tau), end=ms(tau), subject=fast.name,
                         other=slow.name, scene=scene.index, track=self._track(fast, ts, te))
        before, after = max(ts, tau - 0.5), min(te, tau + 0.5)
        ev.probes = [self._colour_probe(fast, before), self._colour_probe(slow, before),
                     self._colour_probe(fast, after), self._colour_probe(slow, after)]
        if self._frame(after) - self._frame(before) < 0.3:
            ev.probes = ev.probes[:2]
        return [fast, slow]

    def _colour_change(self, sprite: Sprite, scene: Scene) -> None:
        lo, hi = sprite.start + 0.5, sprite.end - 0.5
        if hi - lo < 0.2:
            return
        t = self._frame(self.rng.uniform(lo, hi))
        free = set(COLOURS) - {s.colour for s in self.sprites if s.scene == scene.index}
        free -= {c for c, s in self.combos if s == sprite.shape}
        if not free:
            return
        new = self.rng.choice(sorted(free))
        self.combos.add((new, sprite.shape))
        after = Sprite(f"{new} {sprite.shape}", "object", sprite.shape, new, COLOURS[new], sprite.size, ms(t), sprite.end,
                       sprite.keys, sprite.obj, scene.index)
        sprite.end = ms(t - 1 / self.fps)
        self.sprites.append(after)
        ev = self._event(modality="visual", kind="colour_change", start=ms(t), end=ms(t), text=new,
                         subject=sprite.name, scene=scene.index, track=self._track(after, t, t))
        if self.inside(sprite.box(t - 0.12)) and self.inside(after.box(t + 0.12)) and sprite.visible(t - 0.12) \
                and after.visible(t + 0.12):
            ev.probes = [self._colour_probe(sprite, t - 0.12), self._colour_probe(after, t + 0.12)]

    def _label(self, text: str, scene: Scene, start: float, end: float, where: str, fontsize: int) -> Sprite:
        from omnisynth.generators.clips.render import label_size

        w, h = label_size(text, fontsize)
        x = {"top_left": 0.04 * self.w, "top_right": 0.96 * self.w - w, "bottom": (self.w - w) / 2}[where]
        y = 0.04 * self.h if where.startswith("top") else 0.955 * self.h - h
        sprite = Sprite(text, "label", "label", "white", LABEL_BOX, (w, h), ms(self._frame(start)),
                        ms(self._frame(end)), [(0.0, round(x), round(y))], -1, scene.index, fontsize)
        self.sprites.append(sprite)
        return sprite

    def _text_probe(self, sprite: Sprite, t: float) -> Probe:
        t = self._frame(t)
        x0, y0, x1, y1 = sprite.box(t)
        return Probe("visual", t, box=(round(x0), round(y0), round(x1), round(y1)), expect="text", rgb=LABEL_BOX)

    def _sign(self, scene: Scene) -> None:
        S, E = scene.start, scene.end
        a = S + self.rng.uniform(0.0, 0.3) * (E - S)
        b = E - self.rng.uniform(0.0, 0.2) * (E - S)
        sprite = self._label(self.rng.choice(SIGNS), scene, a, b, "top_left", round(20 * self.k))
        ev = self._event(modality="visual", kind="text", start=sprite.start, end=sprite.end, text=sprite.name,
                         scene=scene.index, track=self._track(sprite, sprite.start, sprite.start))
        ev.probes = [self._text_probe(sprite, (sprite.start + sprite.end) / 2)]

    def _counter(self, scene: Scene) -> None:
        S, E = scene.start, scene.end
        n = self.rng.randint(2, 4)
        times = [self._frame(S + (E - S) * (i + 1) / (n + 1)) for i in range(n)]
        for i, (t0, t1) in enumerate(zip(times, times[1:] + [E], strict=False)):
            sprite = self._label(f"COUNT {i + 1}", scene, t0, t1 - 1 / self.fps, "top_right", round(20 * self.k))
            ev = self._event(modality="visual", kind="counter", start=sprite.start, end=sprite.end,
                             text=sprite.name, scene=scene.index, track=self._track(sprite, t0, t0))
            ev.probes = [self._text_probe(sprite, (sprite.start + sprite.end) / 2)]

def make_plan(width, height, fps, duration, scenes, objects, captions, voice, rng: random.Random,
              sources: Sources = Sources()) -> Plan:
    """Plan one clip; speech is synthesised here because its length is part of the timeline."""
    from omnisynth.generators.clips.render import speak

    return Planner(width, height, fps, duration, scenes, objects, captions, lambda text: speak(text, voice),
                   rng, sources).plan()
