"""Newspaper, magazine, menu, certificate and poster pages: text flows down columns in reading order,
prices and fields are keyed by their printed labels, every fact reads back from its glyphs."""

from __future__ import annotations

import pytest

from omnisynth.generators.content import fmt_money
from omnisynth.generators.documents.config import DocumentGenerator as DocConfig
from omnisynth.generators.documents.editorial_labels import ED
from omnisynth.generators.documents.generator import DocumentGenerator
from omnisynth.generators.handbook import handbook
from omnisynth.schemas.recipe import TaskConfig
from omnisynth.schemas.truth import SampleSpec


def documents(family: str, language: str, n: int = 3):
    gen = DocumentGenerator(DocConfig(families=[family], languages={language: 1.0}, dpi=72), TaskConfig(kind="doc_qa"))
    return [gen.render(SampleSpec("t", 0, index, 0))[1] for index in range(n)]


def columns_of(lines) -> list[float]:
    """Left edges of the text columns: line starts more than 40 px apart (a glyph's own side bearing
    moves a line's box by a few pixels)."""
    starts = sorted(f.bbox[0] for f in lines)
    return [x for i, x in enumerate(starts) if i == 0 or x - starts[i - 1] > 40]


@pytest.mark.parametrize("language", ["en", "zh", "de"])
def test_a_newspaper_fills_four_columns_with_articles_read_in_order(language):
    paragraphs = [p for s in handbook(language).sections for p in s.paragraphs]
    for truth in documents("newspaper", language):
        lines = [f for f in truth.facts if f.kind == "line"]
        assert len(columns_of(lines)) == 4  # every column holds text
        assert all(any(f.text in p for p in paragraphs) for f in lines)
        by_article: dict[str, list[int]] = {}
        for f in lines:  # facts are in reading order: down a column, then the next
            by_article.setdefault(f.attrs.get("section", ""), []).append(f.attrs["line_no"])
        assert all(nums == list(range(nums[0], nums[0] + len(nums))) for nums in by_article.values())
        assert next(f.text for f in truth.facts if f.kind == "title").startswith(ED[language]["paper"].split("{")[0])


def test_a_magazine_sets_a_pull_quote_from_its_prose_beside_two_columns():
    paragraphs = [p for s in handbook("en").sections for p in s.paragraphs]
    for truth in documents("magazine", "en"):
        quote = " ".join(f.text for f in truth.facts if f.kind == "pull_quote")
        assert quote and any(quote.split()[0] in p for p in paragraphs)
        assert len(columns_of([f for f in truth.facts if f.kind == "line"])) == 2
        assert next(f.text for f in truth.facts if f.kind == "byline").startswith("By ")


@pytest.mark.parametrize("language", ["en", "ja", "fr"])
def test_menu_prices_are_cells_keyed_by_dish(language):
    L = ED[language]
    for truth in documents("menu", language):
        cells = [f for f in truth.facts if f.kind == "cell"]
        assert len(cells) >= 6 and all(f.attrs["col"] == L["price"] for f in cells)
        assert all(f.text == fmt_money(f.attrs["number"]) for f in cells)
        dishes = [f.attrs["row"] for f in cells]
        assert len(set(dishes)) == len(dishes)
        courses = [f.text for f in truth.facts if f.kind == "heading"]
        assert set(courses) <= set(L["courses"]) and L["courses"][1] in courses


@pytest.mark.parametrize("family, keys", [("certificate", ("recipient", "when", "number")),
                                          ("poster", ("when", "time", "venue", "admission"))])
@pytest.mark.parametrize("language", ["en", "ko", "es"])
def test_certificate_and_poster_fields_are_keyed_by_their_labels(family, keys, language):
    L = ED[language]
    for truth in documents(family, language):
        fields = {f.attrs["key"]: f.text for f in truth.facts if f.kind == "kv"}
        assert set(fields) == {L[k] for k in keys} and all(fields.values())
        if family == "certificate":
            page = truth.pages[0]
            assert page.width > page.height  # landscape
            assert len([f for f in truth.facts if f.kind == "signatory"]) == 2


@pytest.mark.parametrize("language", ["en", "zh", "fr"])
def test_a_grouped_table_spans_its_merged_cells_and_totals_exactly(language):
    for truth in documents("grouped_table", language):
        cells = [f for f in truth.facts if f.kind == "cell"]
        body = [f for f in cells if not f.attrs.get("total")]
        totals = {f.attrs["col"]: f.attrs["number"] for f in cells if f.attrs.get("total")}
        assert totals and set(totals) == {f.attrs["col"] for f in body}
        for col, total in totals.items():  # the total row adds its column up, to the printed decimal
            assert round(sum(f.attrs["number"] for f in body if f.attrs["col"] == col), 1) == round(total, 1)
        col_groups = {f.text: f.attrs["span"] for f in truth.facts if f.kind == "col_group"}
        for col in totals:  # a column is named by its spanning group and its own header
            group = next(f.attrs["col_group"] for f in body if f.attrs["col"] == col)
            assert group in col_groups and col.startswith(group)
        assert all(sum(1 for col in totals if col.startswith(g)) == span for g, span in col_groups.items())
        for merged in (f for f in truth.facts if f.kind == "row_group"):
            rows = [f for f in body if f.attrs["row_group"] == merged.text and f.attrs["c"] == 1]
            assert len(rows) == merged.attrs["span"] >= 2
            middle = (merged.bbox[1] + merged.bbox[3]) / 2  # drawn once, down the middle of its rows
            assert rows[0].bbox[1] < middle < rows[-1].bbox[3]
        labels = [f.attrs["row"] for f in body if f.attrs["c"] == 1]
        assert len(set(labels)) == len(labels)
