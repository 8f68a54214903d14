"""Loopback only, and quiet: the Ray a run starts listens on 127.0.0.1 and reports no usage.

Reports go to a loopback recorder (Ray's own `RAY_USAGE_STATS_REPORT_URL` setting), with
Ray's report interval at one second, so a Ray that reports is seen doing so within seconds.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from omnisynth.model.serve import stop  # SIGTERM, then SIGKILL after a grace period
from omnisynth.quiet import OPT_IN, RAY_OPT_OUT, SINGLE_MACHINE, VLLM_OPT_OUT, is_loopback, split_address, usage_opt_outs
from tests.usage_recorder import UsageRecorder

ROOT = Path(__file__).resolve().parent.parent
OPT_OUT_VARS = (*RAY_OPT_OUT, *VLLM_OPT_OUT)
NOT_INHERITED = (*OPT_OUT_VARS, SINGLE_MACHINE)  # set by conftest: the probe must show omnisynth sets them itself

# Starts Ray the way `omnisynth run` does, then reports what it sees as JSON: the node's address,
# the addresses every Ray process listens on, the opt-outs a worker and the GCS got, and the
# dashboard's word on usage reporting once the first report would have gone out.
PROBE = r"""
import json, os, time
from pathlib import Path
import psutil, ray
from omnisynth.pipelines.dag import ensure_ray
from omnisynth.schemas.recipe import load_recipe

VARS = %r
assert ensure_ray(load_recipe("doc_qa", [("runtime.num_cpus", 1)]))

@ray.remote(num_cpus=0)
def probe():
    return ray.util.get_node_ip_address(), {k: os.environ.get(k) for k in VARS}

worker_ip, worker_env = ray.get(probe.remote())
me = psutil.Process()
procs = [me, *me.children(recursive=True)]
listening = {c.laddr.ip for c in psutil.net_connections("tcp")
             if c.status == psutil.CONN_LISTEN and c.pid in {p.pid for p in procs}}
gcs = next(p for p in procs if p.name() == "gcs_server")
gcs_env = {k: gcs.environ().get(k) for k in VARS}
log = Path(ray._private.worker._global_node.get_logs_dir_path(), "dashboard.log")
deadline = time.monotonic() + 120
while "Usage reporting is" not in (log.read_text() if log.exists() else "") and time.monotonic() < deadline:
    time.sleep(0.2)
word = [l for l in log.read_text().splitlines() if "Usage reporting is" in l]
stats = Path(ray._private.worker._global_node.get_session_dir_path(), "usage_stats.json")
# disabled: the module has returned once it says so; enabled: the first report follows within a
# second (the interval), and usage_stats.json is written after every report, sent or not
deadline = time.monotonic() + (60 if any("enabled" in l for l in word) else 2)
while not stats.exists() and time.monotonic() < deadline:
    time.sleep(0.2)
print(json.dumps({"node": [n["NodeManagerAddress"] for n in ray.nodes()], "worker_ip": worker_ip,
                  "listening": sorted(listening), "worker_env": worker_env, "gcs_env": gcs_env, "word": word,
                  "stats_file": stats.exists()}))
