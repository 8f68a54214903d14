"""Typeset mathematics: display equations drawn from their LaTeX by Matplotlib's mathtext, and the
`math` family (a page of lecture notes or a paper's method section with numbered equations).

`random_formula` writes a formula's LaTeX from a small grammar of the shapes textbooks and papers
print (fractions, roots, sums and integrals with limits, limits, partial derivatives, conditional
probabilities, vectors, argmin); `typeset` sets it with the STIX fonts (Times-like, as a paper's
LaTeX looks) into a vector PDF placed 1:1 on the page, its glyphs Type 3 text with their Unicode
(the page's text layer reads them back: α, ∑, ∫, √). Each equation is a `formula` fact holding
its LaTeX (`attrs.latex`), its number and the glyphs mathtext set for it (`attrs.glyphs`): the
filter re-parses an answer's LaTeX and compares its glyphs with the text layer inside the box.
"""

from __future__ import annotations

import io
import random
from functools import lru_cache

from omnisynth.generators.content import Content
from omnisynth.generators.documents.canvas import MARGIN, Canvas

VARS = ["x", "y", "z", "t", "u", "v", "s", "r"]
GREEK = [r"\alpha", r"\beta", r"\gamma", r"\delta", r"\lambda", r"\mu", r"\sigma", r"\theta", r"\omega", r"\phi",
         r"\eta", r"\kappa", r"\rho", r"\tau"]
FUNCS = ["f", "g", "h", "F", "G"]
OPS = [r"\sin", r"\cos", r"\exp", r"\log", r"\tanh"]
RELS = ["=", r"\leq", r"\geq", r"\approx", "<"]


def _coef(rng: random.Random) -> str:
    return rng.choice([str(rng.randint(2, 9)), rng.choice(GREEK), rng.choice("abck")])


def _power(rng: random.Random, var: str) -> str:
    return var if rng.random() < 0.4 else f"{var}^{{{rng.choice(['2', '3', 'n', 'k', '-1', '1/2'])}}}"


def _poly(rng: random.Random, var: str, terms: int | None = None) -> str:
    parts = []
    for i in range(terms or rng.randint(2, 3)):
        term = f"{_coef(rng)} {_power(rng, var)}" if i < 2 else _coef(rng)
        parts.append(term if not parts else f"{rng.choice(['+', '-'])} {term}")
    return " ".join(parts)


def _atom(rng: random.Random, var: str) -> str:
    return rng.choice([f"{rng.choice(OPS)}({var})", _power(rng, var), f"{_coef(rng)} {var}",
                       rf"\sqrt{{{var} + {rng.randint(1, 9)}}}", f"e^{{-{rng.choice(GREEK)} {var}}}"])


def random_formula(rng: random.Random) -> str:
    """A display formula's LaTeX (mathtext's subset of TeX), one of twelve textbook shapes."""
    v, g, f = rng.choice(VARS), rng.choice(GREEK), rng.choice(FUNCS)
    i = rng.choice("ijk")
    upper = rng.choice(["1", "T", r"\infty", r"\pi"])
    shapes = [
        lambda: f"{f}({v}) = {_poly(rng, v)}",
        lambda: rf"{f}({v}) = \frac{{{_poly(rng, v, 2)}}}{{{_atom(rng, v)}}}",
        lambda: rf"\sum_{{{i}=1}}^{{n}} {_coef(rng)} {v}_{{{i}}}^{{2}} {rng.choice(RELS)} {g}",
        lambda: rf"\int_{{0}}^{{{upper}}} {_atom(rng, 't')} \, dt = "
                rf"\frac{{{rng.randint(1, 9)}}}{{{g}}}",
        lambda: rf"\sqrt{{{_poly(rng, v, 2)}}} {rng.choice(RELS)} {_atom(rng, v)}",
        lambda: rf"\lim_{{n \to \infty}} \left(1 + \frac{{{v}}}{{n}}\right)^{{n}} = e^{{{v}}}",
        lambda: rf"\frac{{\partial {f}}}{{\partial t}} = {g} \frac{{\partial^{{2}} {f}}}{{\partial {v}^{{2}}}}",
        lambda: r"P(A \mid B) = \frac{P(B \mid A) P(A)}{P(B)}".replace("A", rng.choice("AHX")).replace(
            "B", rng.choice("BEY")),
        lambda: rf"\mathbf{{{v}}}_{{t+1}} = \mathbf{{{v}}}_{{t}} - {g} \nabla {f}(\mathbf{{{v}}}_{{t}})",
        lambda: rf"\hat{{{g}}} = \arg\min_{{{g}}} \sum_{{{i}=1}}^{{m}} (y_{{{i}}} - {g} x_{{{i}}})^{{2}}",
        lambda: rf"{g}^{{2}} = \frac{{1}}{{n - 1}} \sum_{{{i}=1}}^{{n}} ({v}_{{{i}}} - \bar{{{v}}})^{{2}}",
        lambda: rf"{f}'({v}) = \lim_{{h \to 0}} \frac{{{f}({v} + h) - {f}({v})}}{{h}}",
    ]
    return rng.choice(shapes)()


