"""Per-device GPU memory of a run's training stages, for `--dry-run`: what has to fit before anything is built.

A 7B full fine-tune fails on memory before anything else, and an out-of-memory error after an hour of SFT is an
expensive way to learn the arithmetic. So the plan is computed from the config alone: the model's shape (its
config.json, or a documented constant when the config is not on this machine), the precision, the sharding of an
accelerate config (`accelerate/`), and each stage's micro-batch (`toolpast.batching`). Per device and stage:

- weights, gradients, optimizer states: bytes per parameter by sharding (`BYTES_PER_PARAM`), split over the
  devices by ZeRO-3;
- gathered: ZeRO-3's working set of whole parameters (the larger of the embedding and two decoder layers, bf16);
- activations, an estimate under gradient checkpointing (TRL's default): each layer's input kept, one layer's
  activations and their gradients during its recomputation, and the logits with the loss's fp32 copies (with a
  150k vocabulary, the largest term);
- vLLM: the colocated engine's share (rl.vllm_gpu_memory_utilization of the GPU) while it generates; with sleep
  mode it is released for the optimizer step, so the peak is the larger of the generation and training phases.
Estimates for planning, not measurements: the CUDA context, NCCL buffers, vLLM's CUDA graphs and allocator
fragmentation are not counted (keep ~10% headroom). `scripts/gpu_check.py` measures real peaks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from toolpast.batching import split_step
from toolpast.config import TrainConfig
from toolpast.rollout.vllm import EVAL_GPU_MEMORY_UTILIZATION
from toolpast.tooluse.config import RunConfig

GIB = 2**30
Sharding = Literal["single", "zero3", "zero3_offload"]
# (weights, gradients, optimizer states) in bytes per parameter, on the GPU unless offloaded.
# single: one process, no sharding, fp32 weights (they are the fp32 master weights; bf16 autocast computes in
#   bf16), fp32 gradients, Adam's m and v in fp32: 4 + 4 + 8. In pure bf16/fp16 it would be 2 + 2 + 4 (and the
#   updates would round away: see docs/scaling.md).
# zero3: DeepSpeed bf16 mixed precision: bf16 weights and gradients, fp32 master weights + m + v in the
#   optimizer: 2 + 2 + 12 (ZeRO paper, Rajbhandari et al. 2020, section 3.1), all divided by the device count.
#   FSDP with fp32 sharded parameters and bf16 compute costs the same 16 bytes (4 + 4 + 8).
# zero3_offload: as zero3, but the 12 optimizer bytes live in host memory (ZeRO-Offload, DeepSpeed CPU Adam).
BYTES_PER_PARAM: dict[Sharding, tuple[int, int, int]] = {"single": (4, 4, 8), "zero3": (2, 2, 12),
                                                         "zero3_offload": (2, 2, 12)}
PURE_HALF_BYTES = (2, 2, 4)
# Closed-book ReAct prompts measure 260-289 tokens (SmolLM2's tokenizer, movies/finance/weather train tasks);
# 512 leaves room for other tokenizers. An RL sequence is this prompt plus rl.max_turns turns of
# (max_new_tokens + OBSERVATION_TOKENS), the completion budget tooluse/rl.py gives TRL.
PROMPT_TOKENS = 512
OBSERVATION_TOKENS = 256
LOGIT_LOSS_BYTES = 12  # per token and vocabulary entry beyond the logits themselves: fp32 upcast, log-softmax, grad


@dataclass(frozen=True)
class ModelShape:
    """The sizes that fix a decoder-only transformer's parameter count (Llama / Qwen2 / Mistral family)."""

    hidden_size: int
    intermediate_size: int
    num_hidden_layers: int
    num_attention_heads: int
    num_key_value_heads: int
    vocab_size: int
    tie_word_embeddings: bool
    head_dim: int | None = None  # None: hidden_size / num_attention_heads
    qkv_bias: bool = False  # Qwen2 has q/k/v biases by architecture
    o_bias: bool = False
    mlp_bias: bool = False

    @property
    def head(self) -> int:
        return self.head_dim or self.hidden_size // self.num_attention_heads

    @property
    def embedding_params(self) -> int:
        return self.vocab_size * self.hidden_size

    @property
    def layer_params(self) -> int:
        h, i, q, kv = self.hidden_size, self.intermediate_size, self.num_attention_heads * self.head, \
            self.num_key_value_heads * self.head
        attention = h * q + 2 * h * kv + q * h + (q + 2 * kv if self.qkv_bias else 0) + (h if self.o_bias else 0)
        mlp = 3 * h * i + (2 * i + h if self.mlp_bias else 0)  # SwiGLU: gate, up, down
        return attention + mlp + 2 * h  # two RMSNorm weights

    @property
    def params(self) -> int:
        embeddings = self.embedding_params * (1 if self.tie_word_embeddings else 2)
        return self.num_hidden_layers * self.layer_params + embeddings + self.hidden_size  # + the final norm

    @classmethod
    def from_config(cls, config: dict) -> ModelShape:
        """From a Hugging Face config.json (a nested text_config is read too)."""
        nested = config.get("text_config")
        text = {**(nested if isinstance(nested, dict) else {}), **config}
        kind = text.get("model_type")
        if kind not in ("llama", "qwen2", "mistral"):
            raise ValueError(f"memory plan: model_type {kind!r} is not a Llama/Qwen2/Mistral decoder; the parameter "
                             "count formula covers those three")
        attention_bias = bool(text.get("attention_bias", False))
        head_dim = text.get("head_dim")
        if head_dim and head_dim * text.get("num_attention_heads", 0) == text.get("hidden_size"):
            head_dim = None  # the default, written out (transformers 5 does): one shape, one value
        try:
            return cls(hidden_size=text["hidden_size"], intermediate_size=text["intermediate_size"],
                       num_hidden_layers=text["num_hidden_layers"], num_attention_heads=text["num_attention_heads"],
                       num_key_value_heads=text.get("num_key_value_heads") or text["num_attention_heads"],
                       vocab_size=text["vocab_size"], tie_word_embeddings=bool(text.get("tie_word_embeddings")),
                       head_dim=head_dim, qkv_bias=kind == "qwen2" or attention_bias,
                       o_bias=attention_bias and kind != "qwen2", mlp_bias=bool(text.get("mlp_bias", False)))
        except KeyError as missing:
            raise ValueError(f"memory plan: config.json lacks {missing}") from None