ray.shutdown()
"""


def probe(usage: UsageRecorder, **env_changes) -> dict:
    temp = tempfile.mkdtemp(prefix="rq", dir="/tmp")
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}  # a user's shell: no opt-outs
    env |= {"RAY_TMPDIR": temp, "RAY_USAGE_STATS_REPORT_URL": usage.url, "RAY_USAGE_STATS_REPORT_INTERVAL_S": "1"}
    env |= env_changes
    try:
        done = subprocess.run([sys.executable, "-c", PROBE % (OPT_OUT_VARS,)], env=env, cwd=ROOT, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def test_a_local_run_binds_loopback_and_reports_no_usage():
    with UsageRecorder() as usage:
        seen = probe(usage)
        assert usage.reports == []  # not even the "disabled" notice
    assert seen["node"] == ["127.0.0.1"] and seen["worker_ip"] == "127.0.0.1"
    assert seen["listening"] and all(is_loopback(ip.removeprefix("::ffff:")) for ip in seen["listening"]), seen
    assert seen["worker_env"] == seen["gcs_env"] == {**RAY_OPT_OUT, **VLLM_OPT_OUT}
    assert any("disabled" in line for line in seen["word"]), seen["word"]
    assert seen["stats_file"] is False


def test_a_user_who_opts_in_keeps_their_settings():
    """OMNISYNTH_USAGE_STATS=1: the processes a run starts get the user's settings, none of ours.

    (A Ray that ray.init() starts turns its reporting off by itself on release wheels,
    ray/_private/worker.py, whatever the user set: that part is Ray's.)
    """
    with UsageRecorder() as usage:
        seen = probe(usage, **{OPT_IN: "1", "RAY_USAGE_STATS_ENABLED": "1"})
    # (RAY_USAGE_STATS_ENABLED is ray.init's own "0" here, whatever the user set)
    assert (seen["gcs_env"]["VLLM_NO_USAGE_STATS"], seen["gcs_env"]["DO_NOT_TRACK"]) == (None, None)
    assert seen["node"] == ["127.0.0.1"]  # loopback either way


@pytest.mark.parametrize("env, expected", [
    ({}, {"RAY_USAGE_STATS_ENABLED": "0", "VLLM_NO_USAGE_STATS": "1", "DO_NOT_TRACK": "1"}),
    ({"RAY_USAGE_STATS_ENABLED": "1"}, {"VLLM_NO_USAGE_STATS": "1", "DO_NOT_TRACK": "1"}),
    ({"VLLM_NO_USAGE_STATS": "0"}, {"RAY_USAGE_STATS_ENABLED": "0"}),  # DO_NOT_TRACK=1 would undo the opt-in
    ({"DO_NOT_TRACK": "0"}, {"RAY_USAGE_STATS_ENABLED": "0", "VLLM_NO_USAGE_STATS": "1"}),
    ({OPT_IN: "1"}, {}),
])
def test_usage_opt_outs_never_overwrite_a_users_choice(env, expected):
    assert usage_opt_outs(env) == expected


@pytest.mark.parametrize("address, parsed, loopback", [
    ("127.0.0.1:6379", ("127.0.0.1", 6379), True), ("127.3.0.1:1", ("127.3.0.1", 1), True),
    ("localhost:10001", ("localhost", 10001), True), ("[::1]:6379", ("::1", 6379), True),
    ("ray://127.0.0.1:10001", ("127.0.0.1", 10001), True), ("10.0.0.5:6379", ("10.0.0.5", 6379), False),
    ("head.example:6379", ("head.example", 6379), False), ("auto", None, None), ("local", None, None),
])
def test_ray_addresses_are_split_and_loopback_is_recognised(address, parsed, loopback):
    assert split_address(address) == parsed
    if parsed:
        assert is_loopback(parsed[0]) is loopback


def test_a_run_whose_cluster_does_not_answer_fails_in_bounded_time_with_exit_code_3(tmp_path):
    with socket.socket() as s:  # a loopback port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "RAY_ADDRESS": f"127.0.0.1:{port}"}
    done = subprocess.run([sys.executable, "-m", "omnisynth", "run", "doc_qa", "--out", str(tmp_path / "o"),
                           "--num-samples", "2", "--set", "runtime.connect_timeout_s=2"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 3, done.stderr[-2000:]
    assert f"RAY_ADDRESS=127.0.0.1:{port}: nothing answers" in done.stderr and "unset RAY_ADDRESS" in done.stderr


def test_without_ray_address_a_run_never_joins_the_latest_cluster_started_on_the_machine(tmp_path):
    """Ray's default lookup joins the cluster `ray start` recorded last (RAY_TMPDIR/ray/ray_current_cluster),
    whoever started it and whether or not it still runs; a run without RAY_ADDRESS starts a Ray of its own."""
    import shutil
    import tempfile

    with socket.socket() as s:  # the recorded cluster is gone: nothing listens at its address
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    temp = Path(tempfile.mkdtemp(prefix="rl", dir="/tmp"))  # Ray's socket paths must stay short
    try:
        (temp / "ray").mkdir()
        (temp / "ray" / "ray_current_cluster").write_text(f"127.0.0.1:{port}")
        env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"} | {"RAY_TMPDIR": str(temp)}
        done = subprocess.run([sys.executable, "-m", "omnisynth", "run", "doc_qa", "--out", str(tmp_path / "o"),
                               "--num-samples", "2", "--set", "generator.dpi=50"], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0 and "kept      2" in done.stdout, done.stderr[-2000:]
        assert (temp / "ray" / "ray_current_cluster").read_text() == f"127.0.0.1:{port}"  # not replaced either
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def test_the_suite_runs_where_nothing_leaves_the_machine():
    """scripts/test.sh runs the suite in a namespace of its own (scripts/loopback_ns.sh; OMNISYNTH_NETNS says so)."""
    if os.environ.get("OMNISYNTH_NETNS") != "loopback-only":
        pytest.skip("not run by scripts/test.sh in its loopback-only namespace")
    # loopback and the stand-in outside, a veth pair with both ends here: no interface of the machine's
    assert sorted(name for _, name in socket.if_nameindex()) == ["lo", "omni0", "omni1"]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:  # the default route is the stand-in's
        s.connect(("198.51.100.1", 9))  # TEST-NET-2: only a routing lookup, nothing is sent
        assert s.getsockname()[0] == "192.0.2.1"


def test_a_vllm_server_dies_with_the_command_that_started_it():
    """A killed `omnisynth serve` (or a Ray actor that dies with its node) leaves no server behind."""
    script = ("import subprocess, sys, time; from omnisynth.model.serve import start_server; "
              "p = start_server([sys.executable, '-c', 'import time; time.sleep(300)'], {}); "
              "print(p.pid, flush=True); time.sleep(300)")
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        child = psutil.Process(int(parent.stdout.readline()))
        assert child.is_running()
        parent.kill()  # SIGKILL: no handler of the parent's runs
        parent.wait(30)
        child.wait(30)  # psutil.TimeoutExpired if the server outlived it
    finally:
        parent.kill()


def start_head(temp: str, port: int, env: dict, cpus: int) -> subprocess.Popen:
    """`ray start --head --block` on 127.0.0.1 (every other port a free one); returns once it answers."""
    from tests.test_job_submit import free_port

    ray = str(Path(sys.executable).with_name("ray"))
    head = subprocess.Popen([ray, "start", "--head", "--block", "--node-ip-address=127.0.0.1", f"--port={port}",
                             f"--num-cpus={cpus}", "--include-dashboard=false", "--disable-usage-stats",
                             f"--temp-dir={temp}", f"--dashboard-agent-listen-port={free_port()}",
                             f"--dashboard-agent-grpc-port={free_port()}", f"--metrics-export-port={free_port()}",
                             f"--runtime-env-agent-port={free_port()}", f"--ray-client-server-port={free_port()}"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not answers(port):
        assert head.poll() is None and time.monotonic() < deadline, "the head did not come up"
        time.sleep(0.5)
    return head


@pytest.mark.slow
def test_a_cluster_lost_mid_run_ends_the_run_in_bounded_time_with_exit_code_3(tmp_path):
    """RAY_ADDRESS's cluster dies (every process killed) while the run renders: the run ends within
    runtime.connect_timeout_s with exit code 3 and a message saying so (Ray's driver alone waits 60 s
    and aborts with a log line, or exits at once with status 1 and nothing said)."""
    import psutil

    from tests.test_job_submit import free_port

    temp, port = tempfile.mkdtemp(prefix="rl", dir="/tmp"), free_port()
    head = start_head(temp, port, {**os.environ, "RAY_AUTH_MODE": "disabled"}, cpus=2)
    try:
        driver = {**os.environ, "RAY_ADDRESS": f"127.0.0.1:{port}", "RAY_AUTH_MODE": "disabled"}
        log = tmp_path / "run.log"
        with log.open("w") as sink:
            run = subprocess.Popen([sys.executable, "-m", "omnisynth", "run", "doc_qa", "--out", str(tmp_path / "o"),
                                    "--num-samples", "2000", "--set", "generator.dpi=40", "--set",
                                    "runtime.rows_per_task=2", "--set", "runtime.connect_timeout_s=5", "--set",
                                    "runtime.progress_interval_s=0.5"],
                                   env=driver, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 180
        while "samples/s" not in log.read_text():  # rendering has begun on the cluster
            assert run.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.5)
        lost = time.monotonic()
        cluster = [p for p in psutil.process_iter(["cmdline"]) if temp in " ".join(p.info["cmdline"] or [])]
        for p in [psutil.Process(head.pid), *cluster]:
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
        run.wait(timeout=120)
        err = log.read_text()
        assert run.returncode == 3, err[-3000:]
        assert time.monotonic() - lost < 45  # the watch's 5 s and a probe; not Ray's 60 s abort
        # the watch says so after 5 s, or (when Ray's driver died with the raylet under it, silently) the parent does
        assert "the cluster went away mid-run" in err and "rerun the same command to resume" in err
    finally:
        stop(head, grace_s=30)
        shutil.rmtree(temp, ignore_errors=True)


def answers(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.slow
def test_a_cluster_that_refuses_the_driver_fails_the_run_with_exit_code_3(tmp_path):
    """A head with token authentication and a driver without the token: a clear error, not a traceback."""
    from tests.test_job_submit import free_port

    temp, port = tempfile.mkdtemp(prefix="rt", dir="/tmp"), free_port()
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}  # not the user's token
    head = start_head(temp, port, env, cpus=1)
    try:
        driver = {**os.environ, "RAY_ADDRESS": f"127.0.0.1:{port}", "RAY_AUTH_MODE": "disabled"}
        done = subprocess.run([sys.executable, "-m", "omnisynth", "run", "doc_qa", "--out", str(tmp_path / "o"),
                               "--num-samples", "2", "--set", "runtime.connect_timeout_s=120"], env=driver, cwd=ROOT,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 3, done.stderr[-3000:]
        assert "the cluster answers but refused this driver" in done.stderr and "RAY_AUTH_MODE=token" in done.stderr
        assert "Traceback" not in done.stderr, done.stderr[-3000:]
    finally:
        stop(head, grace_s=120)
        shutil.rmtree(temp, ignore_errors=True)
