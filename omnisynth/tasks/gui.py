"""GUI tasks: referring expressions -> element boxes and click points, screen QA, next actions.

Everything is written from the live DOM's element list (the ground truth), never from the
generator's plan. `resolve()` is the one definition of what a referring expression points
at; the oracle only writes expressions it resolves to exactly one element, and the filters
resolve every candidate's expression again, so a model's ambiguous expression is rejected.
"""

from __future__ import annotations

import hashlib
import json
import functools
import random
from collections import Counter
from collections.abc import Callable
import re

from omnisynth.tasks.documents import NO_ACTION, Candidate, Unsupported, box_text, first_qtype, grounding
from omnisynth.schemas.truth import Fact, GroundTruth

ROLE_WORDS = {"button": "button", "link": "link", "textbox": "text field", "searchbox": "search box",
              "checkbox": "checkbox", "radio": "radio button", "switch": "switch", "tab": "tab",
              "menuitem": "menu item", "combobox": "drop-down", "listbox": "list", "option": "item",
              "treeitem": "tree item", "gridcell": "cell", "spinbutton": "number field", "slider": "slider", "generic": "element"}
BOX_FORMAT = " Answer with the box [x0, y0, x1, y1] on a 0-1000 scale."
GUI_TEMPLATES = {
    "label": ["Click the '{name}' {role}.", "Where is the {role} labelled '{name}'?",
              "Find the '{name}' {role} on the screen."],
    "function": ["Click the icon that {func}.", "Which control {func}? Locate it.",
                 "Find the button that {func}."],
    "position": ["Click the {role} {rel} '{anchor}'.", "Locate the {role} {rel} the element '{anchor}'."],
    "field_value": ["What is entered in the '{name}' field?", "What does the '{name}' {role} contain?"],
    "toggle_state": ["Is '{name}' turned on? Answer Yes or No.", "Is the '{name}' {role} checked? Answer Yes or No."],
    "selected_option": ["Which option is selected in '{name}'?", "What is '{name}' set to?"],
    "active_tab": ["Which tab is currently selected?", "Which tab is open right now?"],
    "kpi": ["What value does the screen show for '{label}'?", "What is the {label} on this dashboard?"],
    "cell": ["What is in cell {cell}?", "Read the content of cell {cell}."],
    "unread_count": ["How many unread messages does the Inbox show?"],
    "count": ["How many {what} are there on the screen?", "Count the {what} on this screen."],
    "episode": ["Goal: {goal}\nThe {n} screenshots show the screen before each step and after the last. List the "
                "actions that reach the goal, one per line: click(x, y), type(\"text\"), select(x, y, \"option\") - x, y "
                "on a 0-1000 scale of the screenshot the step is taken on."],
    "action": ["Goal: {goal}\nPrevious actions: {history}\nWhat is the next action? Answer with one of "
               "click(x, y), type(\"text\"), select(x, y, \"option\"), scroll(x, y, dy) - x, y on a 0-1000 scale "
               "of the screenshot, dy in screenshot pixels."],
}
RELATIONS = {"right_of": "right of", "left_of": "left of", "above": "above", "below": "below"}
MAX_ANCHORS = 48  # position questions consider at most this many anchors per screen
GUI_REFUSAL = "Not on the screen"  # the answer of a negative (ScreenSpot-Pro gt_type "negative") sample
GUI_PROMPT_HASH = hashlib.sha256(json.dumps([GUI_TEMPLATES, BOX_FORMAT, GUI_REFUSAL],
                                            sort_keys=True).encode()).hexdigest()[:16]


def negative_names() -> list[str]:
    """Control names our screens use somewhere: a negative asks for one this screen does not show."""
    from omnisynth.generators.gui.layouts import KPIS, MENU_BAR, NAV, SETTINGS_SWITCHES

    return sorted({*NAV, *KPIS, *SETTINGS_SWITCHES, *MENU_BAR})


def absent_from(truth: GroundTruth, name: str) -> bool:
    """`name` is nowhere on the screen: not an element's name (hidden ones too), not in the page's text."""
    said = norm(name)
    if any(said in norm(f.text) for f in truth.facts):
        return False
    return said not in norm(truth.meta.get("screen_text", ""))


def norm(text: str) -> str:
    return " ".join(text.lower().split())


