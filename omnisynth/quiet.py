"""Loopback only, and quiet: the environment omnisynth gives the Ray and vLLM processes it starts.

Two rules, each applied where omnisynth starts something (`omnisynth run`'s embedded Ray,
`omnisynth serve`, the in-pipeline vLLM stage) and in the test suite:

- **No usage reporting.** Ray reports cluster usage to a public host from its dashboard
  process (it runs even with the dashboard off) unless `RAY_USAGE_STATS_ENABLED=0`; vLLM
  reports at engine start unless `VLLM_NO_USAGE_STATS=1` or `DO_NOT_TRACK=1`
  (ray/_common/usage/usage_lib.py, vllm/usage/usage_lib.py). `usage_opt_outs` gives those
  settings unless the user opted in: `OMNISYNTH_USAGE_STATS=1` leaves the environment as it
  is, and a variable the user set (e.g. `RAY_USAGE_STATS_ENABLED=1`, `VLLM_NO_USAGE_STATS=0`)
  is never overwritten.
- **A local Ray is a loopback Ray.** Ray takes the address routed to the outside as a node's
  address, and turns a loopback address it is given (`_node_ip_address="127.0.0.1"`,
  `RAY_ADDRESS=127.0.0.1:PORT`) into that same outside address
  (`ray._private.services.resolve_ip_for_localhost`); its GCS, raylet and agents then listen on
  it. Ray's single-machine mode (`RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`, the default on macOS
  and Windows) makes 127.0.0.1 the node address instead, so every port listens on loopback
  and all traffic stays there. `loopback_ray` turns it on for a Ray we start ourselves and for
  a driver whose cluster is on loopback; a driver joining a cluster on other hosts is left as
  Ray sets it.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import time
from collections.abc import MutableMapping

# variable -> the value that turns reporting off (Ray's, then vLLM's two)
RAY_OPT_OUT = {"RAY_USAGE_STATS_ENABLED": "0"}
VLLM_OPT_OUT = {"VLLM_NO_USAGE_STATS": "1", "DO_NOT_TRACK": "1"}
OPT_IN = "OMNISYNTH_USAGE_STATS"  # "1": leave Ray's and vLLM's reporting settings to the user
SINGLE_MACHINE = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"  # Ray's own switch; "0" = this machine only


class ClusterUnreachable(ConnectionError):
    """RAY_ADDRESS names a cluster that does not answer; raised in bounded time, before ray.init."""


def usage_opt_outs(env: MutableMapping[str, str] | None = None) -> dict[str, str]:
    """The variables to add to `env` (default: os.environ) so that neither Ray nor vLLM reports usage.

    Empty when the user opted in (`OMNISYNTH_USAGE_STATS=1`). A variable already set is the
    user's choice and is left out; vLLM's pair is left out whole when the user set
    `VLLM_NO_USAGE_STATS` (so `VLLM_NO_USAGE_STATS=0` is not undone by `DO_NOT_TRACK=1`).
    """
    env = os.environ if env is None else env
    if env.get(OPT_IN) == "1":
        return {}
    out = {k: v for k, v in RAY_OPT_OUT.items() if k not in env}
    if "VLLM_NO_USAGE_STATS" not in env:
        out |= {k: v for k, v in VLLM_OPT_OUT.items() if k not in env}
    return out


def quiet(env: MutableMapping[str, str] | None = None) -> MutableMapping[str, str]:
    """Add `usage_opt_outs` to `env` (default: os.environ, so every child process inherits them); returns env."""
    env = os.environ if env is None else env
    env.update(usage_opt_outs(env))
    return env


def usage_settings(env: MutableMapping[str, str] | None = None) -> dict[str, str]:
    """The reporting variables as they stand once the opt-outs apply, for a process on another node.

    A Ray actor or a vLLM engine on a cluster node inherits that node's environment, not the
    driver's: the driver passes these along (the user's own settings included).
    """
    env = quiet(dict(os.environ if env is None else env))
    return {k: env[k] for k in (*RAY_OPT_OUT, *VLLM_OPT_OUT) if k in env}


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost."""
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def split_address(address: str) -> tuple[str, int] | None:
    """'HOST:PORT' (optionally ray:// or gcs://, IPv6 in brackets) -> (host, port); None for 'auto', 'local'."""
    rest = address.split("://", 1)[-1].rstrip("/")
    host, sep, port = rest.rpartition(":")
    if not sep or not port.isdigit() or not host:
        return None
    return host.strip("[]"), int(port)


def loopback_ray() -> None:
    """Make 127.0.0.1 this process's Ray node address, and that of the Ray processes it starts.

    Sets Ray's single-machine switch in the environment (inherited by the GCS, raylet and
    workers a local `ray.init` starts) and in Ray's constants, which read it at import.
    """
    os.environ[SINGLE_MACHINE] = "0"
    from ray._private import ray_constants

    ray_constants.ENABLE_RAY_CLUSTER = False


