"""Hash every bundled recipe's shards: the byte-identity check for refactors.

Runs each bundled recipe with the oracle engine, a fixed seed and sample count, into a
scratch folder, on one local Ray (127.0.0.1), and prints a Markdown table: recipe, samples
kept/attempted, and the sha256 of its shards (each tar's sha256 in shard order, hashed
again) and of its quarantine records. Corpus recipes read the shared corpus
(`--corpus`, default ../shared/corpus: pdfs/, html/, media/).

    python scripts/shard_hashes.py > hashes.md                   # on one commit
    git worktree add /tmp/parent PARENT; cp scripts/shard_hashes.py /tmp/parent/scripts/
    (cd /tmp/parent && PYTHONPATH=/tmp/parent python scripts/shard_hashes.py > parent.md)
    diff parent.md hashes.md                                     # empty: byte-identical

Exit status 1 when a recipe fails to run.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS_PATHS = {"pdf_corpus": "pdfs", "html_corpus": "html", "video_corpus": "media"}


def digest(paths: list[Path]) -> str:
    outer = hashlib.sha256()
    for p in paths:
        outer.update(p.name.encode() + b"\0" + hashlib.sha256(p.read_bytes()).hexdigest().encode() + b"\n")
    return outer.hexdigest()[:16]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=6, help="samples attempted per recipe")
    ap.add_argument("--corpus-samples", type=int, default=40,
                    help="samples attempted per corpus recipe (the shared corpus lists its broken files first)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--only", nargs="*", help="recipe names (default: every bundled recipe)")
    args = ap.parse_args(argv)

    import yaml

    from omnisynth.pipelines.runner import run
    from omnisynth.schemas.recipe import bundled_recipes, load_recipe

    failed = 0
    print("| recipe | kept / attempted | shards sha256 | quarantine sha256 |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="hashes") as tmp:
        for name, path in bundled_recipes().items():
            if args.only and name not in args.only:
                continue
            kind = yaml.safe_load(path.read_text())["generator"]["kind"]
            n = args.corpus_samples if kind in CORPUS_PATHS else args.samples
            overrides = [("num_samples", n), ("seed", args.seed), ("model.engine", "oracle"),
                         ("output.samples_per_shard", max(1, n // 2))]
            if kind in CORPUS_PATHS:
                overrides.append(("generator.path", str(args.corpus / CORPUS_PATHS[kind])))
            out = Path(tmp) / name
            t0 = time.monotonic()
            try:
                summary = run(load_recipe(name, overrides), out, stream=open("/dev/null", "w"))
            except Exception as exc:  # noqa: BLE001 - reported in the table, the other recipes still run
                failed += 1
                print(f"| {name} | failed: {type(exc).__name__}: {str(exc)[:80]} | | |", flush=True)
                continue
            shards = sorted((out / "shards").glob("*.tar"))
            quarantine = sorted((out / "quarantine").glob("*.jsonl"))
            print(f"| {name} | {summary.kept} / {n} | {digest(shards)} | "
                  f"{digest(quarantine)} |", flush=True)
            print(f"{name}: {time.monotonic() - t0:.1f} s", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
