"""Our shards read unchanged by the consumers training stacks use: webdataset and Hugging Face.

Counts read by each consumer are compared with the manifest exactly: both libraries can
drop or refuse samples quietly or wholesale when members or JSON shapes differ.
"""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.slow

RECIPES = {
    # negative samples among the rest: empty grounding/evidence lists beside full ones in one shard
    "doc_qa": {"task.question_types": {"region": 1, "key_value": 1, "table_cell": 1, "chart_value": 1,
                                       "unanswerable": 1}},
    "doc_grounding": {},
    "doc_long_qa": {"generator.pages": [2, 4], "generator.dpi": 60,
                    "generator.families": ["report", "invoice", "table", "chart"]},
    "pdf_corpus_qa": {"generator.dpi": 60},
    "pdf_long_qa": {"generator.dpi": 60, "generator.max_pages_per_file": 6},  # unanswerable among them
    "gui_grounding": {"generator.scales": [1.0], "generator.viewports": [[1280, 720]]},
    "gui_actions": {"generator.scales": [1.0], "generator.viewports": [[1280, 720]]},
    # clips: frames + a wav member; silent clips first (events: []), then one with sound and a cut
    "av_temporal_qa": {"num_samples": 8, "generator.duration_s": [4.0, 5.0], "generator.scenes": [1, 2]},
    "video_corpus_caption": {"num_samples": "all", "generator.frames": 4, "seed": 7},  # seed 7: the sound comes last
}


def _silent_then_sound(folder):
    """Field case 18's kind: six silent still clips, then one with sound and a cut (names sort it last)."""
    import subprocess

    folder.mkdir()
    ff = ["ffmpeg", "-v", "error", "-y"]
    for i, src in enumerate(["smptebars", "pal75bars", "rgbtestsrc", "yuvtestsrc", "smptehdbars", "pal100bars"]):
        subprocess.run(ff + ["-f", "lavfi", "-i", f"{src}=size=160x120:rate=25:duration=2", "-c:v", "libx264",
                             "-pix_fmt", "yuv420p", str(folder / f"a{i}.mp4")], check=True)
    subprocess.run(ff + ["-f", "lavfi", "-i", "smptebars=size=160x120:rate=25:duration=1[a];rgbtestsrc=size=160x120:"
                         "rate=25:duration=1,hflip,negate[b];[a][b]concat=n=2:v=1:a=0", "-f", "lavfi", "-i",
                         "sine=frequency=600:duration=2", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
                         str(folder / "z_sound_and_cut.mp4")], check=True)


@pytest.fixture(scope="module")
def outputs(ray_session, tmp_path_factory, corpus):
    from omnisynth.pipelines.runner import run
    from omnisynth.schemas.recipe import load_recipe

    root = tmp_path_factory.mktemp("consumers")
    folders = {}
    for name, overrides in RECIPES.items():
        extra = dict(overrides)
        if name in ("pdf_corpus_qa", "pdf_long_qa"):
            extra["generator.path"] = str(corpus / "pdfs")
        if name == "video_corpus_caption":
            _silent_then_sound(root / "videos")
            extra["generator.path"] = str(root / "videos")
        recipe = load_recipe(name, [("num_samples", 30), ("output.samples_per_shard", 12), *extra.items()])
        run(recipe, root / name)
        folders[name] = root / name
    return folders


def manifest(out):
    return json.loads((out / "manifest.json").read_text())


def tars(out):
    return sorted(str(p) for p in (out / "shards").glob("*.tar"))


