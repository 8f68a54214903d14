"""Document tasks: turn ground-truth facts into a question, its answer, evidence and boxes.

The oracle engine calls `oracle_candidate`; model engines (a later issue) will ask a model
for the same `Candidate` fields and the filters check both the same way. Phrasings are
templates per question type and language; their hash goes into each sample's provenance.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from omnisynth.families import NEGATIVE_TYPES
from omnisynth.generators.content import LABELS
from omnisynth.generators.textlayer import document_text, squash
from omnisynth.schemas.truth import Fact, GroundTruth, PageTruth

TEMPLATES = {
    "en": {
        "title": ["What is the title of this document?", "What is the document's title?"],
        "line": ["What does line {n} under the heading '{section}' say?",
                 "Read line {n} of the text that follows '{section}'."],
        "caption": ["What does the caption beginning with '{head}' say in full?"],
        "region": ["What text is written in the region {box} (coordinates scaled to 0-1000)?",
                   "Transcribe the text inside the box {box} (x0, y0, x1, y1 on a 0-1000 scale)."],
        "key_value": ["What is the {key}?", "What value is given for '{key}'?",
                      "According to the document, what is the {key}?"],
        "table_cell": ["In the table, what is the {col} of {row}?", "What value does the table list under "
                       "'{col}' for '{row}'?", "Look up row '{row}', column '{col}'. What is the entry?"],
        "chart_value": ["In the chart '{chart}', what is the value of {series} for {category}?",
                        "According to '{chart}', what value does {series} reach in {category}?"],
        "page_prefix": "On page {page}: ",
        "refusal": "Not answerable",
        "page_locate": ["On which page does the section '{heading}' appear?",
                        "Which page contains the heading '{heading}'? Answer with the page number."],
        "compare": ["Which is larger: {a} on page {pa}, or {b} on page {pb}?",
                    "Compare {a} (page {pa}) with {b} (page {pb}). Which one is greater?"],
        "ground_heading": ["Locate the heading '{text}'. Answer with its box [x0, y0, x1, y1] on a 0-1000 scale.",
                           "Where is the section title '{text}'? Give its bounding box (0-1000)."],
        "ground_field": ["Find the value of the field '{key}' and give its bounding box (0-1000 scale).",
                         "Where is the {key} written? Answer with [x0, y0, x1, y1] scaled to 0-1000."],
        "ground_cell": ["Locate the cell for '{row}' in the column '{col}'. Give its box (0-1000 scale)."],
        "ground_phrase": ["Where is the phrase '{text}'? Answer with its box [x0, y0, x1, y1] on a 0-1000 scale.",
                          "Give the bounding box (0-1000) of the text '{text}'."],
    },
    "zh": {
        "title": ["这份文档的标题是什么？"],
        "line": ["标题“{section}”下面第{n}行写的是什么？"],
        "caption": ["以“{head}”开头的图注完整内容是什么？"],
        "region": ["区域{box}（坐标按0-1000缩放）内写的是什么文字？"],
        "key_value": ["{key}是什么？", "文档中“{key}”一栏填写的是什么？"],
        "table_cell": ["表格中“{row}”的“{col}”是多少？"],
        "chart_value": ["图表“{chart}”中，{series}在{category}的数值是多少？"],
        "page_prefix": "第{page}页：",
        "refusal": "无法回答",
        "page_locate": ["标题为“{heading}”的章节在第几页？"],
        "compare": ["第{pa}页的{a}和第{pb}页的{b}，哪个更大？"],
        "ground_heading": ["请给出标题“{text}”的边界框[x0, y0, x1, y1]（0-1000坐标）。"],
        "ground_field": ["请找到“{key}”的填写内容并给出其边界框（0-1000坐标）。"],
        "ground_cell": ["请定位表格中“{row}”行“{col}”列的单元格，给出边界框（0-1000坐标）。"],
        "ground_phrase": ["文字“{text}”在哪里？请给出边界框（0-1000坐标）。"],
    },
}
PROMPT_HASH = hashlib.sha256(json.dumps(TEMPLATES, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


class Unsupported(Exception):
    """The ground truth has nothing this question type can ask about."""


@dataclass
class Candidate:
    qtype: str
    question: str
    answer: str
    evidence: list[dict]
    grounding: list[dict]
    derivation: dict
    answers: list[str] = field(default_factory=list)
    action: dict | None = None  # GUI trajectories: the Action object of the sample


NO_ACTION = {"type": "none", "point_px": [0.0, 0.0], "point_1000": [0, 0], "text": "", "scroll_px": [0.0, 0.0],
             "goal": "", "step": 0, "steps": 0, "history": [], "result": ""}


def grounding(label: str, page: PageTruth, box, role: str = "text", point=None) -> dict:
    """A Grounding for a box (or a Fact: its box and, on a degraded page, its exact quadrilateral)."""
    quad = box.corners if isinstance(box, Fact) else None
    box = box.bbox if isinstance(box, Fact) else box
    w, h = page.width, page.height
    # floats always (a CSS box can come back as whole numbers): one JSON type per field for Arrow readers
    x0, y0, x1, y1 = (float(round(v, 2)) for v in box)
    norm = [round(x0 / w, 6), round(y0 / h, 6), round(x1 / w, 6), round(y1 / h, 6)]
    point = [float(round(point[0], 2)), float(round(point[1], 2))] if point else \
        [round((x0 + x1) / 2, 2), round((y0 + y1) / 2, 2)]
    return {"label": label, "image": page.member, "page": page.number, "image_size": [w, h],
            "bbox_px": [x0, y0, x1, y1], "bbox_norm": norm, "bbox_1000": [round(v * 1000) for v in norm],
            "quad_px": quad_px(quad or [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]),
            "point_px": point, "role": role,
            "area_fraction": round(max(0.0, x1 - x0) * max(0.0, y1 - y0) / (w * h), 8)}


def quad_px(quad) -> list[list[float]]:
    return [[float(round(x, 2)), float(round(y, 2))] for x, y in quad]


def evidence(fact: Fact, page: PageTruth) -> dict:
    kind = "chart_mark" if fact.kind == "chart_mark" else "text"
    if "value" in fact.attrs:
        value = number_text(fact.attrs["value"])
    else:
        value = fact.text if "number" in fact.attrs else ""
    return {"kind": kind, "page": page.number, "image": page.member,
            "bbox_px": [float(round(v, 2)) for v in fact.bbox], "quad_px": quad_px(fact.corners), "text": fact.text,
            "value": value}


def words_fact(page: PageTruth, words: list[tuple], text: str, kind: str = "phrase") -> Fact:
    """A run of the page's words as one fact: their union box, and on a degraded page the union of
    the same words on the rendered page carried through the homography (an exact quadrilateral)."""
    union = (min(w[0] for w in words), min(w[1] for w in words), max(w[2] for w in words), max(w[3] for w in words))
    fact = Fact(kind, page.number, union, text)
    if page.clean is None:
        return fact
    import numpy as np

    from omnisynth.degrade import warp_fact
    from omnisynth.degrade.geometry import Frame

    index = {tuple(w): i for i, w in enumerate(page.words)}  # by value: the words may have been pickled
    clean = [page.clean.words[index[tuple(w)]] for w in words]
    box = (min(w[0] for w in clean), min(w[1] for w in clean), max(w[2] for w in clean), max(w[3] for w in clean))
    return warp_fact(Fact(kind, page.number, box, text), Frame(np.asarray(page.frame), 0, 0))


def box_text(g: dict) -> str:
    return "[" + ", ".join(str(v) for v in g["bbox_1000"]) + "]"


def number_text(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e15 else str(value)


class DocTasks:
    """Question writers over one sample's ground truth, drawing from one random stream."""

    MORE: dict[str, dict] = {}  # a subclass's own templates by language (`ask`)

    def __init__(self, truth: GroundTruth, rng: random.Random):
        self.truth = truth
        self.rng = rng
        self.t = TEMPLATES.get(truth.language, TEMPLATES["en"])
        self.more = self.MORE.get(truth.language, self.MORE.get("en", {}))
        self.by_kind: dict[str, list[Fact]] = {}
        for f in truth.facts:
            self.by_kind.setdefault(f.kind, []).append(f)

    def phrase(self, name: str, **kw) -> str:
        return self.rng.choice(self.t[name]).format(**kw)

    def ask(self, name: str, **kw) -> str:
        return self.rng.choice(self.more[name]).format(**kw)

    def pick(self, *kinds: str, where=lambda f: True) -> Fact:
        pool = [f for k in kinds for f in self.by_kind.get(k, ()) if where(f)]
        if not pool:
            raise Unsupported(f"no {'/'.join(kinds)} facts")
        return self.rng.choice(pool)

    def _extract(self, qtype: str, question: str, fact: Fact, answers: list[str] | None = None) -> Candidate:
        page = self.truth.page(fact.page)
        answer = fact.text
        return Candidate(qtype, question, answer, [evidence(fact, page)], [grounding(answer, page, fact)],
                         {"op": "extract"}, answers or [answer])

    # doc_qa -----------------------------------------------------------------------------
    def region(self, prefix: str = "", where=lambda f: True) -> Candidate:
        fact = self.pick("line", "title", "caption", where=lambda f: where(f) and len(f.text) > 3)
        if fact.kind == "title":
            q = self.phrase("title")
        elif fact.kind == "caption":
            q = self.phrase("caption", head=" ".join(fact.text.split()[:2]) if " " in fact.text else fact.text[:3])
        elif fact.attrs.get("section") and self.rng.random() < 0.5:
            q = self.phrase("line", n=fact.attrs["line_no"], section=fact.attrs["section"])
        else:
            q = self.phrase("region", box=box_text(grounding("", self.truth.page(fact.page), fact)))
        return self._extract("region", prefix + q, fact)

    def key_value(self, prefix: str = "", where=lambda f: True) -> Candidate:
        fact = self.pick("kv", where=where)
        return self._extract("key_value", prefix + self.phrase("key_value", key=fact.attrs["key"]), fact,
                             _numeric_forms(fact.text))

    def table_cell(self, prefix: str = "", where=lambda f: True) -> Candidate:
        fact = self.pick("cell", where=where)
        q = self.phrase("table_cell", row=fact.attrs["row"], col=fact.attrs["col"])
        return self._extract("table_cell", prefix + q, fact, _numeric_forms(fact.text))

    def chart_value(self, prefix: str = "", where=lambda f: True) -> Candidate:
        fact = self.pick("chart_mark", where=where)
        a = fact.attrs
        q = self.phrase("chart_value", chart=a["chart_title"], series=a["series"], category=a["category"])
        page = self.truth.page(fact.page)
        answer = number_text(a["value"])
        return Candidate("chart_value", prefix + q, answer, [evidence(fact, page)],
                         [grounding(fact.text, page, fact)], {"op": "chart_value"}, [answer])

    # doc_long_qa ------------------------------------------------------------------------
    def page_locate(self) -> Candidate:
        fact = self.pick("heading")
        page = self.truth.page(fact.page)
        answer = str(fact.page + 1)
        return Candidate("page_locate", self.phrase("page_locate", heading=fact.text), answer,
                         [evidence(fact, page)], [grounding(fact.text, page, fact)],
                         {"op": "page_of"}, [answer])

    def page_fact(self) -> Candidate:
        writers = [w for w, k in ((self.key_value, "kv"), (self.table_cell, "cell"), (self.chart_value, "chart_mark"))
                   if self.by_kind.get(k)]
        if not writers:
            raise Unsupported("no kv, cell or chart facts")
        fact_page = self.rng.choice(sorted({f.page for k in ("kv", "cell", "chart_mark") for f in self.by_kind.get(k, ())}))
        prefix = self.t["page_prefix"].format(page=fact_page + 1)
        for writer in self.rng.sample(writers, len(writers)):
            try:
                cand = writer(prefix, where=lambda f: f.page == fact_page)
            except Unsupported:
                continue
            cand.qtype = "page_fact"
            return cand
        raise Unsupported("no fact on the chosen page")

    def cross_page_compare(self) -> Candidate:
        numeric = [f for k in ("cell", "chart_mark", "kv") for f in self.by_kind.get(k, ())
                   if f.attrs.get("value", f.attrs.get("number")) is not None]
        pages = sorted({f.page for f in numeric})
        if len(pages) < 2:
            raise Unsupported("numeric facts on fewer than two pages")
        pa, pb = self.rng.sample(pages, 2)
        a = self.rng.choice([f for f in numeric if f.page == pa])
        candidates_b = [f for f in numeric if f.page == pb and _value(f) != _value(a)]
        if not candidates_b:
            raise Unsupported("no distinct values to compare")
        b = self.rng.choice(candidates_b)
        la, lb = _label(a), _label(b)
        if la == lb:
            raise Unsupported("the two facts have the same label")
        winner = la if _value(a) > _value(b) else lb
        q = self.phrase("compare", a=la, pa=pa + 1, b=lb, pb=pb + 1)
        ev = [evidence(a, self.truth.page(pa)), evidence(b, self.truth.page(pb))]
        gr = [grounding(la, self.truth.page(pa), a), grounding(lb, self.truth.page(pb), b)]
        return Candidate("cross_page_compare", q, winner, ev, gr,
                         {"op": "argmax", "labels": [la, lb]}, [winner])

    # negative samples -------------------------------------------------------------------
    def unanswerable(self) -> Candidate:
        """A field the document does not have, asked the way present ones are; the answer says so.

        MMLongBench-Doc style ("Not answerable"): the asked name is one the generator writes on
        forms and invoices, and its absence is checked against every glyph of every page.
        """
        labels = LABELS.get(self.truth.language, LABELS["en"])
        known = [*labels["form_fields"], labels["invoice_no"], labels["due"], labels["customer"], labels["po"]]
        return self._absent(known, "key_value", "key", "the document holds every field name the generator writes")

    def _absent(self, names: list[str], template: str, slot: str, why: str) -> Candidate:
        """A negative over one of `names` that no glyph of the document spells, asked with `template`."""
        text = document_text(self.truth)
        pool = [n for n in names if squash(n) not in text]
        if not pool:
            raise Unsupported(why)
        name = self.rng.choice(pool)
        refusal = self.t["refusal"]
        return Candidate("unanswerable", self.phrase(template, **{slot: name}), refusal, [], [],
                         {"op": "absent", "target": name}, [refusal])

    # doc_grounding and pdf_qa --------------------------------------------------------------
    def _locate(self, qtype: str, question: str, fact: Fact) -> Candidate:
        page = self.truth.page(fact.page)
        g = grounding(fact.text, page, fact)
        ev = {"kind": "text", "page": page.number, "image": page.member, "bbox_px": g["bbox_px"],
              "quad_px": g["quad_px"], "text": fact.text, "value": ""}
        return Candidate(qtype, question, box_text(g), [ev], [g], {"op": "locate", "target": fact.text},
                         [box_text(g)])

    def heading(self) -> Candidate:
        fact = self.pick("heading")
        return self._locate("heading", self.phrase("ground_heading", text=fact.text), fact)

    def field_value(self) -> Candidate:
        fact = self.pick("kv")
        return self._locate("field_value", self.phrase("ground_field", key=fact.attrs["key"]), fact)

    def ground_cell(self) -> Candidate:
        fact = self.pick("cell")
        return self._locate("table_cell", self.phrase("ground_cell", row=fact.attrs["row"], col=fact.attrs["col"]),
                            fact)

    def phrase_box(self) -> Candidate:
        """A run of 2-4 words from one line that occurs once on its page, and its box."""
        page = self.truth.page(0)
        words = page.words
        full = squash("".join(w[4] for w in words))
        lines = self.by_kind.get("line", [])
        for _ in range(20):
            if not lines:
                break
            line = self.rng.choice(lines)
            inside = [w for w in words if _centre_in(w, line.bbox, line.quad)] if line.page == 0 else []
            if len(inside) < 2:
                continue
            n = self.rng.randint(2, min(4, len(inside)))
            start = self.rng.randrange(len(inside) - n + 1)
            run = inside[start:start + n]
            sep = "" if self.truth.language in ("zh", "ja") else " "
            text = sep.join(w[4] for w in run)
            if len(squash(text)) < 4 or full.count(squash(text)) != 1:
                continue
            return self._locate("phrase", self.phrase("ground_phrase", text=text), words_fact(page, run, text))
        raise Unsupported("no unique phrase")


