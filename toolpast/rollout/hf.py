"""The `hf` backend: batched multi-turn generation with transformers, keeping each batch's KV cache across turns.

An episode's next prompt is its previous prompt + the tokens the model just generated + the environment's
observation. Re-encoding the whole conversation every turn costs a prefill that grows with each turn, so this
generator keeps every batch's KV cache between calls: when a call's sequences extend the rows of a previous call
(same tokens, plus new ones), only the new tokens are fed to the model. Episodes that finished simply are not in
the next call; their rows leave the batch (`DynamicCache.batch_select_indices`). New tokens of different lengths
are left-padded *inside* the sequence (attention mask 0), so positions stay exact (position ids come from the
cumulative mask).

Within a turn the decode loop is our own rather than `model.generate`: generate keeps every row in the forward
pass until the longest reply of the batch ends, and replies of one turn differ a lot in length (an EOS at token
5, a rambling row at 64). Here rows that finished are parked (their cache rows kept) and leave the forward pass;
the turn's rows are re-packed left-padded at its end. Plain greedy argmax or temperature (and top-p) sampling (the
model's generation_config defaults, e.g. a repetition penalty, are not applied, as with our vLLM sampling).
`toolpast serve` decodes its chat completions with this same loop, so a served greedy reply is the hf backend's.

A cache is only valid for the weights that produced it: a generator must not outlive a weight update (TRL's RL
loop builds a fresh one per rollout).
"""

from __future__ import annotations

