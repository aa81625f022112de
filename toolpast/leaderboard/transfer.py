"""The transfer table of a multi-category sweep, as the paper reports it, and the diagnostic ladder behind it.

Per target category: base / target SFT / PaST success with Wilson intervals, and PaST minus SFT with its paired
interval (`paired.compare`). The bottom row averages over categories; its interval is a paired bootstrap that
resamples tasks within each category independently (stratified: every category keeps its size and weight), so
the average is not dominated by the categories with most tasks and its interval reflects task sampling only.

Seeds. A sweep may repeat every category with several seeds (provenance.seeds["seed"]). Each seed's numbers are
computed on their own; a row reports the mean over seeds and their spread (sample std, min, max), and the
average row the mean over categories with the std/min/max over seeds of the per-seed category averages. The
intervals treat the seeds as repeated measurements of the same tasks: per task, the PaST - SFT difference is
averaged over seeds before the tasks are resampled. This keeps the unit of resampling the task (what a reader
wants to generalise over) while seed noise shrinks the per-task differences instead of posing as extra tasks.

Only closed-book test entries are reported; validation entries (tuning tasks) are refused unless asked for.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from toolpast.leaderboard.merge import entry_time
from toolpast.leaderboard.paired import PAIRED, RESAMPLES, PairedDiff, compare
from toolpast.leaderboard.schema import Entry, Leaderboard
from toolpast.leaderboard.stats import wilson_interval
from toolpast.leaderboard.table import ci_text, pct, points

TARGET_VARIANTS = ("base", "sft", "past")
SOURCE_VARIANTS = ("source_sft", "source_rl")
POOLED = "paired bootstrap, per-task differences averaged over seeds"
STRATIFIED = "paired bootstrap over tasks, stratified by category"
HIERARCHICAL = ("two-level paired bootstrap: seeds resampled, then tasks within each category and seed (the "
                "interval holds the run-to-run spread of seeds as well as the tasks')")
NO_INTERVAL = "no interval (some seeds lack per-task outcomes)"
TIE = 1e-12  # |PaST - SFT| below this counts as zero (float noise of means over seeds)
COMPARED = {"past": "sft", "source_rl": "source_sft"}  # variant -> the variant it is compared with

Seed = int | None


class SeedRate(BaseModel):
    """One entry's success (and knowledge accuracy when measured)."""

    seed: Seed
    successes: int
    n: int
    rate: float
    ci95_low: float = Field(description="Wilson 95% interval from successes / n.")
    ci95_high: float
    knowledge_accuracy: float | None = None
    knowledge_n: int | None = None


class Spread(BaseModel):
    mean: float
    std: float | None = Field(None, description="Sample standard deviation over seeds; None with one seed.")
    min: float
    max: float


class VariantResult(BaseModel):
    per_seed: list[SeedRate]
    rate: Spread = Field(description="Success rate over seeds.")


class SeedDiff(BaseModel):
    seed: Seed
    diff: PairedDiff


class CategoryRow(BaseModel):
    suite: str
    category: str
    seeds: list[Seed] = Field(description="Seeds with both a target SFT and a PaST entry.")
    base: VariantResult | None
    sft: VariantResult
    past: VariantResult
    per_seed: list[SeedDiff] = Field(description="paired.compare(past, sft) per seed.")
    past_minus_sft: Spread = Field(description="The per-seed mean differences over seeds.")
    ci95_low: float | None
    ci95_high: float | None
    n_tasks: int
    method: str


class AverageRow(BaseModel):
    categories: int
    seeds: list[Seed]
    base: Spread | None = Field(description="Mean over categories with a base entry; std/min/max over seeds.")
    sft: Spread
    past: Spread
    past_minus_sft: Spread = Field(description="Mean over categories of PaST - SFT; std/min/max over seeds of the "
                                               "per-seed category averages.")
    ci95_low: float | None
    ci95_high: float | None
    n_tasks: int = Field(description="Tasks over all categories behind the stratified bootstrap.")
    method: str
    resamples: int
    bootstrap_seed: int
    nonnegative: int = Field(description="Categories with PaST - SFT >= 0.")
    positive: int
    negative: int


class TransferTable(BaseModel):
    suite: str | None
    split: str
    seeds: list[Seed]
    rows: list[CategoryRow]
    average: AverageRow | None


class Knowledge(BaseModel):
    accuracy: float = Field(description="Mean over seeds.")
    n: int = Field(description="Questions over all seeds.")
    seeds: int


class KnowledgeRow(BaseModel):
    category: str
    variants: dict[str, Knowledge] = Field(description="base / sft / past where measured.")


class KnowledgeAverage(BaseModel):
    categories: int = Field(description="Categories with any knowledge accuracy.")
    accuracy: dict[str, float] = Field(description="Per variant, mean over the categories that measured it.")
    counts: dict[str, int] = Field(description="Per variant, categories behind the mean.")


