# SPDX-License-Identifier: GPL-2.0
"""The analysis: each rule of the issue on a fixture that imitates it.

A fixture tree is a temp git repo with include/linux/pagewalk.h,
include/linux/mm.h, mm/pagewalk.c (the core, so its walk calls are not
callers) and the fixture files under mm/.
"""

import os
import shutil
import subprocess

import pytest

from conftest import (FIXTURES, REPO, WALKERS_C, WALKERS_H, copy_plain_tree,
                      git_init, git_repo, need_real_tree, walker_tree)
from pgwalk.analysis import decisions, pins

# Its fixtures' facts are read ahead, all in one go (conftest.py).
pytestmark = pytest.mark.usefixtures("fixture_facts")

ANALYSIS = os.path.join(FIXTURES, "analysis")


def make_tree(tmp_path, *names, extra=None):
    tree = walker_tree(tmp_path / "tree")
    for name in names:
        shutil.copy(os.path.join(ANALYSIS, name), tree / "mm" / name)
    for relpath, text in (extra or {}).items():
        (tree / relpath).write_text(text)
    return git_repo(tree)


def decide(tmp_path, *names, **kw):
    tree = make_tree(tmp_path, *names)
    out = decisions.analyze(tree, jobs=2, **kw)
    return {t["name"]: t for t in out["tables"]}, out


READ_EVERY_PATH = "mmap lock held for read on every path"

# One fixture, one table: (fixture, table, {field: the value the table's
# record holds}, {field: a phrase its text, or one of its lines, holds}).
ONE_TABLE = [
    pytest.param("local_read.c", "local_read_ops",
                 {"mode": "PGWALK_RDLOCK", "reason": READ_EVERY_PATH},
                 {"evidence": "takes mmap_read_lock()"},
                 id="local_read_lock_gives_rdlock"),
    pytest.param("whole_mm_write.c", "whole_mm_ops",
                 {"mode": "PGWALK_WRLOCK"}, {},
                 id="whole_mm_walk_under_write_lock_gives_wrlock"),
    pytest.param("vma_changed.c", "changed_vma_ops",
                 {"mode": "PGWALK_WRLOCK_VERIFY",
                  "function": "change_and_walk"}, {},
                 id="vma_changed_before_the_walk_gives_verify"),
    pytest.param("runtime_mode.c", "runtime_ops",
                 {"mode": "PGWALK_RDLOCK", "action": "annotate"}, {},
                 id="runtime_lock_mode_counts_as_read"),
    # No path holds the lock: the walker would reject every one of them,
    # so the table keeps the read mode and a human is asked to look.
    pytest.param("released.c", "released_ops", {"mode": "PGWALK_RDLOCK"},
                 {"review": "holds the mmap lock"},
                 id="lock_released_before_the_walk_is_not_held"),
    pytest.param("downgrade.c", "downgrade_ops", {"mode": "PGWALK_RDLOCK"},
                 {}, id="downgrade_makes_the_path_read"),
    pytest.param("trylock.c", "trylock_ops",
                 {"mode": "PGWALK_RDLOCK", "reason": READ_EVERY_PATH}, {},
                 id="trylock_success_path_holds_read"),
    # A seq_file ->show whose iterator has no ->start that returns holding
    # a lock: the context cannot be seen.
    pytest.param("fnptr.c", "fnptr_ops", {"mode": "PGWALK_RDLOCK"},
                 {"review": "seq_operations"},
                 id="function_pointer_context_is_listed_for_review"),
    pytest.param("novma.c", "novma_ops", {"action": "none", "mode": None},
                 {"reason": "walk_page_range_novma()"},
                 id="novma_only_table_is_left_alone"),
]


@pytest.mark.unit
@pytest.mark.parametrize("fixture, table, equal, phrases", ONE_TABLE)
def test_one_table(tmp_path, fixture, table, equal, phrases):
    t, _ = decide(tmp_path, fixture)
    record = t[table]
    assert {k: record[k] for k in equal} == equal, record
    for field, phrase in phrases.items():
        said = record[field]
        assert any(phrase in line for line in (
            [said] if isinstance(said, str) else said)), (field, said)


@pytest.mark.unit
def test_caller_chain_across_files(tmp_path):
    t, _ = decide(tmp_path, "chain_a.c", "chain_b.c")
    assert t["chain_ops"]["mode"] == "PGWALK_WRLOCK"
    # The chain names the caller in the other file: where, after "---".
    assert any(site.startswith("mm/chain_b.c:")
               for c in t["chain_ops"]["chains"] for site in c["sites"])


