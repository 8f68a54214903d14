"""How full a document's pages are: words, content coverage, text-line boxes and fonts per page
(the sample's `meta.density`; `omnisynth stats` reports it per family). Measured the same way on
rendered pages and on your PDFs (pdf_corpus), so the two can be compared side by side."""

from __future__ import annotations

import math

import numpy as np

from omnisynth.generators.documents.canvas import Canvas
from omnisynth.generators.fonts import HAND_PREFIX
from omnisynth.schemas.truth import PageTruth

CELL = 8.0  # points: the grid coverage is measured on
MAX_DRAWINGS = 5000  # a PDF page's vector paths looked at (a map can hold hundreds of thousands)
# PyMuPDF's built-in font names -> the fonts' own (PDF base) names
FONT_NAMES = {"helv": "Helvetica", "hebo": "Helvetica-Bold", "tiro": "Times-Roman", "tibo": "Times-Bold",
              "cour": "Courier", "cobo": "Courier-Bold", "china-s": "Droid Sans Fallback",
              "japan": "Droid Sans Fallback", "korea": "Droid Sans Fallback"}

Box = tuple[float, float, float, float]


def grid_coverage(width: float, height: float, boxes: list[Box], segments: list[Box]) -> float:
    """Share of a width x height (points) page under `boxes` and along `segments` (x0, y0, x1, y1),
    on a CELL-point grid. A box over nine tenths of the page or more (a background) is not content."""
    rows, cols = math.ceil(height / CELL), math.ceil(width / CELL)
    grid = np.zeros((rows, cols), dtype=bool)

    def mark(x0: float, y0: float, x1: float, y1: float) -> None:
        c0, r0 = max(0, int(min(x0, x1) // CELL)), max(0, int(min(y0, y1) // CELL))
        c1 = min(cols, max(c0 + 1, math.ceil(max(x0, x1) / CELL)))  # a point or a rule still marks its cell
        r1 = min(rows, max(r0 + 1, math.ceil(max(y0, y1) / CELL)))
        grid[r0:r1, c0:c1] = True

    for x0, y0, x1, y1 in boxes:
        if abs((x1 - x0) * (y1 - y0)) < 0.9 * width * height:
            mark(x0, y0, x1, y1)
    for xa, ya, xb, yb in segments:  # a rule or a chart's line: the cells it passes through only
        if xa == xb or ya == yb:  # a horizontal or vertical rule is its own thin box
            mark(xa, ya, xb, yb)
            continue
        steps = max(1, int(math.hypot(xb - xa, yb - ya) / (CELL / 2)))
        for k in range(steps + 1):
            x, y = xa + (xb - xa) * k / steps, ya + (yb - ya) * k / steps
            mark(x, y, x, y)
    return float(grid.mean())


def coverage(cv: Canvas, page: PageTruth, scale: float) -> float:
    """A rendered page's coverage: its text-line boxes (pixels / scale) and the shapes its plan drew."""
    boxes = [tuple(v / scale for v in box) for box, _ in page.lines]
    segments = []
    for op in cv.ops:
        if op[0] == "pdf" or (op[0] == "rect" and op[6] is not None):  # a figure, a filled shape
            boxes.append(op[1:5])
        elif op[0] == "rect":  # an outline (a frame, a field's box): its four edges
            x0, y0, x1, y1 = op[1:5]
            segments += [(x0, y0, x1, y0), (x1, y0, x1, y1), (x0, y1, x1, y1), (x0, y0, x0, y1)]
        elif op[0] == "line":
            segments.append(op[1:5])
        elif op[0] == "polyline":
            segments += [(*a, *b) for a, b in zip(op[1], op[1][1:], strict=False)]
    return grid_coverage(cv.width, cv.height, boxes, segments)


def _summary(words: float, cover: float, lines: float, fonts: set[str]) -> dict:
    return {"words_per_page": round(words, 1), "coverage": round(cover, 4), "boxes_per_page": round(lines, 1),
            "fonts": sorted(fonts)}


def density(canvases: list[Canvas], pages: list[PageTruth], scale: float) -> dict:
    """meta.density of one rendered document: means over its pages; fonts by name."""
    n = max(1, len(pages))
    fonts = {op[4] for cv in canvases for op in cv.ops if op[0] == "text"}
    names = {name[len(HAND_PREFIX):] if name.startswith(HAND_PREFIX) else FONT_NAMES.get(name, name) for name in fonts}
    return _summary(sum(len(p.words) for p in pages) / n,
                    sum(coverage(cv, p, scale) for cv, p in zip(canvases, pages, strict=False)) / n,
                    sum(len(p.lines) for p in pages) / n, names)


def pdf_density(page, truth: PageTruth, scale: float) -> dict:
    """meta.density of one page of your PDF (a pymupdf.Page and its text layer): the same measures,
    the shapes from its vector drawings (the first MAX_DRAWINGS), fonts without subset prefixes."""
    boxes = [tuple(v / scale for v in box) for box, _ in truth.lines]
    for k, drawing in enumerate(page.get_drawings()):
        if k >= MAX_DRAWINGS:
            break
        r = drawing["rect"]
        boxes.append((r.x0 - page.rect.x0, r.y0 - page.rect.y0, r.x1 - page.rect.x0, r.y1 - page.rect.y0))
    fonts = {f[3].split("+", 1)[-1] for f in page.get_fonts() if f[3]}
    return _summary(len(truth.words), grid_coverage(page.rect.width, page.rect.height, boxes, []), len(truth.lines),
                    fonts)
