"""The same recipe on a multi-node Ray cluster (Ray's cluster utilities, on this machine, on loopback)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.usage_recorder import UsageRecorder

pytestmark = pytest.mark.slow
SCENARIO = Path(__file__).with_name("cluster_scenario.py")
ROOT = SCENARIO.parent.parent


def scenario(out: Path, n: int, *flags: str, env: dict) -> dict:
    proc = subprocess.run([sys.executable, str(SCENARIO), str(out), str(n), *flags], capture_output=True, text=True,
                          timeout=1200, env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["returncode"] == 0, result["stderr"]
    return result


def expected(n: int) -> list[str]:
    return [f"doc_qa-s0-{i:09d}" for i in range(n)]


def shard_digests(out: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((out / "shards").glob("*.tar"))}


def test_a_loopback_cluster_joined_through_ray_address_survives_a_killed_node_with_a_local_runs_bytes(
        tmp_path, run_recipe):
    temp = tempfile.mkdtemp(prefix="rc", dir="/tmp")  # the cluster's own Ray temp dir (socket paths stay short)
    try:
        with UsageRecorder() as usage:
            # reports would go to the recorder, the first one a second after the cluster starts
            env = {**os.environ, "RAY_TMPDIR": temp, "RAY_USAGE_STATS_REPORT_URL": usage.url,
                   "RAY_USAGE_STATS_REPORT_INTERVAL_S": "1"}
            result = scenario(tmp_path / "killed", 60, "--kill", env=env)
            # a cluster not started by ray.init posts one "reporting is disabled" notice (to the recorder
            # here, which shows the recorder is wired), and no usage data
            assert usage.reports and not usage.usage_reports(), usage.reports
        session = Path(temp, "ray", "session_latest")
        assert "Usage reporting is disabled" in (session / "logs" / "dashboard.log").read_text()
        assert not (session / "usage_stats.json").exists()  # written after every report Ray makes
        # the cluster's current-cluster file is in its own temp dir, not the machine's
        assert result["address_file"][0] == str(Path(temp, "ray", "ray_current_cluster"))
        assert result["address_file"][1].startswith("127.0.0.1:")
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    assert result["listening"] and set(result["listening"]) <= {"127.0.0.1", "::ffff:127.0.0.1"}, result["listening"]
    # a worker node died while the run was going on, and the run still made every sample
    assert result["killed"].get("mid_run") is True, result["killed"]
    assert result["alive"][result["killed"]["node"]] is False
    assert result["kept"] + result["rejected"] == 60
    assert result["rejected"] == 0 and result["keys"] == expected(60)  # exactly the requested keys, once each
    writers = {node for shard in result["nodes"] for node in shard}
    assert len(writers) >= 2, writers  # more than one node rendered samples
    assert writers <= set(result["cluster_nodes"])
    # the same recipe on one local node: the same bytes, shard for shard
    local, _ = run_recipe("doc_qa", tmp_path / "local", num_samples=60, output__samples_per_shard=10,
                          runtime__rows_per_task=2, generator__dpi=60)
    assert shard_digests(tmp_path / "killed") == shard_digests(local) != {}
