"""Seeded world generation and copy-on-write episode states."""

from toolenv.categories import SPECS
from toolenv.world import build_world


def _rows(world):
    return {name: t.rows for name, t in world.tables.items()}


def test_same_seed_same_world_and_different_seed_different_world():
    spec = SPECS["movies"]
    assert _rows(build_world(spec, 7)) == _rows(build_world(spec, 7))
    assert _rows(build_world(spec, 7)) != _rows(build_world(spec, 8))


def test_records_have_unique_ids_and_names_and_valid_foreign_keys():
    for spec in SPECS.values():
        world = build_world(spec, 3)
        for t in spec.tables:
            rows = world.tables[t.name].rows
            assert len(rows) == t.rows
            assert len({r[t.key] for r in rows}) == len(rows)
            if t.names is not None:
                assert len({str(r[t.name_field]).lower() for r in rows}) == len(rows)
            for f in t.fields:
                if f.kind == "ref":
                    parents = world.tables[f.ref].by_id
                    assert all(r[f.name] in parents for r in rows)
                if f.kind == "enum" and len(rows) >= len(f.choices):
                    assert {r[f.name] for r in rows} == set(f.choices)  # every group non-empty


def test_writes_copy_the_table_and_never_touch_the_base():
    world = build_world(SPECS["finance"], 1)
    base_rows = world.tables["positions"].rows
    snapshot = [dict(r) for r in base_rows]
    a, b = world.state(), world.state()
    table = a.writable("positions")
    table.rows[0]["status"] = "changed"
    assert world.tables["positions"].rows == snapshot and b.tables["positions"].rows == snapshot
    assert not a.same_as(b) and b.same_as(world.state())
    assert a.dump()["positions"][0]["status"] == "changed"