def visible(truth: GroundTruth) -> list[Fact]:
    """Elements a person can see and click: on screen, topmost somewhere, named, enabled."""
    return [f for f in truth.facts if f.kind == "element" and f.attrs["click"] and not f.attrs["occluded"]
            and not f.attrs.get("hidden")
            and not f.attrs["offscreen"] and not f.attrs["disabled"] and f.text]


def _overlap(a0, a1, b0, b1) -> float:
    return min(a1, b1) - max(a0, b0)


def in_direction(anchor: Fact, other: Fact, rel: str) -> float | None:
    """Gap from anchor to other in direction `rel` when they share a row (or column); else None."""
    a, b = anchor.bbox, other.bbox
    if rel in ("right_of", "left_of"):
        if _overlap(a[1], a[3], b[1], b[3]) < 0.5 * min(a[3] - a[1], b[3] - b[1]):
            return None
        gap = b[0] - a[2] if rel == "right_of" else a[0] - b[2]
    else:
        if _overlap(a[0], a[2], b[0], b[2]) < 0.5 * min(a[2] - a[0], b[2] - b[0]):
            return None
        gap = b[1] - a[3] if rel == "below" else a[1] - b[3]
    return gap if gap >= -1 else None


def resolve(elements: list[Fact], relation: str, target: str, role: str, anchor: str) -> list[Fact]:
    """Every visible element the expression (relation, target, role, anchor) can mean."""
    if relation == "label":
        return [e for e in elements if norm(e.text) == norm(target) and (not role or e.attrs["role"] == role)]
    if relation == "expression":  # free text (a model's): the elements it names, most specific names first
        said = norm(target)
        named = [e for e in elements if re.search(rf"(?<!\w){re.escape(norm(e.text))}(?!\w)", said)]
        names = {norm(e.text) for e in named}
        named = [e for e in named if not any(n != norm(e.text) and norm(e.text) in n for n in names)]
        by_role = [e for e in named if re.search(rf"(?<!\w){ROLE_WORDS.get(e.attrs['role'], e.attrs['role'])}(?!\w)", said)]
        return by_role if len(named) > 1 and by_role else named
    if relation == "function":
        return [e for e in elements if norm(e.attrs.get("func", "")) == norm(target)]
    if relation in RELATIONS:
        anchors = [e for e in elements if norm(e.text) == norm(anchor)]
        if len(anchors) != 1:
            return anchors if len(anchors) > 1 else []
        gaps = sorted((g, i) for i, e in enumerate(elements)
                      if e is not anchors[0] and e.attrs["role"] == role
                      and (g := in_direction(anchors[0], e, relation)) is not None)
        if not gaps:
            return []
        best = [elements[i] for g, i in gaps if g - gaps[0][0] < 4]  # within 4 px of the nearest: a tie
        return best
    return []


def element_grounding(truth: GroundTruth, el: Fact, label: str) -> dict:
    return grounding(label, truth.pages[-1], el, role=el.attrs["role"], point=el.attrs["click"])


def target_kind(e: Fact) -> str:
    """'icon' (an icon-only control), 'text' (shows its name as text) or 'other' (fields...).

    Our screens mark icon-only buttons (`data-icon`: an SVG, the name only in aria-label and
    the SVG's title, which textContent would count as text); on your pages a clickable
    control with no text at all counts as icon-only.
    """
    if e.attrs.get("icon"):
        return "icon"
    if e.attrs.get("text", "").strip():
        return "text"
    return "icon" if e.attrs["role"] in ("button", "link", "menuitem", "tab") else "other"


