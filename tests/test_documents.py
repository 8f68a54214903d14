"""The document generator: real PyMuPDF renders whose boxes land on the ink they name."""

from __future__ import annotations

import io
from collections import defaultdict

import numpy as np
import pytest
from PIL import Image

from omnisynth.generators.documents.layouts import FAMILIES, PALETTE
from omnisynth.generators.documents.generator import DocumentGenerator, member_names
from omnisynth.generators.documents.config import DocumentGenerator as DocConfig
from omnisynth.schemas.recipe import TaskConfig
from omnisynth.schemas.truth import SampleSpec


def render(index: int, family: str, language: str = "en", pages=(1, 1), kind: str = "doc_qa", dpi: int = 144):
    config = DocConfig(families=[family], languages={language: 1.0}, pages=pages, dpi=dpi)
    return DocumentGenerator(config, TaskConfig(kind=kind)).render(SampleSpec("t", 0, index, 0))


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_text_box_covers_ink_and_only_its_line(family, language):
    media, truth = render(3, family, language)
    img = pixels(media["png"])
    h, w, _ = img.shape
    assert (truth.pages[0].width, truth.pages[0].height) == (w, h)
    text_facts = [f for f in truth.facts if f.kind not in ("chart_mark", "chart_data")]
    assert len(text_facts) >= 3
    for f in text_facts:
        x0, y0, x1, y1 = (int(round(v)) for v in f.bbox)
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h, (f.kind, f.text, f.bbox)
        crop = img[y0:y1, x0:x1].min(axis=2)
        assert crop.min() < 140, f"no ink under {f.kind} {f.text!r} at {f.bbox}"
        # the box is tight: a band just above and below the box is background or a rule, not glyphs of its text
        narrow = sum(ch in "1.,:;!|'()[]） 。、，：；！" for ch in f.text)
        if len(f.text) > 1 and narrow * 2 < len(f.text):  # a '1' or a full-width '。' has more side bearing than ink
            dark_cols_inside = (crop < 140).any(axis=0).mean()
            assert dark_cols_inside > 0.3, f"box of {f.text!r} is mostly empty"
    if language == "zh" and family in ("report", "paper"):
        assert any(not f.text.isascii() for f in text_facts), "Chinese documents carry CJK text"


@pytest.mark.parametrize("index", range(10))
def test_chart_marks_are_exact(index):
    media, truth = render(index, "chart")
    img = pixels(media["png"])
    marks = [f for f in truth.facts if f.kind == "chart_mark"]
    assert marks
    by_chart = defaultdict(list)
    for m in marks:
        by_chart[m.attrs["chart"]].append(m)
    for chart_marks in by_chart.values():
        series = list(dict.fromkeys(m.attrs["series"] for m in chart_marks))
        for m in chart_marks:
            x0, y0, x1, y1 = (int(round(v)) for v in m.bbox)
            centre = img[(y0 + y1) // 2, (x0 + x1) // 2].astype(int)
            expected = np.array(PALETTE[series.index(m.attrs["series"])]) * 255
            assert np.abs(centre - expected).max() <= 3, (m.attrs, centre, expected)  # covered marks are no facts
        legend = [f.text for f in truth.facts if f.kind == "legend" and f.attrs["chart"] == chart_marks[0].attrs["chart"]]
        assert legend == series, "every series is named in the chart's legend"
        if chart_marks[0].attrs["kind"] == "bar":
            # bars share a baseline and their heights are proportional to the plotted values
            bottoms = {round(m.bbox[3], 1) for m in chart_marks}
            assert len(bottoms) == 1
            ratios = [(m.bbox[3] - m.bbox[1]) / m.attrs["value"] for m in chart_marks]
            assert max(ratios) - min(ratios) < 1e-6 * max(ratios) + 1e-9


def test_multi_page_documents_have_every_page_and_footers():
    media, truth = render(5, "report", pages=(4, 4), kind="doc_long_qa", dpi=72)
    assert list(media) == member_names(4) == ["p000.png", "p001.png", "p002.png", "p003.png"]
    assert [p.number for p in truth.pages] == [0, 1, 2, 3]
    assert member_names(1) == ["png"]
    labels = sorted(f.text for f in truth.facts if f.kind == "page_label")
    assert labels == [f"Page {n} of 4" for n in range(1, 5)]
    for member, page in zip(media, truth.pages, strict=False):
        assert Image.open(io.BytesIO(media[member])).size == (page.width, page.height) == (595, 842)


def test_render_is_deterministic_and_seeded():
    a, _ = render(7, "invoice")
    b, _ = render(7, "invoice")
    c, _ = render(8, "invoice")
    assert a["png"] == b["png"] != c["png"]


def test_facts_carry_structure_for_questions():
    _, truth = render(2, "invoice")
    kv = {f.attrs["key"]: f.text for f in truth.facts if f.kind == "kv"}
    assert {"Invoice No.", "Date", "Customer", "Subtotal", "Total"} <= set(kv)
    cells = [f for f in truth.facts if f.kind == "cell"]
    qty = {f.attrs["row"]: int(f.text) for f in cells if f.attrs["col"] == "Qty"}
    amount = {f.attrs["row"]: f.attrs["number"] for f in cells if f.attrs["col"] == "Amount"}
    assert qty and set(qty) == set(amount)
    subtotal = float(kv["Subtotal"].replace(",", ""))
    assert abs(sum(amount.values()) - subtotal) < 0.011 * len(amount)


def test_text_layer_words_lines_blocks_in_pixels():
    _, truth = render(1, "report", dpi=72)
    page = truth.pages[0]
    assert page.words and page.lines and page.blocks
    title = next(f for f in truth.facts if f.kind == "title")
    first_line = next(text for box, text in page.lines if text.strip() == title.text)
    assert first_line
    for x0, y0, x1, y1, text in page.words:
        assert 0 <= x0 < x1 <= page.width and 0 <= y0 < y1 <= page.height and " " not in text


def test_cached_text_width_equals_pymupdf_measurement():
    import random

    import pymupdf

    from omnisynth.generators.documents.canvas import FONTS, text_width

    rng = random.Random(1)
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;()%|-'#&@"
    for _ in range(300):
        font = rng.choice(sorted(FONTS.values()))
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
        size = rng.choice([7.5, 10, 13.5])
        assert text_width(text, font, size) == pytest.approx(pymupdf.get_text_length(text, fontname=font, fontsize=size))
    assert text_width("中文测试", "china-s", 10) == pymupdf.get_text_length("中文测试", fontname="china-s", fontsize=10)


def test_shorter_documents_carry_blank_members_up_to_the_recipe_maximum():
    for index in range(6):
        media, truth = render(index, "report", pages=(2, 5), kind="doc_long_qa", dpi=50)
        assert list(media) == member_names(5)
        real = len(truth.pages)
        assert 2 <= real <= 5 and truth.meta["pages"] == real
        for member in list(media)[real:]:
            assert Image.open(io.BytesIO(media[member])).size == (1, 1)
        for member, page in zip(media, truth.pages, strict=False):
            assert Image.open(io.BytesIO(media[member])).size == (page.width, page.height)
