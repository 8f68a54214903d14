"""Run a recipe on a 3-node Ray cluster on this machine, optionally killing a worker node mid-run.

Used by test_cluster.py in a subprocess (a cluster needs its own Ray, apart from the test
session's). Every node binds 127.0.0.1; the caller gives the process a Ray temp dir of its
own (RAY_TMPDIR), so the machine's current-cluster file is never written. The run is
`omnisynth run` with RAY_ADDRESS set, as a user joins a cluster. This process watches the
cluster as a second driver and, with --kill, removes the first worker node it sees running a
task while the run is still going. Prints one JSON line: what the run kept, the keys read
back, the kill, the nodes and the addresses the cluster's processes listen on.

    python tests/cluster_scenario.py OUT NUM_SAMPLES [--kill]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import ray
from ray._common.utils import get_ray_address_file
from ray.cluster_utils import Cluster

from omnisynth.quiet import SINGLE_MACHINE, loopback_ray

NODE = {"node_ip_address": "127.0.0.1", "num_cpus": 1, "object_store_memory": 200 * 2**20}
RUN_SETS = ["--set", "output.samples_per_shard=10", "--set", "runtime.rows_per_task=2", "--set", "generator.dpi=60"]


def listening_addresses(root: psutil.Process) -> set[str]:
    """The IPs that `root` and every process below it listen on (TCP)."""
    pids = {root.pid} | {p.pid for p in root.children(recursive=True)}
    return {c.laddr.ip for c in psutil.net_connections("tcp") if c.status == psutil.CONN_LISTEN and c.pid in pids}


def busy(node_id: str) -> bool:
    """Is a task running on the node (its CPU taken)? A resource all in use is left out of the map."""
    free = ray._private.state.available_resources_per_node()
    return node_id in free and free[node_id].get("CPU", 0.0) < 1.0


def main() -> None:
    out, n, kill = Path(sys.argv[1]), int(sys.argv[2]), "--kill" in sys.argv
    loopback_ray()  # this process is a driver of a loopback cluster too
    cluster = Cluster(initialize_head=False)
    run = None
    try:
        cluster.add_node(**NODE)
        workers = [cluster.add_node(**NODE) for _ in range(2)]
        cluster.wait_for_nodes()
        # the run's driver finds its loopback node address itself (ensure_ray), as a user's shell has no
        # single-machine switch
        env = {k: v for k, v in os.environ.items() if k != SINGLE_MACHINE} | {"RAY_ADDRESS": cluster.address}
        run = subprocess.Popen([sys.executable, "-m", "omnisynth", "run", "doc_qa", "--out", str(out),
                                "--num-samples", str(n), *RUN_SETS], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        ray.init(address=cluster.address, log_to_driver=False)
        killed: dict = {}

        def kill_one():
            # the first worker node seen running a task dies (Ray may give one of the two no task at
            # all on a loaded machine, so waiting for a fixed one could outlast the run)
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline and run.poll() is None:
                victim = next((w for w in workers if busy(w.node_id)), None)
                if victim is not None:
                    mid_run = run.poll() is None and not (out / "manifest.json").exists()
                    cluster.remove_node(victim, allow_graceful=False)  # its raylet and workers die at once
                    killed.update(node=victim.node_id, mid_run=mid_run)
                    return
                time.sleep(0.02)

        watcher = threading.Thread(target=kill_one, daemon=True)
        if kill:
            watcher.start()
        stdout, stderr = run.communicate(timeout=900)
        if kill:
            watcher.join(timeout=30)
        alive = {node["NodeID"]: node["Alive"] for node in ray.nodes()}
        address_file = Path(get_ray_address_file(None))  # where Ray's default lookup finds "the" cluster
        listening = listening_addresses(psutil.Process())
        manifest = json.loads((out / "manifest.json").read_text()) if run.returncode == 0 else {}
        import webdataset as wds

        keys = [s["__key__"] for s in wds.WebDataset(sorted(str(p) for p in (out / "shards").glob("*.tar")),
                                                      shardshuffle=False)]
        print(json.dumps({"returncode": run.returncode, "stderr": stderr[-3000:], "stdout": stdout[-2000:],
                          "kept": manifest.get("kept"), "rejected": manifest.get("rejected"), "keys": keys,
                          "killed": killed, "address_file": [str(address_file), address_file.read_text()], "alive": alive, "listening": sorted(listening),
                          "nodes": [s["nodes"] for s in manifest.get("shards", [])],
                          "cluster_nodes": [w.node_id for w in workers] + [cluster.head_node.node_id]}))
    finally:
        if run is not None and run.poll() is None:
            run.kill()
        ray.shutdown()
        cluster.shutdown()


if __name__ == "__main__":
    main()
