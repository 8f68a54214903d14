"""The family registry: a family added the new way is one module + one recipe, and the package
refuses kinds nobody registered.

The `tally` family below lives in this file alone (no edit of the package): its config
model, its generator (red and blue dots drawn with Pillow), its ground-truth question writer
("How many red dots are there?") and its filter (the answer recounted from the decoded
pixels). Ray workers import this module to unpickle its config (tests/ is on their path,
conftest.py), which registers the family there too.
"""

from __future__ import annotations

import io
import json
import random
from typing import Literal

import numpy as np
import pytest
from PIL import Image, ImageDraw
from pydantic import Field

from omnisynth.families import Family, TaskKind, UnknownFamily, family, families, register, task_kind
from omnisynth.filters.base import KEEP, Filter
from omnisynth.generators import Generator
from omnisynth.schemas.base import GeneratorConfig
from omnisynth.schemas.recipe import RecipeError, load_recipe
from omnisynth.schemas.truth import Fact, GroundTruth, PageTruth
from omnisynth.tasks.documents import Candidate, Unsupported, grounding

RED, BLUE = (220, 30, 30), (30, 60, 220)
DOT = 14  # dot box in pixels


def _dot_area() -> int:
    """Red pixels one drawn dot has (Pillow's ellipse covers its box's edges too)."""
    im = Image.new("RGB", (DOT * 2, DOT * 2), "white")
    ImageDraw.Draw(im).ellipse((2, 2, 2 + DOT, 2 + DOT), fill=RED)
    return int(_red(im).sum())


def _red(im: Image.Image) -> np.ndarray:
    return np.abs(np.asarray(im.convert("RGB")).astype(int) - RED).sum(axis=2) < 60


class TallyConfig(GeneratorConfig):
    kind: Literal["tally"] = "tally"
    size: tuple[int, int] = Field(default=(320, 240), description="[width, height] of the image in pixels")
    dots: tuple[int, int] = Field(default=(1, 9), description="[min, max] red dots")


class TallyGenerator(Generator):
    name = "tally"

    def __init__(self, config: TallyConfig, task):
        self.config, self.task = config, task

    def source(self, spec) -> dict:
        return {"generator": self.name, "seed": spec.seed, "index": spec.index}

    def render(self, spec):
        rng = spec.rng("tally")
        w, h = self.config.size
        cells = [(x, y) for x in range(10, w - DOT - 10, DOT * 2) for y in range(10, h - DOT - 10, DOT * 2)]
        rng.shuffle(cells)
        n_red = rng.randint(*self.config.dots)
        im = Image.new("RGB", (w, h), "white")
        draw = ImageDraw.Draw(im)
        facts = []
        for i, (x, y) in enumerate(cells[:n_red + rng.randint(0, 6)]):
            colour = "red" if i < n_red else "blue"
            draw.ellipse((x, y, x + DOT, y + DOT), fill=RED if colour == "red" else BLUE)
            facts.append(Fact("dot", 0, (float(x), float(y), float(x + DOT), float(y + DOT)), colour,
                              {"id": f"d{i}"}))
        buf = io.BytesIO()
        im.save(buf, "PNG")
        page = PageTruth(0, "png", w, h, chars=[], words=[], lines=[], contrast=200.0)
        truth = GroundTruth("tally", "dots", "und", [page], facts, meta={"generator_version": "tally 1"})
        return {"png": buf.getvalue()}, truth


def write_question(task_kind: str, weights: dict, truth: GroundTruth, rng: random.Random) -> Candidate:
    red = [f for f in truth.facts if f.text == "red"]
    if not red:
        raise Unsupported("no red dot")
    page = truth.pages[0]
    return Candidate("count", "How many red dots are there?", str(len(red)), evidence=[],
                     grounding=[grounding("red dot", page, f.bbox, role="shape") for f in red],
                     derivation={"op": "extract", "labels": [f.attrs["id"] for f in red], "target": "red dot"})


def writer(recipe):
    return "tally-v1", write_question


