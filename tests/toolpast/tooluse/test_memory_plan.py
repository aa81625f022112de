"""The memory plan's arithmetic: parameter counts from config shapes, bytes per parameter by sharding, the split
of a step into micro-batches, and the colocated vLLM engine's phases."""

from __future__ import annotations

import json

import pytest
import torch

from toolpast.overrides import apply_overrides
from toolpast.tooluse.memory_plan import (
    GIB,
    KNOWN_SHAPES,
    LAYOUTS,
    Layout,
    ModelShape,
    model_shape,
    plan_memory,
    render_plan,
)
from toolpast.tooluse.presets import cpu, paper

QWEN = "Qwen/Qwen2.5-7B-Instruct"


def _meta_params(config) -> int:
    """Parameters of the real transformers architecture, built on the meta device (no memory)."""
    from transformers import AutoModelForCausalLM

    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    return sum(p.numel() for p in model.parameters())


def test_qwen_7b_shape_counts_the_real_architecture():
    shape, source = KNOWN_SHAPES[QWEN]
    assert "huggingface.co/Qwen/Qwen2.5-7B-Instruct" in source
    assert shape.params == 7_615_616_512  # the model card's 7.61B
    assert shape.params - 2 * shape.embedding_params == 6_525_621_760  # its 6.53B non-embedding
    from transformers import Qwen2Config

    config = Qwen2Config(hidden_size=3584, intermediate_size=18944, num_hidden_layers=28, num_attention_heads=28,
                         num_key_value_heads=4, vocab_size=152064, tie_word_embeddings=False)
    assert _meta_params(config) == shape.params
    assert ModelShape.from_config(config.to_dict()) == shape


def test_smollm2_and_tiny_shapes_match_their_models(tiny_model_dir):
    from transformers import LlamaConfig

    smol, _ = KNOWN_SHAPES["smollm2-135m-instruct"]
    assert smol.params == 134_515_008  # the entry count of the cpu preset's skill vectors
    assert _meta_params(LlamaConfig(hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
                                    num_attention_heads=9, num_key_value_heads=3, vocab_size=49152,
                                    tie_word_embeddings=True)) == smol.params
    config = json.loads((tiny_model_dir / "config.json").read_text())
    assert ModelShape.from_config(config) == KNOWN_SHAPES["tiny-random"][0]
    from toolpast.models import load_model

    assert sum(p.numel() for p in load_model(tiny_model_dir).parameters()) == KNOWN_SHAPES["tiny-random"][0].params


def test_a_local_config_wins_over_the_table_and_unknown_models_are_refused(tmp_path):
    config = {"model_type": "llama", "hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 1,
              "num_attention_heads": 2, "vocab_size": 10, "tie_word_embeddings": True}
    (tmp_path / "config.json").write_text(json.dumps(config))
    shape, source = model_shape(str(tmp_path))
    assert source == str(tmp_path / "config.json")
    assert shape.layer_params == 4 * 8 * 8 + 3 * 8 * 16 + 2 * 8  # q, k, v, o (no GQA); SwiGLU; two norms
    assert shape.params == 10 * 8 + shape.layer_params + 8  # tied embedding, one layer, final norm
    from transformers import LlamaConfig

    assert _meta_params(LlamaConfig(**config)) == shape.params
    with pytest.raises(ValueError, match="no config.json for model 'someone/unknown-model'"):
        model_shape("someone/unknown-model")
    with pytest.raises(ValueError, match="model_type 'gpt2'"):
        ModelShape.from_config({"model_type": "gpt2"})


def _layout(plan, gpus, sharding):
    return next(d for d in plan.layouts if d.gpus == gpus and d.sharding == sharding)


def test_zero3_over_8_gpus_splits_16_bytes_per_parameter_8_ways():
    plan = plan_memory(paper())
    p = plan.params
    assert p == 7_615_616_512
    eight = _layout(plan, 8, "zero3")
    for stage in eight.stages:
        assert stage.weights == pytest.approx(2 * p / 8 / GIB, abs=0.01)
        assert stage.grads == pytest.approx(2 * p / 8 / GIB, abs=0.01)
        assert stage.optimizer == pytest.approx(12 * p / 8 / GIB, abs=0.01)
        assert stage.weights + stage.grads + stage.optimizer == pytest.approx(16 * p / 8 / GIB, abs=0.03)
        assert stage.gathered == pytest.approx(2 * 152064 * 3584 / GIB, abs=0.01)  # the embedding, in bf16
    single = _layout(plan, 1, "single")  # fp32 weights, fp32 grads, fp32 Adam m and v: 16 bytes, unshared
    assert single.stages[0].weights + single.stages[0].grads + single.stages[0].optimizer == pytest.approx(
        16 * p / GIB, abs=0.03)
    offload = _layout(plan, 1, "zero3_offload")  # bf16 weights and grads on the GPU, 12 bytes on the host
    assert offload.stages[0].weights == pytest.approx(2 * p / GIB, abs=0.01)
    assert offload.stages[0].optimizer == 0
    assert offload.host_gib == pytest.approx(12 * p / GIB, abs=0.01)
    assert not single.fits and offload.fits and eight.fits  # 7B: why the preset needs ZeRO on one 80 GiB GPU


