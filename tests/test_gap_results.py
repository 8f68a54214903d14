"""Benchmark result readers: each benchmark's own format in, per-category errors with honest intervals out."""

from __future__ import annotations

import json

import pytest

from omnisynth.gap.results import ResultsError, anls, per_category, read_results


def _screenspot_details(n_per: int) -> dict:
    """An evaluator result log where CAD icons fail and everything else mostly passes."""
    details = []
    for group in ("CAD", "Dev", "Office"):
        for ui in ("icon", "text"):
            for i in range(n_per):
                fail = (group, ui) == ("CAD", "icon") and i % 5 != 0 or i % 10 == 3
                details.append({"img_path": f"{group}_{i}.png", "group": group, "platform": "windows",
                                "application": "autocad" if group == "CAD" else "vscode", "lang": "en",
                                "instruction_style": "instruction", "gt_type": "positive", "ui_type": ui,
                                "pred": [10, 10], "bbox": [0, 0, 20, 20], "raw_response": "",
                                "correctness": "wrong" if fail else "correct"})
    return {"metrics": {}, "details": details}


def test_screenspot_pro_result_log_ranks_the_failing_category_first(tmp_path):
    path = tmp_path / "sspro.json"
    path.write_text(json.dumps(_screenspot_details(20)))
    stats = per_category(read_results(path, "screenspot_pro"))
    assert stats[0].category == "CAD/icon" and stats[0].n == 20 and stats[0].errors == 16
    assert {s.category for s in stats} == {f"{g}/{u}" for g in ("CAD", "Dev", "Office") for u in ("icon", "text")}


def test_screenspot_pro_annotation_records_with_points_are_scored_in_the_box(tmp_path):
    recs = [{"group": "Creative", "ui_type": "icon", "bbox": [100, 100, 120, 110], "pred": [110, 105],
             "img_size": [3840, 2160]},
            {"group": "Creative", "ui_type": "icon", "bbox": [100, 100, 120, 110], "pred": [121, 105],
             "img_size": [3840, 2160]},
            {"group": "OS", "ui_type": "text", "gt_type": "negative", "correct": False}]
    path = tmp_path / "ann.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    outcomes = read_results(path, "screenspot_pro")
    assert [(o.categories, o.correct) for o in outcomes] == [(("Creative/icon",), True), (("Creative/icon",), False),
                                                             (("negative/text",), False)]
    assert outcomes[1].where.endswith("ann.jsonl:2")


def test_a_file_without_the_needed_fields_names_them_and_the_first_bad_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"group": "CAD", "ui_type": "icon", "correct": True}) + "\n"
                    + json.dumps({"group": "CAD", "instruction": "open"}) + "\n")
    with pytest.raises(ResultsError, match=r"bad\.jsonl:2: missing field\(s\) ui_type"):
        read_results(path, "screenspot_pro")
    path.write_text(json.dumps([{"group": "CAD", "ui_type": "icon"}]))
    with pytest.raises(ResultsError, match=r"bad\.jsonl\[0\]: missing field\(s\) correctness"):
        read_results(path, "screenspot_pro")
    path.write_text(json.dumps([{"question": "q", "predict": "a", "answers": ["a"]}]))
    with pytest.raises(ResultsError, match=r"\[0\]: missing field\(s\) type that the ocrbench_v2 reader needs"):
        read_results(path, "ocrbench_v2")
    path.write_text(json.dumps([{"doc_id": "a.pdf", "answer": "3", "evidence_pages": "[1]", "score": 1}]))
    with pytest.raises(ResultsError, match="missing field\\(s\\) evidence_sources"):
        read_results(path, "mmlongbench_doc")
    with pytest.raises(ResultsError, match="known benchmarks are mmlongbench_doc, ocrbench_v2, omnisynth, screenspot_pro"):
        read_results(path, "docvqa")