def prepare_join(address: str, timeout_s: float = 30.0) -> None:
    """Before `ray.init(address)`: a loopback cluster gets a loopback driver; ClusterUnreachable if it is not up."""
    parsed = split_address(address)
    if parsed and is_loopback(parsed[0]):
        loopback_ray()
    wait_reachable(address, timeout_s)


def wait_reachable(address: str, timeout_s: float = 30.0) -> None:
    """Return once RAY_ADDRESS's host:port accepts a TCP connection; ClusterUnreachable after timeout_s.

    Ray's own client waits on an address that does not answer for as long as ten minutes
    (FIELD-NOTES); a run must fail in bounded time instead. Addresses without a port
    ('auto') are left to Ray.
    """
    parsed = split_address(address)
    if parsed is None:
        return
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            socket.create_connection(parsed, timeout=min(5.0, timeout_s)).close()
            return
        except OSError as exc:
            if time.monotonic() >= deadline:
                raise ClusterUnreachable(
                    f"RAY_ADDRESS={address}: nothing answers at {parsed[0]}:{parsed[1]} after {timeout_s:.0f} s "
                    f"({exc.strerror or exc}); start the cluster, or unset RAY_ADDRESS for a local run") from None
            time.sleep(0.5)


class ClusterWatch:
    """While a run is joined to RAY_ADDRESS: end it with a clear message when the cluster stops answering.

    Ray's driver waits 60 s for a lost GCS and then aborts the process with a C++ log line;
    this thread probes the cluster's host:port every `every_s` seconds and, after `timeout_s`
    without an answer, calls `on_lost(message)` (by default: print it and exit the process with
    code 3, as for a cluster that does not answer at the start). Finished shards are kept; the
    same command resumes once the cluster is back.
    """

    def __init__(self, address: str, timeout_s: float, on_lost=None, every_s: float = 2.0):
        import threading

        self.address, self.timeout_s, self.every_s = address, timeout_s, every_s
        self.on_lost = on_lost or _exit_lost
        self.parsed = split_address(address)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._watch, name="omnisynth-cluster-watch", daemon=True)

    def start(self) -> ClusterWatch:
        if self.parsed is not None:
            self.thread.start()
        return self

    def stop(self) -> None:
        self.stopped.set()

    def _watch(self) -> None:
        silent_since = None
        while not self.stopped.wait(self.every_s):
            try:
                socket.create_connection(self.parsed, timeout=min(5.0, self.timeout_s)).close()
                silent_since = None
            except OSError as exc:
                now = time.monotonic()
                silent_since = silent_since or now
                if now - silent_since >= self.timeout_s and not self.stopped.is_set():
                    self.on_lost(f"RAY_ADDRESS={self.address}: the cluster went away mid-run (nothing at "
                                 f"{self.parsed[0]}:{self.parsed[1]} for {now - silent_since:.0f} s: "
                                 f"{exc.strerror or exc}); finished shards are kept: rerun the same command to "
                                 "resume once the cluster is back")
                    return


def _exit_lost(message: str) -> None:
    import os
    import sys

    sys.stderr.write(f"\nerror: {message}\n")
    sys.stderr.flush()
    os._exit(3)  # Ray's threads hold the interpreter; the output folder is consistent at any point (resume)


SUPERVISED = "OMNISYNTH_SUPERVISED"  # set in the child that `supervised` starts


def supervised(argv: list[str]) -> int | None:
    """With RAY_ADDRESS: run this `omnisynth` command in a child process and say what ended it; None: run it here.

    Ray's driver exits at once, with status 1 and nothing on stderr, when the raylet under it
    dies with its cluster (before `ClusterWatch` can speak). The parent waits for the child; when
    the child failed that way and the cluster no longer answers, it prints why and returns 3,
    the status of a cluster that does not answer at the start. SIGTERM is passed on; SIGINT
    reaches both from the terminal, and the parent leaves it to the child.
    """
    import signal
    import subprocess
    import sys

    address = os.environ.get("RAY_ADDRESS")
    if not address or os.environ.get(SUPERVISED) or split_address(address) is None:
        return None
    child = subprocess.Popen([sys.executable, "-m", "omnisynth", *argv], env={**os.environ, SUPERVISED: "1"})
    old_int = signal.signal(signal.SIGINT, signal.SIG_IGN)
    old_term = signal.signal(signal.SIGTERM, lambda *_: child.terminate())
    try:
        rc = child.wait()
    finally:
        signal.signal(signal.SIGINT, old_int)
        signal.signal(signal.SIGTERM, old_term)
    if rc in (0, 2, 3, 130) or rc < 0:
        return 128 - rc if rc < 0 else rc
    try:
        wait_reachable(address, 5.0)
    except ClusterUnreachable:
        sys.stderr.write(f"\nerror: RAY_ADDRESS={address}: the cluster went away mid-run and took the run's driver "
                         "with it; finished shards are kept: rerun the same command to resume once the cluster is "
                         "back\n")
        return 3
    return rc
