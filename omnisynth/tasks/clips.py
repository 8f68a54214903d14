"""Audio-visual tasks: questions about a clip's timeline, answered from the plan.

A writer picks the events a question rests on (their ids go to `derivation.labels`, the
question type to `derivation.relation`, the asked aspect to `derivation.target`); the answer
is `answer_for(plan, relation, target, ids)`, the same function the filter recomputes, so
an oracle answer and a model answer are judged alike. Phrasings are templates; their hash
goes into provenance.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable

from omnisynth.generators.clips.media import article
from omnisynth.generators.clips.timeline import SOUND_WORDS, Event, Plan
from omnisynth.tasks.documents import Candidate, Unsupported, first_qtype

TEMPLATES = {
    "scene_by_scene": ["Describe the clip scene by scene: what is seen and what is heard, with times.",
                       "Give a scene-by-scene account of this clip, covering both the picture and the sound."],
    "summary": ["Summarise the clip in a few sentences, combining what is seen with what is heard.",
                "What happens in this clip? Integrate the sounds and the pictures in one summary."],
    "seen_when_heard": ["What objects are on screen when {sound} is heard?",
                        "While {sound} plays, which shapes can be seen?"],
    "scene_when_heard": ["What was on screen when {sound} was heard?", "While {sound} played, what did the picture show?"],
    "heard_when_seen": ["What is heard at the moment {visual}?", "Which sound plays when {visual}?"],
    "order": ["Which happens first: {a} or {b}?", "Which comes earlier in the clip, {a} or {b}?"],
    "count": ["How many times is {sound} heard?", "Count how often {sound} sounds in the clip."],
    "duration": ["How long does {sound} last, in seconds?", "For how many seconds is {sound} heard?"],
    "which": ["Which object {verb} the {other}?"],
    "when": ["At what time does the {subject} {verb_base} the {other}?"],
    "colour": ["What colour does the {subject} turn?", "The {subject} changes colour. To what colour?"],
    "colour_when": ["At what time does the {subject} turn {colour}?"],
    "hand_over": ["Who handed the {text} to whom, and when?", "Who gave the {text} to whom, and at what time?"],
    "who_did": ["Who {act}?", "Which person {act}?"],
    "did_after": ["What did the {subject} do after {sound}?", "After {sound}, what did the {subject} do?"],
    "said_after": ["What is said right after {visual}?", "What does the speaker say just after {visual}?"],
    "said_between": ["What is said between {a:.1f} s and {b:.1f} s?"],
    "said_by": ['By what time has the speaker finished saying "{text}"?'],
    "describe": ["Describe this video: what is seen and heard, in order, with times.",
                 "Write a timed description of this clip's picture and sound."],
}
AV_PROMPT_HASH = hashlib.sha256(json.dumps(TEMPLATES, sort_keys=True).encode()).hexdigest()[:16]
KIND_WORDS = {"tone": "tone", "beep": "beep", "bell": "bell", "noise": "noise burst", "music": "melody"}
ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")
NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
VERBS = {"touch": ("touches", "touch"), "overtake": ("overtakes", "overtake")}
PEOPLE_ACTS = {"hand_over": ("hands the {text} to the {other}", "handing the {text} to the {other}",
                             "handed the {text} to the {other}"),
               "pick_up": ("picks up the {text}", "picking up the {text}", "picked up the {text}"),
               "put_down": ("puts down the {text}", "putting down the {text}", "put down the {text}"),
               "push": ("pushes the {text}", "pushing the {text}", "pushed the {text}"),
               "wave": ("waves at the {other}", "waving at the {other}", "waved at the {other}"),
               "point": ("points at the {other}", "pointing at the {other}", "pointed at the {other}")}


def act_phrase(ev: Event, tense: int) -> str:
    """A person's act: 0 'hands the red box to the person in the blue shirt', 1 'handing ...', 2 'handed ...'."""
    return PEOPLE_ACTS[ev.kind][tense].format(text=ev.text, other=ev.other)


def next_act(plan: Plan, subject: str, after: float) -> Event | None:
    """The first act the person `subject` starts after `after` seconds (within 4 s), or None."""
    acts = [e for e in plan.events if e.kind in PEOPLE_ACTS and e.subject == subject and e.start >= after]
    first = min(acts, key=lambda e: e.start, default=None)
    return first if first is not None and first.start - after <= 4.0 else None


