"""A client for any OpenAI-compatible chat endpoint (vllm serve, NIM, a Ray-hosted server).

Bounded concurrency (a thread pool per worker), a per-request timeout, retries with
exponential backoff and full jitter on 429, 5xx, timeouts, connection resets and truncated
bodies, and a circuit: when `circuit_failures` requests in a row fail every retry because the
endpoint cannot be reached, the run stops with `EndpointDown` instead of quarantining every
sample. A request the server refuses (other 4xx) fails that sample only. The API key is read
from the environment variable the recipe names (on the driver; workers get it inside the
pickled client) and goes only into the Authorization header: never into a message, a log
line, an error, a sample or the manifest.
"""

from __future__ import annotations

import base64
import json
import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests

RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


class EndpointDown(RuntimeError):
    """The model endpoint cannot be reached: the run stops (rerun the same command once it is back)."""


@dataclass
class Reply:
    text: str | None  # the assistant message content; None when the call failed
    reason: str = ""  # why it failed: model_request_refused | model_unavailable | model_response_malformed
    detail: str = ""
    attempts: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    truncated: bool = False  # generation stopped at max_tokens: the JSON is likely cut off


def api_key(env: str) -> str:
    if not env:
        return ""
    key = os.environ.get(env)
    if key is None:
        raise EndpointDown(f"model.api_key_env names {env}, which is not set in the environment")
    return key


