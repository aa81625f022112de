"""A tiny random-initialised Llama with a tokenizer trained in-process: the `tiny-random` model spec.

Tests and the `smoke` preset need a real transformers model with a real chat template that costs nothing and
needs no download. The tokenizer is a byte-level BPE trained on toolenv's protocol and docs text (so tool
names tokenise sensibly; the text is the committed `tiny_corpus.json`, written by scripts/tiny_corpus.py, so this
module reaches no suite) with ChatML special tokens, so it formats chats exactly like SmolLM2 and Qwen2.5.
Everything is seeded: the same spec gives the same weights byte for byte.
"""

from __future__ import annotations

from pathlib import Path

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


CORPUS_FILE = Path(__file__).with_name("tiny_corpus.json")


def _training_text() -> list[str]:
    """Text the BPE merges are learned from: every native category's docs plus the protocol's vocabulary."""
    import json

    return json.loads(CORPUS_FILE.read_text(encoding="utf-8"))


def build_tiny_random(out_dir: Path, seed: int = 0, vocab_size: int = 2048, hidden_size: int = 64,
                      num_layers: int = 2, head_dim: int | None = None) -> None:
    """Write a tiny random Llama (safetensors) and its tokenizer to out_dir. head_dim None = hidden_size / 4."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE(unk_token=None))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    bpe.train_from_iterator(_training_text(), trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<|im_start|>", eos_token="<|im_end|>",
                                        pad_token="<|im_end|>", unk_token="<|endoftext|>", padding_side="left")
    tokenizer.chat_template = CHATML_TEMPLATE

    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=hidden_size, intermediate_size=hidden_size * 2,
                         num_hidden_layers=num_layers, num_attention_heads=4, num_key_value_heads=2,
                         head_dim=head_dim or hidden_size // 4,
                         max_position_embeddings=4096, tie_word_embeddings=True,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id, dtype="float32")
    model = LlamaForCausalLM(config)
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)
