"""Random-weight Llama models saved to disk, for tests and benchmarks that cannot download one.

The tokenizer is a byte-level BPE trained here on a small built-in corpus (so it can encode any
text, Korean included) with a chat template, saved beside the model like any Hugging Face model.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|>{{ message['content'] }}<|end|>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
SPECIAL_TOKENS = ["<|pad|>", "<|end|>", "<|system|>", "<|user|>", "<|assistant|>"]
CORPUS = [
    '{"scores": [{"dimension": "technical_accuracy", "score": 70, "evidence": ["an index"], "rationale": "ok"}]}',
    '{"questions": [{"text": "How would you design a cache?", "competency": "system design"}], "feedback": ""}',
    "Tell me about a time you improved the performance of a Python service backed by PostgreSQL.",
    "I would put an index on the user_id column, then check the plan with EXPLAIN ANALYZE.",
    "인덱스를 추가하고 실행 계획을 확인한 뒤 배포 후 지연 시간을 모니터링하겠습니다.",
    "백엔드 엔지니어 면접 질문: 데이터베이스 쿼리를 어떻게 최적화하시겠습니까?",
]

TINY_LLAMA: dict[str, Any] = {
    "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
    "num_key_value_heads": 2, "max_position_embeddings": 16384,
}
LLAMA_3_1_8B: dict[str, Any] = {
    "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32,
    "num_key_value_heads": 8, "max_position_embeddings": 131072, "vocab_size": 128256, "rope_theta": 500000.0,
    "rms_norm_eps": 1e-5,
    "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                     "original_max_position_embeddings": 8192},
}
"""The shape of meta-llama/Llama-3.1-8B-Instruct (its config.json), for benchmarks."""


def build_tokenizer(vocab_size: int = 512) -> Any:
    """A fast byte-level BPE tokenizer with special tokens and a chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS, show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator(CORPUS * 4, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, eos_token="<|end|>", pad_token="<|pad|>", chat_template=CHAT_TEMPLATE
    )


def build_random_llama(
    path: str | Path, *, shape: dict[str, Any] | None = None, dtype: str = "float32", device: str = "cpu",
    seed: int = 0,
) -> Path:
    """Save a Llama with random weights and the tokenizer above to ``path``; ``shape`` overrides the
    tiny default config (pass :data:`LLAMA_3_1_8B` for the real size). Returns ``path``."""
    import torch
    from transformers import AutoModelForCausalLM, GenerationConfig, LlamaConfig

    path = Path(path)
    tokenizer = build_tokenizer()
    settings = {**TINY_LLAMA, "vocab_size": len(tokenizer), **(shape or {})}
    config = LlamaConfig(**settings, bos_token_id=None, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id, tie_word_embeddings=False)
    torch.manual_seed(seed)
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(config, dtype=getattr(torch, dtype))
    model.generation_config = GenerationConfig(eos_token_id=tokenizer.eos_token_id,
                                               pad_token_id=tokenizer.pad_token_id)
    log.info("saving a random Llama (%d parameters) to %s", model.num_parameters(), path)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
