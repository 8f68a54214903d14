"""Scene-text families: a shop or street sign, a shelf label, the front of a product box.

Each is a small board (its page is the board); the degrade stage's `scene` preset places it
in a drawn scene with perspective and lighting.
"""

from __future__ import annotations

import random

from omnisynth.generators.content import Content
from omnisynth.generators.documents.canvas import PALETTE, Canvas, text_width

BOARDS = [((0.0, 0.42, 0.24), (1, 1, 1)), ((0.10, 0.25, 0.60), (1, 1, 1)), ((0.72, 0.10, 0.10), (1, 1, 1)),
          ((0.97, 0.96, 0.93), (0.10, 0.10, 0.12)), ((0.98, 0.80, 0.10), (0.10, 0.10, 0.12)),
          ((0.12, 0.12, 0.14), (0.98, 0.90, 0.30))]


def _fitted(cv: Canvas, text: str, width: float, size: float, bold: bool = True) -> float:
    """The largest size up to `size` at which one line of `text` fits `width`."""
    return min(size, size * width / max(1e-6, text_width(text, cv.font(bold, text), size)))


def _board(cv: Canvas, rng: random.Random) -> tuple:
    fill, ink = rng.choice(BOARDS)
    cv.rect(0, 0, cv.width, cv.height, stroke=None, fill=fill)
    inset = min(cv.width, cv.height) * 0.04
    cv.rect(inset, inset, cv.width - inset, cv.height - inset, stroke=ink, width=max(1.5, inset / 3))
    return ink, inset * 2.5


def draw_sign(cv: Canvas, c: Content, rng: random.Random, title: str, size: float) -> None:
    """A shop or street sign: a name in large letters, a line under it, opening hours."""
    ink, pad = _board(cv, rng)
    name = rng.choice([c.company(), f"{c.city()} {rng.choice(['Market', 'Station', 'Library', 'Clinic'])}",
                       f"{rng.randint(1, 99)} {rng.choice(['Main', 'Oak', 'Mill', 'Park', 'River'])} St"])
    width = cv.width - 2 * pad
    big = _fitted(cv, name, width, cv.height * 0.28)
    cv.text(cv.width / 2, pad, name, big, bold=True, color=ink, fact="heading", align="center",
            attrs={"section": name})
    sub = rng.choice([c.sentence(2, 4).rstrip("."), f"{c.city()} {rng.randint(2, 40)} km", c.phone()])
    y = pad + big * 1.3
    cv.text(cv.width / 2, y, sub, _fitted(cv, sub, width, big * 0.45, bold=False), color=ink, fact="line",
            align="center", attrs={"line_no": 1})
    hours = f"{rng.randint(6, 10)}:{rng.choice(['00', '30'])} - {rng.randint(16, 22)}:{rng.choice(['00', '30'])}"
    small = min(big * 0.4, cv.height * 0.1)
    y = cv.height - pad - small * 1.2
    cv.text(pad, y, "Open", small, bold=True, color=ink)
    cv.text(pad + small * 3.2, y, hours, small, color=ink, fact="kv", attrs={"key": "opening hours"})


def draw_label(cv: Canvas, c: Content, rng: random.Random, title: str, size: float) -> None:
    """A shelf label or price tag: the product, its price in large figures, weight and a barcode."""
    ink, pad = _board(cv, rng)
    width = cv.width - 2 * pad
    product = c.product()
    cv.text(pad, pad, product, _fitted(cv, product, width, cv.height * 0.14), bold=True, color=ink, fact="heading",
            attrs={"section": product})
    price = f"${c.money(0.5, 99):.2f}"
    big = cv.height * 0.3
    cv.text(pad, cv.height * 0.3, price, _fitted(cv, price, width * 0.7, big), bold=True, color=ink, fact="kv",
            attrs={"key": "price", "number": True})
    small = cv.height * 0.075
    weight = f"{rng.choice([100, 250, 330, 500, 750, 1000])} {rng.choice(['g', 'ml'])}"
    cv.text(pad, cv.height - pad - small * 2.6, "Net wt", small, bold=True, color=ink)
    cv.text(pad + small * 4, cv.height - pad - small * 2.6, weight, small, color=ink, fact="kv",
            attrs={"key": "net weight"})
    x = cv.width * 0.62
    while x < cv.width - pad:  # barcode
        w = rng.choice([0.8, 1.6, 2.4])
        cv.rect(x, cv.height - pad - small * 3, x + w, cv.height - pad, stroke=None, fill=ink)
        x += w + rng.choice([0.8, 1.6])


def draw_package(cv: Canvas, c: Content, rng: random.Random, title: str, size: float) -> None:
    """The front of a product box: brand, product name on a colour band, weight and best-before date."""
    ink, pad = _board(cv, rng)
    width = cv.width - 2 * pad
    brand = c.company().split()[0].upper()
    cv.text(cv.width / 2, pad, brand, _fitted(cv, brand, width, cv.height * 0.12), bold=True, color=ink,
            fact="heading", align="center", attrs={"section": brand})
    band_top = cv.height * 0.3
    band = rng.choice(PALETTE)
    cv.rect(0, band_top, cv.width, band_top + cv.height * 0.22, stroke=None, fill=band)
    product = c.product()
    cv.text(cv.width / 2, band_top + cv.height * 0.05, product, _fitted(cv, product, width, cv.height * 0.09),
            bold=True, color=(1, 1, 1), fact="line", align="center", attrs={"line_no": 1})
    small = cv.height * 0.045
    y = cv.height * 0.62
    fields = (("Net wt", f"{rng.choice([90, 150, 250, 400, 500])} g"), ("Best before", c.date()),
              ("Batch", c.code("L")))
    value_x = pad + max(text_width(k, cv.font(True), small) for k, _ in fields) + small
    for key, value in fields:
        cv.text(pad, y, key, small, bold=True, color=ink)
        cv.text(value_x, y, value, _fitted(cv, value, cv.width - pad - value_x, small, bold=False), color=ink,
                fact="kv", attrs={"key": key.lower()})
        y += small * 1.8
