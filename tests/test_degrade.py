"""The degrade stage: pixels and geometry go through the same transform; what cannot be seen is rejected.

Checked on the pixels, not on the intent: markers drawn at known points are found (by their
ink) where the ground truth says they went; Tesseract reads clean pages well, degraded ones
worse but above a floor, and reads each answer inside its transformed quadrilateral.
"""

from __future__ import annotations

import copy
import difflib
import json
import random
import re
import tarfile
from collections import Counter

import cv2
import numpy as np
import pytest

from omnisynth.degrade import Degrader, page_point, to_bgr
from omnisynth.degrade.geometry import plan_frame, warp_points
from omnisynth.degrade.visibility import covered_fraction, why_hidden
from omnisynth.filters.base import make_filters, run_filters
from omnisynth.pipelines.dag import build_stages
from omnisynth.pipelines.stages import run_stages_locally
from omnisynth.schemas.degrade import DegradeConfig
from omnisynth.schemas.recipe import RecipeError, load_recipe, parse_overrides
from omnisynth.schemas.truth import Fact, GroundTruth, PageTruth, SampleSpec, WorkItem

PHOTOMETRIC_OFF = {name: {"p": 0.0, "strength": [0, 0]} for name in
                   ("paper", "fade", "bleed", "crease", "lighting", "shadow", "blur", "noise", "lowres", "jpeg",
                    "subpixel", "cursor", "window")}


def marker_page(w: int, h: int, n: int, seed: int) -> tuple[np.ndarray, list[Fact]]:
    """A white page with n black 7x7 squares at random places, each a shape fact with its box."""
    rng = random.Random(seed)
    img = np.full((h, w, 3), 255, dtype=np.uint8)
    facts = []
    placed: list[tuple[int, int]] = []
    for i in range(n):
        while True:  # apart from each other by more than the search window
            x, y = rng.randrange(60, w - 60), rng.randrange(60, h - 60)
            if all(abs(x - a) > 40 or abs(y - b) > 40 for a, b in placed):
                break
        placed.append((x, y))
        img[y:y + 7, x:x + 7] = 0
        facts.append(Fact("chart_mark", 0, (float(x), float(y), float(x + 7), float(y + 7)), f"m{i}", {"shape": True}))
    return img, facts


def ink_centroid(img: np.ndarray, centre, radius: int = 10, threshold: float = 0.25) -> tuple[float, float]:
    """Where the ink is near `centre`: the mean of pixel centres weighted by darkness below the
    window's paper (its brightest tenth), less `threshold` of the paper-to-ink contrast (so that
    sensor noise on the paper does not count as ink)."""
    grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).astype(np.float64)
    cx, cy = int(centre[0]), int(centre[1])
    win = grey[cy - radius:cy + radius + 1, cx - radius:cx + radius + 1]
    paper, ink = np.percentile(win, 90), win.min()
    weight = np.clip(paper - win - threshold * (paper - ink), 0, None)
    ys, xs = np.mgrid[cy - radius:cy + radius + 1, cx - radius:cx + radius + 1] + 0.5
    return float((weight * xs).sum() / weight.sum()), float((weight * ys).sum() / weight.sum())


def drawn_centres(truth: GroundTruth, seed: int) -> dict[str, np.ndarray]:
    """Each marker's centre as drawn, carried into the frame by the page's homography."""
    H = np.asarray(truth.pages[0].frame) if truth.pages[0].frame is not None else np.eye(3)
    return {m.text: warp_points(H, [((m.bbox[0] + m.bbox[2]) / 2, (m.bbox[1] + m.bbox[3]) / 2)])[0]
            for m in marker_page(900, 1200, 40, seed)[1]}


def degrade_markers(config: DegradeConfig, seed: int):
    img, facts = marker_page(900, 1200, 40, seed)
    truth = GroundTruth("test", "markers", "en", [PageTruth(0, "png", 900, 1200, [], [], [])], facts)
    media, out = Degrader(config).apply(SampleSpec("markers", 0, seed, 0), {"png": img}, truth)
    return to_bgr(next(iter(media.values()))), out


