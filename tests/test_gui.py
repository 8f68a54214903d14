"""GUI screens in real Chromium: boxes land on pixels, expressions are unambiguous, actions replay."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from omnisynth.filters.gui import GuiFilter, parse_action
from omnisynth.generators.corpus import FileEntry, Inventory, Probe
from omnisynth.generators.gui.browser import Browser
from omnisynth.generators.gui.generator import GuiGenerator, dom_truth
from omnisynth.generators.gui.actions import Step, read_result
from omnisynth.tasks.gui import norm, resolve, visible
from omnisynth.pipelines.dag import build_stages
from omnisynth.pipelines.stages import run_chain
from omnisynth.schemas.recipe import load_recipe
from omnisynth.schemas.sample import Sample
from omnisynth.schemas.truth import SampleSpec, WorkItem

COLOURS = {"red": (255, 0, 0), "green": (0, 200, 0), "blue": (0, 0, 255), "yellow": (255, 220, 0),
           "magenta": (255, 0, 255)}
# CSS boxes: left, top, width, height
PAGE = """<!doctype html><html><body style="margin:0;background:#ffffff">
<button data-oid="red" style="position:absolute;left:10px;top:10px;width:80px;height:30px;background:#ff0000;
 color:#ff0000;border:0;padding:0">Red</button>
<button data-oid="green" style="position:absolute;left:120px;top:10px;width:80px;height:30px;background:#00c800;
 color:#00c800;border:0;padding:0">Green</button>
<div style="position:absolute;left:160px;top:0;width:100px;height:60px;background:#000000"></div>
<button data-oid="hidden" style="position:absolute;left:170px;top:20px;width:20px;height:20px;z-index:-1">Hidden</button>
<button data-oid="far" style="position:absolute;left:3000px;top:10px;width:40px;height:20px">Far</button>
<div style="position:absolute;left:10px;top:100px;width:100px;height:40px;overflow:hidden">
 <button data-oid="blue" style="position:absolute;left:50px;top:0;width:100px;height:30px;background:#0000ff;
  color:#0000ff;border:0;padding:0">Blue</button></div>
<a data-oid="yellow" href="#y" style="position:absolute;left:301px;top:201px;width:57px;height:23px;display:block;
 background:#ffdc00;color:#ffdc00">Yellow</a>