# Shapes of the models the presets name, for when their config.json is not on this machine (the hub may be
# unreachable, and a dry run downloads nothing).
KNOWN_SHAPES: dict[str, tuple[ModelShape, str]] = {
    # https://huggingface.co/Qwen/Qwen2.5-7B-Instruct/blob/main/config.json: hidden_size 3584, intermediate_size
    # 18944, num_hidden_layers 28, num_attention_heads 28, num_key_value_heads 4, vocab_size 152064,
    # tie_word_embeddings false, model_type qwen2 (q/k/v biases). 7,615,616,512 parameters: the model card's
    # "7.61B" (6.53B non-embedding).
    "Qwen/Qwen2.5-7B-Instruct": (
        ModelShape(hidden_size=3584, intermediate_size=18944, num_hidden_layers=28, num_attention_heads=28,
                   num_key_value_heads=4, vocab_size=152064, tie_word_embeddings=False, qkv_bias=True),
        "documented constant: config.json of huggingface.co/Qwen/Qwen2.5-7B-Instruct"),
    # https://huggingface.co/HuggingFaceTB/SmolLM2-135M-Instruct/blob/main/config.json (llama): 134,515,008
    # parameters, the entry count of the cpu preset's skill vectors.
    "smollm2-135m-instruct": (
        ModelShape(hidden_size=576, intermediate_size=1536, num_hidden_layers=30, num_attention_heads=9,
                   num_key_value_heads=3, vocab_size=49152, tie_word_embeddings=True),
        "documented constant: config.json of huggingface.co/HuggingFaceTB/SmolLM2-135M-Instruct"),
    # toolpast.models.tiny.build_tiny_random's defaults
    "tiny-random": (
        ModelShape(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                   num_key_value_heads=2, vocab_size=2048, tie_word_embeddings=True),
        "documented constant: toolpast.models.tiny.build_tiny_random"),
}


