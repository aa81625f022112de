"""The cross-turn KV cache must not change what greedy decoding produces, whatever the batch composition."""

from collections import Counter

import pytest
import torch

import toolenv
from toolpast.models import load_model, load_tokenizer
from toolpast.rollout.chat_tokens import ChatTokens
from toolpast.rollout.episodes import run_episodes
from toolpast.rollout.hf import HFGenerator


def _episodes(n: int, max_turns: int):
    tasks = toolenv.get_category("finance", seed=0).tasks("test", n=n)
    return [toolenv.Episode(t, book="closed", limits=toolenv.EpisodeLimits(max_steps=max_turns)) for t in tasks]


def _completions(model, tokenizer, batch_size: int, reuse_cache: bool, n: int = 3, max_turns: int = 3):
    generator = HFGenerator(model, tokenizer, batch_size=batch_size, reuse_cache=reuse_cache)
    records = run_episodes(_episodes(n, max_turns), generator, ChatTokens(tokenizer), max_turns, 12)
    return [r.completion_ids for r in records], generator


def test_kv_cache_equals_reencoding_and_one_at_a_time(tiny_model_dir):
    model, tokenizer = load_model(tiny_model_dir), load_tokenizer(tiny_model_dir)
    cached, gen_cached = _completions(model, tokenizer, 4, True)
    reencoded, gen_plain = _completions(model, tokenizer, 4, False)
    single, _ = _completions(model, tokenizer, 1, True)
    assert cached == reencoded == single
    assert all(len(c) > 12 for c in cached), "episodes should span several turns"
    # the cache's point: later turns feed only the new tokens
    assert gen_cached.prefilled_tokens < gen_plain.prefilled_tokens


def test_rows_leave_the_batch_and_new_sequences_start_afresh(tiny_model_dir):
    model, tokenizer = load_model(tiny_model_dir), load_tokenizer(tiny_model_dir)
    chat = ChatTokens(tokenizer)
    prompts = [chat.prompt_ids(e.reset()) for e in _episodes(3, 2)]
    generator = HFGenerator(model, tokenizer, batch_size=8)
    first = generator.generate(prompts, 6)
    obs = chat.observation_ids("Observation text")
    # only rows 2 and 0 continue, in a different order: the cache is subset and re-ordered
    follow = [prompts[2] + first[2] + obs, prompts[0] + first[0] + obs]
    continued = generator.generate(follow, 6)
    fresh = HFGenerator(model, tokenizer, batch_size=8, reuse_cache=False).generate(follow, 6)
    assert continued == fresh
    assert generator.generate(prompts[:1], 6) == first[:1]  # unrelated sequences: a fresh prefill


def test_sampling_with_a_seed_is_reproducible(tiny_model_dir):
    model, tokenizer = load_model(tiny_model_dir), load_tokenizer(tiny_model_dir)
    prompts = [ChatTokens(tokenizer).prompt_ids(e.reset()) for e in _episodes(2, 1)]
    a = HFGenerator(model, tokenizer, temperature=1.0, seed=3).generate(prompts, 8)
    b = HFGenerator(model, tokenizer, temperature=1.0, seed=3).generate(prompts, 8)
    assert a == b


def test_stop_ends_a_row_and_a_tiny_top_p_samples_the_greedy_token(tiny_model_dir):
    """What `toolpast serve` needs of this loop: stop strings end one row's reply, top-p narrows sampling."""
    model, tokenizer = load_model(tiny_model_dir), load_tokenizer(tiny_model_dir)
    prompts = [ChatTokens(tokenizer).prompt_ids(e.reset()) for e in _episodes(3, 1)]
    greedy = HFGenerator(model, tokenizer).generate(prompts, 10)
    ended = []  # the first row to reach 4 tokens stops there, the others run on

    def stop(new):
        if len(new) == 4 and not ended:
            ended.append(new)
        return any(new is e for e in ended)

    cut = HFGenerator(model, tokenizer).generate(prompts, 10, stop=stop)
    assert sorted(map(len, cut)) == [4] + sorted(map(len, greedy))[1:] and all(
        g[:len(c)] == c for c, g in zip(cut, greedy))
    assert HFGenerator(model, tokenizer, temperature=1.0, top_p=1e-6, seed=1).generate(prompts, 10) == greedy


