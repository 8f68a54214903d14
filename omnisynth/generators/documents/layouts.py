"""Layout families of synthetic documents, drawn onto `Canvas` pages: the printed ones here,
the handwritten ones in `hand.py`, the scene-text boards in `scene.py`; the registry of all.

Each family function draws one page and records the facts it placed: titles, headings,
text lines, key-value fields, table cells, chart marks with their exact values. The
`PROVIDES` table says which question types a family can support, so the generator can
pick a family that fits the question type it was asked for.
"""

from __future__ import annotations

import math
import random

from omnisynth.generators.content import Content, fmt_money
from omnisynth.generators.documents.canvas import INK, MARGIN, PALETTE, Canvas
from omnisynth.generators.documents.editorial import EDITORIAL_FAMILIES
from omnisynth.generators.documents.finance import FINANCE_FAMILIES
from omnisynth.generators.documents.hand import draw_answer_sheet, draw_handform, draw_note
from omnisynth.generators.documents.plots import draw_plot
from omnisynth.generators.documents.diagrams import draw_diagram
from omnisynth.generators.documents.formulas import draw_math
from omnisynth.generators.documents.scene import draw_label, draw_package, draw_sign
from omnisynth.generators.documents.tables import draw_grouped_table

PROVIDES = {
    "report": {"region", "heading", "phrase", "page_locate"},
    "invoice": {"key_value", "table_cell", "field_value", "region", "phrase"},
    "form": {"key_value", "field_value", "region", "phrase"},
    "table": {"table_cell", "region", "phrase"},
    "slide": {"region", "chart_value", "phrase", "heading"},
    "paper": {"region", "heading", "phrase", "page_locate"},
    "chart": {"chart_value", "region", "phrase"},
    "handform": {"key_value", "field_value", "region", "phrase"},
    "note": {"region", "heading", "phrase"},
}
PROVIDES.update({"sign": {"region", "key_value", "field_value", "phrase", "heading"},
                 "label": {"region", "key_value", "field_value", "heading"},
                 "package": {"region", "key_value", "field_value", "heading", "phrase"}})
PROVIDES.update({f: {"key_value", "table_cell", "field_value", "region", "phrase"} for f in FINANCE_FAMILIES})
PROVIDES.update({"newspaper": {"region", "heading", "phrase"}, "magazine": {"region", "heading", "phrase"},
                 "menu": {"table_cell", "region", "heading", "phrase"},
                 "certificate": {"key_value", "field_value", "region", "heading", "phrase"},
                 "poster": {"key_value", "field_value", "region", "heading", "phrase"},
                 "grouped_table": {"table_cell", "region", "phrase"}, "plot": {"chart_value", "region", "phrase"},
                 "math": {"region", "heading", "phrase", "page_locate"}, "diagram": {"region", "phrase"},
                 "answer_sheet": {"region", "key_value", "field_value", "phrase"}})
SCENE_FAMILIES = ("sign", "label", "package")  # scene text: small boards placed in a scene by the degrade stage
HAND_FAMILIES = ("handform", "note", "answer_sheet")  # written in a handwriting font (Latin: English content)


def header_footer(cv: Canvas, c: Content, n_pages: int, doc_title: str, kind: str) -> None:
    """Page numbers and a running title on multi-page documents (slides number themselves)."""
    if n_pages > 1 and kind not in ("slide", "receipt"):
        label = c.labels["page"].format(n=cv.page + 1, m=n_pages)
        cv.text(cv.width / 2, cv.height - 34, label, 8, align="center", fact="page_label")
        if cv.page > 0:
            cv.text(MARGIN, 24, doc_title, 7.5, color=(0.4, 0.4, 0.45))


def sections(cv: Canvas, c: Content, x: float, top: float, width: float, bottom: float,
             size: float, max_sections: int = 4) -> float:
    """Numbered headings, each followed by a wrapped paragraph; stops at `bottom`."""
    for _ in range(max_sections):
        if top + size * 6 > bottom:
            break
        heading = cv.wrap(c.heading(), width, size + 3, bold=True)[0]  # a heading never spills over
        cv.text(x, top, heading, size + 3, bold=True, fact="heading", attrs={"section": heading})
        top += (size + 3) * 1.6
        for n in range(c.rng.randint(1, 3)):  # the section's paragraphs, in order, while they fit
            if n and (not c.more() or top + size * 4 > bottom):
                break
            top = cv.paragraph(x, top, width, c.paragraph(), size, attrs={"section": heading}, max_bottom=bottom)
            top += size * (0.6 if n == 0 else 0.5)
        top += size * 0.6
    return top


