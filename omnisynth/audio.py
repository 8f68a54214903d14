"""WAV in and out, for every layer that touches audio members (generators, the vLLM stage, shard checks)."""

from __future__ import annotations

import io
import wave

import numpy as np


def wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    """Mono float samples in [-1, 1] (clipped) -> a 16-bit PCM WAV file at `rate` Hz."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return buf.getvalue()


def read_wav(data: bytes) -> tuple[np.ndarray, int]:
    """A 16-bit PCM WAV file -> (mono float32 samples in [-1, 1), rate in Hz); channels are averaged."""
    with wave.open(io.BytesIO(data)) as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768
        return pcm.reshape(-1, w.getnchannels()).mean(axis=1), w.getframerate()
