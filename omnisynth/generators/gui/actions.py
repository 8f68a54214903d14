"""GUI trajectories: plan a goal over the elements a screen shows, drive the page through it,
and read back what each step changed. Used by `gui.GuiGenerator` for `gui_actions`."""

from __future__ import annotations

from dataclasses import dataclass

from omnisynth.generators.gui.browser import Tab
from omnisynth.generators.content import Content
from omnisynth.generators.errors import GroundTruthError

TEXT_ROLES = {"textbox", "searchbox", "spinbutton"}


@dataclass
class Step:
    """One action of a trajectory, in screenshot pixels, with the target it acts on."""

    type: str  # click | type | select | scroll
    oid: str
    name: str
    role: str
    point: tuple[float, float]
    text: str = ""
    dy: float = 0.0
    box: tuple[float, float, float, float] = (0, 0, 0, 0)
    result: str = ""


ACTION_FAMILIES = {"settings", "form", "chat", "dashboard", "mail"}


def plan_goals(dom: dict, rng, max_steps: int) -> list[dict]:
    """Sub-goals over the elements found: fill an empty field, pick an option, flip a toggle, then
    press a button. Only elements whose names are unique on the screen, so the goal is unambiguous."""
    els = [e for e in dom["elements"] if e["name"] and not e["disabled"] and not e["occluded"]]
    names = [e["name"] for e in els]
    unique = [e for e in els if names.count(e["name"]) == 1]
    fill = [e for e in unique if e["role"] in TEXT_ROLES and e["tag"] == "input" and not e["value"]]
    choose = [e for e in unique if e["role"] == "combobox" and e["tag"] == "select"]
    toggle = [e for e in unique if e["role"] in ("checkbox", "switch")]
    press = [e for e in unique if e["role"] in ("button", "tab") and not e["icon"]]
    pool = [("fill", e) for e in fill] + [("choose", e) for e in choose] + [("toggle", e) for e in toggle]
    rng.shuffle(pool)
    goals, budget = [], max_steps - 1
    for kind, e in pool[: rng.randint(1, 3)]:
        cost = 2 if kind == "fill" else 1
        if cost > budget:
            break
        budget -= cost
        goal = {"kind": kind, "oid": e["oid"], "name": e["name"], "role": e["role"]}
        if kind == "fill":
            goal["text"] = _fill_text(e["name"], rng)
        elif kind == "choose":
            goal["text"] = ""  # decided when the options are read
        elif kind == "toggle":
            goal["to"] = e["checked"] != "true"
        goals.append(goal)
    finals = [e for e in press if e["name"] in FINAL_BUTTONS] or press
    if finals and budget >= 1:
        e = rng.choice(finals)
        goals.append({"kind": "press", "oid": e["oid"], "name": e["name"], "role": e["role"]})
    return goals


FINAL_BUTTONS = {"Save changes", "Submit", "Compose", "New order", "Export", "Reply"}


def _fill_text(label: str, rng) -> str:
    low = label.lower()
    c = Content(rng, "en")
    if "mail" in low:
        return c.email()
    if "phone" in low:
        return c.phone()
    if "name" in low:
        return c.person()
    if "city" in low:
        return c.city()
    if "search" in low:
        return c.words(2)
    return c.words(rng.randint(1, 3))


def goal_text(goals: list[dict]) -> str:
    parts = []
    for g in goals:
        if g["kind"] == "fill":
            parts.append(f"enter '{g['text']}' in '{g['name']}'")
        elif g["kind"] == "choose":
            parts.append(f"choose '{g['text']}' for '{g['name']}'")
        elif g["kind"] == "toggle":
            parts.append(f"turn {'on' if g['to'] else 'off'} '{g['name']}'")
        else:
            parts.append(f"press '{g['name']}'")
    text = ", ".join(parts[:-1]) + (", then " if len(parts) > 1 else "") + parts[-1]
    return text[0].upper() + text[1:] + "."


def find_element(dom: dict, oid: str) -> dict:
    for e in dom["elements"]:
        if e["oid"] == oid:
            return e
    raise GroundTruthError(f"element {oid} vanished from the page")


def scroll_step(el: dict, dom: dict) -> Step:
    """Scroll the page so that `el` comes to the middle of the viewport (wheel at the viewport centre)."""
    vw, vh = dom["viewport"][0] * dom["dpr"], dom["viewport"][1] * dom["dpr"]
    dy = (el["box"][1] + el["box"][3]) / 2 - vh / 2
    return Step("scroll", el["oid"], el["name"], el["role"], (vw / 2, vh / 2), dy=dy)


def goal_steps(goal: dict, dom: dict, tab: Tab) -> list[Step]:
    """The steps of one sub-goal; points are filled in just before each step is performed."""
    el = find_element(dom, goal["oid"])
    here = (0.0, 0.0)
    if goal["kind"] == "fill":
        return [Step("click", el["oid"], el["name"], el["role"], here),
                Step("type", el["oid"], el["name"], el["role"], here, text=goal["text"])]
    if goal["kind"] == "choose":
        options = tab.evaluate("oid => Array.from(document.querySelector(`[data-oid=\"${oid}\"]`).options)"
                               ".map(o => o.text)", el["oid"])
        choices = [o for o in options if o != el["value"]]
        if not choices:
            raise GroundTruthError(f"{el['name']!r} has no other option")
        goal["text"] = choices[len(el["value"]) % len(choices)]
        return [Step("select", el["oid"], el["name"], el["role"], here, text=goal["text"])]
    return [Step("click", el["oid"], el["name"], el["role"], here)]


def perform(tab: Tab, step: Step, dpr: float) -> None:
    if step.type == "click":
        tab.click(*step.point, dpr)
    elif step.type == "type":
        tab.type(step.text)
    elif step.type == "select":
        tab.select(step.oid, step.text)
    elif step.type == "scroll":
        tab.scroll(*step.point, step.dy / dpr, dpr)


def read_result(step: Step, dom: dict) -> str:
    """The state change a step caused, as read back from the page after it."""
    if step.type == "scroll":
        return f"scroll_y = {round(dom['scroll'][1] * dom['dpr'])}"
    el = next((e for e in dom["elements"] if e["oid"] == step.oid), None)
    status = next((f["text"] for f in dom["facts"] if f["kind"] == "status"), "")
    if el is None:
        return f"'{step.name}' left the page"
    if step.type in ("type", "select"):
        return f"'{step.name}' value = '{el['value']}'"
    if el["role"] in ("checkbox", "switch", "radio"):
        return f"'{step.name}' checked = {el['checked']}"
    if el["role"] == "tab":
        return f"'{step.name}' selected = {el['selected']}"
    if status:
        return f"status = '{status}'"
    return f"focused = '{step.name}'" if dom.get("focused") == step.oid else f"clicked '{step.name}'"