class SourceComparison(BaseModel):
    suite: str
    category: str
    seed: Seed
    source_sft: SeedRate
    source_rl: SeedRate
    rl_minus_sft: PairedDiff
    rl_step: int | None = Field(None, description="The GRPO step of the source RL policy when rl.select_every chose "
                                                  "it on held-out source tasks (None: the last step).")


class Behaviour(BaseModel):
    """What a model does in its episodes, averaged over categories and seeds: when success does not move, these
    say whether the vector changed behaviour at all (and which)."""

    model: str = Field(description="source_sft / source_rl (on the source's tasks) or sft / past (on the targets).")
    categories: int
    entries: int
    finished: float | None = Field(description="Episodes ended with an answer.")
    valid_calls: float | None = Field(description="Steps that were valid calls or a valid Finish.")
    api_recall: float | None = Field(description="Gold APIs called without error.")
    error_observations: float | None = Field(description="Steps answered with an error.")
    turns: float | None = Field(description="Model turns per episode.")


class Feasible(BaseModel):
    """Rung 0 of one evaluated category: the tasks its oracle solves under the budget its evaluations ran with."""

    category: str
    budget: str
    tasks: int
    feasible: int


class RungZero(BaseModel):
    """Rung 0 over the ladder's evaluations (entries that recorded it): can the oracle itself solve the tasks?"""

    categories: list[Feasible]
    tasks: int
    feasible: int
    allow_infeasible: bool = Field(description="Some evaluation ran on although its budget cut tasks off.")


class Ladder(BaseModel):
    """Why transfer works or not: can the oracle solve the tasks under the budget, does SFT teach the docs, does RL
    help at the source, does the vector carry."""

    feasibility: RungZero | None = Field(None, description="None when no entry recorded it (older boards).")
    knowledge: list[KnowledgeRow]
    knowledge_average: KnowledgeAverage | None
    source: list[SourceComparison]
    transfer: AverageRow | None
    behaviour: list[Behaviour] = Field(default_factory=list)


def _seed(e: Entry) -> Seed:
    return e.provenance.seeds.get("seed")


def _seed_order(s: Seed) -> int:
    return -1 if s is None else s


def _setup(e: Entry) -> tuple:
    v = e.variant
    return (e.model.name, v.lam, v.vector_keep, v.rounds, v.knowledge, v.setting, e.sft_data,
            tuple(v.source_categories))


def _describe(e: Entry) -> str:
    v = e.variant
    parts = [f"model={e.model.name}", f"lam={v.lam}", f"sft_data={e.sft_data}"]
    parts += [f"{k}={x}" for k, x in (("keep", v.vector_keep), ("rounds", v.rounds), ("knowledge", v.knowledge),
                                      ("setting", v.setting)) if x]
    return ", ".join(parts)


def _pick(entries: list[Entry], what: str) -> Entry:
    """The newest rerun of one evaluation; refuses a choice between setups (lambda, SFT data, model)."""
    setups = {_setup(e): e for e in entries}
    if len(setups) > 1:
        raise ValueError(f"{what}: {len(setups)} different setups ({'; '.join(sorted(map(_describe, setups.values())))}"
                         "); pick one with lam= / keep= / sft_data=, or filter the board")
    return max(entries, key=entry_time)


def _split(board: Leaderboard, split: str | None) -> tuple[list[Entry], str]:
    """The entries of one split: mixing tuning (validation) and reported (test) numbers would be a silent leak."""
    splits = sorted({e.split for e in board.entries})
    if split is None:
        if len(splits) > 1:
            raise ValueError(f"the board mixes splits {splits}; pick one (split='test' or 'validation', "
                             "--split on the command line)")
        return list(board.entries), splits[0] if splits else "test"
    if split not in ("test", "validation"):
        raise ValueError(f"split must be 'test' or 'validation' (got {split!r})")
    return [e for e in board.entries if e.split == split], split


def target_categories(board: Leaderboard) -> list[tuple[str, str]]:
    """(suite, category) pairs with closed-book target SFT and PaST entries, in any split: cheap, never raises."""
    have: dict[tuple[str, str], set[str]] = defaultdict(set)
    for e in board.entries:
        if e.book == "closed" and e.metrics.n and e.variant.name in ("sft", "past"):
            have[(e.suite, e.category)].add(e.variant.name)
    return sorted(k for k, names in have.items() if len(names) == 2)


def _rate(e: Entry) -> SeedRate:
    m = e.metrics
    low, high = wilson_interval(m.successes, m.n)
    return SeedRate(seed=_seed(e), successes=m.successes, n=m.n, rate=m.successes / m.n, ci95_low=low,
                    ci95_high=high, knowledge_accuracy=m.knowledge_accuracy, knowledge_n=m.knowledge_n)


