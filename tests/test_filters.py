"""Oracle annotations pass every filter; each kind of wrong candidate is caught with its reason."""

from __future__ import annotations

import copy
from collections import Counter

import pytest

from omnisynth.filters.base import make_filters, run_filters
from omnisynth.pipelines.stages import AnnotateStage, FilterStage, RenderStage, run_stages_locally
from omnisynth.schemas.recipe import load_recipe
from omnisynth.schemas.truth import SampleSpec, WorkItem


def annotated(recipe_name: str, n: int, **overrides) -> list[WorkItem]:
    from omnisynth.generators import make_generator
    from omnisynth.model.engines import make_engine

    recipe = load_recipe(recipe_name, [(k.replace("__", "."), v) for k, v in overrides.items()])
    items = [WorkItem(SampleSpec(recipe.name, 0, i, 0)) for i in range(n)]
    stages = [RenderStage(make_generator(recipe)), AnnotateStage(make_engine(recipe))]
    return run_stages_locally(stages, items), recipe


@pytest.mark.parametrize("recipe_name, pages", [("doc_qa", None), ("doc_grounding", None), ("doc_long_qa", [4, 6])])
def test_oracle_samples_pass_all_filters_and_cover_every_question_type(recipe_name, pages):
    extra = {"generator__pages": pages, "generator__dpi": 72} if pages else {}
    items, recipe = annotated(recipe_name, 48, **extra)
    run_stages_locally([FilterStage(make_filters(recipe))], items)
    rejected = [(it.spec.index, it.rejection) for it in items if it.rejection]
    assert not rejected
    types = Counter(it.sample["task"].split("/")[1] for it in items)
    assert set(types) == set(recipe.task.weights()), types
    for it in items:
        assert [name for name, kept, _ in it.filter_log] == ["render", "annotate", "schema", "boxes", "ground_truth",
                                                             "quality"]


def _first(items, qtype):
    return next(it for it in items if it.sample["task"].endswith("/" + qtype))


def _shift(box, dx, dy):
    return [box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy]


def _move_grounding(g, dy):
    w, h = g["image_size"]
    g["bbox_px"] = _shift(g["bbox_px"], 0, dy)
    g["bbox_norm"] = [g["bbox_px"][0] / w, g["bbox_px"][1] / h, g["bbox_px"][2] / w, g["bbox_px"][3] / h]
    g["bbox_1000"] = [round(v * 1000) for v in g["bbox_norm"]]


def corrupt_answer(s):
    s["answer"] = s["answers"][0] = "definitely not on the page"


def corrupt_evidence_box(s):
    s["evidence"][0]["bbox_px"] = _shift(s["evidence"][0]["bbox_px"], 0, 200)


def corrupt_outside(s):
    w, h = s["grounding"][0]["image_size"]
    s["grounding"][0]["bbox_px"] = [w - 5, 10, w + 40, 30]


def corrupt_degenerate(s):
    x0, y0, _, _ = s["evidence"][0]["bbox_px"]
    s["evidence"][0]["bbox_px"] = [x0, y0, x0 + 1, y0 + 0.5]


def corrupt_norm(s):
    s["grounding"][0]["bbox_norm"][0] += 0.05


def corrupt_key(s):
    s["key"] = "has.a.dot"


def corrupt_missing_field(s):
    del s["provenance"]


CASES = [
    ("doc_qa", "key_value", corrupt_answer, "ground_truth", "answer_not_under_evidence"),
    ("doc_qa", "table_cell", corrupt_evidence_box, "ground_truth", "evidence_text_mismatch"),
    ("doc_qa", "region", corrupt_outside, "boxes", "box_outside_image"),
    ("doc_qa", "region", corrupt_degenerate, "boxes", "box_degenerate"),
    ("doc_qa", "key_value", corrupt_norm, "boxes", "box_norm_mismatch"),
    ("doc_qa", "region", corrupt_key, "schema", "schema_invalid"),
    ("doc_qa", "region", corrupt_missing_field, "schema", "schema_invalid"),
    ("doc_qa", "chart_value", lambda s: s.update(answer=str(float(s["answer"]) + 1)), "ground_truth",
     "chart_value_mismatch"),
    ("doc_qa", "chart_value", lambda s: s["evidence"][0].update(bbox_px=_shift(s["evidence"][0]["bbox_px"], 0, -40)),
     "ground_truth", "evidence_not_a_mark"),
    ("doc_grounding", "heading", lambda s: _move_grounding(s["grounding"][0], 90),
     "ground_truth", "box_misses_target"),
    ("doc_grounding", "phrase", lambda s: s.update(answer="[1, 2, 3, 4]"), "ground_truth", "answer_box_mismatch"),
]