def expected_keys(out):
    import webdataset as wds

    return [s["__key__"] for s in wds.WebDataset(tars(out), shardshuffle=False)]


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_webdataset_decodes_every_sample(outputs, name):
    import webdataset as wds

    out = outputs[name]
    samples = list(wds.WebDataset(tars(out), shardshuffle=False).decode("pil"))
    assert len(samples) == manifest(out)["kept"] > 0
    for s in samples:
        members = {m["member"] for m in s["json"]["media"]}
        images = {m["member"] for m in s["json"]["media"] if m["modality"] == "image"}
        assert members <= set(s) and all(s[m].size == (1, 1) or s[m].width >= 160 for m in images)
        assert all(s[m][:4] == b"RIFF" for m in members - images if m == "wav")


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_hugging_face_loads_every_sample(outputs, name, tmp_path, monkeypatch):
    """The README's loader: the column types from `omnisynth.datasets.hf.features`, none guessed (field
    cases 17 and 18: a wav member needs no torchcodec; empty lists first do not fix a field's type)."""
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from datasets import load_dataset

    from omnisynth.datasets.hf import features, tar_files

    out = outputs[name]
    ds = load_dataset("webdataset", data_files={"train": tar_files(out)}, features=features(out), split="train",
                      cache_dir=str(tmp_path / "hf"))
    assert len(ds) == manifest(out)["kept"]
    assert ds["__key__"] == expected_keys(out)
    first = ds[0]
    sample = first["json"]
    assert sample["key"] == first["__key__"] and sample["question"] and sample["answers"][0] == sample["answer"]
    image = first[sample["media"][0]["member"]]
    assert image.size == (sample["media"][0]["width"], sample["media"][0]["height"])
    if "wav" in ds.features:
        assert first["wav"][:4] == b"RIFF"
    if name == "video_corpus_caption":
        events = [len(row["json"]["events"]) for row in ds]
        assert events[:5] == [0] * 5 and events[-1] >= 2, events  # what the builder's guess broke on


def energon_samples(out, **kwargs):
    from megatron.energon import WorkerConfig, get_loader, get_val_dataset

    worker_config = WorkerConfig(rank=0, world_size=1, num_workers=0)
    ds = get_val_dataset(out, split_part="train", batch_size=None, worker_config=worker_config, **kwargs)
    return list(get_loader(ds))


@pytest.mark.parametrize("name", ["doc_qa", "doc_grounding", "pdf_corpus_qa", "gui_grounding", "gui_actions"])
def test_energon_reads_single_image_tasks_as_vqa_samples(outputs, name):
    from megatron.energon import VQASample

    out = outputs[name]
    assert manifest(out)["run"]["energon"] == ".nv-meta"
    samples = energon_samples(out)
    assert len(samples) == manifest(out)["kept"]
    by_key = {json.loads(s["json"])["key"]: json.loads(s["json"]) for s in _raw(out)}
    for batch in samples:
        assert isinstance(batch, VQASample)
    for sample in samples:
        truth = by_key[sample.__key__.rsplit("/", 1)[-1]]
        assert sample.context == truth["question"] and sample.answers == truth["answers"]
        assert tuple(sample.image.shape) == (3, truth["media"][0]["height"], truth["media"][0]["width"])


def _raw(out):
    import webdataset as wds

    return list(wds.WebDataset(tars(out), shardshuffle=False))


@pytest.mark.parametrize("name", ["doc_long_qa", "pdf_long_qa", "av_temporal_qa", "video_corpus_caption"])
def test_energon_cooks_multi_image_samples_into_typed_samples(outputs, name):
    from omnisynth.datasets.energon_cookers import MultiImageVQASample, OmnisynthTaskEncoder

    out = outputs[name]
    samples = energon_samples(out, task_encoder=OmnisynthTaskEncoder())
    assert len(samples) == manifest(out)["kept"]
    raw = {json.loads(s["json"])["key"]: json.loads(s["json"]) for s in _raw(out)}
    for s in samples:
        assert isinstance(s, MultiImageVQASample)
        truth = raw[s.meta["key"]]
        images = [m for m in truth["media"] if m["modality"] == "image"]
        assert s.context == truth["question"] and s.answers == truth["answers"]
        if name in ("doc_long_qa", "pdf_long_qa"):
            assert len(s.images) == truth["meta"]["pages"] >= 2  # blank padding members dropped
            assert s.boxes.shape == (len(truth["grounding"]), 4) and s.box_pages == [g["page"] for g in truth["grounding"]]
        else:  # clips: the sampled frames, in time order
            assert len(s.images) == len(images) >= 4
        for image, media in zip(s.images, images, strict=False):
            assert tuple(image.shape) == (3, media["height"], media["width"])


