"""Editorial and print families: a newspaper front page, a magazine spread, a restaurant menu, a
certificate and an event poster.

Newspaper and magazine text flows down columns (a line that does not fit moves to the next
column), each line a `line` fact under its article's headline; the menu's prices are `cell`s keyed
by dish and the price label (exact `number`); certificate and poster fields are `kv`s keyed by
their printed label. Labels come from `editorial_labels.ED`; dishes and drinks from mimesis,
names, companies and cities from Faker, running text from the page's prose
(omnisynth.generators.content).
"""

from __future__ import annotations

import random

from omnisynth.generators.content import Content, fmt_money
from omnisynth.generators.documents.canvas import MARGIN, PALETTE, Canvas, text_width
from omnisynth.generators.documents.editorial_labels import ED

GREY = (0.35, 0.35, 0.4)


class _Columns:
    """A cursor down column boxes (x, top, width, bottom), in order."""

    def __init__(self, boxes: list[tuple[float, float, float, float]]):
        self.boxes, self.k, self.y = boxes, 0, boxes[0][1]

    @property
    def box(self) -> tuple[float, float, float, float]:
        return self.boxes[self.k]

    def fit(self, h: float) -> bool:
        """Make room for `h` points: this column, else the top of the next; False when none is left."""
        if self.y + h > self.box[3]:
            self.k += 1
            if self.k == len(self.boxes):
                return False
            self.y = self.box[1]
        return True


def _flow(cv: Canvas, c: Content, rng: random.Random, boxes: list[tuple[float, float, float, float]],
          size: float, articles: int, headline_first: bool = True) -> None:
    """Articles (a headline and paragraphs) poured into column boxes (x, top, width, bottom) in order."""
    col, used = _Columns(boxes), set()
    for a in range(articles):
        heading = ""
        if a or headline_first:
            if not col.fit(size * 7):
                return
            x, _, width, _ = col.box
            heading = _headline(cv, c, width, size + 3, used)
            cv.text(x, col.y, heading, size + 3, bold=True, fact="heading", attrs={"section": heading})
            col.y += (size + 3) * 1.5
        n = 1
        for _ in range(rng.randint(2, 4)):
            for line in cv.wrap(c.paragraph(), col.box[2], size):
                if not col.fit(size * 1.3):
                    return
                cv.text(col.box[0], col.y, line, size, fact="line",
                        attrs={"section": heading, "line_no": n} if heading else {"line_no": n})
                col.y += size * 1.3
                n += 1
            col.y += size * 0.5
            if not c.more():
                break
        col.y += size * 0.8


def _headline(cv: Canvas, c: Content, width: float, size: float, used: set[str]) -> str:
    """The next section heading that fits the column whole and names one article (a few tries; then the
    first line of one not used yet)."""
    fallback = ""
    for _ in range(8):
        heading = c.heading()
        cut = cv.wrap(heading, width, size, bold=True)[0]
        if cut not in used:
            if cut == heading:
                fallback = cut
                break
            fallback = fallback or cut
    fallback = fallback or f"{cut} {len(used) + 1}"  # eight headings in a row already used: numbered
    used.add(fallback)
    return fallback


def draw_newspaper(cv: Canvas, c: Content, rng: random.Random, title: str, size: float) -> None:
    """A front page: masthead, date line, a lead headline across the page, four columns of articles."""
    L = ED[c.lang]
    right, width = cv.width - MARGIN * 0.6, cv.width - MARGIN * 1.2
    x0 = MARGIN * 0.6
    name = L["paper"].format(city=c.city())
    cv.text(cv.width / 2, 26, name, 30, bold=True, align="center", fact="title", fit=width)
    cv.line(x0, 66, right, 66, width=1.6)
    cv.text(x0, 70, c.date(), 8, fact="date")
    cv.text(cv.width / 2, 70, L["edition"], 8, align="center", color=GREY)
    cv.text(right, 70, fmt_money(c.money(1, 4)), 8, align="right", fact="kv", attrs={"key": L["price"]})
    cv.line(x0, 82, right, 82, width=0.6)
    lead = cv.wrap(c.heading(), width, 20, bold=True)[0]
    cv.text(x0, 92, lead, 20, bold=True, fact="heading", attrs={"section": lead})
    deck = c.sentence(8, 18)
    y = 122
    for line in cv.wrap(deck, width, size + 1.5)[:2]:
        cv.text(x0, y, line, size + 1.5, color=GREY, fact="deck", attrs={"section": lead})
        y += (size + 1.5) * 1.35
    ncols, gap = 4, 10.0
    col_w = (width - gap * (ncols - 1)) / ncols
    top, bottom = y + 8, cv.height - 40
    boxes = [(x0 + i * (col_w + gap), top, col_w, bottom) for i in range(ncols)]
    for i in range(1, ncols):
        cv.line(x0 + i * (col_w + gap) - gap / 2, top, x0 + i * (col_w + gap) - gap / 2, bottom, width=0.3)
    _flow(cv, c, rng, boxes, size - 1, articles=40, headline_first=False)  # until the columns are full


