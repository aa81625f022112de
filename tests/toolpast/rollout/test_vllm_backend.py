"""The vllm backend without a GPU: vLLM is faked at the engine boundary (a `vllm` module whose LLM and
SamplingParams record what they are given), so request building, per-sample seeds, the length guard, engine
reuse and shutdown, TRL's colocated engine, and an evaluation end to end are all checked here."""

from __future__ import annotations

import json
import os
import sys
import types

import pytest

import toolenv
from toolpast.rollout import vllm as backend
from toolpast.rollout.seeds import episode_key, sample_seed
from toolpast.stages.context import StageContext
from toolpast.tooluse.config import EvalConfig
from toolpast.tooluse.evaluate import evaluate

EOS = 7


class FakeSamplingParams:
    def __init__(self, **kwargs):
        self.kwargs = kwargs


class FakeLLM:
    """Records construction, generate calls, sleep/wake/shutdown; replies with tokens drawn from the seed."""

    made: list[FakeLLM] = []

    def __init__(self, model, **kwargs):
        self.model, self.kwargs, self.requests, self.events = model, kwargs, [], []
        self.llm_engine = types.SimpleNamespace(
            model_config=types.SimpleNamespace(max_model_len=kwargs.get("max_model_len") or 4096))
        FakeLLM.made.append(self)

    def generate(self, prompts, params, use_tqdm=True):
        params = params if isinstance(params, list) else [params] * len(prompts)  # vLLM takes one or one each
        assert use_tqdm is False and len(prompts) == len(params)
        outputs = []
        for prompt, p in zip(prompts, params):
            self.requests.append((list(prompt["prompt_token_ids"]), p.kwargs))
            seed = p.kwargs["seed"]
            reply = ([] if seed is None else [10 + seed % 50, 11 + seed % 37]) + [EOS]
            outputs.append(types.SimpleNamespace(outputs=[types.SimpleNamespace(
                token_ids=tuple(reply[:p.kwargs["max_tokens"]]))]))
        return outputs

    def sleep(self, level):
        self.events.append(("sleep", level))

    def wake_up(self, tags=None):
        self.events.append(("wake_up", tags))

    def shutdown(self):
        self.events.append(("shutdown",))


@pytest.fixture
def fake_vllm(monkeypatch):
    """A fake `vllm` package in sys.modules, on a pretend GPU (the CPU engine's arguments have their own test);
    the backend's engine cache is emptied before and after."""
    module = types.ModuleType("vllm")
    module.LLM, module.SamplingParams = FakeLLM, FakeSamplingParams
    inputs = types.ModuleType("vllm.inputs")
    inputs.TokensPrompt = dict
    module.inputs = inputs
    monkeypatch.setitem(sys.modules, "vllm", module)
    monkeypatch.setitem(sys.modules, "vllm.inputs", inputs)
    registered = []
    monkeypatch.setattr(backend.atexit, "register", registered.append)
    monkeypatch.setattr(backend, "_ATEXIT", False)
    monkeypatch.setattr(backend, "on_gpu", lambda: True)
    backend.shutdown_engines()
    FakeLLM.made = []
    yield registered
    backend.shutdown_engines()


def test_requests_carry_the_tokens_budget_stop_token_and_a_seed_per_episode_and_turn(fake_vllm):
    llm = FakeLLM("m")
    gen = backend.VLLMGenerator(llm, EOS, temperature=0.8, seed=3)
    out = gen.generate([[1, 2, 3], [1, 2, 3], [4, 5]], 4, keys=["t1#0", "t1#1", "t2#0"])
    assert out == [[10 + s % 50, 11 + s % 37, EOS][:4] for s in (sample_seed(3, "t1#0", 3), sample_seed(3, "t1#1", 3),
                                                                 sample_seed(3, "t2#0", 2))]
    prompts = [p for p, _ in llm.requests]
    params = [k for _, k in llm.requests]
    assert prompts == [[1, 2, 3], [1, 2, 3], [4, 5]]
    assert all(k["max_tokens"] == 4 and k["temperature"] == 0.8 and k["top_p"] == 1.0 and k["stop_token_ids"] == [EOS]
               for k in params)
    seeds = [k["seed"] for k in params]
    assert len(set(seeds)) == 3  # the two samples of t1 share a prompt but not a seed
    gen.generate([[1, 2, 3, 9, 9]], 4, keys=["t1#0"])  # the next turn of t1#0: another seed
    assert llm.requests[-1][1]["seed"] not in seeds
    again = backend.VLLMGenerator(FakeLLM("m"), EOS, temperature=0.8, seed=3)
    again.generate([[1, 2, 3]], 4, keys=["t1#1"])  # a resumed run draws what the first one drew
    assert again.llm.requests[0][1]["seed"] == seeds[1]
    other = backend.VLLMGenerator(FakeLLM("m"), EOS, temperature=0.8, seed=4)
    other.generate([[1, 2, 3]], 4, keys=["t1#1"])
    assert other.llm.requests[0][1]["seed"] != seeds[1]  # the run seed matters


