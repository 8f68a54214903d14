"""Where an output lives: a local folder, or any pyarrow filesystem URI (s3://, gs://, abfs://, hdfs://).

Every file the run writes goes through a `Store`, addressed by a path relative to the
output root ("shards/shard-000000.tar"). Writes are atomic on both kinds:

- a local folder writes to a hidden temporary file, fsyncs it and renames it into place;
- an object store streams to a hidden temporary key, then moves it to its name (S3's
  server-side copy), so a reader never sees a half-written shard, part or record, and a
  crash leaves at most a hidden `.*.tmp` key, swept when the next run claims the output.

S3-compatible endpoints take pyarrow's URI options, e.g.
`s3://bucket/out?endpoint_override=minio.local:9000&scheme=http&region=us-east-1`; credentials
come from the usual environment (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile, an
instance role) of the driver *and* of every Ray worker, since workers write their parts
directly. A Store pickles as its URI, so a worker reopens the filesystem itself.

One run at a time: a local folder is locked with flock; object stores have no lock, so the
driver holds a lease (`.lock`, rewritten every LEASE_RENEW_S seconds) and a second run is
refused while the lease is fresh. A run that died leaves a stale lease, which the next
run takes over once it is older than LEASE_S, or at once when the dead run's process was
on the same machine.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

LEASE_S = 90.0
LEASE_RENEW_S = 15.0


class OutputBusy(RuntimeError):
    """Another run holds the output."""


def is_uri(where: str | Path) -> bool:
    return "://" in str(where) and not str(where).startswith("file://")


class Store:
    """An output root; paths are relative to it and use '/'."""

    def __init__(self, where: str | Path):
        self.where = str(where)
        if is_uri(where):
            import pyarrow.fs as pafs

            self.fs, self.root = pafs.FileSystem.from_uri(self.where)
            self.root = self.root.rstrip("/")
            self.local = False
            scheme = self.where.split("://", 1)[0]
            self.uri = f"{scheme}://{self.root}"  # without query options (they may name endpoints)
        else:
            path = Path(self.where.removeprefix("file://")).expanduser().resolve()
            self.fs, self.root, self.local, self.uri = None, str(path), True, str(path)
            self.where = str(path)  # absolute: a worker (another cwd, another node) reopens the same folder

    def __reduce__(self):
        return (Store, (self.where,))

    def __str__(self) -> str:
        return self.uri

    def __repr__(self) -> str:
        return f"Store({self.uri!r})"

    @property
    def path(self) -> Path:
        """The local folder (only for local stores: Energon and the HTML report need one)."""
        if not self.local:
            raise ValueError(f"{self.uri} is not a local folder")
        return Path(self.root)

    def child(self, rel: str) -> str:
        """Where an output nested under this one lives, as `--out` would take it (URI options kept)."""
        if self.local:
            return f"{self.root}/{rel}"
        base, sep, query = self.where.partition("?")
        return f"{base.rstrip('/')}/{rel}{sep}{query}"

    def full(self, rel: str) -> str:
        return f"{self.root}/{rel}" if rel else self.root

    def display(self, rel: str) -> str:
        return f"{self.uri}/{rel}"

    # reading ------------------------------------------------------------------------------

    def exists(self, rel: str) -> bool:
        return self.size(rel) is not None

    def size(self, rel: str) -> int | None:
        """Bytes of a file, or None when there is none."""
        if self.local:
            try:
                return os.stat(self.full(rel)).st_size
            except FileNotFoundError:
                return None
        import pyarrow.fs as pafs

        info = self.fs.get_file_info(self.full(rel))
        return info.size if info.type == pafs.FileType.File else None

    def _names(self, folder: str) -> list[str]:
        """Names of the files directly in `folder` (none when it does not exist)."""
        if self.local:
            try:
                return [e.name for e in os.scandir(self.full(folder)) if e.is_file()]
            except FileNotFoundError:
                return []
        import pyarrow.fs as pafs

        sel = pafs.FileSelector(self.full(folder), allow_not_found=True)
        return [i.base_name for i in self.fs.get_file_info(sel) if i.type == pafs.FileType.File]

    def folders(self, folder: str) -> list[str]:
        """Sorted names of the folders directly in `folder` (object stores: the key prefixes there)."""
        if self.local:
            try:
                return sorted(e.name for e in os.scandir(self.full(folder)) if e.is_dir())
            except FileNotFoundError:
                return []
        import pyarrow.fs as pafs

        sel = pafs.FileSelector(self.full(folder), allow_not_found=True)
        return sorted(i.base_name for i in self.fs.get_file_info(sel) if i.type == pafs.FileType.Directory)

    def list(self, folder: str, prefix: str = "", suffix: str = "") -> list[str]:
        """Sorted names of the files directly in `folder` that match; hidden temporaries never."""
        return sorted(n for n in self._names(folder)
                      if n.startswith(prefix) and n.endswith(suffix) and not n.startswith("."))

    def read_bytes(self, rel: str) -> bytes:
        if self.local:
            return Path(self.full(rel)).read_bytes()
        with self._open_input(rel) as f:
            return f.read()

    def read_text(self, rel: str) -> str:
        return self.read_bytes(rel).decode()

    def open_read(self, rel: str):
        """A seekable binary file (tarfile reads members by offset)."""
        if self.local:
            return open(self.full(rel), "rb")
        return self._open_input(rel)

    def _open_input(self, rel: str):
        try:
            return self.fs.open_input_file(self.full(rel))
        except FileNotFoundError:
            raise
        except OSError as exc:  # pyarrow says "Path does not exist" as an OSError on some stores
            if self.size(rel) is None:
                raise FileNotFoundError(self.display(rel)) from exc
            raise

    # writing ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def open_write(self, rel: str) -> Iterator:
        """A binary stream whose file appears under `rel` whole, when the block exits cleanly, or not at all."""
        folder, _, name = rel.rpartition("/")
        tmp_rel = f"{folder}/.{name}.{uuid.uuid4().hex[:8]}.tmp" if folder else f".{name}.{uuid.uuid4().hex[:8]}.tmp"
        if self.local:
            os.makedirs(os.path.dirname(self.full(rel)), exist_ok=True)
            tmp = self.full(tmp_rel)
            try:
                with open(tmp, "wb") as f:
                    yield f
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, self.full(rel))
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
                raise
            return
        stream = self.fs.open_output_stream(self.full(tmp_rel))
        try:
            yield stream
        except BaseException:
            with contextlib.suppress(Exception):
                stream.close()
                self.fs.delete_file(self.full(tmp_rel))
            raise
        stream.close()
        self.fs.move(self.full(tmp_rel), self.full(rel))

    def write_bytes(self, rel: str, data: bytes) -> None:
        with self.open_write(rel) as f:
            f.write(data)

    def write_text(self, rel: str, text: str) -> None:
        self.write_bytes(rel, text.encode())

    def write_json(self, rel: str, obj) -> None:
        self.write_text(rel, json.dumps(obj, indent=1, sort_keys=True, ensure_ascii=False) + "\n")

    def delete(self, rel: str) -> None:
        if self.local:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.full(rel))
            return
        with contextlib.suppress(FileNotFoundError):
            self.fs.delete_file(self.full(rel))

    def delete_dir(self, rel: str) -> None:
        if self.local:
            import shutil

            shutil.rmtree(self.full(rel), ignore_errors=True)
            return
        with contextlib.suppress(FileNotFoundError):
            self.fs.delete_dir(self.full(rel))

    def make_root(self) -> None:
        if self.local:
            os.makedirs(self.root, exist_ok=True)
        else:
            self.fs.create_dir(self.root, recursive=True)

    def sweep_temporaries(self, folders: tuple[str, ...]) -> int:
        """Remove hidden `.*.tmp` files a crashed writer left in `folders` ("" is the output's root); returns how many."""
        removed = 0
        for folder in folders:
            for name in self._names(folder):
                if name.startswith(".") and name.endswith(".tmp"):
                    self.delete(f"{folder}/{name}" if folder else name)
                    removed += 1
        return removed

    # one run at a time --------------------------------------------------------------------

    def lock(self):
        """Hold the output for this run; raises OutputBusy when another run holds it. Close to release."""
        self.make_root()
        if self.local:
            handle = open(self.full(".lock"), "w")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                raise OutputBusy(f"{self.uri} is being written by another omnisynth run") from None
            return handle
        return _Lease(self)


def _dead_here(held: dict) -> bool:
    """The lease's holder ran on this machine and its process is gone (a crash or kill: resume at once)."""
    if held.get("host") != socket.gethostname():
        return False
    try:
        os.kill(int(held.get("pid", 0)), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, ValueError, OSError):
        return False
    return False


class _Lease:
    """A lock for stores without one: a `.lock` file renewed in the background while the run lives."""

    def __init__(self, store: Store):
        self.store, self.token = store, uuid.uuid4().hex
        held = self._read()
        if held is not None and held.get("token") != self.token:
            age = time.time() - float(held.get("renewed", 0))
            if age < LEASE_S and not _dead_here(held):
                raise OutputBusy(f"{store.uri} is being written by another omnisynth run "
                                 f"(pid {held.get('pid')} on {held.get('host')}, lease renewed {age:.0f} s ago; "
                                 f"a dead run's lease expires after {LEASE_S:.0f} s)")
        # the root's temporaries of a run that died writing its lease or manifest: ours is not started yet
        store.sweep_temporaries(("",))
        self._write()
        time.sleep(0.5)  # two runs that started together: the later write wins, the other one backs off
        if (self._read() or {}).get("token") != self.token:
            raise OutputBusy(f"{store.uri} was claimed by another omnisynth run at the same moment")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew, name="omnisynth-lease", daemon=True)
        self._thread.start()

    def _read(self) -> dict | None:
        try:
            return json.loads(self.store.read_text(".lock"))
        except (FileNotFoundError, ValueError):
            return None

    def _write(self) -> None:
        self.store.write_json(".lock", {"token": self.token, "renewed": time.time(), "pid": os.getpid(),
                                        "host": socket.gethostname()})

    def _renew(self) -> None:
        while not self._stop.wait(LEASE_RENEW_S):
            with contextlib.suppress(Exception):  # a missed renewal is retried; the lease outlives several
                self._write()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        if (self._read() or {}).get("token") == self.token:
            self.store.delete(".lock")


def as_store(where: Store | str | Path) -> Store:
    return where if isinstance(where, Store) else Store(where)