</body></html>"""
EXPECT = {"red": (10, 10, 90, 40), "green": (120, 10, 200, 40), "blue": (60, 100, 110, 130),
          "yellow": (301, 201, 358, 224)}


@pytest.fixture(scope="module")
def browser():
    b = Browser(timeout_s=20)
    yield b
    b.close()


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def colour_box(img: np.ndarray, rgb) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero((np.abs(img - np.array(rgb)).sum(axis=2) <= 6))
    assert len(xs), f"no pixel of colour {rgb}"
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


@pytest.mark.parametrize("scale", [1.0, 1.5, 2.0])
def test_boxes_are_exactly_where_the_pixels_are(browser, scale):
    screen = browser.open(html=PAGE, viewport=(640, 360), scale=scale).screen()
    img = pixels(screen.png)
    assert img.shape[:2] == (round(360 * scale), round(640 * scale)) == (screen.height, screen.width)
    els = {e["oid"]: e for e in screen.dom["elements"]}
    for name, css in EXPECT.items():
        want = [v * scale for v in css]
        assert els[name]["visible_box"] == pytest.approx(want, abs=0.01), name
        found = colour_box(img, COLOURS[name])
        if name == "green":  # the black overlay covers its right half: the pixels end where it starts
            assert found == pytest.approx((want[0], want[1], 160 * scale, want[3]), abs=1)
        else:
            assert found == pytest.approx(want, abs=1), name
        x, y = els[name]["click"]
        assert tuple(img[int(y), int(x)]) == pytest.approx(COLOURS[name], abs=6), f"{name} click lands off its colour"
    assert els["green"]["click"][0] < 160 * scale  # the click point avoids the covered half
    assert 0 < els["green"]["visible_fraction"] < 1
    assert els["hidden"]["occluded"] and els["hidden"]["click"] is None
    assert els["far"]["offscreen"]
    assert els["blue"]["box"][2] == pytest.approx(160 * scale)  # unclipped box is kept beside the visible one


def test_live_dom_names_roles_and_states(browser):
    html = """<!doctype html><body><label for=n>Full name</label><input id=n value="Ada">
    <button aria-label="Close dialog">x</button><input type=checkbox id=c checked><label for=c>Remember me</label>
    <select aria-label="Size"><option>S</option><option selected>M</option></select>
    <div role=switch aria-checked=false tabindex=0>Wi-Fi</div><a href="#">Docs</a>
    <button disabled>Gone</button><button style="visibility:hidden">Ghost</button></body>"""
    dom = browser.open(html=html, viewport=(800, 600)).extract()
    got = {(e["role"], e["name"]): e for e in dom["elements"]}
    assert got[("textbox", "Full name")]["value"] == "Ada"
    assert ("button", "Close dialog") in got
    assert got[("checkbox", "Remember me")]["checked"] == "true"
    assert got[("combobox", "Size")]["value"] == "M"
    assert got[("switch", "Wi-Fi")]["checked"] == "false"
    assert ("link", "Docs") in got
    assert got[("button", "Gone")]["disabled"]
    assert ("button", "Ghost") not in got


TOOLBAR = """<!doctype html><style>body{margin:40px;font:16px sans-serif} .bar{display:flex;gap:24px;margin-top:160px}
button{font-size:16px;padding:8px 16px;position:relative} .tip{position:absolute;left:0;top:150%;width:300px;background:#00c800}
.sr{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0,0,0,0);border:0}</style>
<div class="bar"><button>New</button><button>Open</button><button>Save<span class="tip" style="visibility:hidden;top:auto;
 bottom:150%;left:50%;transform:translateX(-50%)">Save your work to the cloud</span></button><button>Export<span
 style="opacity:0"><b class="tip">Export as PDF, PNG or SVG files</b></span></button><button>Print<span class="tip"
 style="display:none">Print the drawing</span><span hidden>Printer</span> <span class="tip" style="left:-9999px;top:0">Ctrl+P
 </span></button><button>Share<span class="sr">with your team</span><span class="tip" style="clip-path:inset(50%)">Copy a
 link</span></button><button style="overflow:hidden">Redo<span class="tip">Redo the last change</span></button><button>Undo<i
 style="position:absolute;right:-8px;top:-8px;width:16px;height:16px;background:#f00"></i></button><button><svg width="16"
 height="16"><rect width="16" height="16"/></svg><span class="sr">Close</span></button></div>"""


def test_boxes_names_and_relations_come_from_what_is_painted(browser):
    """Tooltips hidden in buttons (field case09): visibility, opacity, display:none, hidden, off the page, the
    .sr-only and clip-path clips, a parent's overflow: none adds to a box, a name or a text; a painted badge does."""
    screen = (tab := browser.open(html=TOOLBAR, viewport=(1280, 720))).screen()
    img = pixels(screen.png)
    assert not (np.abs(img - COLOURS["green"]).sum(axis=2) <= 6).any()  # no tooltip paints (theirs is green)
    want = tab.evaluate("""() => Array.from(document.querySelectorAll('button'), b => {
      const r = b.getBoundingClientRect(), q = (b.querySelector('i') || b).getBoundingClientRect();
      return [Math.min(r.left, q.left), Math.min(r.top, q.top), Math.max(r.right, q.right), Math.max(r.bottom, q.bottom)]; })""")
    els = screen.dom["elements"]
    assert [e["name"] for e in els] == ["New", "Open", "Save", "Export", "Print", "Share", "Redo", "Undo", "Close"]
    assert [e["text"] for e in els] == [e["name"] for e in els[:-1]] + [""]  # Close: an icon named by .sr-only
    for e, box in zip(els, want, strict=True):
        assert e["visible_box"] == pytest.approx(box, abs=0.01) and e["box"] == e["visible_box"], e["name"]
        assert e["visible_fraction"] == 1, e["name"]
    _, top, right, _ = colour_box(img, COLOURS["red"])  # Undo's badge sticks out at the top right: it paints
    assert (els[7]["box"][1], els[7]["box"][2]) == pytest.approx((top, right), abs=1)
    shown = visible(dom_truth(screen, "gui", "toolbar", {}))
    for rel, anchor, answer in [("right_of", "Open", "Save"), ("left_of", "Print", "Export"), ("right_of", "Export", "Print")]:
        assert [e.text for e in resolve(shown, rel, "", "button", anchor)] == [answer], (rel, anchor)