def test_energon_lint_passes_and_cli_rewrites_metadata_with_a_split(outputs, tmp_path):
    import shutil
    import subprocess
    import sys

    out = tmp_path / "copy"
    shutil.copytree(outputs["doc_qa"], out)
    proc = subprocess.run([sys.executable, "-m", "omnisynth", "energon", str(out), "--split", "0.5", "0.5", "0"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    split = (out / ".nv-meta" / "split.yaml").read_text()
    assert "train:" in split and "val:" in split
    lint = subprocess.run([sys.executable, "-m", "megatron.energon.cli.main", "lint", str(out), "--split-parts",
                           "train,val"], capture_output=True, text=True, timeout=300)
    assert lint.returncode == 0, lint.stdout + lint.stderr


@pytest.mark.parametrize("name", ["doc_qa", "doc_long_qa"])
def test_stats_count_what_the_shards_hold(outputs, name):
    import subprocess
    import sys

    out = outputs[name]
    proc = subprocess.run([sys.executable, "-m", "omnisynth", "stats", str(out), "--json"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    st = json.loads(proc.stdout)
    samples = [json.loads(s["json"]) for s in _raw(out)]
    assert st["kept"] == manifest(out)["kept"] == len(samples) == sum(st["by_task"].values())
    assert st["rejected"] == manifest(out)["rejected"]
    tasks = {}
    for s in samples:
        tasks[s["task"]] = tasks.get(s["task"], 0) + 1
    assert st["by_task"] == dict(sorted(tasks.items(), key=lambda kv: (-kv[1], kv[0])))
    assert st["by_pages"] == {str(p): sum(1 for s in samples if s["meta"]["pages"] == p)
                              for p in sorted({s["meta"]["pages"] for s in samples})}
    assert st["answer_chars"]["max"] == max(len(s["answer"]) for s in samples)
    for family, d in st["density_by_family"].items():  # the means of what each sample's meta.density says
        mine = [s["meta"]["density"] for s in samples if s["meta"]["family"] == family]
        assert d["samples"] == len(mine) > 0
        assert d["words_per_page"] == pytest.approx(sum(m["words_per_page"] for m in mine) / len(mine), abs=0.06)
        assert d["fonts"] == sorted({f for m in mine for f in m["fonts"]})
    assert set(st["density_by_family"]) == {s["meta"]["family"] for s in samples}
    text = subprocess.run([sys.executable, "-m", "omnisynth", "stats", str(out)], capture_output=True, text=True,
                          timeout=120).stdout
    assert f"{st['kept']} kept" in text and "by task:" in text and "density by family" in text


def test_mix_makes_a_dataset_every_consumer_reads(outputs, tmp_path, monkeypatch):
    import subprocess
    import sys

    from omnisynth.datasets.verify import verify

    def mix(out, *sources, n=20, seed=0):
        args = [sys.executable, "-m", "omnisynth", "mix", str(out), "--num-samples", str(n), "--seed", str(seed),
                "--samples-per-shard", "8"]
        for s in sources:
            args += ["--from", s]
        return subprocess.run(args, capture_output=True, text=True, timeout=300)

    a, b = outputs["doc_qa"], outputs["gui_grounding"]  # documents and screens: one JSON shape
    proc = mix(tmp_path / "m1", f"{a}:0.7", f"{b}:0.3")
    assert proc.returncode == 0, proc.stderr
    assert "14  from" in proc.stdout and "6  from" in proc.stdout
    out = tmp_path / "m1"
    assert verify(out).errors == []
    samples = [json.loads(s["json"]) for s in _raw(out)]
    assert len(samples) == 20 and len({s["key"] for s in samples}) == 20
    assert sum(s["recipe"] == "doc_qa" for s in samples) == 14
    assert sum(s["recipe"] == "gui_grounding" for s in samples) == 6
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    from datasets import load_dataset

    assert len(load_dataset("webdataset", data_files={"train": tars(out)}, split="train",
                            cache_dir=str(tmp_path / "hf"))) == 20
    assert len(energon_samples(out)) == 20
    assert mix(tmp_path / "m2", f"{a}:0.7", f"{b}:0.3").returncode == 0
    assert [p.read_bytes() for p in sorted((tmp_path / "m1" / "shards").glob("*.tar"))] == \
        [p.read_bytes() for p in sorted((tmp_path / "m2" / "shards").glob("*.tar"))]

    refused = mix(tmp_path / "m3", f"{a}:1", f"{outputs['doc_long_qa']}:1")
    assert refused.returncode == 2 and "different member sets" in refused.stderr
    refused = mix(tmp_path / "m4", f"{a}:1", n=1000)
    assert refused.returncode == 2 and "the mix asks for 1000" in refused.stderr
    refused = mix(tmp_path / "m5", f"{a}:0.5", f"{a}:0.5")
    assert refused.returncode == 2 and "is in both" in refused.stderr