@pytest.mark.parametrize("preset", ["scan", "photo", "scene", "screen"])
def test_markers_are_found_where_the_truth_says_they_went(preset):
    """Every preset's full set of effects at its default strength and at twice it."""
    errors, found = [], 0
    for intensity, seed in [(1.0, 1), (1.0, 2), (2.0, 3)]:
        img, truth = degrade_markers(DegradeConfig(preset=preset, intensity=intensity, min_target_px=0), seed)
        page = truth.pages[0]
        assert img.shape[:2] == (page.height, page.width)
        centres = drawn_centres(truth, seed)
        for f in truth.facts:
            centre = centres[f.text]
            assert np.allclose(centre, np.mean(f.quad, axis=0), atol=0.01)  # the truth's quad is where it was drawn
            r = 10
            if any(0 < np.hypot(*(centre - other)) < 2 * r + 7 for other in centres.values()):
                continue  # a shrunken screen brings markers close: one search window per marker
            if not (r <= centre[0] < page.width - r and r <= centre[1] < page.height - r):
                continue
            window = [(centre[0] - r, centre[1] - r), (centre[0] + r, centre[1] - r), (centre[0] + r, centre[1] + r),
                      (centre[0] - r, centre[1] + r)]
            if covered_fraction(window, page.covers) > 0:  # a cursor's ink beside the marker is not the marker's
                continue
            got = ink_centroid(img, centre, r)
            errors.append(float(np.hypot(got[0] - centre[0], got[1] - centre[1])))
            found += 1
    assert found >= 75, found  # most: some are hidden (out of frame, covered) or crowded on a shrunken screen
    assert np.median(errors) < 0.35 and max(errors) < 1.0, (np.median(errors), max(errors))


def test_geometry_alone_is_exact_to_a_tenth_of_a_pixel():
    config = DegradeConfig(preset="photo", effects=PHOTOMETRIC_OFF, format="png")
    errors = []
    for seed in range(4):
        img, truth = degrade_markers(config, seed)
        page = truth.pages[0]
        assert page.frame is not None and page.width != 900
        for f in truth.facts:
            centre = drawn_centres(truth, seed)[f.text]
            got = ink_centroid(img, centre, threshold=0.0)  # no noise here: every bit of darkness is ink
            errors.append(float(np.hypot(got[0] - centre[0], got[1] - centre[1])))
            x0, y0, x1, y1 = next(m for m in marker_page(900, 1200, 40, seed)[1] if m.text == f.text).bbox
            assert np.allclose(page_point(page, centre), ((x0 + x1) / 2, (y0 + y1) / 2), atol=1e-6)
    assert np.median(errors) < 0.03 and max(errors) < 0.1, (np.median(errors), max(errors))


def test_a_frame_maps_the_page_corners_inside_with_background_around():
    rng = random.Random(0)
    frame = plan_frame(rng, {"rotate": 3.0, "perspective": 0.05, "margin": 0.1}, 800, 1000)
    corners = warp_points(frame.H, [(0, 0), (800, 0), (800, 1000), (0, 1000)])
    assert (corners >= 0).all() and (corners[:, 0] <= frame.width).all() and (corners[:, 1] <= frame.height).all()
    assert frame.width > 800 and frame.height > 1000
    inv = frame.inverse_point(*corners[2])
    assert np.allclose(inv, (800, 1000), atol=1e-6)


def test_the_same_sample_degrades_to_the_same_bytes():
    config = DegradeConfig(preset={"scan": 1, "photo": 1})
    a = degrade_markers(config, 7)
    b = degrade_markers(config, 7)
    assert np.array_equal(a[0], b[0]) and a[1].meta["degradations"] == b[1].meta["degradations"]
    assert [f.quad for f in a[1].facts] == [f.quad for f in b[1].facts]
    presets = {degrade_markers(config, s)[1].meta["degradations"][0] for s in range(8)}
    assert presets == {"preset=scan", "preset=photo"}


# -- what cannot be seen -------------------------------------------------------------------------------

