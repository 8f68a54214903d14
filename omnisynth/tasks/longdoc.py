"""MMLongBench-Doc's question categories over long documents (`task.kind: doc_long_qa`), and the
benchmark's labels on every document sample.

Beyond `page_locate`, `page_fact` and `cross_page_compare` (omnisynth.tasks.documents):
- `layout_fact` (Generalized-text (Layout) evidence): the caption of Table/Figure n, or the page the
  table of contents gives for a section (checked against the page the heading is printed on).
- `figure_fact` (Figure): the step after or before a step of a numbered flow diagram.
- `multi_hop` (2-3 evidence pages): the total of table values printed on different pages, the
  arithmetic kept in `derivation.target`.

`label_sources` sets `derivation.answer_format` (Int, Float, Str, List, None) and
`derivation.evidence_sources` (Pure-text (Plain-text), Generalized-text (Layout), Table, Chart,
Figure) from the facts under the evidence, as MMLongBench-Doc labels its questions.
"""

from __future__ import annotations

import json
import re

from omnisynth.geometry import iou
from omnisynth.schemas.truth import Fact, GroundTruth
from omnisynth.tasks.documents import Candidate, DocTasks, Unsupported, evidence

SOURCES = {  # fact kind -> MMLongBench-Doc evidence source
    **dict.fromkeys(("line", "paragraph", "step", "reference", "byline", "instructions", "answer", "pull_quote",
                     "deck"), "Pure-text (Plain-text)"),
    **dict.fromkeys(("title", "heading", "toc_entry", "page_label", "caption", "doc_type", "organisation", "authors",
                     "date", "kv", "equation_number", "address", "speaker", "signatory"), "Generalized-text (Layout)"),
    **dict.fromkeys(("cell", "table", "row_group", "col_group"), "Table"),
    **dict.fromkeys(("chart_mark", "chart_title", "chart_data", "axis_label", "legend"), "Chart"),
    **dict.fromkeys(("diagram_node", "diagram", "formula"), "Figure"),
}
ORDER = ["Pure-text (Plain-text)", "Generalized-text (Layout)", "Table", "Chart", "Figure"]

TEMPLATES = {
    "en": {"caption": ["What is the caption of {target}?", "What does the caption of {target} say?"],
           "toc": ["According to the table of contents, on which page does '{title}' begin?"],
           "next": ["In {figure}, which step comes right after '{a}'?"],
           "previous": ["In {figure}, which step comes right before '{a}'?"],
           "total": ["What is the total of {parts}?", "Add up {parts}. What is the sum?"],
           "part": "{col} of {row} (page {page})", "and": " and "},
    "zh": {"caption": ["{target}的图注是什么？"], "toc": ["根据目录，“{title}”从第几页开始？"],
           "next": ["在{figure}中，“{a}”之后的下一步是什么？"], "previous": ["在{figure}中，“{a}”之前的一步是什么？"],
           "total": ["{parts}的合计是多少？"], "part": "第{page}页“{row}”的{col}", "and": "与"},
}


def answer_format(cand: Candidate) -> str:
    """MMLongBench-Doc's answer format of a candidate's answer."""
    if cand.derivation.get("op") == "absent":
        return "None"
    a = cand.answer.strip()
    if a.startswith("[") and isinstance(_json(a), list):
        return "List"
    if re.fullmatch(r"-?\d[\d,]*", a):
        return "Int"
    if re.fullmatch(r"-?\d[\d,]*\.\d+", a):
        return "Float"
    return "Str"


