"""Recipes: bundled ones load, bad ones are refused up front with the field named."""

from __future__ import annotations

import subprocess
import sys

import pytest

from omnisynth.schemas.recipe import RecipeError, bundled_recipes, load_recipe, parse_overrides


def test_every_bundled_recipe_loads(corpus):
    names = set(bundled_recipes())
    assert {"doc_qa", "doc_long_qa", "doc_grounding", "pdf_corpus_qa", "gui_grounding", "gui_pro_grounding", "gui_qa",
            "gui_actions", "html_corpus_grounding"} <= names
    paths = {"pdf_corpus_qa": corpus / "pdfs", "pdf_long_qa": corpus / "pdfs", "html_corpus_grounding": corpus / "html",
             "video_corpus_caption": corpus / "media"}
    for name in names:
        extra = [("generator.path", str(paths[name]))] if name in paths else []
        if name == "av_splice_qa":  # your footage
            extra = [("generator.footage", str(corpus / "media"))]
        recipe = load_recipe(name, extra)
        assert recipe.name == name and recipe.description


@pytest.mark.parametrize(
    "overrides, message",
    [
        ([("generator.familes", ["report"])], "generator.familes: unknown key (did you mean 'families'?)"),
        ([("outptu.samples_per_shard", 3)], "outptu: unknown key (did you mean 'output'?)"),
        ([("generator.dpi", "high")], "generator.dpi: Input should be a valid integer"),
        ([("generator.families", ["leaflet"])], "generator.families.0: Input should be"),
        ([("task.question_types", {"colour": 1})], "unknown question type 'colour' for doc_qa"),
        ([("generator.pages", [3, 1])], "generator.pages: must be [min, max]"),
        ([("num_samples", 0)], "num_samples: must be a positive integer or 'all' (got 0)"),
        ([("num_samples", "all")], "num_samples 'all' takes every unit of a corpus of your files"),
        ([("model.engine", "gpt")], "model.engine: Input should be 'oracle'"),
    ],
)
def test_bad_recipe_is_refused_naming_the_field(overrides, message):
    with pytest.raises(RecipeError) as err:
        load_recipe("doc_qa", overrides)
    assert message in str(err.value)


def test_pdf_corpus_needs_an_existing_path(tmp_path):
    with pytest.raises(RecipeError, match="generator.path: is required"):
        load_recipe("pdf_corpus_qa")
    with pytest.raises(RecipeError, match="generator.path: .* does not exist"):
        load_recipe("pdf_corpus_qa", [("generator.path", str(tmp_path / "nope"))])


def test_task_must_fit_generator(corpus):
    with pytest.raises(RecipeError, match="does not work with generator.kind 'pdf_corpus'"):
        load_recipe("pdf_corpus_qa", [("generator.path", str(corpus / "pdfs")), ("task", {"kind": "doc_qa"})])
    with pytest.raises(RecipeError, match="doc_long_qa' needs generator.pages with max >= 2"):
        load_recipe("doc_long_qa", [("generator.pages", [1, 1]), ("generator.families", ["report"])])


def test_yaml_file_recipe_and_unknown_top_level_key(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("generator: {kind: documents}\ntask: {kind: doc_qa}\nnum_sampels: 5\n")
    with pytest.raises(RecipeError, match="num_sampels: unknown key \\(did you mean 'num_samples'\\?\\)"):
        load_recipe(str(path))
    path.write_text("generator: {kind: documents, families: [invoice]}\ntask: {kind: doc_qa}\nnum_samples: 5\n")
    recipe = load_recipe(str(path))
    assert recipe.name == "mine" and recipe.generator.families == ["invoice"]


def test_overrides_parse_yaml_values_and_reject_garbage():
    assert parse_overrides(["a.b=3", "c=[1, 2]", "d=true", "e=x=y"]) == [("a.b", 3), ("c", [1, 2]), ("d", True),
                                                                          ("e", "x=y")]
    with pytest.raises(RecipeError, match="expected key.path=value"):
        parse_overrides(["novalue"])
    with pytest.raises(RecipeError, match="num_samples is not a section"):
        load_recipe("doc_qa", [("num_samples.x", 1)])


def test_config_hash_tracks_output_not_runtime():
    base = load_recipe("doc_qa")
    assert load_recipe("doc_qa", [("runtime.num_cpus", 1), ("runtime.rows_per_task", 3)]).config_hash() == base.config_hash()
    assert load_recipe("doc_qa", [("seed", 1)]).config_hash() != base.config_hash()
    assert load_recipe("doc_qa", [("generator.dpi", 100)]).config_hash() != base.config_hash()


def test_cli_refuses_bad_recipe_before_any_work(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "omnisynth", "run", "doc_qa", "--out", str(out),
                           "--set", "generator.familes=[report]"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "generator.familes: unknown key (did you mean 'families'?)" in proc.stderr
    assert not out.exists()


def test_gui_recipes_are_checked_up_front(corpus):
    from omnisynth.generators.gui.layouts import FAMILIES
    from omnisynth.generators.gui.config import GUI_FAMILIES

    assert set(GUI_FAMILIES) == set(FAMILIES)
    with pytest.raises(RecipeError, match=r"generator.viewport: unknown key \(did you mean 'viewports'\?\)"):
        load_recipe("gui_grounding", [("generator.viewport", [[800, 600]])])
    with pytest.raises(RecipeError, match="generator.path: is required"):
        load_recipe("html_corpus_grounding")
    with pytest.raises(RecipeError, match="task.kind 'gui_qa' does not work with generator.kind 'documents'"):
        load_recipe("doc_qa", [("task", {"kind": "gui_qa"})])
    with pytest.raises(RecipeError, match="viewport .* outside"):
        load_recipe("gui_qa", [("generator.viewports", [[100, 100]])])
    with pytest.raises(RecipeError, match="unknown question type 'chart_value' for gui_grounding"):
        load_recipe("gui_grounding", [("task.question_types", {"chart_value": 1})])
    assert load_recipe("html_corpus_grounding", [("generator.path", str(corpus / "html"))]).generator.kind == "html_corpus"


def test_document_family_names_match_the_layouts():
    """The recipe section lists the layout names without importing PyMuPDF; they must be the layouts' own."""
    from omnisynth.generators.documents.config import EXTRA_FAMILIES, FAMILIES
    from omnisynth.generators.documents.layouts import FAMILIES as LAYOUTS
    from omnisynth.generators.documents.layouts import HAND_FAMILIES, SCENE_FAMILIES

    assert FAMILIES + EXTRA_FAMILIES == tuple(LAYOUTS)
    assert set(HAND_FAMILIES) | set(SCENE_FAMILIES) == set(EXTRA_FAMILIES)
