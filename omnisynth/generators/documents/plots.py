"""Charts drawn by Matplotlib: pie, stacked bar, stacked area and labelled scatter, with legends,
axis titles and value labels, placed on the page as vector PDF (text stays text).

The family `plot` draws a page with a title, a paragraph and two such charts. Each chart is a
Matplotlib figure at 72 dpi (a figure pixel is a PDF point) with fixed axes, saved as PDF (text in
Helvetica, or TrueType Droid Sans Fallback on CJK pages) and shown on the page with PyMuPDF's
`show_pdf_page`, so the page's text layer holds the chart's glyphs. Facts: the chart title (`chart_title`, drawn by the canvas), legend
entries (`legend`), axis titles (`axis_title`) and category labels (`axis_label`) at the boxes
PyMuPDF finds for them in the chart's own PDF, one `chart_mark` per wedge, bar segment, area
vertex or point with its exact value (boxes from Matplotlib's data transform), and one
`chart_data` fact holding the chart's whole data table (kind, categories, series and values,
axis titles) as it was plotted.
"""

from __future__ import annotations

import io
import random
import tempfile
from functools import lru_cache
from pathlib import Path

import pymupdf

from omnisynth.generators.content import Content
from omnisynth.generators.documents.canvas import CJK_FONTS, MARGIN, PALETTE, Canvas
from omnisynth.schemas.truth import Fact

KINDS = ("pie", "stacked", "area", "scatter")
YEAR = {"en": "Year", "zh": "年份", "ja": "年", "ko": "연도", "de": "Jahr", "fr": "Année", "es": "Año"}


@lru_cache(maxsize=None)
def _font_family(language: str) -> str:
    """Matplotlib's font family for a page language: the PDF core font Helvetica for Latin pages; for CJK
    pages PyMuPDF's built-in Droid Sans Fallback (the font the page's own CJK text uses), registered once."""
    from matplotlib import font_manager

    if language not in CJK_FONTS:
        return "sans-serif"  # rc_context maps it to the core Helvetica
    path = Path(tempfile.gettempdir()) / "omnisynth-droid-sans-fallback.ttf"
    data = pymupdf.Font(CJK_FONTS[language]).buffer
    if not path.is_file() or path.stat().st_size != len(data):
        tmp = path.with_suffix(f".{random.randrange(1 << 30)}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


@lru_cache(maxsize=1)
def _quiet_helvetica() -> None:
    """Matplotlib warns each time it measures text in the core Helvetica ('Failed to find font weight
    normal for Helvetica, now using medium'): the AFM font's weight is named medium, and medium it is."""
    import logging

    def keep(record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not ("Failed to find font weight" in message and "for Helvetica" in message)

    logging.getLogger("matplotlib.font_manager").addFilter(keep)


def _figure(w: float, h: float, language: str):
    from matplotlib.backends.backend_pdf import FigureCanvasPdf
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w / 72, h / 72), dpi=72)
    FigureCanvasPdf(fig)
    fig.patch.set_alpha(0)
    return fig


def _values(rng: random.Random, n: int, lo: int = 5, hi: int = 95) -> list[int]:
    return [rng.randint(lo, hi) for _ in range(n)]


def plot_chart(cv: Canvas, c: Content, rng: random.Random, x: float, top: float, w: float, h: float,
               size: float, chart_id: int, kind: str) -> None:
    """One Matplotlib chart of `kind` with its title above it, in the box (x, top, w, h) points.

    Latin pages set the chart's text in the PDF core font Helvetica (not embedded, ~15 ms a chart);
    CJK pages in Droid Sans Fallback as a Type 3 font (its glyphs as drawings with a ToUnicode map,
    ~25 ms a chart; TrueType embedding would subset the 3.5 MB font with fontTools, ~0.5 s). Either
    way the page's text layer reads the glyphs back, at the same boxes."""
    import matplotlib

    if c.lang in CJK_FONTS:
        rc = {"pdf.fonttype": 3, "pdf.use14corefonts": False}
    else:  # the AFM Helvetica is 'medium'
        rc = {"pdf.fonttype": 42, "pdf.use14corefonts": True, "font.family": "sans-serif",
              "font.sans-serif": ["Helvetica"], "font.weight": "medium"}
    _quiet_helvetica()
    with matplotlib.rc_context(rc):
        _draw_chart(cv, c, rng, x, top, w, h, size, chart_id, kind)