def test_why_hidden_names_out_of_frame_too_small_and_covered():
    cfg = DegradeConfig(preset="scan")
    square = [(10, 10), (60, 10), (60, 30), (10, 30)]
    assert why_hidden(square, 12.0, 100, 100, [], cfg) == ""
    assert why_hidden([(x + 60, y) for x, y in square], 12.0, 100, 100, [], cfg) == "out_of_frame"
    assert why_hidden(square, 5.0, 100, 100, [], cfg) == "too_small"
    assert why_hidden([(10, 10), (14, 10), (14, 30), (10, 30)], None, 100, 100, [], cfg) == "too_small"
    cover = [(50, 0), (100, 0), (100, 100), (50, 100)]  # covers x >= 50: a fifth of the square
    assert covered_fraction(square, [cover]) == pytest.approx(0.2, abs=0.02)
    assert why_hidden(square, 12.0, 100, 100, [cover], cfg) == "covered"
    assert why_hidden(square, 12.0, 100, 100, [[(90, 90), (99, 90), (99, 99)]], cfg) == ""


def degraded_items(recipe_name: str, n: int, *overrides: str, annotate: bool = True):
    recipe = load_recipe(recipe_name, parse_overrides(list(overrides)))
    stages = build_stages(recipe, "/tmp/unused")[:-1]  # render, degrade, annotate, filter (no writer)
    if not annotate:
        stages = stages[:2]
    items = [WorkItem(SampleSpec(recipe.name, recipe.seed, i, 0)) for i in range(n)]
    return run_stages_locally(stages, items), recipe


def test_facts_pushed_out_of_frame_or_shrunk_are_hidden_and_the_rest_kept():
    crop = json.dumps({"crop": {"p": 1.0, "strength": [0.15, 0.2]}})
    items, _ = degraded_items("doc_qa", 12, "degrade.preset=none", f"degrade.effects={crop}")
    hidden = Counter()
    for it in items:
        hidden.update(it.truth.meta["hidden"])
        if it.rejection is not None:  # a side cut off that held every fact the question types need
            assert it.rejection.reason == "no_question_possible", it.rejection
            continue
        page = it.truth.pages[0]
        for g in it.sample["grounding"]:
            assert all(0 <= x <= page.width and 0 <= y <= page.height for x, y in g["quad_px"])
    assert hidden["out_of_frame"] >= 12 and sum(it.rejection is None for it in items) >= 6, hidden
    small = json.dumps({"scale": {"p": 1.0, "strength": [0.75, 0.75]}})
    items, _ = degraded_items("doc_qa", 12, "degrade.preset=none", f"degrade.effects={small}")
    hidden = Counter()
    for it in items:
        hidden.update(it.truth.meta["hidden"])
        if it.rejection is None:
            from omnisynth.degrade import text_height

            assert all(text_height(it.truth.pages[0], e["quad_px"]) >= 7 for e in it.sample["evidence"]
                       if e["kind"] == "text")
    assert hidden["too_small"] >= 24, hidden


def test_the_visible_filter_rejects_boxes_moved_out_of_frame_or_under_an_overlay():
    window = json.dumps({"window": {"p": 1.0, "strength": [0.45, 0.5]}})
    items, recipe = degraded_items("doc_qa", 10, "degrade.preset=scan", f"degrade.effects={window}",
                                   "task.question_types={region: 1, key_value: 1}")
    kept = [it for it in items if it.rejection is None]
    assert len(kept) >= 8 and all(it.truth.pages[0].covers for it in kept)
    assert sum(it.truth.meta["hidden"].get("covered", 0) for it in items) >= 10
    filters = make_filters(recipe)
    reasons = Counter()
    for it in kept:
        page = it.truth.pages[0]
        (wx0, wy0), _, (wx1, wy1), _ = page.covers[0]
        cx, cy = (max(wx0, 0) + min(wx1, page.width)) / 2, (max(wy0, 0) + min(wy1, page.height)) / 2
        under_window = [[cx - 20, cy - 8], [cx + 20, cy - 8], [cx + 20, cy + 8], [cx - 20, cy + 8]]
        for expect in ("target_out_of_frame", "target_covered"):
            bad = copy.deepcopy(it)
            bad.rejection, ev = None, bad.sample["evidence"][0]
            ev["quad_px"] = ([[x + page.width, y] for x, y in ev["quad_px"]] if expect == "target_out_of_frame"
                             else under_window)
            run_filters([f for f in filters if f.name == "visible"], bad)
            assert bad.rejection is not None and bad.rejection.reason == expect, (bad.rejection, expect)
            reasons[expect] += 1
    assert reasons["target_covered"] == len(kept)


