"""OCRBench v2's parsing, spotting, extraction and calculation tasks (`task.kind: doc_parse`).

Each question type answers in the benchmark's own output format (OCRBench v2's
`eval_scripts`), derived whole from the page's ground truth:

- `full_page_ocr`: the page's text, one text-layer line per line, in reading order.
- `doc_parsing`: the page as markdown: `#` title, `##` headings, paragraphs, tables as HTML.
- `formula_recognition`: a numbered display equation's LaTeX (the `math` family's typeset formulas).
- `diagram_qa`: a flowchart's next or previous step or a decision's branch, an org chart's manager or
  count of direct reports, answered from the drawn graph (the `diagram` family, laid out by Graphviz).
- `handwritten_answer`: the student's handwritten answer to question n of an `answer_sheet` (Latin
  handwriting fonts, LXGW WenKai on Chinese and Japanese sheets).
- `text_spotting`: every word as ``[x1, y1, x2, y2, "text"]`` on the 0-1000 grid (pages of at most
  `MAX_SPOT_WORDS` words: posters, slides, certificates, signs).
- `text_counting`: how often a word occurs (case folded, whole words; spaced scripts).
- `table_parsing`: the table as HTML, merged cells as rowspan/colspan (scored by TEDS).
- `chart_parsing`: the chart's data as JSON ``{series: {category: value}}`` (TEDS over its table), for
  charts that print every value beside its mark (labelled bars, pies): exact from the image.
- `kie`: the page's fields as JSON ``{key: value}`` (F1 over pairs).
- `math_qa`: a sum, difference or average of a table column's cells; the arithmetic is the
  derivation's `target` (e.g. "1,200.50 + 80 = 1280.5").
- `doc_classification`: the document's type, one of the choices listed in the question.
- `text_translation`: a paragraph of page 1 in the other language (en <-> zh), the bundled handbook's
  human translation (omnisynth.tasks.translation).

The filters (`omnisynth.filters.parsing`) re-derive each answer from the text layer and marks.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter

from omnisynth.generators.textlayer import squash
from omnisynth.schemas.truth import Fact
from omnisynth.tasks.documents import Candidate, DocTasks, Unsupported, evidence

MAX_SPOT_WORDS = 120  # OCRBench v2 spots scene text and sparse pages, not a full page of prose

TEMPLATES = {
    "en": {
        "full_page_ocr": ["Recognize all the text in the image. Output it in reading order, line by line.",
                          "Read the whole page and transcribe every line of text in reading order."],
        "doc_parsing": ["Convert the document in the image to markdown: the title as #, headings as ##, paragraphs "
                        "as plain text, tables as HTML, in reading order.",
                        "Parse this page into markdown (headings with #, tables in HTML), following the reading order."],
        "next": ["In the flowchart, which step comes right after '{a}'?",
                 "Following the arrows of the flowchart, what comes directly after '{a}'?"],
        "previous": ["In the flowchart, which step leads directly to '{a}'?"],
        "branch": ["In the flowchart, where does the process go from '{a}' when the answer is '{label}'?"],
        "manager": ["In the organisation chart, who does {a} report to?"],
        "reports": ["In the organisation chart, how many people report directly to {a}?"],
        "handwritten_answer": ["What answer did the student write for question {n}?",
                               "Read the handwritten answer to question {n}."],
        "formula_recognition": ["Write equation ({n}) in LaTeX.", "Transcribe the formula numbered ({n}) as LaTeX."],
        "text_spotting": ["Detect and recognize every word in the image. Answer with a list of [x1, y1, x2, y2, "
                          "text], one per word, coordinates scaled to 0-1000."],
        "text_counting": ["How many times does the word '{word}' appear in the image? Ignore letter case.",
                          "Count the occurrences of the word '{word}' in the image (any letter case)."],
        "table_parsing": ["Convert the table in the image to HTML. Use rowspan and colspan for merged cells.",
                          "Parse the table into HTML (<table>, <tr>, <th>/<td>; merged cells with rowspan/colspan)."],
        "chart_parsing": ["Extract the data of the chart '{chart}' as JSON: each series maps its categories to "
                          "their values."],
        "kie": ["Extract these fields from the document and answer in JSON with exactly these keys: {keys}.",
                "Fill in a JSON object with the keys {keys}, taking each value from the document."],
        "sum": ["What is the total {col} of {rows}?", "Add up the {col} of {rows}. What is the sum?"],
        "difference": ["By how much does the {col} of {a} exceed that of {b}?"],
        "average": ["What is the average {col} of {rows}?"],
        "doc_classification": ["What type of document is this? Choose one of: {choices}.",
                               "Classify this document. Options: {choices}."],
    },
    "zh": {
        "full_page_ocr": ["请识别图中的所有文字，按阅读顺序逐行输出。"],
        "doc_parsing": ["请将图中的文档转换为Markdown格式：标题用#，小标题用##，段落为纯文本，表格用HTML，按阅读顺序输出。"],
        "formula_recognition": ["请用LaTeX写出公式({n})。"],
        "handwritten_answer": ["第{n}题学生手写的答案是什么？", "请识别第{n}题的手写答案。"],
        "text_spotting": ["请检测并识别图中的每个单词，输出[x1, y1, x2, y2, 文字]列表（坐标按0-1000缩放）。"],
        "text_counting": ["单词“{word}”在图中出现了几次？（不区分大小写）"],
        "table_parsing": ["请将图中的表格转换为HTML格式，合并单元格用rowspan和colspan表示。"],
        "chart_parsing": ["请以JSON格式提取图表“{chart}”的数据：每个系列对应其各类别的数值。"],
        "kie": ["请从文档中提取以下字段，以JSON格式输出，键为：{keys}。"],
        "sum": ["{rows}的{col}合计是多少？"],
        "difference": ["{a}的{col}比{b}多多少？"],
        "average": ["{rows}的{col}平均是多少？"],
        "doc_classification": ["这是什么类型的文档？请从以下选项中选择：{choices}。"],
    },
}

# the document type a family's pages are, in RVL-CDIP's vocabulary where it has the type
# (OCRBench v2's document classification draws from RVL-CDIP), else the type's common name
DOC_CLASSES = {
    "report": "scientific report", "invoice": "invoice", "form": "form", "table": "statistical table",
    "slide": "presentation", "paper": "scientific publication", "chart": "chart", "receipt": "receipt",
    "statement": "bank statement", "payslip": "payslip", "bill": "utility bill", "newspaper": "news article",
    "magazine": "magazine article", "menu": "menu", "certificate": "certificate", "poster": "advertisement",
    "grouped_table": "statistical table", "plot": "chart", "handform": "handwritten form",
    "note": "handwritten note", "sign": "sign", "label": "product label", "package": "packaging",
    "research_report": "research report", "tutorial": "tutorial", "academic_paper": "scientific publication",
    "guidebook": "guidebook", "brochure": "brochure", "admin_file": "administrative file",
    "financial_report": "financial report", "math": "lecture notes", "diagram": "diagram",
    "answer_sheet": "exam answer sheet",
}
CLASS_NAMES = sorted(set(DOC_CLASSES.values()))

_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


def word_tokens(text: str) -> list[str]:
    """Whole words of letters (apostrophes and hyphens inside), case folded: what text counting counts."""
    return [m.group(0).casefold() for m in _WORD.finditer(text)]


def page_transcript(page) -> str:
    """The page's text-layer lines in reading order, one per line (a degraded page: its rendered page's)."""
    page = page.clean or page
    return "\n".join(text for _, text in page.lines if text.strip())


def spotting_entries(page) -> list[list]:
    """Every word of the page as [x1, y1, x2, y2, text] on the 0-1000 grid, in reading order."""
    w, h = page.width, page.height
    return [[round(x0 / w * 1000), round(y0 / h * 1000), round(x1 / w * 1000), round(y1 / h * 1000), t]
            for x0, y0, x1, y1, t in page.words]


def page_markdown(truth) -> str:
    """Page 1 as markdown in reading order (OCRBench v2's document parsing): the title as `#`, headings
    as `##`, a paragraph's wrapped lines joined back into one, a table as its HTML (spans kept) where
    it starts, a display equation as `$$ LaTeX \\tag{n} $$`, every other text-layer line as a line of
    its own; blocks apart by a blank line.
    Raises `Unsupported` for a page with charts (their marks are not text) or rotated text."""
    page = truth.page(0)
    facts = [f for f in truth.facts if f.page == 0]
    if any(f.kind in ("chart_mark", "diagram") for f in facts):
        raise Unsupported("a chart's marks and a diagram's graph have no markdown")
    if squash(page_transcript(page)) != squash("".join(c[4] for c in page.chars)):
        raise Unsupported("the page has vertical or rotated text, which has no reading-order line")
    tables = [f for f in facts if f.kind == "table"]
    formulas = [f for f in facts if f.kind == "formula"]
    numbers = [f for f in facts if f.kind == "equation_number"]
    texts = [f for f in facts if f.kind in ("title", "heading", "line")]
    join = "" if truth.language in ("zh", "ja") else " "
    blocks: list[list] = []  # [kind, text, paragraph key]
    done: set[int] = set()
    for box, text in page.lines:
        if not text.strip():
            continue
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        table = next((t for t in tables if t.bbox[0] <= cx <= t.bbox[2] and t.bbox[1] <= cy <= t.bbox[3]), None)
        if table is not None:
            if id(table) not in done:
                done.add(id(table))
                blocks.append(["table", table_html(table.attrs["grid"]), None])
            continue
        formula = next((f for f in formulas if f.bbox[0] <= cx <= f.bbox[2] and f.bbox[1] <= cy <= f.bbox[3]), None)
        if formula is not None:  # a display equation once, its number as a \tag
            if id(formula) not in done:
                done.add(id(formula))
                blocks.append(["formula", f"$$ {formula.attrs['latex']} \\tag{{{formula.attrs['number']}}} $$", None])
            continue
        if any(f.bbox[0] <= cx <= f.bbox[2] and f.bbox[1] <= cy <= f.bbox[3] for f in numbers):
            continue
        fact = next((f for f in texts if f.bbox[0] <= cx <= f.bbox[2] and f.bbox[1] <= cy <= f.bbox[3]
                     and squash(f.text) == squash(text)), None)
        if fact is not None and fact.kind == "title":
            blocks.append(["title", "# " + text.strip(), None])
        elif fact is not None and fact.kind == "heading":
            blocks.append(["heading", "## " + text.strip(), None])
        elif fact is not None and fact.kind == "line" and fact.attrs.get("line_no", 1) > 1 and blocks \
                and blocks[-1][0] == "para" and blocks[-1][2] == fact.attrs.get("section"):
            blocks[-1][1] += join + text.strip()
        elif fact is not None and fact.kind == "line":
            blocks.append(["para", text.strip(), fact.attrs.get("section")])
        else:
            blocks.append(["text", text.strip(), None])
    return "\n\n".join(b[1] for b in blocks)


def table_html(grid: list[list[list]]) -> str:
    """A `table` fact's grid as HTML: header cells <th>, body cells <td>, spans as attributes."""
    rows = []
    for row in grid:
        cells = []
        for text, rowspan, colspan, header in row:
            tag = "th" if header else "td"
            span = (f' rowspan="{rowspan}"' if rowspan > 1 else "") + (f' colspan="{colspan}"' if colspan > 1 else "")
            cells.append(f"<{tag}{span}>{html.escape(text, quote=False)}</{tag}>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return "<table>" + "".join(rows) + "</table>"


def chart_table(marks: list[Fact]) -> dict[str, dict[str, float]]:
    """A chart's marks as {series: {category: value}}, series and categories in drawing order."""
    out: dict[str, dict[str, float]] = {}
    for m in marks:
        out.setdefault(m.attrs["series"], {})[m.attrs["category"]] = float(m.attrs["value"])
    return out


def amount_text(value: float) -> str:
    """A result to the cent without trailing zeros or grouping: 10495.78, 1280.5, 69."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def arithmetic(relation: str, values: list[float]) -> float:
    """The result of a math_qa derivation, rounded to the cent (the documents' finest unit)."""
    if relation == "sum":
        result = sum(values)
    elif relation == "difference":
        result = values[0] - values[1]
    elif relation == "average":
        result = sum(values) / len(values)
    else:
        raise ValueError(f"unknown arithmetic relation {relation!r}")
    return round(result, 2)


class ParseTasks(DocTasks):
    """doc_parse's writers over one sample's ground truth (page 1 of a document)."""

    MORE = TEMPLATES

    def full_page_ocr(self) -> Candidate:
        page = self.truth.page(0)
        text = page_transcript(page)
        if not text:
            raise Unsupported("the page has no text")
        if squash(text) != squash("".join(c[4] for c in (page.clean or page).chars)):
            # the text layer's lines are its horizontal ones: a rotated axis title has no place in them
            raise Unsupported("the page has vertical or rotated text, which has no reading-order line")
        if self.by_kind.get("formula"):
            raise Unsupported("a typeset formula is not a line of text (formula_recognition and doc_parsing read it)")
        return Candidate("full_page_ocr", self.ask("full_page_ocr"), text, [], [], {"op": "transcribe"}, [text])

    def text_translation(self) -> Candidate:
        from omnisynth.tasks.translation import translation_candidate

        return translation_candidate(self)

    def doc_parsing(self) -> Candidate:
        answer = page_markdown(self.truth)
        if not answer:
            raise Unsupported("the page has no text")
        return Candidate("doc_parsing", self.ask("doc_parsing"), answer, [], [], {"op": "markdown"}, [answer])

    def formula_recognition(self) -> Candidate:
        formula = self.pick("formula", where=lambda f: f.page == 0)
        page = self.truth.page(0)
        ev = {**evidence(formula, page), "kind": "formula", "text": formula.attrs["glyphs"]}
        return Candidate("formula_recognition", self.ask("formula_recognition", n=formula.attrs["number"]),
                         formula.attrs["latex"], [ev], [], {"op": "latex", "target": str(formula.attrs["number"])},
                         [formula.attrs["latex"]])

    def diagram_qa(self) -> Candidate:
        diagram = self.pick("diagram", where=lambda f: f.page == 0)
        nodes = {n[0]: n[1] for n in diagram.attrs["nodes"]}
        edges = diagram.attrs["edges"]
        asks = []
        for node in nodes:
            outs, ins = [e for e in edges if e[0] == node], [e for e in edges if e[1] == node]
            if diagram.attrs["kind"] == "org":
                if ins:
                    asks.append(("manager", node, [ins[0][0]], None))
                if outs:
                    asks.append(("reports", node, [e[1] for e in outs], None))
                continue
            if len(outs) == 1:
                asks.append(("next", node, [outs[0][1]], None))
            if len(ins) == 1:
                asks.append(("previous", node, [ins[0][0]], None))
            asks += [("branch", node, [e[1]], e[2]) for e in outs if e[2]]
        relation = self.rng.choice(sorted({a[0] for a in asks}))  # each kind of question alike, then a node
        relation, node, answer_nodes, edge = self.rng.choice([a for a in asks if a[0] == relation])
        a = nodes[node]
        q = self.ask(relation, a=a, label=edge)
        answer = str(len(answer_nodes)) if relation == "reports" else nodes[answer_nodes[0]]
        facts = {f.attrs["node"]: f for f in self.by_kind["diagram_node"] if f.page == 0}
        page = self.truth.page(0)
        cited = [node] + ([] if relation == "reports" else answer_nodes)
        return Candidate("diagram_qa", q, answer, [evidence(facts[n], page) for n in cited], [],
                         {"op": "graph", "relation": relation, "target": a, "labels": [edge or ""]}, [answer])

    def handwritten_answer(self) -> Candidate:
        fact = self.pick("answer", where=lambda f: f.page == 0)
        return self._extract("handwritten_answer", self.ask("handwritten_answer", n=fact.attrs["n"]), fact)

    def text_spotting(self) -> Candidate:
        page = self.truth.page(0)
        if page.clean is not None:
            raise Unsupported("a degraded page's words are not upright boxes")
        entries = spotting_entries(page)
        if not entries or len(entries) > MAX_SPOT_WORDS:
            raise Unsupported(f"{len(entries)} words (text spotting takes 1-{MAX_SPOT_WORDS})")
        answer = json.dumps(entries, ensure_ascii=False)
        return Candidate("text_spotting", self.ask("text_spotting"), answer, [], [], {"op": "spot"}, [answer])

    def text_counting(self) -> Candidate:
        if self.truth.language in ("zh", "ja"):
            raise Unsupported("text counting counts words of spaced scripts")
        page = self.truth.page(0)
        counts = Counter(word_tokens(" ".join(w[4] for w in (page.clean or page).words)))
        pool = sorted(w for w, n in counts.items() if len(w) >= 3 and 2 <= n <= 9) or \
            sorted(w for w, n in counts.items() if len(w) >= 4)
        if not pool:
            raise Unsupported("no word to count")
        word = self.rng.choice(pool)
        answer = str(counts[word])
        return Candidate("text_counting", self.ask("text_counting", word=word), answer, [], [],
                         {"op": "count", "target": word}, [answer])

    def table_parsing(self) -> Candidate:
        table = self.pick("table", where=lambda f: f.page == 0)
        answer = table_html(table.attrs["grid"])
        ev = {**evidence(table, self.truth.page(0)), "kind": "table", "text": ""}
        return Candidate("table_parsing", self.ask("table_parsing"), answer, [ev], [],
                         {"op": "table_html", "target": str(table.attrs["table"])}, [answer])

    def chart_parsing(self) -> Candidate:
        marks = [f for f in self.by_kind.get("chart_mark", ()) if f.page == 0]
        # a chart whose every value is printed beside its mark: one a reader can parse exactly
        charts = sorted({f.attrs["chart"] for f in marks} - {f.attrs["chart"] for f in marks if not f.attrs.get("labelled")})
        if not charts:
            raise Unsupported("no chart on page 1 prints all its values")
        chart = self.rng.choice(charts)
        marks = [f for f in self.by_kind["chart_mark"] if f.page == 0 and f.attrs["chart"] == chart]
        title = marks[0].attrs["chart_title"]
        answer = json.dumps(chart_table(marks), ensure_ascii=False)
        page = self.truth.page(0)
        return Candidate("chart_parsing", self.ask("chart_parsing", chart=title), answer,
                         [evidence(m, page) for m in marks], [],
                         {"op": "chart_table", "target": title, "labels": [f"{m.attrs['series']}\t{m.attrs['category']}"
                                                                          for m in marks]}, [answer])

    def kie(self) -> Candidate:
        fields = [f for f in self.by_kind.get("kv", ()) if f.page == 0]
        keys = [f.attrs["key"] for f in fields]
        if len(fields) < 2 or len(set(keys)) != len(keys):
            raise Unsupported("fewer than two fields, or a key printed twice")
        answer = json.dumps({f.attrs["key"]: f.text for f in fields}, ensure_ascii=False)
        page = self.truth.page(0)
        keys_text = ", ".join(json.dumps(k, ensure_ascii=False) for k in keys)
        return Candidate("kie", self.ask("kie", keys=keys_text), answer, [evidence(f, page) for f in fields], [],
                         {"op": "kie", "labels": keys}, [answer])

    def math_qa(self) -> Candidate:
        numeric = [f for f in self.by_kind.get("cell", ()) if f.page == 0 and "number" in f.attrs
                   and not f.attrs.get("total")]
        columns: dict[tuple, list[Fact]] = {}
        for f in numeric:
            columns.setdefault((f.attrs["table"], f.attrs["col"]), []).append(f)
        columns = {k: v for k, v in columns.items() if len({f.attrs["row"] for f in v}) >= 2}
        if not columns:
            raise Unsupported("no numeric table column of two rows or more")
        key = self.rng.choice(sorted(columns, key=str))
        col = key[1]
        cells = self.rng.sample(columns[key], min(len(columns[key]), self.rng.choice([2, 2, 3])))
        if len({f.attrs["row"] for f in cells}) < len(cells):
            raise Unsupported("two cells share a row label")
        relation = "difference" if len(cells) == 2 and self.rng.random() < 0.4 else self.rng.choice(["sum", "average"])
        if relation == "difference":
            cells.sort(key=lambda f: -f.attrs["number"])
        values = [float(f.attrs["number"]) for f in cells]
        result = arithmetic(relation, values)
        rows = self.join([f.attrs["row"] for f in cells])
        q = (self.ask("difference", col=col, a=cells[0].attrs["row"], b=cells[1].attrs["row"])
             if relation == "difference" else self.ask(relation, col=col, rows=rows))
        sign = {"sum": " + ", "difference": " - ", "average": " + "}[relation]
        expr = sign.join(f.text for f in cells)
        expr = f"({expr}) / {len(cells)}" if relation == "average" else expr
        answer = amount_text(result)
        page = self.truth.page(0)
        return Candidate("math_qa", q, answer, [evidence(f, page) for f in cells], [],
                         {"op": "arithmetic", "relation": relation, "labels": [f.attrs["row"] for f in cells],
                          "target": f"{expr} = {answer}"}, list(dict.fromkeys([answer, f"{result:,.2f}"])))

    def join(self, names: list[str]) -> str:
        quoted = [f"'{n}'" if self.truth.language not in ("zh", "ja") else f"“{n}”" for n in names]
        if self.truth.language in ("zh", "ja"):
            return "、".join(quoted)
        return ", ".join(quoted[:-1]) + " and " + quoted[-1]

    def doc_classification(self) -> Candidate:
        answer = DOC_CLASSES.get(self.truth.family)
        if answer is None:
            raise Unsupported(f"no document class for family {self.truth.family!r}")
        others = self.rng.sample([c for c in CLASS_NAMES if c != answer], 5)
        choices = others + [answer]
        self.rng.shuffle(choices)
        return Candidate("doc_classification", self.ask("doc_classification", choices=", ".join(choices)), answer,
                         [], [], {"op": "classify", "target": self.truth.family, "labels": choices}, [answer])


PARSE_TYPES = ("full_page_ocr", "doc_parsing", "formula_recognition", "diagram_qa", "handwritten_answer",
               "text_spotting", "text_counting", "table_parsing", "chart_parsing", "kie",
               "math_qa", "doc_classification", "text_translation")