class RecountFilter(Filter):
    """The answer against the pixels: the red area of the decoded image holds exactly that many dots,
    and every grounding box is on red."""

    name = "recount"

    def check(self, item):
        red = _red(Image.open(io.BytesIO(item.media["png"])))
        dots = round(red.sum() / _dot_area())
        if str(dots) != item.sample["answer"]:
            return False, "count_mismatch", f"{dots} red dots in the image, answer {item.sample['answer']!r}"
        for g in item.sample["grounding"]:
            x, y = (int(v) for v in g["point_px"])
            if not red[y, x]:
                return False, "box_off_dot", f"grounding point {x},{y} is not on a red dot"
        return KEEP


def make_generator(recipe, catalog=None):
    return TallyGenerator(recipe.generator, recipe.task)


TALLY = register(Family(
    kind="tally", config=TallyConfig, generator=TallyGenerator,  # built with Generator.from_recipe
    tasks=(TaskKind("tally_qa", ("count",), model=False),), writer=writer, filters=lambda recipe, generator: [RecountFilter()], module=__name__))

RECIPE = """\
name: tally_qa
description: "Count the red dots"
num_samples: 12
seed: 3
generator:
  kind: tally
  dots: [2, 7]
task:
  kind: tally_qa
output:
  samples_per_shard: 5
"""


def test_a_family_registered_from_one_module_runs_end_to_end_to_shards(run_recipe, tmp_path):
    from omnisynth.datasets.shards import iter_tar_samples

    path = tmp_path / "tally_qa.yaml"
    path.write_text(RECIPE)
    out, summary = run_recipe(str(path))
    assert summary.kept == 12 and summary.rejected == 0 and summary.shards == 3
    seen = 0
    for shard in sorted((out / "shards").glob("*.tar")):
        for _key, members in iter_tar_samples(shard):
            sample = json.loads(members["json"])
            assert sample["task"] == "tally_qa/count" and sample["provenance"]["prompt_hash"] == "tally-v1"
            red = _red(Image.open(io.BytesIO(members["png"])))
            assert red.sum() == _dot_area() * int(sample["answer"])  # exactly that many dots' worth of red
            assert len(sample["grounding"]) == int(sample["answer"])
            assert all(red[int(g["point_px"][1]), int(g["point_px"][0])] for g in sample["grounding"])
            assert 2 <= int(sample["answer"]) <= 7
            seen += 1
    assert seen == 12
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kept"] == 12 and manifest["filters"]["recount"]["kept"] == 12
    assert manifest["model"]["prompt_hash"] == "tally-v1"


def test_the_family_filter_rejects_a_wrong_count(tmp_path):
    from omnisynth.generators import make_generator as build

    from omnisynth.filters.base import make_filters, run_filters
    from omnisynth.model.engines import make_engine
    from omnisynth.schemas.truth import SampleSpec, WorkItem

    path = tmp_path / "tally_qa.yaml"
    path.write_text(RECIPE)
    recipe = load_recipe(str(path))
    gen = build(recipe)  # the family names the class: built with from_recipe
    assert isinstance(gen, TallyGenerator) and gen.config.dots == (2, 7)
    item = WorkItem(SampleSpec(recipe.name, recipe.seed, 0, 0))
    item.media, item.truth = gen.render(item.spec)
    engine = make_engine(recipe)
    engine.annotate([item])
    filters = make_filters(recipe, gen)
    assert [f.name for f in filters] == ["schema", "boxes", "recount", "quality"]
    good = WorkItem(item.spec, media=item.media, truth=item.truth, sample=dict(item.sample))
    run_filters(filters, good)
    assert good.rejection is None
    item.sample["answer"] = str(int(item.sample["answer"]) + 1)
    run_filters(filters, item)
    assert item.rejection is not None and item.rejection.reason == "count_mismatch"


