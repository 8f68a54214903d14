"""PyMuPDF's text layer as ground truth: glyph, word, line and block boxes in image pixels.

Shared by the synthetic-document and the PDF-corpus generators, and by the filters that
check an answer against the text under its box.
"""

from __future__ import annotations

import bisect

import pymupdf

from omnisynth.schemas.truth import PageTruth


def render_page(page: pymupdf.Page, dpi: int, number: int, member: str, raw: bool = False):
    """Render one page to PNG and read its text layer (boxes in pixels of that PNG).

    raw: the pixels instead of a PNG (a BGR uint8 array), for the degrade stage to work on and
    encode once, not a PNG encoded here and decoded there."""
    pix = page.get_pixmap(dpi=dpi, alpha=False)
    if raw:
        import numpy as np

        rgb = np.frombuffer(pix.samples_mv, dtype=np.uint8).reshape(pix.height, pix.stride)[:, : pix.width * 3]
        png = np.ascontiguousarray(rgb.reshape(pix.height, pix.width, 3)[:, :, ::-1])
    else:
        png = pix.tobytes("png")
    truth = text_layer(page, dpi / 72, number, member, pix.width, pix.height)
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


def text_layer(page: pymupdf.Page, scale: float, number: int, member: str, width: int, height: int) -> PageTruth:
    """Glyphs, words, lines and blocks of a page, in pixels of its rendered (rotated) image.

    Boxes go through the page's rotation so they match the pixmap of a /Rotate'd page.
    `lines` keeps only left-to-right horizontal lines (as seen in the image): questions
    about vertical or rotated lines could not be checked by reading glyphs row by row.
    """
    rot = page.rotation_matrix if page.rotation else None
    turn = pymupdf.Matrix(rot.a, rot.b, rot.c, rot.d, 0, 0) if rot else None
    chars, words, lines, blocks = [], [], [], []
    raw = page.get_text("rawdict", flags=pymupdf.TEXT_PRESERVE_WHITESPACE | pymupdf.TEXT_MEDIABOX_CLIP)
    for block in raw["blocks"]:
        block_text = []
        for line in block.get("lines", ()):
            line_chars = [c for span in line["spans"] for c in span["chars"]]
            first = len(chars)
            for c in line_chars:
                x0, y0, x1, y1 = _turned(c["bbox"], rot)
                chars.append((x0 * scale, y0 * scale, x1 * scale, y1 * scale, c["c"]))
            text = "".join(c["c"] for c in line_chars)
            direction = pymupdf.Point(line["dir"]) * turn if turn else pymupdf.Point(line["dir"])
            if text.strip() and abs(direction.y) < 1e-3 and direction.x > 0:
                lines.append((scaled(_turned(line["bbox"], rot), scale), text))
                block_text.append(text)
            words.extend(_words(chars[first:]))
        if block_text:
            blocks.append((scaled(_turned(block["bbox"], rot), scale), "\n".join(block_text)))
    return PageTruth(number, member, width, height, chars, words, lines, blocks)


def _turned(box, rot) -> tuple[float, float, float, float]:
    if rot is None:
        return tuple(box)
    r = pymupdf.Rect(box) * rot
    r.normalize()
    return (r.x0, r.y0, r.x1, r.y1)


def scaled(box, scale: float) -> tuple[float, float, float, float]:
    return (box[0] * scale, box[1] * scale, box[2] * scale, box[3] * scale)


def _words(chars):
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
