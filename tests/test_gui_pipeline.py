"""GUI recipes through the real Ray pipeline: warm browser actors, shards read back, determinism."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from omnisynth.datasets.shards import iter_tar_samples
from omnisynth.datasets.verify import verify

pytestmark = pytest.mark.slow
VIEWPORTS = [(1280, 720), (1366, 768), (1440, 900), (1920, 1080)]


def shard_bytes(out):
    return [p.read_bytes() for p in sorted((out / "shards").glob("*.tar"))]


def test_gui_recipe_end_to_end_is_byte_identical_on_any_parallelism(run_recipe, tmp_path):
    common = dict(num_samples=12, output__samples_per_shard=6, generator__scales=[1.0, 1.5])
    out, summary = run_recipe("gui_grounding", tmp_path / "a", runtime__rows_per_task=2, **common)
    assert summary.kept + summary.rejected == 12 and summary.kept >= 11
    assert verify(out).errors == []
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["filters"]["gui"]["kept"] == summary.kept
    for shard in sorted((out / "shards").glob("*.tar")):
        for key, members in iter_tar_samples(shard):
            sample = json.loads(members["json"])
            image = Image.open(io.BytesIO(members["png"]))
            assert image.size == (sample["media"][0]["width"], sample["media"][0]["height"])
            assert image.size in {(round(w * s), round(h * s)) for w, h in VIEWPORTS for s in (1.0, 1.5)}
            g = sample["grounding"][0]
            assert g["role"] and 0 < g["area_fraction"] < 0.2
            assert sample["meta"]["theme"] in {"light", "dark"} and sample["meta"]["viewport"][0] >= 1280
            assert sample["provenance"]["generator"] == "gui"
    other, _ = run_recipe("gui_grounding", tmp_path / "b", runtime__rows_per_task=6, runtime__workers=1, **common)
    assert shard_bytes(out) == shard_bytes(other)


def test_gui_actions_and_qa_run_through_ray(run_recipe, tmp_path):
    for name in ("gui_actions", "gui_qa"):
        out, summary = run_recipe(name, tmp_path / name, num_samples=8, output__samples_per_shard=8,
                                  runtime__rows_per_task=4, generator__scales=[1.0])
        assert summary.kept >= 7, summary.rejected_by_reason
        assert verify(out).errors == []