def nice_step(span: float) -> float:
    raw = span / 5
    mag = 10 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)


def chart(cv: Canvas, c: Content, rng: random.Random, x: float, top: float, w: float, h: float,
          size: float, chart_id: int, kind: str | None = None) -> None:
    """A bar or line chart with axes, ticks, legend and exact values as `chart_mark` facts."""
    kind = kind or rng.choice(["bar", "line"])
    quarters = rng.random() < 0.5
    # the title names what the categories are: quarters, or regions (cities)
    title = c.unique(lambda: c.labels["chart_title"].format(x=c.words(2).title() if c.lang == "en" else c.words(2),
                                                            dim=c.labels["dims"][0 if quarters else 1]))
    cv.text(x + w / 2, top, title, size + 2, bold=True, align="center", fact="chart_title", fit=w,
            attrs={"chart": chart_id})
    n_series = rng.randint(1, 3) if kind == "bar" else rng.randint(1, 2)
    if quarters:
        categories = ["Q1", "Q2", "Q3", "Q4"]
    else:  # cities whose names fit their slot on the axis (Faker's can be long: 'Lake Michaelmouth')
        n, categories = rng.randint(3, 6), []
        slot_w = (w - 50) / n - 6
        for _ in range(8 * n):
            city = c.city()
            if city not in categories and cv.wrap(city, slot_w, size * 0.85) == [city]:
                categories.append(city)
            if len(categories) == n:
                break
        categories = categories if len(categories) >= 3 else ["Q1", "Q2", "Q3", "Q4"]
    series = [c.unique(lambda: c.words(1).title()) for _ in range(n_series)]
    decimals = rng.choice([0, 1])
    hi = rng.choice([50, 100, 250, 1000])
    values = {s: [round(rng.uniform(hi * 0.08, hi), decimals) for _ in categories] for s in series}
    vmax = max(max(v) for v in values.values())
    step = nice_step(vmax)
    top_value = step * math.ceil(vmax / step)
    px0, py0, px1, py1 = x + 42, top + size * 3, x + w - 8, top + h - size * 3  # plot area
    cv.line(px0, py0, px0, py1)
    cv.line(px0, py1, px1, py1)
    tick = 0.0
    while tick <= top_value + 1e-9:
        y = py1 - (py1 - py0) * tick / top_value
        cv.line(px0 - 3, y, px0, y)
        cv.line(px0, y, px1, y, color=(0.85, 0.85, 0.88), width=0.3)
        cv.text(px0 - 5, y - size * 0.55, f"{tick:g}", size * 0.8, align="right")
        tick += step
    slot = (px1 - px0) / len(categories)
    labels = rng.random() < 0.6
    for ci, cat in enumerate(categories):
        cv.text(px0 + slot * (ci + 0.5), py1 + 4, cat, size * 0.85, align="center", fact="axis_label")
    markers = []  # drawn after every line, so no series' line covers another's marker
    for si, s in enumerate(series):
        color = PALETTE[si % len(PALETTE)]
        points = []
        for ci, cat in enumerate(categories):
            v = values[s][ci]
            y = py1 - (py1 - py0) * v / top_value
            attrs = {"chart": chart_id, "chart_title": title, "series": s, "category": cat, "value": v,
                     "kind": kind, "labelled": kind == "bar" and labels}  # its value printed beside it
            if kind == "bar":
                bw = slot * 0.8 / n_series
                bx = px0 + slot * ci + slot * 0.1 + bw * si
                cv.rect(bx, y, bx + bw, py1, stroke=None, fill=color)
                cv.mark((bx, y, bx + bw, py1), f"{s} {cat}", attrs)
                if labels:
                    cv.text(bx + bw / 2, y - size * 1.1, f"{v:g}", size * 0.7, align="center")
            else:
                cx = px0 + slot * (ci + 0.5)
                points.append((cx, y))
                markers.append(((cx - 2.5, y - 2.5, cx + 2.5, y + 2.5), color, f"{s} {cat}", attrs))
        if points:
            cv.polyline(points, color)
    for i, (box, color, text, attrs) in enumerate(markers):
        cv.rect(*box, stroke=None, fill=color)
        if not any(_overlap(box, later[0]) for later in markers[i + 1:]):  # a covered marker is no fact
            cv.mark(box, text, attrs)
    lx = px0
    for si, s in enumerate(series):  # legend
        cv.rect(lx, top + h - size * 1.2, lx + 8, top + h - size * 1.2 + 8, stroke=None,
                fill=PALETTE[si % len(PALETTE)])
        box = cv.text(lx + 11, top + h - size * 1.35, s, size * 0.85, fact="legend", attrs={"chart": chart_id})
        lx = box[2] + 14


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def title_block(cv: Canvas, c: Content, title: str, size: float) -> float:
    cv.text(MARGIN, 52, title, size + 8, bold=True, fact="title", fit=cv.width - 2 * MARGIN)
    meta = f"{c.person()} | {c.company()} | {c.date()}"
    cv.text(MARGIN, 52 + (size + 8) * 1.5, meta, size - 1, color=(0.35, 0.35, 0.4), fact="byline")
    cv.line(MARGIN, 52 + (size + 8) * 1.5 + size * 1.6, cv.width - MARGIN, 52 + (size + 8) * 1.5 + size * 1.6)
    return 52 + (size + 8) * 1.5 + size * 2.6


