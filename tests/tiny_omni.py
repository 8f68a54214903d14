"""Build a tiny Qwen2.5-Omni thinker folder offline: images + audio in, text out, random weights.

No hub download: a byte-level BPE tokenizer trained on a few lines, the Qwen2.5-Omni special
tokens, a chat template, a small config, and the processor's configs. vLLM serves it with
`--load-format dummy`: its replies are schema-valid nonsense, which is what tests of the
plumbing (structured outputs, provenance, the filters' rejections) need. Run with the vLLM
environment's Python: `python tests/tiny_omni.py DIR`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|AUDIO|>", "<|audio_bos|>", "<|audio_eos|>",
           "<|IMAGE|>", "<|VIDEO|>", "<|vision_bos|>", "<|vision_eos|>", "<|vision_pad|>"]
CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}{% for part in message['content'] %}"
    "{% if part['type'] in ('image', 'image_url') %}<|vision_bos|><|IMAGE|><|vision_eos|>"
    "{% elif part['type'] in ('audio', 'input_audio', 'audio_url') %}<|audio_bos|><|AUDIO|><|audio_eos|>"
    "{% elif part['type'] in ('video', 'video_url') %}<|vision_bos|><|VIDEO|><|vision_eos|>"
    "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}{% endfor %}{% endif %}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
LINES = [
    '{"question": "What is the total?", "answer": "1,234.50", "evidence": ["p0w12", "p0w13"]}',
    '{"expression": "Click the Save button", "caption": "A red circle enters while a bell rings."}',
    '{"score": 4, "reason": "supported by the page", "events": [0, 1, 2], "aspect": "when", "target": []}',
    "Invoice number date customer amount table row column chart value page heading section report.",
    "The quick brown fox jumps over the lazy dog 0123456789 [] {} : , . ! ? - _ / \\ \" '",
]


def build(folder: Path) -> Path:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import (PreTrainedTokenizerFast, Qwen2_5OmniProcessor, Qwen2VLImageProcessor,
                              Qwen2VLVideoProcessor, WhisperFeatureExtractor)

    folder.mkdir(parents=True, exist_ok=True)
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=SPECIAL,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(LINES * 4, trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>",
        extra_special_tokens={"image_token": "<|IMAGE|>", "audio_token": "<|AUDIO|>", "video_token": "<|VIDEO|>",
                              "vision_bos_token": "<|vision_bos|>", "vision_eos_token": "<|vision_eos|>",
                              "audio_bos_token": "<|audio_bos|>", "audio_eos_token": "<|audio_eos|>"})
    fast.chat_template = CHAT_TEMPLATE
    ids = {t: tok.token_to_id(t) for t in SPECIAL}
    vocab = ((tok.get_vocab_size() + 63) // 64) * 64
    processor = Qwen2_5OmniProcessor(
        image_processor=Qwen2VLImageProcessor(min_pixels=28 * 28 * 4, max_pixels=28 * 28 * 64),
        video_processor=Qwen2VLVideoProcessor(min_pixels=28 * 28 * 4, max_pixels=28 * 28 * 64),
        feature_extractor=WhisperFeatureExtractor(feature_size=128), tokenizer=fast, chat_template=CHAT_TEMPLATE)
    processor.save_pretrained(folder)
    fast.save_pretrained(folder)
    text = {"vocab_size": vocab, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
            "num_attention_heads": 2, "num_key_value_heads": 1, "max_position_embeddings": 32768,
            "rope_parameters": {"rope_type": "default", "rope_theta": 1000000.0, "mrope_section": [4, 6, 6]},
            "rope_scaling": {"type": "mrope", "mrope_section": [4, 6, 6]},
            "bos_token_id": ids["<|im_start|>"], "eos_token_id": ids["<|im_end|>"], "pad_token_id": ids["<|endoftext|>"]}
    thinker = {
        "model_type": "qwen2_5_omni_thinker",
        "text_config": {"model_type": "qwen2_5_omni_text", **text},
        "vision_config": {"model_type": "qwen2_5_omni_vision_encoder", "depth": 2, "hidden_size": 64,
                          "intermediate_size": 128, "num_heads": 2, "out_hidden_size": 64, "fullatt_block_indexes": [1],
                          "window_size": 112, "patch_size": 14, "spatial_merge_size": 2, "temporal_patch_size": 2},
        "audio_config": {"model_type": "qwen2_5_omni_audio_encoder", "num_mel_bins": 128, "encoder_layers": 2,
                         "encoder_attention_heads": 2, "encoder_ffn_dim": 128, "d_model": 64, "output_dim": 64,
                         "max_source_positions": 1500, "n_window": 100},
        "audio_token_index": ids["<|AUDIO|>"], "image_token_index": ids["<|IMAGE|>"],
        "video_token_index": ids["<|VIDEO|>"], "audio_start_token_id": ids["<|audio_bos|>"],
        "audio_end_token_id": ids["<|audio_eos|>"], "vision_start_token_id": ids["<|vision_bos|>"],
        "vision_end_token_id": ids["<|vision_eos|>"], "user_token_id": ids["<|im_start|>"],
        "position_id_per_seconds": 25, "seconds_per_chunk": 2,
    }
    config = {"architectures": ["Qwen2_5OmniModel"], "model_type": "qwen2_5_omni", "enable_audio_output": False,
              "thinker_config": thinker, "torch_dtype": "float32", "dtype": "float32",
              # the talker is not loaded (no audio output); a vocabulary that holds its default token ids
              "talker_config": {"model_type": "qwen2_5_omni_talker", "vocab_size": 152064}, "token2wav_config": {}}
    (folder / "config.json").write_text(json.dumps(config, indent=1))
    (folder / "generation_config.json").write_text(json.dumps({"eos_token_id": ids["<|im_end|>"],
                                                               "pad_token_id": ids["<|endoftext|>"]}))
    return folder


if __name__ == "__main__":
    print(build(Path(sys.argv[1])))
