"""The `vllm` backend (GPU machines; `pip install toolpast[vllm]`): the same TokenGenerator on vLLM's engine.

Used for evaluation (`LLM(model=dir)`) and for GRPO rollouts, where TRL's colocate mode owns the engine
(`trainer.vllm_generation.llm`) and syncs the policy weights into it before each generation.
"""

from __future__ import annotations


class VLLMGenerator:
    def __init__(self, llm, eos_id: int, temperature: float = 0.0, seed: int | None = None):
        self.llm, self.eos_id, self.temperature, self.seed = llm, eos_id, temperature, seed

    @classmethod
    def from_model_dir(cls, model_dir, eos_id: int, temperature: float = 0.0, seed: int | None = None,
                       dtype: str = "bfloat16", gpu_memory_utilization: float = 0.85, max_model_len: int = 8192):
        from vllm import LLM

        llm = LLM(model=str(model_dir), dtype=dtype, seed=seed or 0, gpu_memory_utilization=gpu_memory_utilization,
                  max_model_len=max_model_len, enable_prefix_caching=True)
        return cls(llm, eos_id, temperature, seed)

    def generate(self, sequences: list[list[int]], max_new_tokens: int) -> list[list[int]]:
        from vllm import SamplingParams
        from vllm.inputs import TokensPrompt

        params = SamplingParams(max_tokens=max_new_tokens, temperature=self.temperature, top_p=1.0,
                                stop_token_ids=[self.eos_id], seed=self.seed)
        outputs = self.llm.generate([TokensPrompt(prompt_token_ids=s) for s in sequences], params, use_tqdm=False)
        return [list(out.outputs[0].token_ids) for out in outputs]