def run_items(recipe_name: str, n: int, **overrides):
    recipe = load_recipe(recipe_name, [(k.replace("__", "."), v) for k, v in overrides.items()])
    stages = build_stages(recipe, "/nonexistent")
    items = run_chain(stages[:-1], [WorkItem(SampleSpec(recipe.name, 0, i, 0)) for i in range(n)])
    return recipe, stages, items


@pytest.fixture(scope="module")
def grounding_items():
    recipe, stages, items = run_items("gui_grounding", 12, generator__scales=[1.0, 1.5])
    yield recipe, stages, items
    stages[0].generator.close()


def test_generated_targets_are_painted_exactly_under_their_boxes(grounding_items, browser):
    """Repaint each target in a unique colour in a fresh browser: the colour fills the sample's box."""
    _, _, items = grounding_items
    kept = [it for it in items if it.rejection is None]
    assert len(kept) >= 10, [it.rejection for it in items if it.rejection]
    assert {it.sample["task"].split("/")[1] for it in kept} == {"label", "function", "position"}
    for it in kept:
        Sample.model_validate(it.sample, strict=True)
        g = it.sample["grounding"][0]
        assert all(type(v) is float for v in g["bbox_px"] + g["point_px"])  # one JSON type for Arrow readers
        oid = next(f.attrs["oid"] for f in it.truth.facts if f.kind == "element" and list(f.bbox) == pytest.approx(g["bbox_px"], abs=0.01))
        tab = browser.open(html=it.truth.meta["html"], viewport=tuple(it.truth.meta["viewport"]),
                           scale=it.truth.meta["scale"])
        tab.evaluate("""oid => { const el = document.querySelector(`[data-oid="${oid}"]`);
          const r = el.getBoundingClientRect(), st = el.style;
          st.setProperty('width', r.width + 'px', 'important'); st.setProperty('height', r.height + 'px', 'important');
          const s = document.createElement('style'); s.textContent =
          `[data-oid="${oid}"], [data-oid="${oid}"] * { background: #ff00ff !important; color: #ff00ff !important;
           border-color: #ff00ff !important; outline: none !important; box-shadow: none !important;
           appearance: none !important; }`; document.head.appendChild(s); }""", oid)
        img = pixels(tab.screenshot())
        assert (np.abs(img - np.array(COLOURS["magenta"])).sum(axis=2) <= 6).any(), it.sample["question"]
        x0, y0, x1, y1 = colour_box(img, COLOURS["magenta"])
        bx = g["bbox_px"]
        assert bx[0] - 1 <= x0 and bx[1] - 1 <= y0 and x1 <= bx[2] + 1 and y1 <= bx[3] + 1, (it.sample["question"], bx, (x0, y0, x1, y1))
        px, py = g["point_px"]
        assert tuple(img[int(py), int(px)]) == (255, 0, 255), f"click point of {it.sample['question']!r} is not on the target"