def test_greedy_requests_carry_no_seed_and_seedless_sampling_leaves_the_engine_to_draw(fake_vllm):
    greedy = backend.VLLMGenerator(FakeLLM("m"), EOS, temperature=0.0, seed=3)
    greedy.generate([[1], [2]], 4, keys=["a#0", "a#1"])
    assert [k["seed"] for _, k in greedy.llm.requests] == [None, None]
    rollout = backend.VLLMGenerator(FakeLLM("m"), EOS, temperature=1.0)  # GRPO: TRL seeds the engine itself
    rollout.generate([[1], [1]], 4)
    assert [k["seed"] for _, k in rollout.llm.requests] == [None, None]
    seeded = backend.VLLMGenerator(FakeLLM("m"), EOS, temperature=1.0, seed=0)  # no keys: still distinct per row
    seeded.generate([[1], [1]], 4)
    assert len({k["seed"] for _, k in seeded.llm.requests}) == 2
    with pytest.raises(ValueError, match="1 keys for 2 sequences"):
        seeded.generate([[1], [1]], 4, keys=["a#0"])
    with pytest.raises(ValueError, match="max_new_tokens must be at least 1"):
        seeded.generate([[1]], 0)
    assert seeded.generate([], 4) == []


def test_the_length_guard_cuts_the_budget_to_the_room_left_then_refuses(fake_vllm):
    gen = backend.VLLMGenerator(FakeLLM("m", max_model_len=10), EOS)
    assert gen.max_model_len == 10  # read from the engine
    gen.generate([[1] * 8, [1] * 3], 5)
    assert [k["max_tokens"] for _, k in gen.llm.requests] == [2, 5]
    with pytest.raises(backend.ContextLengthExceeded, match=r"reached 10 tokens.*max_model_len=10.*max_turns"):
        gen.generate([[1] * 3, [1] * 10], 5)
    assert backend.VLLMGenerator(FakeLLM("m", max_model_len=10), EOS, max_model_len=6).max_model_len == 6
    unguarded = backend.VLLMGenerator(types.SimpleNamespace(generate=FakeLLM("m").generate), EOS)
    assert unguarded.max_model_len is None and unguarded.generate([[1] * 5000], 3) == [[EOS]]