def model_shape(spec: str) -> tuple[ModelShape, str]:
    """The shape of a --model spec and where it came from, without building or downloading anything."""
    from toolpast.paths import models_dir

    candidates = [Path(spec).expanduser() / "config.json", models_dir() / spec / "config.json"]
    if "/" in spec and not Path(spec).expanduser().exists():
        try:
            from huggingface_hub import try_to_load_from_cache

            cached = try_to_load_from_cache(spec, "config.json")
            if isinstance(cached, str):
                candidates.append(Path(cached))
        except Exception:  # no hub library or a malformed id: fall through to the table
            pass
    for path in candidates:
        if path.is_file():
            return ModelShape.from_config(json.loads(path.read_text(encoding="utf-8"))), str(path)
    if spec in KNOWN_SHAPES:
        return KNOWN_SHAPES[spec]
    raise ValueError(f"memory plan: no config.json for model {spec!r} on this machine and no documented shape; "
                     "pass a local checkpoint directory as --model")


@dataclass(frozen=True)
class Layout:
    """A way to run the training stages: GPU count, sharding, and the accelerate config that sets it up."""

    gpus: int
    sharding: Sharding
    accelerate_config: str | None
    title: str


LAYOUTS = (
    Layout(1, "single", None, "1 GPU, one process, no sharding (plain `toolpast run`)"),
    Layout(1, "zero3_offload", "accelerate/zero3_offload_1gpu.yaml",
           "1 GPU, DeepSpeed ZeRO-3, optimizer states in host memory"),
    Layout(8, "zero3", "accelerate/zero3_8gpu.yaml", "8 GPUs, DeepSpeed ZeRO-3"),
)


class StageMemory(BaseModel):
    """One training stage's per-device memory, in GiB."""

    stage: str
    micro_batch: int = Field(description="Sequences per device per forward/backward pass.")
    accumulation: int = Field(description="Micro-batches accumulated per optimizer step.")
    tokens: int = Field(description="Tokens per sequence the activations are sized for.")
    weights: float
    grads: float
    optimizer: float
    gathered: float = Field(description="ZeRO-3: whole parameters gathered for the layer being computed.")
    activations: float
    vllm: float = Field(description="The colocated vLLM engine while it generates (0 without vLLM).")
    peak: float = Field(description="The larger of the generation phase and the training phase.")


class DevicePlan(BaseModel):
    """Every training stage under one layout."""

    gpus: int
    sharding: Sharding
    accelerate_config: str | None
    title: str
    gpu_gib: float
    host_gib: float = Field(description="Host memory for offloaded optimizer states, all processes together.")
    stages: list[StageMemory]
    peak: float
    fits: bool
    error: str | None = Field(None, description="Why this layout cannot run the config (e.g. a batch that does "
                                                "not split over the GPUs); stages are then empty.")


class MemoryPlan(BaseModel):
    """The memory plan of a run config: one DevicePlan per layout."""

    model: str
    shape_source: str
    params: int
    precision: str
    layouts: list[DevicePlan]
    eval_note: str
    disk_note: str


@dataclass(frozen=True)
class _Stage:
    name: str
    cfg: TrainConfig
    batch: int
    tokens: int
    generates: bool = False  # GRPO: rollouts between optimizer steps
    vllm_share: float = 0.0  # fraction of the GPU
    vllm_sleeps: bool = False