def test_the_filter_rejects_ambiguous_expressions_and_bad_points(grounding_items):
    recipe, stages, items = grounding_items
    gui = next(f for f in stages[2].filters if isinstance(f, GuiFilter))
    item = next(it for it in items if it.rejection is None and it.sample["derivation"]["relation"] == "label")
    assert gui.check(item)[0]

    def shared_name(it) -> str | None:
        """A name two visible elements of the screen carry (a dashboard's repeated 'More options')."""
        names = [norm(f.text) for f in visible(it.truth)]
        return next((f.text for f in visible(it.truth) if names.count(norm(f.text)) > 1), None)

    # the seeded screens include one with a repeated name: the ambiguity check always runs
    crowded = next((it for it in items if it.rejection is None and shared_name(it)), None)
    assert crowded is not None, "no generated screen repeats a name: the ambiguity check would go untested"
    assert gui.check(crowded)[0]

    def variant(of=item, **changes):
        clone = WorkItem(of.spec, of.media, of.truth, json.loads(json.dumps(of.sample)))
        for path, value in changes.items():
            node = clone.sample
            *head, last = path.split("__")
            for part in head:
                node = node[int(part)] if part.isdigit() else node[part]
            node[last] = value
        return gui.check(clone)

    g = item.sample["grounding"][0]
    assert variant(grounding__0__point_px=[g["bbox_px"][2] + 5, g["point_px"][1]])[1] == "click_outside_target"
    assert variant(derivation__target="No such control anywhere")[1] == "expression_matches_nothing"
    verdict = variant(crowded, derivation__relation="label", derivation__target=shared_name(crowded),
                      derivation__role="", derivation__anchor="")
    assert verdict[1] == "ambiguous_expression", verdict
    assert variant(answer="[0, 0, 1, 1]")[1] == "answer_box_mismatch"


def test_click_on_a_covered_part_fails_the_live_hit_test(tmp_path, browser):
    from omnisynth.filters.gui import GuiFilter
    from omnisynth.tasks.gui import element_grounding

    (tmp_path / "page.html").write_text(PAGE.replace("<body", "<body><button>Anchor</button><span").replace(
        "</body>", "</span></body>"))
    recipe = load_recipe("html_corpus_grounding", [("generator.path", str(tmp_path)),
                                                   ("generator.viewports", [[640, 360]])])
    stages = build_stages(recipe, "/nonexistent", Inventory(str(tmp_path), [FileEntry("page.html", 1, 0, Probe((0,)))],
                                                            0, None, "pages"))
    try:
        item = run_chain(stages[:-1], [WorkItem(SampleSpec(recipe.name, 0, 0, 0))])[0]
        assert item.rejection is None, item.rejection
        green = next(f for f in item.truth.facts if f.kind == "element" and f.attrs["oid"] == "green")
        g = element_grounding(item.truth, green, "Green")
        g["point_px"] = [green.bbox[2] - 5, (green.bbox[1] + green.bbox[3]) / 2]  # under the black overlay
        item.sample.update(grounding=[g], answer="[" + ", ".join(map(str, g["bbox_1000"])) + "]",
                           derivation={**item.sample["derivation"], "relation": "label", "target": "Green",
                                       "role": "button", "anchor": ""})
        verdict = GuiFilter(stages[0].generator).check(item)
        assert verdict[:2] == (False, "click_not_on_target"), verdict
    finally:
        stages[0].generator.close()


def test_state_questions_are_checked_against_the_dom():
    recipe, stages, items = run_items("gui_qa", 16)
    try:
        kept = [it for it in items if it.rejection is None]
        assert len(kept) >= 14, [it.rejection for it in items if it.rejection]
        gui = next(f for f in stages[2].filters if isinstance(f, GuiFilter))
        kinds = set()
        for it in kept:
            kinds.add(it.sample["task"].split("/")[1])
            wrong = dict(it.sample, answer=it.sample["answer"] + "7")
            verdict = gui.check(WorkItem(it.spec, it.media, it.truth, wrong))
            assert not verdict[0] and verdict[1] in {"state_mismatch", "count_mismatch", "text_mismatch"}, verdict
        assert len(kinds) >= 4, kinds
    finally:
        stages[0].generator.close()


