"""`omnisynth estimate`: a probe run per modality, its measured costs, and their projection."""

from __future__ import annotations

import json

import pytest

from omnisynth.pipelines.estimate import estimate, format_estimate
from omnisynth.schemas.recipe import load_recipe
from tests.fault_server import FaultServer

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name, probe, sets", [
    ("doc_qa", 6, {"generator.dpi": 72}),
    ("gui_grounding", 3, {"generator.viewports": [[800, 600]], "generator.scales": [1.0]}),
    ("av_temporal_qa", 3, {"generator.duration_s": [4.0, 5.0], "generator.scenes": [1, 2]}),
])
def test_a_probe_per_modality_projects_its_measured_costs(ray_session, tmp_path, name, probe, sets):
    recipe = load_recipe(name, [("num_samples", probe), *sets.items()])
    e = estimate(recipe, 1000, tmp_path / "probe", node_cpus=16, hours=0.5)
    manifest = json.loads((tmp_path / "probe" / "manifest.json").read_text())
    assert e.probe_samples == manifest["kept"] + manifest["rejected"] == probe and e.probe_kept == manifest["kept"]
    worker_s = sum(manifest["stage_seconds"].values()) / probe
    assert "render" in e.stage_s_per_sample and worker_s > 0
    assert e.core_hours == pytest.approx(1000 * worker_s * recipe.runtime.cpus_per_task / 3600, rel=1e-3)
    assert e.output_bytes == pytest.approx(1000 * sum(s["bytes"] for s in manifest["shards"]) / probe, rel=1e-3)
    assert e.one_node_hours == pytest.approx(e.core_hours / 16 + e.fixed_s / 3600, rel=1e-2)
    assert 0 < e.fixed_s < e.probe_wall_s
    assert e.nodes == max(1, -(-e.core_hours // 8))  # 16 CPUs for half an hour: 8 core-hours a node
    assert e.gpu_hours is None and "oracle engine" in e.notes[0]
    text = format_estimate(e)
    assert "for 1000 samples" in text and "core-hours" in text and "render" in text


def test_model_tokens_give_gpu_hours(ray_session, tmp_path):
    with FaultServer(content='{"question": "What is the first word?", "answer": "zzqx", "evidence": ["p0w0"]}') as s:
        recipe = load_recipe("doc_qa", [("num_samples", 4), ("model.engine", "openai"), ("model.base_url", s.url),
                                        ("model.name", "fault-model"), ("generator.dpi", 72)])
        e = estimate(recipe, 3600, tmp_path / "probe", tokens_per_s=50.0, node_gpus=2, hours=0.25)
    assert e.tokens_per_sample == {"annotate": {"prompt": 10.0, "completion": 5.0, "calls": 1.0}}  # the server's usage
    assert e.gpu_hours == pytest.approx(3600 * 5 / 50 / 3600)  # 0.1 GPU-hours: generated tokens at 50/s
    assert "GPU-hours" in format_estimate(e) and e.nodes >= 1


def test_the_cli_prints_and_writes_the_estimate(ray_session, tmp_path, capsys):
    from omnisynth.cli import main

    assert main(["estimate", "doc_qa", "--num-samples", "500", "--probe", "4", "--set", "generator.dpi=72",
                 "--json", str(tmp_path / "e.json"), "--out", str(tmp_path / "probe")]) == 0
    printed = capsys.readouterr().out
    saved = json.loads((tmp_path / "e.json").read_text())
    assert saved["num_samples"] == 500 and saved["probe_samples"] == 4 and f"{saved['core_hours']:.3f}" in printed
    assert (tmp_path / "probe" / "manifest.json").exists()
