"""The trainable omni model: a hybrid Mamba-Transformer language model (Transformers' NemotronH)
with a ViT vision encoder and a Perceiver-style audio resampler, each behind a projector.

Image, clip-frame and audio embeddings replace their placeholder tokens in the chat sequence
(`<|IMAGE|>` x N between `<|vision_bos|>`/`<|vision_eos|>`, `<|AUDIO|>` x L between
`<|audio_bos|>`/`<|audio_eos|>`). Sizes are configuration: the default trains on a CPU in
minutes; the same code runs in bf16 on GPUs. Saved and loaded in Hugging Face format
(`save_pretrained` / `OmniModel.from_pretrained`, the tokenizer beside it).
"""

from __future__ import annotations

import io
import math
import wave

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from transformers import (NemotronHConfig, NemotronHForCausalLM, PretrainedConfig, PreTrainedModel,
                          PreTrainedTokenizerFast, ViTConfig, ViTModel)
from transformers.audio_utils import mel_filter_bank

SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|IMAGE|>", "<|vision_bos|>", "<|vision_eos|>",
           "<|AUDIO|>", "<|audio_bos|>", "<|audio_eos|>"]
CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'image' %}<|vision_bos|><|IMAGE|><|vision_eos|>"
    "{% elif part['type'] == 'audio' %}<|audio_bos|><|AUDIO|><|audio_eos|>"
    "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}{% endfor %}{% endif %}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SAMPLE_RATE = 16000
IMAGE_MEAN = np.array([0.5, 0.5, 0.5], dtype=np.float32)
IMAGE_STD = np.array([0.5, 0.5, 0.5], dtype=np.float32)


