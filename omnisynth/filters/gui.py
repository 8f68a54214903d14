"""GUI filters: a candidate's box, click point, expression, answer and action against the live page.

Checks read the DOM ground truth (element list, facts, trajectory) and, for click points,
the live page itself: the point must hit the target as the topmost element there. The
generator keeps each sample's page open (or rebuilds it, replaying the trajectory to the
sampled step), so the hit test runs in the same state the screenshot shows.
"""

from __future__ import annotations

import json
import re

from omnisynth.filters.base import KEEP, Filter, Verdict
from omnisynth.geometry import iou as _iou
from omnisynth.tasks.gui import COUNTERS, GUI_REFUSAL, absent_from, action_answer, resolve, visible
from omnisynth.tasks.documents import box_text
from omnisynth.schemas.truth import Fact, WorkItem

ACTION_RE = {
    "click": re.compile(r"^click\((\d+),\s*(\d+)\)$"),
    "type": re.compile(r'^type\((".*")\)$', re.S),
    "select": re.compile(r'^select\((\d+),\s*(\d+),\s*(".*")\)$', re.S),
    "scroll": re.compile(r"^scroll\((\d+),\s*(\d+),\s*(-?\d+)\)$"),
}


def _element_at(item: WorkItem, box) -> Fact | None:
    best, score = None, 0.9
    for f in item.truth.facts:
        if f.kind == "element" and (s := _iou(f.bbox, box)) > score:
            best, score = f, s
    return best


def _inside(point, box) -> bool:
    return box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3]