def _spread(values: list[float]) -> Spread:
    return Spread(mean=statistics.fmean(values), std=statistics.stdev(values) if len(values) > 1 else None,
                  min=min(values), max=max(values))


def _variant(entries: list[Entry]) -> VariantResult | None:
    if not entries:
        return None
    rates = [_rate(e) for e in entries]
    return VariantResult(per_seed=rates, rate=_spread([r.rate for r in rates]))


def _task_diffs(past: Entry, sft: Entry) -> dict[str, float]:
    """Per shared task, PaST rate minus SFT rate (successes / samples), as paired.paired_difference defines them."""
    rate_sft = {o.task_id: o.successes / o.samples for o in sft.outcomes or []}
    return {o.task_id: o.successes / o.samples - rate_sft[o.task_id] for o in past.outcomes or []
            if o.task_id in rate_sft}


def _pooled(pairs: list[tuple[Entry, Entry]]) -> np.ndarray:
    """Per task, the mean over seeds of PaST - SFT (tasks in sorted id order, as the paired bootstrap orders them)."""
    per_task: dict[str, list[float]] = defaultdict(list)
    for past, sft in pairs:
        for task, d in _task_diffs(past, sft).items():
            per_task[task].append(d)
    return np.array([statistics.fmean(per_task[t]) for t in sorted(per_task)])


def stratified_bootstrap(strata: list[np.ndarray], resamples: int = RESAMPLES, seed: int = 0) -> tuple[float, float]:
    """Percentile 95% interval of the mean over strata of each stratum's mean, resampling within each stratum.

    With one stratum it draws exactly what paired.paired_difference draws, so both agree on a single category.
    """
    if not strata or any(len(d) == 0 for d in strata):
        raise ValueError("every stratum needs at least one task")
    if resamples < 1:
        raise ValueError(f"resamples must be >= 1 (got {resamples})")
    rng = np.random.default_rng(seed)
    total = np.zeros(resamples)
    for d in strata:
        total += np.asarray(d, dtype=float)[rng.integers(0, len(d), size=(resamples, len(d)))].mean(axis=1)
    low, high = np.quantile(total / len(strata), [0.025, 0.975])
    return float(low), float(high)


def hierarchical_bootstrap(cells: list[list[np.ndarray]], resamples: int = RESAMPLES,
                           seed: int = 0) -> tuple[float, float]:
    """Percentile 95% interval of the mean over categories of the mean over seeds of PaST - SFT, when seeds are
    a sample too: each resample draws the seeds with replacement (one draw shared by every category: a seed is one
    source RL and one vector for all targets), then each drawn (category, seed) cell's tasks with replacement.
    `cells[c][s]`: the per-task differences of category c under seed s (every category has every seed)."""
    if not cells or any(len(row) != len(cells[0]) for row in cells) or any(len(d) == 0 for row in cells for d in row):
        raise ValueError("every category needs the same seeds, each with at least one task")
    if resamples < 1:
        raise ValueError(f"resamples must be >= 1 (got {resamples})")
    rng = np.random.default_rng(seed)
    seeds = len(cells[0])
    drawn = rng.integers(0, seeds, size=(resamples, seeds))  # the seeds of each resample
    total = np.zeros(resamples)
    for row in cells:
        means = np.stack([np.asarray(d, dtype=float)[rng.integers(0, len(d), size=(resamples, len(d)))].mean(axis=1)
                          for d in row])  # (seed, resample): each cell's task-resampled mean
        total += means[drawn, np.arange(resamples)[:, None]].mean(axis=1)
    low, high = np.quantile(total / len(cells), [0.025, 0.975])
    return float(low), float(high)


def _configs(entries: list[Entry]) -> str:
    made = sorted({(e.provenance.config_hash, e.provenance.preset) for e in entries})
    return "config " + " or ".join(f"{h} (preset {p})" for h, p in made)


def _one_run(by_name: dict[str, list[Entry]], where: str, seed: Seed, mixed_configs: bool) -> dict[str, Entry]:
    """Variant -> the one entry of each evaluation of a (category, seed), all from one run config where they can
    be: PaST is compared with the target SFT (source RL with source SFT) of its own config hash, and a pair from
    two configs (two recipes: merged boards) is refused unless mixed_configs."""
    chosen: dict[str, Entry] = {}
    lead = next((name for name in COMPARED if name in by_name), None)
    if lead is not None:
        newest = _pick(by_name[lead], f"{where} {lead} (seed {seed})")
        partners = by_name.get(COMPARED[lead], [])
        configs = {e.provenance.config_hash for e in partners}
        paired = [e for e in by_name[lead] if e.provenance.config_hash in configs]
        if partners and not paired and not mixed_configs:
            raise ValueError(f"{where} (seed {seed}): {BEHAVIOUR_LABELS[lead]} is from {_configs([newest])} but "
                             f"{BEHAVIOUR_LABELS[COMPARED[lead]]} only from {_configs(partners)}, another recipe; "
                             "pass --allow-mixed-configs (mixed_configs=True) to compare them anyway")
        chosen[lead] = max(paired, key=entry_time) if paired else newest
    config = chosen[lead].provenance.config_hash if lead is not None else None
    for name, es in by_name.items():
        if name != lead:
            same = [e for e in es if e.provenance.config_hash == config]
            chosen[name] = _pick(same or es, f"{where} {name} (seed {seed})")
    return dict(sorted(chosen.items()))


