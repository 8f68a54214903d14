"""End to end on a real local Ray: shards read back with `webdataset`, determinism, verify."""

from __future__ import annotations

import io
import json
import shutil
import tarfile

import pytest
from PIL import Image

from omnisynth.datasets.verify import verify
from omnisynth.generators.handbook import HANDBOOK_LICENCE

pytestmark = pytest.mark.slow


def shard_bytes(out):
    return {p.name: p.read_bytes() for p in sorted((out / "shards").glob("*.tar"))}


def read_back(out):
    """Every sample through the webdataset library itself, decoded."""
    import webdataset as wds

    urls = [str(p) for p in sorted((out / "shards").glob("*.tar"))]
    return list(wds.WebDataset(urls, shardshuffle=False).decode("pil"))


@pytest.mark.parametrize(
    "name, overrides",
    [
        ("doc_qa", {}),
        ("doc_grounding", {}),
        ("doc_long_qa", {"generator__pages": [2, 3], "generator__dpi": 72,
                         "generator__families": ["report", "invoice", "table", "chart"]}),
    ],
)
def test_recipe_end_to_end_reads_back_with_webdataset(run_recipe, name, overrides):
    out, summary = run_recipe(name, num_samples=24, output__samples_per_shard=10, runtime__rows_per_task=4,
                              **overrides)
    manifest = json.loads((out / "manifest.json").read_text())
    assert summary.kept + summary.rejected == 24 == manifest["kept"] + manifest["rejected"]
    assert summary.kept >= 23, manifest["rejected_by_reason"]
    assert [s["samples"] + s["rejected"] for s in manifest["shards"]] == [10, 10, 4]
    samples = read_back(out)
    assert len(samples) == manifest["kept"]
    keys = [s["__key__"] for s in samples]
    assert len(set(keys)) == len(keys) and all("." not in k for k in keys)
    assert keys == sorted(keys)  # index order inside and across shards
    for s in samples:
        sample = s["json"]
        assert sample["key"] == s["__key__"] and sample["recipe"] == name
        assert sample["provenance"]["engine"] == "oracle" and sample["provenance"]["config_hash"] == manifest["config_hash"]
        # the running text is the bundled handbook's, named section by section (tests/test_prose.py reads it)
        assert sample["provenance"]["text_licence"] == HANDBOOK_LICENCE
        assert sample["provenance"]["text_sources"] and all(
            t.startswith("debian-handbook/") for t in sample["provenance"]["text_sources"])
        for media in sample["media"]:
            image = s[media["member"]]
            assert isinstance(image, Image.Image) and image.size == (media["width"], media["height"])
        for g in sample["grounding"]:
            x0, y0, x1, y1 = g["bbox_px"]
            assert 0 <= x0 < x1 <= g["image_size"][0] and 0 <= y0 < y1 <= g["image_size"][1]
    assert not list((out / "staging").iterdir())
    report = verify(out)
    assert report.errors == [] and report.samples == manifest["kept"]
    assert manifest["filters"]["ground_truth"]["seen"] == manifest["filters"]["schema"]["kept"]
    assert manifest["run"]["steady_samples_per_s"] > 0 and manifest["run"]["processed"] == 24
    stats = (out / manifest["run"]["ray_data_stats"]).read_text()  # Ray Data's per-operator timing
    assert "MapBatches(ExpandUnit)" in stats and "Remote wall time" in stats
    assert set(manifest["stage_seconds"]) == {"render", "annotate", "filter"}
    assert manifest["stage_seconds"]["render"] > manifest["stage_seconds"]["annotate"] > 0
    assert all(len(s["nodes"]) == 1 and len(s["nodes"][0]) == 56 for s in manifest["shards"])  # one local node


def test_same_recipe_and_seed_give_identical_bytes_on_any_parallelism(run_recipe, tmp_path):
    a, _ = run_recipe("doc_qa", tmp_path / "a", num_samples=20, output__samples_per_shard=8, runtime__rows_per_task=8)
    b, _ = run_recipe("doc_qa", tmp_path / "b", num_samples=20, output__samples_per_shard=8, runtime__rows_per_task=1)
    c, _ = run_recipe("doc_qa", tmp_path / "c", num_samples=20, output__samples_per_shard=8, seed=1)
    assert shard_bytes(a) == shard_bytes(b)
    assert shard_bytes(a) != shard_bytes(c)
    with tarfile.open(a / "shards" / "shard-000000.tar") as tar:
        infos = tar.getmembers()
    assert {(i.mtime, i.uid, i.gid, i.uname, i.mode) for i in infos} == {(0, 0, 0, "", 0o644)}
    assert [i.name for i in infos][:4] == ["doc_qa-s0-000000000.json", "doc_qa-s0-000000000.png",
                                           "doc_qa-s0-000000001.json", "doc_qa-s0-000000001.png"]


