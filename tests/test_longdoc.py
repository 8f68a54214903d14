"""Long documents of MMLongBench-Doc's seven types: the contents point at the pages the sections
landed on, cross-references at the page their table or figure is on, headings are numbered in
order, page numbers are printed, and a 100-page sample renders within its pixel budget and verifies."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from omnisynth.generators.documents.config import LONG_FAMILIES, DocumentGenerator as DocConfig
from omnisynth.generators.documents.generator import DocumentGenerator
from omnisynth.generators.documents.longdoc import DOC_TYPES, LONG
from omnisynth.schemas.recipe import TaskConfig
from omnisynth.schemas.truth import SampleSpec


def long_doc(kind: str, pages=(12, 16), language: str = "en", index: int = 0, **config):
    gen = DocumentGenerator(DocConfig(families=[kind], languages={language: 1.0}, dpi=50, pages=pages, **config),
                            TaskConfig(kind="doc_long_qa"))
    return gen.render(SampleSpec("t", 0, index, 0))


@pytest.fixture(scope="module")
def documents():
    return {kind: long_doc(kind)[1] for kind in DOC_TYPES}


def test_the_seven_types_are_the_recipe_families():
    assert DOC_TYPES == LONG_FAMILIES


@pytest.mark.parametrize("kind", DOC_TYPES)
def test_contents_page_numbers_headings_and_cross_references_agree_with_where_things_landed(documents, kind):
    truth = documents[kind]
    n = len(truth.pages)
    assert 12 <= n <= 16
    facts = truth.facts
    labels = {f.page: f.text for f in facts if f.kind == "page_label"}
    assert labels == {p: str(p + 1) for p in range(1, n)}  # every page but the cover is numbered
    assert [f.text for f in facts if f.kind == "doc_type"] == [LONG["en"]["types"][kind]]
    headings = {(f.text, f.page) for f in facts if f.kind == "heading"}
    toc = [f for f in facts if f.kind == "toc_entry"]
    assert len(toc) >= 3 and all(f.page in (1, 2) for f in toc)
    for entry in toc:  # the contents say where each section starts
        assert (entry.text, entry.attrs["page"] - 1) in headings, entry
    numbers = [f.attrs["number"] for f in facts if f.kind == "heading" and "number" in f.attrs]
    chapters = [int(x) for x in numbers if "." not in x]
    assert chapters == list(range(1, len(chapters) + 1)) and len(chapters) >= 2
    for chapter in chapters:
        sections = [int(x.split(".")[1]) for x in numbers if x.startswith(f"{chapter}.")]
        assert sections == list(range(1, len(sections) + 1))
    captions = {(f.text.split(":")[0], f.page) for f in facts if f.kind == "caption"}
    xrefs = [f for f in facts if f.kind == "xref"]
    for xref in xrefs:  # "See Table 3 on page 5." names the page its table is on, an earlier one
        assert (xref.attrs["target"], xref.attrs["page"]) in captions and xref.attrs["page"] < xref.page
        assert xref.text == LONG["en"]["see"].format(target=xref.attrs["target"], page=xref.attrs["page"] + 1)
    kinds = Counter(f.kind for f in facts)
    expected = {"tutorial": "step", "guidebook": "kv", "admin_file": "kv", "academic_paper": "reference",
                "research_report": "reference", "financial_report": "cell", "brochure": "diagram_node"}
    assert kinds[expected[kind]] > 0, kinds
    assert kinds["line"] > 60  # running text fills the body pages
    body_pages = {f.page for f in facts if f.kind not in ("page_label", "toc_entry")}
    assert body_pages >= set(range(2 if n <= 60 else 3, n)) - {n - 1}  # no blank page in the middle


def test_cross_references_and_numbered_captions_appear_across_the_types(documents):
    xrefs = sum(1 for t in documents.values() for f in t.facts if f.kind == "xref")
    assert xrefs >= 5
    for truth in documents.values():
        tables = [int(m.group(1)) for f in truth.facts if f.kind == "caption"
                  for m in [re.match(r"Table (\d+):", f.text)] if m]
        assert tables == list(range(1, len(tables) + 1))  # numbered in page order


def test_long_documents_in_other_languages_use_their_labels():
    _, truth = long_doc("financial_report", pages=(10, 10), language="ja")
    texts = [f.text for f in truth.facts]
    assert LONG["ja"]["types"]["financial_report"] in texts and LONG["ja"]["contents"] in texts
    assert any(f.kind == "xref" and f.text.endswith("を参照。") for f in truth.facts) or not any(
        f.kind == "xref" for f in truth.facts)


def test_the_page_image_budget_lowers_the_dpi_of_a_long_document_and_the_sample_records_it():
    budget = 6_000_000
    media, truth = long_doc("research_report", pages=(40, 40), max_sample_pixels=budget)
    pixels = sum(p.width * p.height for p in truth.pages)
    assert pixels <= budget
    dpi = round(truth.meta["scale"] * 72)
    assert 36 <= dpi < 50
    # one dpi more would not fit: the budget is used, not merely respected
    assert sum(p.width * p.height for p in truth.pages) * ((dpi + 1) / dpi) ** 2 > budget
    _, short = long_doc("research_report", pages=(10, 10), max_sample_pixels=budget)
    assert short.meta["scale"] == 50 / 72  # a short document keeps the recipe's dpi


def test_long_types_with_too_few_pages_are_refused_naming_the_families():
    with pytest.raises(ValueError, match="families: brochure: long documents.*pages min >= 4.*doc_long_qa"):
        DocConfig(families=["report", "brochure"], pages=(2, 8))


@pytest.mark.slow
def test_a_100_page_sample_renders_within_its_budget_and_verifies(run_recipe):
    from omnisynth.datasets.verify import verify

    out, summary = run_recipe("doc_long_qa", num_samples=2, generator__pages=[100, 100],
                              generator__families=["financial_report", "guidebook"])
    assert summary.kept == 2, summary
    report = verify(out)
    assert report.errors == [] and report.samples == 2
    import webdataset as wds

    for s in wds.WebDataset(sorted(str(p) for p in (out / "shards").glob("*.tar")), shardshuffle=False):
        sample = json.loads(s["json"])
        assert len(sample["media"]) == 100 and sample["meta"]["pages"] == 100
        assert sum(m["width"] * m["height"] for m in sample["media"]) <= 24_000_000
        assert sample["meta"]["scale"] < 110 / 72  # the budget lowered the recipe's 110 dpi


def _ask(truth, qtype: str, seed: int = 0):
    """(candidate, the ground-truth filter's verdict) for one question type over a long document."""
    import random

    from omnisynth.filters.verify import GroundTruthFilter
    from omnisynth.schemas.truth import WorkItem
    from omnisynth.tasks.documents import oracle_candidate

    cand = oracle_candidate("doc_long_qa", {qtype: 1}, truth, random.Random(seed))
    derivation = {"op": "", "labels": [], "target": "", "role": "", "relation": "", "anchor": "", **cand.derivation}
    item = WorkItem(SampleSpec("t", 0, 0, 0), {}, truth, {"question": cand.question, "answer": cand.answer,
                                                           "evidence": cand.evidence, "grounding": cand.grounding,
                                                           "derivation": derivation})
    return cand, GroundTruthFilter().check(item)[:2]


def test_mmlongbench_categories_layout_figure_and_multi_hop_with_its_labels(documents):
    seen = Counter()
    for kind, truth in documents.items():
        for seed in range(3):
            for qtype, source in (("layout_fact", "Generalized-text (Layout)"), ("figure_fact", "Figure"),
                                  ("multi_hop", "Table")):
                try:
                    cand, verdict = _ask(truth, qtype, seed)
                except Exception:  # noqa: BLE001 - a type the document cannot carry (no figure) is Unsupported
                    continue
                assert verdict == (True, ""), (kind, qtype, cand.question, verdict)
                assert cand.derivation["evidence_sources"] == [source], (qtype, cand.derivation)
                pages = {e["page"] for e in cand.evidence}
                if qtype == "multi_hop":  # 2-3 evidence pages, the total exact to the cent
                    assert 2 <= len(pages) <= 3 and cand.derivation["answer_format"] in ("Int", "Float")
                    numbers = [float(e["text"].replace(",", "")) for e in cand.evidence]
                    assert abs(float(cand.answer) - sum(numbers)) < 0.006
                if qtype == "figure_fact":
                    diagram = next(f for f in truth.facts if f.kind == "diagram" and f.page in pages
                                   and any(n[1] == cand.derivation["target"] for n in f.attrs["nodes"]))
                    label = {n[0]: n[1] for n in diagram.attrs["nodes"]}
                    pairs = {(label[a], label[b]) for a, b, _ in diagram.attrs["edges"]}
                    rel = cand.derivation["relation"]
                    asked = cand.derivation["target"]
                    assert ((asked, cand.answer) if rel == "next" else (cand.answer, asked)) in pairs
                    assert diagram.attrs["figure"] in cand.question
                if qtype == "layout_fact" and "contents" in cand.question:  # the page the heading is printed on
                    assert int(cand.answer) == cand.evidence[0]["page"] + 1 and len(pages) == 2
                seen[qtype] += 1
    assert min(seen.values()) >= 5 and len(seen) == 3, seen


def test_every_long_document_answer_carries_its_mmlongbench_format(documents):
    truth = documents["financial_report"]
    formats = {_ask(truth, q, s)[0].derivation["answer_format"] for q in ("page_locate", "page_fact",
                                                                          "cross_page_compare", "multi_hop")
               for s in range(4)}
    assert formats <= {"Int", "Float", "Str"} and "Int" in formats
    cand, verdict = _ask(truth, "unanswerable")
    assert verdict == (True, "") and cand.derivation["answer_format"] == "None"
    assert cand.derivation["evidence_sources"] == []