class GuiFilter(Filter):
    """Per derivation op: `element` (grounding), `state` (screen QA), `action` (next action)."""

    name = "gui"

    def __init__(self, generator):
        self.generator = generator

    def check(self, item: WorkItem) -> Verdict:
        op = item.sample["derivation"]["op"]
        if op == "element":
            return self._element(item)
        if op == "state":
            return self._state(item)
        if op == "action":
            return self._action(item)
        if op == "absent":
            return self._absent(item)
        if op == "episode":
            return self._episode(item)
        return False, "wrong_op", f"derivation op {op!r} is not a GUI op"

    def _absent(self, item: WorkItem) -> Verdict:
        """A negative: nothing on the screen carries the asked name, and the answer refuses."""
        s, target = item.sample, item.sample["derivation"]["target"]
        if s["grounding"] or s["evidence"]:
            return False, "absent_with_evidence", "a negative sample cites a box"
        if not target or not absent_from(item.truth, target):
            return False, "absent_target_present", f"{target!r} is on the screen"
        if s["answer"].strip() != GUI_REFUSAL:
            return False, "refusal_mismatch", f"answer {s['answer']!r}, a negative sample answers {GUI_REFUSAL!r}"
        return KEEP

    def _topmost(self, item: WorkItem, point, target: Fact) -> Verdict:
        from omnisynth.degrade import page_point

        tab = self.generator.live_tab(item.spec.key, item.truth)
        owner = tab.owner_at([page_point(item.truth.pages[-1], point)])[0]  # a degraded frame's point, on the page
        if owner != target.attrs["oid"]:
            there = next((f.text for f in item.truth.facts if f.kind == "element" and f.attrs["oid"] == owner), owner)
            return False, "click_not_on_target", f"{point} hits {there!r}, not {target.text!r}"
        return KEEP

    def _element(self, item: WorkItem) -> Verdict:
        s = item.sample
        if not s["grounding"]:
            return False, "no_grounding", "an element sample needs its target's box"
        g, d = s["grounding"][0], s["derivation"]
        if not _inside(g["point_px"], g["bbox_px"]):
            return False, "click_outside_target", f"point {g['point_px']} outside box {g['bbox_px']}"
        target = _element_at(item, g["bbox_px"])
        if target is None:
            return False, "box_not_an_element", f"no element's box matches {g['bbox_px']}"
        if target.attrs["occluded"] or target.attrs["offscreen"]:
            return False, "target_not_visible", f"{target.text!r} is hidden or off screen"
        if target.attrs.get("hidden"):  # the degrade stage: out of frame, too small or covered in the capture
            return False, f"target_{target.attrs['hidden']}", f"{target.text!r}: {target.attrs['hidden']} in the frame"
        matches = resolve(visible(item.truth), d["relation"], d["target"], d["role"], d["anchor"])
        if not matches:
            return False, "expression_matches_nothing", f"{d['relation']} {d['target']!r} {d['anchor']!r}"
        if len(matches) > 1:
            return False, "ambiguous_expression", (f"{d['relation']} {d['target']!r} {d['anchor']!r} matches "
                                                   f"{len(matches)} elements: {[m.text for m in matches[:5]]}")
        if matches[0] is not target:
            return False, "box_misses_target", f"expression means {matches[0].text!r}, box holds {target.text!r}"
        verdict = self._topmost(item, g["point_px"], target)
        if not verdict[0]:
            return verdict
        if s["answer"].replace(" ", "") != box_text(g).replace(" ", ""):
            return False, "answer_box_mismatch", f"answer {s['answer']!r}, grounding box {box_text(g)}"
        return KEEP

    def _state(self, item: WorkItem) -> Verdict:
        s, truth = item.sample, item.truth
        d, answer = s["derivation"], s["answer"].strip()
        rel = d["relation"]
        if rel == "count":
            counter = COUNTERS.get(d["target"])
            n = counter(truth) if counter else None
            if n is None or answer != str(n):
                return False, "count_mismatch", f"answer {answer!r}, the screen has {n} {d['target']}"
            return KEEP
        if not s["evidence"]:
            return False, "no_evidence", "a state question needs the element's box"
        box = s["evidence"][0]["bbox_px"]
        if rel == "text":
            fact = next((f for f in truth.facts if f.kind != "element" and _iou(f.bbox, box) > 0.9), None)
            if fact is None or fact.text != answer:
                return False, "text_mismatch", f"answer {answer!r}, screen shows {fact.text if fact else None!r}"
            return KEEP
        el = _element_at(item, box)
        if el is None:
            return False, "box_not_an_element", f"no element's box matches {box}"
        if rel == "active_tab":
            selected = [e.text for e in visible(truth) if e.attrs["role"] == "tab" and e.attrs["selected"] == "true"]
            ok = selected == [answer] and el.text == answer
            truth_value = selected
        elif rel == "checked":
            truth_value = {"true": "Yes", "false": "No"}.get(el.attrs["checked"])
            ok = answer.lower() == (truth_value or "").lower()
        elif rel in ("value", "selected_option"):
            truth_value = el.attrs["value"].strip()
            ok = answer == truth_value
        else:
            return False, "wrong_relation", f"state relation {rel!r}"
        if not ok:
            return False, "state_mismatch", f"answer {answer!r}, page state {truth_value!r} ({el.text!r})"
        return KEEP

    def _action(self, item: WorkItem) -> Verdict:
        s, truth = item.sample, item.truth
        act = s["action"]
        traj = truth.meta.get("trajectory")
        if not traj:
            return False, "no_trajectory", "the sample's screen was not part of a trajectory"
        step = traj["steps"][traj["k"]]
        m = ACTION_RE.get(act["type"], re.compile("$^")).match(s["answer"].strip())
        if not m:
            return False, "answer_unparsable", f"{s['answer']!r} is not a {act['type']} action"
        w, h = truth.pages[-1].width, truth.pages[-1].height
        if s["answer"].strip() != action_answer({**step, "point": act["point_px"], "text": act["text"],
                                           "dy": act["scroll_px"][1], "type": act["type"]}, w, h):
            return False, "answer_action_mismatch", f"answer {s['answer']!r} disagrees with the action object"
        if act["type"] != step["type"]:
            return False, "wrong_action", f"{act['type']} where the goal needs {step['type']} on {step['name']!r}"
        if act["type"] in ("type", "select") and act["text"] != step["text"]:
            return False, "wrong_text", f"{act['text']!r} where the goal says {step['text']!r}"
        if act["type"] == "scroll":
            dy = act["scroll_px"][1]
            if dy == 0 or (dy > 0) != (step["dy"] > 0):
                return False, "wrong_scroll", f"scroll by {dy} where {step['name']!r} lies {step['dy']:+.0f} px away"
            return KEEP
        target = next((f for f in truth.facts if f.kind == "element" and f.attrs["oid"] == step["oid"]), None)
        if target is None:
            return False, "target_missing", f"{step['name']!r} is not on the screen at step {traj['k']}"
        if act["type"] == "type":
            if truth.meta.get("focused") != step["oid"]:
                return False, "field_not_focused", f"typing, but {step['name']!r} does not have the focus"
            return KEEP
        if not _inside(act["point_px"], target.bbox):
            return False, "click_outside_target", f"{act['point_px']} outside {step['name']!r} {list(target.bbox)}"
        return self._topmost(item, act["point_px"], target)


    def _episode(self, item: WorkItem) -> Verdict:
        """Each answered action is the planned step (type, text; a click or choice inside the step's target on
        that step's screenshot), and the actions, replayed as answered on a fresh page, reach the final state."""
        s, truth = item.sample, item.truth
        ep = truth.meta.get("episode")
        if not ep:
            return False, "no_episode", "the sample's screens were not an episode"
        lines = [line for line in s["answer"].strip().splitlines() if line.strip()]
        acts = [parse_action(line) for line in lines]
        if None in acts:
            return False, "answer_unparsable", f"line {acts.index(None) + 1} is not an action: {lines[acts.index(None)]!r}"
        if len(acts) != len(ep["steps"]):
            return False, "episode_length", f"{len(acts)} actions, the episode takes {len(ep['steps'])}"
        points = []
        for i, (act, step) in enumerate(zip(acts, ep["steps"], strict=True)):
            if act["type"] != step["type"]:
                return False, "wrong_action", f"step {i + 1}: {act['type']} where the goal needs {step['type']} on {step['name']!r}"
            if act["type"] in ("type", "select") and act["text"] != step["text"]:
                return False, "wrong_text", f"step {i + 1}: {act['text']!r} where the goal says {step['text']!r}"
            page = truth.pages[i]
            point = (act["x"] / 1000 * page.width, act["y"] / 1000 * page.height) if "x" in act else None
            if point is not None and not _inside(point, step["box"]):
                return False, "click_outside_target", f"step {i + 1}: {point} outside {step['name']!r} {step['box']}"
            points.append(point)
        want = [f"{k} = {v}" for k, v in ep["final"].items()]
        if s["derivation"]["labels"] != want:
            return False, "episode_labels", f"labels {s['derivation']['labels']}, the goal's state {want}"
        final = self.generator.replay_episode(truth, acts, points)
        wrong = {k: final.get(k) for k, v in ep["final"].items() if final.get(k) != v}
        if wrong:
            return False, "episode_final_state", f"replayed, the page ends with {wrong}; the goal is {ep['final']}"
        return KEEP


def parse_action(answer: str) -> dict | None:
    """An action answer -> its parts ({type, x, y, text, dy}); None when it is not one."""
    for kind, rx in ACTION_RE.items():
        m = rx.match(answer.strip())
        if not m:
            continue
        g = m.groups()
        if kind == "click":
            return {"type": kind, "x": int(g[0]), "y": int(g[1])}
        if kind == "type":
            return {"type": kind, "text": json.loads(g[0])}
        if kind == "select":
            return {"type": kind, "x": int(g[0]), "y": int(g[1]), "text": json.loads(g[2])}
        return {"type": kind, "x": int(g[0]), "y": int(g[1]), "dy": int(g[2])}
    return None


def gui_filters(recipe, generator=None) -> list[Filter]:
    """The GUI families' checks after the shared ones: against the live page the render stage's `generator` holds."""
    return [GuiFilter(generator)]
