"""Whole-document questions over your own PDFs (pdf_corpus with unit: document, task pdf_long_qa):
which page holds a section, a line on page N, on how many pages a word appears, which section comes
first, what a caption says; each answer exact against the document the test builds, each planted
wrong answer rejected."""

from __future__ import annotations

import json
import random
import re

import pytest

from omnisynth.schemas.truth import SampleSpec

HEADER = "Riverside Water Survey 2026"  # a running header: on every page, so it locates none
# (page, heading) in page order, numbered as printed; the outline names them without numbers
SECTIONS = [(1, "1 Introduction"), (3, "2 Sampling Stations"), (5, "3 Nitrate Results"), (7, "4 Sediment Cores"),
            (9, "5 Recommendations")]
CAPTIONS = {4: "Figure 1: Nitrate levels by month at the four river stations.",
            6: "Table 1. Sediment depth and grain size per core."}
BODY = {  # page -> body lines (the word 'turbidity' on pages 2, 5 and 8, once as 'Turbidity,')
    0: ["A survey of the river basin for the regional water board."],
    1: ["The board asked for a survey of the whole basin in spring.", "We measured turbidity at every weir."],
    2: ["Forty stations were chosen along the main channel.", "Each station was visited twice a month."],
    3: ["Volunteers collected bottles from the stations every morning.", "Samples were cooled on ice."],
    4: ["Turbidity, nitrate and phosphate were measured in the lab.", "Nitrate peaked in early April."],
    5: ["The northern stations stayed below the limit all year.", "Runoff after rain raised the levels."],
    6: ["Cores were drilled at twelve points near the dam.", "Grain size was finer downstream."],
    7: ["Layers of fine silt record the floods of past decades.", "Old turbidity records agree with the cores."],
    8: ["Fence the banks where cattle reach the water.", "Plant willows along the eroded reaches."],
    9: ["Repeat the survey every second spring.", "Share the data with the farmers of the valley."],
}


def long_pdf(path, outline: bool = True, pages: int = 10):
    """A report of `pages` pages: running header, page numbers, numbered section headings in 16 pt
    bold, 11 pt body lines, two captions; the outline (bookmarks) when `outline`."""
    import pymupdf

    doc = pymupdf.open()
    heads = dict(SECTIONS)
    for n in range(pages):
        page = doc.new_page(width=595, height=842)
        page.insert_text((72, 40), HEADER, fontsize=9)
        page.insert_text((290, 810), str(n + 1), fontsize=9)
        y = 110
        if n == 0:
            page.insert_text((72, y), TITLE, fontsize=22, fontname="hebo")
            y += 60
        if n in heads:
            page.insert_text((72, y), heads[n], fontsize=16, fontname="hebo")
            y += 40
        for line in BODY[n % len(BODY)]:
            page.insert_text((72, y), line, fontsize=11)
            y += 22
        if n in CAPTIONS:
            page.draw_rect(pymupdf.Rect(72, y, 500, y + 200), color=(0, 0, 0))
            page.insert_text((72, y + 225), CAPTIONS[n], fontsize=10)
    if outline:
        doc.set_toc([[1, re.sub(r"^\d+ ", "", title), page + 1] for page, title in SECTIONS])
    doc.save(path)
    return path


TITLE = "Annual Report on River Health"


def page_lines(n: int) -> list[str]:
    """Every line the test wrote on page `n` (0-based)."""
    return [HEADER, str(n + 1), *[TITLE] * (n == 0), *[t for p, t in SECTIONS if p == n], *BODY[n],
            *[c for p, c in CAPTIONS.items() if p == n]]


def pages_with(word: str, pages: int = 10) -> list[int]:
    """The pages the test wrote `word` on (its own count, not the text layer's)."""
    return [n for n in range(pages) if any(word in re.findall(r"[a-z]+", line.lower()) for line in page_lines(n))]


