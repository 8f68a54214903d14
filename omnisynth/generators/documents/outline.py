"""The structure of your PDFs as facts their text layer confirms: section headings and captions.

Whole-document questions about your PDFs (`pdf_long_qa`, `generator.unit: document`) ask which
page holds a section, which section comes first and what a caption says. Nothing here is taken
on trust from the file's metadata: every fact is a line or block of the text layer as rendered
(`textlayer.text_layer`, painted text only).

A **section heading** is
- an entry of the PDF's outline (its bookmarks, `Document.get_toc`) whose title is printed as a
  whole line on the page the entry points to (or as a numbered line, '2.1 Methods' for the entry
  'Methods'); or, when no outline entry is confirmed that way,
- a short line (at most `HEADING_WORDS` words, not ending like a sentence) set at least
  `HEADING_SIZE` times the document's body size (the font size most characters have), or bold at
  body size and alone in its block;
and in both cases its text is a whole line on no other page: a running header or a title repeated
on every page locates no page.

A **caption** is a text block whose first line begins 'Figure n', 'Fig. n', 'Table n', 'Exhibit n'
('图 n', '表 n') followed by ':' or '.', at most `CAPTION_WORDS` words, whose label begins no other
caption of the document.
"""

from __future__ import annotations

import re
from collections import Counter

import pymupdf

from omnisynth.generators.textlayer import CharIndex, scaled, squash
from omnisynth.geometry import iou
from omnisynth.schemas.truth import Fact, PageTruth

HEADING_SIZE = 1.15  # a heading's size over the body size
HEADING_WORDS = 12
CAPTION_WORDS = 40
BOLD = 16  # PyMuPDF span flag
CAPTION = re.compile(r"^\s*((?:figure|fig\.|table|exhibit|图|表)\s*\d+(?:\.\d+)?)\s*[:.：]\s*(\S.*)$", re.I | re.S)
NUMBERED = re.compile(r"^(?:(?:chapter|section|part|appendix)?[\dIVXivxA-Z]{0,4}(?:\.\d+)*\.?|第.{1,3}[章节])$", re.I)


def structure(pages: list[tuple[pymupdf.Page, PageTruth]], toc: list, scale: float) -> list[Fact]:
    """Heading and caption facts of a rendered document (see the module's rules).

    pages: each PyMuPDF page with its text layer (`PageTruth`, boxes in pixels at `scale` pixels
    per point), in page order, numbered from 0; toc: `Document.get_toc()` rows `[level, title, page]`
    (pages from 1). Headings get attrs `level` and `source` ('outline' or 'font'); captions `label`
    ('Figure 3') and `caption` (the text after the label).
    """
    whole = Counter(s for _, truth in pages for s in {squash(text) for _, text in truth.lines})
    headings = _outline(pages, toc) or _by_font(pages, scale)
    facts = [f for f in headings if whole[squash(f.text)] == 1]
    captions = [c for _, truth in pages for c in _captions(truth)]
    labels = Counter(squash(c.attrs["label"]) for c in captions)
    facts += [c for c in captions if labels[squash(c.attrs["label"])] == 1]
    # a fact is evidence only where its box reads back as its text (glyphs of another line inside a
    # line's box, or a block's glyphs in another order, would fail the ground-truth filter's reading)
    index = {truth.number: CharIndex(truth) for _, truth in pages}
    return [f for f in facts if squash(f.text) in squash(index[f.page].text_in(f.bbox, pad=1.0))]


def _outline(pages, toc) -> list[Fact]:
    by_number = {truth.number: truth for _, truth in pages}
    out, seen = [], set()
    for row in toc:
        level, title, page = row[0], str(row[1]).strip(), row[2] - 1
        truth = by_number.get(page)
        want = squash(title)
        if truth is None or len(want) < 2:
            continue
        for box, text in truth.lines:
            have = squash(text)
            if have == want or (have.endswith(want) and NUMBERED.match(have[: -len(want)])):
                if (page, have) not in seen:
                    seen.add((page, have))
                    out.append(Fact("heading", page, box, text.strip(), {"level": level, "source": "outline"}))
                break
    return out


def _by_font(pages, scale: float) -> list[Fact]:
    rows, sizes = [], Counter()
    for page, truth in pages:
        for block in page.get_text("dict", flags=pymupdf.TEXT_MEDIABOX_CLIP)["blocks"]:
            lines = block.get("lines", ())
            for line in lines:
                spans = [s for s in line["spans"] if s["text"].strip()]
                if not spans:
                    continue
                text = "".join(s["text"] for s in line["spans"])
                for s in spans:
                    sizes[round(s["size"] * 2) / 2] += len(s["text"].strip())
                rows.append((truth, line["bbox"], text, max(s["size"] for s in spans),
                             all(s["flags"] & BOLD for s in spans), len(lines) == 1))
    if not sizes:
        return []
    body = sizes.most_common(1)[0][0]
    out = []
    for truth, bbox, text, size, bold, alone in rows:
        words = text.split()
        if not (size >= HEADING_SIZE * body or (bold and alone and size >= body - 0.25)):
            continue
        if not words or len(words) > HEADING_WORDS or text.rstrip()[-1] in ".,;:，。；：" or not _has_letter(text):
            continue
        box = scaled(bbox, scale)
        line = next((b for b, t in truth.lines if squash(t) == squash(text) and iou(b, box) > 0.5), None)
        if line is not None:
            out.append(Fact("heading", truth.number, line, text.strip(), {"level": 0, "source": "font", "size": size}))
    return out


def _captions(truth: PageTruth) -> list[Fact]:
    out = []
    for box, text in truth.blocks:
        joined = " ".join(text.split())
        m = CAPTION.match(joined)
        if m and len(joined.split()) <= CAPTION_WORDS and _has_letter(m.group(2)):
            label = " ".join(m.group(1).split())
            out.append(Fact("caption", truth.number, box, joined, {"label": label, "caption": m.group(2).strip()}))
    return out


def _has_letter(text: str) -> bool:
    return any(c.isalpha() for c in text)
