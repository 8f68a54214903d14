"""The same recipe on a multi-node Ray cluster (Ray's cluster utilities, on this machine)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
SCENARIO = Path(__file__).with_name("cluster_scenario.py")


def scenario(out: Path, n: int, *flags: str) -> dict:
    proc = subprocess.run([sys.executable, str(SCENARIO), str(out), str(n), *flags], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def expected(n: int) -> list[str]:
    return [f"doc_qa-s0-{i:09d}" for i in range(n)]


def test_samples_come_from_several_nodes_and_a_killed_node_loses_nothing(tmp_path):
    result = scenario(tmp_path / "killed", 60, "--kill")
    assert result["killed"], "the worker node was not killed"
    assert result["kept"] + result["rejected"] == 60
    assert sorted(result["keys"]) == result["keys"] and len(set(result["keys"])) == len(result["keys"])
    assert result["rejected"] == 0 and result["keys"] == expected(60)  # exactly the requested keys, once each
    writers = {node for shard in result["nodes"] for node in shard}
    assert len(writers) >= 2, writers  # more than one node rendered samples
    assert writers <= set(result["cluster_nodes"])
    # the lost node's finished parts may be kept or rewritten elsewhere (Ray reconstructs objects
    # that died with a node); either way every key is there exactly once, as asserted above