def _groups(entries: Iterable[Entry], variants: tuple[str, ...],
            mixed_configs: bool = False) -> dict[tuple[str, str], dict[Seed, dict[str, Entry]]]:
    """(suite, category) -> seed -> variant -> the one entry of that evaluation (see `_one_run`)."""
    raw: dict[tuple[str, str, Seed], dict[str, list[Entry]]] = defaultdict(lambda: defaultdict(list))
    for e in entries:
        if e.book == "closed" and e.metrics.n and e.variant.name in variants:
            raw[(e.suite, e.category, _seed(e))][e.variant.name].append(e)
    out: dict[tuple[str, str], dict[Seed, dict[str, Entry]]] = defaultdict(dict)
    for (suite, category, seed), by_name in sorted(raw.items(), key=lambda kv: (kv[0][:2], _seed_order(kv[0][2]))):
        out[(suite, category)][seed] = _one_run(by_name, f"{suite}/{category}", seed, mixed_configs)
    return out


def _row(suite: str, category: str, by_seed: dict[Seed, dict[str, Entry]], resamples: int, seed: int) -> CategoryRow:
    seeds = sorted((s for s, vs in by_seed.items() if "sft" in vs and "past" in vs), key=_seed_order)
    pairs = [(by_seed[s]["past"], by_seed[s]["sft"]) for s in seeds]
    diffs = [SeedDiff(seed=s, diff=compare(p, f, resamples=resamples, seed=seed)) for s, (p, f) in zip(seeds, pairs)]
    if len(diffs) == 1:
        d = diffs[0].diff
        low, high, n_tasks, method = d.ci95_low, d.ci95_high, d.n_tasks, d.method
    elif all(sd.diff.method == PAIRED for sd in diffs):
        pooled = _pooled(pairs)
        (low, high), n_tasks, method = stratified_bootstrap([pooled], resamples, seed), len(pooled), POOLED
    else:
        low, high, n_tasks, method = None, None, min(sd.diff.n_tasks for sd in diffs), NO_INTERVAL
    return CategoryRow(suite=suite, category=category, seeds=seeds,
                       base=_variant([by_seed[s]["base"] for s in seeds if "base" in by_seed[s]]),
                       sft=_variant([p[1] for p in pairs]), past=_variant([p[0] for p in pairs]), per_seed=diffs,
                       past_minus_sft=_spread([sd.diff.mean for sd in diffs]), ci95_low=low, ci95_high=high,
                       n_tasks=n_tasks, method=method)


def _average_spread(rows: list[CategoryRow], per_seed: dict[str, dict[Seed, float]], mean_of: dict[str, float],
                    seeds: list[Seed]) -> Spread | None:
    """Mean over categories; std/min/max over seeds of the per-seed averages (over the categories having that seed)."""
    if not mean_of:
        return None
    by_seed: dict[Seed, list[float]] = defaultdict(list)
    for values in per_seed.values():
        for s, v in values.items():
            by_seed[s].append(v)
    seed_avgs = [statistics.fmean(by_seed[s]) for s in seeds if by_seed[s]]
    return Spread(mean=statistics.fmean(mean_of.values()),
                  std=statistics.stdev(seed_avgs) if len(seed_avgs) > 1 else None,
                  min=min(seed_avgs), max=max(seed_avgs))


