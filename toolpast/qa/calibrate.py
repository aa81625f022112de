"""How often the offline grader agrees with GPT-4.1 on SEAL's own graded answers (`toolpast qa calibrate`).

SEAL's result files (`results/query_server/eval/*.json`, copied to ../shared/data/squad/judge_calibration/) hold,
per question, the gold answer, two model answers (`baseline_answer` by Qwen2.5-7B, `adapter_answer` after the
LoRA update) and GPT-4.1's yes/no on each. Every (question, answer) is one item; the grader sees the question as
SEAL's judge did (`Topic: <title>` first). Reported per file and pooled: agreement, Cohen's kappa and the confusion
counts; then an overfitting check: the two thresholds refitted on one part, scored on the rest, for two splits:
by file (SEAL's base and naive-SFT runs; note their baseline answers are the same text) and by passage (even vs
odd passage index, pooled over files, so no answer text is on both sides).
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, Field

from toolpast.qa.grading import GradeDetail, GraderConfig, OfflineGrader, normalize_answer
from toolpast.qa.prompts import seal_question

SOURCES = ("baseline", "adapter")
THRESHOLD_GRID = (0.4, 0.5, 0.6, 0.67, 0.75, 0.8, 1.0, 1.01)  # 1.01 turns a clause off


class CalibrationItem(BaseModel):
    file: str = Field(description="Name of the verdict file.")
    article: int = Field(description="Index of the passage in the file.")
    question: str = Field(description="The question as SEAL's judge saw it (with the Topic line).")
    gold: str
    prediction: str
    judge: bool = Field(description="GPT-4.1's verdict in the file.")
    source: str = Field(description="baseline or adapter answer.")


class Agreement(BaseModel):
    name: str
    n: int
    agreement: float
    kappa: float
    yes_yes: int = Field(description="Grader correct, judge correct.")
    yes_no: int = Field(description="Grader correct, judge wrong.")
    no_yes: int = Field(description="Grader wrong, judge correct.")
    no_no: int = Field(description="Both wrong.")


class CrossFit(BaseModel):
    fit_on: str
    config: GraderConfig
    fit_agreement: float
    heldout: Agreement


class CalibrationReport(BaseModel):
    grader: str
    config: GraderConfig
    files: list[Agreement]
    pooled: Agreement
    references: list[Agreement] = Field(description="Simpler rules on the pooled items, for comparison.")
    cross_fit: list[CrossFit]


def load_verdicts(path: Path | str) -> list[CalibrationItem]:
    """The (question, answer, GPT-4.1 verdict) items of one SEAL result file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"verdict file {path} not found") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not valid JSON: {err}") from err
    if not isinstance(data, dict) or not isinstance(data.get("articles"), list):
        raise ValueError(f"{path}: expected SEAL's result format, an object with an 'articles' list")
    items = []
    for i, article in enumerate(data["articles"]):
        try:
            for completion in article["completions"]:
                for q in completion["questions"]:
                    for src in SOURCES:
                        verdict = q[f"{src}_correct"]
                        if not isinstance(verdict, bool):
                            raise TypeError(f"{src}_correct is {verdict!r}, not a bool")
                        items.append(CalibrationItem(file=path.name, article=i, question=seal_question(q["question"],
                                                                                            article["title"]),
                                                     gold=q["answer"], prediction=q[f"{src}_answer"] or "",
                                                     judge=verdict, source=src))
        except (KeyError, TypeError) as err:
            raise ValueError(f"{path} article {i}: expected title and completions[].questions[] with question, "
                             f"answer, baseline_/adapter_answer and _correct: {err!r}") from err
    if not items:
        raise ValueError(f"{path}: no graded questions found")
    return items


def cohen_kappa(grader: list[bool], judge: list[bool]) -> float:
    n = len(grader)
    observed = sum(g == j for g, j in zip(grader, judge)) / n
    pg, pj = sum(grader) / n, sum(judge) / n
    expected = pg * pj + (1 - pg) * (1 - pj)
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


def agreement(name: str, grader: list[bool], judge: list[bool]) -> Agreement:
    if not grader or len(grader) != len(judge):
        raise ValueError(f"{name}: need equally many grader and judge verdicts, got {len(grader)}, {len(judge)}")
    pairs = list(zip(grader, judge))
    return Agreement(name=name, n=len(pairs), agreement=sum(g == j for g, j in pairs) / len(pairs),
                     kappa=cohen_kappa(grader, judge), yes_yes=pairs.count((True, True)),
                     yes_no=pairs.count((True, False)), no_yes=pairs.count((False, True)),
                     no_no=pairs.count((False, False)))


