"""GUI screens rendered in a real Chromium, with ground truth read from the live DOM.

`GuiGenerator` writes a procedural screen (`layouts.py`, controls from `ui.py`), shows it in the worker's warm
browser, and takes every visible interactive element's role, accessible name, state and
box (screenshot pixels, device-pixel aware, clipped, occlusion-checked by hit testing)
from the page itself. For `gui_actions` it plans a goal over the elements it found, drives
the page through it (click, type, select, scroll), and samples one step: the screenshot
before it, the actions before it, and the state change it caused, read back from the page.

`HtmlCorpusGenerator` does the same for the user's own HTML files, each in a fresh,
locked-down context that may read only files inside the page's folder.

The last page shown stays open (`live_tab`) so filters can check a click point against the
live page; a filter asking about another sample gets that sample's page rebuilt.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from omnisynth.generators.gui.browser import Browser, Tab
from omnisynth.generators.documents.generator import blank_png, weighted
from omnisynth.generators import Generator
from omnisynth.generators.corpus import Inventory, Probe, read_head, sniff
from omnisynth.generators.errors import GroundTruthError, InputError
from omnisynth.generators.gui.actions import (ACTION_FAMILIES, Step, find_element, goal_steps, goal_text, perform,
                                              plan_goals, read_result, scroll_step)
from omnisynth.generators.gui.archetypes import ARCHETYPES
from omnisynth.generators.gui.layouts import page
from omnisynth.generators.gui.ui import Ui
from omnisynth.generators.gui.config import GuiGenerator as GuiConfig
from omnisynth.generators.gui.config import HtmlCorpusGenerator as HtmlCorpusConfig
from omnisynth.schemas.recipe import TaskConfig
from omnisynth.schemas.truth import Fact, GroundTruth, PageTruth, SampleSpec

VERSION = "gui/2"  # 2: professional screens are application archetypes with Breeze icons
STATUS_SCRIPT = """<div role="status" data-fact="status" data-attrs="{}" style="position:fixed;right:12px;bottom:8px;
padding:2px 8px" class="muted"></div><script>document.addEventListener('click', e => {
 const b = e.target.closest('button.primary'); if (b) document.querySelector('[role=status]').textContent =
 b.innerText.trim() + ' done'; });</script>"""


@dataclass
class ScreenPlan:
    family: str
    theme: str
    font: str
    font_size: int
    viewport: tuple[int, int]
    scale: float
    question_type: str
    archetype: str = ""  # family pro: omnisynth.generators.gui.archetypes
    look: str = ""
    app: dict | None = None  # family app: the page's structure, set when its HTML is written
    language: str = "en"


@dataclass
class Live:
    key: str
    tab: Tab
    steps_done: int = 0


def dom_truth(screen, generator: str, family: str, meta: dict) -> GroundTruth:
    """The live DOM's elements and facts as ground truth on one screenshot."""
    page_truth = PageTruth(0, "png", screen.width, screen.height, [], [], [])
    facts = [Fact("element", 0, tuple(el["visible_box"]), el["name"], el) for el in screen.dom["elements"]]
    facts += [Fact(f["kind"], 0, tuple(f["box"]), f["text"], {**f["attrs"], "oid": f["oid"]})
              for f in screen.dom["facts"]]
    meta = {**meta, "dpr": screen.dom["dpr"], "scroll": screen.dom["scroll"], "focused": screen.dom.get("focused", ""),
            "screen_sha": hashlib.sha256(screen.png).hexdigest(),
            "screen_text": screen.dom.get("body_text", "")}  # the page's innerText: what negatives must avoid
    return GroundTruth(generator, family, meta.get("language", "en"), [page_truth], facts, meta)


def targets(truth: GroundTruth) -> list[Fact]:
    """Elements a sample may point at: on screen, not hidden behind another, named, enabled."""
    return [f for f in truth.facts if f.kind == "element" and f.attrs["click"] and not f.attrs["occluded"]
            and not f.attrs.get("hidden")
            and not f.attrs["offscreen"] and not f.attrs["disabled"] and f.text]