def _average(rows: list[CategoryRow], seeds: list[Seed], groups: dict, resamples: int, seed: int) -> AverageRow:
    def spread(field: str) -> Spread | None:
        present = [r for r in rows if getattr(r, field) is not None]
        return _average_spread(present, {r.category: {x.seed: x.rate for x in getattr(r, field).per_seed}
                                         for r in present},
                               {r.category: getattr(r, field).rate.mean for r in present}, seeds)

    diff = _average_spread(rows, {r.category: {sd.seed: sd.diff.mean for sd in r.per_seed} for r in rows},
                           {r.category: r.past_minus_sft.mean for r in rows}, seeds)
    unpaired = [r.category for r in rows if any(sd.diff.method != PAIRED for sd in r.per_seed)]
    strata = [] if unpaired else [_pooled([(groups[(r.suite, r.category)][s]["past"],
                                            groups[(r.suite, r.category)][s]["sft"]) for s in r.seeds]) for r in rows]
    every_seed = len(seeds) > 1 and all(r.seeds == seeds for r in rows)
    if strata and every_seed:
        cells = [[np.array(list(_task_diffs(groups[(r.suite, r.category)][s]["past"],
                                            groups[(r.suite, r.category)][s]["sft"]).values())) for s in seeds]
                 for r in rows]
        (low, high), method = hierarchical_bootstrap(cells, resamples, seed), HIERARCHICAL
    elif strata:
        (low, high), method = stratified_bootstrap(strata, resamples, seed), STRATIFIED
    else:
        low, high, method = None, None, f"no interval ({', '.join(unpaired)} without per-task outcomes)"
    means = [r.past_minus_sft.mean for r in rows]
    return AverageRow(categories=len(rows), seeds=seeds, base=spread("base"), sft=spread("sft"), past=spread("past"),
                      past_minus_sft=diff, ci95_low=low, ci95_high=high, n_tasks=sum(len(d) for d in strata),
                      method=method, resamples=resamples, bootstrap_seed=seed,
                      nonnegative=sum(m >= -TIE for m in means), positive=sum(m > TIE for m in means),
                      negative=sum(m < -TIE for m in means))


def _select(entries: list[Entry], suite: str | None, lam: float | None, sft_data: str | None,
            keep: float | None = None) -> list[Entry]:
    """keep: the PaST vector's kept share (1 = the dense vector); None = any."""
    return [e for e in entries if (suite is None or e.suite == suite)
            and (lam is None or e.variant.name != "past" or e.variant.lam == lam)
            and (keep is None or e.variant.name != "past" or (e.variant.vector_keep or 1.0) == keep)
            and (sft_data is None or e.variant.name == "base" or e.sft_data == sft_data)]


def transfer_table(board: Leaderboard, *, split: str | None = None, suite: str | None = None,
                   lam: float | None = None, sft_data: str | None = None, mixed_configs: bool = False,
                   resamples: int = RESAMPLES, seed: int = 0, keep: float | None = None) -> TransferTable:
    """One row per target category (closed book, both target SFT and PaST; sorted by name) and their average.

    Refuses a board that mixes splits (unless split= picks one), several suites (unless suite=), several PaST
    lambdas / sparsified vectors / SFT data protocols for one category and seed (unless lam= / keep= (1 = the
    dense vector) / sft_data= picks one), or a PaST whose
    run config (config hash) has no target SFT in the board (unless mixed_configs).
    """
    entries, split = _split(board, split)
    groups = _groups(_select(entries, suite, lam, sft_data, keep), TARGET_VARIANTS, mixed_configs)
    targets = {k: v for k, v in groups.items() if any("sft" in vs and "past" in vs for vs in v.values())}
    suites = sorted({s for s, _ in targets})
    if len(suites) > 1:
        raise ValueError(f"target categories from several suites {suites}; pick one with suite= (--suite)")
    rows = sorted((_row(s, c, by_seed, resamples, seed) for (s, c), by_seed in targets.items()),
                  key=lambda r: r.category)
    seeds = sorted({s for r in rows for s in r.seeds}, key=_seed_order)
    return TransferTable(suite=suites[0] if suites else suite, split=split, seeds=seeds, rows=rows,
                         average=_average(rows, seeds, groups, resamples, seed) if rows else None)


def _knowledge(rows: list[CategoryRow]) -> tuple[list[KnowledgeRow], KnowledgeAverage | None]:
    out = []
    for r in rows:
        variants = {}
        for name in TARGET_VARIANTS:
            result: VariantResult | None = getattr(r, name)
            measured = [x for x in (result.per_seed if result else []) if x.knowledge_accuracy is not None]
            if measured:
                variants[name] = Knowledge(accuracy=statistics.fmean(x.knowledge_accuracy for x in measured),
                                           n=sum(x.knowledge_n or 0 for x in measured), seeds=len(measured))
        if variants:
            out.append(KnowledgeRow(category=r.category, variants=variants))
    if not out:
        return out, None
    per_variant = {name: [k.variants[name].accuracy for k in out if name in k.variants] for name in TARGET_VARIANTS}
    return out, KnowledgeAverage(categories=len(out),
                                 accuracy={n: statistics.fmean(v) for n, v in per_variant.items() if v},
                                 counts={n: len(v) for n, v in per_variant.items() if v})


