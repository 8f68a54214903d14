"""doc_parse: OCRBench v2's parsing and extraction tasks, each answer exactly the page's ground truth
in the benchmark's format, re-derived by the filter, and scored as the benchmark scores it."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from omnisynth.filters.verify import GroundTruthFilter
from omnisynth.generators.documents.config import DocumentGenerator as DocConfig
from omnisynth.generators.documents.generator import DocumentGenerator
from omnisynth.generators.textlayer import CharIndex, squash
from omnisynth.metrics import chart_html, kie_f1, ned_similarity, parse_json, spotting_f1, table_grid, teds
from omnisynth.schemas.recipe import TaskConfig
from omnisynth.schemas.truth import SampleSpec, WorkItem
from omnisynth.tasks.documents import Unsupported, oracle_candidate
from omnisynth.tasks.parsing import DOC_CLASSES, PARSE_TYPES
from omnisynth.train.evaluate import score


def samples(qtype: str, families: list[str], n: int = 3, language: str = "en"):
    """(candidate, item) for the first n documents of these families that carry the question type
    (a document that cannot is skipped; if none of 4n can, their Unsupported is raised)."""
    gen = DocumentGenerator(DocConfig(families=families, languages={language: 1.0}, dpi=72),
                            TaskConfig(kind="doc_parse", question_types={qtype: 1}))
    out = []
    for index in range(4 * n):
        if len(out) == n:
            break
        spec = SampleSpec("t", 0, index, 0)
        media, truth = gen.render(spec)
        try:
            cand = oracle_candidate("doc_parse", {qtype: 1}, truth, spec.rng("q"))
        except Unsupported:
            if index == 4 * n - 1 and not out:
                raise
            continue
        derivation = {"op": "", "labels": [], "target": "", "role": "", "relation": "", "anchor": "", "answer_format": "",
                      "evidence_sources": [],
                      **cand.derivation}
        sample = {"question": cand.question, "answer": cand.answer, "answers": cand.answers,
                  "evidence": cand.evidence, "grounding": cand.grounding, "derivation": derivation}
        out.append((cand, WorkItem(spec, media, truth, sample)))
    return out


def kept(item: WorkItem) -> tuple[bool, str]:
    ok, reason, *_ = GroundTruthFilter().check(item)
    return ok, reason


def tampered(item: WorkItem, answer: str) -> tuple[bool, str]:
    return kept(WorkItem(item.spec, item.media, item.truth, {**item.sample, "answer": answer}))


def page_text(truth) -> str:
    return "".join(c[4] for c in truth.pages[0].chars)


def test_a_merged_cell_tables_html_parses_back_to_the_grid_its_cells_were_drawn_in():
    for cand, item in samples("table_parsing", ["grouped_table"], n=3):
        assert kept(item) == (True, "")
        grid = table_grid(cand.answer)
        cells = [f for f in item.truth.facts if f.kind == "cell"]
        # two header rows, the group and label columns: body cell (r, c) sits at grid row r + 2, column c + 1
        for f in cells:
            assert grid[f.attrs["r"] + 2][f.attrs["c"] + 1] == f.text, f
            assert grid[f.attrs["r"] + 2][1] == f.attrs["row"] or f.attrs.get("total")
        assert grid[0][0] == grid[0][1] == grid[1][0] == grid[1][1]  # the corner header spans 2 x 2
        for g in (f for f in item.truth.facts if f.kind == "col_group"):  # a group spans its sub-columns
            assert grid[0].count(g.text) == g.attrs["span"]
        groups = [f for f in item.truth.facts if f.kind == "row_group"]
        assert [sum(1 for row in grid if row[0] == g.text) for g in groups] == [g.attrs["span"] for g in groups]
        assert 'rowspan="2" colspan="2"' in cand.answer
        text = squash(page_text(item.truth))
        assert all(squash(t) in text for row in grid for t in row)
        # a cell moved to the next row, or a span dropped, is not the table
        body = re.findall(r"<td>([^<]*)</td>", cand.answer)
        swapped = cand.answer.replace(f"<td>{body[-1]}</td>", "<td>0</td>", 1) if body[-1] != "0" else ""
        assert tampered(item, swapped)[1] == "table_structure_mismatch"
        assert tampered(item, cand.answer.replace('rowspan="2" ', "", 1))[1] == "table_structure_mismatch"


def test_plain_tables_keep_their_header_and_every_cell_under_its_column():
    for cand, item in samples("table_parsing", ["invoice", "table", "payslip", "statement"], n=4):
        assert kept(item) == (True, "")
        grid = table_grid(cand.answer)
        tables = {f.attrs["table"]: f for f in item.truth.facts if f.kind == "table"}
        which = int(cand.derivation["target"])
        for f in (f for f in item.truth.facts if f.kind == "cell" and f.attrs["table"] == which):
            assert grid[f.attrs["r"] + 1][f.attrs["c"]] == f.text
            assert grid[0][f.attrs["c"]] == f.attrs["col"]
        assert len(grid) == len(tables[which].attrs["grid"])
        assert cand.answer.startswith("<table><tr><th>")


def test_a_charts_json_is_the_data_the_chart_was_drawn_from():
    seen = set()
    for cand, item in samples("chart_parsing", ["plot", "chart", "slide"], n=6):
        # every value is printed on the page: the table can be read off the image exactly
        text = squash(page_text(item.truth))
        assert all(squash(f"{v:g}") in text for row in json.loads(cand.answer).values() for v in row.values())
        assert kept(item) == (True, "")
        got = json.loads(cand.answer)
        title = cand.derivation["target"]
        data = [f for f in item.truth.facts if f.kind == "chart_data" and f.text == title]
        if data:  # a Matplotlib chart: its own data table, as plotted
            d = data[0].attrs["data"]
            assert got == {s: dict(zip(d["categories"], v, strict=True)) for s, v in d["series"].items()}
        marks = [f for f in item.truth.facts if f.kind == "chart_mark" and f.attrs["chart_title"] == title]
        assert sum(len(v) for v in got.values()) == len(marks)
        seen.add(item.truth.family)
        name, row = next(iter(got.items()))
        first = next(iter(row))
        wrong = {**got, name: {**row, first: row[first] + 1}}
        assert tampered(item, json.dumps(wrong))[1] == "chart_table_mismatch"
    assert len(seen) >= 2


def test_kie_json_holds_every_field_as_printed():
    for cand, item in samples("kie", ["invoice", "receipt", "form", "payslip"], n=4):
        assert kept(item) == (True, "")
        got = json.loads(cand.answer)
        fields = {f.attrs["key"]: f.text for f in item.truth.facts if f.kind == "kv" and f.page == 0}
        assert got == fields and len(got) >= 2
        index = CharIndex(item.truth.pages[0])
        for f in (f for f in item.truth.facts if f.kind == "kv"):
            assert squash(f.text) in squash(index.text_in(f.bbox, pad=1.0))
        key = next(iter(got))
        assert tampered(item, json.dumps({**got, key: got[key] + "1"}))[1] == "kie_mismatch"
        assert kie_f1(cand.answer, got) == 1.0


def test_math_qa_recomputes_from_the_printed_numbers():
    for cand, item in samples("math_qa", ["table", "invoice", "grouped_table", "statement"], n=6):
        assert kept(item) == (True, "")
        values = [float(ev["text"].replace(",", "")) for ev in cand.evidence]
        relation = cand.derivation["relation"]
        want = {"sum": sum(values), "difference": values[0] - values[-1],
                "average": sum(values) / len(values)}[relation]
        assert abs(float(cand.answer) - want) < 0.006
        assert cand.derivation["target"].endswith(f"= {cand.answer}")
        assert tampered(item, str(round(want + 1, 2)))[1] == "arithmetic_mismatch"


def test_text_counting_matches_an_independent_count_of_the_page():
    for cand, item in samples("text_counting", ["paper", "report", "invoice"], n=4):
        assert kept(item) == (True, "")
        word = cand.derivation["target"]
        text = "\n".join(t for _, t in item.truth.pages[0].lines).casefold()  # lines: a break is a word break
        n = len(re.findall(rf"(?<![^\W\d_]){re.escape(word)}(?![^\W\d_])", text))
        assert cand.answer == str(n) and n >= 1
        assert tampered(item, str(n + 1))[1] == "count_mismatch"


def test_full_page_ocr_is_the_text_layer_line_by_line():
    for cand, item in samples("full_page_ocr", ["paper", "newspaper", "receipt"], n=3):
        assert kept(item) == (True, "")
        lines = cand.answer.split("\n")
        assert lines == [t for _, t in item.truth.pages[0].lines if t.strip()]
        assert squash(cand.answer) == squash(page_text(item.truth))
        assert tampered(item, "\n".join(lines[1:] + lines[:1]))[1] == "transcript_mismatch"  # out of order
        assert tampered(item, cand.answer[:-10])[1] == "transcript_mismatch"
        assert tampered(item, " ".join(lines[:2]) + "\n" + "\n".join(lines[2:]))[1] == "transcript_lines"
        assert ned_similarity(cand.answer, cand.answer) == 1.0


def test_doc_parsing_writes_the_page_as_markdown_in_reading_order():
    for cand, item in samples("doc_parsing", ["report", "paper", "grouped_table", "newspaper"], n=4):
        assert kept(item) == (True, "")
        md, facts = cand.answer, item.truth.facts
        blocks = md.split("\n\n")
        title = next(f for f in facts if f.kind == "title")
        assert blocks[0] == "# " + title.text
        headings = [f.text for f in facts if f.kind == "heading"]
        assert [b[3:] for b in blocks if b.startswith("## ")] == headings  # every heading, in drawing order
        # a paragraph's wrapped lines come back as one block, in order
        paragraphs: list[list[str]] = []
        for f in (f for f in facts if f.kind == "line" and f.attrs.get("section")):
            if f.attrs["line_no"] == 1:
                paragraphs.append([])
            paragraphs[-1].append(f.text)
        assert paragraphs
        for lines in paragraphs:
            assert " ".join(lines) in blocks
        tables = [f for f in facts if f.kind == "table"]
        assert md.count("<table>") == len(tables)
        for t in tables:
            assert table_grid(md[md.index("<table>"):md.index("</table>") + 8]) == table_grid(
                f"<table>{''.join('<tr>' + ''.join(f'<td>{c[0]}</td>' for c in r) + '</tr>' for r in t.attrs['grid'])}"
                "</table>") or any(c[1] > 1 or c[2] > 1 for r in t.attrs["grid"] for c in r)
        # a paragraph dropped, or two blocks swapped, is not the page
        assert tampered(item, "\n\n".join(blocks[:-1]))[1] == "markdown_mismatch"
        assert tampered(item, "\n\n".join([blocks[1], blocks[0], *blocks[2:]]))[1] == "markdown_mismatch"
        assert score(item.sample, md)["reward"] == 1.0 and score(item.sample, "\n\n".join(blocks[1:]))["reward"] < 1


def test_doc_parsing_sets_a_math_pages_equations_as_latex_between_its_paragraphs():
    for cand, item in samples("doc_parsing", ["math"], n=2):
        assert kept(item) == (True, "")
        formulas = sorted((f for f in item.truth.facts if f.kind == "formula"), key=lambda f: f.attrs["number"])
        blocks = cand.answer.split("\n\n")
        at = [blocks.index(f"$$ {f.attrs['latex']} \\tag{{{f.attrs['number']}}} $$") for f in formulas]
        assert at == sorted(at) and len(formulas) >= 3  # in number order, each once
        assert all(not blocks[i - 1].startswith("$$") for i in at)  # each after the paragraph that leads to it
        assert "(1)" not in blocks  # the number is the equation's \tag, not a line of its own
        assert tampered(item, cand.answer.replace("\\tag{1}", "\\tag{9}"))[1] == "markdown_mismatch"


def test_formula_recognition_answers_the_latex_that_typesets_to_the_printed_glyphs():
    from omnisynth.generators.documents.formulas import glyphs

    seen = set()
    for cand, item in samples("formula_recognition", ["math"], n=4):
        assert kept(item) == (True, "")
        n = int(cand.derivation["target"])
        formula = next(f for f in item.truth.facts if f.kind == "formula" and f.attrs["number"] == n)
        assert cand.answer == formula.attrs["latex"] and f"({n})" in cand.question
        # the text layer inside the box holds exactly the glyphs mathtext sets for the answer
        printed = CharIndex(item.truth.pages[0]).text_in(formula.bbox, pad=1.0)
        assert Counter(squash(printed)) == Counter(squash(glyphs(cand.answer))) and printed
        number = next(f for f in item.truth.facts if f.kind == "equation_number" and f.attrs["number"] == n)
        assert number.text == f"({n})" and number.bbox[0] > formula.bbox[2]  # at the right margin
        seen.add(cand.answer.split("=")[0][:6])
        assert tampered(item, cand.answer + " + 1")[1] == "latex_glyphs_mismatch"
        assert tampered(item, cand.answer + " {")[1] == "latex_unparsable"
        sup = re.search(r"(?<=[A-Za-z)])\^\{2\}", cand.answer)  # a superscript on a letter or bracket
        if sup:  # the same glyphs lower down are another formula; ^2 for ^{2} is the same one
            lowered = cand.answer[:sup.start()] + "_{2}" + cand.answer[sup.end():]
            assert tampered(item, lowered)[1] == "latex_layout_mismatch"
            assert tampered(item, cand.answer.replace("^{2}", "^2"))[0]
            seen.add("sup")
    assert len(seen) >= 3 and "sup" in seen


def test_diagram_qa_answers_from_the_graph_dot_drew():
    seen = Counter()
    for cand, item in samples("diagram_qa", ["diagram"], n=40):
        assert kept(item) == (True, "")
        diagram = next(f for f in item.truth.facts if f.kind == "diagram")
        label = {n[0]: n[1] for n in diagram.attrs["nodes"]}
        node = next(k for k, v in label.items() if v == cand.derivation["target"])
        edges, rel = diagram.attrs["edges"], cand.derivation["relation"]
        outs = [e for e in edges if e[0] == node]
        if rel == "next":
            want = [label[e[1]] for e in outs]
        elif rel == "branch":
            want = [label[e[1]] for e in outs if e[2] == cand.derivation["labels"][0]]
        elif rel in ("previous", "manager"):
            want = [label[e[0]] for e in edges if e[1] == node]
        else:
            want = [str(len(outs))]
        assert want == [cand.answer], (rel, want, cand.answer)
        # every node's label is printed inside its box, and the nodes are the graph's
        index = CharIndex(item.truth.pages[0])
        nodes = [f for f in item.truth.facts if f.kind == "diagram_node"]
        assert sorted(f.text for f in nodes) == sorted(label.values())
        for f in nodes:
            assert squash(index.text_in(f.bbox, pad=1.0)) == squash(f.text)
        if diagram.attrs["kind"] == "flowchart":  # one start, one end, every decision a yes and a no
            decisions = [n[0] for n in diagram.attrs["nodes"] if n[2] == "diamond"]
            assert decisions and all(sorted(e[2] for e in edges if e[0] == d) in (["No", "Yes"], ["Ja", "Nein"])
                                     or item.truth.language != "en" for d in decisions)
        wrong = next(v for v in label.values() if v != cand.answer) if rel != "reports" else str(int(cand.answer) + 1)
        assert tampered(item, wrong)[1] == "graph_mismatch"
        seen[rel] += 1
    assert set(seen) == {"next", "previous", "branch", "manager", "reports"}, seen


@pytest.mark.parametrize("language", ["en", "zh", "ja"])
def test_handwritten_answers_are_read_back_from_the_students_hand(language):
    for cand, item in samples("handwritten_answer", ["answer_sheet"], n=3, language=language):
        assert kept(item) == (True, "")
        truth = item.truth
        assert truth.language == language and (truth.meta["font"] == "lxgw-wenkai") == (language != "en")
        n = int(re.search(r"\d+", cand.question).group())
        fact = next(f for f in truth.facts if f.kind == "answer" and f.attrs["n"] == n)
        assert cand.answer == fact.text
        index = CharIndex(truth.pages[0])
        assert squash(index.text_in(fact.bbox, pad=1.0)) == squash(fact.text)
        # drawn in the handwriting font, below its printed question
        spans = [s for b in _page_dict(item) for line in b.get("lines", ()) for s in line["spans"]
                 if squash(s["text"]) == squash(fact.text)]
        assert spans and all(("WenKai" in s["font"]) == (language != "en") for s in spans)
        question = [f for f in truth.facts if f.kind == "line" and f.attrs.get("section", "").endswith(str(n))
                    or f.kind == "line" and f.attrs.get("section") in (f"Question {n}", f"第{n}题", f"問{n}")]
        assert question and max(f.bbox[3] for f in question) < fact.bbox[1]
        assert "-" not in "".join(f.text for f in truth.facts if f.kind == "answer")  # folded: reads back as itself
        assert tampered(item, cand.answer + "9")[1] == "answer_not_under_evidence"


def _page_dict(item):
    import pymupdf

    from omnisynth.generators.documents.canvas import paint
    from omnisynth.generators.documents.generator import DocumentGenerator

    gen = DocumentGenerator(DocConfig(families=[item.truth.family], languages={item.truth.language: 1.0}, dpi=72),
                            TaskConfig(kind="doc_parse", question_types={"handwritten_answer": 1}))
    plan = gen.plan(item.spec)
    doc = pymupdf.open()
    page = doc.new_page(width=plan.pages[0].width, height=plan.pages[0].height)
    paint(page, plan.pages[0].ops)
    return page.get_text("dict")["blocks"]


def test_text_spotting_lists_every_word_on_its_box():
    for cand, item in samples("text_spotting", ["sign", "certificate", "slide"], n=3):
        assert kept(item) == (True, "")
        entries = json.loads(cand.answer)
        page = item.truth.pages[0]
        assert len(entries) == len(page.words) <= 120
        index = CharIndex(page)
        for x0, y0, x1, y1, text in entries:  # the 0-1000 box, scaled back, holds the word
            box = (x0 * page.width / 1000, y0 * page.height / 1000, x1 * page.width / 1000, y1 * page.height / 1000)
            assert squash(text) in squash(index.text_in(box, pad=2.0))
        assert spotting_f1(cand.answer, entries) == 1.0
        assert tampered(item, json.dumps(entries[1:]))[1] == "spotting_mismatch"


def test_document_classification_answers_the_familys_type_among_the_choices():
    for cand, item in samples("doc_classification", ["invoice", "paper", "menu", "slide"], n=4):
        assert kept(item) == (True, "")
        assert cand.answer == DOC_CLASSES[item.truth.family] and cand.answer in cand.question
        other = next(c for c in cand.derivation["labels"] if c != cand.answer)
        assert tampered(item, other)[1] == "class_mismatch"


def test_chinese_pages_parse_and_counting_is_refused_for_unspaced_text():
    for qtype in ("table_parsing", "kie", "full_page_ocr", "doc_parsing"):
        for _cand, item in samples(qtype, ["invoice"], n=2, language="zh"):
            assert kept(item) == (True, ""), qtype
    with pytest.raises(Unsupported, match="spaced scripts"):
        samples("text_counting", ["invoice"], n=1, language="zh")


def _handbook_paragraphs(locale: str, page: str) -> list[str]:
    """The test's own reading of a handbook HTML page: the text of each div.para, whitespace folded."""
    import html as htmllib

    from omnisynth.generators.handbook import HANDBOOK

    raw = (HANDBOOK / locale / page).read_text(encoding="utf-8")
    paras = re.findall(r'<div class="para">(.*?)</div>', raw, flags=re.S)
    return [" ".join(htmllib.unescape(re.sub(r"<[^>]+>", "", p)).split()) for p in paras]