def test_a_shared_prompt_prefix_is_encoded_once_without_changing_results(tiny_model_dir):
    model, tokenizer = load_model(tiny_model_dir), load_tokenizer(tiny_model_dir)
    prompts = [ChatTokens(tokenizer).prompt_ids(e.reset()) for e in _episodes(3, 1)]
    shared = HFGenerator(model, tokenizer, batch_size=3)
    separate = HFGenerator(model, tokenizer, batch_size=3, share_prefix=False)
    assert shared.generate(prompts, 8) == separate.generate(prompts, 8)
    common = next(i for i, column in enumerate(zip(*prompts)) if len(set(column)) > 1)
    assert common >= 16  # the system prompt and protocol are the same for every task of a category
    assert separate.prefilled_tokens - shared.prefilled_tokens == 2 * common


def test_rows_that_end_early_leave_the_batch_and_continue_next_turn_exactly(tiny_model_dir, monkeypatch):
    """Replies of different lengths: finished rows are parked mid-turn and re-packed, results unchanged."""
    compactions = []
    compact = HFGenerator._compact
    monkeypatch.setattr(HFGenerator, "_compact", staticmethod(lambda *a: compactions.append(len(a[1])) or compact(*a)))
    model, tokenizer = load_model(tiny_model_dir), load_tokenizer(tiny_model_dir)
    torch.manual_seed(0)
    with torch.no_grad():  # the tiny model's small init repeats one token; large weights give varied replies
        for weight in model.parameters():
            if weight.dim() == 2:
                weight.normal_(0, 0.5)
    chat = ChatTokens(tokenizer)
    prompts = [chat.prompt_ids(e.reset()) for e in _episodes(6, 1)]
    plain = HFGenerator(model, tokenizer, batch_size=8).generate(prompts, 16)
    # a random model never says EOS: call a token some replies say "EOS" so they end at different steps
    counts = Counter(t for reply in plain for t in set(reply[1:12]))
    stop = next(t for t, n in counts.most_common() if n < len(plain))

    def generator(**kw):
        g = HFGenerator(model, tokenizer, batch_size=8, **kw)
        g.eos_id = stop
        return g

    batched, reference = generator(), generator(reuse_cache=False, share_prefix=False)
    first = batched.generate(prompts, 16)
    assert compactions, "finished rows should have left the forward pass mid-turn"
    assert first == [generator(reuse_cache=False).generate([p], 16)[0] for p in prompts]
    for prompt, reply in zip(prompts, first):  # and equal to transformers' own generate, one prompt at a time
        ids = torch.tensor([prompt])
        out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=16, do_sample=False,
                             eos_token_id=stop, pad_token_id=stop)[0, len(prompt):].tolist()
        assert reply == (out[:out.index(stop) + 1] if stop in out else out)
    lengths = [len(reply) for reply in first]
    assert len(set(lengths)) > 2 and max(lengths) == 16, f"replies should end at different steps: {lengths}"
    obs = chat.observation_ids("Observation text")
    follow = [p + reply + obs for p, reply in zip(prompts, first)]
    assert batched.generate(follow, 16) == reference.generate(follow, 16)
    assert batched.prefilled_tokens < reference.prefilled_tokens - sum(len(p) for p in prompts) // 2


def test_sliding_window_models_are_refused_with_a_clear_error(tiny_model_dir):
    """Re-packing rows by cache length is only right for full-attention caches: say so instead of decoding wrong."""
    from transformers import MistralConfig, MistralForCausalLM

    tokenizer = load_tokenizer(tiny_model_dir)
    config = MistralConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                           num_attention_heads=2, num_key_value_heads=1, sliding_window=8)
    model = MistralForCausalLM(config)
    with pytest.raises(NotImplementedError, match="sliding-window"):
        HFGenerator(model, tokenizer).generate([[1, 2, 3]], 4)