def build_tokenizer(texts, vocab_size: int) -> PreTrainedTokenizerFast:
    """A byte-level BPE trained here on `texts` (no hub download); every byte stays encodable."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer=trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                   bos_token="<|im_start|>", additional_special_tokens=SPECIAL[3:])
    fast.chat_template = CHAT_TEMPLATE
    return fast


class OmniConfig(PretrainedConfig):
    model_type = "omnisynth_omni"

    def __init__(self, text_config: dict | None = None, vision_config: dict | None = None,
                 audio_config: dict | None = None, frame_grid: int = 4, special_ids: dict | None = None, **kw):
        self.text_config = dict(text_config or {})
        self.vision_config = dict(vision_config or {})
        self.audio_config = {"n_mels": 64, "hidden_size": 64, "latents": 16, "layers": 2, "heads": 4,
                             "max_seconds": 30.0, **(audio_config or {})}
        self.frame_grid = frame_grid
        self.special_ids = dict(special_ids or {})
        super().__init__(**kw)

    def text(self) -> NemotronHConfig:
        return NemotronHConfig(**self.text_config)

    def vision(self) -> ViTConfig:
        return ViTConfig(**self.vision_config)

    @property
    def image_grid(self) -> int:
        v = self.vision_config
        return v.get("image_size", 224) // v.get("patch_size", 16)


class AudioResampler(nn.Module):
    """Perceiver resampler: a fixed set of latent queries cross-attends to the log-mel frames."""

    def __init__(self, cfg: dict):
        super().__init__()
        h, n_mels = cfg["hidden_size"], cfg["n_mels"]
        # two stride-2 convolutions (as in Whisper's stem): 100 -> 25 frames per second
        self.stem = nn.Sequential(nn.Conv1d(n_mels, h, 3, padding=1), nn.GELU(),
                                  nn.Conv1d(h, h, 3, stride=2, padding=1), nn.GELU(),
                                  nn.Conv1d(h, h, 3, stride=2, padding=1), nn.GELU())
        max_frames = int(math.ceil(cfg["max_seconds"] * 25)) + 1
        self.pos = nn.Parameter(torch.randn(max_frames, h) * 0.02)
        self.latents = nn.Parameter(torch.randn(cfg["latents"], h) * 0.02)
        self.layers = nn.ModuleList()
        for _ in range(cfg["layers"]):
            self.layers.append(nn.ModuleDict({
                "norm_q": nn.LayerNorm(h), "norm_kv": nn.LayerNorm(h),
                "attn": nn.MultiheadAttention(h, cfg["heads"], batch_first=True),
                "norm_mlp": nn.LayerNorm(h),
                "mlp": nn.Sequential(nn.Linear(h, 4 * h), nn.GELU(), nn.Linear(4 * h, h))}))
        self.norm = nn.LayerNorm(h)

    def forward(self, mels: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """mels (B, T, n_mels) padded, lengths (B,) in mel frames -> (B, latents, hidden)."""
        x = self.stem(mels.transpose(1, 2)).transpose(1, 2)
        x = x + self.pos[: x.shape[1]]
        frames = (lengths + 3) // 4
        pad = torch.arange(x.shape[1], device=x.device)[None, :] >= frames[:, None]
        q = self.latents.expand(x.shape[0], -1, -1)
        for layer in self.layers:
            qn = layer["norm_q"](q)
            kv = torch.cat([layer["norm_kv"](x), qn], dim=1)
            mask = torch.cat([pad, torch.zeros(q.shape[:2], dtype=torch.bool, device=x.device)], dim=1)
            q = q + layer["attn"](qn, kv, kv, key_padding_mask=mask, need_weights=False)[0]
            q = q + layer["mlp"](layer["norm_mlp"](q))
        return self.norm(q)


def projector(d_in: int, d_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d_in, d_out), nn.GELU(), nn.Linear(d_out, d_out))


class OmniModel(PreTrainedModel):
    config_class = OmniConfig
    base_model_prefix = "omni"
    main_input_name = "input_ids"
    _supports_sdpa = True
    # parameter groups a stage can train or freeze
    GROUPS = ("language", "vision", "audio", "projectors")

    def __init__(self, config: OmniConfig):
        super().__init__(config)
        text = config.text()
        self.language_model = NemotronHForCausalLM(text)
        self.vision_encoder = ViTModel(config.vision(), add_pooling_layer=False)
        self.vision_projector = projector(config.vision_config["hidden_size"], text.hidden_size)
        self.audio_encoder = AudioResampler(config.audio_config)
        self.audio_projector = projector(config.audio_config["hidden_size"], text.hidden_size)
        self.post_init()

    def _init_weights(self, module):
        # the language and vision models initialised themselves in their constructors; here only ours
        if "_foreign" not in self.__dict__:  # ids of the modules the Transformers models own
            self.__dict__["_foreign"] = {id(m) for name in ("language_model", "vision_encoder")
                                         for m in getattr(self, name).modules()}
        if isinstance(module, (nn.Linear, nn.Conv1d)) and id(module) not in self.__dict__["_foreign"]:
            nn.init.normal_(module.weight, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)

    def groups(self) -> dict[str, list[nn.Parameter]]:
        return {"language": list(self.language_model.parameters()),
                "vision": list(self.vision_encoder.parameters()),
                "audio": list(self.audio_encoder.parameters()),
                "projectors": list(self.vision_projector.parameters()) + list(self.audio_projector.parameters())}

    def embed(self, input_ids: torch.Tensor, images: torch.Tensor | None = None, image_grids: list[int] | None = None,
              mels: torch.Tensor | None = None, mel_lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Token embeddings with every image/audio placeholder replaced, in order, by its media's embeddings."""
        ids = self.config.special_ids
        embeds = self.language_model.get_input_embeddings()(input_ids)
        if images is not None and len(images):
            patches = self.vision_encoder(pixel_values=images.to(embeds.dtype)).last_hidden_state[:, 1:]
            g = self.config.image_grid
            grid = patches.transpose(1, 2).reshape(patches.shape[0], -1, g, g)
            pieces = []
            for i, n in enumerate(image_grids):
                p = grid[i:i + 1] if n == g else F.adaptive_avg_pool2d(grid[i:i + 1], n)
                pieces.append(p.flatten(2).transpose(1, 2)[0])
            vis = self.vision_projector(torch.cat(pieces))
            embeds = _scatter(embeds, input_ids == ids["image"], vis)
        if mels is not None and len(mels):
            aud = self.audio_projector(self.audio_encoder(mels.to(embeds.dtype), mel_lengths))
            embeds = _scatter(embeds, input_ids == ids["audio"], aud.reshape(-1, aud.shape[-1]))
        return embeds

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None, **media) -> torch.Tensor:
        """Logits (B, L, vocab)."""
        embeds = self.embed(input_ids, **media)
        return self.language_model(inputs_embeds=embeds, attention_mask=attention_mask, use_cache=False).logits