RC = {"mathtext.fontset": "stix", "pdf.fonttype": 3, "pdf.use14corefonts": False}


def typeset(latex: str, size: float) -> tuple[bytes, float, float]:
    """The formula as a one-page vector PDF at `size` points and its (width, height) in points.
    Raises ValueError when mathtext cannot parse `latex`."""
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(0.01, 0.01))
        fig.text(0, 0, f"${latex}$", fontsize=size)
        buf = io.BytesIO()
        fig.savefig(buf, format="pdf", bbox_inches="tight", pad_inches=0.01, metadata={"CreationDate": None})
    import pymupdf

    data = buf.getvalue()
    with pymupdf.open("pdf", data) as doc:
        rect = doc[0].rect
    return data, rect.width, rect.height


def layout(latex: str) -> tuple[tuple[str, int, int], ...]:
    """Where mathtext sets each glyph of `latex` (character, x, y in tenths of a point at 10 pt): two
    LaTeX strings that typeset alike have the same layout. Raises ValueError when it does not parse."""
    return _parse(latex)[1]


def glyphs(latex: str) -> str:
    """The characters mathtext sets for `latex` with the STIX fonts, in its layout order (no spaces):
    what a page's text layer holds inside the formula's box. Raises ValueError when it does not parse."""
    return _glyphs(latex)


def _glyphs(latex: str) -> str:
    return _parse(latex)[0]


@lru_cache(maxsize=4096)
def _parse(latex: str) -> tuple[str, tuple[tuple[str, int, int], ...]]:
    from matplotlib.font_manager import FontProperties

    try:
        out = _parser().parse(f"${latex}$", dpi=72, prop=FontProperties(size=10, math_fontfamily="stix"))
    except Exception as exc:  # noqa: BLE001 - pyparsing's and mathtext's own errors alike
        raise ValueError(f"not mathtext LaTeX: {latex[:80]!r}: {exc}") from None
    # a glyph is (font, size, codepoint, [glyph index,] x, y): the last two place it
    placed = tuple((chr(g[2]), round(g[-2] * 10), round(g[-1] * 10)) for g in out.glyphs if not chr(g[2]).isspace())
    return "".join(p[0] for p in placed), placed


@lru_cache(maxsize=1)
def _parser():
    from matplotlib.mathtext import MathTextParser

    return MathTextParser("path")


def equation(cv: Canvas, rng: random.Random, top: float, number: int, size: float, x: float | None = None,
             width: float | None = None) -> float:
    """A numbered display equation centred across (x, width) at `top`: the typeset formula and its
    number '(n)' at the right margin. Returns the y below it."""
    x = MARGIN if x is None else x
    width = cv.width - 2 * MARGIN if width is None else width
    for attempt in range(5):  # the widest shapes are ~300 pt, a column 400+: the fifth is a short one
        latex = random_formula(rng) if attempt < 4 else r"f(x) = x^{2} + 1"
        pdf, w, h = typeset(latex, size + 2)
        if w <= width - 50:
            break
    left = x + (width - w) / 2
    box = (left, top, left + w, top + h)
    cv.ops.append(("pdf", *box, pdf))
    from omnisynth.schemas.truth import Fact

    cv.facts.append(Fact("formula", cv.page, box, latex, {"latex": latex, "number": number, "glyphs": glyphs(latex),
                                                          "shape": True}))
    cv.text(x + width, top + h / 2 - size * 0.6, f"({number})", size, align="right", fact="equation_number",
            attrs={"number": number})
    return top + h


def draw_math(cv: Canvas, c: Content, rng: random.Random, title: str, size: float) -> None:
    """Lecture notes or a paper's method section: a title, then sections whose paragraphs are
    interleaved with numbered display equations (3-5 a page, numbered on from the previous page)."""
    width = cv.width - 2 * MARGIN
    top = 56.0
    if cv.page == 0:
        cv.text(cv.width / 2, 52, title, size + 6, bold=True, align="center", fact="title", fit=width)
        top = 52 + (size + 6) * 2.2
    number = cv.page * 4 + 1
    bottom = cv.height - 70
    while top + size * 10 < bottom:
        heading = cv.wrap(c.heading(), width, size + 3, bold=True)[0]
        cv.text(MARGIN, top, heading, size + 3, bold=True, fact="heading", attrs={"section": heading})
        top += (size + 3) * 1.6
        for _ in range(rng.randint(1, 2)):
            if top + size * 9 > bottom:
                break
            top = cv.paragraph(MARGIN, top, width, c.paragraph((1, 3)), size, attrs={"section": heading},
                               max_bottom=bottom - size * 6) + size * 0.8
            top = equation(cv, rng, top, number, size) + size * 1.2
            number += 1
        top += size * 0.6
