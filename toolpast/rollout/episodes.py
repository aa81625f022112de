"""Run many toolenv episodes at once, turn by turn, on any TokenGenerator; keep the token-level record RL needs."""

from __future__ import annotations

from dataclasses import dataclass, field

from toolpast.rollout.chat_tokens import ChatTokens
from toolpast.rollout.generator import TokenGenerator


@dataclass
class EpisodeRecord:
    """One finished (or cut-off) episode: its prompt ids, and the completion with model/environment masks."""

    episode: object
    prompt_ids: list[int]
    completion_ids: list[int] = field(default_factory=list)
    completion_mask: list[int] = field(default_factory=list)  # 1 = sampled by the model, 0 = environment text
    turns: int = 0
    # with `scored`: per completion token, the log-probability it was sampled with (0.0 on environment tokens)
    logprobs: list[float] | None = None

    @property
    def model_tokens(self) -> int:
        return sum(self.completion_mask)


def run_episodes(episodes: list, generator: TokenGenerator, chat: ChatTokens, max_turns: int,
                 max_new_tokens: int, keys: list[str] | None = None, scored: bool = False) -> list[EpisodeRecord]:
    """Advance all live episodes together for up to max_turns model turns.

    `keys`: one stable name per episode (task and sample), handed to generators that seed each episode's
    sampling from it (vllm). `scored`: also record the log-probability of every sampled token (the generator's
    `generate_scored`: vllm), for GRPO's importance-sampling correction.
    """
    if scored and not hasattr(generator, "generate_scored"):
        raise TypeError(f"{type(generator).__name__} does not report sampling log-probabilities (scored=True)")
    records = [EpisodeRecord(ep, chat.prompt_ids(ep.reset()), logprobs=[] if scored else None) for ep in episodes]
    key_of = {id(r): k for r, k in zip(records, keys)} if keys is not None else None
    for turn in range(max_turns):
        live = [r for r in records if not r.episode.done]
        if not live:
            break
        sequences = [r.prompt_ids + r.completion_ids for r in live]
        named = {} if key_of is None else {"keys": [key_of[id(r)] for r in live]}
        if scored:
            outputs = generator.generate_scored(sequences, max_new_tokens, **named)
        else:
            outputs = [(new, None) for new in generator.generate(sequences, max_new_tokens, **named)]
        for record, (new, logprobs) in zip(live, outputs):
            sampled = list(new)
            record.completion_ids += sampled
            record.completion_mask += [1] * len(sampled)
            if scored:
                record.logprobs += list(logprobs)
            if not sampled or sampled[-1] != chat.eos_id:  # cut off mid-turn: close the turn for the next one
                record.completion_ids.append(chat.eos_id)
                record.completion_mask.append(0)
                if scored:
                    record.logprobs.append(0.0)
            record.turns += 1
            record.episode.step(chat.turn_text(sampled))
            if not record.episode.done and turn + 1 < max_turns:
                obs = chat.observation_ids(record.episode.messages[-1]["content"])
                record.completion_ids += obs
                record.completion_mask += [0] * len(obs)
                if scored:
                    record.logprobs += [0.0] * len(obs)
    return records