# -- recipes -----------------------------------------------------------------------------------------------

def test_bad_degrade_sections_are_refused_naming_the_field():
    cases = [
        (["degrade.effects={blurr: {p: 1, strength: [1, 2]}}"], "unknown effect 'blurr' (did you mean 'blur'?)"),
        (["degrade.effects={rotate: {p: 1, strength: [1, 90]}}"], "effects.rotate.strength: 90.0 exceeds 45.0"),
        (["degrade.preset=xerox"], "degrade.preset"),
        (["degrade.preset={scan: -1}"], "preset weights"),
    ]
    for overrides, message in cases:
        with pytest.raises(RecipeError, match=re.escape(message)):
            load_recipe("doc_qa", parse_overrides(overrides))
    with pytest.raises(RecipeError, match="generator.kind 'av' makes clips"):
        load_recipe("av_temporal_qa", parse_overrides(["degrade.preset=scan"]))
    with pytest.raises(RecipeError, match="gui_actions"):
        load_recipe("gui_actions", parse_overrides(["degrade.preset=screen"]))


def test_a_missing_handwriting_font_is_refused_naming_the_package(monkeypatch):
    from omnisynth.generators import fonts

    monkeypatch.setitem(fonts.HANDWRITING, "kristi", ("No Such Hand 42", "fonts-nosuchhand"))
    fonts.handwriting_file.cache_clear()
    try:
        with pytest.raises(RecipeError, match="apt-get install fonts-nosuchhand"):
            load_recipe("handwriting_qa", [])
    finally:
        fonts.handwriting_file.cache_clear()


@pytest.mark.parametrize("name, families", [
    ("doc_scan_qa", None), ("doc_scan_grounding", None), ("handwriting_qa", {"handform", "note"}),
    ("handwriting_grounding", {"handform", "note"}), ("scene_text_qa", {"sign", "label", "package"}),
    ("scene_text_grounding", {"sign", "label", "package"}),
])
def test_realism_recipes_write_checked_samples_with_exact_quads(name, families):
    items, recipe = degraded_items(name, 16)
    kept = [it for it in items if it.rejection is None]
    assert len(kept) >= 14, [(it.spec.index, it.rejection) for it in items if it.rejection]
    for it in kept:
        s = it.sample
        assert s["meta"]["degradations"] and s["media"][0]["member"] == "jpg" and set(it.media) == {"jpg"}
        assert s["provenance"]["generator_version"].endswith(" degrade/2")  # the pixels' version, beside the layout's
        img = to_bgr(it.media["jpg"])
        assert img.shape[:2] == (s["media"][0]["height"], s["media"][0]["width"])
        if families:
            assert s["meta"]["family"] in families and (
                    s["meta"]["language"] == "en" or s["meta"]["font"] == "lxgw-wenkai")  # CJK hands: WenKai
        for g in s["grounding"]:
            q = np.asarray(g["quad_px"])
            assert np.allclose([q[:, 0].min(), q[:, 1].min(), q[:, 0].max(), q[:, 1].max()], g["bbox_px"], atol=0.02)
    if families and "handform" in families:
        fonts = {it.sample["meta"]["font"] for it in kept}
        assert len(fonts) >= 3, fonts  # documents are written in several hands


# -- Tesseract --------------------------------------------------------------------------------------------

def _words(text: str) -> list[str]:
    return ["".join(ch for ch in w.lower() if ch.isalnum()) for w in text.split() if any(c.isalnum() for c in w)]


def word_recall(truth_text: str, ocr_text: str) -> float:
    """Share of the page's words that Tesseract read exactly (as a multiset)."""
    want, got = Counter(_words(truth_text)), Counter(_words(ocr_text))
    return sum((want & got).values()) / max(1, sum(want.values()))