def _draw_chart(cv: Canvas, c: Content, rng: random.Random, x: float, top: float, w: float, h: float,
                size: float, chart_id: int, kind: str) -> None:
    family = _font_family(c.lang)
    L = c.labels
    title = c.unique(lambda: L["chart_title"].format(x=c.words(2).title() if c.lang == "en" else c.words(2),
                                                     dim=rng.choice(L["dims"])))
    cv.text(x + w / 2, top, title, size + 2, bold=True, align="center", fact="chart_title", fit=w,
            attrs={"chart": chart_id})
    top += (size + 2) * 1.8
    h -= (size + 2) * 1.8
    fig = _figure(w, h, c.lang)
    fs = size * 0.85
    ax = fig.add_axes((0.1, 0.16, 0.6, 0.76) if kind == "pie" else (0.12, 0.16, 0.62, 0.76))
    ax.tick_params(labelsize=fs)
    names = [c.unique(lambda: c.words(1).title()) for _ in range(rng.randint(2, 3))]
    if kind in ("stacked", "area"):
        categories = (["Q1", "Q2", "Q3", "Q4"] if kind == "stacked" else
                      [str(y) for y in range(rng.randint(2008, 2018), 2026)][:rng.randint(5, 8)])
    elif kind == "pie":
        categories = [c.unique(lambda: c.words(1).title()) for _ in range(rng.randint(3, 6))]
    else:
        categories = [c.unique(c.city) for _ in range(rng.randint(5, 8))]
    series: dict[str, list[int]] = {}
    x_title = {"stacked": L["dims"][0], "area": YEAR[c.lang]}.get(kind) or c.unique(lambda: c.words(1).title())
    y_title = L["units"]
    marks = []  # (series, category, value, data-space box or point)
    if kind == "pie":
        names = [title]
        values = _values(rng, len(categories), 4, 60)
        series[title] = values
        wedges, _, autotexts = ax.pie(values, labels=None, colors=PALETTE[:len(values)] + PALETTE[:1] * 6,
                                      autopct=lambda p, vs=values: f"{round(p * sum(vs) / 100)}",
                                      startangle=90, textprops={"family": family, "fontsize": fs})
        for t in autotexts:
            t.set_color("white")
        ax.legend(wedges, categories, loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False,
                  prop={"family": family, "size": fs})
        ax.set_aspect("equal")
    elif kind == "stacked":
        bottom = [0] * len(categories)
        for k, name in enumerate(names):
            values = _values(rng, len(categories), 5, 60)
            series[name] = values
            bars = ax.bar(categories, values, bottom=bottom, color=PALETTE[k % len(PALETTE)], width=0.6, label=name)
            for cat, v, b, bar in zip(categories, values, bottom, bars, strict=True):
                marks.append((name, cat, v, bar))
                if v >= 12:
                    ax.text(bar.get_x() + bar.get_width() / 2, b + v / 2, str(v), ha="center", va="center",
                            color="white", fontsize=fs * 0.9, family=family)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    elif kind == "area":
        xs = list(range(len(categories)))
        stacks = [_values(rng, len(categories), 5, 40) for _ in names]
        series.update(zip(names, stacks, strict=True))
        ax.stackplot(xs, *stacks, labels=names, colors=PALETTE[:len(names)], alpha=0.85)
        ax.set_xticks(xs, categories)
        ax.set_xlim(0, len(xs) - 1)
        running = [0] * len(xs)
        for name, values in zip(names, stacks, strict=True):
            running = [r + v for r, v in zip(running, values, strict=True)]
            marks += [(name, categories[i], values[i], (xs[i], running[i])) for i in range(len(xs))]
    else:  # scatter: one point per city, labelled beside it
        name = names[0]
        xs, ys = _values(rng, len(categories), 5, 95), _values(rng, len(categories), 5, 95)
        series[name] = ys
        series[x_title] = xs
        ax.scatter(xs, ys, color=PALETTE[0], s=22, label=name)
        for cat, xv, yv in zip(categories, xs, ys, strict=True):  # each point names its category
            ax.annotate(cat, (xv, yv), xytext=(4, 3), textcoords="offset points", fontsize=fs * 0.8, family=family)
        ax.set_xlim(0, 100)
        ax.set_ylim(0, 105)
        marks += [(name, cat, yv, (xv, yv)) for cat, xv, yv in zip(categories, xs, ys, strict=True)]
        names = [name]
    if kind != "pie":
        ax.set_xlabel(x_title, family=family, fontsize=fs)
        ax.set_ylabel(y_title, family=family, fontsize=fs)
        if kind != "scatter":
            ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False, prop={"family": family, "size": fs})
        for label in ax.get_xticklabels():
            label.set_family(family)
        ax.spines[["top", "right"]].set_visible(False)
    from matplotlib.text import Text

    for artist in fig.findobj(Text):  # no ligatures: 'ffi' as one glyph reads back as three stacked letters
        artist.set_fontfeatures(["-liga"])
    buf = io.BytesIO()
    fig.savefig(buf, format="pdf", metadata={"CreationDate": None})  # the same bytes for the same seed
    pdf = buf.getvalue()
    cv.ops.append(("pdf", x, top, x + w, top + h, pdf))

    def to_page(px: float, py: float) -> tuple[float, float]:  # figure points (origin bottom left) -> page
        return x + px, top + h - py

    with pymupdf.open("pdf", pdf) as src:
        page = src[0]
        texts = ([(n, "legend") for n in (categories if kind == "pie" else names) if kind != "scatter"]
                 + [(x_title, "axis_title")] * (kind != "pie")  # the y title runs upwards: no reading-order fact
                 + [(t, "axis_label") for t in (categories if kind in ("stacked", "area") else ())])
        for text, fact in texts:
            found = page.search_for(text)
            if len(found) == 1:  # a label printed once (an axis title that repeats a legend entry is no fact)
                r = found[0]
                cv.facts.append(_text_fact(fact, cv.page, (x + r.x0, top + r.y0, x + r.x1, top + r.y1), text, chart_id))
    for name, cat, value, where in marks:
        if hasattr(where, "get_x"):
            (x0, y0), (x1, y1) = ax.transData.transform([(where.get_x(), where.get_y()),
                                                          (where.get_x() + where.get_width(),
                                                           where.get_y() + where.get_height())])
        else:
            px, py = ax.transData.transform([where])[0]
            x0, y0, x1, y1 = px - 3, py - 3, px + 3, py + 3
        (bx0, by1), (bx1, by0) = to_page(x0, y0), to_page(x1, y1)
        cv.mark((bx0, by0, bx1, by1), f"{name} {cat}", {"chart": chart_id, "chart_title": title, "series": name,
                                                         "category": cat, "value": float(value), "kind": kind,
                                                         "labelled": kind == "stacked" and value >= 12})
    if kind == "pie":
        for wedge, cat, value in zip(ax.patches, categories, series[title], strict=False):
            ext = wedge.get_window_extent()
            (bx0, by1), (bx1, by0) = to_page(ext.x0, ext.y0), to_page(ext.x1, ext.y1)
            cv.mark((bx0, by0, bx1, by1), f"{title} {cat}", {"chart": chart_id, "chart_title": title, "series": title,
                                                              "category": cat, "value": float(value), "kind": kind,
                                                              "labelled": True})
    cv.facts.append(Fact("chart_data", cv.page, (x, top, x + w, top + h), title, {
        "chart": chart_id, "chart_title": title, "kind": kind, "shape": True,
        "data": {"categories": categories, "series": series, "x_title": x_title if kind != "pie" else "",
                 "y_title": y_title if kind != "pie" else ""}}))


def _text_fact(kind: str, page: int, box, text: str, chart_id: int) -> Fact:
    return Fact(kind, page, box, text, {"chart": chart_id})


def draw_plot(cv: Canvas, c: Content, rng: random.Random, title: str, size: float) -> None:
    """A page of two Matplotlib charts of different kinds under a title and a paragraph."""
    width = cv.width - 2 * MARGIN
    cv.text(MARGIN, 50, title, size + 6, bold=True, fact="title", fit=width)
    heading = cv.wrap(c.heading(), width, size + 2, bold=True)[0]
    cv.text(MARGIN, 80, heading, size + 2, bold=True, fact="heading", attrs={"section": heading})
    y = cv.paragraph(MARGIN, 80 + (size + 2) * 1.6, width, c.paragraph(), size, attrs={"section": heading},
                     max_bottom=215) + 14
    h = (cv.height - y - 70) / 2
    for k, kind in enumerate(rng.sample(KINDS, 2)):
        plot_chart(cv, c, rng, MARGIN, y + k * (h + 14), width, h - 10, size, 2 * cv.page + k, kind)