@pytest.fixture(scope="module")
def pool():
    return {"doc_qa": annotated("doc_qa", 40)[0], "doc_grounding": annotated("doc_grounding", 24)[0]}


@pytest.mark.parametrize("recipe_name, qtype, corrupt, stage, reason", CASES)
def test_wrong_candidates_are_rejected_with_reason(pool, recipe_name, qtype, corrupt, stage, reason):
    recipe = load_recipe(recipe_name)
    item = copy.deepcopy(_first(pool[recipe_name], qtype))
    corrupt(item.sample)
    run_filters(make_filters(recipe), item)
    assert item.rejection is not None
    assert (item.rejection.stage, item.rejection.reason) == (stage, reason), item.rejection
    assert item.rejection.detail


@pytest.fixture(scope="module")
def long_pool():
    return annotated("doc_long_qa", 36, generator__pages=[4, 6], generator__dpi=72)[0]


def test_long_document_wrong_page_and_wrong_comparison_are_caught(long_pool):
    recipe = load_recipe("doc_long_qa")
    page_q = copy.deepcopy(_first(long_pool, "page_locate"))
    page_q.sample["answer"] = str(int(page_q.sample["answer"]) + 1)
    run_filters(make_filters(recipe), page_q)
    assert page_q.rejection.reason == "page_mismatch"
    cmp_q = copy.deepcopy(_first(long_pool, "cross_page_compare"))
    labels = cmp_q.sample["derivation"]["labels"]
    loser = labels[1] if cmp_q.sample["answer"] == labels[0] else labels[0]
    cmp_q.sample["answer"] = loser
    run_filters(make_filters(recipe), cmp_q)
    assert cmp_q.rejection.reason == "argmax_mismatch"


def test_questions_name_what_the_answer_depends_on(pool, long_pool):
    kv = _first(pool["doc_qa"], "key_value").sample
    assert kv["answer"] in kv["evidence"][0]["text"]
    cmp = _first(long_pool, "cross_page_compare").sample
    pages = sorted(e["page"] for e in cmp["evidence"])
    assert len(set(pages)) == 2 and all(f"{p + 1}" in cmp["question"] for p in pages)
    images = [p["image"] for p in cmp["messages"][0]["content"] if p["type"] == "image"]
    assert images == [m["member"] for m in cmp["media"]] and len(images) >= 2


def _present_field(s, item):
    """A negative sample whose asked field is in fact on the page (the form's first field)."""
    present = next(f.attrs["key"] for f in item.truth.facts if f.kind == "kv")
    s["derivation"]["target"] = present


def _cite_a_field(s, item):
    """A negative sample that cites real evidence (a field that is on the page)."""
    f = next(f for f in item.truth.facts if f.kind == "kv")
    s["evidence"].append({"kind": "text", "page": f.page, "image": s["media"][0]["member"],
                          "bbox_px": [float(v) for v in f.bbox], "quad_px": f.corners, "text": f.text, "value": ""})


@pytest.mark.parametrize("language", ["en", "zh"])
def test_unanswerable_samples_ask_for_an_absent_field_and_wrong_ones_are_caught(language):
    from omnisynth.generators.textlayer import document_text, squash

    items, recipe = annotated("doc_qa", 12, task__question_types={"unanswerable": 1},
                              generator__families=["form", "invoice", "chart"], generator__languages={language: 1})
    run_stages_locally([FilterStage(make_filters(recipe))], items)
    assert not [(it.spec.index, it.rejection) for it in items if it.rejection]
    refusal = "Not answerable" if language == "en" else "无法回答"
    for it in items:
        s = it.sample
        assert s["task"].endswith("/unanswerable") and s["answer"] == refusal and s["answers"] == [refusal]
        assert s["evidence"] == [] and s["grounding"] == [] and s["derivation"]["op"] == "absent"
        assert s["derivation"]["target"] in s["question"]
        assert squash(s["derivation"]["target"]) not in document_text(it.truth)  # truly not in the document
    form = next(it for it in items if any(f.kind == "kv" for f in it.truth.facts))
    for corrupt, reason in ((lambda s, it: s.update(answer="42"), "refusal_mismatch"),
                            (_present_field, "absent_target_present"),
                            (_cite_a_field, "absent_with_evidence")):
        item = copy.deepcopy(form)
        item.filter_log, item.rejection = [], None
        corrupt(item.sample, item)
        run_filters(make_filters(recipe), item)
        assert item.rejection is not None and item.rejection.reason == reason, item.rejection