def draw_report(cv: Canvas, c: Content, rng: random.Random, title: str, size: float) -> None:
    top = title_block(cv, c, title, size) if cv.page == 0 else 56
    sections(cv, c, MARGIN, top, cv.width - 2 * MARGIN, cv.height - 60, size, max_sections=rng.randint(3, 6))


def draw_paper(cv: Canvas, c: Content, rng: random.Random, title: str, size: float) -> None:
    top = 56
    if cv.page == 0:
        cv.text(cv.width / 2, 52, title, size + 6, bold=True, align="center", fact="title", fit=cv.width - 2 * MARGIN)
        cv.text(cv.width / 2, 52 + (size + 6) * 1.6, f"{c.person()}, {c.person()} - {c.company()}",
                size, align="center", fact="byline")
        top = 52 + (size + 6) * 1.6 + size * 2.4
        cv.text(MARGIN, top, c.labels["abstract"], size, bold=True, fact="heading",
                attrs={"section": c.labels["abstract"]})
        top = cv.paragraph(MARGIN + 20, top + size * 1.5, cv.width - 2 * MARGIN - 40, c.paragraph((2, 3)),
                           size - 1, attrs={"section": c.labels["abstract"]}) + size
    gap = 18
    col_w = (cv.width - 2 * MARGIN - gap) / 2
    fig_col = rng.randint(0, 1)
    for col in range(2):
        x = MARGIN + col * (col_w + gap)
        y = top
        if col == fig_col:  # a figure with its caption
            fh = rng.uniform(90, 150)
            cv.rect(x, y, x + col_w, y + fh, stroke=(0.5, 0.5, 0.55), fill=(0.93, 0.95, 0.97))
            for _ in range(rng.randint(3, 6)):
                bx, by = x + rng.uniform(5, col_w - 45), y + rng.uniform(5, fh - 30)
                cv.rect(bx, by, bx + rng.uniform(15, 40), by + rng.uniform(8, 25), fill=PALETTE[rng.randrange(5)])
            caption = f"{c.labels['figure'].format(n=cv.page + 1)}: {c.words(rng.randint(4, 8))}"
            caption = cv.wrap(caption, col_w, size - 1.5)[0]  # one line: never run into the next column
            cv.text(x, y + fh + 6, caption, size - 1.5, fact="caption")
            y += fh + size * 2.6
        sections(cv, c, x, y, col_w, cv.height - 60, size - 0.5, max_sections=4)