def test_trajectories_replay_from_the_sample_alone(browser):
    """Replay history + action from the sample JSON in a fresh browser: the recorded result comes back."""
    recipe, stages, items = run_items("gui_actions", 10)
    try:
        kept = [it for it in items if it.rejection is None]
        assert len(kept) >= 9, [it.rejection for it in items if it.rejection]
        seen = set()
        for it in kept:
            act, meta = it.sample["action"], it.truth.meta
            w, h = it.sample["media"][0]["width"], it.sample["media"][0]["height"]
            tab = browser.open(html=meta["html"], viewport=tuple(meta["viewport"]), scale=meta["scale"])
            dpr = meta["scale"]
            for answer in act["history"] + [it.sample["answer"]]:
                step = parse_action(answer)
                assert step, answer
                seen.add(step["type"])
                point = (step.get("x", 0) / 1000 * w, step.get("y", 0) / 1000 * h)
                if step["type"] == "click":
                    tab.click(*point, dpr)
                elif step["type"] == "type":
                    tab.type(step["text"])
                elif step["type"] == "select":
                    tab.select(tab.owner_at([point])[0], step["text"])
                else:
                    tab.scroll(*point, step["dy"] / dpr, dpr)
            last = parse_action(it.sample["answer"])
            target = next(f for f in it.truth.facts if f.kind == "element" and f.text == it.sample["derivation"]["target"]) \
                if last["type"] != "scroll" else None
            step = Step(last["type"], target.attrs["oid"] if target else "", it.sample["derivation"]["target"],
                        it.sample["derivation"]["role"], (0, 0), text=last.get("text", ""))
            assert read_result(step, tab.extract()) == act["result"], it.sample["question"]
        assert "click" in seen and len(seen) >= 2
    finally:
        stages[0].generator.close()


def test_same_sample_renders_byte_identical(browser):
    recipe = load_recipe("gui_grounding")
    a, b = GuiGenerator(recipe.generator, recipe.task), GuiGenerator(recipe.generator, recipe.task)
    try:
        for i in (3, 4):
            spec = SampleSpec(recipe.name, 0, i, 0)
            ma, ta = a.render(spec)
            mb, tb = b.render(spec)
            assert ma["png"] == mb["png"]
            assert [f.bbox for f in ta.facts] == [f.bbox for f in tb.facts]
    finally:
        a.close()
        b.close()


def test_pro_screens_are_dense_4k_archetypes_and_targets_tiny():
    """ScreenSpot-Pro-like 4K screens: an archetype of a group in a platform look (in meta), hundreds of
    visible controls (median >= 300), targets at most 0.07% of the screen (median), ui_type recorded."""
    from omnisynth.filters.gui import _element_at
    from omnisynth.generators.gui.archetypes import ARCHETYPES
    from omnisynth.tasks.gui import target_kind

    recipe, stages, items = run_items("gui_pro_grounding", 6, generator__viewports=[[3840, 2160]])
    try:
        kept = [it for it in items if it.rejection is None]
        assert len(kept) == 6, [it.rejection for it in items if it.rejection]
        for it in kept:
            Sample.model_validate(it.sample, strict=True)
            meta = it.sample["meta"]
            assert it.sample["media"][0]["width"] == 3840
            assert ARCHETYPES[meta["archetype"]].group == meta["group"] and meta["look"] in ("windows", "macos", "linux")
            g = it.sample["grounding"][0]
            assert g["area_fraction"] == pytest.approx(
                (g["bbox_px"][2] - g["bbox_px"][0]) * (g["bbox_px"][3] - g["bbox_px"][1]) / (g["image_size"][0] * g["image_size"][1]), rel=1e-3)
            assert it.sample["derivation"]["ui_type"] == target_kind(_element_at(it, g["bbox_px"]))
        assert np.median([len(visible(it.truth)) for it in kept]) >= 300
        assert np.median([it.sample["grounding"][0]["area_fraction"] for it in kept]) <= 0.0007
    finally:
        stages[0].generator.close()


def test_action_samples_can_carry_the_screens_of_earlier_steps():
    recipe, stages, items = run_items("gui_actions", 8, generator__history_screens=2)
    try:
        kept = [it for it in items if it.rejection is None]
        assert len(kept) >= 7
        for it in kept:
            Sample.model_validate(it.sample, strict=True)
            assert set(it.media) == {"png", "h1.png", "h2.png"}  # the same members in every sample
            k = it.sample["action"]["step"]
            real = min(k, 2)
            images = [p["image"] for p in it.sample["messages"][0]["content"] if p["type"] == "image"]
            assert images == [f"h{i}.png" for i in range(real, 0, -1)] + ["png"]  # oldest first, current last
            assert [m["member"] for m in it.sample["media"]] == images and it.sample["meta"]["pages"] == real + 1
            assert it.sample["grounding"] == [] or it.sample["grounding"][0]["page"] == real
            for i in range(1, 3):
                size = Image.open(io.BytesIO(it.media[f"h{i}.png"])).size
                assert size == ((it.sample["media"][0]["width"], it.sample["media"][0]["height"]) if i <= real else (1, 1))
            if real and it.sample["action"]["history"][-1].startswith("type("):
                assert it.media["h1.png"] != it.media["png"]  # typing changed the screen
    finally:
        stages[0].generator.close()