def _scatter(embeds: torch.Tensor, where: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    if int(where.sum()) != values.shape[0]:
        raise ValueError(f"{int(where.sum())} placeholder tokens for {values.shape[0]} media embeddings")
    out = embeds.clone()
    out[where] = values.to(out.dtype)
    return out


def default_config(tokenizer: PreTrainedTokenizerFast, size: dict) -> OmniConfig:
    """An OmniConfig from a stage file's `model:` sizes and the tokenizer's special ids."""
    hidden = size["hidden_size"]
    text = {"vocab_size": len(tokenizer), "hidden_size": hidden, "hybrid_override_pattern": size["pattern"],
            "num_attention_heads": size["heads"], "num_key_value_heads": size["kv_heads"],
            "head_dim": hidden // size["heads"], "intermediate_size": 2 * hidden,
            "ssm_state_size": size["ssm_state"], "mamba_num_heads": size["mamba_heads"],
            "mamba_head_dim": 2 * hidden // size["mamba_heads"], "n_groups": 1, "chunk_size": 64,
            "max_position_embeddings": 4096, "tie_word_embeddings": True,
            "pad_token_id": tokenizer.pad_token_id, "bos_token_id": tokenizer.bos_token_id,
            "eos_token_id": tokenizer.eos_token_id}
    v = size["vision"]
    vision = {"image_size": v["image_size"], "patch_size": v["patch_size"], "hidden_size": v["hidden_size"],
              "num_hidden_layers": v["layers"], "num_attention_heads": v["heads"],
              "intermediate_size": 2 * v["hidden_size"]}
    special = {name: tokenizer.convert_tokens_to_ids(tok) for name, tok in
               [("image", "<|IMAGE|>"), ("audio", "<|AUDIO|>"), ("im_end", "<|im_end|>"), ("pad", "<|endoftext|>"),
                ("im_start", "<|im_start|>"), ("vision_bos", "<|vision_bos|>"), ("vision_eos", "<|vision_eos|>"),
                ("audio_bos", "<|audio_bos|>"), ("audio_eos", "<|audio_eos|>")]}
    return OmniConfig(text_config=text, vision_config=vision, audio_config=dict(size["audio"]),
                      frame_grid=v["frame_grid"], special_ids=special)


# --- media preprocessing (the data loader's thread runs these) ---

def image_tensor(data: bytes, size: int) -> torch.Tensor:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        im = im.convert("RGB").resize((size, size), Image.BICUBIC)
        arr = (np.asarray(im, dtype=np.float32) / 255.0 - IMAGE_MEAN) / IMAGE_STD
    return torch.from_numpy(arr.transpose(2, 0, 1).copy())


_MEL = {}


def log_mel(data: bytes, n_mels: int, max_seconds: float) -> torch.Tensor:
    """16 kHz mono PCM WAV -> (frames, n_mels) log-mel at 100 frames/s (25 ms windows), Whisper-style scaling."""
    with wave.open(io.BytesIO(data)) as w:
        if w.getframerate() != SAMPLE_RATE or w.getsampwidth() != 2:
            raise ValueError(f"audio must be 16 kHz 16-bit PCM, got {w.getframerate()} Hz, {8 * w.getsampwidth()}-bit")
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0
        if w.getnchannels() > 1:
            pcm = pcm.reshape(-1, w.getnchannels()).mean(axis=1)
    pcm = pcm[: int(max_seconds * SAMPLE_RATE)]
    if len(pcm) < 400:
        pcm = np.pad(pcm, (0, 400 - len(pcm)))
    if n_mels not in _MEL:
        _MEL[n_mels] = torch.from_numpy(mel_filter_bank(201, n_mels, 0.0, 8000.0, SAMPLE_RATE,
                                                        norm="slaney", mel_scale="slaney")).float()
    spec = torch.stft(torch.from_numpy(pcm), 400, 160, window=torch.hann_window(400), return_complex=True)
    power = spec.abs() ** 2
    mel = torch.clamp(_MEL[n_mels].T @ power, min=1e-10).log10()
    mel = torch.maximum(mel, mel.max() - 8.0)
    return ((mel + 4.0) / 4.0).T.contiguous()


def _register() -> None:
    """So that Auto classes (and AutoTokenizer reading config.json) know the model type."""
    from transformers import AutoConfig, AutoModel

    try:
        AutoConfig.register(OmniConfig.model_type, OmniConfig)
        AutoModel.register(OmniConfig, OmniModel)
    except ValueError:  # already registered
        pass


_register()