from collections.abc import Callable
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
                 reuse_cache: bool = True, share_prefix: bool = True, bf16_autocast: bool = False,
                 top_p: float = 1.0):
        """bf16_autocast: run the forward passes under bf16 autocast (fp32 weights kept): ~2x on CPUs with
        AVX512-BF16; greedy replies may then differ from fp32 ones in rare near-ties. top_p: when sampling, draw
        from the smallest set of likeliest tokens whose probability reaches top_p (1: from all)."""
        from transformers import DynamicCache

        if any(DynamicCache(config=model.config).is_sliding):  # windowed layers: re-packing by length is wrong
            raise NotImplementedError(f"{type(model).__name__} has sliding-window attention layers; the hf "
                                      "backend's row re-packing supports full-attention caches only (use vllm)")
        self.model, self.tokenizer = model, tokenizer
        self.batch_size, self.temperature, self.top_p, self.seed = batch_size, temperature, top_p, seed
        self.reuse_cache, self.share_prefix, self.bf16_autocast = reuse_cache, share_prefix, bf16_autocast
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        self.eos_id = tokenizer.eos_token_id
        self._live: list[_LiveBatch] = []
        self.prefilled_tokens = 0  # tokens fed to the model as prompt (not generated): the cache's saving shows here

    @torch.no_grad()
    def generate(self, sequences: list[list[int]], max_new_tokens: int,
                 stop: Callable[[list[int]], bool] | None = None) -> list[list[int]]:
        """`stop(new_tokens)`: also end a row's reply once it holds true for the tokens generated so far (the
        server's stop strings)."""
        if max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be at least 1, got {max_new_tokens}")
        if self.seed is not None:
            torch.manual_seed(self.seed)
        was_training = self.model.training
        self.model.eval()
        autocast = torch.autocast(next(self.model.parameters()).device.type, dtype=torch.bfloat16,
                                  enabled=self.bf16_autocast)
        try:
            with autocast:
                plan = self._continuations(sequences) if self.reuse_cache else None
                if plan is None:
                    plan = self._fresh_batches(sequences)
                results: list[list[int]] = [[] for _ in sequences]
                for batch, indices in plan:
                    for i, new in zip(indices, self._step(batch, [sequences[i] for i in indices], max_new_tokens,
                                                          stop)):
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

    def _step(self, batch: _LiveBatch, sequences: list[list[int]], max_new_tokens: int,
              stop: Callable[[list[int]], bool] | None) -> list[list[int]]:
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
        results, batch.ids, batch.mask, batch.cache = self._decode(ids, mask, batch.cache, cached, max_new_tokens,
                                                                   stop)
        batch.tokens = [tuple(seq) + tuple(new) for seq, new in zip(sequences, results)]
        return results

    def _decode(self, ids: torch.Tensor, mask: torch.Tensor, cache, cached: int, max_new_tokens: int,
                stop: Callable[[list[int]], bool] | None):
        """Greedy or sampled decoding where a row that ends its reply (EOS, the token budget or `stop`) stops
        costing.

        `model.generate` keeps every row in the forward pass until the longest reply ends; replies of one turn
        differ a lot in length, so here finished rows leave the batch once enough of them have piled up
        (`_compact`), keeping their cache rows, and the turn's rows are re-packed left-padded at the end
        (`_repack`). Each row's last token stays uncached, as `_LiveBatch` requires.
        Returns (new tokens per row, ids, mask, cache) for the next turn."""
        rows = ids.shape[0]
        tokens: list[list[int]] = [[] for _ in range(rows)]
        live = list(range(rows))        # batch row -> original row
        finished_at: dict[int, int] = {}  # live index -> cache length when it finished (still in the batch)
        parked: dict[int, tuple[list[tuple[torch.Tensor, torch.Tensor]], int]] = {}  # row -> its cache, length
        feed, feed_mask = ids[:, cached:], mask
        positions = (mask.cumsum(-1) - 1).clamp(min=0)[:, cached:]
        for _ in range(max_new_tokens):
            out = self.model(input_ids=feed, attention_mask=feed_mask, position_ids=positions, past_key_values=cache,
                             use_cache=True, logits_to_keep=1)
            cache, chosen = out.past_key_values, self._choose(out.logits[:, -1, :]).tolist()
            length = cache.get_seq_length()
            for j, row in enumerate(live):
                if j in finished_at:
                    continue
                tokens[row].append(chosen[j])
                if (chosen[j] == self.eos_id or len(tokens[row]) == max_new_tokens
                        or (stop is not None and stop(tokens[row]))):
                    finished_at[j] = length
            if len(finished_at) == len(live):
                break
            if len(finished_at) * 4 >= len(live):  # compaction copies the cache: only once a quarter is idle
                live, feed_mask, chosen = self._compact(cache, live, feed_mask, finished_at, parked, chosen)
                finished_at = {}
            feed = torch.tensor(chosen, dtype=torch.long, device=ids.device)[:, None]
            feed_mask = torch.cat([feed_mask, torch.ones_like(feed)], 1)
            positions = feed_mask.sum(-1, keepdim=True) - 1
        return tokens, *self._repack(ids, mask, cache, live, finished_at, parked, tokens)

    def _choose(self, logits: torch.Tensor) -> torch.Tensor:
        if self.temperature <= 0:
            return logits.argmax(-1)
        probs = torch.softmax(logits.float() / self.temperature, -1)
        if self.top_p < 1:  # keep each token whose likelier ones hold less than top_p (always the likeliest)
            ranked, order = probs.sort(-1, descending=True)
            ranked[ranked.cumsum(-1) - ranked >= self.top_p] = 0
            probs = torch.zeros_like(probs).scatter(-1, order, ranked)
        return torch.multinomial(probs, 1).squeeze(-1)

    @staticmethod
    def _compact(cache, live, feed_mask, finished_at, parked, chosen):
        """Move finished rows out of the batch: park their cache rows (up to where they finished)."""
        for j, length in finished_at.items():
            parked[live[j]] = ([(layer.keys[j:j + 1, :, :length], layer.values[j:j + 1, :, :length])
                                for layer in cache.layers], length)
        keep = [j for j in range(len(live)) if j not in finished_at]
        cache.batch_select_indices(torch.tensor(keep, dtype=torch.long, device=feed_mask.device))
        return [live[j] for j in keep], feed_mask[keep], [chosen[j] for j in keep]

    def _repack(self, ids, mask, cache, live, finished_at, parked, tokens):
        """Every row's ids, mask and cache right-aligned to one width (left pads), for the next turn."""
        length = cache.get_seq_length()
        ends = {row: length for row in live}
        ends.update({live[j]: at for j, at in finished_at.items()})
        ends.update({row: at for row, (_, at) in parked.items()})
        rows, width = ids.shape[0], max(ends.values()) + 1  # + each row's uncached last token
        cols = ids.shape[1]
        device = ids.device
        out_ids = torch.full((rows, width), self.pad_id, dtype=torch.long, device=device)
        out_mask = torch.zeros((rows, width), dtype=torch.long, device=device)
        for row, end in ends.items():
            new = torch.tensor(tokens[row], dtype=torch.long, device=device)
            shift = width - (end + 1)
            out_ids[row, shift:shift + cols], out_mask[row, shift:shift + cols] = ids[row], mask[row]
            out_ids[row, shift + cols:shift + cols + len(new)] = new
            out_mask[row, shift + cols:shift + cols + len(new)] = 1
        if not parked and live == list(range(rows)) and all(at == length for at in finished_at.values()):
            return out_ids, out_mask, cache  # every row still in place and the same length: nothing to move
        index = {row: j for j, row in enumerate(live)}
        for layer_index, layer in enumerate(cache.layers):
            keys = layer.keys.new_zeros((rows, layer.keys.shape[1], width - 1, layer.keys.shape[3]))
            values = layer.values.new_zeros((rows, layer.values.shape[1], width - 1, layer.values.shape[3]))
            for row, end in ends.items():
                if row in parked:
                    k, v = parked[row][0][layer_index]
                else:
                    j = index[row]
                    k, v = layer.keys[j:j + 1, :, :end], layer.values[j:j + 1, :, :end]
                keys[row:row + 1, :, width - 1 - end:], values[row:row + 1, :, width - 1 - end:] = k, v
            layer.keys, layer.values = keys, values
        return out_ids, out_mask, cache