def data_url(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def openai_content(parts: list[dict], blobs: dict[str, bytes]) -> list[dict]:
    """Sample-style parts ({'type': 'image', 'image': member}) -> OpenAI chat content with inline data."""
    out = []
    for part in parts:
        kind = part["type"]
        if kind == "text":
            out.append({"type": "text", "text": part["text"]})
        elif kind == "image":
            data = blobs[part["image"]]
            mime = "image/jpeg" if data[:3] == b"\xff\xd8\xff" else "image/png"
            out.append({"type": "image_url", "image_url": {"url": data_url(data, mime)}})
        elif kind == "video":  # vLLM's OpenAI server decodes it (and, asked, its sound: see `chat_payload`)
            out.append({"type": "video_url", "video_url": {"url": data_url(blobs[part["video"]], "video/mp4")}})
        elif kind == "audio":
            out.append({"type": "input_audio",
                        "input_audio": {"data": base64.b64encode(blobs[part["audio"]]).decode(), "format": "wav"}})
        else:
            raise ValueError(f"no OpenAI content type for a {kind!r} part")
    return out


def chat_payload(model: str, content: list[dict], schema: dict, sampling: dict, seed: int | None,
                 audio_in_video: bool = False) -> dict:
    """The chat completion request; `audio_in_video` asks the server to feed a video's own sound track to the model
    with its pictures (vLLM's `mm_processor_kwargs.use_audio_in_video`, Qwen2.5-Omni-style models)."""
    payload = {"model": model, "messages": [{"role": "user", "content": content}],
               "temperature": sampling["temperature"], "top_p": sampling["top_p"], "max_tokens": sampling["max_tokens"],
               "response_format": {"type": "json_schema", "json_schema": {"name": "reply", "schema": schema, "strict": True}}}
    if seed is not None:
        payload["seed"] = seed
    if audio_in_video:
        payload["mm_processor_kwargs"] = {"use_audio_in_video": True}
    return payload


class OpenAIClient:
    def __init__(self, base_url: str, key_env: str = "", timeout_s: float = 120.0, retries: int = 4,
                 backoff_s: float = 0.5, concurrency: int = 8, circuit_failures: int = 8,
                 rng: random.Random | None = None):
        self.url = base_url.rstrip("/")
        # where the jitter is drawn; None: the process-wide generator, so workers that unpickle the
        # same client still spread their retries apart (a seeded Random here would align them)
        self.rng = rng
        self.key_env = key_env
        self.timeout_s, self.retries, self.backoff_s = timeout_s, retries, backoff_s
        self.concurrency, self.circuit_failures = concurrency, circuit_failures
        self._local = threading.local()
        self._lock = threading.Lock()
        self._down_streak = 0
        self._last_down = ""
        self._pool: ThreadPoolExecutor | None = None
        # read where the run starts (the driver) and carried to the workers inside this pickled
        # client, so cluster nodes need not have the variable; never logged or written to disk
        self._secret = os.environ.get(key_env) if key_env else None

    def _session(self) -> requests.Session:
        s = getattr(self._local, "session", None)
        if s is None:
            s = self._local.session = requests.Session()
            key = self._secret if self._secret is not None else api_key(self.key_env)
            if key:
                s.headers["Authorization"] = f"Bearer {key}"
        return s

    def models(self) -> list[str]:
        """The served model names; EndpointDown when the server does not answer."""
        try:
            r = self._session().get(f"{self.url}/models", timeout=min(self.timeout_s, 30))
        except requests.RequestException as exc:
            raise EndpointDown(f"model endpoint {self.url} is not reachable: {type(exc).__name__}") from None
        if r.status_code != 200:
            raise EndpointDown(f"model endpoint {self.url}/models answered HTTP {r.status_code}")
        try:
            return [m["id"] for m in r.json()["data"]]
        except (ValueError, KeyError, TypeError):
            raise EndpointDown(f"model endpoint {self.url}/models did not answer an OpenAI model list") from None

    def chat(self, payload: dict) -> Reply:
        """One chat completion with retries; raises EndpointDown when the circuit opens."""
        attempt, why = 0, ""
        while True:
            attempt += 1
            transient, down = False, False
            try:
                r = self._session().post(f"{self.url}/chat/completions", json=payload, timeout=self.timeout_s)
                if r.status_code == 200:
                    body = r.json()
                    text = body["choices"][0]["message"]["content"]
                    if not isinstance(text, str):
                        raise ValueError("message content is not a string")
                    self._record(ok=True)
                    usage = body.get("usage") or {}
                    return Reply(text, attempts=attempt, prompt_tokens=int(usage.get("prompt_tokens") or 0),
                                 completion_tokens=int(usage.get("completion_tokens") or 0),
                                 truncated=body["choices"][0].get("finish_reason") == "length")
                why = f"HTTP {r.status_code}: {r.text[:200]}"
                if r.status_code not in RETRY_STATUS:
                    self._record(ok=True)  # the server is up; it refused this request
                    return Reply(None, "model_request_refused", why, attempt)
                transient, down = True, r.status_code >= 500 or r.status_code == 429
            except (requests.ConnectionError, requests.Timeout) as exc:
                why, transient, down = f"{type(exc).__name__}: {str(exc)[:200]}", True, True
            except requests.exceptions.ChunkedEncodingError as exc:
                why, transient = f"truncated response: {str(exc)[:200]}", True
            except (ValueError, KeyError, IndexError, TypeError) as exc:
                why, transient = f"malformed response: {type(exc).__name__}: {str(exc)[:200]}", True
            if transient and attempt <= self.retries:
                time.sleep((self.rng or random).uniform(0, self.backoff_s * 2 ** (attempt - 1)))  # full jitter
                continue
            if down:
                self._record(ok=False, why=why)
                return Reply(None, "model_unavailable", f"after {attempt} attempts: {why}", attempt)
            self._record(ok=True)
            return Reply(None, "model_response_malformed", f"after {attempt} attempts: {why}", attempt)

    def _record(self, ok: bool, why: str = "") -> None:
        with self._lock:
            if ok:
                self._down_streak = 0
                return
            self._down_streak += 1
            self._last_down = why
            if self._down_streak >= self.circuit_failures:
                raise EndpointDown(f"model endpoint {self.url} failed {self._down_streak} requests in a row, "
                                   f"each after {self.retries + 1} attempts (last: {why}); "
                                   "the run stops here: rerun the same command once it is back")

    def chat_many(self, payloads: list[dict]) -> list[Reply]:
        """Payloads in flight `concurrency` at a time; replies in order. EndpointDown propagates."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="omnisynth-openai")
        return list(self._pool.map(self.chat, payloads))

    def __getstate__(self):  # travels to Ray workers without its sessions, lock or pool
        state = self.__dict__.copy()
        state.update(_local=None, _lock=None, _pool=None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._local, self._lock, self._pool = threading.local(), threading.Lock(), None


def parse_json_reply(text: str, schema: dict) -> dict:
    """The reply's JSON object, validated against the request's schema (ValueError says why)."""
    import jsonschema

    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg} at {exc.pos}: {text[:120]!r}") from None
    try:
        json.dumps(obj, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("the reply holds text that is not valid Unicode (a lone surrogate escape)") from None
    try:
        jsonschema.validate(obj, schema)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(root)"
        raise ValueError(f"{where}: {exc.message[:200]}") from None
    return obj
