"""Run a recipe on a 3-node Ray cluster on this machine, optionally killing a worker node mid-run.

Used by test_cluster.py in a subprocess (a cluster needs its own Ray, apart from the test
session's). Prints one JSON line: the manifest's per-shard nodes and the keys read back.

    python tests/cluster_scenario.py OUT NUM_SAMPLES [--kill]
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

import ray
from ray.cluster_utils import Cluster

from omnisynth.pipelines.runner import run
from omnisynth.schemas.recipe import load_recipe


def main() -> None:
    out, n, kill = Path(sys.argv[1]), int(sys.argv[2]), "--kill" in sys.argv
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "object_store_memory": 200 * 2**20})
    workers = [cluster.add_node(num_cpus=1, object_store_memory=200 * 2**20) for _ in range(2)]
    cluster.wait_for_nodes()
    os.environ["RAY_ADDRESS"] = cluster.address  # run() joins the cluster as `RAY_ADDRESS=... omnisynth run` does
    killed = []

    def busy(node_id: str) -> bool:
        """Is a task running on the node (its CPU taken)? Asked of the cluster once run() has joined it."""
        if not ray.is_initialized():
            return False
        try:
            free = ray._private.state.available_resources_per_node()
        except Exception:  # the cluster state is between updates: ask again
            return False
        return node_id in free and free[node_id].get("CPU", 0.0) < 1.0  # a resource all in use is left out

    def kill_one():
        # the first worker node seen running a task dies (Ray may give one of the two no task at
        # all on a loaded machine, so waiting for a fixed one could outlast the run); watching
        # the nodes' CPUs sees work the moment it starts, where finished parts can come and go
        # between two looks (a shard's parts are assembled away as soon as it is complete)
        deadline = time.monotonic() + 120
        victim = None
        while time.monotonic() < deadline and victim is None:
            victim = next((w for w in workers if busy(w.node_id)), None)
            time.sleep(0.02)
        victim = victim or workers[0]
        killed.append(victim.node_id)
        cluster.remove_node(victim, allow_graceful=False)  # its raylet and workers die at once

    if kill:
        threading.Thread(target=kill_one, daemon=True).start()
    recipe = load_recipe("doc_qa", [("num_samples", n), ("output.samples_per_shard", 10),
                                    ("runtime.rows_per_task", 2), ("generator.dpi", 60)])
    summary = run(recipe, out)
    manifest = json.loads((out / "manifest.json").read_text())
    import webdataset as wds

    keys = [s["__key__"] for s in wds.WebDataset(sorted(str(p) for p in (out / "shards").glob("*.tar")),
                                                  shardshuffle=False)]
    print(json.dumps({"kept": summary.kept, "rejected": summary.rejected, "keys": keys, "killed": killed,
                      "nodes": [s["nodes"] for s in manifest["shards"]],
                      "cluster_nodes": [w.node_id for w in workers] + [cluster.head_node.node_id]}))
    assert not ray.is_initialized(), "run() leaves the cluster it joined"
    cluster.shutdown()


if __name__ == "__main__":
    main()
