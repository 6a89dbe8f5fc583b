# SPDX-License-Identifier: GPL-2.0
"""The walker contract (scripts/pgwalk/analysis/contract.py), read from
small trees whose core imitates a kernel's: the walkers, which honour
walk_lock, and what the core does under each mode, all from the code.

Each shape the contract reads has a test that takes out the rule of
semantic-patches/contract.cocci that reads it and watches the answer go.
"""

import os
import shutil

import pytest

from conftest import REPO, spatch_in_place, walker_tree
from pgwalk import core
from pgwalk.analysis import contract
from pgwalk.analysis.contract import MmapNeed
from pgwalk.analysis.lockstate import LockState, Mmap, Vma

pytestmark = pytest.mark.unit

COCCI = os.path.join(REPO, "tests", "cocci")
SEMANTIC_PATCHES = os.path.join(REPO, "semantic-patches")


def make_tree(tmp_path):
    """A tree without walk_lock: walkers/pagewalk.[ch] as its core."""
    return str(walker_tree(tmp_path / "tree"))


def converted(tmp_path, *rewrites):
    """The same tree with the core the series inserts, then rewritten by
    tests/cocci/ semantic patches: [(rule file, files, defines)]."""
    tree = make_tree(tmp_path)
    for relpath, text in core.core_edits(tree, True).items():
        with open(os.path.join(tree, relpath), "w") as f:
            f.write(text)
    rewrite(tree, *rewrites)
    return tree


def rewrite(tree, *rewrites):
    """Rewrite tree with tests/cocci/ semantic patches, in order:
    (rule file, files, defines besides patch) each."""
    for cocci, files, defines in rewrites:
        spatch_in_place(tree, os.path.join(COCCI, cocci), files,
                        define=("patch", *defines))


def without_rule(tmp_path, monkeypatch, rule):
    """contract.cocci without one rule (and its script), for the rest of
    the test."""
    work = tmp_path / "semantic-patches"
    shutil.copytree(SEMANTIC_PATCHES, work)
    path = work / "contract.cocci"
    text = path.read_text()
    start = text.index("@%s" % rule)
    script = text.index("@script:python@", start)
    body = text.index("\n@@\n", script) + len("\n@@\n")
    end = text.find("\n@", body)
    path.write_text(text[:start] + text[end + 1:])
    assert "@%s" % rule not in path.read_text()
    monkeypatch.setenv("PGWALK_SEMANTIC_PATCHES", str(work))


def table(c):
    return {m.name: (m.mmap.value, m.vma.value, m.default) for m in c.modes}


INSERTED = {"PGWALK_RDLOCK": ("read", "none", True),
            "PGWALK_WRLOCK": ("write", "lock-write", False),
            "PGWALK_WRLOCK_VERIFY": ("write", "verify-write", False)}


def test_tree_without_walk_lock_gets_the_inserted_cores_contract(tmp_path):
    c = contract.derive(make_tree(tmp_path))
    assert c.source == "inserted core"
    assert table(c) == INSERTED
    assert c.honouring() == ["walk_page_range", "walk_page_range_vma",
                             "walk_page_vma"]
    assert c.ignoring() == ["walk_page_mapping", "walk_page_range_novma"]
    assert c.ops_args() == {"walk_page_range": 3, "walk_page_range_vma": 3,
                            "walk_page_vma": 1, "walk_page_mapping": 3,
                            "walk_page_range_novma": 3}
    assert c.walkers["walk_page_vma"].vma_arg == 0
    assert c.walkers["walk_page_range"].vma_arg is None
    assert c.core == ("mm/pagewalk.c",)
    assert c.default.name == "PGWALK_RDLOCK"
    # What decisions.json records reads back the same.
    assert contract.Contract.from_json(c.to_json()) == c


def test_tree_with_walk_lock_gets_its_own(tmp_path):
    c = contract.derive(converted(tmp_path))
    assert c.source == "tree"
    assert table(c) == INSERTED


def test_a_mode_nobody_has_seen_is_read_from_the_core(tmp_path):
    """The core gains a mode that only asserts a per-VMA read lock: its
    contract comes from the helpers' branches, not from a list."""
    c = contract.derive(converted(tmp_path, (
        "vma-read-mode.cocci", ["mm/pagewalk.c", "include/linux/pagewalk.h"],
        ())))
    assert table(c) == dict(INSERTED, PGWALK_VMA_RDLOCK_VERIFY=(
        "none", "verify-read", False))
    assert c.mode("PGWALK_VMA_RDLOCK_VERIFY").calls == ("vma_assert_locked",)


