"""Long documents like MMLongBench-Doc's: its seven document types at 10-120 pages.

MMLongBench-Doc (Ma et al., NeurIPS 2024 Datasets and Benchmarks) draws 135 documents averaging
47.5 pages from research reports, tutorials/workshops, academic papers, guidebooks, brochures,
administration/industry files and financial reports, and puts the evidence of its questions in
plain text, layout (headers, tables of contents, captions), tables, charts and figures. A
document here has the same parts: a cover, a table of contents whose page numbers are the pages
the sections landed on, numbered chapters and sections (a chapter opens a new page unless the
previous one ended high on its page; in guidebooks and brochures always), running headers with the
chapter's title, page numbers, tables, charts and figures with numbered
captions spread over the pages in a mix that follows the type (a financial report is mostly
tables and charts, a tutorial has numbered steps, a guidebook practical fields), backward
cross-references ("See Table 3 on page 12.") that name where the object was placed, and a
reference list for papers and research reports. Text flows line by line across page breaks.

Facts beyond the single-page families': `toc_entry` (text: the section title; `page`: the 1-based
page printed beside it), `xref` (`target`: "Table 3", `page`: 0-based page it is on), `step`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from omnisynth.generators.content import Content
from omnisynth.generators.documents.canvas import MARGIN, PALETTE, Canvas
from omnisynth.generators.documents.layouts import chart
from omnisynth.schemas.truth import Fact

DOC_TYPES = ("research_report", "tutorial", "academic_paper", "guidebook", "brochure", "admin_file",
             "financial_report")
# blocks drawn between paragraphs, by weight, per type
MIX = {
    "research_report": {"para": 6, "table": 2, "chart": 2, "figure": 1},
    "tutorial": {"para": 5, "steps": 3, "figure": 2, "table": 1},
    "academic_paper": {"para": 7, "table": 2, "chart": 2, "figure": 1},
    "guidebook": {"para": 5, "figure": 2, "fields": 2, "table": 1},
    "brochure": {"para": 3, "figure": 3, "fields": 2, "chart": 1},
    "admin_file": {"para": 4, "fields": 3, "table": 2},
    "financial_report": {"para": 3, "table": 4, "chart": 3},
}
LONG = {
    "en": {"contents": "Contents", "see": "See {target} on page {page}.", "references": "References",
           "step": "Step {n}.", "prepared": "Prepared by", "types": {
               "research_report": "Research Report", "tutorial": "Workshop Tutorial", "academic_paper": "Paper",
               "guidebook": "Guidebook", "brochure": "Brochure", "admin_file": "Administrative File",
               "financial_report": "Annual Financial Report"}},
    "zh": {"contents": "目录", "see": "参见第{page}页的{target}。", "references": "参考文献", "step": "第{n}步：",
           "prepared": "编制单位", "types": {
               "research_report": "研究报告", "tutorial": "培训教程", "academic_paper": "学术论文",
               "guidebook": "指南", "brochure": "宣传手册", "admin_file": "行政文件", "financial_report": "年度财务报告"}},
    "ja": {"contents": "目次", "see": "{page}ページの{target}を参照。", "references": "参考文献",
           "step": "手順{n}：", "prepared": "作成", "types": {
               "research_report": "調査報告書", "tutorial": "ワークショップ教材", "academic_paper": "論文",
               "guidebook": "ガイドブック", "brochure": "パンフレット", "admin_file": "行政文書",
               "financial_report": "年次財務報告書"}},
    "ko": {"contents": "목차", "see": "{page}페이지의 {target} 참조.", "references": "참고 문헌", "step": "{n}단계.",
           "prepared": "작성", "types": {
               "research_report": "연구 보고서", "tutorial": "워크숍 교재", "academic_paper": "논문",
               "guidebook": "안내서", "brochure": "브로슈어", "admin_file": "행정 문서",
               "financial_report": "연간 재무 보고서"}},
    "de": {"contents": "Inhalt", "see": "Siehe {target} auf Seite {page}.", "references": "Literatur",
           "step": "Schritt {n}.", "prepared": "Erstellt von", "types": {
               "research_report": "Forschungsbericht", "tutorial": "Workshop-Unterlagen",
               "academic_paper": "Fachartikel", "guidebook": "Leitfaden", "brochure": "Broschüre",
               "admin_file": "Verwaltungsdokument", "financial_report": "Geschäftsbericht"}},
    "fr": {"contents": "Sommaire", "see": "Voir {target} page {page}.", "references": "Références",
           "step": "Étape {n}.", "prepared": "Préparé par", "types": {
               "research_report": "Rapport de recherche", "tutorial": "Support d'atelier",
               "academic_paper": "Article", "guidebook": "Guide", "brochure": "Brochure",
               "admin_file": "Dossier administratif", "financial_report": "Rapport financier annuel"}},
    "es": {"contents": "Índice", "see": "Véase {target} en la página {page}.", "references": "Referencias",
           "step": "Paso {n}.", "prepared": "Elaborado por", "types": {
               "research_report": "Informe de investigación", "tutorial": "Material del taller",
               "academic_paper": "Artículo", "guidebook": "Guía", "brochure": "Folleto",
               "admin_file": "Expediente administrativo", "financial_report": "Informe financiero anual"}},
}
TOP, BOTTOM = 64.0, 64.0  # body area below the running header and above the page number, points
TOC_LINES = 34  # entries one contents page holds


class _Full(Exception):
    """The document has all its pages."""


@dataclass
class Flow:
    """Lays blocks down the body pages, starting a new page when one does not fit, until `limit` pages."""

    c: Content
    rng: random.Random
    width: float
    height: float
    font: str
    size: float
    limit: int
    pages: list[Canvas]
    y: float = 0.0
    chapter: str = ""
    placed: list[tuple[str, int]] = field(default_factory=list)  # ("Table 3", page) in order placed
    counts: dict[str, int] = field(default_factory=dict)
    need: list[str] = field(default_factory=list)  # blocks the planned question needs, laid down first

    @property
    def cv(self) -> Canvas:
        return self.pages[-1]

    def new_page(self) -> Canvas:
        if len(self.pages) >= self.limit:
            raise _Full
        cv = Canvas(self.width, self.height, len(self.pages), self.c.lang, self.font)
        self.pages.append(cv)
        self.y = TOP
        return cv

    def room(self, h: float) -> Canvas:
        """The page to draw `h` points on at `self.y`: this one, or a new one when it would not fit."""
        if self.y + h > self.height - BOTTOM:
            self.new_page()
        return self.cv

    def text_lines(self, text: str, size: float, section: str, kind: str = "line", indent: float = 0,
                   attrs: dict | None = None, first: int = 1) -> int:
        """Wrap `text` and lay its lines down, across page breaks; each line a fact. Returns the next line_no."""
        n = first
        for line in self.cv.wrap(text, self.width - 2 * MARGIN - indent, size):
            cv = self.room(size * 1.4)
            cv.text(MARGIN + indent, self.y, line, size, fact=kind,
                    attrs={"section": section, "line_no": n, **(attrs or {})})
            self.y += size * 1.4
            n += 1
        self.y += size * 0.6
        return n

    def number(self, kind: str) -> int:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        return self.counts[kind]


def compose(kind: str, c: Content, rng: random.Random, title: str, width: float, height: float, font: str,
            size: float, n_pages: int, need: tuple[str, ...] = ()) -> list[Canvas]:
    """Every page of one long document of type `kind`, exactly `n_pages` of them (n_pages >= 4); the
    blocks in `need` (e.g. ("figure",) for a figure question) come first, whatever the type's mix."""
    L = LONG[c.lang]
    pages = [Canvas(width, height, 0, c.lang, font)]
    _cover(pages[0], c, rng, kind, title)
    toc_pages = 1 if n_pages <= 60 else 2
    pages += [Canvas(width, height, i, c.lang, font) for i in range(1, 1 + toc_pages)]
    refs = kind in ("academic_paper", "research_report") and n_pages >= 12
    flow = Flow(c, rng, width, height, font, size, n_pages - refs, pages, need=list(need))
    entries: list[tuple[str, str, int, int]] = []  # (number, title, level, page)
    try:
        for chapter in range(1, 10_000):
            if chapter == 1 or flow.y > height * 0.55 or kind in ("guidebook", "brochure"):
                flow.new_page()  # a chapter opens a page, unless the last one left most of its page free
            else:
                flow.y += size * 3
            cv = flow.room((size + 9) * 6)
            indent = (size + 9) * 1.6
            heading = cv.wrap(c.heading(), width - 2 * MARGIN - indent, size + 9, bold=True)[0]  # as printed
            flow.chapter = heading
            cv.text(MARGIN, flow.y, f"{chapter}", size + 9, bold=True, color=PALETTE[0])
            cv.text(MARGIN + indent, flow.y, heading, size + 9, bold=True, fact="heading",
                    attrs={"section": heading, "number": str(chapter)})
            entries.append((str(chapter), heading, 1, cv.page))
            flow.y += (size + 9) * 2.2
            for section in range(1, rng.randint(2, 5) + 1):
                _section(flow, kind, f"{chapter}.{section}", entries)
    except _Full:
        pass
    if refs:
        _references(flow, c, rng, L["references"])
    _contents(pages[1:1 + toc_pages], c, L["contents"], entries, 10.0)
    for cv in pages[1 + toc_pages:]:
        _running(cv, c, title, _chapter_of(entries, cv.page))
    for cv in pages[1:]:
        cv.text(width / 2, height - 38, str(cv.page + 1), 9, align="center", fact="page_label")
    return pages


