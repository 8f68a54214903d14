"""Shared fixtures: one real local Ray per test session, the shared corpus, recipe runs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("OMNISYNTH_CORPUS", ROOT.parent / "shared" / "corpus"))


@pytest.fixture(scope="session")
def corpus() -> Path:
    assert (CORPUS / "pdfs").is_dir(), f"shared corpus not found at {CORPUS} (set OMNISYNTH_CORPUS)"
    return CORPUS


@pytest.fixture(scope="session")
def ray_session():
    """A real local Ray with 2 CPUs, started once: the pipeline reuses it instead of starting its own."""
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=True)
    yield
    ray.shutdown()


@pytest.fixture
def run_recipe(ray_session, tmp_path):
    """Run a recipe in-process on the session's Ray; returns (output folder, summary).

    Overrides are keyword arguments with '__' for '.', e.g. output__samples_per_shard=8.
    """
    from omnisynth.pipelines.runner import run
    from omnisynth.schemas.recipe import load_recipe

    def _run(name: str, out: Path | None = None, **overrides):
        recipe = load_recipe(name, [(k.replace("__", "."), v) for k, v in overrides.items()])
        out = out or tmp_path / recipe.name
        return out, run(recipe, out)

    return _run
