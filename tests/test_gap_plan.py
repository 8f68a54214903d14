"""Gap plans: a category that clearly fails gets the largest share, and the run's samples show it."""

from __future__ import annotations

import json

import pytest

from omnisynth.gap.plan import PlanError, _split, load_plan, make_plan, plan_yaml
from omnisynth.gap.results import Outcome, per_category, read_results


def _ocrbench(tmp_path):
    recs = []
    for t in ("table parsing en", "chart parsing en", "key information extraction en", "text recognition en"):
        for i in range(30):
            wrong = i % 10 < 7 if t == "table parsing en" else i % 15 == 0
            recs.append({"dataset_name": "synthetic", "type": t, "id": len(recs), "image_path": f"{i}.png",
                         "question": "q", "answers": ["42"], "predict": "7" if wrong else "42"})
    path = tmp_path / "ocrbench_v2.json"
    path.write_text(json.dumps(recs))
    return path, "table parsing en"


def _mmlongbench(tmp_path):
    recs = []
    for sources, pages, failing in ((["Chart"], "[2, 4]", True), (["Table"], "[1, 3]", False),
                                    (["Table"], "[5]", False), (["Pure-text (Plain-text)"], "[2]", False)):
        for i in range(25):
            wrong = i % 4 != 0 if failing else i == 0  # 75% wrong, or 4% wrong (not weak: interval's low end ~0.7%)
            recs.append({"doc_id": f"d{i}.pdf", "doc_type": "Financial report", "question": "q", "answer": "12",
                         "evidence_pages": pages, "evidence_sources": str(sources), "answer_format": "Int",
                         "score": 0 if wrong else 1})
    for _ in range(6):
        recs.append({"doc_id": "n.pdf", "question": "q", "answer": "Not answerable", "evidence_pages": "[]",
                     "evidence_sources": "[]", "answer_format": "None", "score": 0})
    path = tmp_path / "samples.json"
    path.write_text(json.dumps(recs))
    return path, "Chart/multi"


def _screenspot(tmp_path):
    from test_gap_results import _screenspot_details

    path = tmp_path / "sspro.json"
    path.write_text(json.dumps(_screenspot_details(20)))
    return path, "CAD/icon"


def test_split_sums_exactly_and_follows_the_weights():
    assert _split(10, [1, 1, 1]) == [4, 3, 3] and sum(_split(97, [5, 3, 0.5])) == 97
    assert _split(100, [3, 1]) == [75, 25]


def test_the_budget_follows_the_gap_with_floors_and_general_data_and_figures_are_mapped(tmp_path):
    outcomes = ([Outcome(("Chart/multi",), i % 4 == 0, "x") for i in range(100)]     # 75% wrong, gap ~65
                + [Outcome(("Table/single",), i % 3 != 0, "x") for i in range(30)]   # 33% wrong, gap ~5
                + [Outcome(("Figure/single",), False, "x") for _ in range(10)]        # figures in long documents
                + [Outcome(("Pure-text (Plain-text)/single",), True, "x") for _ in range(50)])  # not weak
    plan = make_plan(per_category(outcomes), "mmlongbench_doc", 200)
    shares = {p.category: p.num_samples for p in plan.parts}
    assert sum(shares.values()) == 200 and shares["general"] == 40
    assert shares["Chart/multi"] > shares["Table/single"] >= 8  # floor: 5% of the 160 aimed samples
    assert "Pure-text (Plain-text)/single" not in shares and shares["Figure/single"] >= 8
    assert plan.unmapped == []
    text = plan_yaml(plan, 0.05, 0.05)
    assert "Chart/multi: 75/100 wrong (75%" in text
    (tmp_path / "p.yaml").write_text(text)
    loaded, recipes = load_plan(str(tmp_path / "p.yaml"))
    chart = next(r for p, r in zip(loaded.parts, recipes, strict=False) if p.category == "Chart/multi")
    assert chart.name == "gap_chart_multi" and chart.task.kind == "doc_long_qa"
    assert chart.task.question_types == {"cross_page_compare": 1} and "financial_report" in chart.generator.families


def test_a_plan_with_a_bad_part_is_refused_naming_the_part(tmp_path):
    plan = make_plan(per_category([Outcome(("table parsing en",), False, "x")] * 20), "ocrbench_v2", 20)
    broken = plan.model_copy(update={"parts": [plan.parts[0].model_copy(update={"set": {"generator.familes": ["x"]}}),
                                               *plan.parts[1:]]})
    (tmp_path / "bad.yaml").write_text(plan_yaml(broken, 0.05, 0.05))
    with pytest.raises(PlanError, match="part 'gap_table_parsing_en' .*generator.familes: unknown key"):
        load_plan(str(tmp_path / "bad.yaml"))