def _centre_in(w, box, quad=None) -> bool:
    """Is the centre of word `w` in `box` (and, for a degraded page's fact, inside its quadrilateral)?"""
    cx, cy = (w[0] + w[2]) / 2, (w[1] + w[3]) / 2
    if not (box[0] <= cx <= box[2] and box[1] <= cy <= box[3]):
        return False
    if quad is None:
        return True
    import cv2
    import numpy as np

    return cv2.pointPolygonTest(np.asarray(quad, dtype=np.float32), (float(cx), float(cy)), False) >= 0


def _value(f: Fact) -> float:
    return float(f.attrs.get("value", f.attrs.get("number")))


def _label(f: Fact) -> str:
    a = f.attrs
    if f.kind == "chart_mark":
        return f"{a['series']} in {a['category']}"
    if f.kind == "cell":
        return f"{a['col']} of {a['row']}"
    return a["key"]


def _numeric_forms(text: str) -> list[str]:
    plain = text.replace(",", "")
    return [text, plain] if plain != text else [text]


# question type -> DocTasks method where the names differ (else the method of the type's name, e.g.
# doc_parse's `full_page_ocr` in omnisynth.tasks.parsing.ParseTasks); the method may raise Unsupported
WRITERS = {"phrase": "phrase_box", "read_line": "region", "locate_text": "phrase_box"}
GROUNDING_WRITERS = {"table_cell": "ground_cell"}  # same name, other meaning under doc_grounding