def _fit(details: list[GradeDetail], judge: list[bool]) -> tuple[GraderConfig, float]:
    best = None
    for r in THRESHOLD_GRID:
        for f in THRESHOLD_GRID:
            fitted = OfflineGrader(GraderConfig(recall_threshold=r, f1_threshold=f))
            score = sum(fitted.decide(d) == j for d, j in zip(details, judge)) / len(judge)
            if best is None or score > best[1]:
                best = (fitted.config, score)
    return best


def calibrate(paths: list[Path | str], grader: OfflineGrader | None = None) -> CalibrationReport:
    grader = grader or OfflineGrader()
    by_file = {}
    for path in paths:
        items = load_verdicts(path)
        by_file[str(path)] = (items, [grader.details(it.question, it.gold, it.prediction) for it in items])
    files = [agreement(Path(p).name, [d.correct for d in dets], [it.judge for it in items])
             for p, (items, dets) in by_file.items()]
    all_items = [it for items, _ in by_file.values() for it in items]
    all_dets = [d for _, dets in by_file.values() for d in dets]
    judge = [it.judge for it in all_items]
    references = [
        agreement("exact match (SQuAD)", [d.exact_match for d in all_dets], judge),
        agreement("gold substring (SQuAD-normalised)",
                  [bool(normalize_answer(it.gold)) and normalize_answer(it.gold) in normalize_answer(it.prediction)
                   for it in all_items], judge),
        agreement("gold words contiguous (first clause only)",
                  [bool(d.answer) and d.gold_in_prediction for d in all_dets], judge),
        agreement("token F1 >= 0.5", [d.f1 >= 0.5 for d in all_dets], judge),
    ]
    splits = {f"file {Path(p).name}": [(it.file == Path(p).name, it, d) for it, d in zip(all_items, all_dets)]
              for p in by_file} if len(by_file) > 1 else {}
    for parity in ("even", "odd"):
        splits[f"{parity} passages"] = [((it.article % 2 == 0) == (parity == "even"), it, d)
                                        for it, d in zip(all_items, all_dets)]
    cross = []
    for name, rows in splits.items():
        fit_rows = [(d, it.judge) for inside, it, d in rows if inside]
        rest = [(d, it.judge) for inside, it, d in rows if not inside]
        if not fit_rows or not rest:
            continue
        config, score = _fit([d for d, _ in fit_rows], [j for _, j in fit_rows])
        fitted = OfflineGrader(config)
        cross.append(CrossFit(fit_on=name, config=config, fit_agreement=score,
                              heldout=agreement("held-out", [fitted.decide(d) for d, _ in rest],
                                                [j for _, j in rest])))
    return CalibrationReport(grader=grader.name, config=grader.config, files=files,
                             pooled=agreement("pooled", [d.correct for d in all_dets], judge),
                             references=references, cross_fit=cross)


def _row(a: Agreement, indent: str = "") -> str:
    return (f"{indent + a.name:<44} {a.n:>5} {a.agreement:>6.3f} {a.kappa:>6.3f} {a.yes_yes:>7} {a.yes_no:>7} "
            f"{a.no_yes:>7} {a.no_no:>7}")


def render(report: CalibrationReport) -> str:
    """The table; its last line is exactly `agreement: X kappa: Y` (pooled, 3 decimals)."""
    c = report.config
    lines = [f"grader {report.grader} (novel recall >= {c.recall_threshold:g} or F1 >= {c.f1_threshold:g}) "
             f"vs GPT-4.1; columns yes/no = grader/GPT-4.1 verdicts",
             f"{'':<44} {'n':>5} {'agree':>6} {'kappa':>6} {'yes/yes':>7} {'yes/no':>7} {'no/yes':>7} {'no/no':>7}"]
    lines += [_row(a) for a in report.files] + [_row(report.pooled), "reference rules (pooled):"]
    lines += [_row(a, "  ") for a in report.references]
    if report.cross_fit:
        lines.append("held-out check: thresholds refitted on one part, scored on the rest:")
        for cf in report.cross_fit:
            lines.append(f"  fit on {cf.fit_on}: recall >= {cf.config.recall_threshold:g}, F1 >= "
                         f"{cf.config.f1_threshold:g} (fit agreement {cf.fit_agreement:.3f}) -> held-out agreement "
                         f"{cf.heldout.agreement:.3f} kappa {cf.heldout.kappa:.3f} (n={cf.heldout.n})")
    lines.append(f"agreement: {report.pooled.agreement:.3f} kappa: {report.pooled.kappa:.3f}")
    return "\n".join(lines)