def _chapter_of(entries, page: int) -> str:
    return next((t for _, t, level, p in reversed(entries) if level == 1 and p <= page), "")


def _running(cv: Canvas, c: Content, title: str, chapter: str) -> None:
    grey = (0.42, 0.42, 0.46)
    half = (cv.width - 2 * MARGIN) / 2 - 10
    cv.text(MARGIN, 30, title, 7.5, color=grey, fit=half)
    if chapter:
        cv.text(cv.width - MARGIN, 30, cv.wrap(chapter, half, 7.5)[0], 7.5, color=grey, align="right")
    cv.line(MARGIN, 42, cv.width - MARGIN, 42, color=(0.75, 0.75, 0.78), width=0.4)


def _cover(cv: Canvas, c: Content, rng: random.Random, kind: str, title: str) -> None:
    L = LONG[c.lang]
    band = PALETTE[rng.randrange(len(PALETTE))]
    cv.rect(0, 0, cv.width, cv.height * (0.42 if kind == "brochure" else 0.08), stroke=None, fill=band)
    y = cv.height * (0.48 if kind == "brochure" else 0.3)
    cv.text(MARGIN, y, L["types"][kind], 13, color=(0.35, 0.35, 0.4), fact="doc_type")
    size = 26.0
    while size > 14 and len(cv.wrap(title, cv.width - 2 * MARGIN, size, bold=True)) > 1:
        size -= 2
    cv.text(MARGIN, y + 26, title, size, bold=True, fact="title", fit=cv.width - 2 * MARGIN)
    y += 26 + size * 2.2
    cv.text(MARGIN, y, c.company(), 13, fact="organisation", fit=cv.width - 2 * MARGIN)
    authors = ", ".join(c.person() for _ in range(rng.randint(1, 4)))
    cv.text(MARGIN, y + 24, f"{L['prepared']}: {authors}", 10, fact="authors", fit=cv.width - 2 * MARGIN)
    cv.text(MARGIN, y + 44, c.date(), 10, fact="date")