def _secs(t: float) -> str:
    return f"{t:.1f} seconds"


def sound_word(ev: Event) -> str:
    """What a non-speech sound is called: 'bell', 'noise burst'; a recording: what it sounds like ('phone ringing')."""
    return ev.text if ev.kind == "effect" else KIND_WORDS[ev.kind]


def same_sound(plan: Plan, ev: Event) -> list[Event]:
    """The sounds called as `ev` is (a synthetic bell and a recorded one are both bells), in order."""
    return [e for e in plan.events if e.modality == "audio" and e.kind != "speech" and sound_word(e) == sound_word(ev)]


def sound_ref(plan: Plan, ev: Event) -> str:
    """A phrase that singles out one sound: 'the bell', 'the second beep', 'the sentence "..."'."""
    if ev.kind == "speech":
        return f'the sentence "{ev.text}"'
    same, word = same_sound(plan, ev), sound_word(ev)
    return f"the {word}" if len(same) == 1 else f"the {ORDINALS[same.index(ev)]} {word}"


def sound_answer(ev: Event) -> str:
    if ev.kind == "speech":
        return f'someone saying "{ev.text}"'
    return article(ev.text) if ev.kind == "effect" else SOUND_WORDS[ev.kind]


def visual_phrase(ev: Event) -> str:
    return {"enter": f"the {ev.subject} enters", "leave": f"the {ev.subject} leaves",
            "present": f"the {ev.subject} is on screen", "touch": f"the {ev.subject} touches the {ev.other}",
            "overtake": f"the {ev.subject} overtakes the {ev.other}",
            "colour_change": f"the {ev.subject} turns {ev.text}",
            "scene_change": f"the scene changes to {ev.text}",
            "text": f'the sign "{ev.text}" appears', "counter": f'the counter shows "{ev.text}"',
            "caption": f'the caption "{ev.text}" appears'}[ev.kind] if ev.kind not in PEOPLE_ACTS else \
        f"the {ev.subject} {act_phrase(ev, 0)}"


def visual_noun(ev: Event) -> str:
    """The event as a noun phrase: 'the red circle entering'."""
    return {"enter": f"the {ev.subject} entering", "leave": f"the {ev.subject} leaving",
            "touch": f"the {ev.subject} touching the {ev.other}", "overtake": f"the {ev.subject} overtaking the {ev.other}",
            "colour_change": f"the {ev.subject} turning {ev.text}", "text": f'the sign "{ev.text}" appearing',
            "counter": f'the counter showing "{ev.text}"', "caption": f'the caption "{ev.text}" appearing'}[ev.kind] \
        if ev.kind not in PEOPLE_ACTS else f"the {ev.subject} {act_phrase(ev, 1)}"


def phrase(plan: Plan, ev: Event) -> str:
    return sound_ref(plan, ev) if ev.modality == "audio" else visual_noun(ev)


def _indefinite(sprite) -> str:
    """'a red circle', 'an orange box', 'a person in a blue shirt'."""
    if sprite.kind == "person":
        return f"a person in {article(sprite.colour + ' shirt')}"
    return article(sprite.name)