@pytest.mark.parametrize("language, locales", [("en", ("en-US", "zh-CN")), ("zh", ("zh-CN", "en-US"))])
def test_text_translation_answers_the_handbook_translators_paragraph(language, locales):
    """The paragraph asked about is printed whole on the page, and the answer is the paragraph at the
    same place of the same handbook page in the other language (found here by the test's own reading of
    the HTML); another paragraph's translation, or a source not on the page, is rejected."""
    from omnisynth.generators.handbook import HANDBOOK
    from omnisynth.generators.prose import fold

    got = samples("text_translation", ["report", "paper"], n=2, language=language)
    for cand, item in got:
        assert kept(item) == (True, "")
        source = cand.derivation["target"]
        assert squash(source) in squash(page_text(item.truth))
        assert cand.derivation["labels"] == [language, "zh" if language == "en" else "en"]
        head = re.search(r"['“](.+?)['”]", cand.question).group(1)
        assert source.startswith(head)
        found = [(f.name, i) for f in sorted((HANDBOOK / locales[0]).glob("*.html"))
                 for i, p in enumerate(_handbook_paragraphs(locales[0], f.name)) if squash(fold(p, language)) == squash(source)]
        assert len(found) == 1, found
        name, i = found[0]
        assert squash(cand.answer) == squash(fold(_handbook_paragraphs(locales[1], name)[i], "zh" if language == "en" else "en"))
    (cand, item), (other, _) = got
    assert tampered(item, other.answer) == (False, "translation_mismatch")
    moved = {**item.sample, "derivation": {**item.sample["derivation"], "target": other.derivation["target"]}}
    assert kept(WorkItem(item.spec, item.media, item.truth, moved))[0] is False