def ladder(board: Leaderboard, table: TransferTable | None = None, *, split: str | None = None,
           resamples: int = RESAMPLES, seed: int = 0, **select) -> Ladder:
    """The diagnostic ladder: (a) knowledge accuracy of base / SFT / PaST on the target docs, (b) source RL vs
    source SFT on the source's own test tasks (RL minus SFT, paired), (c) the average PaST - SFT transfer.

    Pass the table already computed to avoid a second bootstrap; select (suite, lam, sft_data, mixed_configs) goes
    to it otherwise.
    """
    if table is None:
        table = transfer_table(board, split=split, resamples=resamples, seed=seed, **select)
    entries = [e for e in board.entries if e.split == table.split]
    knowledge, average = _knowledge(table.rows)
    source = []
    sources = _groups(entries, SOURCE_VARIANTS, select.get("mixed_configs", False))
    for (suite, category), by_seed in sorted(sources.items()):
        for s in sorted(by_seed, key=_seed_order):
            vs = by_seed[s]
            if "source_sft" in vs and "source_rl" in vs:
                source.append(SourceComparison(suite=suite, category=category, seed=s,
                                               source_sft=_rate(vs["source_sft"]), source_rl=_rate(vs["source_rl"]),
                                               rl_minus_sft=compare(vs["source_rl"], vs["source_sft"],
                                                                    resamples=resamples, seed=seed),
                                               rl_step=vs["source_rl"].variant.rl_step))
    target_categories = {r.category for r in table.rows}
    targets = [e for e in _select(entries, table.suite, select.get("lam"), select.get("sft_data"), select.get("keep"))
               if e.category in target_categories]
    behaviour = ([_behaviour(n, entries) for n in SOURCE_VARIANTS if any(e.variant.name == n for e in entries)]
                 + [_behaviour(n, targets) for n in ("sft", "past") if target_categories])
    return Ladder(feasibility=_rung_zero(entries), knowledge=knowledge, knowledge_average=average, source=source,
                  transfer=table.average, behaviour=behaviour)


def _rung_zero(entries: list[Entry]) -> RungZero | None:
    """One row per (category, budget) of the closed-book evaluations that recorded rung 0 (every variant of a
    category runs the same tasks)."""
    measured = [e for e in entries if e.feasibility is not None and e.book == "closed"]
    if not measured:
        return None
    rows = {(e.category, e.feasibility.budget): Feasible(category=e.category, budget=e.feasibility.budget,
                                                        tasks=e.feasibility.tasks, feasible=e.feasibility.feasible)
            for e in measured}
    categories = [rows[k] for k in sorted(rows)]
    return RungZero(categories=categories, tasks=sum(c.tasks for c in categories),
                    feasible=sum(c.feasible for c in categories),
                    allow_infeasible=any(e.feasibility.allow_infeasible for e in measured))


def _behaviour(name: str, entries: list[Entry]) -> Behaviour:
    """Plain means over the (category, seed) entries of one variant (each entry weighs the same)."""
    chosen = [e for e in entries if e.variant.name == name and e.book == "closed" and e.metrics.n]

    def mean(field: str) -> float | None:
        values = [getattr(e.metrics, field) for e in chosen if getattr(e.metrics, field) is not None]
        return statistics.fmean(values) if values else None

    return Behaviour(model=name, categories=len({(e.suite, e.category) for e in chosen}), entries=len(chosen),
                     finished=mean("finished_rate"), valid_calls=mean("valid_call_rate"), api_recall=mean("api_recall"),
                     error_observations=mean("error_observation_rate"), turns=mean("mean_steps"))


# Cell texts, shared by the markdown and the HTML page so that both (and their tests) agree.

def _maybe_pct(x: float | None) -> str:
    return "-" if x is None else f"{pct(x)}%"


BEHAVIOUR_HEADS = ("model", "categories", "finished", "valid calls", "API recall", "error obs.", "turns")
BEHAVIOUR_LABELS = {"source_sft": "source SFT", "source_rl": "source RL", "sft": "target SFT", "past": "PaST"}


def behaviour_cells(b: Behaviour) -> list[str]:
    return [BEHAVIOUR_LABELS[b.model], str(b.categories), _maybe_pct(b.finished), _maybe_pct(b.valid_calls),
            _maybe_pct(b.api_recall), _maybe_pct(b.error_observations), "-" if b.turns is None else f"{b.turns:.2f}"]


def rate_text(r: SeedRate) -> str:
    return f"{pct(r.rate)}% ({r.successes}/{r.n}) {ci_text(r.ci95_low, r.ci95_high)}"


def _std(s: Spread) -> str:
    return "n/a" if s.std is None else f"{100 * s.std:.1f}"


def interval_text(low: float | None, high: float | None) -> str:
    return "" if low is None or high is None else f" [{points(low)}, {points(high)}]"


def variant_cell(v: VariantResult | None) -> str:
    """One seed: '5.0% (1/20) [0.9, 23.6]'; several: mean ± sample std over seeds (min..max), in percent."""
    if v is None:
        return "-"
    if len(v.per_seed) == 1:
        return rate_text(v.per_seed[0])
    s = v.rate
    return f"{pct(s.mean)}% ± {_std(s)} ({pct(s.min)}..{pct(s.max)})"