def test_the_same_recipe_splits_into_micro_batches_on_1_and_8_gpus():
    plan = plan_memory(paper())
    one, eight = _layout(plan, 1, "zero3_offload"), _layout(plan, 8, "zero3")
    cfg = paper()
    steps = {"sft (doc pairs)": cfg.sft.batch_size, "sft (trajectories)": cfg.sft.trajectories.batch_size,
             "rl (GRPO)": cfg.rl.prompts_per_step * cfg.rl.num_generations}
    for layout in (one, eight):
        for stage in layout.stages:  # every optimizer step sees the preset's batch, whatever the GPU count
            assert stage.micro_batch * stage.accumulation * layout.gpus == steps[stage.stage]
    rl1, rl8 = one.stages[-1], eight.stages[-1]
    assert (rl1.micro_batch, rl1.accumulation, rl8.accumulation) == (1, 64, 8)
    assert rl1.activations == rl8.activations  # same micro-batch, same activations
    bigger = plan_memory(apply_overrides(paper(), ["rl.micro_batch_size=2"]))
    assert _layout(bigger, 8, "zero3").stages[-1].activations == pytest.approx(2 * rl8.activations, abs=0.02)


def test_colocated_vllm_counts_once_per_phase_with_sleep_mode_and_always_without():
    layouts = (Layout(8, "zero3", None, "8"),)
    awake = plan_memory(apply_overrides(paper(), ["rl.vllm_enable_sleep_mode=false"]), layouts=layouts)
    asleep = plan_memory(paper(), layouts=layouts)
    for plan in (awake, asleep):
        rl = plan.layouts[0].stages[-1]
        assert rl.vllm == pytest.approx(0.3 * 80, abs=0.01)
    rl = asleep.layouts[0].stages[-1]
    states = rl.weights + rl.grads + rl.optimizer + rl.gathered
    assert rl.peak == pytest.approx(max(states + rl.vllm, states + rl.activations), abs=0.05)
    rl = awake.layouts[0].stages[-1]
    assert rl.peak == pytest.approx(states + rl.activations + rl.vllm, abs=0.05)
    sft = asleep.layouts[0].stages[0]
    assert sft.vllm == 0


def test_a_batch_that_does_not_split_over_the_gpus_is_reported_not_raised():
    plan = plan_memory(cpu())  # the cpu preset's 4-trajectory batches cannot split over 8 GPUs
    eight = _layout(plan, 8, "zero3")
    assert eight.stages == [] and not eight.fits
    assert "do not split evenly over 8 devices" in eight.error
    text = render_plan(plan)
    assert "cannot run:" in text and "peak" in text


def test_render_names_the_accelerate_configs_and_they_exist():
    from toolpast.paths import repo_root

    text = render_plan(plan_memory(paper()))
    for layout in LAYOUTS:
        if layout.accelerate_config:
            assert f"--config_file {layout.accelerate_config}" in text
            assert (repo_root() / layout.accelerate_config).is_file()
    assert "DOES NOT FIT" in text and "evaluation (vllm backend)" in text


def test_the_accelerate_configs_match_their_layouts():
    from accelerate.commands.config.config_args import load_config_from_file

    from toolpast.paths import repo_root

    for layout in LAYOUTS:
        if not layout.accelerate_config:
            continue
        config = load_config_from_file(str(repo_root() / layout.accelerate_config))
        assert config.num_processes == layout.gpus and config.mixed_precision == "bf16"
        ds = config.deepspeed_config
        assert ds["zero_stage"] == 3 and ds["zero3_save_16bit_model"] is False  # a 16-bit save rounds v away
        assert ds["offload_optimizer_device"] == ("cpu" if layout.sharding == "zero3_offload" else "none")
        assert "gradient_accumulation_steps" not in ds  # TRL's value (toolpast.batching) rules
    fsdp = load_config_from_file(str(repo_root() / "accelerate" / "fsdp_8gpu.yaml"))
    assert fsdp.num_processes == 8 and fsdp.fsdp_config["fsdp_state_dict_type"] == "FULL_STATE_DICT"
