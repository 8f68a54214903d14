"""The command line as a user runs it: list, run, inspect with a contact sheet, verify."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from omnisynth.schemas.recipe import bundled_recipes


def omnisynth(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "omnisynth", *args], capture_output=True, text=True, timeout=timeout)


def test_list_shows_every_recipe_with_its_description():
    proc = omnisynth("list")
    assert proc.returncode == 0
    lines = proc.stdout.strip().splitlines()
    assert [line.split()[0] for line in lines] == sorted(bundled_recipes())
    assert all(len(line.split(None, 1)) == 2 for line in lines)


@pytest.mark.slow
def test_run_inspect_verify_from_the_command_line(tmp_path):
    out = tmp_path / "doc_grounding"
    proc = omnisynth("run", "doc_grounding", "--out", str(out), "--num-samples", "8", "--seed", "3",
                     "--engine", "oracle", "--set", "output.samples_per_shard=4")
    assert proc.returncode == 0, proc.stderr
    assert "kept      8" in proc.stdout and "samples/s" in proc.stdout and str(out) in proc.stdout
    assert "8/8 samples" in proc.stderr  # progress
    sheet = tmp_path / "sheet.png"
    proc = omnisynth("inspect", str(out), "--n", "3", "--png", str(sheet))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("== doc_grounding-s3-") == 3
    assert "Q: " in proc.stdout and "A: [" in proc.stdout and "box png px=" in proc.stdout
    img = np.asarray(Image.open(sheet).convert("RGB")).astype(int)
    green = (np.abs(img - [0, 170, 60]).max(axis=2) < 10).sum()
    assert green > 100, "grounding boxes are drawn"
    proc = omnisynth("inspect", str(out / "shards" / "shard-000001.tar"), "--n", "10")
    assert proc.stdout.count("== doc_grounding-s3-") == 4
    proc = omnisynth("verify", str(out))
    assert proc.returncode == 0 and "8 samples: OK" in proc.stdout
    (out / "shards" / "shard-000000.tar").write_bytes(b"garbage")
    proc = omnisynth("verify", str(out))
    assert proc.returncode == 1 and "shard-000000.tar" in proc.stderr


def test_inspect_and_verify_say_what_is_wrong_with_a_bad_path(tmp_path):
    proc = omnisynth("inspect", str(tmp_path / "nothing"))
    assert proc.returncode == 2 and "no such file or folder" in proc.stderr
    proc = omnisynth("verify", str(tmp_path))
    assert proc.returncode == 1 and "manifest.json: missing" in proc.stderr