@pytest.mark.unit
def test_chain_without_its_caller_is_unseen_and_kept_rdlock(tmp_path):
    """The same walk, with the locking caller's file absent."""
    t, _ = decide(tmp_path, "chain_a.c")
    assert t["chain_ops"]["mode"] == "PGWALK_RDLOCK"
    assert t["chain_ops"]["review"]


@pytest.mark.unit
def test_callers_in_different_modes_split_the_table(tmp_path):
    t, _ = decide(tmp_path, "split.c")
    q = t["queue_walk_ops"]
    assert q["action"] == "split" and q["mode"] == "PGWALK_RDLOCK"
    assert q["split"]["write_name"] == "queue_lock_vma_walk_ops"
    assert q["split"]["write_mode"] == "PGWALK_WRLOCK"
    assert q["split"]["function"] == "queue_range"
    assert {c["function"]: c["table"] for c in q["split"]["callers"]} == {
        "bind_range": "queue_lock_vma_walk_ops",
        "migrate_range": "queue_walk_ops"}


@pytest.mark.unit
def test_local_ops_variable_resolves_to_both_tables(tmp_path):
    t, _ = decide(tmp_path, "local_var.c")
    assert t["plain_ops"]["mode"] == t["shmem_ops"]["mode"] == \
        "PGWALK_RDLOCK"
    assert t["plain_ops"]["action"] == t["shmem_ops"]["action"] == \
        "annotate"


@pytest.mark.unit
def test_conditional_unlock_error_path_is_not_counted(tmp_path):
    t, _ = decide(tmp_path, "error_path.c")
    assert t["error_path_ops"]["mode"] == "PGWALK_WRLOCK"
    # The path through the unlock holds no lock: the walker would reject
    # it, so it is not counted (and recorded as dropped).
    assert t["error_path_ops"]["dropped_paths"] >= 1
    assert not t["error_path_ops"]["review"]


@pytest.mark.unit
def test_unparsable_function_with_a_walk_is_an_error(tmp_path):
    with pytest.raises(decisions.AnalysisError) as err:
        decide(tmp_path, "local_read.c", "unparsable.c")
    assert "mm/unparsable.c" in str(err.value)
    assert "unparsable()" in str(err.value)


def pins_file(tmp_path, text):
    """tmp_path/pins.conf holding text: a decisions file for --pins."""
    conf = tmp_path / "pins.conf"
    conf.write_text(text)
    return str(conf)


@pytest.mark.unit
def test_pin_overrides_the_analysis_and_is_marked(tmp_path):
    conf = pins_file(tmp_path, "mm/local_read.c:local_read_ops "
                     "PGWALK_WRLOCK reviewed on the list\n")
    t, _ = decide(tmp_path, "local_read.c", pins_path=conf)
    assert t["local_read_ops"]["mode"] == "PGWALK_WRLOCK"
    assert t["local_read_ops"]["pinned"]
    assert t["local_read_ops"]["pin_reason"] == "reviewed on the list"


@pytest.mark.unit
def test_pin_naming_no_table_is_an_error(tmp_path):
    conf = pins_file(tmp_path,
                     "mm/local_read.c:no_such_ops PGWALK_WRLOCK typo\n")
    with pytest.raises(pins.PinError) as err:
        decide(tmp_path, "local_read.c", pins_path=conf)
    assert "pins.conf:1: no struct mm_walk_ops no_such_ops" in str(err.value)


@pytest.mark.unit
def test_pin_naming_no_mode_is_an_error(tmp_path):
    conf = pins_file(tmp_path, "# comment\nmm/local_read.c:local_read_ops "
                     "PGWALK_WRITE typo\n")
    with pytest.raises(pins.PinError) as err:
        pins.load(conf)
    assert "pins.conf:2: unknown mode PGWALK_WRITE" in str(err.value)


