"""toolpast.distributed and the rank-aware Runner / evaluation, on CPU with two real processes (torchrun, gloo).

The two-process part launches this file under torchrun (see `_worker` below): each rank records what it saw in
a JSON report outside the store, and the tests compare the reports, the store and the evaluation files with what
one process makes. The whole smoke pipeline under `accelerate launch` is test_distributed_smoke.py.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from toolpast import distributed

EVAL = {"tasks": 6, "batch_size": 2, "max_turns": 2, "max_new_tokens": 12}  # 3 batches: rank 0 runs 2, rank 1 one


def test_one_process_needs_no_process_group(monkeypatch):
    for name in ("WORLD_SIZE", "RANK"):
        monkeypatch.delenv(name, raising=False)
    assert (distributed.world_size(), distributed.rank(), distributed.is_main(), distributed.active()) == (1, 0, True,
                                                                                                          False)
    assert distributed.broadcast({"a": 1}) == {"a": 1} and distributed.gather(5) == [5]
    assert distributed.shard([1, 2, 3]) == [1, 2, 3] and distributed.on_main(lambda: 7) == 7
    distributed.barrier()
    import torch.distributed as dist

    assert not dist.is_initialized()  # none of the above created a process group


def test_rank_world_size_and_round_robin_shards_from_the_launcher_environment(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "3")
    monkeypatch.setenv("RANK", "1")
    assert (distributed.world_size(), distributed.rank(), distributed.is_main()) == (3, 1, False)
    assert distributed.shard(list(range(8))) == [1, 4, 7]
    monkeypatch.setenv("RANK", "0")
    assert distributed.shard(list(range(8))) == [0, 3, 6]
    monkeypatch.setenv(distributed.TIMEOUT_ENV, "0")
    with pytest.raises(ValueError, match="positive number of seconds"):
        distributed.timeout()


def test_deepspeed_launch_is_checked_before_training(monkeypatch):
    """ZeRO 1-3 save the fp32 master weights (tests/toolpast/stages/test_zero3_save.py); stage 0 cannot."""
    from toolpast.tooluse.pipeline import check_config
    from toolpast.tooluse.presets import get_preset

    cfg = get_preset("smoke").model_copy(update={"target": "finance"})
    check_config(cfg)
    monkeypatch.setenv("ACCELERATE_USE_DEEPSPEED", "true")
    for stage in ("2", "3"):
        monkeypatch.setenv("ACCELERATE_DEEPSPEED_ZERO_STAGE", stage)
        check_config(cfg)
    monkeypatch.setenv("ACCELERATE_DEEPSPEED_ZERO_STAGE", "0")
    with pytest.raises(ValueError, match="ZeRO stage 0: only stages 1-3"):
        check_config(cfg)
    monkeypatch.setenv("ACCELERATE_DEEPSPEED_ZERO_STAGE", "3")
    with pytest.raises(ValueError, match="LoRA under DeepSpeed is not supported"):
        check_config(cfg.model_copy(update={"rl": cfg.rl.model_copy(update={"lora_rank": 4})}))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _sharp_model(tiny_model_dir: Path, out: Path) -> Path:
    """A copy of the tiny model with large random weights: its greedy text differs per task and per turn (the
    tiny model itself writes newlines whatever the prompt, which would make any sharding look exact)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for param in model.parameters():
            if param.dim() >= 2:
                param.normal_(0, 0.2, generator=generator)
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(tiny_model_dir).save_pretrained(out)
    return out


def _eval_setup():
    from toolpast.tooluse.config import EvalConfig
    from toolpast.tooluse.data import category_tasks
    from toolpast.tooluse.presets import get_preset

    cfg = get_preset("smoke").model_copy(update={"target": "finance"})
    return category_tasks(cfg.model_copy(update={"eval": cfg.eval.model_copy(update=EVAL)}), "finance"), \
        EvalConfig(**EVAL)


def _main_only(workdir: Path) -> dict:
    (workdir / "v.txt").write_text("main")
    return {"rank": distributed.rank()}


def _fails_on_main(workdir: Path) -> dict:
    raise ValueError("bad input on main")


def _worker(out: Path, model_dir: Path) -> None:
    """One rank of the two-process scenario (run by torchrun); writes out/report-<rank>.json."""
    from toolpast.artifacts import ArtifactStore
    from toolpast.stages.context import StageContext
    from toolpast.stages.runner import Runner
    from toolpast.tooluse.evaluate import evaluate

    me = distributed.rank()
    report: dict = {"rank": me, "world": distributed.world_size()}
    report["broadcast"] = distributed.broadcast({"from": me})
    report["gather"] = distributed.gather({"rank": me})
    report["shard"] = distributed.shard(list(range(5)))

    store = ArtifactStore(out / "store")
    store_calls = []
    run = store.run

    def counted(*args, **kwargs):  # the store's lock and writes are behind run()
        store_calls.append(args[0])
        return run(*args, **kwargs)

    store.run = counted
    runner = Runner(store, set(), collective=frozenset({"eval"}))
    calls = []

    def collective(workdir: Path) -> dict:
        calls.append({"dir": str(workdir), "manifest_yet": (workdir / "manifest.json").exists()})
        if distributed.is_main():
            (workdir / "log.txt").write_text("main\n")
        return {"rank": me}

    built = runner.stage("eval:probe", {"x": 1}, collective)
    vector = runner.stage("vector", {"x": 2}, _main_only)
    again = runner.stage("eval:probe", {"x": 1}, collective)  # finished: reused, fn runs on no rank
    report["stages"] = {"eval": [str(built.path), built.outputs], "vector": [str(vector.path), vector.outputs],
                        "again": str(again.path), "calls": calls}
    try:
        runner.stage("vector", {"x": 3}, _fails_on_main)
        report["failure"] = None
    except Exception as error:  # noqa: BLE001 - recorded for the test
        report["failure"] = [type(error).__name__, str(error)]
    report["store_calls"] = store_calls

    tasks, cfg = _eval_setup()
    for name in ("eval2", "resumed2"):
        report[name] = evaluate(model_dir, tasks, "closed", cfg, StageContext(0, "float32", out / name, name))
    distributed.barrier()
    (out / f"report-{me}.json").write_text(json.dumps(report))