def on_screen(plan: Plan, t: float) -> list[str]:
    return [_indefinite(s) for s in plan.objects_at(t)]


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def answer_for(plan: Plan, relation: str, target: str, ids: list[int]) -> list[str]:
    """Every accepted answer for a question of type `relation` about events `ids` ([] if none holds)."""
    evs = [plan.event(i) for i in ids]
    ev = evs[0]
    if relation == "seen_when_heard":
        seen = on_screen(plan, ev.start)
        if not seen or seen != on_screen(plan, ev.end):
            return []
        return [_join(seen), _join(sorted(seen))]
    if relation == "scene_when_heard":
        scene = plan.scene_at(ev.start)
        return [scene.background] if scene is plan.scene_at(ev.end) and ev.end < scene.end else []
    if relation == "heard_when_seen":
        return [sound_answer(evs[1])] if len(evs) == 2 and evs[1].start + 0.05 <= ev.start <= evs[1].end - 0.05 else []
    if relation == "order":
        first = min(evs, key=lambda e: e.start)
        return [phrase(plan, first)]
    if relation == "count":
        n = len(evs)
        return [str(n), NUMBER_WORDS[n] if n < len(NUMBER_WORDS) else str(n)]
    if relation in ("duration", "said_by"):
        value = ev.end - ev.start if relation == "duration" else ev.end
        return [_secs(value), f"{value:.1f}"]
    if relation in ("touch", "overtake"):
        return [f"the {ev.subject}", ev.subject] if target == "which" else [f"at {_secs(ev.start)}", f"{ev.start:.1f}"]
    if relation == "colour_change":
        return [ev.text] if target == "which" else [f"at {_secs(ev.start)}", f"{ev.start:.1f}"]
    if relation == "hand_over":
        return [f"the {ev.subject} handed it to the {ev.other} at {_secs(ev.start)}",
                f"the {ev.subject} to the {ev.other} at {ev.start:.1f} s"]
    if relation == "who_did":
        return [f"the {ev.subject}", ev.subject]
    if relation == "did_after":
        act = next_act(plan, evs[1].subject, ev.end) if len(evs) == 2 else None
        return [act_phrase(act, 2)] if act is not None and act.id == evs[1].id else []
    if relation in ("said_after", "said_between"):
        return [evs[-1].text]
    if relation == "scene_by_scene":
        return [scene_by_scene(plan)]
    if relation == "summary":
        return [summary(plan)]
    return []


def scene_by_scene(plan: Plan) -> str:
    lines = []
    for scene in plan.scenes:
        inside = [e for e in plan.events if scene.start <= e.start < scene.end and e.kind != "scene_change"]
        parts = [f"{e.start:.1f} s {sound_answer(e) if e.modality == 'audio' else visual_phrase(e)}" for e in inside]
        lines.append(f"Scene {scene.index + 1} ({scene.start:.1f}-{scene.end:.1f} s, {scene.background}): "
                     + ("; ".join(parts) if parts else "nothing moves and nothing is heard") + ".")
    return "\n".join(lines)


def summary(plan: Plan) -> str:
    n = len(plan.scenes)
    first = {}  # each object or person once, as it first looks (an object that changes colour is two sprites)
    for s in sorted((s for s in plan.sprites if s.kind in ("object", "person")), key=lambda s: s.start):
        first.setdefault(s.obj, _indefinite(s))
    lead = article(f"{plan.duration:.1f}-second clip")
    out = [f"{lead[0].upper() + lead[1:]} in {n} scene{'s' if n > 1 else ''} showing {_join(sorted(first.values()))}."]
    for e in plan.events:
        if e.modality == "visual" and (e.kind in ("touch", "overtake", "colour_change") or e.kind in PEOPLE_ACTS):
            out.append(f"At {e.start:.1f} s {visual_phrase(e)}.")
        elif e.modality == "audio":
            seen = on_screen(plan, e.start)
            sound = sound_answer(e)
            out.append(f"At {e.start:.1f} s {sound} is heard"
                       + (f" while {_join(seen)} {'is' if len(seen) == 1 else 'are'} on screen." if seen else
                          " over an empty scene."))
    return " ".join(out)


def mentions(plan: Plan, ev: Event) -> str:
    """What a caption must say about a labelled event."""
    if ev.modality == "audio":
        return sound_answer(ev) if ev.kind != "speech" else ev.text
    return ev.text if ev.kind in ("text", "counter", "caption") else (ev.subject or ev.text)


