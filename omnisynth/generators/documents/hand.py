"""Handwritten families: a printed form filled in by hand, a note on ruled paper.

The handwriting is a real font (`Canvas.hand`, one per document, from the Debian packages
`scripts/setup.sh` installs), so PyMuPDF embeds it and the glyph boxes and read-back checks
work as for printed text. Latin fonts: English content.
"""

from __future__ import annotations

import random

from omnisynth.generators.content import Content
from omnisynth.generators.documents.canvas import MARGIN, Canvas, font_metrics

PENS = [(0.10, 0.16, 0.55), (0.12, 0.12, 0.15), (0.05, 0.25, 0.60)]  # blue and black ballpoint


def draw_handform(cv: Canvas, c: Content, rng: random.Random, title: str, size: float) -> None:
    """A printed form filled in by hand: printed labels and boxes, values in one person's handwriting."""
    cv.text(MARGIN, 50, title, size + 7, bold=True, fact="title", fit=cv.width - 2 * MARGIN)
    cv.text(MARGIN, 50 + (size + 7) * 1.5, c.sentence(6, 10), size - 1, fact="instructions",
            fit=cv.width - 2 * MARGIN)
    labels = c.labels["form_fields"]
    chosen = rng.sample(range(len(labels)), rng.randint(5, len(labels)))
    pen = rng.choice(PENS)
    asc, desc = font_metrics(cv.hand)
    y = 120
    box_w = cv.width - 2 * MARGIN
    for i in sorted(chosen):
        hand = size + rng.uniform(2, 5)
        box_h = hand * (asc - desc) + 8
        if y + size * 1.3 + box_h + size > cv.height - 60:
            break
        cv.text(MARGIN, y, labels[i], size - 1, bold=True, color=(0.3, 0.3, 0.35))
        top = y + size * 1.3
        cv.rect(MARGIN, top, MARGIN + box_w, top + box_h, stroke=(0.55, 0.55, 0.6))
        cv.text(MARGIN + rng.uniform(4, 24), top + 4 + rng.uniform(-1.5, 1.5), c.form_value(i), hand, font=cv.hand,
                color=pen, fact="kv", attrs={"key": labels[i]})
        y = top + box_h + size * 1.2


def draw_note(cv: Canvas, c: Content, rng: random.Random, title: str, size: float) -> None:
    """A handwritten note on ruled paper: a heading, then paragraphs in the same hand."""
    pen = rng.choice(PENS)
    asc, desc = font_metrics(cv.hand)
    hand = size + rng.uniform(3, 6)
    leading = max(1.5, (asc - desc) * 1.05)
    rule = hand * leading
    y = 70.0
    while y < cv.height - 50:  # the ruling, printed pale blue
        cv.line(MARGIN - 10, y + hand * asc + 2, cv.width - MARGIN + 10, y + hand * asc + 2, color=(0.7, 0.8, 0.92),
                width=0.5)
        y += rule
    heading = c.heading()
    cv.text(MARGIN, 70, heading, hand + 4, font=cv.hand, color=pen, fact="heading", attrs={"section": heading})
    y = 70 + rule * 2
    while y + rule < cv.height - 60:
        y = cv.paragraph(MARGIN + rng.uniform(0, 12), y, cv.width - 2 * MARGIN - 12, c.paragraph((1, 3)), hand,
                         leading=leading, attrs={"section": heading}, max_bottom=cv.height - 60, font=cv.hand,
                         color=pen) + rule * rng.choice((0, 1))