def test_ocrbench_v2_scores_text_boxes_and_choices_without_a_score_field(tmp_path):
    recs = [
        {"dataset_name": "x", "type": "table parsing en", "id": 1, "question": "q", "answers": ["Revenue 2024"],
         "predict": "revenue 2024"},                                   # ANLS 1.0
        {"type": "table parsing en", "answers": ["Revenue 2024"], "predict": "Costs"},  # ANLS 0
        {"type": "text grounding en", "answers": [100, 100, 300, 200], "predict": "[110, 105, 300, 200]"},  # IoU .92
        {"type": "text grounding en", "answers": [100, 100, 300, 200], "predict": "[400, 400, 500, 500]"},
        {"type": "document classification en", "answers": ["B"], "predict": "(B)", "eval": "multiple choice"},
        {"type": "text recognition en", "answers": ["iPhone"], "predict": "iphone", "eval": "case sensitive"},
        {"type": "text recognition en", "answers": ["x"], "predict": "nothing", "score": 0.9},
    ]
    path = tmp_path / "ocr.json"
    path.write_text(json.dumps(recs))
    assert [o.correct for o in read_results(path, "ocrbench_v2")] == [True, False, True, False, True, False, True]
    assert anls("receipt", "reciept") == pytest.approx(1 - 2 / 7) and anls("abc", "xyz") == 0.0


def test_mmlongbench_doc_reads_python_literal_strings_and_splits_single_multi_unanswerable(tmp_path):
    recs = [
        {"doc_id": "a.pdf", "doc_type": "Research report", "question": "q", "answer": "12",
         "evidence_pages": "[3, 5]", "evidence_sources": "['Chart', 'Table']", "answer_format": "Int", "score": 0},
        {"doc_id": "a.pdf", "answer": "x", "evidence_pages": "[2]", "evidence_sources": "['Pure-text (Plain-text)']",
         "answer_format": "Str", "score": 1.0},
        {"doc_id": "b.pdf", "answer": "Not answerable", "evidence_pages": "[]", "evidence_sources": "[]",
         "answer_format": "None", "score": 0},
    ]
    path = tmp_path / "mml.json"
    path.write_text(json.dumps(recs))
    outcomes = read_results(path, "mmlongbench_doc")
    assert [o.categories for o in outcomes] == [("Chart/multi", "Table/multi"), ("Pure-text (Plain-text)/single",),
                                                ("unanswerable",)]
    assert [o.correct for o in outcomes] == [False, True, False]


def test_a_category_with_three_samples_does_not_outrank_a_large_measured_gap():
    from omnisynth.gap.results import Outcome

    small = [Outcome(("rare",), False, "x")] * 3                   # 100% wrong, 3 samples
    large = [Outcome(("common",), i % 10 < 6, "x") for i in range(200)]  # 40% wrong, 200 samples
    stats = {s.category: s for s in per_category(small + large)}
    assert stats["rare"].error_rate == 1.0 and stats["common"].error_rate == pytest.approx(0.4)
    low_rare, high_rare = stats["rare"].interval()
    low_common, high_common = stats["common"].interval()
    assert low_rare == pytest.approx(0.438, abs=0.005) and high_rare == 1.0  # 3/3 wrong: only known to be > 0.44
    assert low_common < 0.4 < high_common and high_common - low_common < 0.14
    assert stats["rare"].confident_errors == pytest.approx(1.3, abs=0.05)
    assert stats["common"].confident_errors == pytest.approx(200 * low_common)
    assert [s.category for s in per_category(small + large)] == ["common", "rare"]


def test_the_gap_command_prints_the_table_and_refuses_a_bad_file(tmp_path, capsys):
    from omnisynth.cli import main

    path = tmp_path / "sspro.json"
    path.write_text(json.dumps(_screenspot_details(20)))
    assert main(["gap", "--results", str(path), "--benchmark", "screenspot_pro", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["category"] == "CAD/icon" and rows[0]["errors"] == 16 and rows[0]["error_rate"] == 0.8
    assert main(["gap", "--results", str(path), "--benchmark", "screenspot_pro"]) == 0
    assert capsys.readouterr().out.splitlines()[1].startswith("CAD/icon")
    path.write_text('{"group": "CAD"}\n')
    assert main(["gap", "--results", str(path), "--benchmark", "screenspot_pro"]) == 2
    assert "sspro.json:1: missing field(s) ui_type" in capsys.readouterr().err