@pytest.fixture(scope="module")
def two_ranks(tiny_model_dir, tmp_path_factory):
    """Reference evaluation in this process, then the scenario under `torchrun --nproc_per_node 2`."""
    from toolpast.stages.context import StageContext
    from toolpast.tooluse.evaluate import evaluate

    out = tmp_path_factory.mktemp("ranks")
    model = _sharp_model(tiny_model_dir, out / "sharp")
    tasks, cfg = _eval_setup()
    (out / "eval1").mkdir()
    reference = evaluate(model, tasks, "closed", cfg, StageContext(0, "float32", out / "eval1", "one process"))
    for name in ("eval2", "resumed2"):
        (out / name).mkdir()
    rows = (out / "eval1" / "episodes.jsonl").read_text().splitlines(keepends=True)
    (out / "resumed2" / "episodes.jsonl").write_text("".join(rows[:2]))  # a killed run finished batch 1
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MASTER_ADDR": "127.0.0.1", "HF_HUB_OFFLINE": "1"}
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK"):
        env.pop(name, None)
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
                           "--master_port", str(_free_port()), __file__, str(out), str(model)],
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]
    reports = [json.loads((out / f"report-{rank}.json").read_text()) for rank in (0, 1)]
    return out, reference, reports


@pytest.mark.slow  # the two-process scenario: ~10 s alone, ~25 s on 2 busy cores (run once)
def test_broadcast_gather_and_shard_across_two_processes(two_ranks):
    _, _, (main, other) = two_ranks
    assert main["world"] == other["world"] == 2
    assert main["broadcast"] == other["broadcast"] == {"from": 0}
    assert main["gather"] == [{"rank": 0}, {"rank": 1}] and other["gather"] is None
    assert main["shard"] == [0, 2, 4] and other["shard"] == [1, 3]


@pytest.mark.slow  # the two-process scenario: ~10 s alone, ~25 s on 2 busy cores (run once)
def test_collective_stage_runs_on_every_rank_in_mains_partial_dir_and_only_main_writes(two_ranks):
    out, _, (main, other) = two_ranks
    stages_main, stages_other = main["stages"], other["stages"]
    assert stages_main["eval"] == stages_other["eval"]  # the same artifact, main's outputs
    assert stages_main["eval"][1] == {"rank": 0}
    assert stages_main["vector"] == stages_other["vector"] and stages_main["vector"][1] == {"rank": 0}
    assert stages_main["again"] == stages_other["again"] == stages_main["eval"][0]
    # fn ran once per rank (not again on reuse), in main's partial directory; only main went through the store
    for calls in (stages_main["calls"], stages_other["calls"]):
        assert calls == [{"dir": stages_main["calls"][0]["dir"], "manifest_yet": False}]
    assert stages_main["calls"][0]["dir"].endswith(".partial")
    assert main["store_calls"] == ["eval", "vector", "eval", "vector"] and other["store_calls"] == []
    store = out / "store"
    assert sorted(str(p.relative_to(store)) for p in store.rglob("*") if p.is_file()) == sorted(
        [f"eval/{Path(stages_main['eval'][0]).name}/log.txt", f"eval/{Path(stages_main['eval'][0]).name}/manifest.json",
         f"vector/{Path(stages_main['vector'][0]).name}/v.txt",
         f"vector/{Path(stages_main['vector'][0]).name}/manifest.json"])  # no locks, partials or second copies


@pytest.mark.slow  # the two-process scenario: ~10 s alone, ~25 s on 2 busy cores (run once)
def test_a_failure_on_main_stops_the_other_rank_with_mains_message(two_ranks):
    _, _, (main, other) = two_ranks
    assert main["failure"] == ["ValueError", "bad input on main"]
    assert other["failure"] == ["MainProcessFailed", "main process failed: bad input on main"]


@pytest.mark.slow  # the two-process scenario: ~10 s alone, ~25 s on 2 busy cores (run once)
def test_sharded_evaluation_writes_exactly_what_one_process_writes(two_ranks):
    out, reference, (main, other) = two_ranks
    one = (out / "eval1" / "episodes.jsonl").read_bytes()
    actions = {json.dumps(json.loads(line)["trajectory"]["steps"]) for line in one.splitlines()}
    assert len(actions) == 6  # the model's text differs per task, so a misplaced row would show
    assert (out / "eval2" / "episodes.jsonl").read_bytes() == one
    assert (out / "resumed2" / "episodes.jsonl").read_bytes() == one  # resumed under two processes
    assert main["eval2"] == main["resumed2"] == json.loads(json.dumps(reference))
    assert other["eval2"] == other["resumed2"] == {}  # the stage's outputs are main's


if __name__ == "__main__":  # one rank of the two-process scenario, launched by the `two_ranks` fixture
    os.environ.setdefault("TOOLPAST_HOME", str(Path(sys.argv[1]) / "home"))
    _worker(Path(sys.argv[1]), Path(sys.argv[2]))
    distributed.shutdown()
