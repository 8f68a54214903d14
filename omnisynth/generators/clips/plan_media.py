"""Real media in a clip plan, a mixin of `omnisynth.generators.clips.plan.Planner`: scenes over a panned photograph
or a stretch of your footage, what their background shows in a box at a time (for the probes), and your cut-outs."""

from __future__ import annotations

from omnisynth.generators.clips import footage, media
from omnisynth.generators.clips.timeline import Scene


class MediaPlanning:
    def _photo_scene(self, index: int, start: float, end: float, photo: media.Medium) -> Scene:
        """A scene over a photograph, panned slowly from one side of its cover to the other."""
        rng = self.rng
        cw, ch = media.cover_size(self.w, self.h)
        dx, dy = cw - self.w, ch - self.h
        x0, x1 = (0, dx) if rng.random() < 0.5 else (dx, 0)
        y0, y1 = rng.randint(0, dy), rng.randint(0, dy)
        mean = tuple(int(v) for v in media.cover(photo.path, self.w, self.h).reshape(-1, 3).mean(axis=0))
        return Scene(index, start, end, f"a photo of {photo.name}", mean, photo.path, (x0, y0, x1, y1))

    def _shot(self, start: float, end: float):
        """(video, start second) of a stretch of one shot long enough for the scene, not yet played in this clip."""
        fits = [(video, a, b) for video in self.sources.footage for a, b in footage.shots(video.path)
                if b - a >= end - start and (video.path, a) not in self.shots_used]
        if not fits:
            return None
        video, a, b = self.rng.choice(fits)
        self.shots_used.add((video.path, a))
        return video, round(self.rng.uniform(a, b - (end - start)), 3)

    def _footage_scene(self, index: int, start: float, end: float, video: media.Medium, at: float) -> Scene:
        first = footage.frame(video.path, at, 0, self.w, self.h, self.fps)
        mean = tuple(int(v) for v in first.reshape(-1, 3).mean(axis=0))
        return Scene(index, start, end, f"footage of {video.name}", mean, footage=video.path, footage_start=at)

    def _background_at(self, scene: Scene, box, t: float) -> tuple[int, ...]:
        """The mean colour of the scene's background in `box` at frame time `t`."""
        if scene.footage:
            return footage.region_mean(scene.footage, scene.footage_start, t - scene.start, self.w, self.h, self.fps,
                                       box)
        if not scene.photo:
            return scene.rgb
        return media.region_mean(scene.photo, self.w, self.h, scene.pan, scene.start, scene.end, t, box)

    def _pick_cutout(self):
        """(medium, size, probe colour) of one of your cut-outs not yet in the clip, scaled to an object's height; None
        when none is left whose middle is opaque (its colour there is what the probes check)."""
        used = {s.image for s in self.sprites if s.image}
        for medium in self.rng.sample(self.sources.cutouts, len(self.sources.cutouts)):
            if medium.path in used:
                continue
            rgba = media.cutout(medium.path, max(8, round(64 * self.k)))
            h, w = rgba.shape[:2]
            x0, y0, x1, y1 = self._inner((0, 0, w, h))
            middle = rgba[y0:y1, x0:x1]
            if middle.size and middle[..., 3].min() >= 250:
                return medium, (w, h), tuple(int(round(v)) for v in middle[..., :3].reshape(-1, 3).mean(axis=0))
        return None