class AvTasks:
    def __init__(self, plan: Plan, rng: random.Random):
        self.plan, self.rng = plan, rng
        self.audio = [e for e in plan.events if e.modality == "audio"]
        self.visual = [e for e in plan.events if e.modality == "visual"]

    def _pick(self, options: list, why: str):
        if not options:
            raise Unsupported(why)
        return self.rng.choice(options)

    def _t(self, name: str, **kw) -> str:
        return self.rng.choice(TEMPLATES[name]).format(**kw)

    def scene_by_scene(self):
        ids = [e.id for e in self.plan.events if e.kind != "scene_change"]
        return self._t("scene_by_scene"), "", ids

    def summary(self):
        ids = [e.id for e in self.plan.events if e.modality == "audio" or e.kind in ("touch", "overtake", "colour_change")
               or e.kind in PEOPLE_ACTS]
        return self._t("summary"), "", ids

    def seen_when_heard(self):
        ok = [e for e in self.audio if answer_for(self.plan, "seen_when_heard", "", [e.id])]
        ev = self._pick(ok, "no sound plays over a still set of objects")
        return self._t("seen_when_heard", sound=sound_ref(self.plan, ev)), "", [ev.id]

    def scene_when_heard(self):
        ok = [e for e in self.audio if answer_for(self.plan, "scene_when_heard", "", [e.id])]
        ev = self._pick(ok, "no sound plays within one scene")
        return self._t("scene_when_heard", sound=sound_ref(self.plan, ev)), "", [ev.id]

    def heard_when_seen(self):
        pairs = [(v, a) for v in self.visual if v.kind in ("enter", "touch", "overtake", "colour_change", "scene_change")
                 for a in self.audio if a.start + 0.05 <= v.start <= a.end - 0.05]
        v, a = self._pick(pairs, "no instant visual event falls inside a sound")
        return self._t("heard_when_seen", visual=visual_phrase(v)), "", [v.id, a.id]

    def order(self):
        pairs = [(a, v) for a in self.audio for v in self.visual if abs(a.start - v.start) >= 0.5
                 and v.kind not in ("present", "scene_change")]
        a, v = self._pick(pairs, "no sound and sight far enough apart")
        first, second = (a, v) if self.rng.random() < 0.5 else (v, a)
        return self._t("order", a=phrase(self.plan, first), b=phrase(self.plan, second)), "", [first.id, second.id]

    def count(self):
        words = sorted({sound_word(e) for e in self.audio if e.kind != "speech"})
        word = self._pick(words, "no non-speech sound to count")
        ids = [e.id for e in self.audio if e.kind != "speech" and sound_word(e) == word]
        return self._t("count", sound=f"the {word}"), "", ids

    def duration(self):
        ev = self._pick([e for e in self.audio if e.kind in ("tone", "noise", "music", "speech")
                         or (e.kind == "effect" and e.end - e.start >= 0.5)],
                        "no sustained sound to time")
        return self._t("duration", sound=sound_ref(self.plan, ev)), "", [ev.id]

    def _interaction(self, kind: str):
        ev = self._pick([e for e in self.visual if e.kind == kind], f"no {kind} in the clip")
        aspect = self.rng.choice(["which", "when"])
        verb, base = VERBS[kind]
        q = (self._t("which", verb=verb, other=ev.other) if aspect == "which" else
             self._t("when", subject=ev.subject, verb_base=base, other=ev.other))
        return q, aspect, [ev.id]

    def touch(self):
        return self._interaction("touch")

    def overtake(self):
        return self._interaction("overtake")

    def colour_change(self):
        ev = self._pick([e for e in self.visual if e.kind == "colour_change"], "no colour change in the clip")
        aspect = self.rng.choice(["which", "when"])
        q = (self._t("colour", subject=ev.subject) if aspect == "which" else
             self._t("colour_when", subject=ev.subject, colour=ev.text))
        return q, aspect, [ev.id]

    def hand_over(self):
        ev = self._pick([e for e in self.visual if e.kind == "hand_over"], "nobody hands anything over")
        return self._t("hand_over", text=ev.text), "", [ev.id]

    def who_did(self):
        acts = [e for e in self.visual if e.kind in PEOPLE_ACTS]
        unique = [e for e in acts if sum(act_phrase(o, 2) == act_phrase(e, 2) for o in acts) == 1]
        ev = self._pick(unique, "no person does anything")
        return self._t("who_did", act=act_phrase(ev, 2)), "", [ev.id]

    def did_after(self):
        pairs = [(a, act) for a in self.audio for act in [next_act(self.plan, p, a.end) for p in
                                                        sorted({e.subject for e in self.visual if e.kind in PEOPLE_ACTS})]
                 if act is not None and act.start - a.end >= 0.2]
        a, act = self._pick(pairs, "no person acts within 4 s after a sound")
        return self._t("did_after", subject=act.subject, sound=sound_ref(self.plan, a)), "", [a.id, act.id]

    def said_after(self):
        speech = [e for e in self.audio if e.kind == "speech"]
        pairs = []
        for v in self.visual:
            if v.kind in ("present", "caption"):
                continue
            after = [s for s in speech if s.start > v.start]
            if after and after[0].start - v.start <= 3.0:
                pairs.append((v, after[0]))
        v, s = self._pick(pairs, "no speech within 3 s after a visual event")
        return self._t("said_after", visual=visual_phrase(v)), "", [v.id, s.id]

    def said_between(self):
        s = self._pick([e for e in self.audio if e.kind == "speech"], "nothing is said")
        return self._t("said_between", a=max(0.0, s.start - 0.2), b=s.end + 0.2), "", [s.id]

    def said_by(self):
        said = [e.text for e in self.audio if e.kind == "speech"]  # a sentence said twice has no one end time
        s = self._pick([e for e in self.audio if e.kind == "speech" and said.count(e.text) == 1], "nothing is said once")
        return self._t("said_by", text=s.text), "", [s.id]


