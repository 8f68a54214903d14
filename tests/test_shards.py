"""Tar writing and reading: reproducible bytes, and no path traversal when reading."""

from __future__ import annotations

import io
import tarfile

import pytest

from omnisynth.datasets.shards import iter_tar_samples, write_tar
from omnisynth.datasets.store import Store


def test_write_tar_is_reproducible(tmp_path):
    members = [("a/k1.json", b"{}"), ("a/k1.png", b"x"), ("k2.json", b"[]")]
    size1, sha1 = write_tar(Store(tmp_path), "one.tar", members)
    size2, sha2 = write_tar(Store(tmp_path), "two.tar", members)
    assert (size1, sha1) == (size2, sha2)
    assert [(k, sorted(m)) for k, m in iter_tar_samples(tmp_path / "one.tar")] == [("a/k1", ["json", "png"]),
                                                                                  ("k2", ["json"])]


@pytest.mark.parametrize("name", ["../evil.json", "/etc/evil.json", "a/../../evil.json"])
def test_writer_refuses_unsafe_names(tmp_path, name):
    with pytest.raises(ValueError, match="refusing tar member name"):
        write_tar(Store(tmp_path), "x.tar", [(name, b"{}")])
    assert list(tmp_path.iterdir()) == []  # the refused write left no temporary behind


@pytest.mark.parametrize("name, kind", [("../evil.json", tarfile.REGTYPE), ("/abs.json", tarfile.REGTYPE),
                                        ("link.json", tarfile.SYMTYPE)])
def test_reader_refuses_traversal_and_links_and_writes_nothing(tmp_path, name, kind):
    path = tmp_path / "bad.tar"
    with tarfile.open(path, "w") as tar:
        tar.addfile(tarfile.TarInfo("ok.json"), io.BytesIO(b""))
        info = tarfile.TarInfo(name)
        info.type = kind
        info.linkname = "/etc/passwd" if kind == tarfile.SYMTYPE else ""
        data = b"{}" if kind == tarfile.REGTYPE else b""
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    before = sorted(p.name for p in tmp_path.parent.iterdir())
    with pytest.raises(ValueError, match="unsafe tar member"):
        list(iter_tar_samples(path))
    assert sorted(p.name for p in tmp_path.parent.iterdir()) == before


def test_store_writes_whole_files_or_nothing_and_sweeps_what_a_crash_left(tmp_path):
    store = Store(tmp_path)
    store.write_json("state/a.json", {"x": 1})
    assert store.read_text("state/a.json").strip() == '{\n "x": 1\n}'
    with pytest.raises(RuntimeError, match="crash"), store.open_write("state/b.json") as f:
        f.write(b"half")
        raise RuntimeError("crash mid-write")
    assert sorted(p.name for p in (tmp_path / "state").iterdir()) == ["a.json"]  # no b.json, no temporary
    (tmp_path / "state" / ".c.json.1234abcd.tmp").write_bytes(b"torn")  # what a SIGKILL mid-write leaves
    assert store.list("state") == ["a.json"]
    assert store.sweep_temporaries(("state", "absent")) == 1
    assert sorted(p.name for p in (tmp_path / "state").iterdir()) == ["a.json"]
    assert store.size("state/a.json") == (tmp_path / "state" / "a.json").stat().st_size and store.size("nope") is None
    assert store.folders(".") == ["state"] and store.folders("absent") == []


def test_a_local_store_travels_to_workers_as_an_absolute_path(tmp_path, monkeypatch):
    import pickle

    monkeypatch.chdir(tmp_path)
    store = Store("out/run")
    monkeypatch.chdir("/")
    moved = pickle.loads(pickle.dumps(store))  # what a Ray worker with another cwd receives
    assert moved.root == str(tmp_path / "out" / "run") and moved.local
    moved.write_json("state/x.json", {})
    assert (tmp_path / "out" / "run" / "state" / "x.json").exists()