def _section(flow: Flow, kind: str, number: str, entries: list) -> None:
    c, rng, size = flow.c, flow.rng, flow.size
    cv = flow.room((size + 3) * 5)
    indent = (size + 3) * 2.6
    heading = cv.wrap(c.heading(), flow.width - 2 * MARGIN - indent, size + 3, bold=True)[0]  # as printed
    cv.text(MARGIN, flow.y, number, size + 3, bold=True)
    cv.text(MARGIN + indent, flow.y, heading, size + 3, bold=True, fact="heading",
            attrs={"section": heading, "number": number})
    entries.append((number, heading, 2, cv.page))
    flow.y += (size + 3) * 1.7
    line_no = 1
    names, weights = zip(*MIX[kind].items(), strict=True)
    for n in range(rng.randint(2, 4)):
        if n and not c.more():
            break
        line_no = flow.text_lines(c.paragraph(), size, heading, first=line_no)
        block = rng.choices(names, weights=weights)[0]
        if flow.need:
            block = flow.need.pop(0)
        if block != "para":
            _block(flow, block, kind, heading)
        earlier = [(t, p) for t, p in flow.placed if p < flow.cv.page]
        if earlier and rng.random() < 0.25:  # a cross-reference back to a table or figure on an earlier page
            target, page = earlier[rng.randrange(len(earlier))]
            flow.text_lines(LONG[c.lang]["see"].format(target=target, page=page + 1), size, heading, kind="xref",
                            attrs={"target": target, "page": page})


