"""The filter base, its verdict, the checks every family shares, and the chain that runs them.

A filter's `check(item)` returns `(keep, reason, detail)`: `reason` is short and countable
(it becomes a manifest counter), `detail` says what exactly was wrong (it goes to
quarantine). Filters read only the candidate and the ground truth, so they judge an
oracle answer and a model answer alike. The chain (`make_filters`) is the shared checks
(schema, boxes) then the family's own ground-truth checks (`omnisynth.families`:
`Family.filters`), visibility after the degrade stage, and quality; the family's filters are
named there by reference, so this module imports none of them. The pattern follows
datatrove's filter base (one `filter(doc)` per class, a reason per drop).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from omnisynth.schemas.truth import WorkItem

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
            if any(abs(a - b) > 1e-4 for a, b in zip(expect, g["bbox_norm"], strict=False)):
                return False, "box_norm_mismatch", f"bbox_norm {g['bbox_norm']} != bbox_px / size {expect}"
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


def make_filters(recipe, generator=None) -> list[Filter]:
    """Filters in the order they run; schema first so later filters can trust field shapes.

    The family's checks come from the registry (`Family.filters(recipe, generator)`); GUI
    families check against the live page through the render stage's `generator`.
    """
    filters: list[Filter] = [SchemaFilter()]
    if recipe.filters.verify.enabled:
        filters.append(BoxFilter(recipe.filters.verify.min_box_px))
        filters += recipe.family().load("filters")(recipe, generator)
        if recipe.degrade.enabled:
            filters.append(VisibleFilter(recipe.degrade))
    if recipe.filters.quality.enabled:
        from omnisynth.filters.quality import QualityFilter

        filters.append(QualityFilter(recipe.filters.quality, check_blank=recipe.family().check_blank))
    if recipe.filters.decontaminate.sources:
        from omnisynth.filters.decontaminate import DecontaminationFilter

        filters.append(DecontaminationFilter(recipe.filters.decontaminate))
    return filters


def run_filters(filters: list[Filter], item: WorkItem) -> None:
    """Apply filters in order; the first that drops the item rejects it (logged per filter)."""
    for f in filters:
        if item.rejection or item.sample is None:
            return
        keep, reason, detail = f.check(item)
        item.log(f.name, keep, reason)
        if not keep:
            item.reject(f.name, reason, detail)