def _stages(cfg: RunConfig) -> list[_Stage]:
    stages = []
    if cfg.warmup.enabled:
        stages.append(_Stage("warmup", cfg.warmup, cfg.warmup.batch_size, cfg.warmup.max_length))
    docs = "sft (doc pairs)" if cfg.sft.data == "docs+trajectories" else "sft (docs)"
    stages.append(_Stage(docs, cfg.sft, cfg.sft.batch_size, cfg.sft.max_length))
    if cfg.sft.data == "docs+trajectories":
        t = cfg.sft.trajectories
        stages.append(_Stage("sft (trajectories)", t, t.batch_size, t.max_length))
    rl = cfg.rl
    stages.append(_Stage("rl (GRPO)", rl, rl.prompts_per_step * rl.num_generations,
                         PROMPT_TOKENS + rl.max_turns * (rl.max_new_tokens + OBSERVATION_TOKENS), True,
                         rl.vllm_gpu_memory_utilization if rl.use_vllm else 0.0, rl.vllm_enable_sleep_mode))
    return stages


def _compute_bytes(stage_cfg: TrainConfig, dtype: str, sharding: Sharding) -> int:
    """Bytes of one activation value: 2 under bf16 autocast, DeepSpeed bf16 or half-precision weights."""
    return 2 if sharding != "single" or stage_cfg.bf16_autocast or dtype != "float32" else 4


def _stage_memory(stage: _Stage, shape: ModelShape, cfg: RunConfig, layout: Layout, gpu_gib: float) -> StageMemory:
    n, p = layout.gpus, shape.params
    split = split_step(stage.batch, stage.cfg.micro_batch_size, n, what=f"{stage.name} batch")
    w_b, g_b, o_b = BYTES_PER_PARAM[layout.sharding]
    if layout.sharding == "single" and cfg.dtype != "float32":
        w_b, g_b, o_b = PURE_HALF_BYTES
    divide = n if layout.sharding != "single" else 1
    weights, grads = w_b * p / divide, g_b * p / divide
    optimizer = 0.0 if layout.sharding == "zero3_offload" else o_b * p / divide
    gathered = 2 * max(shape.embedding_params, 2 * shape.layer_params) if divide > 1 else 0.0
    h, i = shape.hidden_size, shape.intermediate_size
    tokens = split.micro_batch * stage.tokens
    act = _compute_bytes(stage.cfg, cfg.dtype, layout.sharding)
    activations = tokens * (shape.num_hidden_layers * h * act  # checkpointed layer inputs
                            + 2 * (8 * h + 4 * i) * act  # one layer recomputed: norm/q/k/v/attn/o, gate/up/act/product
                            + shape.vocab_size * (act + LOGIT_LOSS_BYTES))  # logits and the loss's fp32 copies
    states = weights + grads + optimizer + gathered
    vllm = stage.vllm_share * gpu_gib * GIB
    if stage.vllm_share:
        generation = states + vllm
        training = states + activations + (0.0 if stage.vllm_sleeps else vllm)
    elif stage.generates and divide > 1:  # HF generation under ZeRO-3 gathers the whole bf16 model
        generation, training = states + 2 * p, states + activations
    else:
        generation, training = 0.0, states + activations
    gib = lambda b: round(b / GIB, 2)  # noqa: E731
    return StageMemory(stage=stage.name, micro_batch=split.micro_batch, accumulation=split.accumulation,
                       tokens=stage.tokens, weights=gib(weights), grads=gib(grads), optimizer=gib(optimizer),
                       gathered=gib(gathered), activations=gib(activations), vllm=gib(vllm),
                       peak=gib(max(generation, training)))


