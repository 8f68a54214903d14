"""meta.density: words, content coverage, fact boxes and fonts per page, measured from what was drawn."""

from __future__ import annotations

import pymupdf
import pytest

from omnisynth.generators.documents.canvas import Canvas, paint
from omnisynth.generators.documents.config import DocumentGenerator as DocConfig
from omnisynth.generators.documents.density import coverage, density
from omnisynth.generators.documents.generator import DocumentGenerator
from omnisynth.generators.textlayer import render_page
from omnisynth.schemas.recipe import TaskConfig
from omnisynth.schemas.truth import SampleSpec


def rendered(cv: Canvas, dpi: int = 72):
    doc = pymupdf.open()
    page = doc.new_page(width=cv.width, height=cv.height)
    paint(page, cv.ops)
    _, truth = render_page(page, dpi, 0, "png")
    return truth


def test_coverage_counts_shapes_and_text_lines_and_not_a_page_sized_background():
    cv = Canvas(800, 800, 0, "en", "helvetica")
    cv.rect(0, 0, 800, 800, stroke=None, fill=(0.95, 0.95, 0.9))  # a board's background: not content
    cv.rect(0, 0, 400, 400, stroke=None, fill=(0.2, 0.3, 0.5))  # a quarter of the page
    assert coverage(cv, rendered(cv), 1.0) == pytest.approx(0.25, abs=0.01)
    cv.line(400, 600, 800, 600)  # a rule: one row of 8-point cells, half the page wide
    assert coverage(cv, rendered(cv), 1.0) == pytest.approx(0.25 + 0.5 / 100, abs=0.01)
    cv.text(500, 100, "seven words of text in one line", 12)
    truth = rendered(cv, dpi=144)
    assert coverage(cv, truth, 2.0) > 0.255 + 0.5 / 100
    d = density([cv], [truth], 2.0)
    assert d["words_per_page"] == 7 and d["fonts"] == ["Helvetica"] and d["boxes_per_page"] == 1


def test_samples_carry_their_density_and_dense_families_measure_denser():
    def mean_density(family: str) -> dict:
        gen = DocumentGenerator(DocConfig(families=[family], languages={"en": 1.0}, dpi=72), TaskConfig(kind="doc_qa"))
        ds = [gen.render(SampleSpec("t", 0, i, 0))[1].meta["density"] for i in range(4)]
        return {k: sum(d[k] for d in ds) / len(ds) for k in ("words_per_page", "coverage", "boxes_per_page")}

    paper, slide, receipt = mean_density("paper"), mean_density("slide"), mean_density("receipt")
    assert paper["words_per_page"] > 3 * slide["words_per_page"] > 0
    assert paper["coverage"] > slide["coverage"] > 0.05
    assert receipt["boxes_per_page"] > 10
    gen = DocumentGenerator(DocConfig(families=["receipt"], languages={"ja": 1.0}, dpi=72), TaskConfig(kind="doc_qa"))
    assert "Droid Sans Fallback" in gen.render(SampleSpec("t", 0, 0, 0))[1].meta["density"]["fonts"]


def test_your_pdf_pages_are_measured_the_same_way():
    from omnisynth.generators.documents.density import pdf_density
    from omnisynth.generators.textlayer import render_page

    doc = pymupdf.open()
    page = doc.new_page(width=800, height=800)
    page.draw_rect(pymupdf.Rect(0, 0, 400, 400), color=None, fill=(0.2, 0.3, 0.5))
    page.insert_text((500, 700), "four words of text", fontname="tiro", fontsize=12)
    _, truth = render_page(page, 72, 0, "png")
    d = pdf_density(page, truth, 1.0)
    assert d["words_per_page"] == 4 and d["boxes_per_page"] == 1 and d["fonts"] == ["Times-Roman"]
    assert 0.25 < d["coverage"] < 0.27