def _json(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return None


def label_sources(cand: Candidate, truth: GroundTruth, qtype: str) -> Candidate:
    """Name the candidate's type `qtype` (the type asked for: read_line, not the writer's region) and set
    its `answer_format` and `evidence_sources` (MMLongBench-Doc's labels) from the facts its evidence is."""
    cand.qtype = qtype
    found = set()
    for ev in cand.evidence:
        kinds = [f.kind for f in truth.facts if f.page == ev["page"] and iou(f.bbox, ev["bbox_px"]) > 0.8]
        kind = next((k for k in kinds if k in SOURCES), {"chart_mark": "chart_mark", "table": "table",
                                                         "formula": "formula"}.get(ev["kind"], "line"))
        found.add(SOURCES.get(kind, "Pure-text (Plain-text)"))
    cand.derivation.setdefault("answer_format", answer_format(cand))
    cand.derivation.setdefault("evidence_sources", [s for s in ORDER if s in found])
    return cand


class LongTasks(DocTasks):
    """doc_long_qa's writers: the shared ones plus layout, figure and multi-hop questions."""

    MORE = TEMPLATES

    def layout_fact(self) -> Candidate:
        kinds = [k for k in ("caption", "toc") if self.by_kind.get("caption" if k == "caption" else "toc_entry")]
        if not kinds:
            raise Unsupported("no captions or contents")
        if self.rng.choice(kinds) == "caption":
            fact = self.pick("caption", where=lambda f: ": " in f.text)
            target, text = fact.text.split(": ", 1)
            cand = self._extract("layout_fact", self.ask("caption", target=target), fact)
            cand.answer, cand.answers = text, [text]
            return cand
        entries = [e for e in self.by_kind["toc_entry"] if self._heading(e)]
        if not entries:
            raise Unsupported("no contents entry whose heading is printed whole")
        entry = self.rng.choice(entries)
        heading = self._heading(entry)
        answer = str(entry.attrs["page"])
        return Candidate("layout_fact", self.ask("toc", title=entry.text), answer,
                         [evidence(heading, self.truth.page(heading.page)), evidence(entry, self.truth.page(entry.page))],
                         [], {"op": "page_of"}, [answer])

    def _heading(self, entry: Fact) -> Fact | None:
        return next((h for h in self.by_kind.get("heading", ()) if h.page == entry.attrs["page"] - 1
                     and h.text.endswith(entry.text) and h.page != entry.page), None)

    def figure_fact(self) -> Candidate:
        diagram = self.pick("diagram", where=lambda f: f.attrs.get("figure"))
        nodes = {n[0]: n[1] for n in diagram.attrs["nodes"]}
        relation = self.rng.choice(["next", "previous"])
        a, b = self.rng.choice(diagram.attrs["edges"])[:2]
        asked, answer = (a, b) if relation == "next" else (b, a)
        page = self.truth.page(diagram.page)
        facts = {f.text: f for f in self.by_kind.get("diagram_node", ()) if f.page == diagram.page}
        if nodes[asked] not in facts or nodes[answer] not in facts or len(set(nodes.values())) < len(nodes):
            raise Unsupported("a node label printed twice or cut")
        q = self.ask(relation, figure=diagram.attrs["figure"], a=nodes[asked])
        return Candidate("figure_fact", q, nodes[answer], [evidence(facts[nodes[asked]], page),
                                                          evidence(facts[nodes[answer]], page)], [],
                         {"op": "graph", "relation": relation, "target": nodes[asked], "labels": [""]},
                         [nodes[answer]])

    def multi_hop(self) -> Candidate:
        from omnisynth.tasks.parsing import amount_text, arithmetic

        cells = [f for f in self.by_kind.get("cell", ()) if "number" in f.attrs and not f.attrs.get("total")]
        pages = sorted({f.page for f in cells})
        if len(pages) < 2:
            raise Unsupported("numbers on fewer than two pages")
        chosen = [self.rng.choice([f for f in cells if f.page == p])
                  for p in self.rng.sample(pages, min(len(pages), self.rng.choice([2, 2, 3])))]
        parts = [self.more["part"].format(col=f.attrs["col"], row=f.attrs["row"], page=f.page + 1) for f in chosen]
        joined = ("、" if self.truth.language in ("zh", "ja") else ", ").join(parts[:-1]) + self.more["and"] + parts[-1]
        values = [float(f.attrs["number"]) for f in chosen]
        answer = amount_text(arithmetic("sum", values))
        return Candidate("multi_hop", self.ask("total", parts=joined), answer,
                         [evidence(f, self.truth.page(f.page)) for f in chosen], [],
                         {"op": "arithmetic", "relation": "sum", "labels": [f.attrs["row"] for f in chosen],
                          "target": " + ".join(f.text for f in chosen) + f" = {answer}"}, [answer])