def diff_cell(row: CategoryRow) -> str:
    """'+5.0 [-5.0, +15.0]' in points; with seeds 'mean ± std (min..max) [pooled 95% CI]'."""
    s = row.past_minus_sft
    head = points(s.mean) if len(row.seeds) == 1 else f"{points(s.mean)} ± {_std(s)} ({points(s.min)}..{points(s.max)})"
    return head + interval_text(row.ci95_low, row.ci95_high)


def average_rate_cell(s: Spread | None) -> str:
    if s is None:
        return "-"
    return f"{pct(s.mean)}%" + ("" if s.std is None else f" ± {_std(s)}")


def average_diff_cell(a: AverageRow) -> str:
    s = a.past_minus_sft
    return points(s.mean) + ("" if s.std is None else f" ± {_std(s)}") + interval_text(a.ci95_low, a.ci95_high)


def counts_text(a: AverageRow) -> str:
    return (f"PaST - SFT >= 0 in {a.nonnegative} of {a.categories} categories "
            f"(> 0 in {a.positive}, < 0 in {a.negative}).")


def category_label(row: CategoryRow, table: TransferTable) -> str:
    """The category, with its seeds when it has fewer than the table."""
    missing = len(row.seeds) < len(table.seeds)
    return row.category + (f" (seeds {', '.join(map(str, row.seeds))})" if missing else "")


def _categories(n: int) -> str:
    return f"{n} categor{'y' if n == 1 else 'ies'}"


def average_label(a: AverageRow) -> str:
    return f"average ({_categories(a.categories)})"


def method_note(table: TransferTable) -> str:
    a = table.average
    note = ("Success: Wilson 95% intervals. PaST - SFT in percentage points with a paired bootstrap 95% interval "
            f"over the tasks both were evaluated on ({a.resamples:,} resamples, seed {a.bootstrap_seed}); "
            "the average is the mean over categories, its interval a paired bootstrap resampling tasks within each "
            "category.")
    if len(table.seeds) > 1:
        note += (f" Seeds {', '.join(map(str, table.seeds))}: cells are mean ± sample std over seeds (min..max); "
                 "a category's interval averages each task's difference over seeds before resampling")
        note += (f"; the average's is a {HIERARCHICAL}." if a.method == HIERARCHICAL else
                 ", and so does the average's (not every category has every seed).")
    if a.ci95_low is None:
        note += f" Average: {a.method}."
    return note


def source_text(c: SourceComparison, seeds: bool) -> str:
    d = c.rl_minus_sft
    label = c.category + (f", seed {c.seed}" if seeds else "")
    policy = "" if c.rl_step is None else f" (the policy of step {c.rl_step}, chosen on held-out source tasks)"
    return (f"{label}: source SFT {rate_text(c.source_sft)}; source RL{policy} {rate_text(c.source_rl)}; "
            f"RL - SFT {points(d.mean)} [{points(d.ci95_low)}, {points(d.ci95_high)}] ({d.method}, "
            f"{d.n_tasks} tasks)")


def knowledge_cell(k: Knowledge | None) -> str:
    return "-" if k is None else f"{pct(k.accuracy)}% (n={k.n})"


def knowledge_average_cells(ka: KnowledgeAverage) -> list[str]:
    """base / sft / past: the mean over categories, with how many when fewer than the categories measured."""
    return [f"{pct(ka.accuracy[n])}%" + ("" if ka.counts[n] == ka.categories else f" ({_categories(ka.counts[n])})")
            if n in ka.accuracy else "-" for n in TARGET_VARIANTS]


def rung_zero_text(r: RungZero) -> str:
    """Rung 0 in one bullet: the share the oracle solves, and every category it cannot fully solve."""
    budgets = ", ".join(dict.fromkeys(c.budget for c in r.categories))
    short = [f"{c.category} {c.feasible}/{c.tasks}" for c in r.categories if c.feasible < c.tasks]
    text = (f"- **Feasibility** (rung 0: the oracle replayed under the evaluation budget, {budgets}): "
            f"{r.feasible} of {r.tasks} evaluated tasks solvable ({100 * r.feasible / max(r.tasks, 1):.1f}%) over "
            f"{_categories(len({c.category for c in r.categories}))}")
    if short:
        text += (f"; short: {', '.join(short)}" + (" (run with --allow-infeasible: these scores measure the budget, "
                                                   "not the model)" if r.allow_infeasible else ""))
    return text + "."


