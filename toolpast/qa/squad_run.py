"""`toolpast qa squad`: SQuAD knowledge incorporation under SEAL's protocol, with PaST, as a leaderboard.

    [past]  source passages -> SFT -> GRPO (reward: grader) -> v = rl - sft   (K rounds, source_skill.py)
    base    the untrained model answers the evaluation questions closed-book
    single_passage: per passage, LoRA on passage (+ implications) -> answer -> (+ lambda v -> answer) -> discard
    cpt:    one SFT on the n passages at once -> answer all their questions -> (+ lambda v -> answer)
    -> leaderboard JSON (suite "squad") and a table with per-passage (SEAL's) and per-answer accuracy.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

from toolpast.artifacts import ArtifactStore
from toolpast.io import atomic_write_text
from toolpast.leaderboard.schema import Leaderboard
from toolpast.models import load_model, load_tokenizer, resolve_model
from toolpast.models.identity import weights_sha256
from toolpast.progress import console
from toolpast.qa.answer import passage_questions
from toolpast.qa.config import QARunConfig, SquadConfig
from toolpast.qa.entries import QAResult, render_qa_table, to_entry
from toolpast.qa.records import Passage
from toolpast.qa.sequences import passage_sequences
from toolpast.qa.stages import evaluate_model, make_grader, read_answers, self_implications
from toolpast.qa.squad_data import SEAL_N, SEAL_SEED, load_squad_val, seal_eval_passages, source_passages
from toolpast.stages.model_ref import Model
from toolpast.stages.runner import Runner, build_id

SOURCE_TAG = "squad_val-minus-seal200"


class Base:
    """The base model: resolved once, loaded into memory on first use and then shared."""

    def __init__(self, cfg: QARunConfig):
        self.cfg, self.dir = cfg, resolve_model(cfg.model)
        self.sha = weights_sha256(self.dir)
        self.ref = {"model": cfg.model, "weights_sha256": self.sha}
        self._loaded = None

    def load(self):
        if self._loaded is None:
            self._loaded = (load_model(self.dir, dtype=self.cfg.dtype), load_tokenizer(self.dir))
        return self._loaded


def dir_loader(path: Path, dtype: str):
    return lambda: (load_model(path, dtype=dtype), load_tokenizer(path))


def by_passage(verdicts: dict[str, list[bool]]) -> dict[str, list[bool]]:
    """question id `<passage>/<j>` -> verdicts, regrouped per passage."""
    out: dict[str, list[bool]] = {}
    for qid, v in verdicts.items():
        out.setdefault(qid.split("/")[0], []).extend(v)
    return out


def needs_self(cfg: QARunConfig) -> bool:
    return any(k.endswith(":self") for k in [*cfg.knowledge, *cfg.past])


def skill_vector(cfg: QARunConfig, runner: Runner, base: Base, grader):
    """(vector artifact, rounds) learned on source passages, or (None, []) when no PaST variant is asked for."""
    if not cfg.past:
        return None, []
    from toolpast.qa.source_skill import learn_qa_skill

    source = source_passages(cfg.squad_dir, n=cfg.source.passages, seed=cfg.seed,
                             exclude_eval_titles=cfg.source.exclude_eval_titles)
    if cfg.source.knowledge.endswith(":self"):
        source = self_implications(runner, cfg, base.ref, base.load, source, "source")
    rounds = learn_qa_skill(cfg, runner, Model(base.dir, base.ref), source, grader)
    for r in rounds:
        console.print(f"round {r.k}: GRPO reward per step {r.rl.outputs.get('reward_curve')}; "
                      f"||v|| = {r.vector.outputs.get('total_l2_norm', float('nan')):.4g}", soft_wrap=True)
    return rounds[-1].vector, rounds


def seal_ordered(cfg: SquadConfig, n: int) -> list[Passage]:
    """The first n passages of squad_val in SEAL's order; the first 200 carry SEAL's implications."""
    if n <= SEAL_N:
        return seal_eval_passages(cfg.squad_dir)[:n]
    rest = load_squad_val(Path(cfg.squad_dir) / "squad_val.json" if cfg.squad_dir else None)
    random.Random(SEAL_SEED).shuffle(rest)  # SEAL: random.seed(42); random.shuffle(raw) (as squad_data does)
    if n > len(rest):
        raise ValueError(f"cpt.n={n}: squad_val has {len(rest)} passages")
    return seal_eval_passages(cfg.squad_dir) + rest[SEAL_N:n]


def category(cfg: SquadConfig) -> str:
    if cfg.setting == "single_passage":
        return "seal200" if cfg.passages == SEAL_N else f"seal200_first{cfg.passages}"
    n = cfg.cpt.n
    return "seal200" if n == SEAL_N else "squad_val" if n == 2067 else f"seal_order_first{n}"


def run_squad(cfg: SquadConfig, export: Path | None = None, command: str = "toolpast qa squad",
              force: set[str] = frozenset(), store: ArtifactStore | None = None) -> tuple[Leaderboard, Path]:
    store = store or ArtifactStore()
    runner, grader, base = Runner(store, set(force)), make_grader(cfg.grader), Base(cfg)
    n = cfg.passages if cfg.setting == "single_passage" else cfg.cpt.n
    if cfg.past and cfg.setting == "cpt" and n > SEAL_N:
        raise ValueError(f"cpt.n={n} > {SEAL_N}: the evaluation passages would include the skill vector's source "
                         "passages (squad_val minus SEAL's 200); drop `past` or use n <= 200")
    vector, rounds = skill_vector(cfg, runner, base, grader)
    passages = seal_ordered(cfg, n)
    if needs_self(cfg):
        passages = self_implications(runner, cfg, base.ref, base.load, passages, "eval")
    questions = passage_questions(passages)
    setting = "single_passage" if cfg.setting == "single_passage" else f"cpt:{n}"
    past_meta = dict(lam=cfg.lam, vector_id=vector.key if vector else None, rounds=cfg.source.rounds,
                     source=[SOURCE_TAG])
    results: list[QAResult] = []
    if cfg.base:
        answers = evaluate_model(runner, cfg, "base", base.ref, base.load, questions, grader)
        results.append(QAResult("base", None, setting, by_passage(read_answers(answers.path)), base.sha))
    if cfg.setting == "single_passage":
        results += _single(cfg, base, passages, grader, vector, past_meta)
    else:
        results += _cpt(cfg, runner, base, passages, questions, grader, vector, past_meta)
    board = Leaderboard(entries=[to_entry(r, cfg, "squad", category(cfg), command, store.commit, grader.name)
                                 for r in results])
    suffix = "" if cfg.setting == "single_passage" else "_cpt"
    out = export or Path("leaderboards") / f"squad_{category(cfg)}{suffix}_{cfg.preset}.json"
    atomic_write_text(out, board.model_dump_json(indent=2) + "\n")
    console.print(render_qa_table(board, f"SQuAD closed-book ({setting}, {category(cfg)}, grader {grader.name})"))
    return board, out


def _single(cfg: SquadConfig, base: Base, passages: list[Passage], grader, vector, past_meta) -> list[QAResult]:
    from toolpast.qa.passage_sft import PassageAdapter, load_vector
    from toolpast.qa.single_passage import run_single_passage

    model, tokenizer = base.load()
    adapter = PassageAdapter(model, tokenizer)
    tensors = load_vector(vector.path / "vector") if vector is not None else None
    spec = {"suite": "squad", "model": base.ref, "seed": cfg.seed, "dtype": cfg.dtype,
            "passage_sft": cfg.passage_sft.model_dump(), "answer": cfg.answer.model_dump(exclude={"batch_size"}),
            "grader": grader.name, "knowledge": cfg.knowledge, "past": cfg.past, "lam": cfg.lam,
            "vector": build_id(vector) if vector is not None else None,
            "implications": cfg.implications.model_dump(exclude={"batch_size"}) if needs_self(cfg) else None}
    by_label = run_single_passage(cfg, adapter, list(enumerate(passages)), grader, spec, tensors)
    results = [QAResult("sft", k, "single_passage", by_label[f"sft:{k}"], base.sha) for k in cfg.knowledge]
    results += [QAResult("past", k, "single_passage", by_label[f"past:{k}"], base.sha, **past_meta)
                for k in cfg.past]
    return results


def _cpt(cfg: SquadConfig, runner: Runner, base: Base, passages: list[Passage], questions, grader, vector,
         past_meta) -> list[QAResult]:
    from toolpast.config import TrainConfig
    from toolpast.qa.single_passage import completions_for
    from toolpast.qa.source_skill import passages_digest
    from toolpast.stages.sft import run_sft
    from toolpast.stages.skill_stages import inject_stage

    n, results = len(passages), []
    for knowledge in dict.fromkeys([*cfg.knowledge, *cfg.past]):
        rows = [{"text": t} for p in passages for c in range(completions_for(knowledge, cfg))
                for t in passage_sequences(p, knowledge, c, cfg.passage_sft.max_sequences, split_newlines=False)]
        steps = cfg.cpt.steps if cfg.cpt.steps_override else math.ceil(cfg.cpt.epochs * len(rows)
                                                                        / cfg.cpt.batch_size)
        train = TrainConfig(**{**cfg.cpt.model_dump(include=set(TrainConfig.model_fields)), "steps": steps})
        spec = {"start": base.ref, "seed": cfg.seed, "dtype": cfg.dtype, "passages": passages_digest(passages),
                "n": n, "knowledge": knowledge, "sft": train.model_dump()}
        sft = runner.stage("qa_cpt_sft", spec, lambda w, rows=rows, train=train: run_sft(
            base.dir, rows, train, w, cfg.seed, cfg.dtype, f"CPT {n} passages ({knowledge})"))
        sft_dir = sft.path / "model"
        if knowledge in cfg.knowledge:
            art = evaluate_model(runner, cfg, f"cpt:{knowledge}", build_id(sft), dir_loader(sft_dir, cfg.dtype),
                                 questions, grader)
            results.append(QAResult("sft", knowledge, f"cpt:{n}", by_passage(read_answers(art.path)),
                                    weights_sha256(sft_dir)))
        if knowledge in cfg.past:
            past = inject_stage(runner, "qa_inject", Model.of(sft), vector, cfg.lam, cfg.min_vector_kept)
            art = evaluate_model(runner, cfg, f"cpt+past:{knowledge}", build_id(past),
                                 dir_loader(past.path / "model", cfg.dtype), questions, grader)
            results.append(QAResult("past", knowledge, f"cpt:{n}", by_passage(read_answers(art.path)),
                                    weights_sha256(past.path / "model"), **past_meta))
    return results
