# SPDX-License-Identifier: GPL-2.0
"""A tree that already carries the conversion: Debian's Linux 6.12.

The audit must list every table and print an honest agreement count, and a
copy of the tree with every `.walk_lock = ...` initializer removed must get
its modes back from the same analysis: every one, those walked only by
a walker that ignores walk_lock included (the mode states the lock that
walker asserts itself).  PGWALK_TREE_NEW points at the
tree (`make check` fetches linux-source-6.12); without it these tests
skip.
"""

import json
import os
import re

import pytest

from conftest import (copy_plain_tree, declared_modes, need_new_tree,
                      run_apply, strip_walk_locks)

pytestmark = pytest.mark.tree


@pytest.fixture(scope="module")
def audited():
    tree = need_new_tree()
    r = run_apply("--audit", tree)
    assert r.returncode in (0, 1), r.stderr[-3000:]
    lines = {}
    for m in re.finditer(r"^(\S+):(\d+): (\w+): ([a-z ()]+): (.*)$",
                         r.stdout, re.M):
        lines[(m.group(1), m.group(3))] = (m.group(4), m.group(5))
    return tree, r, lines


def test_audit_lists_every_table(audited):
    tree, r, lines = audited
    print(r.stdout)
    assert set(lines) == set(declared_modes(tree))
    summary = re.search(r"^audit: (\d+) tables: (\d+) agree, (\d+) disagree",
                        r.stdout, re.M)
    assert summary and int(summary.group(1)) == len(lines)
    # The count is the lines', not a number typed in.
    assert int(summary.group(2)) == sum(v == "agree" for v, _m in
                                        lines.values())
    assert r.returncode == (1 if any(v in ("disagree", "missing") for v, _m
                                     in lines.values()) else 0)


def test_audit_of_the_tree_as_shipped_passes(audited):
    """Every table of the tree as Debian ships it agrees with the analysis
    (one relies on the default mode: that agrees too), and no line says
    "None"."""
    _tree, r, lines = audited
    assert r.returncode == 0, r.stdout
    assert "None" not in r.stdout


def test_stripped_tree_gets_its_modes_back(audited, tmp_path_factory):
    tree, _r, lines = audited
    declared = {k: v for k, v in declared_modes(tree).items() if v}
    work = tmp_path_factory.mktemp("stripped")
    stripped = copy_plain_tree(tree, str(work / "linux"))
    assert strip_walk_locks(stripped, {f for f, _t in declared}) >= \
        len(declared)
    out = str(work / "series")
    a = run_apply(stripped, out)
    assert a.returncode == 0, a.stderr[-3000:]
    decided = json.load(open(os.path.join(out, "decisions.json")))
    regenerated = {}
    for t in decided["tables"]:
        regenerated[(t["file"], t["name"])] = t["mode"]
        if t.get("split"):
            regenerated[(t["file"], t["split"]["write_name"])] = \
                t["split"]["write_mode"]
    agree = [k for k, mode in declared.items() if regenerated.get(k) == mode]
    differ = sorted(set(declared) - set(agree))
    report = ["%s:%s declared %s, regenerated %s; audit: %s" % (
        k[0], k[1], declared[k], regenerated.get(k), lines.get(k))
        for k in differ]
    print("\n".join(report))
    print("agree: %d of %d tables (%.0f%%)" % (
        len(agree), len(declared), 100.0 * len(agree) / len(declared)))
    # Every declared mode comes back.
    assert not differ, report
    assert ("mm/mempolicy.c", "queue_pages_lock_vma_walk_ops") in agree
    # No table is left without a mode or a note, and none left for review.
    assert not decided["review"]
    for t in decided["tables"]:
        assert t["mode"] or t["reason"], t["name"]
        assert not t["review"], (t["name"], t["review"])
