"""Filters that check a candidate sample: schema, box geometry, and the ground truth.

A filter's `check(item)` returns `(keep, reason, detail)`: `reason` is short and countable
(it becomes a manifest counter), `detail` says what exactly was wrong (it goes to
quarantine). Filters read only the candidate and the ground truth, so they judge an
oracle answer and a model answer alike.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from omnisynth.generators.textlayer import CharIndex, document_text, squash
from omnisynth.geometry import iou as _iou
from omnisynth.schemas.truth import GroundTruth, WorkItem

Verdict = tuple[bool, str, str]
KEEP: Verdict = (True, "", "")


class Filter(ABC):
    name = "filter"

    @abstractmethod
    def check(self, item: WorkItem) -> Verdict:
        """(keep, reason, detail) for an item that has a candidate sample."""


class SchemaFilter(Filter):
    """The sample against the shard contract: the pydantic model the JSON Schema is exported from.

    Strict pydantic validation (compiled, ~20x faster than walking the JSON Schema) checks
    the same contract; a test keeps model and exported schema in sync, and `verify`
    re-checks shards against the exported JSON Schema itself.
    """

    name = "schema"

    def check(self, item: WorkItem) -> Verdict:
        from pydantic import ValidationError

        from omnisynth.schemas.sample import Sample

        try:
            Sample.model_validate(item.sample, strict=True)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = "/".join(str(p) for p in err["loc"]) or "(root)"
            return False, "schema_invalid", f"{where}: {err['msg'][:300]}"
        return KEEP


class BoxFilter(Filter):
    """Every box lies inside its image, is not degenerate, and its normalised forms agree."""

    name = "boxes"

    def __init__(self, min_box_px: float):
        self.min_box_px = min_box_px

    def check(self, item: WorkItem) -> Verdict:
        sizes = {m["member"]: (m["width"], m["height"]) for m in item.sample["media"]}
        boxes = [("grounding", g["image"], g["bbox_px"]) for g in item.sample["grounding"]]
        boxes += [("evidence", e["image"], e["bbox_px"]) for e in item.sample["evidence"]]
        for where, image, (x0, y0, x1, y1) in boxes:
            if image not in sizes:
                return False, "box_on_missing_image", f"{where} box refers to member {image!r}"
            w, h = sizes[image]
            if x0 < 0 or y0 < 0 or x1 > w or y1 > h:
                return False, "box_outside_image", f"{where} box {[x0, y0, x1, y1]} outside {w}x{h}"
            if x1 - x0 < self.min_box_px or y1 - y0 < self.min_box_px:
                return False, "box_degenerate", f"{where} box {[x0, y0, x1, y1]} thinner than {self.min_box_px}px"
        for g in item.sample["grounding"]:
            w, h = g["image_size"]
            expect = [g["bbox_px"][0] / w, g["bbox_px"][1] / h, g["bbox_px"][2] / w, g["bbox_px"][3] / h]
            if any(abs(a - b) > 1e-4 for a, b in zip(expect, g["bbox_norm"])):
                return False, "box_norm_mismatch", f"bbox_norm {g['bbox_norm']} != bbox_px / size {expect}"
        return KEEP


class GroundTruthFilter(Filter):
    """The answer follows from the ground truth under its evidence boxes (per derivation op)."""

    name = "ground_truth"

    def check(self, item: WorkItem) -> Verdict:
        sample, truth = item.sample, item.truth
        indexes: dict[int, CharIndex] = {}

        def under(ev) -> str:
            """The text under a box. On a degraded page the box's quadrilateral is mapped back onto the
            rendered page and read there, where lines run straight (rotated glyphs do not sort as text)."""
            page = truth.page(ev["page"])
            box = ev["bbox_px"]
            if page.clean is not None:
                from omnisynth.degrade import page_box

                x0, y0, x1, y1 = box
                box = page_box(page, ev.get("quad_px") or [[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
                page = page.clean
            if page.number not in indexes:
                indexes[page.number] = CharIndex(page)
            return indexes[page.number].text_in(box, pad=1.0)

        for ev in sample["evidence"]:
            if ev["kind"] == "text" and squash(ev["text"]) not in squash(under(ev)):
                return False, "evidence_text_mismatch", f"{ev['text']!r} is not under {ev['bbox_px']}: {under(ev)!r}"
            if ev["kind"] == "chart_mark" and _mark_value(truth, ev) is None:
                return False, "evidence_not_a_mark", f"no chart mark at {ev['bbox_px']} on page {ev['page']}"
        derivation, answer = sample["derivation"], sample["answer"]
        op = derivation["op"]
        if op == "extract":
            text = squash("".join(under(ev) for ev in sample["evidence"]))
            if not squash(answer) or squash(answer) not in text:
                return False, "answer_not_under_evidence", f"{answer!r} not in {text[:200]!r}"
        elif op == "chart_value":
            truth_value = _mark_value(truth, sample["evidence"][0])
            if _number(answer) is None or abs(_number(answer) - truth_value) > 1e-6 * max(1.0, abs(truth_value)):
                return False, "chart_value_mismatch", f"answer {answer!r}, plotted value {truth_value}"
        elif op == "page_of":
            if answer.strip() != str(sample["evidence"][0]["page"] + 1):
                return False, "page_mismatch", f"answer {answer!r}, evidence on page {sample['evidence'][0]['page'] + 1}"
        elif op == "argmax":
            values = [_mark_value(truth, ev) if ev["kind"] == "chart_mark" else _number(under(ev))
                      for ev in sample["evidence"]]
            if None in values or len(set(values)) < len(values):
                return False, "argmax_undecidable", f"values under evidence: {values}"
            if len(derivation["labels"]) != len(values):
                return False, "argmax_labels_mismatch", f"{len(derivation['labels'])} labels for {len(values)} values"
            best = derivation["labels"][values.index(max(values))]
            if answer != best:
                return False, "argmax_mismatch", f"answer {answer!r}, larger value belongs to {best!r} ({values})"
        elif op == "absent":
            from omnisynth.model.tasks import TEMPLATES

            refusal = TEMPLATES.get(truth.language, TEMPLATES["en"])["refusal"]
            if sample["evidence"] or sample["grounding"]:
                return False, "absent_with_evidence", "a negative sample cites evidence or boxes"
            if not derivation["target"] or squash(derivation["target"]) in document_text(truth):
                return False, "absent_target_present", f"{derivation['target']!r} is in the document"
            if answer.strip() != refusal:
                return False, "refusal_mismatch", f"answer {answer!r}, a negative sample answers {refusal!r}"
        elif op == "locate":
            g = sample["grounding"][0]
            target = squash(derivation["target"])
            found = squash(under(g))
            if target not in found:
                return False, "box_misses_target", f"{derivation['target']!r} not under {g['bbox_px']}: {found[:120]!r}"
            expected = "[" + ", ".join(str(v) for v in g["bbox_1000"]) + "]"
            if answer.replace(" ", "") != expected.replace(" ", ""):
                return False, "answer_box_mismatch", f"answer {answer!r}, grounding box {expected}"
        return KEEP


class VisibleFilter(Filter):
    """Every box a sample cites can be seen in its degraded image: inside the frame, glyphs tall
    enough to read (or a GUI target big enough to hit), not under an overlay."""

    name = "visible"

    def __init__(self, config):
        self.config = config  # the recipe's DegradeConfig: its thresholds

    def check(self, item: WorkItem) -> Verdict:
        from omnisynth.degrade import Glyphs, text_height
        from omnisynth.degrade.visibility import why_hidden

        boxes = [(g, g["role"] == "text") for g in item.sample["grounding"]]
        boxes += [(e, e["kind"] == "text") for e in item.sample["evidence"]]
        glyphs: dict[int, Glyphs] = {}
        for box, is_text in boxes:
            page = item.truth.page(box["page"])
            # text is judged by its glyphs' height; a shape (a chart mark) or an element by its own size
            if is_text and box["page"] not in glyphs:
                glyphs[box["page"]] = Glyphs(page)
            text_px = (text_height(page, box["quad_px"], glyphs[box["page"]]) or None) if is_text else None
            reason = why_hidden(box["quad_px"], text_px, page.width, page.height, page.covers, self.config)
            if reason:
                return False, f"target_{reason}", (f"{box.get('label', box.get('text', ''))[:60]!r} at "
                                                   f"{box['quad_px']}: {reason} (glyphs {text_px or 0:.1f}px)")
        return KEEP


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", "").strip())
    except ValueError:
        return None


def _mark_value(truth: GroundTruth, ev: dict) -> float | None:
    """The plotted value of the chart mark whose box matches the evidence box."""
    for f in truth.facts:
        if f.kind == "chart_mark" and f.page == ev["page"] and _iou(f.bbox, ev["bbox_px"]) > 0.9:
            return float(f.attrs["value"])
    return None


def make_filters(recipe, generator=None) -> list[Filter]:
    """Filters in the order they run; schema first so later filters can trust field shapes.

    GUI recipes check against the live page, through the render stage's `generator`.
    """
    filters: list[Filter] = [SchemaFilter()]
    if recipe.filters.verify.enabled:
        filters.append(BoxFilter(recipe.filters.verify.min_box_px))
        if recipe.generator.kind in ("av", "video_corpus"):
            from omnisynth.filters.av import AvFilter

            filters.append(AvFilter())
        elif recipe.generator.kind in ("gui", "html_corpus"):
            from omnisynth.filters.gui import GuiFilter

            filters.append(GuiFilter(generator))
        else:
            filters.append(GroundTruthFilter())
        if recipe.degrade.enabled:
            filters.append(VisibleFilter(recipe.degrade))
    if recipe.filters.quality.enabled:
        from omnisynth.filters.quality import QualityFilter

        filters.append(QualityFilter(recipe.filters.quality, recipe.generator.kind))
    return filters


def run_filters(filters: list[Filter], item: WorkItem) -> None:
    """Apply filters in order; the first that drops the item rejects it (logged per filter)."""
    for f in filters:
        if item.rejection or item.sample is None:
            return
        keep, reason, detail = f.check(item)
        item.filter_log.append((f.name, keep, reason))
        if not keep:
            item.reject(f.name, reason, detail)