def draw_magazine(cv: Canvas, c: Content, rng: random.Random, title: str, size: float) -> None:
    """A feature spread: headline, deck, byline, two columns with a pull quote set in a ruled box."""
    L = ED[c.lang]
    width = cv.width - 2 * MARGIN
    color = PALETTE[rng.randrange(len(PALETTE))]
    cv.rect(MARGIN, 40, MARGIN + 40, 44, stroke=None, fill=color)
    head = cv.wrap(c.heading(), width, 24, bold=True)[0]
    cv.text(MARGIN, 52, head, 24, bold=True, fact="title")
    y = 90
    for line in cv.wrap(c.sentence(10, 22), width, size + 2)[:2]:
        cv.text(MARGIN, y, line, size + 2, color=GREY, fact="deck", attrs={"section": head})
        y += (size + 2) * 1.35
    cv.text(MARGIN, y + 4, f"{L['by']} {c.person()}", size - 0.5, bold=True, fact="byline")
    top, gap = y + 28, 18.0
    col_w = (width - gap) / 2
    quote = cv.wrap(c.sentence(6, 16), col_w - 24, size + 4, bold=True)[:3]
    q_top = top + rng.uniform(60, 260)
    q_bottom = q_top + len(quote) * (size + 4) * 1.3 + 24
    cv.line(MARGIN + col_w + gap, q_top, cv.width - MARGIN, q_top, color=color, width=2)
    cv.line(MARGIN + col_w + gap, q_bottom - 6, cv.width - MARGIN, q_bottom - 6, color=color, width=2)
    for i, line in enumerate(quote):
        cv.text(MARGIN + col_w + gap + 12, q_top + 10 + i * (size + 4) * 1.3, line, size + 4, bold=True, color=color,
                fact="pull_quote", attrs={"line_no": i + 1})
    bottom = cv.height - 50
    boxes = [(MARGIN, top, col_w, bottom), (MARGIN + col_w + gap, top, col_w, q_top - 8),
             (MARGIN + col_w + gap, q_bottom + 4, col_w, bottom)]
    _flow(cv, c, rng, boxes, size, articles=40)


def draw_menu(cv: Canvas, c: Content, rng: random.Random, title: str, size: float) -> None:
    """A restaurant menu: name, courses with dishes and prices joined by dot leaders."""
    L = ED[c.lang]
    cv.rect(30, 30, cv.width - 30, cv.height - 30, stroke=(0.55, 0.45, 0.3), width=1.2)
    cv.text(cv.width / 2, 54, c.company(), size + 12, bold=True, align="center", fact="title",
            fit=cv.width - 2 * MARGIN)
    cv.text(cv.width / 2, 54 + (size + 12) * 1.6, L["menu"], size + 2, align="center", color=GREY)
    y = 54 + (size + 12) * 1.6 + (size + 2) * 2.4
    kinds = ["vegetable", "dish", "fruit", "drink"]
    courses = [i for i in range(4) if i == 1 or rng.random() < 0.8]
    for table, i in enumerate(courses):
        items = rng.randint(3, 6)
        if y + size * (3 + 1.9 * items) > cv.height - 50:
            break
        heading = L["courses"][i]
        cv.text(cv.width / 2, y, heading, size + 3, bold=True, align="center", fact="heading",
                attrs={"section": heading})
        y += (size + 3) * 2
        for r in range(items):
            name = cv.wrap(c.food(kinds[i]), cv.width * 0.55, size + 1)[0]
            price = c.money(2, 48 if i == 1 else 18)
            text = fmt_money(price)
            cv.text(MARGIN + 20, y, name, size + 1)
            end = MARGIN + 20 + text_width(name, cv.font(False, name), size + 1) + 6
            start = cv.width - MARGIN - 20 - text_width(text, cv.font(False, text), size + 1) - 6
            dots = max(0, int((start - end) / text_width(".", cv.font(), size + 1)))
            cv.text(end, y, "." * dots, size + 1, color=(0.6, 0.6, 0.6))
            cv.text(cv.width - MARGIN - 20, y, text, size + 1, align="right", fact="cell",
                    attrs={"table": table, "row": name, "col": L["price"], "r": r, "c": 1, "number": price})
            y += size * 1.9
        y += size * 1.2