def render_markdown(table: TransferTable, ladder: Ladder) -> str:
    """The paper's transfer table and the ladder as GitHub markdown; deterministic (fixture-tested)."""
    where = ", ".join(x for x in (table.suite, f"{table.split} split", "closed book") if x)
    lines = [f"### PaST transfer ({where})", ""]
    if table.split == "validation":
        lines += ["Validation split: held-out train tasks for tuning, not the reported test numbers.", ""]
    if not table.rows:
        lines += ["No target category has both a target-SFT and a PaST entry.", ""]
    else:
        a = table.average
        lines += ["| category | base | target SFT | PaST | PaST - SFT [95% CI] |",
                  "| --- | ---: | ---: | ---: | ---: |"]
        lines += [f"| {category_label(r, table)} | {variant_cell(r.base)} | {variant_cell(r.sft)} | "
                  f"{variant_cell(r.past)} | {diff_cell(r)} |" for r in table.rows]
        cells = [average_rate_cell(a.base), average_rate_cell(a.sft), average_rate_cell(a.past), average_diff_cell(a)]
        lines += [f"| **{average_label(a)}** | {' | '.join(cells)} |", "", counts_text(a), "", method_note(table), ""]
    lines += ["### Diagnostic ladder", ""]
    if ladder.feasibility is not None:
        lines += [rung_zero_text(ladder.feasibility), ""]
    if ladder.knowledge_average is None:
        lines += ["- **Knowledge** (closed-book questions on the target docs): not measured.", ""]
    else:
        ka = ladder.knowledge_average
        lines += ["- **Knowledge** (closed-book questions on the target docs, held-out phrasings):", "",
                  "| category | base | target SFT | PaST |", "| --- | ---: | ---: | ---: |"]
        lines += [f"| {k.category} | " + " | ".join(knowledge_cell(k.variants.get(n)) for n in TARGET_VARIANTS) + " |"
                  for k in ladder.knowledge]
        avg = knowledge_average_cells(ka)
        lines += [f"| **average ({_categories(ka.categories)})** | {' | '.join(avg)} |", ""]
    if not ladder.source:
        lines += [f"- **Source RL vs source SFT** (on the source's own {table.split} tasks): not evaluated."]
    else:
        seeds = len({c.seed for c in ladder.source}) > 1
        lines += [f"- **Source RL vs source SFT** (on the source's own {table.split} tasks):"]
        lines += [f"  - {source_text(c, seeds)}" for c in ladder.source]
    if ladder.behaviour:
        lines += ["- **Behaviour** (episode means over categories and seeds; what changes when success does not):", "",
                  f"| {' | '.join(BEHAVIOUR_HEADS)} |", "| --- |" + " ---: |" * (len(BEHAVIOUR_HEADS) - 1)]
        lines += [f"| {' | '.join(behaviour_cells(b))} |" for b in ladder.behaviour]
        lines.append("")
    t = ladder.transfer
    if t is None:
        lines += ["- **Transfer**: no target category with both target SFT and PaST."]
    else:
        lines.append(f"- **Transfer**: PaST - SFT averaged over {_categories(t.categories)}: {average_diff_cell(t)} "
                     f"points; {t.nonnegative} of {t.categories} >= 0.")
    return "\n".join(lines) + "\n"


def render_board(board: Leaderboard, *, split: str | None = None, lam: float | None = None,
                 keep: float | None = None, **select) -> str:
    """The markdown table and ladder of a board; a lambda sweep (several PaST lambdas, none picked with lam=) gets
    one section per lambda, in increasing order, and sparsified vectors (several kept shares, none picked with
    keep=) one per share, the dense vector first. What `toolpast sweep` writes and `leaderboard table` prints."""
    past = [e.variant for e in board.entries if e.variant.name == "past"]
    lams = sorted({v.lam for v in past if v.lam is not None})
    keeps = sorted({v.vector_keep or 1.0 for v in past}, reverse=True)
    sections = []
    for share in keeps if keep is None and len(keeps) > 1 else [keep]:
        for pick in lams if lam is None and len(lams) > 1 else [lam]:
            table = transfer_table(board, split=split, lam=pick, keep=share, **select)
            text = render_markdown(table, ladder(board, table, lam=pick, keep=share, **select))
            title = [f"lambda = {pick:g}" if pick is not None and lam is None else "",
                     "" if share is None or keep is not None else
                     "the dense vector" if share == 1.0 else f"the top {share:.0%} of each tensor of v"]
            title = [t for t in title if t]
            sections.append(f"## PaST with {', '.join(title)}\n\n{text}" if title else text)
    return "\n".join(sections)


def render_files(paths: list[Path], out: Path | None = None, *, split: str | None = None, **select) -> str:
    """Merge the files (one file is read as is), render the markdown and (with out) write it atomically.

    What `toolpast leaderboard table` runs.
    """
    from toolpast.leaderboard.merge import merge_files, read_board

    board = read_board(Path(paths[0])) if len(paths) == 1 else merge_files([Path(p) for p in paths]).board
    text = render_board(board, split=split, **select)
    if out is not None:
        from toolpast.io import atomic_write_text

        atomic_write_text(Path(out), text)
    return text