@pytest.mark.unit
def test_pin_names_a_local_table_by_its_function(tmp_path):
    """Two functions' local tables of one name: file:function:table pins
    one of them; file:table is an error that says how to name it, and
    still pins a file-scope table of the name or a local of its own."""
    from pgwalk import table

    def tables():
        return [table.new(name="walk_ops", file="mm/a.c", line=3,
                          function="one", shared_name=True,
                          mode="PGWALK_RDLOCK", action="annotate"),
                table.new(name="walk_ops", file="mm/a.c", line=9,
                          function="two", shared_name=True,
                          mode="PGWALK_RDLOCK", action="annotate"),
                table.new(name="own_ops", file="mm/a.c", line=20,
                          function="three", mode="PGWALK_RDLOCK",
                          action="annotate"),
                table.new(name="walk_ops", file="mm/b.c", line=3,
                          mode="PGWALK_RDLOCK", action="annotate")]
    conf = pins_file(tmp_path, "mm/a.c:two:walk_ops PGWALK_WRLOCK seen\n"
                     "mm/a.c:own_ops PGWALK_WRLOCK seen\n"
                     "mm/b.c:walk_ops PGWALK_WRLOCK seen\n")
    got = tables()
    pins.apply(pins.load(conf), got)
    assert [(t["function"], t["mode"], t["pinned"]) for t in got] == [
        ("one", "PGWALK_RDLOCK", False), ("two", "PGWALK_WRLOCK", True),
        ("three", "PGWALK_WRLOCK", True), (None, "PGWALK_WRLOCK", True)]
    conf = pins_file(tmp_path, "mm/a.c:three:own_ops PGWALK_WRLOCK x\n")
    got = tables()
    pins.apply(pins.load(conf), got)
    assert got[2]["pinned"]
    conf = pins_file(tmp_path, "mm/a.c:walk_ops PGWALK_WRLOCK ambiguous\n")
    with pytest.raises(pins.PinError) as err:
        pins.apply(pins.load(conf), tables())
    assert "pins.conf:1: mm/a.c has more than one struct mm_walk_ops " \
        "walk_ops: name it as mm/a.c:<function>:walk_ops" in str(err.value)
    conf = pins_file(tmp_path, "mm/a.c:three:walk_ops PGWALK_WRLOCK typo\n")
    with pytest.raises(pins.PinError) as err:
        pins.apply(pins.load(conf), tables())
    assert "no struct mm_walk_ops three:walk_ops in mm/a.c" in \
        str(err.value)


@pytest.mark.unit
def test_shipped_decisions_file_pins_nothing():
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    assert pins.load(os.path.join(here, "decisions", "pinned.conf")) == []


@pytest.mark.tree
def test_real_tree_issue_examples(tmp_path):
    """On Linux 6.1: the three examples the issue names, and the tables
    that only walk_page_range_novma()/walk_page_mapping() use."""
    src = need_real_tree()
    # A plain copy, whatever state the cached tree's own .git is in.
    tree = copy_plain_tree(src, str(tmp_path / "k"))
    git_init(tree)
    for args in (["add", "-f", "-A"], ["commit", "-qm", "base"]):
        subprocess.run(["git", "-C", tree, *args], check=True,
                       capture_output=True)
    out = decisions.analyze(tree, jobs=2)
    t = {x["name"]: x for x in out["tables"]}
    assert t["mlock_walk_ops"]["mode"] == "PGWALK_WRLOCK_VERIFY"
    assert t["clear_refs_walk_ops"]["mode"] == "PGWALK_WRLOCK"
    assert t["queue_pages_walk_ops"]["action"] == "split"
    # The seven tables earlier versions left for review, each with its
    # evidence now: seq_file iterators, madvise's per-advice lock, the
    # device fault callbacks, a walk behind an #ifdef.
    for name in ("smaps_walk_ops", "smaps_shmem_walk_ops", "show_numa_ops",
                 "swapin_walk_ops", "cold_walk_ops", "madvise_free_walk_ops",
                 "migrate_vma_walk_ops"):
        assert t[name]["mode"] == "PGWALK_RDLOCK", name
        assert t[name]["chains"] and not t[name]["review"], name
    assert not out["review"]
    assert not any(x["review"] for x in out["tables"])
    # walk_page_range_novma() asserts the mmap write lock itself: its
    # tables state it; walk_page_mapping() asserts none.
    for name in ("ptdump_ops", "set_nocache_walk_ops",
                 "clear_nocache_walk_ops", "pageattr_ops"):
        assert t[name]["mode"] == "PGWALK_RDLOCK", name
        assert t[name]["stated_by"] == {
            "walkers": ["walk_page_range_novma"], "asserts": "write"}, name
    for name in ("clean_walk_ops", "wp_walk_ops"):
        assert t[name]["action"] == "none", name
    assert not any(x["pinned"] for x in out["tables"])


def kernel_walker_tree(tmp_path, extra=None):
    """A tree whose novma.c table is walked by walk_kernel_page_table_range()
    (declared in pagewalk.h), with extra files besides."""
    src = open(os.path.join(ANALYSIS, "novma.c")).read().replace(
        "walk_page_range_novma(mm, 0, 100, &novma_ops, NULL, NULL)",
        "walk_kernel_page_table_range(0, 100, &novma_ops, NULL, NULL)")
    decl = ("int walk_kernel_page_table_range(unsigned long start,\n"
            "\t\tunsigned long end, const struct mm_walk_ops *ops,\n"
            "\t\tpgd_t *pgd, void *private);\n")
    return make_tree(tmp_path, extra=dict({
        "mm/kernel_walk.c": src,
        "include/linux/pagewalk.h": open(WALKERS_H).read() + decl},
        **(extra or {})))


