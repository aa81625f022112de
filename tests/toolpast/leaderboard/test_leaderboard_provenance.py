"""One provenance builder: from a stage's manifest (its code, packages and finish time, even when reused) or from
the running process (now), with the same config hash everywhere."""

import datetime as dt
import hashlib

from toolpast import __version__
from toolpast.artifacts import Manifest, canonical_json, package_versions
from toolpast.leaderboard.provenance import config_hash, from_manifest, from_process
from toolpast.tooluse.config import RunConfig

CFG = RunConfig()


def test_config_hash_is_the_canonical_json_digest():
    assert config_hash(CFG) == hashlib.sha256(canonical_json(CFG.model_dump()).encode()).hexdigest()[:16]
    assert config_hash(CFG) != config_hash(CFG.model_copy(update={"seed": CFG.seed + 1}))


def test_from_manifest_takes_the_builds_code_and_finish_time():
    made = Manifest(stage="eval", key="0" * 16, spec={}, packages={"toolpast": "9.9", "torch": "2.0"},
                    git_commit="abc-dirty", started_at="2026-01-02T03:04:05+00:00", wall_time_s=65.4)
    p = from_manifest(made, CFG, command="toolpast run", preset="cpu", seeds={"seed": 1, "world_seed": 2},
                      backend="vllm")
    assert (p.toolpast_version, p.git_commit, p.packages) == ("9.9", "abc-dirty", made.packages)
    assert p.date == "2026-01-02T03:05:10+00:00" and p.config_hash == config_hash(CFG)
    assert (p.command, p.preset, p.seeds, p.backend) == ("toolpast run", "cpu", {"seed": 1, "world_seed": 2}, "vllm")
    assert from_manifest(made.model_copy(update={"packages": {}}), CFG, command="c", preset="cpu", seeds={},
                         backend="hf").toolpast_version == __version__


def test_from_process_is_dated_now_with_the_installed_packages():
    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    p = from_process(CFG, command="toolpast qa", preset="smoke", seeds={"seed": 0}, backend="hf", git_commit=None)
    assert before <= dt.datetime.fromisoformat(p.date) <= dt.datetime.now(dt.timezone.utc)
    assert p.packages == package_versions() and p.git_commit is None
    given = from_process(CFG, command="c", preset="regress", seeds={}, backend="hf", git_commit="x",
                         packages={"toolpast": "1.2"})
    assert (given.packages, given.toolpast_version, given.git_commit) == ({"toolpast": "1.2"}, "1.2", "x")
