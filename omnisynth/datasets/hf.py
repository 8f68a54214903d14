"""Hugging Face `datasets` features for an output folder, so its WebDataset loader reads every recipe's shards.

Hugging Face's `webdataset` builder guesses the column types from a shard's first five
samples. Two guesses break on our output (field cases 17 and 18): a `.wav` member becomes an
`Audio` column, whose encoding needs `torchcodec` (whose PyPI wheels are CUDA builds that do
not load beside the CPU torch); and a JSON field that is an empty list in those five samples
(`events: []` of silent clips) is typed as a list of nulls, so the first sample with an event
fails to cast. `features(out)` gives the builder the types instead: the `json` member as
`datasets.Json()` (any shape, stored as JSON text, read back as Python objects), images as
`Image()`, audio and video members as raw bytes (`Value("binary")`; `Audio()`/`Video()` when
torchcodec imports), so nothing is guessed:

    from datasets import load_dataset
    from omnisynth.datasets.hf import features, tar_files
    ds = load_dataset("webdataset", data_files={"train": tar_files(OUT)}, features=features(OUT), split="train")

`datasets.Json` arrived in datasets 5 (the `hf` extra pins it).
"""

from __future__ import annotations

import tarfile
from pathlib import Path

IMAGE_EXTENSIONS = ("png", "jpg", "jpeg", "webp")
AUDIO_EXTENSIONS = ("wav", "flac", "mp3", "ogg")
VIDEO_EXTENSIONS = ("mp4", "webm", "mkv")


def tar_files(out: str | Path) -> list[str]:
    """The output folder's finished shards, in order (what `data_files` wants)."""
    return [str(p) for p in sorted(Path(out, "shards").glob("*.tar"))]


def members(out: str | Path) -> list[str]:
    """The member names a sample of this output has ("json", "png", "f00.jpg", "wav", ...), from its first sample.

    Raises FileNotFoundError when the folder has no non-empty shard.
    """
    for tar_path in tar_files(out):
        with tarfile.open(tar_path) as tar:
            first, names = None, []
            for info in tar:
                key, _, ext = info.name.partition(".")
                if first is None:
                    first = key
                if key != first:
                    break
                names.append(ext)
            if names:
                return names
    raise FileNotFoundError(f"{out}: no samples in shards/*.tar")


def features(out: str | Path):
    """`datasets.Features` for the samples of `out` (see the module docstring); needs `datasets` >= 5."""
    import datasets

    try:
        import torchcodec  # noqa: F401 - Audio/Video columns encode and decode through it
        media = True
    except Exception:  # absent, or a CUDA build that does not load here
        media = False
    cols = {"__key__": datasets.Value("string"), "__url__": datasets.Value("string")}
    for name in members(out):
        ext = name.rsplit(".", 1)[-1].lower()
        if name == "json":
            cols[name] = datasets.Json()
        elif ext in IMAGE_EXTENSIONS:
            cols[name] = datasets.Image()
        elif ext in AUDIO_EXTENSIONS:
            cols[name] = datasets.Audio() if media else datasets.Value("binary")
        elif ext in VIDEO_EXTENSIONS:
            cols[name] = datasets.Video() if media else datasets.Value("binary")
        else:
            cols[name] = datasets.Value("binary")
    return datasets.Features(cols)