@pytest.mark.slow
@pytest.mark.parametrize("make", [_ocrbench, _mmlongbench, _screenspot], ids=["ocrbench_v2", "mmlongbench_doc",
                                                                              "screenspot_pro"])
def test_results_to_plan_to_run_the_failing_category_dominates_the_samples(make, tmp_path, ray_session, capsys):
    from omnisynth.cli import main
    from omnisynth.datasets.shards import iter_tar_samples

    results, failing = make(tmp_path)
    benchmark = {"ocrbench_v2.json": "ocrbench_v2", "samples.json": "mmlongbench_doc",
                 "sspro.json": "screenspot_pro"}[results.name]
    stats = per_category(read_results(results, benchmark))
    assert stats[0].category == failing
    plan_path, out = tmp_path / "plan.yaml", tmp_path / "out"
    assert main(["gap", "--results", str(results), "--benchmark", benchmark, "--budget", "20",
                 "--out", str(plan_path)]) == 0
    plan, _ = load_plan(str(plan_path))
    shares = {p.category: p.num_samples for p in plan.parts}
    assert max(shares, key=shares.get) == failing and shares["general"] == 4
    capsys.readouterr()
    assert main(["run", str(plan_path), "--out", str(out), "--set", "output.samples_per_shard=8"]) == 0
    report = json.loads((out / "gap.json").read_text())
    category_of = {p["name"]: p["category"] for p in report["parts"]}
    counted: dict[str, int] = {}
    cad_icons = []  # ScreenSpot-Pro's CAD/icon part: CAD archetypes with icon-only targets
    for part in report["parts"]:
        for tar in sorted((out / part["folder"] / "shards").glob("*.tar")):
            for key, members in iter_tar_samples(tar):
                sample = json.loads(members["json"])
                assert key.startswith(sample["provenance"]["recipe"] + "-")
                category = category_of[sample["provenance"]["recipe"]]
                counted[category] = counted.get(category, 0) + 1
                if category == "CAD/icon":
                    cad_icons.append(sample["meta"]["group"] == "CAD" and sample["derivation"]["ui_type"] == "icon")
    assert counted == report["kept_by_category"]
    others = [n for c, n in counted.items() if c != failing]
    assert counted[failing] > max(others) and counted[failing] / sum(counted.values()) >= 0.4, counted
    if benchmark == "screenspot_pro":
        assert cad_icons and sum(cad_icons) / len(cad_icons) >= 0.8, cad_icons
    again = main(["run", str(plan_path), "--out", str(out), "--set", "output.samples_per_shard=8"])  # resumes
    assert again == 0 and json.loads((out / "gap.json").read_text())["kept_by_category"] == counted


def test_negative_types_are_opt_in_and_written_by_the_oracle_only():
    from omnisynth.schemas.recipe import RecipeError, load_recipe

    assert "unanswerable" not in load_recipe("doc_qa", [("task.question_types", {})]).task.weights()
    assert "absent" not in load_recipe("gui_grounding", [("task.question_types", {})]).task.weights()
    with pytest.raises(RecipeError, match="unanswerable \\(negative samples\\) are written by the oracle"):
        load_recipe("doc_qa", [("task.question_types", {"unanswerable": 1, "key_value": 1}),
                               ("model.engine", "openai"), ("model.base_url", "http://127.0.0.1:9/v1"),
                               ("model.name", "m")])


def test_ocrbench_parts_draw_documents_in_the_language_of_the_task_type(tmp_path):
    outcomes = ([Outcome(("table parsing cn",), i % 5 == 0, "x") for i in range(40)]
                + [Outcome(("key information extraction en",), i % 2 == 0, "x") for i in range(40)])
    plan = make_plan(per_category(outcomes), "ocrbench_v2", 100)
    sets = {p.category: p.set for p in plan.parts}
    assert sets["table parsing cn"]["generator.languages"] == {"zh": 1}
    assert sets["key information extraction en"]["generator.languages"] == {"en": 1}
    (tmp_path / "p.yaml").write_text(plan_yaml(plan, 0.05, 0.05))
    _, recipes = load_plan(str(tmp_path / "p.yaml"))
    assert [r.generator.languages for r in recipes[:2]] == [{"zh": 1.0}, {"en": 1.0}]


