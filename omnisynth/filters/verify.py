"""The document families' ground-truth filter: an answer follows from the text and marks under its evidence.

`GroundTruthFilter` re-reads the rendered page's text layer (or the PDF's own) under each
evidence box and recomputes the answer per derivation op; `document_filters` is what the
document families register (`omnisynth.families`: `Family.filters`).
"""

from __future__ import annotations

from omnisynth.filters.base import KEEP, Filter, Verdict
from omnisynth.filters.parsing import PARSE_OPS, check_parse
from omnisynth.filters.parsing import number as _number
from omnisynth.generators.textlayer import CharIndex, document_text, squash
from omnisynth.geometry import iou as _iou
from omnisynth.schemas.truth import GroundTruth, WorkItem


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
        if op in PARSE_OPS:
            return check_parse(sample, truth, under)
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
        elif op == "count_pages":  # pdf_long_qa: a word's pages, recounted over every page's text layer
            from omnisynth.tasks.pdfdoc import page_terms, term

            pages = [p.number for p in truth.pages if term(derivation["target"]) in page_terms(p.clean or p)]
            cited = sorted(ev["page"] for ev in sample["evidence"])
            if cited != pages or answer.strip() != str(len(pages)):
                return False, "count_mismatch", f"answer {answer!r}, cited pages {cited}, the word is on pages {pages}"
        elif op == "earliest":  # pdf_long_qa: the label whose evidence is on the earliest page
            pages = [ev["page"] for ev in sample["evidence"]]
            named = [squash(ev["text"]) for ev in sample["evidence"]]
            if len(set(pages)) < len(pages) or [squash(label) for label in derivation["labels"]] != named:
                return False, "order_undecidable", f"evidence pages {pages} for labels {derivation['labels']}"
            if answer != derivation["labels"][pages.index(min(pages))]:
                return False, "order_mismatch", f"answer {answer!r}, evidence pages {pages} of {derivation['labels']}"
        elif op == "absent":
            from omnisynth.tasks.documents import TEMPLATES

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


def _mark_value(truth: GroundTruth, ev: dict) -> float | None:
    """The plotted value of the chart mark whose box matches the evidence box."""
    for f in truth.facts:
        if f.kind == "chart_mark" and f.page == ev["page"] and _iou(f.bbox, ev["bbox_px"]) > 0.9:
            return float(f.attrs["value"])
    return None


def document_filters(recipe, generator=None) -> list[Filter]:
    """The document families' checks after the shared ones: the answer against the text layer."""
    return [GroundTruthFilter()]
