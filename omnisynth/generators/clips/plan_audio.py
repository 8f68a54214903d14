"""The sound half of a clip plan: a mixin of `omnisynth.generators.clips.plan.Planner`.

Sounds follow one another over the clip with gaps of 0.35-1 s: synthetic tones, beeps,
bells, noise bursts and melodies, espeak-ng sentences (with on-screen captions when the clip
has them), and recorded effects (`omnisynth.generators.clips.media`). Each becomes an audio
event whose probes ask for sound inside its span and silence just around it.
"""

from __future__ import annotations

import numpy as np

from omnisynth.generators.clips import media
from omnisynth.generators.clips.timeline import AUDIO_KINDS, SENTENCES, SR, AudioCue, Event, Probe, ms


class AudioPlanning:
    def _audio(self, captions: bool) -> None:
        rng = self.rng
        t = rng.uniform(0.3, 0.8)
        sentences = rng.sample(SENTENCES, len(SENTENCES))
        lines = rng.sample(self.sources.lines, len(self.sources.lines))  # each of your lines once a clip
        while t < self.duration - 0.6:
            kind = rng.choices(AUDIO_KINDS, weights=(1, 1, 1, 0.7, 0.7, 1.6))[0]
            if kind != "speech" and self.sources.effects and rng.random() < self.sources.effect_share:
                kind = "effect"
            cues = []
            if kind == "effect":
                sound = rng.choice(self.sources.effects)
                samples = media.effect_samples(sound.path, SR)
                span = len(samples) / SR
                gap = rng.uniform(0.3, 0.5)
                for i in range(rng.randint(1, 3) if span < 0.6 else 1):  # a short sound may come two or three times
                    s = t + i * (span + gap)
                    cues.append(AudioCue(-1, kind, s, s + span, speech=samples, text=sound.name))
            elif kind == "speech":
                if lines and rng.random() < self.sources.line_share:  # a recorded line, its transcript
                    line = lines.pop()
                    said, samples = line.name, media.line_samples(line.path, SR)
                else:
                    if not sentences:  # a long clip says them all: a new order
                        sentences = rng.sample(SENTENCES, len(SENTENCES))
                    said = sentences.pop()
                    samples = self.speak(said)
                cues.append(AudioCue(-1, kind, t, t + len(samples) / SR, speech=samples, text=said))
            elif kind == "beep":
                freq = rng.choice((880.0, 1000.0, 1200.0))
                gap = rng.uniform(0.25, 0.4)
                for i in range(rng.randint(1, 3)):
                    s = t + i * (0.2 + gap)
                    cues.append(AudioCue(-1, kind, s, s + 0.2, freq=freq))
            elif kind == "tone":
                cues.append(AudioCue(-1, kind, t, t + rng.uniform(0.6, 1.4), freq=float(rng.randrange(300, 700, 20))))
            elif kind == "bell":
                cues.append(AudioCue(-1, kind, t, t + 1.0, freq=float(rng.choice((520, 660, 784)))))
            elif kind == "noise":
                cues.append(AudioCue(-1, kind, t, t + rng.uniform(0.3, 0.7)))
            else:
                notes = [rng.choice((262.0, 294.0, 330.0, 392.0, 440.0)) for _ in range(rng.randint(4, 6))]
                cues.append(AudioCue(-1, kind, t, t + 0.22 * len(notes), notes=notes))
            if cues[-1].end > self.duration - 0.2:
                break
            for cue in cues:
                cue.start, cue.end = ms(cue.start), ms(cue.end)
                ev = self._event(modality="audio", kind=kind, start=cue.start, end=cue.end, text=cue.text,
                                 scene=next(s.index for s in self.scenes if s.start <= cue.start < s.end),
                                 freq=cue.freq)
                cue.event = ev.id
                self.cues.append(cue)
                self._audio_probes(ev, cue)
                scene = next(s for s in self.scenes if s.start <= cue.start < s.end)
                # a caption needs a few frames of its scene (a sentence starting in a scene's last frame gets none: its
                # window would end before it starts)
                if kind == "speech" and captions and min(cue.end, scene.end - 1 / self.fps) - cue.start >= 0.3:
                    sprite = self._label(ev.text, scene, cue.start, min(cue.end, scene.end - 1 / self.fps), "bottom",
                                         round(16 * self.k))
                    cap = self._event(modality="visual", kind="caption", start=sprite.start, end=sprite.end,
                                      text=ev.text, scene=scene.index, track=self._track(sprite, sprite.start,
                                                                                         sprite.start))
                    cap.probes = [self._text_probe(sprite, (sprite.start + sprite.end) / 2)]
            t = cues[-1].end + rng.uniform(0.35, 1.0)

    def _audio_probes(self, ev: Event, cue: AudioCue) -> None:
        span = cue.end - cue.start
        inner = (cue.start + 0.03, cue.end - 0.03) if cue.kind != "bell" else (cue.start + 0.02, cue.start + 0.35)
        sustained = 0.5 if cue.kind == "speech" else 1.0  # speech pauses between words
        if cue.kind == "effect":  # a recording: where it is loud, and how much of that stretch is
            (a, b), sustained = loud_stretch(cue.speech, SR)
            inner = (cue.start + a, cue.start + b)
        ev.probes = [Probe("audio", ms(inner[0]), ms(inner[1]), expect="sound",
                           freq=cue.freq if cue.kind in ("tone", "beep", "bell") else 0.0, sustained=sustained)]
        if span > 0 and cue.start >= 0.2:
            ev.probes.append(Probe("audio", ms(cue.start - 0.15), ms(cue.start - 0.03), expect="silence"))
        if cue.kind != "bell" and cue.end + 0.2 <= self.duration:  # a bell rings on past its event
            ev.probes.append(Probe("audio", ms(cue.end + 0.03), ms(cue.end + 0.15), expect="silence"))




def loud_stretch(samples: np.ndarray, rate: int, level: float = -27.0) -> tuple[tuple[float, float], float]:
    """((start, end) seconds, share): the span from the first to the last 50 ms stretch of `samples` louder than
    `level` dBFS (3 dB above the probes' -30 dBFS threshold), and 0.7 of the share of its stretches that are; the
    loudest stretch alone when none is."""
    hop = int(0.05 * rate)
    levels = [20 * np.log10(max(1e-9, float(np.sqrt(np.mean(np.square(samples[i:i + hop], dtype=np.float64))))))
              for i in range(0, max(1, len(samples) - hop + 1), hop)]
    loud = [i for i, v in enumerate(levels) if v > level]
    if not loud:
        k = int(np.argmax(levels))
        return (k * 0.05 + 0.005, (k + 1) * 0.05 - 0.005), 0.0
    a, b = loud[0], loud[-1] + 1
    share = sum(v > level for v in levels[a:b]) / (b - a)
    return (a * 0.05 + 0.005, b * 0.05 - 0.005), round(0.7 * share, 2)
