"""probe_accuracy: the real generation path on the tiny model, and exact scoring through a fake generator."""

import json

import toolenv
from toolpast.models import load_tokenizer
from toolpast.tooluse.knowledge_probe import probe_accuracy


def _probes(n: int = 3):
    probes = toolenv.get_category("finance").knowledge_probes()
    return [p for p in probes if p.kind == "which_api"][:n] + [p for p in probes if p.kind == "params"][:n]


def test_tiny_model_runs_and_writes_probes_jsonl(tiny_model_dir, tmp_path):
    probes = _probes()
    out = probe_accuracy(tiny_model_dir, probes, batch_size=4, max_new_tokens=6, workdir=tmp_path)
    assert set(out) == {"knowledge_accuracy", "knowledge_n", "by_kind"}
    assert out["knowledge_n"] == len(probes) and 0.0 <= out["knowledge_accuracy"] <= 1.0
    assert set(out["by_kind"]) == {"which_api", "params"}
    rows = [json.loads(line) for line in (tmp_path / "probes.jsonl").read_text().splitlines()]
    assert [r["question"] for r in rows] == [p.question for p in probes]
    assert all(isinstance(r["reply"], str) and isinstance(r["correct"], bool) for r in rows)
    again = probe_accuracy(tiny_model_dir, probes, batch_size=4, max_new_tokens=6, workdir=tmp_path / "again")
    assert again == out  # greedy and deterministic
    assert (tmp_path / "again" / "probes.jsonl").read_text() == (tmp_path / "probes.jsonl").read_text()


class Oracle:
    """A token-level generator that answers each probe right (or always names `wrong`), ending with EOS."""

    def __init__(self, tokenizer, probes, wrong: str | None = None):
        self.tokenizer, self.probes, self.wrong = tokenizer, probes, wrong

    def generate(self, sequences, max_new_tokens):
        out = []
        for seq in sequences:
            prompt = self.tokenizer.decode(seq)
            probe = next(p for p in self.probes if p.question in prompt)
            answer = self.wrong or ", ".join(probe.expected)
            out.append(self.tokenizer.encode(answer, add_special_tokens=False) + [self.tokenizer.eos_token_id])
        return out


def test_right_answers_score_one_and_wrong_ones_zero(tiny_model_dir, tmp_path):
    probes = toolenv.get_category("finance").knowledge_probes()
    tokenizer = load_tokenizer(tiny_model_dir)
    out = probe_accuracy(tiny_model_dir, probes, generator=Oracle(tokenizer, probes), workdir=tmp_path)
    assert out == {"knowledge_accuracy": 1.0, "knowledge_n": len(probes), "by_kind": {"params": 1.0, "which_api": 1.0}}
    rows = [json.loads(line) for line in (tmp_path / "probes.jsonl").read_text().splitlines()]
    assert rows[0]["reply"] == probes[0].function and all(r["correct"] for r in rows)
    wrong = probe_accuracy(tiny_model_dir, probes, generator=Oracle(tokenizer, probes, "get_quote_for_stock_quotes"))
    which = [p for p in probes if p.kind == "which_api"]
    assert wrong["by_kind"]["which_api"] == 1 / len(which)  # right only for get_quote itself
    assert wrong["by_kind"]["params"] == 0.0
