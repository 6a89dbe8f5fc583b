# SPDX-License-Identifier: GPL-2.0
"""Metamorphic tests of the walker contract on Debian's Linux 6.12.

The tree with its `.walk_lock` lines removed is analysed once ("before");
a copy is then rewritten by a Coccinelle semantic patch under tests/cocci/
that changes the shape of the tree's walker core but not what it does,
and analysed again.  Every mode must come back as before (or be the new
mode where the rewrite brings one), and with the rule of contract.cocci
that reads the new shape taken out, the modes must not all come back:
the rule is what makes the answer.

- internal-walker.cocci: walk_page_range() becomes a thin wrapper over an
  internal walker declared in mm/internal.h that does the locking, and
  two callers walk through the internal walker directly.
- vma-read-mode.cocci + vma-read-caller.cocci: the enum and the core gain
  a mode that only asserts a per-VMA read lock, and a new caller walks
  under lock_vma_under_rcu() alone.

PGWALK_TREE_NEW points at the tree; without it these tests skip.
"""

import os
import re
import shutil
import subprocess

import pytest

from conftest import (copy_plain_tree, declared_modes, need_new_tree,
                      strip_walk_locks)
from pgwalk.analysis import contract, decisions
from test_contract import rewrite, without_rule

pytestmark = pytest.mark.tree

NEW_MODE = "PGWALK_VMA_RDLOCK_VERIFY"


def spatch(tree, cocci, files, *defines):
    rewrite(tree, (cocci, files, defines))


def fork(base, dst, files):
    """A copy of base sharing its files (hard links), but for these,
    which are copied so that a rewrite does not touch base."""
    subprocess.run(["cp", "-al", base, dst], check=True)
    for rel in files:
        path = os.path.join(dst, rel)
        tmp = path + ".tmp"
        shutil.copyfile(path, tmp)
        os.replace(tmp, path)
    return dst


def modes(tree):
    out = decisions.analyze(tree, jobs=2)
    got = {}
    for t in out["tables"]:
        got[(t["file"], t["name"])] = t["mode"]
        if t.get("split"):
            got[(t["file"], t["split"]["write_name"])] = \
                t["split"]["write_mode"]
    return got, out


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    tree = need_new_tree()
    declared = {k: v for k, v in declared_modes(tree).items() if v}
    work = tmp_path_factory.mktemp("metamorphic")
    stripped = copy_plain_tree(tree, str(work / "base"))
    assert strip_walk_locks(stripped, {f for f, _t in declared}) >= \
        len(declared)
    before, _out = modes(stripped)
    return stripped, before


# ------------------------------------------------------ internal walker

INTERNAL_CORE = ["mm/pagewalk.c", "mm/internal.h"]
INTERNAL_CALLERS = ["mm/mlock.c", "mm/mprotect.c"]


@pytest.fixture(scope="module")
def internal(base, tmp_path_factory):
    stripped, _before = base
    tree = fork(stripped, str(tmp_path_factory.mktemp("internal") / "t"),
                INTERNAL_CORE + INTERNAL_CALLERS)
    spatch(tree, "internal-walker.cocci", INTERNAL_CORE)
    spatch(tree, "internal-walker.cocci", INTERNAL_CALLERS, "callers")
    for rel in INTERNAL_CALLERS:
        text = open(os.path.join(tree, rel)).read()
        assert re.search(r"\bpgwalk_range_internal\(", text), rel
    return tree


def test_internal_walker_keeps_the_modes(base, internal):
    _stripped, before = base
    c = contract.derive(internal)
    assert c.walkers["pgwalk_range_internal"].entry
    assert c.walkers["pgwalk_range_internal"].honours
    assert c.walkers["walk_page_range"].reaches == ("pgwalk_range_internal",)
    assert c.walkers["walk_page_range"].honours
    after, out = modes(internal)
    assert after == before
    # The callers rewritten walk through the internal walker.
    walked = {t["name"]: t["walkers"] for t in out["tables"]}
    assert "pgwalk_range_internal" in walked["mlock_walk_ops"]


def test_internal_walker_needs_the_forward_rule(base, internal, tmp_path,
                                                monkeypatch):
    _stripped, before = base
    without_rule(tmp_path, monkeypatch, "forward exists")
    after, _out = modes(internal)
    lost = sorted(k for k in before if after.get(k) != before[k])
    assert lost, "the modes come back without the forward rule"


# ------------------------------------------------ per-VMA read lock mode

VMA_CORE = ["mm/pagewalk.c", "include/linux/pagewalk.h"]
VMA_CALLER = ["mm/mincore.c"]


@pytest.fixture(scope="module")
def vma_mode(base, tmp_path_factory):
    stripped, _before = base
    tree = fork(stripped, str(tmp_path_factory.mktemp("vma") / "t"),
                VMA_CORE + VMA_CALLER)
    spatch(tree, "vma-read-mode.cocci", VMA_CORE)
    spatch(tree, "vma-read-caller.cocci", VMA_CALLER)
    assert "pgwalk_vma_read_ops" in open(
        os.path.join(tree, VMA_CALLER[0])).read()
    return tree


def test_new_mode_is_understood_and_chosen(base, vma_mode):
    _stripped, before = base
    c = contract.derive(vma_mode)
    m = c.mode(NEW_MODE)
    assert (m.mmap.value, m.vma.value) == ("none", "verify-read"), m
    after, out = modes(vma_mode)
    new = ("mm/mincore.c", "pgwalk_vma_read_ops")
    assert after.pop(new) == NEW_MODE
    t = {x["name"]: x for x in out["tables"]}["pgwalk_vma_read_ops"]
    assert t["reason"] == "per-VMA read lock held on every path"
    assert not t["review"]
    assert after == before


def test_new_mode_needs_the_not_equal_rule(base, vma_mode, tmp_path,
                                           monkeypatch):
    """Without the rule that reads `if (walk_lock != MODE)`, the core
    seems to assert the mmap write lock under the new mode too, and the
    new caller's table no longer gets it."""
    without_rule(tmp_path, monkeypatch, "helper_ne1 exists")
    assert contract.derive(vma_mode).mode(NEW_MODE).mmap.value == "write"
    after, _out = modes(vma_mode)
    assert after[("mm/mincore.c", "pgwalk_vma_read_ops")] != NEW_MODE
