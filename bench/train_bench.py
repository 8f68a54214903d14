"""Training throughput of the staged trainer on CPU (or GPU), against the bare model step.

  python bench/train_bench.py --data-root DATA [--steps 40] [--stages STAGES.yaml]

DATA holds doc_qa, gui_grounding and av_temporal_qa output folders (the bundled curriculum's
sources; `omnisynth run doc_qa --out DATA/doc_qa --num-samples 200`, ...). For each SFT stage
of the curriculum (default: omni_tiny, its model and batch sizes, --steps steps each) it reports
(a) ours — the trainer's own figures: tokens/s and samples/s of whole steps, and the fraction
of step time spent waiting for the loader (target < 5%), and its steady tokens/s (logging
windows after the first); (b) bare — forward + backward + AdamW of the same model on batches
already in memory (the stage's first batches, collated up front; three warm-up steps), so
steady a / b is what the data path and bookkeeping cost. Peak RSS of the process at the end.
Results go to bench/results/train_throughput.json (train_throughput_nocache.json with
--media-cache-mb 0) and stdout.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def bare(trainer, stage, si, steps: int) -> dict:
    """The model step alone: batches prepared up front, then timed forward/backward/optimizer."""
    from omnisynth.train.data import Stream, open_source

    sources = [open_source(s.path, s.weight, trainer.base, trainer.cur.heldout) for s in stage.data]
    stream = Stream(sources, trainer.cur.seed, si)
    make, _ = trainer._make(stage, trainer.enc)
    batches = [make(stream) for _ in range(steps + 3)]
    model = trainer._unwrap(trainer.model)
    model.train()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    tokens = 0
    for i, b in enumerate(batches):
        if i == 3:  # three warm-up steps, as the trainer's first logging window absorbs its own
            tokens, t0 = 0, time.perf_counter()
        loss, _ = trainer._step_sft(model, b)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        tokens += int(b["attention_mask"].sum())
    dt = time.perf_counter() - t0
    return {"tokens_per_s": tokens / dt, "samples_per_s": steps * stage.batch_size / dt}


def ours_steady(metrics: Path, stage: str) -> float:
    """The trainer's tokens/s over its logging windows after the first (start-up excluded)."""
    rows = [json.loads(line) for line in metrics.read_text().splitlines()]
    windows = [r["window_tokens_per_s"] for r in rows if r.get("stage") == stage and "window_tokens_per_s" in r]
    return sum(windows[1:]) / len(windows[1:])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-root", required=True)
    ap.add_argument("--stages", default="omni_tiny")
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--media-cache-mb", type=float, help="override the curriculum's decoded-media cache (0: every "
                    "image and clip decoded anew, as in one pass over a large dataset)")
    args = ap.parse_args()
    from omnisynth.train.curriculum import load_curriculum
    from omnisynth.train.trainer import Trainer

    cur = load_curriculum(args.stages)
    sft = [s for s in cur.stages if s.objective == "sft"]
    cur = cur.model_copy(update={"stages": [s.model_copy(update={"steps": args.steps}) for s in sft],
                                 "save_every": 10 ** 6,
                                 **({"media_cache_mb": args.media_cache_mb} if args.media_cache_mb is not None else {})})
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(cur, Path(tmp) / "ckpt", Path(args.data_root), quiet=True)
        summary = trainer.run()
        for si, (stage, s) in enumerate(zip(cur.stages, summary["stages"], strict=False)):
            b = bare(trainer, stage, si, args.steps)
            steady = ours_steady(Path(tmp) / "ckpt" / "metrics.jsonl", stage.name)
            rows.append({"stage": stage.name, "batch_size": stage.batch_size,
                         "ours_tokens_per_s": round(s["tokens_per_s"], 1), "ours_samples_per_s": round(s["samples_per_s"], 2),
                         "ours_steady_tokens_per_s": round(steady, 1), "loader_wait": round(s["loader_wait"], 4),
                         "bare_tokens_per_s": round(b["tokens_per_s"], 1), "bare_samples_per_s": round(b["samples_per_s"], 2),
                         "ratio": round(steady / b["tokens_per_s"], 3)})
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    params = sum(p.numel() for p in trainer.model.parameters())
    result = {"device": str(trainer.device), "media_cache_mb": cur.media_cache_mb, "threads": torch.get_num_threads(), "parameters": params,
              "steps_per_stage": args.steps, "stages": rows, "peak_rss_mb": round(peak_mb, 1)}
    RESULTS.mkdir(exist_ok=True)
    name = "train_throughput.json" if cur.media_cache_mb else "train_throughput_nocache.json"
    (RESULTS / name).write_text(json.dumps(result, indent=2))
    print(f"{params / 1e6:.2f} M parameters on {trainer.device} ({torch.get_num_threads()} threads); peak RSS {peak_mb:.0f} MB")
    print(f"{'stage':<16}{'tok/s':>9}{'samples/s':>11}{'loader wait':>13}{'steady tok/s':>14}{'bare tok/s':>12}{'ratio':>7}")
    for r in rows:
        print(f"{r['stage']:<16}{r['ours_tokens_per_s']:>9.0f}{r['ours_samples_per_s']:>11.1f}{r['loader_wait']:>13.1%}"
              f"{r['ours_steady_tokens_per_s']:>14.0f}{r['bare_tokens_per_s']:>12.0f}{r['ratio']:>7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