def test_negative_samples_ask_for_a_control_the_screen_lacks_and_wrong_ones_are_caught():
    from omnisynth.tasks.gui import GUI_REFUSAL, norm

    recipe, stages, items = run_items("gui_grounding", 6, task__question_types={"absent": 1},
                                      generator__families=["settings", "dashboard", "mail"])
    try:
        kept = [it for it in items if it.rejection is None]
        assert len(kept) == 6, [it.rejection for it in items if it.rejection]
        gui = next(f for f in stages[2].filters if isinstance(f, GuiFilter))
        for it in kept:
            s = it.sample
            Sample.model_validate(s, strict=True)
            target = s["derivation"]["target"]
            assert s["answer"] == GUI_REFUSAL and s["grounding"] == [] and s["derivation"]["op"] == "absent"
            assert f"'{target}'" in s["question"]
            text = norm(it.truth.meta["screen_text"])
            assert text and norm(target) not in text  # the page's own innerText does not hold it
            assert not [f for f in it.truth.facts if norm(target) in norm(f.text)]
        item = kept[0]
        shown = next(f.text for f in item.truth.facts if f.kind == "element" and f.text)  # something on the screen
        for change, reason in (({"answer": "[1, 2, 3, 4]"}, "refusal_mismatch"),
                               ({"derivation": {**item.sample["derivation"], "target": shown}}, "absent_target_present")):
            verdict = gui.check(WorkItem(item.spec, item.media, item.truth, {**item.sample, **change}))
            assert verdict[:2] == (False, reason), verdict
    finally:
        stages[0].generator.close()


@pytest.mark.parametrize("targets", ["icon", "text"])
def test_targets_can_be_held_to_icon_only_or_text_controls(targets):
    from omnisynth.filters.gui import _element_at
    from omnisynth.tasks.gui import target_kind

    recipe, stages, items = run_items("gui_pro_grounding", 5, task__targets=targets,
                                      generator__viewports=[[1920, 1080]])
    try:
        kept = [it for it in items if it.rejection is None]
        assert len(kept) >= 4, [it.rejection for it in items if it.rejection]
        for it in kept:
            el = _element_at(it, it.sample["grounding"][0]["bbox_px"])
            assert target_kind(el) == targets, (it.sample["question"], el.attrs)
            if targets == "icon":  # a picture (a Breeze icon) or one symbol: the name lives in aria-label only
                from html import unescape

                from omnisynth.generators.gui.iconset import BREEZE, CONTEXTS

                html = it.truth.meta["html"]
                tag = html[html.index(f'data-oid="{el.attrs["oid"]}"'):]
                inner = tag[tag.index(">") + 1:tag.index("</button>")]
                theme = any((BREEZE / c / "22" / f'{el.attrs["icon"]}.svg').is_file() for c in CONTEXTS)
                assert (inner.startswith('<img src="data:image/svg+xml') and theme) or len(unescape(inner)) == 1, inner[:200]
    finally:
        stages[0].generator.close()


def test_icon_targets_are_refused_for_tasks_without_elements():
    from omnisynth.schemas.recipe import RecipeError

    with pytest.raises(RecipeError, match="task.targets|targets 'icon' applies to GUI grounding tasks"):
        load_recipe("doc_qa", [("task.targets", "icon")])