def draw_invoice(cv: Canvas, c: Content, rng: random.Random, title: str, size: float) -> None:
    L = c.labels
    company = c.company()
    cv.text(MARGIN, 50, company, size + 6, bold=True, fact="title", fit=cv.width - 2 * MARGIN - 170)
    cv.text(MARGIN, 50 + (size + 6) * 1.5, c.address(), size - 1, fact="address")
    cv.text(cv.width - MARGIN, 50, L["invoice"], size + 10, bold=True, align="right", color=(0.2, 0.3, 0.55))
    fields = [(L["invoice_no"], c.code("INV")), (L["date"], c.date()), (L["due"], c.date()),
              (L["customer"], c.company()), (L["po"], c.code("PO"))]
    y = 120
    for key, value in fields:
        cv.text(MARGIN, y, key + ":", size, bold=True)
        cv.text(MARGIN + 110, y, value, size, fact="kv", attrs={"key": key})
        y += size * 1.7
    header = [L["description"], L["qty"], L["unit"], L["amount"]]
    rows, subtotal = [], 0.0
    for _ in range(rng.randint(3, 9)):
        qty, unit = rng.randint(1, 40), c.money(2, 400)
        subtotal += round(qty * unit, 2)
        rows.append([c.product(), str(qty), fmt_money(unit), fmt_money(round(qty * unit, 2))])
    y = cv.table(MARGIN, y + size, cv.width - 2 * MARGIN, header, rows, size, 0, {1, 2, 3}) + size * 1.5
    rate = rng.choice([0.05, 0.08, 0.1, 0.2])
    tax = round(subtotal * rate, 2)
    for key, value in ((L["subtotal"], subtotal), (f"{L['tax']} ({rate:.0%})", tax), (L["total"], subtotal + tax)):
        cv.text(cv.width - MARGIN - 190, y, key, size, bold=key == L["total"])
        cv.text(cv.width - MARGIN, y, fmt_money(round(value, 2)), size, bold=key == L["total"], align="right",
                fact="kv", attrs={"key": key, "number": round(value, 2)})
        y += size * 1.8


def draw_form(cv: Canvas, c: Content, rng: random.Random, title: str, size: float) -> None:
    cv.text(MARGIN, 50, title, size + 7, bold=True, fact="title", fit=cv.width - 2 * MARGIN)
    cv.text(MARGIN, 50 + (size + 7) * 1.5, c.sentence(6, 10), size - 1, fact="instructions", fit=cv.width - 2 * MARGIN)
    labels = c.labels["form_fields"]
    chosen = rng.sample(range(len(labels)), rng.randint(5, len(labels)))
    y = 120
    box_w = cv.width - 2 * MARGIN
    for i in sorted(chosen):
        if y + size * 4 > cv.height - 60:
            break
        cv.text(MARGIN, y, labels[i], size - 1, bold=True, color=(0.3, 0.3, 0.35))
        cv.rect(MARGIN, y + size * 1.3, MARGIN + box_w, y + size * 3.3, stroke=(0.55, 0.55, 0.6))
        value = c.form_value(i)
        cv.text(MARGIN + 6, y + size * 1.75, value, size + 1, font="cour" if c.lang == "en" else None,
                fact="kv", attrs={"key": labels[i]})
        y += size * 4.4
    for _ in range(rng.randint(1, 3)):  # checkboxes
        if y + size * 2 > cv.height - 60:
            break
        checked = rng.random() < 0.5
        cv.rect(MARGIN, y, MARGIN + 9, y + 9)
        if checked:
            cv.line(MARGIN + 1.5, y + 4.5, MARGIN + 4, y + 8)
            cv.line(MARGIN + 4, y + 8, MARGIN + 8, y + 1)
        cv.text(MARGIN + 15, y - 1, c.sentence(3, 6), size - 1, fact="checkbox", attrs={"checked": checked},
                fit=cv.width - 2 * MARGIN - 15)
        y += size * 2


