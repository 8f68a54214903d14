"""Shared fixtures: one real local Ray per test session, the shared corpus, recipe runs.

The environment is set here, before any test imports Ray, and every process a test starts
inherits it: no usage reporting from Ray or vLLM (omnisynth/quiet.py), their report URLs on a
loopback port where nothing listens (a cluster started by `ray start` or Ray's cluster
utilities still posts a "reporting is disabled" notice), Ray's single-machine mode (every
node address 127.0.0.1), Hugging Face offline, and no RAY_ADDRESS of the caller's.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from omnisynth.quiet import RAY_OPT_OUT, SINGLE_MACHINE, VLLM_OPT_OUT

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("OMNISYNTH_CORPUS", ROOT.parent / "shared" / "corpus"))
DEAD_LOOPBACK_URL = "http://127.0.0.1:9/"  # the discard port: nothing listens, the connection is refused

os.environ.pop("OMNISYNTH_USAGE_STATS", None)  # tests are quiet whatever the caller set
os.environ.update({**RAY_OPT_OUT, **VLLM_OPT_OUT, "RAY_USAGE_STATS_REPORT_URL": DEAD_LOOPBACK_URL,
                   "VLLM_USAGE_STATS_SERVER": DEAD_LOOPBACK_URL, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                   "HF_DATASETS_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1", "RAY_AUTH_MODE": "disabled",
                   SINGLE_MACHINE: "0"})  # every Ray a test starts (ray start, cluster utilities) takes 127.0.0.1
os.environ.pop("RAY_ADDRESS", None)


@pytest.fixture(scope="session")
def corpus() -> Path:
    assert (CORPUS / "pdfs").is_dir(), f"shared corpus not found at {CORPUS} (set OMNISYNTH_CORPUS)"
    return CORPUS


@pytest.fixture(scope="session")
def ray_session():
    """A real local Ray with 2 CPUs on 127.0.0.1, started once: the pipeline reuses it instead of starting its own.

    Its temp dir is its own (short: Ray's socket paths must stay short), so it neither reads
    nor writes the machine's current-cluster file; yields that dir (logs under session_latest/).
    """
    import ray

    from omnisynth.quiet import loopback_ray

    temp = tempfile.mkdtemp(prefix="rt", dir="/tmp")
    loopback_ray()
    # tests/ on the workers' path (they inherit this environment): a test module that registers a
    # generator family of its own (test_families.py) is imported there when its config is unpickled
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).resolve().parent),
                                                             os.environ.get("PYTHONPATH")]))
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=True, _temp_dir=temp)
    try:
        yield Path(temp)
    finally:
        ray.shutdown()
        shutil.rmtree(temp, ignore_errors=True)


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