def test_metrics_score_like_the_benchmark():
    html = "<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>"
    assert teds(html, html) == 1.0
    one_cell = teds(html.replace("<td>2</td>", "<td>3</td>"), html)
    assert 0.8 < one_cell < 1.0
    merged = "<table><tr><th colspan=\"2\">a</th></tr><tr><td>1</td><td>2</td></tr></table>"
    assert teds(merged, html) < one_cell
    assert teds("no table here", html) == 0.0
    assert table_grid(merged) == [["a", "a"], ["1", "2"]]
    assert table_grid("<table><tr><td rowspan=\"2\">x</td><td>1</td></tr><tr><td>2</td><td>3</td></tr></table>") is None
    assert chart_html({"s": {"x": 1.0}}) == chart_html(parse_json('{"s": {"x": 1}}'))
    assert kie_f1('{"a": "1", "b": "2"}', {"a": "1", "b": "3"}) == 0.5
    assert spotting_f1('[[0, 0, 10, 10, "a"], [50, 50, 60, 60, "b"]]', [[1, 1, 10, 10, "a"]]) == pytest.approx(2 / 3)
    assert ned_similarity("abcd", "abce") == 0.75


@pytest.mark.parametrize("qtype", PARSE_TYPES)
def test_eval_scores_the_truth_1_and_a_wrong_answer_lower(qtype):
    families = {"chart_parsing": ["chart"], "table_parsing": ["table"], "math_qa": ["table"],
                "text_spotting": ["certificate"], "kie": ["invoice"], "formula_recognition": ["math"],
                "diagram_qa": ["diagram"], "handwritten_answer": ["answer_sheet"],
                "text_translation": ["report"]}.get(qtype, ["invoice"])
    cand, item = samples(qtype, families, n=1)[0]
    sample = item.sample
    right = score(sample, cand.answer)
    # a handwritten answer is read text: ANLS, as OCRBench v2 scores that type
    assert right["kind"] == ("text" if qtype == "handwritten_answer" else "parse") and right["reward"] == 1.0
    wrong = score(sample, "1" if qtype != "text_counting" else str(int(cand.answer) + 1))
    assert wrong["reward"] < 1.0