def _block(flow: Flow, block: str, kind: str, section: str) -> None:
    c, rng, size, width = flow.c, flow.rng, flow.size, flow.width - 2 * MARGIN
    B = c.labels
    if block == "table":
        n = flow.number("table")
        ncol, nrows = rng.randint(3, 5), rng.randint(3, 8)
        if kind == "financial_report":
            year = rng.randint(2016, 2025)
            header = [B["row"]] + [str(year - ncol + 2 + i) for i in range(ncol - 1)]
            rows = [[c.unique(lambda: c.words(2).title())] + [f"{c.money(100, 90000):,.2f}" for _ in range(ncol - 1)]
                    for _ in range(nrows)]
        else:
            header = [B["row"]] + [c.unique(lambda: c.words(1).title()) for _ in range(ncol - 1)]
            decimals = rng.choice([0, 1, 2])
            rows = [[c.product()] + [f"{rng.uniform(0, 10 ** rng.randint(2, 4)):,.{decimals}f}" for _ in range(ncol - 1)]
                    for _ in range(nrows)]
        cv = flow.room(size * 2.2 * (nrows + 3) + size * 3)
        target = B["table"].format(n=n)
        caption = f"{target}: {c.sentence(4, 9)}"
        cv.text(MARGIN, flow.y, caption, size - 1, fact="caption", fit=width)
        flow.y = cv.table(MARGIN, flow.y + size * 1.6, width, header, rows, size - 1, n, set(range(1, ncol)))
        flow.y += size * 1.5
        flow.placed.append((target, cv.page))
    elif block in ("chart", "figure"):
        n = flow.number("figure")
        target = B["figure"].format(n=n)
        h = 210.0
        cv = flow.room(h + size * 4)
        if block == "chart":
            chart(cv, c, rng, MARGIN, flow.y, width, h, size - 1, n)
        else:
            _diagram(cv, c, rng, MARGIN, flow.y, width, h, size - 1, target)
        cv.text(MARGIN, flow.y + h + 6, f"{target}: {c.sentence(4, 9)}", size - 1, fact="caption", fit=width)
        flow.y += h + size * 3
        flow.placed.append((target, cv.page))
    elif block == "steps":
        for i in range(1, rng.randint(3, 5) + 1):
            label = LONG[c.lang]["step"].format(n=i)
            flow.text_lines(f"{label} {c.sentence(4, 12)}", size, section, kind="step", indent=12, attrs={"n": i})
    elif block == "fields":
        labels = B["form_fields"]
        chosen = sorted(rng.sample(range(len(labels)), rng.randint(3, 5)))
        cv = flow.room(size * 1.8 * len(chosen) + size)
        if any(f.kind == "kv" for f in cv.facts):  # one field list a page: its keys name one field each
            return
        for i in chosen:
            cv.text(MARGIN + 12, flow.y, f"{labels[i]}:", size, bold=True)
            cv.text(MARGIN + 170, flow.y, c.form_value(i), size, fact="kv", attrs={"key": labels[i]},
                    fit=width - 170)
            flow.y += size * 1.8
        flow.y += size


