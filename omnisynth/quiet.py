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