def test_no_weak_category_spends_the_budget_on_general_data():
    outcomes = [Outcome((c,), i % 50 != 0, "x") for c in ("CAD/icon", "Dev/text") for i in range(100)]  # 2% wrong
    plan = make_plan(per_category(outcomes), "screenspot_pro", 300)
    assert [(p.category, p.recipe, p.num_samples) for p in plan.parts] == [("general", "gui_grounding", 300)]
    assert plan.unmapped == []


def test_our_eval_rows_become_a_plan_for_the_failing_question_type(tmp_path, ray_session):
    """`omnisynth eval --results` rows -> the failing task's own recipe, restricted to its question type."""
    from omnisynth.datasets.shards import iter_tar_samples
    from omnisynth.pipelines.runner import run_plan
    from omnisynth.gap.results import ResultsError

    rows = ([{"checkpoint": "03-omni_av", "task": "av_temporal_qa/order", "correct": 0.0}] * 30
            + [{"checkpoint": "03-omni_av", "task": "av_temporal_qa/order", "correct": 1.0}] * 10
            + [{"checkpoint": "03-omni_av", "task": "av_temporal_qa/count", "correct": 1.0}] * 40
            + [{"checkpoint": "03-omni_av", "task": "html_grounding/label", "correct": 0.0}] * 20)
    results = tmp_path / "preds.jsonl"
    results.write_text("".join(json.dumps(r) + "\n" for r in rows))
    stats = per_category(read_results(results, "omnisynth"))
    plan = make_plan(stats, "omnisynth", 10, base="av_temporal_qa")
    part = next(p for p in plan.parts if p.category == "av_temporal_qa/order")
    assert part.recipe == "av_temporal_qa" and part.set == {"task.question_types": {"order": 1}}
    assert [u["category"] for u in plan.unmapped] == ["html_grounding/label"]
    assert "av_temporal_qa/count" not in {p.category for p in plan.parts}
    (tmp_path / "plan.yaml").write_text(plan_yaml(plan, 0.05, 0.05))
    loaded, recipes = load_plan(str(tmp_path / "plan.yaml"))
    report = run_plan(loaded, recipes, tmp_path / "out")
    tasks = []
    for tar in sorted((tmp_path / "out" / "parts" / part.name / "shards").glob("*.tar")):
        tasks += [json.loads(m["json"])["task"] for _, m in iter_tar_samples(tar)]
    assert tasks and set(tasks) == {"av_temporal_qa/order"}
    assert report["kept_by_category"]["av_temporal_qa/order"] == len(tasks)
    # rows of several checkpoints (a whole training folder's eval) are refused, naming them
    results.write_text(results.read_text() + json.dumps({"checkpoint": "init", "task": "x/y", "correct": 0}) + "\n")
    with pytest.raises(ResultsError, match="2 checkpoints"):
        read_results(results, "omnisynth")
    results.write_text(json.dumps({"task": "a/b", "correct": 1}) + "\n")
    with pytest.raises(ResultsError, match=r"preds.jsonl:1: missing field\(s\) checkpoint"):
        read_results(results, "omnisynth")


OCRBENCH_V2_TYPES = (  # the 30 types of OCRBench v2's eval_scripts/get_score.py (FORMATS.md)
    "text recognition en", "fine-grained text recognition en", "full-page OCR en", "text grounding en",
    "VQA with position en", "text spotting en", "key information extraction en", "key information mapping en",
    "document parsing en", "chart parsing en", "table parsing en", "formula recognition en", "math QA en",
    "text counting en", "document classification en", "cognition VQA en", "diagram QA en", "reasoning VQA en",
    "science QA en", "APP agent en", "ASCII art classification en", "full-page OCR cn",
    "key information extraction cn", "handwritten answer extraction cn", "document parsing cn", "table parsing cn",
    "formula recognition cn", "cognition VQA cn", "reasoning VQA cn", "text translation cn")


