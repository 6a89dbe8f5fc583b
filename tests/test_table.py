# SPDX-License-Identifier: GPL-2.0
"""decisions.json read back into records (pgwalk/table.py): every field
comes back as it was written, the closed sets are enums that print as
their word, and a file apply.sh did not write is one line that names the
table and the field."""

import json

import pytest

from pgwalk import table
from pgwalk.analysis.lockstate import ChainState
from pgwalk.table import Action, Decisions, DecisionsError, Table

pytestmark = pytest.mark.unit


def declared():
    """A table the tree already annotated, with every optional field."""
    return table.new(
        name="t_ops", file="mm/t.c", line=3, walkers=["walk_page_range"],
        mode="PGWALK_RDLOCK", reason="already sets walk_lock = x",
        chains=[{"lock": ChainState.READ, "steps": ["f()"],
                 "sites": ["mm/t.c:9"]}]) | {
        "declared": "x ? PGWALK_RDLOCK : PGWALK_WRLOCK", "inferred": None,
        "inferred_reason": "not passed to a page walker in this tree",
        "declared_shown": "x ? PGWALK_RDLOCK : PGWALK_WRLOCK",
        "declared_can_be": ["PGWALK_RDLOCK", "PGWALK_WRLOCK"],
        "dropped_paths": 0}


def written(d):
    return json.dumps(d, indent=1, sort_keys=True)


def test_round_trip_is_byte_identical():
    plain = table.new(name="a_ops", file="mm/a.c", line=1)
    split = table.new(name="b_ops", file="mm/b.c", line=2,
                      action=Action.SPLIT, mode="PGWALK_RDLOCK",
                      split={"write_name": "b_ops_wr",
                             "write_mode": "PGWALK_WRLOCK", "callers": []})
    runtime = dict(table.new(name="c_ops", file="mm/c.c", line=4),
                   walk_lock_at_walk=["PGWALK_RDLOCK"], dropped_paths=2)
    d = {"tree": "/t", "has_core": False, "per_vma_lock": True,
         "modes": ["PGWALK_RDLOCK"], "walkers": {"walk_page_range": True},
         "contract": {"modes": []},
         "tables": [plain, split, runtime, declared()], "review": ["r"]}
    back = Decisions.from_json(json.loads(written(d)))
    assert written(back.to_json()) == written(d)
    # A null inferred is kept where the table declares a mode.
    assert "inferred" in back.to_json()["tables"][3]
    assert "inferred" not in back.to_json()["tables"][0]
    t = back.tables[1]
    assert isinstance(t, Table) and t.action is Action.SPLIT
    assert t.split["write_name"] == "b_ops_wr"


def test_enums_print_and_compare_as_their_word():
    assert "%s %s" % (Action.ANNOTATE, ChainState.VMA_READ) == \
        "annotate vma_read"
    assert "{}".format(ChainState.UNSEEN) == "unseen"
    assert json.dumps([Action.NONE, ChainState.WRITE]) == '["none", "write"]'
    assert Action.SPLIT == "split" and "read" in {ChainState.READ}


@pytest.mark.parametrize("bad, said", [
    ({"tables": 42}, "no list of tables"),
    ([], "not an object"),
    ({"tables": [], "colour": 1}, 'unknown field "colour"'),
    ({"tables": [7]}, "table 1 is not an object"),
    ({"tables": [{"name": "a_ops", "file": "a.c", "line": 1}]},
     'table 1 (a_ops): no field "action", "mode"'),
    ({"tables": [dict(table.new(name="a_ops", file="a.c", line=1),
                      colour="red")]},
     'table 1 (a_ops): unknown field "colour"'),
    ({"tables": [dict(table.new(name="a_ops", file="a.c", line=1),
                      action="paint")]},
     "table 1 (a_ops): action 'paint' is not one of none, annotate, split"),
], ids=["tables", "object", "field", "table", "missing", "unknown",
        "action"])
def test_not_decisions_is_one_line(bad, said):
    with pytest.raises(DecisionsError) as e:
        Decisions.from_json(bad)
    assert str(e.value) == said


def test_load_names_the_file(tmp_path):
    path = tmp_path / "decisions.json"
    path.write_text('{"tables": [{"name": "a_ops"}]}')
    with pytest.raises(DecisionsError) as e:
        table.load(str(path))
    assert str(e.value) == '%s: not the decisions.json apply.sh writes: ' \
        'table 1 (a_ops): no field "file", "line", "action", "mode"' % path
    path.write_text('{"tables": [')
    with pytest.raises(DecisionsError, match="cannot be read"):
        table.load(str(path))