@pytest.fixture(scope="module")
def documents(tmp_path_factory):
    from omnisynth.generators.corpus import take_inventory
    from omnisynth.generators.documents.config import PdfCorpusGenerator as Config
    from omnisynth.generators.documents.pdf_corpus import PdfCorpusGenerator, probe_pdf
    from omnisynth.schemas.recipe import TaskConfig

    out = {}
    for outline in (True, False):
        root = tmp_path_factory.mktemp(f"outline_{outline}")
        long_pdf(root / "report.pdf", outline)
        config = Config(path=str(root), unit="document", dpi=60, max_pages_per_file=12)
        inventory = take_inventory(str(root), lambda p, c=config: probe_pdf(c, p), 0, None, "documents")
        gen = PdfCorpusGenerator(config, TaskConfig(kind="pdf_long_qa"), inventory)
        out[outline] = gen.render(SampleSpec("t", 0, 0, 0))
    return out


def ask(truth, qtype: str, seed: int = 0, **planted):
    """(candidate, the ground-truth filter's verdict), the candidate's fields replaced by `planted`."""
    from omnisynth.filters.verify import GroundTruthFilter
    from omnisynth.schemas.truth import WorkItem
    from omnisynth.tasks.documents import oracle_candidate

    cand = oracle_candidate("pdf_long_qa", {qtype: 1}, truth, random.Random(seed))
    derivation = {"op": "", "labels": [], "target": "", **cand.derivation}
    sample = {"question": cand.question, "answer": cand.answer, "evidence": cand.evidence,
              "grounding": cand.grounding, "derivation": derivation, **planted}
    return cand, GroundTruthFilter().check(WorkItem(SampleSpec("t", 0, 0, 0), {}, truth, sample))[:2]


@pytest.mark.parametrize("outline", [True, False], ids=["outline", "type_sizes"])
def test_headings_come_from_the_outline_or_the_type_sizes_never_the_running_header(documents, outline):
    media, truth = documents[outline]
    assert list(media)[:10] == [f"p{i:03d}.png" for i in range(10)] and len(media) == 12  # 2 blank members
    assert truth.meta["pages"] == 10 and len(truth.pages) == 10
    headings = {(f.text, f.page) for f in truth.facts if f.kind == "heading"}
    expected = {(title, page) for page, title in SECTIONS}
    if not outline:  # the type sizes also find the title, set larger than the body
        expected.add((TITLE, 0))
    assert headings == expected
    captions = {f.attrs["label"]: (f.page, f.attrs["caption"]) for f in truth.facts if f.kind == "caption"}
    assert captions == {"Figure 1": (4, "Nitrate levels by month at the four river stations."),
                        "Table 1": (6, "Sediment depth and grain size per core.")}


@pytest.mark.parametrize("outline", [True, False], ids=["outline", "type_sizes"])
def test_every_whole_document_question_is_exact_and_verified(documents, outline):
    _, truth = documents[outline]
    where = {title: page for page, title in SECTIONS} | {TITLE: 0}
    seen = set()
    for seed in range(12):
        cand, verdict = ask(truth, "page_locate", seed)
        assert verdict == (True, "") and int(cand.answer) == where[cand.evidence[0]["text"]] + 1
        assert cand.evidence[0]["text"] in cand.question
        cand, verdict = ask(truth, "section_order", seed)
        a, b = cand.derivation["labels"]
        assert verdict == (True, "") and cand.answer == (a if where[a] < where[b] else b)
        cand, verdict = ask(truth, "page_count", seed)
        word = cand.derivation["target"]  # as the pages print it
        assert any(word in re.findall(r"[A-Za-z]+", line) for n in range(10) for line in page_lines(n)), word
        assert verdict == (True, "") and int(cand.answer) == len(pages_with(word.lower())) >= 2, word
        assert sorted(e["page"] for e in cand.evidence) == pages_with(word.lower())
        assert cand.derivation["answer_format"] == "Int"
        cand, verdict = ask(truth, "page_fact", seed)
        page = cand.evidence[0]["page"]
        assert verdict == (True, "") and cand.answer in page_lines(page)
        assert f"n page {page + 1}" in cand.question
        head = re.search(r"'(.+)'", cand.question).group(1)
        assert cand.answer.startswith(head) and sum(line.startswith(head) for line in page_lines(page)) == 1
        cand, verdict = ask(truth, "layout_fact", seed)
        assert verdict == (True, "") and cand.answer in {c.split(": ", 1)[-1].split(". ", 1)[-1] for c in CAPTIONS.values()}
        assert cand.derivation["evidence_sources"] == ["Generalized-text (Layout)"]
        seen.add(word)
    assert len(seen) >= 3  # the drawn words vary with the seed
    cand, verdict = ask(truth, "unanswerable")
    assert verdict == (True, "") and cand.answer == "Not answerable" and cand.derivation["answer_format"] == "None"