def test_the_registry_derives_task_kinds_and_refuses_unknown_kinds_up_front(tmp_path):
    assert {"documents", "pdf_corpus", "gui", "html_corpus", "av", "video_corpus", "tally"} <= set(families())
    assert task_kind("doc_long_qa")[0].kind == "documents" and task_kind("tally_qa")[0] is TALLY
    with pytest.raises(UnknownFamily, match="unknown generator kind 'chart'; registered: av, documents"):
        family("chart")
    path = tmp_path / "bad.yaml"
    path.write_text(RECIPE.replace("kind: tally\n", "kind: chart\n"))
    with pytest.raises(RecipeError, match=r"generator: unknown generator kind 'chart'; registered: .*tally"):
        load_recipe(str(path))
    path.write_text(RECIPE.replace("kind: tally_qa", "kind: tally_sum"))
    with pytest.raises(RecipeError, match=r"task.kind: unknown task kind 'tally_sum'; registered: .*tally_qa"):
        load_recipe(str(path))
    path.write_text(RECIPE.replace("  dots: [2, 7]", "  dotz: [2, 7]"))
    with pytest.raises(RecipeError, match=r"generator.dotz: unknown key \(did you mean 'dots'\?\); allowed keys: dots, "
                                          r"kind, size"):
        load_recipe(str(path))
    with pytest.raises(RecipeError, match="model.engine 'openai': a model cannot write task.kind 'tally_qa'"):
        load_recipe(_write(tmp_path, RECIPE), [
            ("model.engine", "openai"), ("model.base_url", "http://127.0.0.1:9/v1"), ("model.name", "m")])


def _write(tmp_path, text: str) -> str:
    path = tmp_path / "ok.yaml"
    path.write_text(text)
    return str(path)


def test_a_kind_or_task_kind_cannot_be_registered_twice():
    with pytest.raises(ValueError, match="generator kind 'tally' is already registered"):
        register(Family(kind="tally", config=TallyConfig, generator=make_generator, tasks=(), writer=writer,
                        filters=lambda recipe, generator: []))
    with pytest.raises(ValueError, match="task kind 'doc_qa' is already registered by generator kind 'documents'"):
        register(Family(kind="tally2", config=TallyConfig, generator=make_generator,
                        tasks=(TaskKind("doc_qa", ("x",)),), writer=writer, filters=lambda recipe, generator: []))
    assert register(TALLY) is TALLY  # the same record again: a no-op (a module imported twice)


def test_energon_mapping_follows_the_family():
    from omnisynth.datasets.energon import dataset_definition

    assert dataset_definition({"generator": {"kind": "tally"}})["sample_type"]["__class__"] == "VQASample"
    assert dataset_definition({"generator": {"kind": "av"}})["__class__"] == "CrudeWebdataset"
    assert dataset_definition({"generator": {"kind": "documents", "pages": [1, 3]}})["__class__"] == "CrudeWebdataset"
    assert "sample_type" in dataset_definition({"generator": {"kind": "documents", "pages": [1, 1]}})


def test_an_installed_package_adds_its_family_through_the_entry_point(tmp_path, monkeypatch):
    """A package installed with `[project.entry-points."omnisynth.families"]` is found by kind, no import needed."""
    import omnisynth.families as registry

    (tmp_path / "dotfam_plugin.py").write_text(
        "from omnisynth.families import Family, TaskKind, register\n"
        "from test_families import TallyConfig, make_generator, writer\n"
        "class PluginConfig(TallyConfig):\n"
        "    kind: str = 'plugin_tally'\n"
        "register(Family(kind='plugin_tally', config=PluginConfig, generator=make_generator, writer=writer,\n"
        "                tasks=(TaskKind('plugin_tally_qa', ('count',), model=False),), filters=lambda r, g: []))\n")
    dist = tmp_path / "dotfam_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: dotfam-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[omnisynth.families]\nplugin_tally = dotfam_plugin\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry, "_loaded", False)  # as in a fresh process: bundled and installed load on first use
    assert registry.family("plugin_tally").kind == "plugin_tally"
    assert registry.task_kind("plugin_tally_qa")[0].kind == "plugin_tally"