SCENE_NEEDS = {"touch": "shapes", "overtake": "shapes", "colour_change": "shapes", "hand_over": "people",
               "who_did": "people", "did_after": "people"}  # question types that only one kind of scene can carry
SCRIPT_NEEDS = {"hand_over": ("hand_over",)}  # ... and that only some people scripts can carry


def supports(plan: Plan, task_kind: str, qtype: str) -> bool:
    """Whether the plan has something to ask a `qtype` question about."""
    try:
        getattr(AvTasks(plan, random.Random(0)), qtype)()
    except Unsupported:
        return False
    return True


def describe_measured(info: dict, events: list[Event]) -> str:
    """Your own video, from what was measured: size, length, sound, shot changes, loud stretches."""
    out = [f"A {info['duration']:.1f}-second {info['width']}x{info['height']} video "
           + ("with sound." if info["has_audio"] else "without an audio track.")]
    cuts = [e.start for e in events if e.kind == "scene_change"]
    out.append(f"The shot changes at {', '.join(f'{t:.1f} s' for t in cuts)}." if cuts else "It is one continuous shot.")
    if info["has_audio"]:
        sounds = [e for e in events if e.kind == "sound"]
        spans = [f"from {e.start:.1f} to {e.end:.1f} s" for e in sounds]
        if len(spans) > 8:
            spans = spans[:8] + [f"and {len(spans) - 8} more times"]
        out.append("Sound is heard " + ", ".join(spans) + "." if sounds else
                   "The audio track stays below -40 dBFS throughout.")
    return " ".join(out)


def oracle_writer(recipe) -> tuple[str, Callable]:
    """The oracle's question writer for audio-visual families: (prompt hash, `av_candidate`)."""
    return AV_PROMPT_HASH, av_candidate


def av_candidate(task_kind: str, weights: dict[str, float], truth, rng: random.Random) -> Candidate:
    clip = truth.clip
    if clip.plan is None:  # your own video: a description of what was measured
        q = rng.choice(TEMPLATES["describe"])
        answer = describe_measured(clip.info, clip.events)
        return Candidate("describe", q, answer, [], [], {"op": "timeline", "relation": "describe",
                                                       "labels": [str(e.id) for e in clip.events]}, [answer])
    names = sorted(weights)
    first = first_qtype(truth, weights, rng)
    tasks = AvTasks(clip.plan, rng)
    reasons = []
    for qtype in [first] + [n for n in names if n != first]:
        try:
            question, aspect, ids = getattr(tasks, qtype)()
        except Unsupported as exc:
            reasons.append(f"{qtype}: {exc}")
            continue
        answers = answer_for(clip.plan, qtype, aspect, ids)
        if not answers:
            reasons.append(f"{qtype}: no answer holds")
            continue
        return Candidate(qtype, question, answers[0], [], [], {"op": "timeline", "relation": qtype, "target": aspect,
                                                               "labels": [str(i) for i in ids]}, answers)
    raise Unsupported("; ".join(reasons))