def plan_memory(cfg: RunConfig, gpu_gib: float = 80.0, layouts: tuple[Layout, ...] = LAYOUTS) -> MemoryPlan:
    """Per-device memory of every training stage of `cfg` under each layout, on GPUs of `gpu_gib` GiB."""
    shape, source = model_shape(cfg.model)
    p = shape.params
    plans = []
    for layout in layouts:
        host = 12 * p / GIB if layout.sharding == "zero3_offload" else 0.0
        try:
            stages = [_stage_memory(s, shape, cfg, layout, gpu_gib) for s in _stages(cfg)]
        except ValueError as error:
            plans.append(DevicePlan(gpus=layout.gpus, sharding=layout.sharding, title=layout.title,
                                    accelerate_config=layout.accelerate_config, gpu_gib=gpu_gib,
                                    host_gib=round(host, 2), stages=[], peak=0.0, fits=False, error=str(error)))
            continue
        peak = max(s.peak for s in stages)
        plans.append(DevicePlan(gpus=layout.gpus, sharding=layout.sharding, title=layout.title,
                                accelerate_config=layout.accelerate_config, gpu_gib=gpu_gib, host_gib=round(host, 2),
                                stages=stages, peak=peak, fits=peak <= gpu_gib))
    autocast = all(s.cfg.bf16_autocast for s in _stages(cfg))
    precision = (f"fp32 master weights{', bf16 compute (autocast / DeepSpeed bf16)' if autocast else ''}"
                 if cfg.dtype == "float32" else f"pure {cfg.dtype} weights and optimizer (no fp32 master copy)")
    if cfg.eval.backend == "vllm":
        note = (f"evaluation (vllm backend): one engine per process at {EVAL_GPU_MEMORY_UTILIZATION:.2f} of the GPU "
                f"= {EVAL_GPU_MEMORY_UTILIZATION * gpu_gib:.1f} GiB, after the training stages have released theirs")
    else:
        note = (f"evaluation ({cfg.eval.backend} backend): the model's weights ({2 * p / GIB:.1f} GiB in bf16) + "
                "KV cache")
    weight_bytes = {"float32": 4, "bfloat16": 2, "float16": 2}[cfg.dtype]
    disk = (f"disk: each stage's model {weight_bytes * p / GIB:.1f} GiB ({cfg.dtype}); a resumable checkpoint "
            f"(weights + optimizer states, one kept per stage) {16 * p / GIB:.1f} GiB, removed when the stage ends")
    return MemoryPlan(model=cfg.model, shape_source=source, params=p, precision=precision, layouts=plans,
                      eval_note=note, disk_note=disk)


def render_plan(plan: MemoryPlan) -> str:
    """The plan as a plain-text table per layout (GiB per device)."""
    lines = [f"memory plan: {plan.model}, {plan.params / 1e9:.2f} B parameters ({plan.shape_source}); "
             f"{plan.precision}; GiB per device"]
    header = (f"  {'stage':<20} {'micro x acc':>11} {'tokens':>6} {'weights':>8} {'grads':>7} {'optim':>7} "
              f"{'gathered':>8} {'activ':>7} {'vLLM':>6} {'peak':>7}")
    for layout in plan.layouts:
        launch = f"  [accelerate launch --config_file {layout.accelerate_config}]" if layout.accelerate_config else ""
        lines.append(f"{layout.title}{launch}")
        if layout.error:
            lines.append(f"  cannot run: {layout.error}")
            continue
        lines.append(header)
        for s in layout.stages:
            lines.append(f"  {s.stage:<20} {f'{s.micro_batch} x {s.accumulation}':>11} {s.tokens:>6} "
                         f"{s.weights:>8.1f} {s.grads:>7.1f} {s.optimizer:>7.1f} {s.gathered:>8.1f} "
                         f"{s.activations:>7.1f} {s.vllm:>6.1f} {s.peak:>7.1f}")
        verdict = "fits" if layout.fits else "DOES NOT FIT"
        host = f"; host memory for the optimizer states: {layout.host_gib:.1f} GiB" if layout.host_gib else ""
        lines.append(f"  peak {layout.peak:.1f} of {layout.gpu_gib:.0f} GiB: {verdict}{host}")
    lines += [plan.eval_note, plan.disk_note]
    return "\n".join(lines)
