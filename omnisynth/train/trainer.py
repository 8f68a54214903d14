"""`omnisynth train STAGES.yaml --out CKPT_DIR`: the staged trainer.

CKPT_DIR holds `tokenizer/` (a BPE built here from the curriculum's text), `init/` (the model
every stage starts from, in Hugging Face format), one folder per finished stage
(`01-NAME/`, loadable with `OmniModel.from_pretrained` and `AutoTokenizer`), `state.pt`
(model, optimizer, scheduler, step, the data stream's position and the RNG: rerunning the
same command continues exactly where a killed run stopped) and `metrics.jsonl`.

Objectives: `sft` (loss on assistant tokens only), `dpo` (chosen = the verified answer,
rejected = a ground-truth-aware perturbation, against the frozen stage-start model) and
`grpo` (groups of sampled answers rewarded from the sample's ground truth, normalised in
the group, with a KL term to the frozen stage-start model).
"""

from __future__ import annotations

import json
import os
import sys
import time
import wave
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from omnisynth.train.steps import group_advantages, lr_lambda, save_atomic, save_model
from omnisynth.train.curriculum import Curriculum, Stage
from omnisynth.train.data import DataError

STATE = "state.pt"


class TrainError(RuntimeError):
    """A training run that cannot go on; the message says why and what to do."""


def stage_dir(out: Path, index: int, stage: Stage) -> Path:
    return out / f"{index + 1:02d}-{stage.name}"


def _texts(cur: Curriculum, base: Path):
    from omnisynth.train.data import open_source, prompt_messages

    for stage in cur.stages:
        for spec in stage.data:
            src = open_source(spec.path, 1.0, base, cur.heldout, pairs=spec.pairs)
            for key in src.keys[: cur.tokenizer.samples]:
                sample, _ = src.read(key)
                for m in prompt_messages(sample):
                    for p in m["content"]:
                        if p["type"] == "text":
                            yield p["text"]
                yield from (sample[k] for k in ("chosen", "rejected") if isinstance(sample.get(k), str))