class _BrowserUser(Generator):
    """Shared by both generators: the lazily started browser and the live page."""

    name = "gui"
    needs_actor = True  # keep the browser warm in a Ray actor

    def __init__(self, config, task: TaskConfig):
        self.config, self.task = config, task
        self._browser: Browser | None = None
        self._live: Live | None = None

    def __getstate__(self):
        return {**self.__dict__, "_browser": None, "_live": None}

    @property
    def browser(self) -> Browser:
        if self._browser is None:
            self._browser = Browser(timeout_s=self.config.timeout_s,
                                    settle_ms=getattr(self.config, "settle_ms", 0))
        return self._browser

    def _show(self, key: str, **where) -> Tab:
        """Open a page as the live one (the previous live page is released)."""
        self.release()
        tab = self.browser.open(**where)
        self._live = Live(key, tab)
        return tab

    def release(self) -> None:
        if self._live is not None:
            live, self._live = self._live, None
            if live.tab.owns_context:
                live.tab.close()

    def _fail(self) -> None:
        """After a page error: drop the live page so a wedged tab is never reused."""
        if self._live is not None:
            live, self._live = self._live, None
            live.tab.close()

    def live_tab(self, key: str, truth: GroundTruth) -> Tab:
        """A tab showing sample `key` in the state its screenshot shows: the open one, or rebuilt."""
        if self._live is not None and self._live.key == key and self._live.steps_done == len(truth.meta["replay"]):
            return self._live.tab
        tab = self._show(key, **self._where(truth))
        for step in truth.meta["replay"]:
            perform(tab, Step(**step), truth.meta["dpr"])
        self._live.steps_done = len(truth.meta["replay"])
        return tab

    def close(self) -> None:
        self.release()
        if self._browser is not None:
            self._browser.close()
            self._browser = None


