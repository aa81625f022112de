"""The `hf` backend: batched multi-turn generation with transformers, keeping each batch's KV cache across turns.

An episode's next prompt is its previous prompt + the tokens the model just generated + the environment's
observation. Re-encoding the whole conversation every turn costs a prefill that grows with each turn, so this
generator keeps every batch's KV cache between calls: when a call's sequences extend the rows of a previous call
(same tokens, plus new ones), only the new tokens are fed to the model. Episodes that finished simply are not in
the next call; their rows leave the batch (`DynamicCache.batch_select_indices`). New tokens of different lengths
are left-padded *inside* the sequence (attention mask 0), so positions stay exact (transformers derives
position ids from the cumulative mask).

A cache is only valid for the weights that produced it: a generator must not outlive a weight update (TRL's RL
loop builds a fresh one per rollout).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class _LiveBatch:
    """Rows generated together, with the KV cache of everything but each row's last column."""

    ids: torch.Tensor          # (rows, width), interior pads allowed
    mask: torch.Tensor         # (rows, width), 0 on pads
    cache: object              # transformers DynamicCache, or None before the first forward
    tokens: list[tuple[int, ...]]  # each row's unpadded tokens, as the caller sees them


class HFGenerator:
    def __init__(self, model, tokenizer, batch_size: int = 16, temperature: float = 0.0, seed: int | None = None,
                 reuse_cache: bool = True, share_prefix: bool = True):
        self.model, self.tokenizer = model, tokenizer
        self.batch_size, self.temperature, self.seed = batch_size, temperature, seed
        self.reuse_cache, self.share_prefix = reuse_cache, share_prefix
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        self.eos_id = tokenizer.eos_token_id
        self._live: list[_LiveBatch] = []
        self.prefilled_tokens = 0  # tokens fed to the model as prompt (not generated): the cache's saving shows here

    def reset(self) -> None:
        """Forget every cached batch (frees its memory)."""
        self._live = []

    @torch.no_grad()
    def generate(self, sequences: list[list[int]], max_new_tokens: int) -> list[list[int]]:
        if self.seed is not None:
            torch.manual_seed(self.seed)
        was_training = self.model.training
        self.model.eval()
        try:
            plan = self._continuations(sequences) if self.reuse_cache else None
            if plan is None:
                plan = self._fresh_batches(sequences)
            results: list[list[int]] = [[] for _ in sequences]
            for batch, indices in plan:
                for i, new in zip(indices, self._step(batch, [sequences[i] for i in indices], max_new_tokens)):
                    results[i] = new
            self._live = [batch for batch, _ in plan] if self.reuse_cache else []
        finally:
            self.model.train(was_training)
        return results

    def _continuations(self, sequences: list[list[int]]) -> list[tuple[_LiveBatch, list[int]]] | None:
        """Map every sequence onto a cached row it extends; None if any sequence is new (then start afresh)."""
        if not self._live:
            return None
        owner = {}
        for b, batch in enumerate(self._live):
            for row, tokens in enumerate(batch.tokens):
                owner.setdefault(tokens, (b, row))
        chosen: dict[int, list[tuple[int, int]]] = {}
        for i, seq in enumerate(sequences):
            hit = None
            for length in sorted({len(t) for t in owner}, reverse=True):
                if length <= len(seq) and tuple(seq[:length]) in owner:
                    hit = owner[tuple(seq[:length])]
                    break
            if hit is None:
                return None
            chosen.setdefault(hit[0], []).append((hit[1], i))
        plan = []
        for b, pairs in chosen.items():
            rows = [row for row, _ in pairs]
            if len(set(rows)) != len(rows):  # two sequences continue one row: no shared-cache forks
                return None
            batch = self._live[b]
            if rows != list(range(len(batch.tokens))):
                index = torch.tensor(rows, dtype=torch.long)
                if batch.cache is not None:
                    batch.cache.batch_select_indices(index.to(batch.ids.device))
                batch = _LiveBatch(batch.ids[rows], batch.mask[rows], batch.cache, [batch.tokens[r] for r in rows])
            plan.append((batch, [i for _, i in pairs]))
        return plan

    def _fresh_batches(self, sequences: list[list[int]]) -> list[tuple[_LiveBatch, list[int]]]:
        order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
        device = next(self.model.parameters()).device
        plan = []
        for start in range(0, len(order), self.batch_size):
            chunk = order[start:start + self.batch_size]
            plan.append((self._shared_prefix_batch([sequences[i] for i in chunk], device), chunk))
        return plan

    @torch.no_grad()
    def _shared_prefix_batch(self, sequences: list[list[int]], device) -> _LiveBatch:
        """A new batch whose rows start with the tokens they all share (system prompt, protocol, tool list),
        encoded once and repeated into every row's cache: prefill then costs one prompt plus each row's own
        remainder. Each row keeps at least one token of its own for generation to start from."""
        shared = 0
        if self.share_prefix and len(sequences) > 1:
            shortest = min(len(seq) for seq in sequences) - 1
            first = sequences[0]
            while shared < shortest and all(seq[shared] == first[shared] for seq in sequences):
                shared += 1
        if shared < 16:  # not worth a separate forward pass
            empty = torch.zeros((len(sequences), 0), dtype=torch.long, device=device)
            return _LiveBatch(empty, empty.clone(), None, [() for _ in sequences])
        prefix = torch.tensor([sequences[0][:shared]], dtype=torch.long, device=device)
        out = self.model(input_ids=prefix, attention_mask=torch.ones_like(prefix), use_cache=True)
        cache = out.past_key_values
        cache.batch_repeat_interleave(len(sequences))
        self.prefilled_tokens += shared
        ids = prefix.repeat(len(sequences), 1)
        return _LiveBatch(ids, torch.ones_like(ids), cache, [tuple(sequences[0][:shared])] * len(sequences))

    def _step(self, batch: _LiveBatch, sequences: list[list[int]], max_new_tokens: int) -> list[list[int]]:
        """Append each row's new tokens (left-padded), generate, and record the result in `batch`."""
        extras = [seq[len(tokens):] for seq, tokens in zip(sequences, batch.tokens)]
        width = max(len(e) for e in extras)
        device = batch.ids.device
        new_ids = torch.full((len(extras), width), self.pad_id, dtype=torch.long, device=device)
        new_mask = torch.zeros((len(extras), width), dtype=torch.long, device=device)
        for row, extra in enumerate(extras):
            if extra:
                new_ids[row, width - len(extra):] = torch.tensor(extra, dtype=torch.long, device=device)
                new_mask[row, width - len(extra):] = 1
        ids, mask = torch.cat([batch.ids, new_ids], 1), torch.cat([batch.mask, new_mask], 1)
        cached = batch.cache.get_seq_length() if batch.cache is not None else 0
        self.prefilled_tokens += int(mask[:, cached:].sum())
        sample = self.temperature > 0
        out = self.model.generate(
            input_ids=ids, attention_mask=mask, past_key_values=batch.cache, max_new_tokens=max_new_tokens,
            do_sample=sample, temperature=self.temperature if sample else None, top_p=1.0 if sample else None,
            top_k=None, pad_token_id=self.pad_id, eos_token_id=self.eos_id, return_dict_in_generate=True,
            use_cache=True)
        generated = out.sequences[:, ids.shape[1]:]
        gen_mask = torch.zeros_like(generated)
        results = []
        for row in range(generated.shape[0]):
            new = generated[row].tolist()
            if self.eos_id in new:
                new = new[:new.index(self.eos_id) + 1]
            gen_mask[row, :len(new)] = 1
            results.append(new)
        batch.ids, batch.mask = out.sequences, torch.cat([mask, gen_mask], 1)
        batch.cache = out.past_key_values
        batch.tokens = [tuple(seq) + tuple(new) for seq, new in zip(sequences, results)]
        return results
