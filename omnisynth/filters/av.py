"""The audio-visual filter: the events an answer rests on are where the render put them, and the answer holds.

For a synthetic clip, every event cited in `derivation.labels` must pass its probes in the
rendered media (the colour of an object's box in the frame at the planned time, a label's
box and ink, sound and pitch in the planned audio window, silence just before it), else the
sample is dropped as `event_misplaced`; then the answer is recomputed from the timeline for
those events (`answer_mismatch` when it differs). A caption must name every event it cites.
Your own videos have no plan: their cited events must exist (model captions go to the judge).
"""

from __future__ import annotations

from omnisynth.filters.base import KEEP, Filter, Verdict
from omnisynth.generators.clips.render import check_event
from omnisynth.tasks.clips import answer_for, mentions
from omnisynth.schemas.truth import WorkItem

CAPTIONS = ("scene_by_scene", "summary")


def _norm(text: str) -> str:
    return " ".join(text.lower().replace('"', "").replace(".", " ").split())


class AvFilter(Filter):
    name = "timeline"

    def check(self, item: WorkItem) -> Verdict:
        clip, sample = item.truth.clip, item.sample
        derivation = sample["derivation"]
        try:
            ids = [int(x) for x in derivation["labels"]]
        except ValueError:
            return False, "event_unknown", f"labels {derivation['labels']} are not event ids"
        if any(not 0 <= i < len(clip.events) for i in ids):
            return False, "event_unknown", f"labels {ids} cite events beyond the {len(clip.events)} in the clip"
        if clip.plan is None:
            return KEEP
        for i in ids:
            why = check_event(clip.events[i], clip.frame_at, clip.pcm, clip.rate)
            if why:
                ev = clip.events[i]
                return False, "event_misplaced", f"event {i} ({ev.modality} {ev.kind} {ev.start}-{ev.end} s): {why}"
        relation, answer = derivation["relation"], sample["answer"]
        if relation in CAPTIONS:
            missing = [i for i in ids if _norm(mentions(clip.plan, clip.events[i])) not in _norm(answer)]
            if missing:
                return False, "caption_misses_event", f"events {missing} are cited but not described"
            return KEEP
        expected = answer_for(clip.plan, relation, derivation["target"], ids)
        if _norm(answer) not in {_norm(a) for a in expected}:
            return False, "answer_mismatch", f"answer {answer!r}; the timeline gives {expected[:2]}"
        return KEEP


def av_filters(recipe, generator=None) -> list[Filter]:
    """The audio-visual families' checks after the shared ones: events where the render put them."""
    return [AvFilter()]