def test_the_not_equal_branch_needs_its_rule(tmp_path, monkeypatch):
    without_rule(tmp_path, monkeypatch, "helper_ne1 exists")
    c = contract.derive(converted(tmp_path, (
        "vma-read-mode.cocci", ["mm/pagewalk.c", "include/linux/pagewalk.h"],
        ())))
    assert c.mode("PGWALK_VMA_RDLOCK_VERIFY").mmap is MmapNeed.WRITE


def test_the_switch_needs_its_case_rule(tmp_path, monkeypatch):
    without_rule(tmp_path, monkeypatch, "helper_case")
    c = contract.derive(converted(tmp_path))
    assert table(c) != INSERTED


INTERNAL = [("internal-walker.cocci", ["mm/pagewalk.c", "mm/internal.h"],
             ())]


def with_internal_header(tmp_path):
    tree = converted(tmp_path)
    # An mm-internal header declaring a walker, as some trees have it.
    with open(os.path.join(tree, "mm", "internal.h"), "w") as f:
        f.write("int walk_page_range_debug(struct mm_struct *mm, "
                "unsigned long start,\n\t\t\t  unsigned long end, "
                "const struct mm_walk_ops *ops,\n\t\t\t  pgd_t *pgd, "
                "void *private);\n")
    rewrite(tree, *INTERNAL)
    return tree


def test_public_wrapper_over_an_internal_walker(tmp_path):
    c = contract.derive(with_internal_header(tmp_path))
    internal = c.walkers["pgwalk_range_internal"]
    public = c.walkers["walk_page_range"]
    assert internal.entry and internal.honours
    assert internal.declared == ("mm/internal.h",)
    assert public.entry and public.honours
    assert public.reaches == ("pgwalk_range_internal",)
    # Declared, never seen defined: taken at its word, and it honours
    # nothing the contract can see.
    assert c.walkers["walk_page_range_debug"].entry
    assert not c.walkers["walk_page_range_debug"].honours


def test_the_wrapper_needs_the_forward_rule(tmp_path, monkeypatch):
    without_rule(tmp_path, monkeypatch, "forward exists")
    c = contract.derive(with_internal_header(tmp_path))
    assert "walk_page_range" not in c.honouring()


def test_weakest_mode_whose_contract_holds_on_every_path(tmp_path):
    c = contract.derive(converted(tmp_path, (
        "vma-read-mode.cocci", ["mm/pagewalk.c", "include/linux/pagewalk.h"],
        ())))
    read = LockState(Mmap.READ)
    write = LockState(Mmap.WRITE)
    changed = LockState(Mmap.WRITE, Vma.CHANGED)
    vma_read = LockState(Mmap.NONE, Vma.READ)
    downgraded = LockState(Mmap.READ, Vma.NONE, downgraded=True)

    def weakest(*states):
        m = c.weakest(states)
        return m and m.name

    assert weakest(read) == "PGWALK_RDLOCK"
    assert weakest(read, downgraded) == "PGWALK_RDLOCK"
    assert weakest(write) == "PGWALK_WRLOCK"
    assert weakest(changed) == "PGWALK_WRLOCK_VERIFY"
    assert weakest(write, changed) == "PGWALK_WRLOCK"
    assert weakest(vma_read) == "PGWALK_VMA_RDLOCK_VERIFY"
    # Paths that differ: no mode states both; the fallback is the
    # weakest whose checks pass on every path, or none.
    assert weakest(read, write) is None
    assert c.weakest_safe([read, write]).name == "PGWALK_RDLOCK"
    assert weakest(read, vma_read) is None
    assert c.weakest_safe([read, vma_read]) is None


def test_contract_is_printed(tmp_path):
    lines = contract.show(contract.derive(make_tree(tmp_path)))
    text = "\n".join(lines)
    assert "walk_page_vma()              honours walk_lock  ops argument 1, " \
        "VMA argument 0" in text
    assert "PGWALK_WRLOCK_VERIFY         write  verify-write  " \
        "mmap_assert_write_locked(), vma_assert_write_locked()" in text
    assert "(default)" in text


def test_not_a_tree_is_named(tmp_path):
    with pytest.raises(contract.NoCore):
        contract.derive(str(tmp_path))
