"""`--out s3://...`: a run writes to an object store through pyarrow's S3 filesystem.

The store is a real S3 server (moto's, the protocol boto and pyarrow speak) on 127.0.0.1;
the CLI runs in a subprocess with its own local Ray, whose workers upload their parts to the
bucket themselves. The output must be the same bytes as a run into a local folder, survive a
SIGKILL and a rerun, pass `omnisynth verify` read back from the bucket, and refuse a second
run while the first holds the lease.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from omnisynth.model.serve import stop  # SIGTERM, then SIGKILL after a grace period

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--num-samples", "24", "--set", "output.samples_per_shard=6", "--set", "runtime.rows_per_task=3"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3():
    """A loopback S3 server; yields (environment for the CLI, URI query string)."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "AWS_EC2_METADATA_DISABLED": "true", "AWS_DEFAULT_REGION": "us-east-1", "RAY_AUTH_MODE": "disabled"}
    env.pop("RAY_ADDRESS", None)
    query = f"endpoint_override=127.0.0.1:{port}&scheme=http&region=us-east-1"
    old = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_EC2_METADATA_DISABLED")}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "moto server did not start"
                time.sleep(0.2)
        os.environ.update({k: env[k] for k in old})  # this process reads the bucket back
        import pyarrow.fs as pafs

        fs, _ = pafs.FileSystem.from_uri(f"s3://omni?{query}&allow_bucket_creation=true")
        fs.create_dir("omni")
        yield env, query
    finally:  # also when the server never came up
        stop(proc)
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def cli(env, *args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "omnisynth", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=600, **kw)


def listing(store) -> list[str]:
    import pyarrow.fs as pafs

    sel = pafs.FileSelector(store.root, recursive=True, allow_not_found=True)
    return sorted(i.path.removeprefix(store.root + "/") for i in store.fs.get_file_info(sel)
                  if i.type == pafs.FileType.File)


def shards_of(manifest: dict) -> list[tuple[str, int, str]]:
    return [(s["name"], s["samples"], s["sha256"]) for s in manifest["shards"]]


def test_a_run_to_s3_equals_a_local_run_survives_a_kill_and_verifies(s3, tmp_path):
    from omnisynth.datasets.store import Store

    env, query = s3
    local = cli(env, "run", "doc_qa", "--out", str(tmp_path / "local"), *ARGS)
    assert local.returncode == 0, local.stderr[-3000:]
    expected = json.loads((tmp_path / "local" / "manifest.json").read_text())

    uri = f"s3://omni/runs/doc?{query}"
    store = Store(uri)
    proc = subprocess.Popen([sys.executable, "-m", "omnisynth", "run", "doc_qa", "--out", uri, *ARGS], env=env,
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + 300
    while not any(n.startswith("state/shard-") for n in listing(store)):  # one shard committed to the bucket
        assert proc.poll() is None, proc.stderr.read()[-3000:]
        assert time.monotonic() < deadline, "no shard reached the bucket"
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the driver, its Ray and the workers, mid-run
    proc.wait(60)
    assert not store.exists("manifest.json")

    again = cli(env, "run", "doc_qa", "--out", uri, *ARGS)  # the dead run's lease is taken over at once
    assert again.returncode == 0, again.stderr[-3000:]
    assert "shards resumed" in again.stdout
    got = json.loads(store.read_text("manifest.json"))
    assert got["run"]["resumed_shards"] >= 1
    assert shards_of(got) == shards_of(expected)  # byte-identical shards to the local run
    assert got["kept"] + got["rejected"] == 24
    assert got["run"]["energon"].startswith("skipped: object-store output")
    files = listing(store)
    assert not [f for f in files if f.startswith("staging/") or f.rsplit("/", 1)[-1].startswith(".")], files
    assert {f for f in files if f.startswith("shards/")} == {f"shards/{s[0]}" for s in shards_of(expected) if s[0]}
    assert {f for f in files if f.startswith("quarantine/")} == {f"quarantine/shard-{i:06d}.jsonl" for i in range(4)}

    check = cli(env, "verify", uri)
    assert check.returncode == 0 and "OK" in check.stdout, check.stdout + check.stderr
    stats = cli(env, "stats", uri, "--json")
    assert stats.returncode == 0 and json.loads(stats.stdout)["kept"] == got["kept"], stats.stderr[-2000:]
    shown = cli(env, "inspect", uri, "--n", "2")
    assert shown.returncode == 0 and shown.stdout.count("== ") == 2, shown.stderr[-2000:]

    # a flipped byte in the bucket is found
    name = shards_of(got)[0][0]
    data = bytearray(store.read_bytes(f"shards/{name}"))
    data[1000] ^= 0xFF
    store.write_bytes(f"shards/{name}", bytes(data))
    bad = cli(env, "verify", uri)
    assert bad.returncode == 1 and f"shards/{name}: sha256" in bad.stderr


def test_a_second_run_is_refused_while_the_lease_is_fresh_and_a_stale_one_is_taken_over(s3):
    from omnisynth.datasets.manifest import OutputMismatch, claim_output
    from omnisynth.datasets.store import LEASE_S, Store
    from omnisynth.schemas.recipe import load_recipe

    env, query = s3
    store = Store(f"s3://omni/runs/lease?{query}")
    recipe = load_recipe("doc_qa", [("num_samples", 4)])
    lock = claim_output(store, recipe, {})
    try:
        busy = cli(env, "run", "doc_qa", "--out", store.where, "--num-samples", "4")
        assert busy.returncode == 2 and "being written by another omnisynth run" in busy.stderr, busy.stderr[-2000:]
        with pytest.raises(OutputMismatch, match="being written by another omnisynth run"):
            claim_output(store, recipe, {})
    finally:
        lock.close()
    assert not store.exists(".lock")  # released on close
    # a run on another machine that stopped renewing its lease long ago, killed while it rewrote the lease
    # and the manifest: taking the output over sweeps what it left half written at the root
    store.write_json(".lock", {"token": "x", "renewed": time.time() - LEASE_S - 1, "pid": 1, "host": "elsewhere"})
    store.write_text("..lock.dead0001.tmp", "{")
    store.write_text(".manifest.json.dead0002.tmp", "{")
    claim_output(store, recipe, {}).close()
    assert not [n for n in listing(store) if n.endswith(".tmp")], listing(store)
    # ...and one that renewed it just now is respected
    store.write_json(".lock", {"token": "y", "renewed": time.time(), "pid": 1, "host": "elsewhere"})
    with pytest.raises(OutputMismatch, match="pid 1 on elsewhere"):
        claim_output(store, recipe, {})