@pytest.fixture(scope="module")
def small_output(ray_session, tmp_path_factory):
    from omnisynth.pipelines.runner import run
    from omnisynth.schemas.recipe import load_recipe

    out = tmp_path_factory.mktemp("small") / "doc_qa"
    run(load_recipe("doc_qa", [("num_samples", 12), ("output.samples_per_shard", 6)]), out)
    return out


def damaged_copy(src, dst, damage):
    shutil.copytree(src, dst)
    damage(dst)
    return verify(dst)


def flip_byte(out):
    path = out / "shards" / "shard-000001.tar"
    data = bytearray(path.read_bytes())
    data[700] ^= 0x01  # inside the first member's JSON
    path.write_bytes(bytes(data))


def test_verify_catches_a_flipped_byte(small_output, tmp_path):
    assert verify(small_output).errors == []
    report = damaged_copy(small_output, tmp_path / "x", flip_byte)
    assert any("shards/shard-000001.tar: sha256" in e for e in report.errors), report.errors


def test_verify_names_the_shard_and_member_of_a_truncated_tar(small_output, tmp_path):
    def truncate(out):
        path = out / "shards" / "shard-000000.tar"
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])

    report = damaged_copy(small_output, tmp_path / "t", truncate)
    text = "\n".join(report.errors)
    assert "shards/shard-000000.tar: unreadable tar after member group 'doc_qa-s0-00000000" in text, text
    assert "ReadError: unexpected end of data" in text and "shards/shard-000000.tar: sha256" in text


def test_verify_catches_missing_extra_and_bad_members(small_output, tmp_path):
    report = damaged_copy(small_output, tmp_path / "m", lambda o: (o / "shards" / "shard-000000.tar").unlink())
    assert "shards/shard-000000.tar: missing" in report.errors
    report = damaged_copy(small_output, tmp_path / "e",
                          lambda o: shutil.copy(o / "shards" / "shard-000000.tar", o / "shards" / "stray.tar"))
    assert "shards/stray.tar: not listed in the manifest" in report.errors

    def bad_png_and_schema(o):
        path = o / "shards" / "shard-000000.tar"
        with tarfile.open(path) as tar:
            members = [(i, tar.extractfile(i).read()) for i in tar.getmembers()]
        with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as tar:
            for info, data in members:
                if info.name.endswith("000000001.png"):
                    data = data[:200]
                if info.name.endswith("000000002.json"):
                    sample = json.loads(data)
                    sample["grounding"][0]["bbox_px"] = "nowhere"
                    data = json.dumps(sample).encode()
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))

    report = damaged_copy(small_output, tmp_path / "b", bad_png_and_schema)
    text = "\n".join(report.errors)
    assert "doc_qa-s0-000000001.png: does not decode" in text
    assert "doc_qa-s0-000000002.json: schema: grounding/0/bbox_px" in text


def test_rerun_of_finished_output_is_a_no_op_and_other_config_is_refused(small_output, ray_session):
    from omnisynth.datasets.manifest import OutputMismatch
    from omnisynth.pipelines.runner import run
    from omnisynth.schemas.recipe import load_recipe

    before = shard_bytes(small_output)
    leftover = small_output / "staging" / "shard-000000" / "part-000000000-00006-deadbeef.tar"
    leftover.parent.mkdir(parents=True, exist_ok=True)  # as a run killed between commit and cleanup leaves it
    leftover.write_bytes(b"torn")
    summary = run(load_recipe("doc_qa", [("num_samples", 12), ("output.samples_per_shard", 6)]), small_output)
    assert summary.processed == 0 and summary.resumed_shards == 2 and shard_bytes(small_output) == before
    assert not leftover.parent.exists()  # a finished shard's staging is swept on resume
    with pytest.raises(OutputMismatch, match="num_samples|config_hash"):
        run(load_recipe("doc_qa", [("num_samples", 13), ("output.samples_per_shard", 6)]), small_output)


def test_a_second_run_into_a_busy_folder_is_refused(tmp_path):
    from omnisynth.datasets.manifest import OutputMismatch, claim_output
    from omnisynth.datasets.store import Store
    from omnisynth.pipelines.runner import run
    from omnisynth.schemas.recipe import load_recipe

    recipe = load_recipe("doc_qa", [("num_samples", 4)])
    lock = claim_output(Store(tmp_path / "busy"), recipe, {})
    try:
        with pytest.raises(OutputMismatch, match="being written by another omnisynth run"):
            run(recipe, tmp_path / "busy")
    finally:
        lock.close()