def rectified(img: np.ndarray, quad, pad: float = 0.25) -> np.ndarray:
    """The quadrilateral cut out and straightened (with a margin of `pad` x its height), scaled to ~40 px high."""
    q = np.asarray(quad, dtype=np.float64)
    w = float(np.hypot(*(q[1] - q[0]))) or 1.0
    h = float(np.hypot(*(q[3] - q[0]))) or 1.0
    s = 40.0 / h
    m = pad * h
    src = q.astype(np.float32)
    dst = np.float32([[m, m], [m + w, m], [m + w, m + h], [m, m + h]]) * s
    M = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(img, M, (int((w + 2 * m) * s), int((h + 2 * m) * s)), flags=cv2.INTER_CUBIC,
                               borderMode=cv2.BORDER_REPLICATE)


def _ocr(img: np.ndarray, psm: int = 3) -> str:
    import pytesseract

    return pytesseract.image_to_string(cv2.cvtColor(img, cv2.COLOR_BGR2RGB), lang="eng", config=f"--psm {psm}")


def _ocr_many(images: list[np.ndarray], psm: int, tmp) -> list[str]:
    """Tesseract on many images in one process (a list file): its start-up, not the reading, is
    what costs on small crops. Outputs come back in order, separated by form feeds."""
    import subprocess

    paths = []
    for i, img in enumerate(images):
        paths.append(str(tmp / f"crop{i:03d}.png"))
        cv2.imwrite(paths[-1], img)
    (tmp / "list.txt").write_text("\n".join(paths) + "\n")
    out = subprocess.run(["tesseract", str(tmp / "list.txt"), "stdout", "--psm", str(psm), "-l", "eng"],
                         capture_output=True, text=True, timeout=300, check=True).stdout
    texts = out.split("\f")
    assert len(texts) >= len(images), (len(texts), len(images))
    return texts[:len(images)]


def page_recall(it: WorkItem) -> float:
    """Share of a page's words Tesseract reads from the whole image (its own layout analysis)."""
    return word_recall(" ".join(w[4] for w in it.truth.pages[0].words), _ocr(to_bgr(next(iter(it.media.values())))))


def line_recall(it: WorkItem, tmp, limit: int = 8) -> float:
    """Share of the words of a page's first `limit` text lines that Tesseract reads line by line,
    each line cut out along its quadrilateral and straightened. (Tesseract's layout analysis wants
    level lines; a photographed page's lines slant differently across the page, so only this
    read says whether the pixels themselves can still be read.)"""
    img = to_bgr(next(iter(it.media.values())))
    lines = [f for f in it.truth.facts if f.kind == "line"][:limit]
    want, got = Counter(), Counter()
    for f, text in zip(lines, _ocr_many([rectified(img, f.corners) for f in lines], 13, tmp), strict=False):  # 13: one raw line
        want.update(_words(f.text))
        got.update(_words(text))
    return sum((want & got).values()) / max(1, sum(want.values()))


def test_tesseract_reads_clean_pages_well_and_degraded_ones_worse_but_above_a_floor(tmp_path):
    overrides = ["generator.families=[report, paper]", "generator.languages={en: 1}", "generator.dpi=110"]
    whole, lines = {}, {}
    for look, extra in [("clean", ["degrade.preset=none"]), ("scan", ["degrade.preset=scan"]),
                        ("photo", ["degrade.preset=photo"]), ("rough", ["degrade.preset=photo", "degrade.intensity=3"])]:
        items, _ = degraded_items("doc_scan_qa", 3, *overrides, *extra, annotate=False)
        if look != "rough":  # the clean look: one page is enough to show Tesseract reads it all
            whole[look] = float(np.mean([page_recall(it) for it in (items[:1] if look == "clean" else items)]))
        if look != "clean":
            lines[look] = float(np.mean([line_recall(it, tmp_path) for it in items]))
    assert whole["clean"] >= 0.97, whole
    assert (whole["scan"] + whole["photo"]) / 2 < whole["clean"] - 0.1, whole  # the effects are real
    assert lines["scan"] >= 0.85 and lines["photo"] >= 0.85, lines  # ... and the text stays legible
    assert lines["rough"] < 0.7, lines  # three times the default strength is past legible