def _diagram(cv: Canvas, c: Content, rng: random.Random, x: float, top: float, w: float, h: float,
             size: float, figure: str) -> None:
    """A flow diagram drawn from a small graph: a chain of labelled boxes, arrows between; the graph is a
    `diagram` fact (nodes [id, label, shape], edges [from, to, label]) named by its figure label."""
    n = rng.randint(3, 5)
    labels = [c.unique(lambda: c.words(rng.randint(1, 2)).title()) for _ in range(n)]
    bw, bh = min(120.0, w / n - 24), 34.0
    gap = (w - n * bw) / max(1, n - 1)
    y = top + h / 2 - bh / 2
    boxes = []
    for i, label in enumerate(labels):
        bx = x + i * (bw + gap)
        cv.rect(bx, y, bx + bw, y + bh, stroke=PALETTE[0], fill=(0.93, 0.95, 0.99), width=1.0)
        text = cv.wrap(label, bw - 8, size)[0]
        cv.text(bx + bw / 2, y + bh / 2 - size * 0.6, text, size, align="center", fact="diagram_node",
                attrs={"node": i})
        boxes.append((bx, y, bx + bw, y + bh))
        labels[i] = text
    cv.facts.append(Fact("diagram", cv.page, (x, y, x + w, y + bh), figure, {
        "kind": "flowchart", "figure": figure, "shape": True, "nodes": [[f"n{i}", t, "box"] for i, t in enumerate(labels)],
        "edges": [[f"n{i}", f"n{i + 1}", ""] for i in range(n - 1)]}))
    for a, b in zip(boxes, boxes[1:], strict=False):
        cv.line(a[2], y + bh / 2, b[0], y + bh / 2, color=(0.3, 0.3, 0.35), width=1.0)
        cv.line(b[0] - 5, y + bh / 2 - 3, b[0], y + bh / 2, color=(0.3, 0.3, 0.35), width=1.0)
        cv.line(b[0] - 5, y + bh / 2 + 3, b[0], y + bh / 2, color=(0.3, 0.3, 0.35), width=1.0)


def _references(flow: Flow, c: Content, rng: random.Random, heading: str) -> None:
    flow.limit += 1
    cv = flow.new_page()
    cv.text(MARGIN, flow.y, heading, flow.size + 6, bold=True, fact="heading", attrs={"section": heading})
    flow.y += (flow.size + 6) * 2
    for k in range(1, 40):
        if flow.y + flow.size * 4 > flow.height - BOTTOM:
            break
        authors = ", ".join(c.person() for _ in range(rng.randint(1, 3)))
        entry = (f"[{k}] {authors} ({rng.randint(1995, 2025)}). {c.sentence(3, 8).rstrip('.')}. {c.company()}, "
                 f"{rng.randint(1, 60)}({rng.randint(1, 12)}), {(p := rng.randint(1, 400))}-{p + rng.randint(5, 30)}.")
        for line in cv.wrap(entry, flow.width - 2 * MARGIN - 14, flow.size - 1)[:3]:
            cv.text(MARGIN + (0 if line.startswith("[") else 14), flow.y, line, flow.size - 1, fact="reference",
                    attrs={"n": k})
            flow.y += (flow.size - 1) * 1.35
        flow.y += flow.size * 0.5


def _contents(pages: list[Canvas], c: Content, heading: str, entries: list, size: float) -> None:
    """The table of contents: chapters, and sections while they all fit, with the page each starts on."""
    room = TOC_LINES * len(pages) - 2
    shown = entries if len(entries) <= room else [e for e in entries if e[2] == 1][:room]
    k = 0
    for i, cv in enumerate(pages):
        y = TOP + 10
        lines = TOC_LINES
        if i == 0:
            cv.text(MARGIN, y, heading, size + 8, bold=True, fact="heading", attrs={"section": heading})
            y += (size + 8) * 2
            lines -= 2
        right = cv.width - MARGIN
        for number, title, level, page in shown[k:k + lines]:
            indent, bold = (0, True) if level == 1 else (22, False)
            cv.text(MARGIN + indent, y, number, size, bold=bold)
            cv.text(right, y, str(page + 1), size, bold=bold, align="right")
            cv.text(MARGIN + indent + size * 2.6, y, title, size, bold=bold, fact="toc_entry",
                    attrs={"number": number, "page": page + 1}, fit=right - MARGIN - indent - size * 2.6 - 40)
            y += size * (1.9 if level == 1 else 1.55)
        k += lines