def test_planted_wrong_answers_are_rejected(documents):
    _, truth = documents[True]
    cand, _ = ask(truth, "page_locate")
    assert ask(truth, "page_locate", answer=str(int(cand.answer) + 1))[1][1] == "page_mismatch"
    cand, _ = ask(truth, "page_count")
    assert ask(truth, "page_count", answer=str(int(cand.answer) + 1))[1][1] == "count_mismatch"
    assert ask(truth, "page_count", evidence=cand.evidence[:-1])[1][1] == "count_mismatch"  # a page left out
    cand, _ = ask(truth, "section_order")
    other = next(label for label in cand.derivation["labels"] if label != cand.answer)
    assert ask(truth, "section_order", answer=other)[1][1] == "order_mismatch"
    cand, _ = ask(truth, "page_fact")
    assert ask(truth, "page_fact", answer=cand.answer + " twice")[1][1] == "answer_not_under_evidence"
    cand, _ = ask(truth, "unanswerable")
    present = dict(cand.derivation, target="Nitrate Results")
    assert ask(truth, "unanswerable", derivation=present)[1][1] == "absent_target_present"


@pytest.mark.slow
def test_a_folder_of_pdfs_runs_as_whole_documents(run_recipe, tmp_path):
    """Through the pipeline: each sample holds every page of one PDF (blank members after its end), a
    one-page PDF is reported once as too short, and the page-image budget lowers the dpi."""
    import pymupdf
    import webdataset as wds

    from omnisynth.datasets.verify import verify
    from omnisynth.schemas.recipe import RecipeError, load_recipe

    folder = tmp_path / "pdfs"
    folder.mkdir()
    long_pdf(folder / "survey.pdf")
    long_pdf(folder / "short_survey.pdf", outline=False, pages=6)
    one = pymupdf.open()
    one.new_page().insert_text((72, 72), "A single page holds no whole-document question.", fontsize=11)
    one.save(folder / "single.pdf")
    out, summary = run_recipe("pdf_long_qa", num_samples=8, generator__path=str(folder),
                              generator__max_pages_per_file=10, generator__max_sample_pixels=2_000_000)
    inventory = {r["file"]: r for r in map(json.loads, (out / "inventory.jsonl").read_text().splitlines())}
    assert inventory["single.pdf"]["reason"] == "pdf_too_short" and inventory["survey.pdf"]["units"] == 1
    assert summary.kept == 8, summary
    assert verify(out).errors == []
    samples = list(wds.WebDataset(sorted(str(p) for p in (out / "shards").glob("*.tar")), shardshuffle=False))
    kinds = set()
    for s in samples:
        sample = json.loads(s["json"])
        pages = 10 if sample["meta"]["source"] == "survey.pdf" else 6
        assert len(sample["media"]) == sample["meta"]["pages"] == pages
        assert {f"p{i:03d}.png" for i in range(10)} <= set(s)  # one member set for every sample
        assert sum(m["width"] * m["height"] for m in sample["media"]) <= 2_000_000
        kinds.add(sample["task"])
    assert len(kinds) >= 3, kinds
    with pytest.raises(RecipeError, match="needs generator.unit page"):
        load_recipe("pdf_corpus_qa", [("generator.path", str(folder)), ("generator.unit", "document")])