class GuiGenerator(_BrowserUser):
    name = "gui"

    def __init__(self, config: GuiConfig, task: TaskConfig):
        super().__init__(config, task)
        self.config: GuiConfig = config

    def source(self, spec: SampleSpec) -> dict:
        plan = self.plan(spec)
        return {"family": plan.family, "viewport": list(plan.viewport), "scale": plan.scale, "theme": plan.theme}

    def plan(self, spec: SampleSpec) -> ScreenPlan:
        rng = spec.rng("plan")
        cfg = self.config
        qtype = weighted(rng, self.task.weights())
        families = list(cfg.families)
        if self.task.kind == "gui_actions":  # screens with something to fill in or toggle
            families = [f for f in families if f in ACTION_FAMILIES] or families
        if self.task.kind == "gui_episode":  # menus that open dialogs
            families = ["app"]
        plan = ScreenPlan(family=rng.choice(families), theme=rng.choice(cfg.themes), font=rng.choice(cfg.fonts),
                          font_size=rng.randint(*cfg.font_sizes), viewport=tuple(rng.choice(cfg.viewports)),
                          scale=rng.choice(cfg.scales), question_type=qtype)
        if plan.family == "pro":
            plan.archetype, plan.look = rng.choice(cfg.pro_archetypes()), rng.choice(cfg.looks)
        if len(cfg.languages) > 1 or "en" not in cfg.languages:
            plan.language = weighted(rng, cfg.languages)
        if plan.family == "app":
            plan.language = "en"  # the episode's goal names the controls in English
        return plan

    def html(self, spec: SampleSpec, plan: ScreenPlan) -> str:
        ui = Ui(spec.rng("screen"), plan.theme, plan.font, plan.font_size, plan.archetype, plan.look, plan.language)
        doc = page(ui, plan.family, *plan.viewport)
        plan.app = ui.app
        return doc.replace("</body>", STATUS_SCRIPT + "</body>")

    def _where(self, truth: GroundTruth) -> dict:
        return {"html": truth.meta["html"], "viewport": tuple(truth.meta["viewport"]), "scale": truth.meta["scale"]}

    def render(self, spec: SampleSpec) -> tuple[dict[str, bytes], GroundTruth]:
        plan = self.plan(spec)
        doc = self.html(spec, plan)
        where = {"html": doc, "viewport": plan.viewport, "scale": plan.scale}
        meta = {"family": plan.family, "language": plan.language, "font": plan.font, "pages": 1, "theme": plan.theme,
                "viewport": list(plan.viewport), "scale": plan.scale, "question_type": plan.question_type,
                "generator_version": VERSION, "html": doc, "replay": [], "trajectory": None,
                "group": ARCHETYPES[plan.archetype].group if plan.archetype else "", "archetype": plan.archetype,
                "look": plan.look}
        history: list[bytes] = []
        if self.task.kind == "gui_episode":
            return self._episode(spec, plan, where, meta)
        try:
            tab = self._show(spec.key, **where)
            if self.task.kind == "gui_actions":
                meta["trajectory"], meta["replay"], history = self._trajectory(spec, tab, plan, where)
                tab = self._live.tab
            screen = tab.screen()
        except InputError:
            self._fail()
            raise
        truth = dom_truth(screen, self.name, plan.family, meta)
        if not targets(truth):
            raise GroundTruthError(f"{plan.family} screen has no visible interactive element")
        media = {"png": screen.png}
        n = self.config.history_screens if self.task.kind == "gui_actions" else 0
        if n:  # oldest first, the current screen last: the order the images appear in the prompt
            real = history[-n:]
            pages = [PageTruth(i, f"h{len(real) - i}.png", screen.width, screen.height, [], [], [])
                     for i in range(len(real))]
            truth.pages = pages + [PageTruth(len(real), "png", screen.width, screen.height, [], [], [])]
            media.update((p.member, png) for p, png in zip(pages, real, strict=False))
            media.update((f"h{i}.png", blank_png()) for i in range(len(real) + 1, n + 1))
            truth.meta["pages"] = len(truth.pages)
        return media, truth

    # -- episodes (omnisynth.generators.gui.app) ------------------------------------------------
    def _episode(self, spec: SampleSpec, plan: ScreenPlan, where: dict, meta: dict):
        from omnisynth.generators.gui.app import run_episode

        return run_episode(self, spec, plan, where, meta)

    def replay_episode(self, truth: GroundTruth, actions: list[dict], points: list) -> dict[str, str]:
        from omnisynth.generators.gui.app import replay

        return replay(self.browser, self._where(truth), truth.meta["dpr"], actions, points)

    # -- trajectories ------------------------------------------------------------------------
    def _trajectory(self, spec: SampleSpec, tab: Tab, plan: ScreenPlan, where: dict):
        """Plan a goal, run it to the end (recording each step's result), then rebuild the page at
        the sampled step. Returns (trajectory info, the steps to replay to reach that state, the
        screenshots before the last `history_screens` of those steps)."""
        rng = spec.rng("goal")
        dom = tab.extract()
        goals = plan_goals(dom, rng, self.config.max_steps)
        if not goals:
            raise GroundTruthError(f"{plan.family} screen offers nothing to do")
        steps: list[Step] = []
        for goal in goals:
            el = find_element(dom, goal["oid"])
            todo = [] if el["click"] and not el["offscreen"] else [scroll_step(el, dom)]
            for step in todo + goal_steps(goal, dom, tab):
                if len(steps) >= self.config.max_steps:
                    break
                if step.type != "scroll":  # positions as they are after any scroll
                    el = find_element(dom, goal["oid"])
                    if el["click"] is None:
                        raise GroundTruthError(f"{el['name']!r} is not clickable after scrolling")
                    step.point, step.box = tuple(el["click"]), tuple(el["visible_box"])
                perform(tab, step, dom["dpr"])
                dom = tab.extract()
                step.result = read_result(step, dom)
                steps.append(step)
        kinds = [s.type for s in steps]
        wanted = plan.question_type if plan.question_type in kinds else rng.choice(kinds)
        k = rng.choice([i for i, s in enumerate(steps) if s.type == wanted])
        tab = self._show(spec.key, **where)
        history, keep = [], self.config.history_screens
        for j, step in enumerate(steps[:k]):
            if j >= k - keep:
                history.append(tab.screenshot())
            perform(tab, step, dom["dpr"])
        self._live.steps_done = k
        info = {"goal": goal_text([g for g in goals if any(s.name == g["name"] for s in steps)] or goals),
                "steps": [vars(s) | {"point": list(s.point), "box": list(s.box)} for s in steps], "k": k}
        return info, [vars(s) | {"point": list(s.point), "box": list(s.box)} for s in steps[:k]], history


