"""The `hf` backend: batched generation with transformers on CPU or GPU.

Sequences are sorted by length and generated in chunks of `batch_size` with left padding, so the episodes of
a batch advance together; an episode that finished simply is not in the next turn's batch.
"""

from __future__ import annotations

import torch


class HFGenerator:
    def __init__(self, model, tokenizer, batch_size: int = 16, temperature: float = 0.0, seed: int | None = None):
        self.model, self.tokenizer = model, tokenizer
        self.batch_size, self.temperature, self.seed = batch_size, temperature, seed
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        self.eos_id = tokenizer.eos_token_id

    @torch.no_grad()
    def generate(self, sequences: list[list[int]], max_new_tokens: int) -> list[list[int]]:
        if self.seed is not None:
            torch.manual_seed(self.seed)
        order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
        results: list[list[int]] = [[] for _ in sequences]
        device = next(self.model.parameters()).device
        was_training = self.model.training
        self.model.eval()
        try:
            for start in range(0, len(order), self.batch_size):
                chunk = order[start:start + self.batch_size]
                width = max(len(sequences[i]) for i in chunk)
                ids = torch.full((len(chunk), width), self.pad_id, dtype=torch.long)
                mask = torch.zeros((len(chunk), width), dtype=torch.long)
                for row, i in enumerate(chunk):
                    seq = sequences[i]
                    ids[row, width - len(seq):] = torch.tensor(seq, dtype=torch.long)
                    mask[row, width - len(seq):] = 1
                sample = self.temperature > 0
                out = self.model.generate(
                    input_ids=ids.to(device), attention_mask=mask.to(device), max_new_tokens=max_new_tokens,
                    do_sample=sample, temperature=self.temperature if sample else None, top_p=1.0 if sample else None,
                    top_k=None, pad_token_id=self.pad_id, eos_token_id=self.eos_id)
                for row, i in enumerate(chunk):
                    new = out[row, width:].tolist()
                    if self.eos_id in new:
                        new = new[:new.index(self.eos_id) + 1]
                    results[i] = new
        finally:
            self.model.train(was_training)
        return results
