"""Tar writing and reading: reproducible bytes, and no path traversal when reading."""

from __future__ import annotations

import io
import tarfile

import pytest

from omnisynth.datasets.shards import iter_tar_samples, write_tar


def test_write_tar_is_reproducible(tmp_path):
    members = [("a/k1.json", b"{}"), ("a/k1.png", b"x"), ("k2.json", b"[]")]
    size1, sha1 = write_tar(tmp_path / "one.tar", members)
    size2, sha2 = write_tar(tmp_path / "two.tar", members)
    assert (size1, sha1) == (size2, sha2)
    assert [(k, sorted(m)) for k, m in iter_tar_samples(tmp_path / "one.tar")] == [("a/k1", ["json", "png"]),
                                                                                  ("k2", ["json"])]


@pytest.mark.parametrize("name", ["../evil.json", "/etc/evil.json", "a/../../evil.json"])
def test_writer_refuses_unsafe_names(tmp_path, name):
    with pytest.raises(ValueError, match="refusing tar member name"):
        write_tar(tmp_path / "x.tar", [(name, b"{}")])


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