def first_qtype(truth: GroundTruth, weights: dict[str, float], rng: random.Random, names: list[str] | None = None) -> str:
    """The question type the generator planned for (when it is among `names`), else one drawn by weight."""
    names = sorted(weights) if names is None else names
    planned = truth.meta.get("question_type")
    return planned if planned in names else rng.choices(names, weights=[weights[n] for n in names])[0]


def oracle_writer(recipe) -> tuple[str, Callable]:
    """The oracle's question writer for document families: (prompt hash, `oracle_candidate`)."""
    return PROMPT_HASH, oracle_candidate


def oracle_candidate(task_kind: str, weights: dict[str, float], truth: GroundTruth, rng: random.Random) -> Candidate:
    """The planned question type first (documents plan for one), then the others by weight."""
    names = sorted(weights)
    first = first_qtype(truth, weights, rng)
    # the rest in a random order drawn by weight (Efraimidis-Spirakis keys), not always the same fallback;
    # never a negative: a document that cannot carry the drawn type must not raise the refusals' share
    order = [first] + sorted((n for n in names if n != first and n not in NEGATIVE_TYPES),
                             key=lambda n: -rng.random() ** (1 / max(weights[n], 1e-9)))
    from omnisynth.tasks.longdoc import LongTasks, label_sources
    from omnisynth.tasks.parsing import ParseTasks
    from omnisynth.tasks.pdfdoc import PdfLongTasks

    kinds = {"doc_parse": ParseTasks, "doc_long_qa": LongTasks, "pdf_long_qa": PdfLongTasks}
    tasks = kinds.get(task_kind, DocTasks)(truth, rng)
    reasons = []
    for qtype in order:
        method = (GROUNDING_WRITERS if task_kind == "doc_grounding" else {}).get(qtype) or WRITERS.get(qtype, qtype)
        try:
            return label_sources(getattr(tasks, method)(), truth, qtype)
        except Unsupported as exc:
            reasons.append(f"{qtype}: {exc}")
    raise Unsupported("; ".join(reasons))
