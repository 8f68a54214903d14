"""Matplotlib charts on pages: every mark carries the value it was plotted from, the chart's data
table is kept whole, and legends and labels read back from the page's own text layer."""

from __future__ import annotations

from collections import defaultdict

import pytest

from omnisynth.generators.documents.config import DocumentGenerator as DocConfig
from omnisynth.generators.documents.generator import DocumentGenerator
from omnisynth.generators.documents.plots import KINDS
from omnisynth.schemas.recipe import TaskConfig
from omnisynth.schemas.truth import SampleSpec


@pytest.fixture(scope="module")
def charts():
    """(truth, chart_data fact) for plot pages until every kind has been drawn twice."""
    gen = DocumentGenerator(DocConfig(families=["plot"], languages={"en": 1.0}, dpi=72), TaskConfig(kind="doc_qa"))
    seen, out = defaultdict(int), []
    for index in range(40):
        _, truth = gen.render(SampleSpec("t", 0, index, 0))
        for f in truth.facts:
            if f.kind == "chart_data" and seen[f.attrs["kind"]] < 2:
                seen[f.attrs["kind"]] += 1
                out.append((truth, f))
        if all(seen[k] == 2 for k in KINDS):
            return out
    raise AssertionError(f"kinds drawn: {dict(seen)}")


def test_every_mark_is_a_value_of_the_kept_data_table(charts):
    for truth, data in charts:
        table = data.attrs["data"]
        marks = [f for f in truth.facts if f.kind == "chart_mark" and f.attrs["chart"] == data.attrs["chart"]]
        kind = data.attrs["kind"]
        plotted = {(m.attrs["series"], m.attrs["category"]): m.attrs["value"] for m in marks}
        expected = {(name, cat): float(v) for name, values in table["series"].items() if name != table["x_title"]
                    for cat, v in zip(table["categories"], values, strict=True)}
        assert plotted == expected, kind
        box = data.bbox
        assert all(box[0] - 1 <= m.bbox[0] < m.bbox[2] <= box[2] + 1 and box[1] - 1 <= m.bbox[1] < m.bbox[3] <= box[3] + 1
                   for m in marks), kind  # every mark lies inside its chart
        if kind == "stacked":  # a later series' segment sits on top of the earlier one's
            names = list(table["series"])
            for cat in table["categories"]:
                tops = [next(m.bbox for m in marks if m.attrs["series"] == n and m.attrs["category"] == cat) for n in names]
                assert all(upper[3] == pytest.approx(lower[1], abs=0.5) for lower, upper in zip(tops, tops[1:], strict=False))


def test_legends_and_labels_read_back_from_the_page(charts):
    for truth, data in charts:
        table, chart = data.attrs["data"], data.attrs["chart"]
        legend = [f.text for f in truth.facts if f.kind == "legend" and f.attrs.get("chart") == chart]
        kind = data.attrs["kind"]
        if kind == "pie":
            assert legend == table["categories"]
        elif kind != "scatter":
            assert legend == list(table["series"])
        if kind in ("stacked", "area"):
            labels = [f.text for f in truth.facts if f.kind == "axis_label" and f.attrs.get("chart") == chart]
            assert set(labels) <= set(table["categories"]) and len(labels) >= len(table["categories"]) - 1
        title = next(f.text for f in truth.facts if f.kind == "chart_title" and f.attrs["chart"] == chart)
        assert title == data.text


def test_chinese_charts_print_their_labels_in_the_page_font_and_renders_are_repeatable():
    gen = DocumentGenerator(DocConfig(families=["plot"], languages={"zh": 1.0}, dpi=72), TaskConfig(kind="doc_qa"))
    media, truth = gen.render(SampleSpec("t", 0, 1, 0))
    legends = [f.text for f in truth.facts if f.kind == "legend"]
    assert legends and all(not t.isascii() for t in legends)
    assert "Droid Sans Fallback" in truth.meta["density"]["fonts"] or truth.meta["density"]["fonts"]
    assert gen.render(SampleSpec("t", 0, 1, 0))[0]["png"] == media["png"]  # same seed, same pixels