def test_the_doc_parse_recipe_runs_on_ray_and_its_shards_hold_every_type(run_recipe):
    import webdataset as wds

    from omnisynth.datasets.verify import verify

    out, summary = run_recipe("doc_parse", num_samples=48)
    assert summary.kept == 48, summary
    report = verify(out)
    assert report.errors == [] and report.samples == summary.kept
    rows = [json.loads(s["json"]) for s in
            wds.WebDataset(sorted(str(p) for p in (out / "shards").glob("*.tar")), shardshuffle=False)]
    types = Counter(r["task"].split("/")[1] for r in rows)
    assert set(types) <= set(PARSE_TYPES) and len(types) >= 7, types  # drawn by weight: most of the ten
    for r in rows:  # the answer read back from the shard scores 1 against itself, by the benchmark's metric
        assert score(r, r["answer"])["reward"] == 1.0, r["task"]


def test_diagram_pages_without_graphviz_are_refused_up_front_naming_the_fix(monkeypatch, tmp_path):
    from omnisynth.schemas.recipe import RecipeError, load_recipe

    monkeypatch.setenv("PATH", str(tmp_path))  # no dot here
    with pytest.raises(RecipeError, match="families: diagram needs Graphviz's dot: apt-get install graphviz"):
        load_recipe("doc_qa")
    assert load_recipe("doc_qa", [("generator.families", ["report", "math"])]).generator.families == ["report", "math"]