@pytest.mark.parametrize("name", ["doc_scan_qa", "scene_text_qa"])
def test_tesseract_reads_each_answer_inside_its_quadrilateral(name, tmp_path):
    items, _ = degraded_items(name, 16, "generator.languages={en: 1}", "task.question_types={region: 1, key_value: 1}")
    wants, crops = [], []
    for it in items:
        if it.rejection is not None:
            continue
        img = to_bgr(it.media["jpg"])
        ev = it.sample["evidence"][0]
        if "\n" in ev["text"] or len(ev["text"]) < 4:
            continue
        quad = np.asarray(ev["quad_px"])
        down = quad + (quad[3] - quad[0]) * 1.6  # the same box one line lower: other text or none
        wants.append(" ".join(_words(ev["text"])))
        crops += [rectified(img, quad), rectified(img, down)]
    texts = [" ".join(_words(t)) for t in _ocr_many(crops, 13, tmp_path)]
    right = [difflib.SequenceMatcher(None, w, t).ratio() for w, t in zip(wants, texts[0::2], strict=False)]
    shifted = [difflib.SequenceMatcher(None, w, t).ratio() for w, t in zip(wants, texts[1::2], strict=False)]
    assert len(right) >= 8, len(right)
    assert np.median(right) >= 0.9 and np.mean(right) >= 0.8, right
    assert np.mean(shifted) < np.mean(right) - 0.4, (right, shifted)


# -- screens ---------------------------------------------------------------------------------------------

def test_captured_screens_keep_click_points_on_their_targets():
    """Resized, recompressed screens with a cursor and another window: the GUI filter's live hit
    test (the frame point mapped back onto the page) passes, and what the window covers is not asked."""
    overrides = ["degrade.preset=screen", "generator.viewports=[[1024, 640]]", "task.question_types={label: 1}",
                 'degrade.effects={window: {p: 1, strength: [0.3, 0.4]}, cursor: {p: 1, strength: [1, 1.5]}, '
                 'scale: {p: 1, strength: [0.2, 0.3]}}']
    items, _ = degraded_items("gui_grounding", 6, *overrides)
    kept = [it for it in items if it.rejection is None]
    assert len(kept) >= 5, [it.rejection for it in items]
    for it in kept:
        page = it.truth.pages[0]
        assert len(page.covers) == 2 and page.frame is not None
        assert page.width < page.clean.width  # resized
        g = it.sample["grounding"][0]
        x, y = g["point_px"]
        assert g["bbox_px"][0] <= x <= g["bbox_px"][2] and g["bbox_px"][1] <= y <= g["bbox_px"][3]
        assert all(covered_fraction(g["quad_px"], [c]) <= 0.02 for c in page.covers)
        assert it.truth.meta["degradations"] and "jpg" in it.media


@pytest.mark.slow
def test_doc_scan_qa_runs_on_ray_to_shards_of_jpegs(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "scan"
    cmd = [sys.executable, "-m", "omnisynth", "run", "doc_scan_qa", "--num-samples", "24", "--out", str(out),
           "--set", "output.samples_per_shard=16", "--set", "runtime.num_cpus=2"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    names = []
    for tar in sorted((out / "shards").glob("*.tar")):
        with tarfile.open(tar) as tf:
            members = {m.name: tf.extractfile(m).read() for m in tf.getmembers()}
        for key in {n.split(".")[0] for n in members}:
            sample = json.loads(members[f"{key}.json"])
            img = cv2.imdecode(np.frombuffer(members[f"{key}.jpg"], np.uint8), cv2.IMREAD_COLOR)
            assert img.shape[:2] == (sample["media"][0]["height"], sample["media"][0]["width"])
            assert sample["meta"]["degradations"] and len(sample["grounding"][0]["quad_px"]) == 4
            names.append(key)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kept"] + manifest["rejected"] == 24 and manifest["kept"] >= 22, manifest["rejected_by_reason"]
    assert len(names) == manifest["kept"] == sum(s["samples"] for s in manifest["shards"])
    assert len(set(names)) == len(names)
    import yaml

    definition = yaml.safe_load((out / ".nv-meta" / "dataset.yaml").read_text())  # Energon reads the JPEG member
    assert definition["field_map"]["image"] == "jpg"
