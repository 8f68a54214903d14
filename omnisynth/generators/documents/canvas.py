"""A page plan: the drawing operations of one page plus the facts they place.

Layout code writes to a `Canvas` (pure Python, no PyMuPDF document), which measures text
with PyMuPDF's font metrics and records a display list. `paint()` replays the list on a
PyMuPDF page. Keeping the two apart lets the benchmark replay the exact same page with
bare PyMuPDF calls, and lets tests look at plans without rendering.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import pymupdf

from omnisynth.generators.fonts import HAND_PREFIX, handwriting_file
from omnisynth.schemas.truth import Fact

# (family, bold) -> PyMuPDF built-in font name; CJK text uses the language's built-in CJK font.
FONTS = {
    ("helvetica", False): "helv", ("helvetica", True): "hebo",
    ("times", False): "tiro", ("times", True): "tibo",
    ("courier", False): "cour", ("courier", True): "cobo",
}
CJK_FONTS = {"zh": "china-s", "ja": "japan", "ko": "korea"}  # PyMuPDF's built-in Droid Sans Fallback, per language
# characters a font's text layer reads back as another (LXGW WenKai maps '-' to U+2011): written as one
# that reads back as itself, so a fact holds what the page says
FOLDS = {HAND_PREFIX + "lxgw-wenkai": str.maketrans({"-": "\u2010", "~": "\u301c"})}
UNSPACED = ("zh", "ja")  # scripts written without spaces between words: lines break between characters
PAGE_SIZES = {"a4": (595.0, 842.0), "letter": (612.0, 792.0), "slide": (960.0, 540.0),
              # scene-text boards: a sign, a shelf label, the front of a box
              "sign": (432.0, 216.0), "label": (252.0, 144.0), "package": (216.0, 288.0),
              "receipt": (227.0, 620.0),  # an 80 mm till roll
              "certificate": (842.0, 595.0)}  # A4 landscape
INK = (0.1, 0.1, 0.12)
PALETTE = [(0.20, 0.45, 0.75), (0.90, 0.50, 0.15), (0.25, 0.65, 0.35), (0.75, 0.25, 0.30), (0.50, 0.35, 0.70)]
MARGIN = 56.0  # page margin, points


@lru_cache(maxsize=None)
def _font(fontname: str) -> pymupdf.Font:
    if fontname.startswith(HAND_PREFIX):
        return pymupdf.Font(fontfile=handwriting_file(fontname[len(HAND_PREFIX):]))
    return pymupdf.Font(fontname)


@lru_cache(maxsize=None)
def font_metrics(fontname: str) -> tuple[float, float]:
    if fontname in CJK_FONTS.values():
        return 1.043, -0.266
    font = _font(fontname)
    return font.ascender, font.descender


@lru_cache(maxsize=None)
def _advances(fontname: str) -> dict[str, float]:
    return {}


def text_width(text: str, fontname: str, size: float) -> float:
    """Width of a line of text in points: the sum of glyph advances, as PyMuPDF lays it out.

    Same result as `pymupdf.get_text_length` (a test checks), from a per-font cache of
    advances: layout measures thousands of trial strings per page while wrapping.
    """
    if fontname in CJK_FONTS.values():
        return len(text) * size  # the built-in CJK font advances every glyph by 1 em
    table = _advances(fontname)
    try:
        return size * sum(table[c] for c in text)
    except KeyError:
        font = _font(fontname)
        for c in text:
            if c not in table:
                table[c] = font.glyph_advance(ord(c))
        return size * sum(table[c] for c in text)


@dataclass
class Canvas:
    """Records one page: `ops` to paint and `facts` (boxes in points, refined after render)."""

    width: float
    height: float
    page: int
    language: str
    body_font: str
    hand: str = ""  # the handwriting font of this document (a Canvas font name), '' for none
    ops: list[tuple] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)

    def font(self, bold: bool = False, text: str = "") -> str:
        """The Latin body font, or the CJK font for text that needs it (its glyphs advance 1 em)."""
        if self.language in CJK_FONTS and not text.isascii():
            return CJK_FONTS[self.language]
        return FONTS[(self.body_font, bold)]

    def text(self, x: float, top: float, text: str, size: float, bold: bool = False, color=INK,
             fact: str | None = None, attrs: dict | None = None, font: str | None = None,
             align: str = "left", fit: float | None = None) -> tuple[float, float, float, float]:
        """Draw one line of text with its top-left (or top-right for align='right') at (x, top);
        with `fit` (points), text wider than that is cut to its first wrapped line."""
        if font in FOLDS:
            text = text.translate(FOLDS[font])
        if fit is not None:
            text = self.wrap(text, fit, size, bold=bold, font=font)[0]
        fontname = font or self.font(bold, text)
        asc, desc = font_metrics(fontname)
        width = text_width(text, fontname, size)
        if align == "right":
            x -= width
        elif align == "center":
            x -= width / 2
        self.ops.append(("text", x, top + size * asc, text, fontname, size, color))
        box = (x, top, x + width, top + size * (asc - desc))
        if fact:
            self.facts.append(Fact(fact, self.page, box, text, dict(attrs or {})))
        return box

    def wrap(self, text: str, width: float, size: float, bold: bool = False, font: str | None = None) -> list[str]:
        """Greedy line breaking by words (Latin) or characters (CJK)."""
        fontname = font or self.font(bold, text)
        tokens = list(text) if self.language in UNSPACED else text.split(" ")
        sep = "" if self.language in UNSPACED else " "
        lines, current = [], ""
        for tok in tokens:
            trial = f"{current}{sep}{tok}" if current else tok
            if current and text_width(trial, fontname, size) > width:
                lines.append(current)
                current = tok
            else:
                current = trial
            while len(current) > 1 and text_width(current, fontname, size) > width:  # a word wider than the line
                cut = next((i for i in range(len(current) - 1, 0, -1) if text_width(current[:i], fontname, size) <= width), 1)
                lines.append(current[:cut])
                current = current[cut:]
        if current:
            lines.append(current)
        return lines

    def fitting(self, make, width: float, size: float, seen: set[str], font: str | None = None,
                bold: bool = False) -> str:
        """A text from `make()` that fits `width` whole and was not given before (a row label is a key),
        after a few tries the first wrapped line of one (numbered when even that repeats)."""
        for _ in range(12):
            text = make()
            if text not in seen and self.wrap(text, width, size, bold=bold, font=font) == [text]:
                break
        text = self.wrap(text, width, size, bold=bold, font=font)[0]
        if text in seen:
            text = self.wrap(f"{len(seen) + 1} {text}", width, size, bold=bold, font=font)[0]
        seen.add(text)
        return text

    def paragraph(self, x: float, top: float, width: float, text: str, size: float, leading: float = 1.35,
                  attrs: dict | None = None, max_bottom: float | None = None, font: str | None = None,
                  color=INK) -> float:
        """Draw wrapped text, one `line` fact per line; returns the y below the last line drawn."""
        for n, line in enumerate(self.wrap(text, width, size, font=font), start=1):
            if max_bottom is not None and top + size * leading > max_bottom:
                break
            self.text(x, top, line, size, fact="line", attrs={**(attrs or {}), "line_no": n}, font=font, color=color)
            top += size * leading
        return top

    def rect(self, x0, y0, x1, y1, stroke=INK, fill=None, width: float = 0.6) -> None:
        self.ops.append(("rect", x0, y0, x1, y1, stroke, fill, width))

    def line(self, x0, y0, x1, y1, color=INK, width: float = 0.6) -> None:
        self.ops.append(("line", x0, y0, x1, y1, color, width))

    def polyline(self, points: list[tuple[float, float]], color, width: float = 1.5) -> None:
        self.ops.append(("polyline", tuple(points), color, width))

    def mark(self, box, text: str, attrs: dict) -> None:
        """A fact that is a drawn shape (a bar, a point), not text: its box is exact already."""
        self.facts.append(Fact("chart_mark", self.page, box, text, {**attrs, "shape": True}))

    def table(self, x: float, top: float, width: float, header: list[str],
              rows: list[list[str]], size: float, table_id: int, numeric_cols: set[int]) -> float:
        """A ruled table at (x, top), `width` points wide; every body cell is a `cell` fact keyed by its
        row label and column header (with its `number` in `numeric_cols`). Returns the y below it."""
        ncol = len(header)
        first = width * (0.34 if ncol > 3 else 0.45)
        # the other columns share the rest in proportion to their widest cell or header word (a
        # header wraps onto a second line), never less than that where the rest allows
        words = [h.split(" ") if self.language not in UNSPACED else [h] for h in header]
        need = [8 + max([text_width(w, self.font(True, w), size) for w in words[i]] +
                        [text_width(row[i], self.font(False, row[i]), size) for row in rows])
                for i in range(1, ncol)]
        spare = (width - first) - sum(need)
        widths = [first] + ([n + spare / len(need) for n in need] if spare >= 0 else
                            [(width - first) * n / sum(need) for n in need])
        xs = [x]
        for w in widths:
            xs.append(xs[-1] + w)
        row_h = size * 1.9
        # a header takes up to two lines (more is cut), a row label one: each keyed as printed
        sep = "" if self.language in UNSPACED else " "
        lines = [self.wrap(h, widths[i] - 8, size, bold=True)[:2] for i, h in enumerate(header)]
        header = [sep.join(parts) for parts in lines]
        head_h = row_h + size * 1.2 * (max(len(parts) for parts in lines) - 1)
        self.rect(x, top, x + width, top + head_h, stroke=None, fill=(0.88, 0.90, 0.94))
        for i, parts in enumerate(lines):
            for k, part in enumerate(parts):
                self.text(xs[i] + 4, top + size * 0.45 + k * size * 1.2, part, size, bold=True)
        top_rule = top + head_h
        y = top_rule
        grid = [[[h, 1, 1, True] for h in header]]  # the table as printed: [text, rowspan, colspan, header]
        for r, row in enumerate(rows):
            row = [self.wrap(row[0], widths[0] - 8, size)[0], *row[1:]]
            grid.append([[cell, 1, 1, False] for cell in row])
            if r % 2:
                self.rect(x, y, x + width, y + row_h, stroke=None, fill=(0.965, 0.965, 0.975))
            for i, cell in enumerate(row):
                if not cell:  # an empty cell (a debit row's credit column): nothing drawn, no fact
                    continue
                if i == 0:
                    self.text(xs[i] + 4, y + size * 0.45, cell, size)
                    continue
                attrs = {"table": table_id, "row": row[0], "col": header[i], "r": r, "c": i}
                if i in numeric_cols:
                    attrs["number"] = float(cell.replace(",", ""))
                    self.text(xs[i + 1] - 4, y + size * 0.45, cell, size, align="right", fact="cell", attrs=attrs)
                else:
                    self.text(xs[i] + 4, y + size * 0.45, cell, size, fact="cell", attrs=attrs)
            y += row_h
        for yy in (top, top_rule, y):
            self.line(x, yy, x + width, yy, width=0.8)
        for xx in (xs[0], xs[-1]):
            self.line(xx, top, xx, y, width=0.5)
        self.table_fact((x, top, x + width, y), table_id, grid)
        return y

    def table_fact(self, box, table_id: int, grid: list[list[list]]) -> None:
        """The whole table's structure as a `table` fact (table parsing's ground truth): `grid` rows
        of [text, rowspan, colspan, is_header] cells in reading order, a spanned cell once."""
        self.facts.append(Fact("table", self.page, box, "", {"table": table_id, "grid": grid, "shape": True}))


def paint(page: pymupdf.Page, ops: list[tuple]) -> None:
    """Replay a display list on a PyMuPDF page; the only place layouts touch PyMuPDF drawing."""
    shape = page.new_shape()
    for name in sorted({op[4] for op in ops if op[0] == "text" and op[4].startswith(HAND_PREFIX)}):
        page.insert_font(fontname=name, fontfile=handwriting_file(name[len(HAND_PREFIX):]))
    for op in ops:
        kind = op[0]
        if kind == "text":
            _, x, baseline, text, fontname, size, color = op
            shape.insert_text((x, baseline), text, fontname=fontname, fontsize=size, color=color)
        elif kind == "rect":
            _, x0, y0, x1, y1, stroke, fill, width = op
            shape.draw_rect(pymupdf.Rect(x0, y0, x1, y1))
            shape.finish(color=stroke, fill=fill, width=width)
        elif kind == "line":
            _, x0, y0, x1, y1, color, width = op
            shape.draw_line((x0, y0), (x1, y1))
            shape.finish(color=color, width=width)
        elif kind == "polyline":
            _, points, color, width = op
            shape.draw_polyline(points)
            shape.finish(color=color, width=width, closePath=False)
        elif kind == "pdf":  # a vector figure (a chart, a formula) shown 1:1 in its box, its text kept as text
            _, x0, y0, x1, y1, data = op
            # what was drawn before it goes first into the content stream (the text layer's reading order)
            shape.commit()
            with pymupdf.open("pdf", data) as src:
                page.show_pdf_page(pymupdf.Rect(x0, y0, x1, y1), src, 0)
            shape = page.new_shape()
        else:
            raise ValueError(f"unknown paint op {kind!r}")
    shape.commit()