def draw_certificate(cv: Canvas, c: Content, rng: random.Random, title: str, size: float) -> None:
    """A certificate (landscape): double border, title, recipient, course, date, number, two signatures."""
    L = ED[c.lang]
    color = PALETTE[rng.randrange(len(PALETTE))]
    cv.rect(24, 24, cv.width - 24, cv.height - 24, stroke=color, width=3)
    cv.rect(34, 34, cv.width - 34, cv.height - 34, stroke=color, width=0.8)
    mid, width = cv.width / 2, cv.width - 160
    cv.text(mid, 70, c.company(), size + 3, align="center", color=GREY, fact="organisation", fit=width)
    cv.text(mid, 104, L["certificate"], 30, bold=True, align="center", color=color, fact="title", fit=width)
    cv.text(mid, 170, L["certifies"], size + 2, align="center", color=GREY)
    cv.text(mid, 196, c.person(), 26, bold=True, align="center", fact="kv", attrs={"key": L["recipient"]}, fit=width)
    cv.line(mid - 180, 232, mid + 180, 232, color=color, width=0.8)
    cv.text(mid, 248, L["completed"], size + 2, align="center", color=GREY, fit=width)
    course = c.heading()
    cv.text(mid, 274, course, size + 8, bold=True, align="center", fact="heading", attrs={"section": course},
            fit=width)
    y = cv.height - 150
    key_w = max(text_width(f"{k}:", cv.font(True, k), size) for k in (L["when"], L["number"])) + 10
    for k, (key, value) in enumerate(((L["when"], c.date()), (L["number"], c.code("C")))):
        cv.text(90, y + k * size * 1.8, f"{key}:", size, bold=True)
        cv.text(90 + key_w, y + k * size * 1.8, value, size, fact="kv", attrs={"key": key})
    for k, role in enumerate((L["director"], L["instructor"])):
        x = cv.width - 340 + k * 160
        cv.line(x, y + 20, x + 140, y + 20, width=0.6)
        cv.text(x + 70, y + 26, c.person(), size - 0.5, align="center", fact="signatory", attrs={"role": role},
                fit=140)
        cv.text(x + 70, y + 26 + size * 1.5, role, size - 1.5, align="center", color=GREY, fit=140)


def draw_poster(cv: Canvas, c: Content, rng: random.Random, title: str, size: float) -> None:
    """An event poster: a coloured head with the event's title, when and where, speakers, a paragraph."""
    L = ED[c.lang]
    color = PALETTE[rng.randrange(len(PALETTE))]
    head_h = cv.height * 0.36
    cv.rect(0, 0, cv.width, head_h, stroke=None, fill=color)
    for _ in range(rng.randint(3, 6)):  # shapes on the head
        s = rng.uniform(20, 90)
        x, y = rng.uniform(0, cv.width - s), rng.uniform(0, head_h * 0.35)
        cv.rect(x, y, x + s, y + s, stroke=None, fill=tuple(min(1.0, v + 0.18) for v in color))
    event = c.heading()
    size_t = 34.0
    while size_t > 16 and cv.wrap(event, cv.width - 2 * MARGIN, size_t, bold=True) != [event]:
        size_t -= 2
    cv.text(MARGIN, head_h - size_t * 2.4, event, size_t, bold=True, color=(1, 1, 1), fact="title",
            fit=cv.width - 2 * MARGIN)
    cv.text(MARGIN, head_h - size_t * 0.95, c.company(), size + 2, color=(1, 1, 1), fact="organisation",
            fit=cv.width - 2 * MARGIN)
    y = head_h + 30
    start = rng.randint(8, 19)
    fields = [(L["when"], c.date()), (L["time"], f"{start:02d}:{rng.choice(['00', '30'])} - {start + rng.randint(1, 4):02d}:00"),
              (L["venue"], c.address()), (L["admission"], rng.choice([L["free"], fmt_money(c.money(5, 60))]))]
    key_w = max(text_width(k + ":", cv.font(True, k), size + 2) for k, _ in fields) + 12
    for key, value in fields:
        cv.text(MARGIN, y, f"{key}:", size + 2, bold=True, color=color)
        cv.text(MARGIN + key_w, y, value, size + 2, fact="kv", attrs={"key": key}, fit=cv.width - 2 * MARGIN - key_w)
        y += (size + 2) * 1.9
    y += 10
    cv.text(MARGIN, y, L["speakers"], size + 3, bold=True, fact="heading", attrs={"section": L["speakers"]})
    y += (size + 3) * 1.7
    for _ in range(rng.randint(2, 4)):
        cv.text(MARGIN + 10, y, f"{c.person()}, {c.job()}", size, fact="speaker", fit=cv.width - 2 * MARGIN - 10)
        y += size * 1.6
    cv.paragraph(MARGIN, y + 14, cv.width - 2 * MARGIN, c.paragraph(), size, max_bottom=cv.height - 50,
                 attrs={"section": event})


EDITORIAL_FAMILIES = {"newspaper": draw_newspaper, "magazine": draw_magazine, "menu": draw_menu,
                      "certificate": draw_certificate, "poster": draw_poster}
