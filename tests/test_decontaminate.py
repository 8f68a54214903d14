"""Decontamination: a planted overlap with a benchmark's items (text and image) is dropped, named by
benchmark in the manifest, and everything else is kept as it was."""

from __future__ import annotations

import json

import pytest
import webdataset as wds

from omnisynth.filters.decontaminate import grams, tokens


def _samples(out):
    return {s["__key__"]: (json.loads(s["json"]), s["png"]) for s in
            wds.WebDataset(sorted(str(p) for p in (out / "shards").glob("*.tar")), shardshuffle=False)}


def test_tokens_and_grams_match_across_case_width_and_cjk():
    assert tokens("What is the TOTAL？ 合计是多少") == ("what", "is", "the", "total", "合", "计", "是", "多", "少")
    a = grams(tokens("Please read: what is the total amount due on this invoice today"), 8)
    b = grams(tokens("what is the total amount due on this invoice"), 8)
    assert a & b and not grams(tokens("an unrelated question about nothing in particular here"), 8) & a
    assert grams(tokens("Total?"), 8) == grams(tokens("total"), 8)  # a short item is matched whole


def test_a_planted_text_and_image_overlap_is_dropped_and_counted_by_benchmark(run_recipe, tmp_path, monkeypatch):
    from omnisynth.datasets.verify import verify

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    clean, summary = run_recipe("doc_qa", out=tmp_path / "clean", num_samples=12)
    assert summary.kept == 12
    samples = _samples(clean)
    keys = sorted(samples)
    text_key, image_key = keys[2], keys[7]
    q, a = samples[text_key][0]["question"], samples[text_key][0]["answer"]
    (tmp_path / "bench" / "images").mkdir(parents=True)
    (tmp_path / "bench" / "images" / "leak.png").write_bytes(samples[image_key][1])
    # OCRBench v2 records: the first wraps our question in more words (an 8-token run is shared), the
    # second holds our image; the rest neither
    records = [{"dataset_name": "x", "type": "text recognition en", "id": 0, "image_path": "nowhere.png",
                "question": f"Look at the page and answer. {q}", "answers": [a]},
               {"dataset_name": "x", "type": "text recognition en", "id": 1, "image_path": "leak.png",
                "question": "What colour is the sky in this photograph?", "answers": ["blue"]},
               *({"dataset_name": "x", "type": "cognition VQA en", "id": i, "image_path": "nowhere.png",
                  "question": f"Which planet is number {i} from the sun?", "answers": [str(i)]} for i in range(2, 40))]
    bench = tmp_path / "bench" / "ocrbench_v2.json"
    bench.write_text(json.dumps(records))
    out, summary = run_recipe("doc_qa", out=tmp_path / "decon", num_samples=12,
                              filters__decontaminate__sources=[{"benchmark": "ocrbench_v2", "path": str(bench),
                                                                "images": str(tmp_path / "bench" / "images")}])
    assert summary.kept == 10 and summary.rejected == 2
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["filters"]["decontaminate"]["dropped"] == {"text_overlap_ocrbench_v2": 1,
                                                               "image_overlap_ocrbench_v2": 1}
    kept = _samples(out)
    assert set(kept) == set(keys) - {text_key, image_key}
    assert all(kept[k][0]["answer"] == samples[k][0]["answer"] and kept[k][1] == samples[k][1] for k in kept)
    assert verify(out).errors == []
    assert list((tmp_path / "cache" / "omnisynth" / "decontam").glob("*.pkl"))  # built once, by the driver


def test_a_missing_benchmark_file_is_refused_naming_the_field(tmp_path):
    from omnisynth.schemas.recipe import RecipeError, load_recipe

    with pytest.raises(RecipeError, match=r"filters\.decontaminate\.sources\.0.*path: .*does not exist"):
        load_recipe("doc_qa", [("filters.decontaminate.sources",
                                [{"benchmark": "ocrbench_v2", "path": str(tmp_path / "nope.json")}])])


def test_gap_decontaminate_turns_it_on_for_every_part(tmp_path, capsys):
    from omnisynth.cli import main
    from omnisynth.gap.plan import load_plan

    recs = [{"dataset_name": "x", "type": t, "id": i, "image_path": f"{i}.png", "question": f"q{i} about {t}",
             "answers": ["42"], "predict": "7" if i % 3 else "42"}
            for i, t in enumerate(["table parsing en", "full-page OCR en"] * 30)]
    results = tmp_path / "ocr.json"
    results.write_text(json.dumps(recs))
    plan = tmp_path / "plan.yaml"
    assert main(["gap", "--results", str(results), "--benchmark", "ocrbench_v2", "--budget", "40", "--out", str(plan),
                 "--decontaminate", "--benchmark-images", str(tmp_path)]) == 0
    loaded, recipes = load_plan(str(plan))
    assert len(recipes) == 3
    for r in recipes:
        [source] = r.filters.decontaminate.sources
        assert (source.benchmark, source.path, source.images) == ("ocrbench_v2", str(results), str(tmp_path))


def test_a_benchmark_item_worded_like_a_template_drops_nothing_and_a_file_without_questions_is_refused(
        run_recipe, tmp_path, monkeypatch):
    from omnisynth.schemas.recipe import RecipeError

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    # items that share our templates' instructions word for word, with content of their own
    records = [{"question": "Extract these fields from the document and answer in JSON with exactly these keys: "
                            "\"Patient\", \"Ward\".", "answers": ["{\"Patient\": \"zzz\"}"], "image_path": "a.png"},
               {"question": "Convert the table in the image to HTML. Use rowspan and colspan for merged cells.",
                "answers": ["<table><tr><td>qqq</td></tr></table>"], "image_path": "b.png"}]
    bench = tmp_path / "ocr.json"
    bench.write_text(json.dumps(records))
    source = [{"benchmark": "ocrbench_v2", "path": str(bench)}]
    out, summary = run_recipe("doc_parse", out=tmp_path / "p", num_samples=16,
                              generator__families=["invoice", "table", "receipt"],
                              task__question_types={"kie": 1, "table_parsing": 1},
                              filters__decontaminate__sources=source)
    assert summary.kept == 16, summary
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"q": 1}]))
    with pytest.raises(RecipeError, match=r"filters\.decontaminate\.sources: .*bad\.json\[0\]: a ocrbench_v2 record "
                                          r"needs 'question'"):
        run_recipe("doc_qa", out=tmp_path / "q", num_samples=2,
                   filters__decontaminate__sources=[{"benchmark": "ocrbench_v2", "path": str(bad)}])
