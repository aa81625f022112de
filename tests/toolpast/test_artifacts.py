import pytest

from toolpast.artifacts import ArtifactStore, CorruptManifest, stage_key


def test_key_is_stable_and_sensitive():
    spec = {"b": [1, 2], "a": {"x": 1.5}}
    assert stage_key("sft", spec) == stage_key("sft", {"a": {"x": 1.5}, "b": [1, 2]})
    assert stage_key("sft", spec) != stage_key("rl", spec)
    assert stage_key("sft", spec) != stage_key("sft", {**spec, "b": [2, 1]})


def test_run_once_then_reuse(tmp_path):
    store, calls = ArtifactStore(tmp_path), []

    def fn(workdir):
        calls.append(workdir)
        (workdir / "out.txt").write_text("hello")
        return {"value": 3}

    first, reused1 = store.run("stage", {"k": 1}, fn)
    second, reused2 = store.run("stage", {"k": 1}, fn)
    assert (reused1, reused2) == (False, True)
    assert len(calls) == 1
    assert second.outputs == {"value": 3} and (second.path / "out.txt").read_text() == "hello"
    assert second.manifest.wall_time_s >= 0 and second.manifest.packages["toolpast"]
    assert not list(tmp_path.glob("stage/*.partial"))


def test_force_rebuilds(tmp_path):
    store, calls = ArtifactStore(tmp_path), []
    store.run("stage", {"k": 1}, lambda w: calls.append(1))
    _, reused = store.run("stage", {"k": 1}, lambda w: calls.append(2), force=True)
    assert not reused and calls == [1, 2]


def test_crash_keeps_partial_work_for_resume(tmp_path):
    store = ArtifactStore(tmp_path)

    def crash(workdir):
        (workdir / "checkpoint").write_text("step 5")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        store.run("stage", {"k": 1}, crash)
    assert store.lookup("stage", {"k": 1}) is None  # not finished
    seen = {}

    def resume(workdir):
        seen["checkpoint"] = (workdir / "checkpoint").read_text()

    store.run("stage", {"k": 1}, resume)
    assert seen == {"checkpoint": "step 5"}
    assert store.lookup("stage", {"k": 1}) is not None


def test_a_stage_that_fails_before_writing_leaves_no_partial_directory(tmp_path):
    store = ArtifactStore(tmp_path)

    def fail(workdir):
        raise ValueError("bad config found late")

    with pytest.raises(ValueError):
        store.run("stage", {"k": 1}, fail)
    assert not list(tmp_path.glob("stage/*")), list(tmp_path.glob("stage/*"))


def test_keys_are_content_addresses_and_a_rebuilt_input_invalidates_its_users(tmp_path):
    store = ArtifactStore(tmp_path)
    up, _ = store.run("up", {"k": 1}, lambda w: None)
    down, _ = store.run("down", {"input": up.key}, lambda w: None)
    assert down.manifest.inputs == {up.key: up.manifest.build}
    again, reused = store.run("up", {"k": 1}, lambda w: None, force=True)
    assert not reused and again.key == up.key and again.manifest.build != up.manifest.build
    assert store.lookup("down", {"input": up.key}) is None  # made from the old build of `up`
    rebuilt, reused = store.run("down", {"input": up.key}, lambda w: None)
    assert not reused and rebuilt.key == down.key and rebuilt.manifest.inputs == {up.key: again.manifest.build}
    assert store.run("down", {"input": up.key}, lambda w: None)[1]


def test_partial_work_from_an_older_build_of_an_input_is_not_resumed(tmp_path):
    store = ArtifactStore(tmp_path)
    up, _ = store.run("up", {"k": 1}, lambda w: None)

    def crash(workdir):
        (workdir / "checkpoint").write_text("step 5")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        store.run("down", {"input": up.key}, crash)
    store.run("up", {"k": 1}, lambda w: None, force=True)
    seen = []
    store.run("down", {"input": up.key}, lambda w: seen.append(sorted(p.name for p in w.iterdir())))
    assert seen == [[".inputs.json"]]  # the old checkpoint is gone


@pytest.mark.parametrize("damage", [lambda raw: raw[:100], lambda raw: b"\xff" + raw, lambda raw: b'{"stage": 1}'],
                         ids=["truncated", "not-utf8", "schema"])
def test_a_corrupt_manifest_is_named_with_its_fix_and_force_rebuilds_it(tmp_path, damage):
    """A finished artifact whose manifest.json does not parse stops the run with one line naming the file and the
    --force that rebuilds it (not rebuilt unasked: see CorruptManifest); the forced run rebuilds it, and a stage
    that names it as an input is refused with the same line meanwhile."""
    store, calls = ArtifactStore(tmp_path), []
    up, _ = store.run("up", {"k": 1}, lambda w: calls.append("up"))
    manifest = up.path / "manifest.json"
    manifest.write_bytes(damage(manifest.read_bytes()))
    line = f"^{manifest}: not a valid stage manifest: .+; rerun with --force up to rebuild that stage$"
    for run in (lambda: store.run("up", {"k": 1}, lambda w: calls.append("again")),
                lambda: store.run("down", {"input": up.key}, lambda w: calls.append("down"))):
        with pytest.raises(CorruptManifest, match=line) as raised:
            run()
        assert "\n" not in str(raised.value)
    assert calls == ["up"]
    rebuilt, reused = store.run("up", {"k": 1}, lambda w: calls.append("forced"), force=True)
    assert not reused and calls == ["up", "forced"] and rebuilt.manifest.key == up.key
    assert store.run("down", {"input": up.key}, lambda w: calls.append("down"))[0].manifest.inputs == {
        up.key: rebuilt.manifest.build}