def test_episodes_replay_to_their_final_state_and_wrong_actions_are_caught():
    """gui_episode: a screenshot before each step and after the last, the whole action sequence as the
    answer; the filter replays the answered actions on a fresh page and reads the settings they leave."""
    recipe, stages, items = run_items("gui_episode", 3, generator__viewports=[[1280, 800]])
    try:
        kept = [it for it in items if it.rejection is None]
        assert len(kept) == 3, [it.rejection for it in items if it.rejection]
        gui = next(f for f in stages[2].filters if isinstance(f, GuiFilter))
        for it in kept:
            s, ep = it.sample, it.truth.meta["episode"]
            Sample.model_validate(s, strict=True)
            lines = s["answer"].splitlines()
            assert len(lines) == len(ep["steps"]) >= 3 and lines[-1].startswith("click(")
            assert [m["member"] for m in s["media"]] == [f"s{i:02d}.png" for i in range(len(lines) + 1)]
            assert set(it.media) == {f"s{i:02d}.png" for i in range(11)}  # max_steps + 1 members in every sample
            assert [g["page"] for g in s["grounding"]] == [i for i, st in enumerate(ep["steps"]) if st["type"] != "type"]
            assert s["derivation"]["labels"] == [f"{k} = {v}" for k, v in ep["final"].items()]
            assert it.media["s00.png"] != it.media[f"s{len(lines):02d}.png"]  # the episode changed the screen
            for k, v in ep["final"].items():  # the last screenshot's settings list shows the goal's values
                assert any(f.kind == "setting" and f.attrs["name"] == k and f.text == v for f in it.truth.facts)
        it = kept[0]
        typed = next((i for i, st in enumerate(it.truth.meta["episode"]["steps"]) if st["type"] in ("type", "select")), None)
        lines = it.sample["answer"].splitlines()

        def verdict(answer=None, episode=None, labels=None):
            meta = {**it.truth.meta, "episode": episode or it.truth.meta["episode"]}
            truth = type(it.truth)(**{**vars(it.truth), "meta": meta})
            derivation = {**it.sample["derivation"], "labels": labels or it.sample["derivation"]["labels"]}
            sample = {**it.sample, "answer": answer or it.sample["answer"], "derivation": derivation}
            return gui.check(WorkItem(it.spec, it.media, truth, sample))[:2]

        assert verdict() == (True, "")
        assert verdict(answer="\n".join(lines[:-1] + ["click(999, 999)"]))[1] == "click_outside_target"
        assert verdict(answer="\n".join(lines[:-1]))[1] == "episode_length"
        if typed is not None:
            wrong = lines[:typed] + [lines[typed].replace('"', '"x', 1)] + lines[typed + 1:]
            assert verdict(answer="\n".join(wrong))[1] == "wrong_text"
        # a recorded goal the actions do not reach: the replay reads the page's real settings
        ep = it.truth.meta["episode"]
        key = next(iter(ep["final"]))
        planted = {**ep, "final": {**ep["final"], key: "never set"}}
        assert verdict(episode=planted, labels=[f"{k} = {v}" for k, v in planted["final"].items()])[1] == \
            "episode_final_state"
    finally:
        stages[0].generator.close()


@pytest.mark.parametrize("language, words", [("zh", {"保存更改", "取消", "账户", "通知"}),
                                             ("ja", {"変更を保存", "キャンセル", "アカウント", "通知"})])
def test_screens_in_chinese_and_japanese_name_their_controls_in_that_language(language, words):
    """generator.languages: the interface words as that language's software words them, the questions
    quote them as the screen shows them, and the running text is the handbook in that language."""
    recipe, stages, items = run_items("gui_grounding", 2, generator__families=["settings"],
                                      generator__languages={language: 1.0}, generator__viewports=[[1280, 720]],
                                      task__question_types={"label": 1})
    try:
        kept = [it for it in items if it.rejection is None]
        assert len(kept) == 2, [it.rejection for it in items if it.rejection]
        for it in kept:
            names = {e.text for e in visible(it.truth)}
            assert len(words & names) >= 2, names
            assert it.sample["meta"]["language"] == language and f'lang="{language}"' in it.truth.meta["html"]
            assert it.sample["derivation"]["target"] in names and f"'{it.sample['derivation']['target']}'" in it.sample["question"]
    finally:
        stages[0].generator.close()