def test_one_engine_per_process_reused_asleep_between_evaluations_and_shut_down(fake_vllm, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        d.mkdir()
        (d / "model.safetensors").write_bytes(b"w")
    first = backend.VLLMGenerator.from_model_dir(a, EOS, temperature=0.5, seed=1)
    assert len(FakeLLM.made) == 1 and first.llm.model == str(a.resolve())
    assert first.llm.kwargs == {"dtype": "bfloat16", "seed": 0, "gpu_memory_utilization": 0.85, "max_model_len": None,
                                "enable_prefix_caching": True, "enable_sleep_mode": True}
    backend.release()
    backend.release()  # idempotent
    assert first.llm.events == [("sleep", 1)]
    second = backend.VLLMGenerator.from_model_dir(a, EOS, temperature=0.5, seed=2)  # another run seed: same engine
    assert second.llm is first.llm and len(FakeLLM.made) == 1
    assert first.llm.events == [("sleep", 1), ("wake_up", None)]
    other = backend.VLLMGenerator.from_model_dir(b, EOS)
    assert len(FakeLLM.made) == 2 and first.llm.events[-1] == ("shutdown",)  # never two engines on the GPU
    os.utime(b / "model.safetensors", ns=(1, 1))  # the checkpoint was rebuilt in place (--force)
    rebuilt = backend.VLLMGenerator.from_model_dir(b, EOS)
    assert rebuilt.llm is not other.llm and other.llm.events == [("shutdown",)]
    assert fake_vllm == [backend.shutdown_engines]  # registered with atexit, once
    backend.shutdown_engines()
    assert rebuilt.llm.events == [("shutdown",)] and not backend._ENGINES


def test_an_engine_without_sleep_mode_is_shut_down_on_release(fake_vllm, tmp_path):
    llm = backend.engine(tmp_path, dtype="bfloat16")
    backend.release()
    assert llm.events == [("shutdown",)] and not backend._ENGINES


def test_evaluation_samples_k_different_draws_per_task_whatever_the_batching(fake_vllm, tiny_model_dir, tmp_path):
    tasks = toolenv.get_category("finance").tasks("test", n=3)
    cfg = EvalConfig(tasks=3, backend="vllm", samples=3, temperature=0.8, batch_size=2, max_turns=2,
                     max_new_tokens=8, knowledge_probes=False)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    out = evaluate(tiny_model_dir, tasks, "closed", cfg, StageContext(5, "float32", tmp_path / "a", "t"))
    assert out["n"] == 9 and "pass_at_k" in out
    (llm,) = FakeLLM.made
    assert llm.events == [("sleep", 1)]  # the engine sleeps once the evaluation is done
    keys = [episode_key(t.id, s) for t in tasks for s in range(3)]
    for prompt, params in llm.requests:  # every request, every turn: seeded by its episode's key
        assert params["seed"] in {sample_seed(5, k, len(prompt)) for k in keys}
    rows = [json.loads(line) for line in (tmp_path / "a" / "episodes.jsonl").read_text().splitlines()]
    by_task = {}
    for row in rows:
        by_task.setdefault(row["task_id"], set()).add(json.dumps(row["trajectory"]["steps"]))
    assert all(len(trajectories) == 3 for trajectories in by_task.values())  # 3 different samples per task
    cfg_one_batch = cfg.model_copy(update={"batch_size": 9})
    evaluate(tiny_model_dir, tasks, "closed", cfg_one_batch, StageContext(5, "float32", tmp_path / "b", "t"))
    assert len(FakeLLM.made) == 1 and llm.events[-1] == ("sleep", 1)  # the same checkpoint: the engine is reused
    again = [json.loads(line) for line in (tmp_path / "b" / "episodes.jsonl").read_text().splitlines()]
    trajectory = {(r["task_id"], r["sample"]): r["trajectory"] for r in rows}
    assert all(trajectory[(r["task_id"], r["sample"])] == r["trajectory"] for r in again)  # batching changes nothing


def test_the_colocated_trl_engine_wakes_for_a_rollout_and_sleeps_after(fake_vllm):
    synced = []
    llm = FakeLLM("policy")
    generation = types.SimpleNamespace(llm=llm, enable_sleep_mode=True, _llm_weights_sleeping=True,
                                       sync_weights=lambda: synced.append(True))
    with backend.colocated(generation, EOS, temperature=1.0) as gen:
        assert synced == [True] and llm.events == [("wake_up", ["kv_cache"])]
        assert gen.generate([[1, 2]], 4) == [[EOS]]
        generation._llm_weights_sleeping = False  # what TRL's sync_weights does
    assert llm.events[-1] == ("sleep", 2) and generation._llm_weights_sleeping is True
    plain = types.SimpleNamespace(llm=FakeLLM("policy"), enable_sleep_mode=False)
    with backend.colocated(plain, EOS, temperature=1.0):
        pass
    assert plain.llm.events == []
    trainer = types.SimpleNamespace(vllm_generation=generation)
    backend.shutdown_trainer_engine(trainer)
    assert llm.events[-1] == ("shutdown",) and generation.llm is None
    backend.shutdown_trainer_engine(trainer)  # already released: nothing to do
    backend.shutdown_trainer_engine(types.SimpleNamespace())  # a trainer without vLLM


def test_a_cpu_engine_is_eager_without_gpu_settings_and_stays_up_between_evaluations(fake_vllm, monkeypatch, tmp_path):
    monkeypatch.setattr(backend, "on_gpu", lambda: False)
    generator = backend.VLLMGenerator.from_model_dir(tmp_path, EOS, dtype="float32")
    assert generator.llm.kwargs == {"dtype": "float32", "seed": 0, "max_model_len": None,
                                    "enable_prefix_caching": True, "enforce_eager": True,
                                    "kv_cache_memory_bytes": backend.CPU_KV_CACHE_GIB * 2**30}
    backend.release()  # host memory only: the next evaluation of this checkpoint skips the engine's start
    assert generator.llm.events == [] and backend._ENGINES
    assert backend.engine_args("float32", None, enforce_eager=False)["enforce_eager"] is False


def test_the_engine_dtype_keeps_fp32_where_bf16_is_emulated(monkeypatch):
    monkeypatch.setattr(backend, "on_gpu", lambda: False)
    monkeypatch.setenv("TOOLPAST_CPU_BF16", "0")
    from toolpast.cpu_bf16 import native_bf16

    native_bf16.cache_clear()
    try:
        assert backend.default_dtype("float32") == "float32" and backend.default_dtype("bfloat16") == "bfloat16"
        monkeypatch.setenv("TOOLPAST_CPU_BF16", "1")
        native_bf16.cache_clear()
        assert backend.default_dtype("float32") == "bfloat16"
    finally:
        native_bf16.cache_clear()
    monkeypatch.setattr(backend, "on_gpu", lambda: True)
    assert backend.default_dtype("float32") == "bfloat16"


def test_trls_colocated_engine_gets_the_evaluation_engines_dtype_and_eager_mode_on_a_cpu(monkeypatch):
    """TRL builds its engine with vLLM's dtype "auto", which casts a float32 checkpoint to bf16 on any x86 CPU
    (emulated there, and no longer the policy's numbers) and compiles it: inside the GRPO stage's scope it gets
    the evaluation engine's dtype, and eager mode on a CPU; TRL's own arguments win; the class is restored."""
    import trl.generation.vllm_generation as trl_vllm

    from toolpast.cpu_bf16 import native_bf16

    monkeypatch.setattr(trl_vllm, "LLM", FakeLLM, raising=False)
    monkeypatch.setattr(backend, "on_gpu", lambda: False)
    monkeypatch.setenv("TOOLPAST_CPU_BF16", "0")
    native_bf16.cache_clear()
    try:
        with backend.trainer_engine_scope(True, "float32"):
            llm = trl_vllm.LLM(model="m", gpu_memory_utilization=0.3, enforce_eager=False)
        assert llm.kwargs == {"dtype": "float32", "enforce_eager": False, "gpu_memory_utilization": 0.3}
        assert trl_vllm.LLM is FakeLLM
        with backend.trainer_engine_scope(True, "float32"):
            assert trl_vllm.LLM(model="m").kwargs == {"dtype": "float32", "enforce_eager": True}
        monkeypatch.setattr(backend, "on_gpu", lambda: True)
        with backend.trainer_engine_scope(True, "float32"):  # a GPU: bf16 as under autocast, CUDA graphs kept
            assert trl_vllm.LLM(model="m").kwargs == {"dtype": "bfloat16"}
        with backend.trainer_engine_scope(False, "float32"):  # no vLLM in the stage: nothing touched
            assert trl_vllm.LLM is FakeLLM
    finally:
        native_bf16.cache_clear()


def test_sampled_logprobs_read_each_sampled_tokens_entry_and_refuse_a_missing_request():
    entry = types.SimpleNamespace
    per_token = [{5: entry(logprob=-0.5)}, {9: entry(logprob=-2.0), 3: entry(logprob=-0.1)}, {4: entry(logprob=None)}]
    values = backend.sampled_logprobs([5, 9, 4], per_token)
    assert values[:2] == [-0.5, -2.0] and values[2] != values[2]  # NaN: TRL leaves that token uncorrected
    with pytest.raises(ValueError, match="logprobs=0"):
        backend.sampled_logprobs([5, 9], None)


class ScoredScript:
    """A generator that replies with fixed tokens and reports a log-probability for each."""

    def __init__(self, replies):
        self.replies, self.calls = replies, 0

    def generate_scored(self, sequences, max_new_tokens, keys=None):
        self.calls += 1
        return [(list(r), [-0.25] * len(r)) for r in self.replies[:len(sequences)]]


def test_scored_episodes_keep_one_logprob_per_completion_token_zero_off_the_models_tokens(tiny_model_dir):
    from toolpast.models import load_tokenizer
    from toolpast.rollout.chat_tokens import ChatTokens
    from toolpast.rollout.episodes import run_episodes

    tokenizer = load_tokenizer(tiny_model_dir)
    chat = ChatTokens(tokenizer)
    reply = tokenizer.encode("Thought: look\nAction: nothing\nAction Input: {}", add_special_tokens=False)
    tasks = toolenv.get_category("finance").tasks("test", n=2)
    episodes = [toolenv.Episode(t, book="closed", limits=toolenv.EpisodeLimits(max_steps=2)) for t in tasks]
    # one reply ends with EOS, the other is cut off (the loop closes its turn with an unscored EOS)
    records = run_episodes(episodes, ScoredScript([reply + [chat.eos_id], reply]), chat, 2, 64, scored=True)
    for record in records:
        assert len(record.logprobs) == len(record.completion_ids) == len(record.completion_mask)
        assert all((lp == -0.25) == bool(m) for lp, m in zip(record.logprobs, record.completion_mask))
        assert all(lp == 0.0 for lp, m in zip(record.logprobs, record.completion_mask) if not m)
    with pytest.raises(TypeError, match="log-probabilities"):
        run_episodes(episodes, types.SimpleNamespace(generate=None), chat, 2, 64, scored=True)