def test_every_ocrbench_v2_type_maps_to_a_recipe_in_its_format_or_says_why_not(tmp_path):
    from omnisynth.gap.plan import TAXONOMY

    assert TAXONOMY.name == "taxonomy.v2.yaml" and len(set(OCRBENCH_V2_TYPES)) == 30
    outcomes = [Outcome((t,), i % 2 == 0, "x") for t in OCRBENCH_V2_TYPES for i in range(40)]
    plan = make_plan(per_category(outcomes), "ocrbench_v2", 3000)
    unmapped = {u["category"]: u["why"] for u in plan.unmapped}
    assert all(why and why != "no generator for this task type yet" for why in unmapped.values()), unmapped
    assert sorted(unmapped) == ["ASCII art classification en", "science QA en"], unmapped
    (tmp_path / "p.yaml").write_text(plan_yaml(plan, 0.05, 0.05))
    loaded, recipes = load_plan(str(tmp_path / "p.yaml"))
    kinds = {p.category: (r.task.kind, sorted(r.task.weights())) for p, r in zip(loaded.parts, recipes, strict=True)}
    # the parsing types get samples whose answers take the benchmark's format
    for t, qtype in (("table parsing en", "table_parsing"), ("table parsing cn", "table_parsing"),
                     ("chart parsing en", "chart_parsing"), ("full-page OCR cn", "full_page_ocr"),
                     ("document parsing en", "doc_parsing"), ("text spotting en", "text_spotting"),
                     ("key information extraction cn", "kie"), ("math QA en", "math_qa"),
                     ("text counting en", "text_counting"), ("document classification en", "doc_classification"),
                     ("formula recognition cn", "formula_recognition"), ("diagram QA en", "diagram_qa"),
                     ("handwritten answer extraction cn", "handwritten_answer"),
                     ("text translation cn", "text_translation")):
        assert kinds[t] == ("doc_parse", [qtype]), t
    assert kinds["APP agent en"][0] == "gui_qa" and kinds["text grounding en"][0] == "doc_grounding"
    # v1 still loads for the plans made with it
    from omnisynth.gap.plan import load_taxonomy

    assert load_taxonomy(TAXONOMY.with_name("taxonomy.v1.yaml"))["version"] == 1


@pytest.mark.slow
def test_an_mmlongbench_plan_makes_figure_layout_cross_page_and_unanswerable_samples_in_its_shares(
        tmp_path, ray_session, capsys):
    from omnisynth.cli import main
    from omnisynth.datasets.shards import iter_tar_samples

    recs = []
    for sources, pages in ((["Figure"], "[4]"), (["Generalized-text (Layout)"], "[2]"), (["Table"], "[3, 9]"),
                           (["Pure-text (Plain-text)"], "[5]")):
        for i in range(25):
            wrong = i % 5 != 0 if sources != ["Pure-text (Plain-text)"] else i == 0
            recs.append({"doc_id": f"d{i}.pdf", "doc_type": "Tutorial/Workshop", "question": "q", "answer": "3",
                         "evidence_pages": pages, "evidence_sources": str(sources), "answer_format": "Int",
                         "score": 0 if wrong else 1})
    recs += [{"doc_id": "n.pdf", "question": "q", "answer": "Not answerable", "evidence_pages": "[]",
              "evidence_sources": "[]", "answer_format": "None", "score": 0} for _ in range(25)]
    results, plan_path, out = tmp_path / "samples.json", tmp_path / "plan.yaml", tmp_path / "out"
    results.write_text(json.dumps(recs))
    assert main(["gap", "--results", str(results), "--benchmark", "mmlongbench_doc", "--budget", "20",
                 "--general-share", "0", "--out", str(plan_path)]) == 0
    plan, _ = load_plan(str(plan_path))
    shares = {p.category: p.num_samples for p in plan.parts}
    assert set(shares) == {"Figure/single", "Generalized-text (Layout)/single", "Table/multi", "unanswerable"}
    capsys.readouterr()
    assert main(["run", str(plan_path), "--out", str(out), "--set", "generator.pages=[10, 10]",
                 "--set", "generator.dpi=36", "--set", "generator.max_sample_pixels=0"]) == 0
    report = json.loads((out / "gap.json").read_text())
    category_of = {p["name"]: p["category"] for p in report["parts"]}
    made: dict[str, list[dict]] = {}
    for part in report["parts"]:
        for tar in sorted((out / part["folder"] / "shards").glob("*.tar")):
            for _, members in iter_tar_samples(tar):
                sample = json.loads(members["json"])
                made.setdefault(category_of[sample["provenance"]["recipe"]], []).append(sample)
    assert {c: len(v) for c, v in made.items()} == shares  # every planned sample kept, in its share
    assert all(s["derivation"]["evidence_sources"] == ["Figure"] for s in made["Figure/single"])
    assert all(s["derivation"]["evidence_sources"] == ["Generalized-text (Layout)"]
               for s in made["Generalized-text (Layout)/single"])
    assert all(len({e["page"] for e in s["evidence"]}) >= 2 for s in made["Table/multi"])
    assert all(s["derivation"]["answer_format"] == "None" and s["answer"] in ("Not answerable", "无法回答")
               for s in made["unanswerable"])
