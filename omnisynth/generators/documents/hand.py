"""Handwritten families: a printed form filled in by hand, a note on ruled paper.

The handwriting is a real font (`Canvas.hand`, one per document, from the Debian packages
`scripts/setup.sh` installs), so PyMuPDF embeds it and the glyph boxes and read-back checks
work as for printed text. Latin fonts: English content; Chinese and Japanese pages are written in
LXGW WenKai (`omnisynth.generators.fonts.CJK_HANDWRITING`).
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


SHEET = {  # an answer sheet's printed words
    "en": {"name": "Name", "class": "Class", "score": "Score", "q": "Question {n}"},
    "zh": {"name": "姓名", "class": "班级", "score": "得分", "q": "第{n}题"},
    "ja": {"name": "氏名", "class": "組", "score": "得点", "q": "問{n}"},
}


def _answer(c: Content, rng: random.Random) -> str:
    """What a student writes: a number with its unit, a choice, a short phrase or a formula."""
    kind = rng.random()
    if kind < 0.25:
        return f"{rng.randint(2, 480)}{rng.choice(['', ' cm', ' kg', ' m', ' s', '%'])}"
    if kind < 0.4:
        return rng.choice("ABCD")
    if kind < 0.5:
        return f"x = {rng.randint(-9, 24)}"
    return c.words(rng.randint(2, 5)) if c.lang != "en" else c.words(rng.randint(2, 5)).capitalize()


def draw_answer_sheet(cv: Canvas, c: Content, rng: random.Random, title: str, size: float) -> None:
    """An exam answer sheet: printed title, name and class fields filled in by hand, then numbered
    printed questions, each with a ruled answer box holding the student's handwritten answer (an
    `answer` fact: attrs n, the question number, and question, its printed text)."""
    S = SHEET.get(c.lang, SHEET["en"])
    width = cv.width - 2 * MARGIN
    cv.text(cv.width / 2, 46, title, size + 6, bold=True, align="center", fact="title", fit=width)
    pen = rng.choice(PENS)
    asc, desc = font_metrics(cv.hand)
    hand = size + rng.uniform(3, 6)
    y = 46 + (size + 6) * 2
    x = MARGIN
    for key, value in ((S["name"], c.person()), (S["class"], f"{rng.randint(1, 6)}{rng.choice('ABCD')}")):
        cv.text(x, y, f"{key}:", size, bold=True)
        cv.text(x + size * 4.5, y - hand * 0.25, value, hand, font=cv.hand, color=pen, fact="kv", attrs={"key": key})
        cv.line(x + size * 4.2, y + size * 1.1, x + width / 2 - 20, y + size * 1.1, color=(0.5, 0.5, 0.55), width=0.5)
        x += width / 2
    cv.text(cv.width - MARGIN, y, f"{S['score']}: ____", size, align="right")
    y += size * 3
    n = 1
    while True:
        question = cv.wrap(f"{n}. {c.sentence(6, 14).rstrip('.。')}?", width, size)[:2]
        box_h = hand * (asc - desc) + 10
        if y + len(question) * size * 1.35 + box_h + size * 2 > cv.height - 50:
            break
        for line in question:
            cv.text(MARGIN, y, line, size, fact="line", attrs={"section": S["q"].format(n=n)})
            y += size * 1.35
        top = y + size * 0.3
        cv.rect(MARGIN, top, MARGIN + width, top + box_h, stroke=(0.6, 0.6, 0.65))
        text = cv.wrap(_answer(c, rng), width - 40, hand, font=cv.hand)[0]
        cv.text(MARGIN + rng.uniform(6, 30), top + 5 + rng.uniform(-1.5, 1.5), text, hand, font=cv.hand, color=pen,
                fact="answer", attrs={"n": n, "question": " ".join(question)})
        y = top + box_h + size * 1.4
        n += 1
