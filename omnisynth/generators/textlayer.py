"""PyMuPDF's text layer as ground truth: glyph, word, line and block boxes in image pixels.

Shared by the synthetic-document and the PDF-corpus generators, and by the filters that
check an answer against the text under its box.
"""

from __future__ import annotations

import bisect

import pymupdf

from omnisynth.schemas.truth import PageTruth


def render_page(page: pymupdf.Page, dpi: int, number: int, member: str, raw: bool = False, ink=None):
    """Render one page to PNG and read its text layer (boxes in pixels of that PNG).

    raw: the pixels instead of a PNG (a BGR uint8 array), for the degrade stage to work on and
    encode once, not a PNG encoded here and decoded there.
    ink: a `documents.painted.Ink` (user PDFs): it sees the rendered pixmap, and the text layer
    leaves out the text that is not painted on it. None (synthetic pages): every glyph."""
    pix = page.get_pixmap(dpi=dpi, alpha=False)
    if ink is not None:
        ink.attach(pix)
    if raw:
        import numpy as np

        rgb = np.frombuffer(pix.samples_mv, dtype=np.uint8).reshape(pix.height, pix.stride)[:, : pix.width * 3]
        png = np.ascontiguousarray(rgb.reshape(pix.height, pix.width, 3)[:, :, ::-1])
    else:
        png = pix.tobytes("png")
    truth = text_layer(page, dpi / 72, number, member, pix.width, pix.height, ink)
    truth.contrast = pixel_contrast(pix)
    return png, truth


def pixel_contrast(pix: pymupdf.Pixmap) -> float:
    """Grey-level spread of a pixmap (see `grey_spread`), from every 4th pixel of every 4th row of
    its first channel: the quality filter's blank-page check without decoding the PNG again."""
    import numpy as np

    px = np.frombuffer(pix.samples_mv, dtype=np.uint8).reshape(pix.height, pix.stride)[::4, : pix.width * pix.n]
    return grey_spread(px[:, :: 4 * pix.n])


def grey_spread(grey) -> float:
    """Levels between the 0.1th and 99.9th percentile of uint8 grey values: 0 for a blank image,
    large for a white page with a little ink (the ink is more than 0.1% of the pixels)."""
    import numpy as np

    counts = np.cumsum(np.bincount(np.ascontiguousarray(grey).ravel(), minlength=256))
    total = counts[-1]
    lo = int(np.searchsorted(counts, 0.001 * total))
    hi = int(np.searchsorted(counts, 0.999 * total))
    return float(hi - lo)


def text_layer(page: pymupdf.Page, scale: float, number: int, member: str, width: int, height: int,
               ink=None) -> PageTruth:
    """Glyphs, words, lines and blocks of a page, in pixels of its rendered (rotated) image.

    Boxes go through the page's rotation so they match the pixmap of a /Rotate'd page.
    `lines` keeps only left-to-right horizontal lines (as seen in the image): questions
    about vertical or rotated lines could not be checked by reading glyphs row by row.
    ink: a `documents.painted.Ink` attached to the page's pixmap: spans and words that are not
    painted are left out, and a line or block that lost some gets the box of what is left.
    """
    rot = page.rotation_matrix if page.rotation else None
    turn = pymupdf.Matrix(rot.a, rot.b, rot.c, rot.d, 0, 0) if rot else None
    chars, words, lines, blocks = [], [], [], []
    raw = page.get_text("rawdict", flags=pymupdf.TEXT_PRESERVE_WHITESPACE | pymupdf.TEXT_MEDIABOX_CLIP)
    for block in raw["blocks"]:
        block_text, block_boxes, cut = [], [], False
        for line in block.get("lines", ()):
            spans = line["spans"] if ink is None else [s for s in line["spans"] if ink.paints(s)]
            line_chars = [c for span in spans for c in span["chars"]]
            first = len(chars)
            for c in line_chars:
                x0, y0, x1, y1 = _turned(c["bbox"], rot)
                chars.append((x0 * scale, y0 * scale, x1 * scale, y1 * scale, c["c"]))
            box, line_words = scaled(_turned(line["bbox"], rot), scale), None
            if ink is not None:
                line_words, gone = ink.keep(chars, first)
                if gone or len(spans) < len(line["spans"]):
                    cut = True
                    box = _union(line_words) or box
            text = "".join(c[4] for c in chars[first:])
            direction = pymupdf.Point(line["dir"]) * turn if turn else pymupdf.Point(line["dir"])
            if text.strip() and abs(direction.y) < 1e-3 and direction.x > 0:
                lines.append((box, text))
                block_text.append(text)
                block_boxes.append(box)
            words.extend(words_of(chars[first:]) if line_words is None else line_words)
        if block_text:
            box = _union(block_boxes) if cut else scaled(_turned(block["bbox"], rot), scale)
            blocks.append((box, "\n".join(block_text)))
    return PageTruth(number, member, width, height, chars, words, lines, blocks)


def _turned(box, rot) -> tuple[float, float, float, float]:
    if rot is None:
        return tuple(box)
    r = pymupdf.Rect(box) * rot
    r.normalize()
    return (r.x0, r.y0, r.x1, r.y1)


def _union(boxes):
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
            max(b[3] for b in boxes)) if boxes else None


def scaled(box, scale: float) -> tuple[float, float, float, float]:
    return (box[0] * scale, box[1] * scale, box[2] * scale, box[3] * scale)


def words_of(chars):
    """Split a line's glyphs at whitespace into words with their union boxes."""
    out, run = [], []
    for ch in chars + [(0, 0, 0, 0, " ")]:
        if ch[4].isspace():
            if run:
                out.append((min(c[0] for c in run), min(c[1] for c in run), max(c[2] for c in run),
                            max(c[3] for c in run), "".join(c[4] for c in run)))
                run = []
        else:
            run.append(ch)
    return out


def squash(text: str) -> str:
    """Comparison form of text: no whitespace, case-folded."""
    return "".join(text.split()).casefold()


def document_text(truth) -> str:
    """Every glyph of every page of a ground truth, in comparison form (see `squash`)."""
    return squash("".join(c[4] for page in truth.pages for c in page.chars))


class CharIndex:
    """Glyphs of a page sorted by the y of their centres, for box queries."""

    def __init__(self, page: PageTruth):
        self.chars = sorted((c for c in page.chars if not c[4].isspace()), key=lambda c: (c[1] + c[3]) / 2)
        self.ys = [(c[1] + c[3]) / 2 for c in self.chars]

    def inside(self, box, pad: float = 0.0) -> list[tuple]:
        x0, y0, x1, y1 = box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad
        lo, hi = bisect.bisect_left(self.ys, y0), bisect.bisect_right(self.ys, y1)
        hits = [c for c in self.chars[lo:hi] if x0 <= (c[0] + c[2]) / 2 <= x1]
        return sorted(hits, key=lambda c: (round((c[1] + c[3]) / 2 / 4), c[0]))

    def text_in(self, box, pad: float = 0.0) -> str:
        return "".join(c[4] for c in self.inside(box, pad))