class HtmlCorpusGenerator(_BrowserUser):
    """The user's HTML pages: sample i shows the inventory's page for i (spread over the files), at a drawn viewport."""

    name = "html_corpus"

    def __init__(self, config: HtmlCorpusConfig, task: TaskConfig, inventory: Inventory | None):
        super().__init__(config, task)
        self.config: HtmlCorpusConfig = config
        self.inventory = inventory

    def _entry(self, spec: SampleSpec) -> str:
        if self.inventory is None or not self.inventory.units:
            raise InputError("no_input", f"no HTML pages under {self.config.path} (see inventory.jsonl)")
        return self.inventory.locate(spec.index)[0].path

    @classmethod
    def from_recipe(cls, recipe, catalog=None) -> HtmlCorpusGenerator:
        return cls(recipe.generator, recipe.task, catalog)

    def source(self, spec: SampleSpec) -> dict:
        return {"file": self._entry(spec)} if self.inventory is not None and self.inventory.units else {}

    def _file(self, rel: str) -> Path:
        root = Path(self.config.path)
        return root / rel if root.is_dir() else root

    def _where(self, truth: GroundTruth) -> dict:
        return {"path": self._file(truth.meta["source"]), "viewport": tuple(truth.meta["viewport"]),
                "scale": truth.meta["scale"]}

    def render(self, spec: SampleSpec) -> tuple[dict[str, bytes], GroundTruth]:
        rel = self._entry(spec)
        rng = spec.rng("plan")
        viewport, scale = tuple(rng.choice(self.config.viewports)), rng.choice(self.config.scales)
        path = self._file(rel)
        meta = {"family": "html", "language": "und", "font": "", "pages": 1, "theme": "", "source": rel,
                "source_page": 0, "viewport": list(viewport), "scale": scale,
                "question_type": weighted(rng, self.task.weights()), "generator_version": VERSION, "replay": []}
        try:
            if path.stat().st_size == 0:
                raise InputError("empty_page", f"{rel} is an empty file")
            tab = self._show(spec.key, path=path, viewport=viewport, scale=scale)
            screen = tab.screen()
        except InputError:
            self._fail()
            raise
        except OSError as exc:
            raise InputError("unreadable", f"{rel}: {exc}") from None
        truth = dom_truth(screen, self.name, "html", meta)
        truth.language = "und"
        found = len(targets(truth))
        if found < self.config.min_elements:
            reason = "empty_page" if screen.dom["text"] == 0 else "no_targets"
            raise InputError(reason, f"{rel}: {found} visible interactive elements (min_elements="
                                     f"{self.config.min_elements}); text characters: {screen.dom['text']}")
        return {"png": screen.png}, truth


HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".shtml")


def probe_html(config: HtmlCorpusConfig, path: Path) -> Probe:
    """One page (unit 0) when the file sniffs as HTML or is named as HTML; other files are the pages' assets.

    Reasons: `empty_page` (0 bytes), `not_html` (named .html but holding, say, a PNG).
    """
    head = read_head(path)
    named = path.suffix.lower() in HTML_SUFFIXES
    if not head:
        return Probe(reason="empty_page", detail=f"{path.name} is an empty file", kind="html")
    what = sniff(head)
    if what == "HTML" or (named and what == "text"):
        return Probe(units=(0,), kind="html")
    if named:
        return Probe(reason="not_html", detail=f"{path.name}: named as HTML but holds {what or 'unrecognised bytes'}",
                     kind="html")
    return Probe(kind="asset", info={"content": what or "binary"})