class TallyModelConfig(TallyConfig):
    kind: Literal["tally_m"] = "tally_m"


class TallyModelTask:
    """The model side of a family outside the package: only its template name matters here."""

    name = "tally_count.v1"

    def __init__(self, recipe):
        self.recipe = recipe


def test_a_family_brings_its_prompt_templates_in_its_own_folder(tmp_path):
    """Model engines read the family's prompt file from the folder it registers (no file added to the package)."""
    import hashlib

    from omnisynth.model.engines import prompt_hash
    from omnisynth.model.model_tasks import template, templates_hash

    prompts = tmp_path / "prompts"
    prompts.mkdir()
    (prompts / "tally_count.v1.txt").write_text("How many red dots are in this image? Answer with a number.\n")
    register(Family(kind="tally_m", config=TallyModelConfig, generator=make_generator, writer=writer,
                    tasks=(TaskKind("tally_m_qa", ("count",)),), filters=lambda recipe, generator: [],
                    model_task=TallyModelTask, prompts=str(prompts), module=__name__))
    text, digest = template("tally_count.v1")
    assert text.startswith("How many red dots") and digest == hashlib.sha256(text.encode()).hexdigest()[:16]
    recipe = load_recipe(_write(tmp_path, RECIPE.replace("kind: tally\n", "kind: tally_m\n")
                                .replace("kind: tally_qa", "kind: tally_m_qa")),
                         [("model.engine", "openai"), ("model.base_url", "http://127.0.0.1:9/v1"), ("model.name", "m")])
    assert prompt_hash(recipe) == templates_hash(["tally_count.v1"])
    with pytest.raises(FileNotFoundError, match="prompt template missing.v1.txt is in none of .*prompts"):
        template("missing.v1")


def test_omnisynth_list_families_shows_bundled_and_registered_ones(capsys):
    from omnisynth.cli import main

    assert main(["list", "--families"]) == 0
    out = capsys.readouterr().out
    assert "documents  (omnisynth.generators.documents.family)" in out
    assert ("  doc_long_qa: page_locate, page_fact, cross_page_compare, layout_fact, figure_fact, multi_hop, "
            "unanswerable") in out
    assert "  doc_parse: full_page_ocr, doc_parsing, formula_recognition" in out and "[oracle only]" in out
    assert "  gui_actions: click, type, select, scroll  [oracle only]" in out
    assert f"tally  ({__name__})" in out and "  tally_qa: count  [oracle only]" in out


class BrokenConfig(TallyConfig):
    kind: Literal["tally_broken"] = "tally_broken"


class BrokenGenerator(TallyGenerator):
    def render(self, spec):
        raise AttributeError("'Recipe' object has no attribute 'size'")  # as a family's own bug does


def test_a_run_whose_every_sample_hits_a_code_error_fails(ray_session, tmp_path, capsys):
    """Quarantining a generator's exception keeps one bad sample from ending a run; when it is every sample,
    the command says so and exits 1 instead of reporting an empty success."""
    from omnisynth.cli import main

    register(Family(kind="tally_broken", config=BrokenConfig, generator=BrokenGenerator, writer=writer,
                    tasks=(TaskKind("tally_broken_qa", ("count",), model=False),),
                    filters=lambda recipe, generator: [], module=__name__))
    path = _write(tmp_path, RECIPE.replace("kind: tally\n", "kind: tally_broken\n").replace("kind: tally_qa", "kind: tally_broken_qa"))
    assert main(["run", path, "--out", str(tmp_path / "out"), "--num-samples", "4"]) == 1
    err = capsys.readouterr().err
    assert "every sample failed with a code error (render/render_error)" in err and "quarantine" in err
    rows = [json.loads(line) for f in sorted((tmp_path / "out" / "quarantine").glob("*.jsonl"))
            for line in f.read_text().splitlines()]
    assert len(rows) == 4 and all("has no attribute 'size'" in r["detail"] for r in rows)