class Trainer:
    def __init__(self, cur: Curriculum, out: Path, data_root: Path, quiet: bool = False):
        self.cur, self.out, self.base, self.quiet = cur, out, data_root, quiet
        if cur.threads:
            torch.set_num_threads(cur.threads)
        want = cur.device if cur.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
        if want == "cuda" and not torch.cuda.is_available():
            raise TrainError("device: cuda, but torch sees no GPU")
        self.device = torch.device(want)
        self.distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
        self.rank, self.world = 0, 1
        if self.distributed:
            import torch.distributed as dist

            dist.init_process_group("nccl" if self.device.type == "cuda" else "gloo")
            self.rank, self.world = dist.get_rank(), dist.get_world_size()
            if self.device.type == "cuda":
                self.device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
                torch.cuda.set_device(self.device)

    # --- set-up ---

    def _barrier(self) -> None:
        """Other ranks wait for what rank 0 writes (the tokenizer, init, a finished stage's folder)."""
        if self.distributed:
            import torch.distributed as dist

            dist.barrier()

    def _log(self, record: dict) -> None:
        if self.rank == 0:
            with open(self.out / "metrics.jsonl", "a") as f:
                f.write(json.dumps(record, sort_keys=True) + "\n")

    def _autocast(self):
        if self.cur.precision == "bf16":
            return torch.autocast(self.device.type, dtype=torch.bfloat16)
        return nullcontext()

    def _prepare(self):
        from transformers import AutoTokenizer

        from omnisynth.train.omni import OmniModel, build_tokenizer, default_config

        self.out.mkdir(parents=True, exist_ok=True)
        plan = self.out / "curriculum.json"
        tok_dir = self.out / "tokenizer"
        had_plan, had_tok = plan.is_file(), (tok_dir / "tokenizer.json").is_file()  # before rank 0 writes them:
        self._barrier()  # a rank looking later could read a half-written curriculum.json or tokenizer.json
        mine = {"config_hash": self.cur.config_hash(), "curriculum": self.cur.model_dump(mode="json")}
        if had_plan:
            theirs = json.loads(plan.read_text())
            if theirs["config_hash"] != mine["config_hash"]:
                raise TrainError(f"{self.out} holds a run of another stage file (config {theirs['config_hash']}, "
                                 f"this one {mine['config_hash']}); choose an empty --out")
        elif self.rank == 0:
            plan.write_text(json.dumps(mine, indent=2, sort_keys=True))
        if self.cur.init:
            init = Path(self.cur.init).expanduser()
            self.tok = AutoTokenizer.from_pretrained(init)
            start = OmniModel.from_pretrained(init)
        else:
            if not had_tok:
                tok = build_tokenizer(_texts(self.cur, self.base), self.cur.tokenizer.vocab_size)
                if self.rank == 0:
                    tok.save_pretrained(tok_dir)
                self.tok = tok
            else:
                self.tok = AutoTokenizer.from_pretrained(tok_dir)
            torch.manual_seed(self.cur.seed)
            start = OmniModel(default_config(self.tok, self.cur.model.model_dump()))
        if not (self.out / "init" / "config.json").is_file() and self.rank == 0:
            save_model(start, self.tok, self.out / "init", {"stage": "init", "seed": self.cur.seed})
        self._barrier()
        self.model = start.to(self.device)

    # --- batches ---

    def _make(self, stage: Stage, enc):
        from omnisynth.train.data import assistant_text, collate, perturb, prompt_messages

        pad = self.tok.pad_token_id
        counts = {"skipped_long": 0, "skipped_bad": 0, "no_rejected": 0}
        patience = sum(len(s.keys) for s in self._sources) + 100

        def item(stream):
            for _ in range(patience):
                src, key = stream.next()
                try:
                    sample, members = src.read(key)
                    prompt = enc.prompt(prompt_messages(sample), members, (src.name, key))
                    answer = assistant_text(sample)
                except (KeyError, ValueError, OSError, EOFError, IndexError, wave.Error) as e:  # costs itself only
                    counts["skipped_bad"] += 1
                    why = f"{type(e).__name__}: {e}" if str(e) else f"{type(e).__name__}: a member ends early (truncated)"
                    self._log({"event": "skipped", "stage": stage.name, "source": src.name, "key": key, "reason": why})
                    continue
                if len(prompt.ids) + len(enc.answer(answer)) > stage.seq_len:
                    counts["skipped_long"] += 1
                    continue
                return src, key, sample, prompt, answer
            raise DataError(f"stage {stage.name}: {patience} samples in a row were skipped ({counts['skipped_long']} "
                            f"longer than seq_len {stage.seq_len}, {counts['skipped_bad']} unreadable); raise seq_len "
                            f"or check the data")

        def make(stream):
            """One global batch of units: sft sequences, dpo (chosen, rejected) pairs, grpo (prompt, sample)."""
            units = []
            while len(units) < stage.batch_size:
                src, key, sample, prompt, answer = item(stream)
                if stage.objective == "sft":
                    units.append(enc.full(prompt, answer))
                elif stage.objective == "grpo":
                    units.append((prompt, sample))
                elif "rejected" in sample:  # a pair from a model run: the candidate the filters rejected
                    wrong = (sample["rejected"], "model_rejected")
                    if len(prompt.ids) + len(enc.answer(wrong[0])) > stage.seq_len:
                        counts["skipped_long"] += 1
                        continue
                    units.append((enc.full(prompt, answer), enc.full(prompt, wrong[0])))
                else:
                    rng = np.random.default_rng([self.cur.seed, int.from_bytes(key.encode()[-8:], "little")])
                    others = []
                    for k in rng.choice(src.keys, size=min(8, len(src.keys)), replace=False):
                        s, _ = src.read(str(k))
                        if s.get("task") == sample.get("task"):
                            others.append(s.get("answer", ""))
                    wrong = perturb(sample, answer, rng, others)
                    if wrong is None or len(prompt.ids) + len(enc.answer(wrong[0])) > stage.seq_len:
                        counts["no_rejected"] += 1
                        continue
                    units.append((enc.full(prompt, answer), enc.full(prompt, wrong[0])))
            # under torchrun every rank draws the same global batch and keeps its own slice of it
            units = units[self.rank::self.world]
            if stage.objective == "sft":
                return collate(units, pad)
            if stage.objective == "dpo":
                return collate([c for c, _ in units] + [r for _, r in units], pad)
            return {"prompts": [p for p, _ in units], "samples": [s for _, s in units]}
        return make, counts

    # --- objectives ---

    def _logprobs(self, model, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-token log-probabilities of the labels (B, L-1) and their mask."""
        from omnisynth.train.data import label_logprobs, media_kwargs

        with self._autocast():
            logits = model(batch["input_ids"], attention_mask=batch["attention_mask"], **media_kwargs(batch))
        _, picked, mask = label_logprobs(logits, batch["labels"])
        return picked, mask

    def _step_sft(self, model, batch):
        from omnisynth.train.data import media_kwargs

        with self._autocast():
            logits = model(batch["input_ids"], attention_mask=batch["attention_mask"], **media_kwargs(batch))
        loss = F.cross_entropy(logits[:, :-1].float().reshape(-1, logits.shape[-1]),
                               batch["labels"][:, 1:].reshape(-1), ignore_index=-100)
        return loss, {}

    def _step_dpo(self, model, batch, stage):
        lp, mask = self._logprobs(model, batch)
        with torch.no_grad():
            ref, _ = self._logprobs(self.ref, batch)
        pol, ref = lp.sum(-1), ref.sum(-1)
        n = pol.shape[0] // 2
        margin = stage.beta * ((pol[:n] - ref[:n]) - (pol[n:] - ref[n:]))
        loss = -F.logsigmoid(margin).mean()
        nll = -(lp[:n].sum() / mask[:n].sum().clamp(min=1))
        if stage.nll_weight:
            loss = loss + stage.nll_weight * nll
        return loss, {"reward_acc": float((margin > 0).float().mean()), "margin": float(margin.detach().mean()),
                      "chosen_nll": float(nll.detach())}

    def _step_grpo(self, model, batch, stage, step):
        from omnisynth.train.evaluate import generate, score
        from omnisynth.train.data import Encoded, collate

        enc, g = self.enc, stage.group_size
        prompts = [p for p in batch["prompts"] for _ in range(g)]
        gen = torch.Generator().manual_seed(int(np.random.default_rng([self.cur.seed, 7, step]).integers(2**62)))
        raw = self._unwrap(model)
        raw.eval()
        with self._autocast():
            outs = generate(raw, _to(collate(prompts, self.tok.pad_token_id, left=True), self.device),
                            enc.sp["<|im_end|>"], stage.max_new_tokens, stage.temperature, gen)
        raw.train()
        samples = [s for s in batch["samples"] for _ in range(g)]
        rewards = torch.tensor([score(s, self.tok.decode(o, skip_special_tokens=True).strip())["reward"]
                                for s, o in zip(samples, outs, strict=False)])
        adv = group_advantages(rewards, g)
        seqs = [Encoded(p.ids + o, p.labels + o, p.images, p.mel) for p, o in zip(prompts, outs, strict=False)]
        full = _to(collate(seqs, self.tok.pad_token_id), self.device)
        lp, mask = self._logprobs(model, full)
        with torch.no_grad():
            ref, _ = self._logprobs(self.ref, full)
        kl = (torch.exp(ref - lp) - (ref - lp) - 1) * mask
        per_token = -(torch.exp(lp - lp.detach()) * adv.to(lp.device)[:, None]) * mask + stage.beta * kl
        loss = (per_token.sum(-1) / mask.sum(-1).clamp(min=1)).mean()
        return loss, {"reward": float(rewards.mean()), "kl": float(kl.detach().sum() / mask.sum().clamp(min=1)),
                      "_tokens": int(full["attention_mask"].sum())}

    def _unwrap(self, model):
        return model.module if hasattr(model, "module") else model

    # --- the run ---

    def run(self) -> dict:
        from omnisynth.train.omni import OmniModel
        from omnisynth.train.data import Encoder, Prefetcher, Stream, open_source

        self._prepare()
        state_path = self.out / STATE
        state = torch.load(state_path, weights_only=False) if state_path.is_file() else None
        first = 0
        while first < len(self.cur.stages) and (stage_dir(self.out, first, self.cur.stages[first]) / "config.json").is_file():
            first += 1
        if state is not None:
            first = state["stage"]
            self.model.load_state_dict(state["model"])
            print(f"resuming at stage {first + 1} ({self.cur.stages[first].name}), step {state['step']}", file=sys.stderr)
        elif first:
            if first == len(self.cur.stages):
                print(f"{self.out}: every stage is finished", file=sys.stderr)
            self.model = OmniModel.from_pretrained(stage_dir(self.out, first - 1, self.cur.stages[first - 1])).to(self.device)
        self.enc = Encoder(self.tok, self._unwrap(self.model).config, self.cur.media_cache_mb)
        summary = {"stages": []}
        for si in range(first, len(self.cur.stages)):
            stage = self.cur.stages[si]
            done_dir = stage_dir(self.out, si, stage)
            mine = state if state and state["stage"] == si else None
            start_dir = self.out / "init" if si == 0 else stage_dir(self.out, si - 1, self.cur.stages[si - 1])
            if stage.objective in ("dpo", "grpo"):
                self.ref = OmniModel.from_pretrained(start_dir).to(self.device).eval()
                for p in self.ref.parameters():
                    p.requires_grad_(False)
            model = self._unwrap(self.model)
            groups = model.groups()
            for name, params in groups.items():
                for p in params:
                    p.requires_grad_(name in stage.trainable())
            params = [p for p in model.parameters() if p.requires_grad]
            opt = torch.optim.AdamW(params, lr=stage.lr.peak, weight_decay=stage.weight_decay)
            sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda(stage))
            step = 0
            if mine is not None:
                opt.load_state_dict(mine["optimizer"])
                sched.load_state_dict(mine["scheduler"])
                step = mine["step"]
                torch.set_rng_state(mine["rng"])
            train_model = model
            if self.distributed:
                from torch.nn.parallel import DistributedDataParallel

                train_model = DistributedDataParallel(model, find_unused_parameters=True)
            sources = [open_source(s.path, s.weight, self.base, self.cur.heldout, pairs=s.pairs) for s in stage.data]
            stream = Stream(sources, self.cur.seed, si, mine["position"] if mine else None)
            self._sources = sources
            make, counts = self._make(stage, self.enc)
            pf = Prefetcher(stream, make, self.cur.loader_depth)
            stats = self._loop(si, stage, train_model, opt, sched, pf, step, counts)
            pf.close()
            if self.rank == 0:
                save_model(model, self.tok, done_dir, {"stage": stage.name, "objective": stage.objective,
                                                        "steps": stage.steps, "index": si + 1})
                state_path.unlink(missing_ok=True)  # the finished stage's folder is the resume point now
            self._barrier()
            state = None
            summary["stages"].append({"stage": stage.name, **stats, **counts})
        if self.distributed:
            import torch.distributed as dist

            dist.destroy_process_group()
        return summary

    def _loop(self, si, stage, model, opt, sched, pf, step, counts) -> dict:
        from tqdm import tqdm

        bar = tqdm(total=stage.steps, initial=step, desc=f"{si + 1}/{len(self.cur.stages)} {stage.name}",
                   disable=self.quiet or self.rank != 0, mininterval=1.0, file=sys.stderr)
        model.train()
        t_wait = t_total = 0.0
        tokens = samples = 0
        first_loss = last_loss = None
        window: list[float] = []
        w_time = w_tokens = 0.0
        try:
            while step < stage.steps:
                t0 = time.perf_counter()
                batch, position = pf.get()
                t1 = time.perf_counter()
                if stage.objective == "grpo":
                    loss, info = self._step_grpo(model, batch, stage, step)
                    n_tok = info.pop("_tokens")
                    n_samples = len(batch["prompts"])
                else:
                    batch = _to(batch, self.device)
                    loss, info = (self._step_sft(model, batch) if stage.objective == "sft"
                                  else self._step_dpo(model, batch, stage))
                    n_tok = int(batch["attention_mask"].sum())
                    n_samples = batch["input_ids"].shape[0]
                opt.zero_grad(set_to_none=True)
                loss.backward()
                grad = torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], stage.grad_clip)
                opt.step()
                sched.step()
                step += 1
                t2 = time.perf_counter()
                t_wait += t1 - t0
                t_total += t2 - t0
                tokens += n_tok
                samples += n_samples
                w_time += t2 - t0
                w_tokens += n_tok
                value = float(loss.detach())
                window.append(value)
                first_loss = value if first_loss is None else first_loss
                last_loss = value
                bar.update(1)
                bar.set_postfix(loss=f"{value:.3f}", tok_s=f"{tokens / t_total:.0f}", refresh=False)
                if step % self.cur.log_every == 0 or step == stage.steps:
                    self._log({"stage": stage.name, "step": step, "loss": sum(window) / len(window),
                               "lr": sched.get_last_lr()[0], "grad_norm": float(grad),
                               "tokens_per_s": tokens / t_total, "samples_per_s": samples / t_total,
                               "window_tokens_per_s": w_tokens / w_time,
                               "loader_wait": t_wait / t_total, **info, **counts})
                    window = []
                    w_time = w_tokens = 0.0
                if self.rank == 0 and (step % self.cur.save_every == 0) and step < stage.steps:
                    save_atomic({"stage": si, "step": step, "model": self._unwrap(model).state_dict(),
                                  "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                                  "position": position, "rng": torch.get_rng_state()}, self.out / STATE)
        finally:
            bar.close()
        return {"steps": stage.steps, "first_loss": first_loss, "last_loss": last_loss,
                "tokens_per_s": tokens / max(t_total, 1e-9), "samples_per_s": samples / max(t_total, 1e-9),
                "loader_wait": t_wait / max(t_total, 1e-9)}


def _to(batch: dict, device: torch.device) -> dict:
    return {k: (v.to(device) if isinstance(v, torch.Tensor) else v) for k, v in batch.items()}
