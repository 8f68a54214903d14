"""`ray job submit --working-dir . -- omnisynth run ...` against a running cluster (a head started here).

The head's node address is 127.0.0.1 (conftest sets Ray's single-machine switch, without which
Ray turns `--node-ip-address=127.0.0.1` into the machine's outside address), so it listens on
loopback only; the job ships this checkout as its working dir, so the cluster runs the code of
the submission, not an installed copy.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from omnisynth.model.serve import stop  # SIGTERM, then SIGKILL after a grace period

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def head():
    """A one-node cluster with the job server, stopped (with every process it started) at the end."""
    temp = tempfile.mkdtemp(prefix="rj", dir="/tmp")  # Ray's socket paths must stay short
    port, dash = free_port(), free_port()
    env = {**os.environ, "RAY_AUTH_MODE": "disabled"}
    env.pop("RAY_ADDRESS", None)
    assert env["RAY_USAGE_STATS_ENABLED"] == "0" and env["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] == "0"  # conftest
    ray = str(Path(sys.executable).with_name("ray"))
    proc = subprocess.Popen([ray, "start", "--head", "--block", "--node-ip-address=127.0.0.1", f"--port={port}",
                             "--dashboard-host=127.0.0.1", f"--dashboard-port={dash}", "--num-cpus=2",
                             "--include-dashboard=true", "--disable-usage-stats", f"--temp-dir={temp}",
                             # ports of our own: another Ray on this machine (the test session's) holds the defaults
                             f"--dashboard-agent-listen-port={free_port()}", f"--dashboard-agent-grpc-port={free_port()}",
                             f"--metrics-export-port={free_port()}", f"--runtime-env-agent-port={free_port()}",
                             f"--ray-client-server-port={free_port()}"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    address = f"http://127.0.0.1:{dash}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            ok = subprocess.run([ray, "job", "list", "--address", address], env=env, capture_output=True, timeout=60)
            if ok.returncode == 0:
                break
            assert proc.poll() is None, "ray start --head exited"
            time.sleep(1)
        else:
            pytest.fail("the job server did not come up")
        yield ray, address, env
    finally:  # also when the head never came up
        stop(proc, grace_s=60)  # SIGTERM to --block stops the processes this head started, and only those
        shutil.rmtree(temp, ignore_errors=True)


def test_ray_job_submit_runs_a_recipe_on_the_cluster(head, tmp_path):
    ray, address, env = head
    work = tmp_path / "checkout"
    shutil.copytree(ROOT / "omnisynth", work / "omnisynth", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path / "out"
    args = [ray, "job", "submit", "--address", address, "--working-dir", str(work), "--", "python", "-m", "omnisynth",
            "run", "doc_qa", "--out", str(out), "--num-samples", "12", "--set", "output.samples_per_shard=6"]
    deadline = time.monotonic() + 120
    while True:  # the job agent comes up some seconds after the job server answers
        proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
        if proc.returncode == 0 or "No available agent" not in proc.stderr or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "succeeded" in proc.stdout + proc.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kept"] + manifest["rejected"] == 12 and len(manifest["shards"]) == 2
    assert all(shard["nodes"] for shard in manifest["shards"])
    assert manifest["shards"][0]["node_id"] != "local"