def draw_table(cv: Canvas, c: Content, rng: random.Random, title: str, size: float) -> None:
    cv.text(MARGIN, 50, title, size + 6, bold=True, fact="title", fit=cv.width - 2 * MARGIN)
    ncol = rng.randint(3, 6)
    header = [c.labels["row"]] + [c.unique(lambda: c.words(1).title()) for _ in range(ncol - 1)]
    decimals = rng.choice([0, 1, 2])
    nrows = rng.randint(6, 18)
    rows = [[c.product()] + [f"{rng.uniform(0, 10 ** rng.randint(2, 4)):,.{decimals}f}" for _ in range(ncol - 1)]
            for _ in range(nrows)]
    y = cv.table(MARGIN, 100, cv.width - 2 * MARGIN, header, rows, size - 0.5, cv.page, set(range(1, ncol)))
    caption = f"{c.labels['table'].format(n=cv.page + 1)}: {c.sentence(5, 9)}"
    cv.text(MARGIN, y + 8, caption, size - 1.5, fact="caption", fit=cv.width - 2 * MARGIN)
    if y + 80 < cv.height - 80:
        cv.paragraph(MARGIN, y + 40, cv.width - 2 * MARGIN, c.paragraph(), size, attrs={"section": caption},
                     max_bottom=cv.height - 60)


def draw_slide(cv: Canvas, c: Content, rng: random.Random, title: str, size: float) -> None:
    cv.rect(0, 0, cv.width, 70, stroke=None, fill=(0.16, 0.24, 0.40))
    heading = cv.wrap(c.heading(), cv.width - 80, 26, bold=True)[0]
    cv.text(40, 20, heading, 26, bold=True, color=(1, 1, 1), fact="heading", attrs={"section": heading})
    with_chart = rng.random() < 0.6
    bullets_w = cv.width * (0.45 if with_chart else 0.85)
    y = 100
    for _ in range(rng.randint(3, 5)):
        cv.rect(44, y + 7, 50, y + 13, stroke=None, fill=(0.16, 0.24, 0.40))
        y = cv.paragraph(60, y, bullets_w, c.sentence(4, 9), 16, attrs={"section": heading}) + 10
    if with_chart:
        chart(cv, c, rng, cv.width * 0.52, 95, cv.width * 0.44, 400, 11, cv.page)
    cv.text(cv.width - 30, cv.height - 24, str(cv.page + 1), 10, align="right", fact="page_label")


def draw_chart(cv: Canvas, c: Content, rng: random.Random, title: str, size: float) -> None:
    cv.text(MARGIN, 50, title, size + 6, bold=True, fact="title", fit=cv.width - 2 * MARGIN)
    y = cv.paragraph(MARGIN, 80, cv.width - 2 * MARGIN, c.paragraph((1, 2)), size, attrs={"section": title})
    h = (cv.height - y - 90) / 2
    chart(cv, c, rng, MARGIN, y + 16, cv.width - 2 * MARGIN, h - 10, size, 2 * cv.page)
    chart(cv, c, rng, MARGIN, y + 26 + h, cv.width - 2 * MARGIN, h - 10, size, 2 * cv.page + 1)


FAMILIES = {
    "report": draw_report, "invoice": draw_invoice, "form": draw_form, "table": draw_table,
    "slide": draw_slide, "paper": draw_paper, "chart": draw_chart, **FINANCE_FAMILIES, **EDITORIAL_FAMILIES, "grouped_table": draw_grouped_table,
    "plot": draw_plot, "math": draw_math, "diagram": draw_diagram, "handform": draw_handform,
    "note": draw_note, "answer_sheet": draw_answer_sheet, "sign": draw_sign, "label": draw_label, "package": draw_package,
}
# Continuation pages of a multi-page document: what follows a family's first page.
CONTINUATIONS = {
    "report": ("report", "table", "chart"), "paper": ("paper",), "invoice": ("invoice", "table"),
    "form": ("form",), "table": ("table", "chart", "report"), "slide": ("slide",), "chart": ("chart", "table", "report"),
    "handform": ("handform",), "note": ("note",), "sign": ("sign",), "label": ("label",), "package": ("package",),
    "receipt": ("receipt",), "statement": ("statement",), "payslip": ("payslip",), "bill": ("bill", "table"),
    "newspaper": ("newspaper",), "magazine": ("magazine",), "menu": ("menu",), "certificate": ("certificate",),
    "poster": ("poster",), "grouped_table": ("grouped_table", "report"),
    "plot": ("plot", "report"), "math": ("math",), "diagram": ("diagram", "report"),
    "answer_sheet": ("answer_sheet",),
}
__all__ = ["FAMILIES", "CONTINUATIONS", "PROVIDES", "HAND_FAMILIES", "SCENE_FAMILIES", "INK"]