@pytest.mark.unit
def test_walkers_are_read_from_the_tree(tmp_path):
    """A walker this toolkit has never heard of, declared by the tree with
    an ops parameter (6.12's walk_kernel_page_table_range()), is known to
    ignore walk_lock; undeclared, it is not a walker at all."""
    tree = kernel_walker_tree(tmp_path)
    out = {t["name"]: t for t in decisions.analyze(tree, jobs=2)["tables"]}
    assert out["novma_ops"]["walkers"] == ["walk_kernel_page_table_range"]
    assert "walk_kernel_page_table_range()" in out["novma_ops"]["reason"]


KERNEL_WALKER = """
int walk_kernel_page_table_range(unsigned long start, unsigned long end,
		const struct mm_walk_ops *ops, pgd_t *pgd, void *private)
{
	struct mm_walk walk = {
		.ops		= ops,
		.mm		= &init_mm,
		.private	= private,
	};

	ASSERTION
	return __walk_page_range(start, end, &walk);
}
"""


@pytest.mark.unit
@pytest.mark.parametrize("assertion, mode", [
    ("mmap_assert_locked(&init_mm);", "PGWALK_RDLOCK"),
    # A write assertion: the weakest mode that asks for the mmap lock is
    # still the read one.
    ("mmap_assert_write_locked(&init_mm);", "PGWALK_RDLOCK"),
    ("", None),
    ("remove walker_call", None)])
def test_a_table_states_the_lock_its_ignoring_walker_asserts(
        tmp_path, monkeypatch, assertion, mode):
    """A table passed only to a walker that ignores walk_lock but asserts
    the mmap lock itself gets the weakest mode that asks for it,
    and the changelog says why; without the assertion (or without the
    contract rule that reads a walker's own calls) it is left alone."""
    from test_constructs import remove_rule
    from pgwalk import table
    from pgwalk.series import claims, messages
    if assertion.startswith("remove "):
        work = tmp_path / "semantic-patches"
        shutil.copytree(os.path.join(REPO, "semantic-patches"), work)
        text = (work / "contract.cocci").read_text()
        (work / "contract.cocci").write_text(
            remove_rule(text, assertion.split()[1]))
        monkeypatch.setenv("PGWALK_SEMANTIC_PATCHES", str(work))
        assertion = "mmap_assert_locked(&init_mm);"
    tree = kernel_walker_tree(tmp_path, {
        "mm/pagewalk.c": open(WALKERS_C).read() +
        KERNEL_WALKER.replace("ASSERTION", assertion)})
    out = decisions.analyze(tree, jobs=2)
    t = {t["name"]: t for t in out["tables"]}["novma_ops"]
    assert t["mode"] == mode, t["reason"]
    assert "walk_kernel_page_table_range(), which ignores walk_lock" in \
        t["reason"]
    if mode is None:
        assert t["action"] == "none" and not t["stated_by"]
        return
    write = "write" in assertion
    assert t["action"] == "annotate"
    assert t["stated_by"] == {"walkers": ["walk_kernel_page_table_range"],
                              "asserts": "write" if write else "read"}
    said = messages.table_lines([t])[0]
    assert "which ignores walk_lock and asserts the mmap lock%s itself" % (
        " for write" if write else "") in " ".join(said.split()), said
    checker = claims.Checker(table.Decisions.from_json(out))
    assert checker._check_left(" ".join(said.split()), "patch") == []
    # The same sentence about a lock the walker does not assert is caught.
    wrong = said.replace("the mmap lock for write", "the mmap lock") \
        if write else said.replace("the mmap lock", "the mmap lock for write")
    assert checker._check_left(" ".join(wrong.split()), "patch"), wrong


@pytest.mark.unit
def test_split_through_a_local_of_the_walking_function(tmp_path):
    """The table reaches the walk through a local of the function whose
    callers differ: split all the same, and the edit threads it."""
    import shutil
    from pgwalk.series import edits
    t, _ = decide(tmp_path, "split_local.c")
    q = t["queue_walk_ops"]
    assert q["action"] == "split" and q["split"]["function"] == \
        "queue_range", (q["reason"], q["notes"])
    tree = tmp_path / "edit"
    (tree / "mm").mkdir(parents=True)
    shutil.copy(os.path.join(FIXTURES, "analysis", "split_local.c"),
                tree / "mm" / "split_local.c")
    out = edits.file_edits(str(tree), "mm/split_local.c", [q])
    # The local now picks what the function's callers chose.
    assert "walk_ops = ops;" in out, out
    assert "unsigned long end, bool lock_vma)" in out
    assert "queue_range(mm, 0, 100, true)" in out
    assert "queue_range(mm, 0, 100, false)" in out
