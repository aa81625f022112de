"""Token-exact multi-turn chats: the model is always fed back exactly the ids it generated.

Re-rendering a whole conversation through the chat template after each turn can tokenise the model's own
text differently from how it was sampled, which biases RL log-probabilities. Instead we append the sampled ids
as they are and splice the environment's observation in with the template's own wrapper text, which we read
off the template once by rendering a probe conversation.
"""

from __future__ import annotations

_A, _O = "\x00ASSISTANT\x00", "\x00OBSERVATION\x00"


class ChatTokens:
    """Builds prompt ids and observation ids for one tokenizer's chat template."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.eos_id = tokenizer.eos_token_id
        probe = [{"role": "system", "content": "s"}, {"role": "user", "content": "u"},
                 {"role": "assistant", "content": _A}, {"role": "user", "content": _O}]
        full = tokenizer.apply_chat_template(probe, tokenize=False, add_generation_prompt=True)
        after = full[full.index(_A) + len(_A):]
        if after.startswith(tokenizer.eos_token):  # the model's own stop token ends its turn
            after = after[len(tokenizer.eos_token):]
        self._before_obs, self._after_obs = after.split(_O)

    def prompt_ids(self, messages: list[dict]) -> list[int]:
        ids = self.tokenizer.apply_chat_template(messages, tokenize=True, add_generation_prompt=True)
        return list(ids["input_ids"] if isinstance(ids, dict) or hasattr(ids, "keys") else ids)

    def observation_ids(self, content: str) -> list[int]:
        """Ids that close the model's turn's trailing text, carry the observation and open the next turn."""
        text = self._before_obs + content + self._after_obs
        return self.tokenizer.encode(text, add_special_tokens=False)

    def turn_text(self, ids: list[int]) -> str:
        return self.tokenizer.decode(ids, skip_special_tokens=True)
