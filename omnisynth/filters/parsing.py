"""doc_parse's ground-truth checks (`omnisynth.tasks.parsing`): each answer re-derived from page 1.

Called by `GroundTruthFilter` for the parsing ops once every evidence item's text is under its
box. The text layer (`PageTruth` chars, words and lines that PyMuPDF read back from the page)
is the authority for text; the generator's `table` and `chart_mark` facts for structure, their
texts checked against the text layer here.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable

from omnisynth.filters.base import KEEP, Verdict
from omnisynth.generators.textlayer import squash
from omnisynth.geometry import iou
from omnisynth.metrics import parse_json, table_grid
from omnisynth.schemas.truth import GroundTruth

PARSE_OPS = ("transcribe", "markdown", "latex", "graph", "spot", "count", "table_html", "chart_table", "kie", "arithmetic",
             "classify", "translate")


def number(text: str) -> float | None:
    """A number as printed ('1,234.50' -> 1234.5); None when the text is not one."""
    try:
        return float(text.replace(",", "").strip())
    except ValueError:
        return None


def _formula_printed(latex: str, box, under: Callable[[dict], str], want: str | None = None) -> Verdict | None:
    """None when `latex` typesets to the glyphs the page holds inside `box` (the same characters,
    as a multiset) and, given the printed formula's LaTeX `want`, lays them out as it does (the
    same glyphs at the same places: x^{2} and x_{2} differ, x^2 and x^{2} do not); else the verdict."""
    from omnisynth.generators.documents.formulas import glyphs, layout

    try:
        set_glyphs = glyphs(latex)
    except ValueError as exc:
        return False, "latex_unparsable", str(exc)
    printed = under({"page": 0, "bbox_px": list(box)})
    # accents (a hat, a bar) are combining marks the text layer may place outside the box: the layout
    # comparison below still tells \hat{x} from x
    marks = lambda text: Counter(c for c in squash(text) if not unicodedata.combining(c))  # noqa: E731
    if marks(set_glyphs) != marks(printed):
        return False, "latex_glyphs_mismatch", f"{latex[:80]!r} sets {set_glyphs!r}, the page shows {printed!r}"
    if want is not None and layout(latex) != layout(want):
        return False, "latex_layout_mismatch", f"{latex[:80]!r} does not typeset as {want[:80]!r}"
    return None


def check_parse(sample: dict, truth: GroundTruth, under: Callable[[dict], str]) -> Verdict:
    """The answer of a doc_parse sample against page 1's ground truth; `under(evidence)` reads the
    text layer under an evidence box."""
    from omnisynth.tasks.documents import Unsupported
    from omnisynth.tasks.parsing import (DOC_CLASSES, arithmetic, page_markdown, page_transcript, spotting_entries,
                                         table_html, word_tokens)

    d, answer, page = sample["derivation"], sample["answer"], truth.page(0)
    op = d["op"]
    if op == "transcribe":
        layer = "".join(c[4] for c in (page.clean or page).chars)
        if squash(answer) != squash(layer):
            return False, "transcript_mismatch", f"answer {answer[:120]!r} is not the page's text {layer[:120]!r}"
        if answer != page_transcript(page):
            return False, "transcript_lines", "the text is the page's, its line breaks are not the text layer's"
    elif op == "markdown":
        try:
            want = page_markdown(truth)
        except Unsupported as exc:
            return False, "markdown_unsupported", str(exc)
        if answer != want:
            return False, "markdown_mismatch", f"answer {answer[:120]!r}, the page reads {want[:120]!r}"
        # every glyph of the page is in the markdown once, and nothing else is (markup aside; an
        # equation's glyphs and number are its $$ block, checked as formula_recognition checks them)
        text = re.sub(r"(?ms)^\$\$ .*? \$\$$", "", answer)
        text = html.unescape(re.sub(r"<[^>]+>", "", re.sub(r"(?m)^#{1,2} ", "", text)))
        boxes = [f.bbox for f in truth.facts if f.page == 0 and f.kind in ("formula", "equation_number")]
        layer = "".join(c[4] for c in page.chars if not any(
            b[0] <= (c[0] + c[2]) / 2 <= b[2] and b[1] <= (c[1] + c[3]) / 2 <= b[3] for b in boxes))
        for f in (f for f in truth.facts if f.page == 0 and f.kind == "formula"):
            verdict = _formula_printed(f.attrs["latex"], f.bbox, under)
            if verdict is not None:
                return verdict
        if Counter(squash(text)) != Counter(squash(layer)):
            extra, lost = Counter(squash(text)) - Counter(squash(layer)), Counter(squash(layer)) - Counter(squash(text))
            return False, "markdown_glyphs_mismatch", f"added {dict(extra)!r:.80}, lost {dict(lost)!r:.80}"
    elif op == "latex":
        ev = sample["evidence"][0]
        formula = next((f for f in truth.facts if f.kind == "formula" and f.page == ev["page"]
                        and iou(f.bbox, ev["bbox_px"]) > 0.9), None)
        if formula is None or str(formula.attrs["number"]) != d["target"]:
            return False, "no_formula_at_evidence", f"no equation ({d['target']}) at {ev['bbox_px']}"
        verdict = _formula_printed(answer, ev["bbox_px"], under, want=formula.attrs["latex"])
        if verdict is not None:
            return verdict
    elif op == "graph":
        page_no = sample["evidence"][0]["page"] if sample["evidence"] else 0
        diagram = next((f for f in truth.facts if f.kind == "diagram" and f.page == page_no
                        and any(n[1] == d["target"] for n in f.attrs["nodes"])), None)
        if diagram is None:
            return False, "no_diagram", f"no diagram with {d['target']!r} on page {page_no + 1}"
        ids = [n[0] for n in diagram.attrs["nodes"] if n[1] == d["target"]]
        if len(ids) != 1:
            return False, "diagram_node_ambiguous", f"{len(ids)} nodes read {d['target']!r}"
        label = {n[0]: n[1] for n in diagram.attrs["nodes"]}
        edges, node, rel = diagram.attrs["edges"], ids[0], d["relation"]
        if rel in ("next", "branch"):
            want = [label[e[1]] for e in edges if e[0] == node and e[2] == (d["labels"][0] if rel == "branch" else "")]
        elif rel in ("previous", "manager"):
            want = [label[e[0]] for e in edges if e[1] == node]
        else:  # reports
            want = [str(sum(1 for e in edges if e[0] == node))]
        if len(want) != 1 or answer != want[0]:
            return False, "graph_mismatch", f"answer {answer!r}, the diagram gives {want}"
    elif op == "spot":
        got = parse_json(answer)
        want = spotting_entries(page)
        if got != want:
            return False, "spotting_mismatch", f"{len(got) if isinstance(got, list) else got!r} entries, " \
                                               f"{len(want)} words on the page"
        w, h = page.width, page.height
        for x0, y0, x1, y1, text in page.words:  # each word's box holds that word's glyphs in the text layer
            # as a multiset: glyphs of one word sit at different heights (CJK and leader dots) and sort apart
            if Counter(squash(text)) - Counter(squash(under({"page": 0, "bbox_px": [x0, y0, x1, y1]}))):
                return False, "spotting_word_not_under_box", f"{text!r} at {[x0, y0, x1, y1]} of {w}x{h}"
    elif op == "count":
        tokens = word_tokens(" ".join(w[4] for w in (page.clean or page).words))
        n = tokens.count(d["target"].casefold())
        if answer.strip() != str(n) or n == 0:
            return False, "count_mismatch", f"answer {answer!r}, {d['target']!r} occurs {n} times"
    elif op == "table_html":
        ev = sample["evidence"][0]
        tables = [f for f in truth.facts if f.kind == "table" and f.page == ev["page"]
                  and str(f.attrs["table"]) == d["target"] and iou(f.bbox, ev["bbox_px"]) > 0.9]
        if not tables:
            return False, "no_table_at_evidence", f"no table {d['target']} at {ev['bbox_px']}"
        got, want = table_grid(answer), table_grid(table_html(tables[0].attrs["grid"]))
        if got is None or got != want:
            return False, "table_structure_mismatch", f"the answer's grid {str(got)[:160]} is not the table's"
        # each cell's glyphs are in the table's box (as a multiset: a header wrapped onto two lines
        # interleaves with its neighbours' when the box is read row by row)
        printed = Counter(squash(under(ev)))
        missing = [c[0] for row in tables[0].attrs["grid"] for c in row if Counter(squash(c[0])) - printed]
        if missing:
            return False, "table_text_not_printed", f"{missing[:3]} not in the table's box"
    elif op == "chart_table":
        got = parse_json(answer)
        marks = [f for f in truth.facts if f.kind == "chart_mark" and f.attrs.get("chart_title") == d["target"]]
        want: dict[str, dict[str, float]] = {}
        for ev, label in zip(sample["evidence"], d["labels"], strict=True):
            mark = next((f for f in marks if f.page == ev["page"] and iou(f.bbox, ev["bbox_px"]) > 0.9), None)
            if mark is None:
                return False, "evidence_not_a_mark", f"no mark of {d['target']!r} at {ev['bbox_px']}"
            series, category = label.split("\t")
            if (mark.attrs["series"], mark.attrs["category"]) != (series, category):
                return False, "chart_label_mismatch", f"{label!r} labels the mark of {mark.attrs['series']!r}"
            want.setdefault(series, {})[category] = float(mark.attrs["value"])
        if len(sample["evidence"]) != len(marks):
            return False, "chart_table_incomplete", f"{len(sample['evidence'])} of the chart's {len(marks)} marks"
        if not isinstance(got, dict) or got != want:
            return False, "chart_table_mismatch", f"answer {answer[:160]!r}"
    elif op == "kie":
        got = parse_json(answer)
        want = {k: ev["text"] for k, ev in zip(d["labels"], sample["evidence"], strict=True)}
        if not isinstance(got, dict) or {k: str(v) for k, v in got.items()} != want:
            return False, "kie_mismatch", f"answer {answer[:160]!r}, fields {json.dumps(want)[:160]}"
    elif op == "arithmetic":
        values = [number(under(ev)) for ev in sample["evidence"]]
        if None in values or not values:
            return False, "operand_not_a_number", f"under the evidence: {[under(ev) for ev in sample['evidence']]}"
        result = arithmetic(d["relation"], values)
        if number(answer) is None or abs(number(answer) - result) > 0.005:
            return False, "arithmetic_mismatch", f"answer {answer!r}, {d['relation']} of {values} is {result}"
    elif op == "translate":  # the source paragraph is on the page; the answer is its human translation
        from omnisynth.tasks.translation import reference

        source, target = (d["labels"] + ["", ""])[:2]
        if squash(d["target"]) != squash(sample["evidence"][0]["text"]):
            return False, "translation_source_mismatch", f"{d['target'][:80]!r} is not the evidence's text"
        want = reference(d["target"], source, target)
        if want is None or answer != want:
            return False, "translation_mismatch", f"answer {answer[:80]!r}, the handbook's {target}: {str(want)[:80]!r}"
    elif op == "classify":
        want = DOC_CLASSES.get(d["target"])
        if d["target"] != truth.family or answer != want or want not in d["labels"] or want not in sample["question"]:
            return False, "class_mismatch", f"answer {answer!r}, a {truth.family} is a {want!r}"
    return KEEP