class GuiTasks:
    def __init__(self, truth: GroundTruth, rng: random.Random, task_kind: str, targets: str = "any"):
        self.truth, self.rng, self.kind = truth, rng, task_kind
        self.els = visible(truth)
        self.wanted = (lambda e: True) if targets == "any" else (lambda e: target_kind(e) == targets)
        # how many elements each name (with its role) and function resolves to: resolve()'s counts, once per screen
        self.names = Counter(norm(e.text) for e in self.els)
        self.named_roles = Counter((norm(e.text), e.attrs["role"]) for e in self.els)
        self.funcs = Counter(norm(e.attrs.get("func", "")) for e in self.els)

    def phrase(self, template: str, **kw) -> str:
        return self.rng.choice(GUI_TEMPLATES[template]).format(**kw)

    def _pick(self, pool: list[Fact]) -> Fact:
        if not pool:
            raise Unsupported("no element fits")
        if self.kind == "gui_pro_grounding":  # the hard cases: the smallest third of the targets
            pool = sorted(pool, key=lambda e: (_area(e), e.attrs["oid"]))[: max(1, len(pool) // 3)]
        return self.rng.choice(pool)

    def _element(self, qtype: str, el: Fact, question: str, derivation: dict) -> Candidate:
        g = element_grounding(self.truth, el, el.text)
        answer = box_text(g)
        w, h = g["image_size"]
        point = f"({round(g['point_px'][0] / w * 1000)}, {round(g['point_px'][1] / h * 1000)})"
        ev = {"kind": "text", "page": g["page"], "image": g["image"], "bbox_px": g["bbox_px"], "quad_px": g["quad_px"],
              "text": el.text, "value": ""}
        return Candidate(qtype, question + BOX_FORMAT, answer, [ev], [g],
                         {"op": "element", "role": el.attrs["role"], "ui_type": target_kind(el), **derivation},
                         [answer, point])

    # grounding --------------------------------------------------------------------------------
    def label(self) -> Candidate:
        pool = [e for e in self.els if self.wanted(e) and len(e.text) <= 60
                and self.named_roles[(norm(e.text), e.attrs["role"])] == 1]
        el = self._pick(pool)
        role = el.attrs["role"]
        q = self.phrase("label", name=el.text, role=ROLE_WORDS.get(role, role))
        return self._element("label", el, q, {"relation": "label", "target": el.text})

    def function(self) -> Candidate:
        pool = [e for e in self.els if self.wanted(e) and e.attrs.get("func") and self.funcs[norm(e.attrs["func"])] == 1]
        el = self._pick(pool)
        q = self.phrase("function", func=el.attrs["func"])
        return self._element("function", el, q, {"relation": "function", "target": el.attrs["func"]})

    def position(self) -> Candidate:
        # an anchor is named by the text it shows: an icon-only control's name is not on the screen
        anchors = [e for e in self.els if len(e.text) <= 40 and self.names[norm(e.text)] == 1
                   and target_kind(e) != "icon" and norm(e.text) in norm(e.attrs.get("text", ""))]
        if len(anchors) > MAX_ANCHORS:  # a 4K screen's hundreds of anchors x elements: a sample of them suffices
            anchors = self.rng.sample(anchors, MAX_ANCHORS)
        options = []
        for anchor in anchors:  # what resolve() would say for every (relation, role), in one pass per relation
            for rel in RELATIONS:
                by_role: dict[str, list] = {}
                for i, e in enumerate(self.els):
                    if e is not anchor and (gap := in_direction(anchor, e, rel)) is not None:
                        by_role.setdefault(e.attrs["role"], []).append((gap, i))
                for role, gaps in sorted(by_role.items()):
                    gaps.sort()
                    if (len(gaps) == 1 or gaps[1][0] - gaps[0][0] >= 4) and self.wanted(self.els[gaps[0][1]]):
                        options.append((self.els[gaps[0][1]], rel, anchor, role))
        if not options:
            raise Unsupported("no element is singled out by its position")
        if self.kind == "gui_pro_grounding":
            options.sort(key=lambda o: (_area(o[0]), o[0].attrs["oid"], o[1], o[2].attrs["oid"]))
            options = options[: max(1, len(options) // 3)]
        el, rel, anchor, role = self.rng.choice(options)
        q = self.phrase("position", role=ROLE_WORDS.get(role, role), rel=RELATIONS[rel], anchor=anchor.text)
        return self._element("position", el, q, {"relation": rel, "target": el.text, "anchor": anchor.text})

    def absent(self) -> Candidate:
        """A control the screen does not have, asked for like present ones: the answer refuses."""
        pool = [n for n in negative_names() if absent_from(self.truth, n)]
        if not pool:
            raise Unsupported("the screen shows every control name the generator knows")
        name, role = self.rng.choice(pool), self.rng.choice(["button", "link", "tab", "menuitem"])
        q = self.phrase("label", name=name, role=ROLE_WORDS[role]) + BOX_FORMAT
        return Candidate("absent", q, GUI_REFUSAL, [], [], {"op": "absent", "target": name, "role": role},
                         [GUI_REFUSAL])

    # screen QA --------------------------------------------------------------------------------
    def _state(self, qtype: str, el: Fact, question: str, answer: str, relation: str, answers=None,
               target: str | None = None) -> Candidate:
        g = element_grounding(self.truth, el, el.text or answer)
        ev = {"kind": "text", "page": g["page"], "image": g["image"], "bbox_px": g["bbox_px"], "quad_px": g["quad_px"],
              "text": answer, "value": ""}
        return Candidate(qtype, question, answer, [ev], [g],
                         {"op": "state", "relation": relation, "target": el.text if target is None else target,
                          "role": el.attrs.get("role", "")}, answers or [answer])

    def _unique(self, roles: set[str], where=lambda e: True) -> list[Fact]:
        return [e for e in self.els if e.attrs["role"] in roles and where(e) and self.names[norm(e.text)] == 1]

    def field_value(self) -> Candidate:
        el = self._pick(self._unique({"textbox", "searchbox", "spinbutton"}, lambda e: bool(e.attrs["value"].strip())))
        q = self.phrase("field_value", name=el.text, role=ROLE_WORDS[el.attrs["role"]])
        return self._state("field_value", el, q, el.attrs["value"], "value")

    def toggle_state(self) -> Candidate:
        el = self._pick(self._unique({"checkbox", "switch"}, lambda e: e.attrs["checked"] in ("true", "false")))
        q = self.phrase("toggle_state", name=el.text, role=ROLE_WORDS[el.attrs["role"]])
        return self._state("toggle_state", el, q, "Yes" if el.attrs["checked"] == "true" else "No", "checked")

    def selected_option(self) -> Candidate:
        el = self._pick(self._unique({"combobox"}, lambda e: bool(e.attrs["value"])))
        return self._state("selected_option", el, self.phrase("selected_option", name=el.text), el.attrs["value"],
                           "selected_option")

    def active_tab(self) -> Candidate:
        tabs = [e for e in self.els if e.attrs["role"] == "tab" and e.attrs["selected"] == "true"]
        if len(tabs) != 1:
            raise Unsupported(f"{len(tabs)} selected tabs")
        return self._state("active_tab", tabs[0], self.phrase("active_tab"), tabs[0].text, "active_tab")

    def screen_text(self) -> Candidate:
        facts = [f for f in self.truth.facts if f.kind in ("kpi", "cell", "unread_count") and f.text
                 and f.bbox[2] - f.bbox[0] >= 1]
        facts = [f for f in facts if f.kind != "cell" or len(f.text) <= 40]
        if not facts:
            raise Unsupported("no text facts on the screen")
        f = self.rng.choice(facts)
        q = self.phrase(f.kind, label=f.attrs.get("label", ""), cell=f.attrs.get("cell", ""))
        g = grounding(f.text, self.truth.pages[-1], f, role="text")
        ev = {"kind": "text", "page": g["page"], "image": g["image"], "bbox_px": g["bbox_px"], "quad_px": g["quad_px"],
              "text": f.text, "value": ""}
        return Candidate("screen_text", q, f.text, [ev], [g], {"op": "state", "relation": "text", "target": f.text,
                                                                "role": "text"}, [f.text])

    def count(self) -> Candidate:
        options = [(what, n) for what, fn in COUNTERS.items() if (n := fn(self.truth)) is not None]
        options = [(what, n) for what, n in options if n > 0]
        if not options:
            raise Unsupported("nothing to count")
        what, n = self.rng.choice(options)
        return Candidate("count", self.phrase("count", what=what), str(n), [], [],
                         {"op": "state", "relation": "count", "target": what}, [str(n)])

    # actions ----------------------------------------------------------------------------------
    def episode(self) -> Candidate:
        return episode_candidate(self)

    def next_action(self) -> Candidate:
        traj = self.truth.meta.get("trajectory")
        if not traj:
            raise Unsupported("no trajectory")
        steps, k = traj["steps"], traj["k"]
        page = self.truth.pages[-1]
        w, h = page.width, page.height
        step = steps[k]
        history = [action_answer(s, w, h) for s in steps[:k]]
        answer = action_answer(step, w, h)
        q = self.phrase("action", goal=traj["goal"], history="; ".join(history) if history else "none")
        point = step["point"]
        action = {"type": step["type"], "point_px": [float(round(point[0], 2)), float(round(point[1], 2))],
                  "point_1000": [round(point[0] / w * 1000), round(point[1] / h * 1000)],
                  "text": step["text"], "scroll_px": [0.0, float(round(step["dy"], 2))], "goal": traj["goal"], "step": k,
                  "steps": len(steps), "history": history, "result": step["result"]}
        gr = []
        if step["type"] != "scroll":
            target = next((e for e in self.truth.facts if e.kind == "element" and e.attrs["oid"] == step["oid"]), None)
            if target is None or not target.attrs["click"]:
                raise Unsupported(f"target {step['name']!r} is not clickable at step {k}")
            gr = [grounding(step["name"], page, target, role=step["role"], point=point)]
        return Candidate(step["type"], q, answer, [], gr,
                         {"op": "action", "relation": step["type"], "target": step["name"], "role": step["role"]},
                         [answer], action=action)


def episode_candidate(tasks: GuiTasks) -> Candidate:
    """gui_episode: the whole action sequence of the screen's episode (meta.episode), one action per line in
    the coordinates of the screenshot it is taken on, each click's target boxed on its screenshot."""
    truth = tasks.truth
    ep = truth.meta.get("episode")
    if not ep:
        raise Unsupported("the screen was not an episode")
    lines, boxes = [], []
    for i, step in enumerate(ep["steps"]):
        page = truth.pages[i]
        lines.append(action_answer(step, page.width, page.height))
        if step["type"] != "type":
            boxes.append(grounding(step["name"], page, tuple(step["box"]), role=step["role"], point=step["point"]))
    answer = "\n".join(lines)
    q = tasks.phrase("episode", goal=ep["goal"], n=len(truth.pages))
    return Candidate("episode", q, answer, [], boxes,
                     {"op": "episode", "target": ep["goal"], "labels": [f"{k} = {v}" for k, v in ep["final"].items()]},
                     [answer], action={**NO_ACTION, "goal": ep["goal"], "steps": len(lines)})


def _area(e: Fact) -> float:
    return (e.bbox[2] - e.bbox[0]) * (e.bbox[3] - e.bbox[1])


def action_answer(step: dict, w: int, h: int) -> str:
    x, y = round(step["point"][0] / w * 1000), round(step["point"][1] / h * 1000)
    if step["type"] == "click":
        return f"click({x}, {y})"
    if step["type"] == "type":
        return f"type({json.dumps(step['text'], ensure_ascii=False)})"
    if step["type"] == "select":
        return f"select({x}, {y}, {json.dumps(step['text'], ensure_ascii=False)})"
    return f"scroll({x}, {y}, {round(step['dy'])})"


def _count_facts(kind: str, **attrs):
    def count(truth: GroundTruth) -> int | None:
        found = [f for f in truth.facts if f.kind == kind]
        return sum(all(f.attrs.get(k) == v for k, v in attrs.items()) for f in found) if found else None
    return count


def _count_elements(role: str, checked: str | None = None):
    def count(truth: GroundTruth) -> int | None:
        els = [f for f in visible(truth) if f.attrs["role"] == role]
        return sum(checked is None or f.attrs["checked"] == checked for f in els) if els else None
    return count


COUNTERS = {
    "unread messages in the list": _count_facts("message", unread=True),
    "switches turned on": _count_elements("switch", "true"),
    "checked checkboxes": _count_elements("checkbox", "true"),
    "files in the list": _count_elements("option"),
    "tabs": _count_elements("tab"),
}

WRITERS = {"label": "label", "function": "function", "position": "position", "field_value": "field_value",
           "toggle_state": "toggle_state", "selected_option": "selected_option", "active_tab": "active_tab",
           "screen_text": "screen_text", "count": "count", "click": "next_action", "type": "next_action",
           "select": "next_action", "scroll": "next_action", "absent": "absent", "episode": "episode"}


def oracle_writer(recipe) -> tuple[str, Callable]:
    """The oracle's question writer for GUI families: (prompt hash, `gui_candidate` for the recipe's targets)."""
    return GUI_PROMPT_HASH, functools.partial(gui_candidate, targets=recipe.task.targets)


def gui_candidate(task_kind: str, weights: dict[str, float], truth: GroundTruth, rng: random.Random,
                  targets: str = "any") -> Candidate:
    """The planned question type first, then the others by weight (like the document writers)."""
    names = sorted(weights)
    first = first_qtype(truth, weights, rng)
    order = [first] + [n for n in names if n != first]
    tasks = GuiTasks(truth, rng, task_kind, targets)
    reasons = []
    for qtype in order:
        try:
            return getattr(tasks, WRITERS[qtype])()
        except Unsupported as exc:
            reasons.append(f"{qtype}: {exc}")
    raise Unsupported("; ".join(reasons))
