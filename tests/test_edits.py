# SPDX-License-Identifier: GPL-2.0
"""The edit stage: semantic patches set each decided mode, and only that.

The tables passed in are test data in the decisions format, not analysis
output: this stage takes decisions as given.
"""

import os
import re
import shutil
import subprocess

import pytest

from conftest import FIXTURES, checkpatch_of, need_real_tree
from pgwalk.series import edits

EDITS = os.path.join(FIXTURES, "edits")


def table(name, mode, action="annotate", split=None, function=None):
    """A decided table; function: a local table's function, given when
    another table of its file has its name (the decisions mark it)."""
    out = {"name": name, "mode": mode, "action": action, "split": split}
    if function:
        out.update(function=function, shared_name=True)
    return out


# The split the decisions would give tests/fixtures/edits/split.c.
FIXTURE_SPLIT = table("queue_walk_ops", "PGWALK_RDLOCK", "split", {
    "write_name": "queue_lock_vma_walk_ops", "write_mode": "PGWALK_WRLOCK",
    "function": "queue_range", "param": "lock_vma",
    "callers": [{"function": "bind_range", "line": 18,
                 "table": "queue_lock_vma_walk_ops"},
                {"function": "migrate_range", "line": 28,
                 "table": "queue_walk_ops"}]})


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "mm").mkdir()
    for name in os.listdir(EDITS):
        shutil.copy(os.path.join(EDITS, name), tmp_path / "mm" / name)
    return str(tmp_path)


def body(text, name):
    span = edits.table_block(text, name)
    assert span, name
    return text[span[0]:span[1]]


@pytest.mark.unit
def test_walk_lock_follows_each_tables_alignment(tree):
    before = open(os.path.join(tree, "mm", "tables.c")).read()
    out = edits.file_edits(tree, "mm/tables.c", [
        table("tab_aligned_ops", "PGWALK_WRLOCK"),
        table("one_tab_ops", "PGWALK_RDLOCK"),
        table("unaligned_ops", "PGWALK_WRLOCK_VERIFY"),
        table("non_const_ops", "PGWALK_RDLOCK"),
        table("local_ops", "PGWALK_RDLOCK")])
    assert "\t.walk_lock\t\t= PGWALK_WRLOCK,\n" in body(out, "tab_aligned_ops")
    assert "\t.walk_lock\t= PGWALK_RDLOCK,\n" in body(out, "one_tab_ops")
    assert "\t.walk_lock = PGWALK_WRLOCK_VERIFY,\n" in \
        body(out, "unaligned_ops")
    assert "\t.walk_lock = PGWALK_RDLOCK,\n" in body(out, "non_const_ops")
    assert "\t\t.walk_lock = PGWALK_RDLOCK,\n" in body(out, "local_ops")
    # Nothing else changed: removing the five new lines gives the input.
    assert re.sub(r"^\s*\.walk_lock.*\n", "", out, flags=re.M) == before
    # And the input tree was not written to.
    assert open(os.path.join(tree, "mm", "tables.c")).read() == before


@pytest.mark.unit
def test_split_adds_a_twin_and_threads_the_callers(tree):
    out = edits.file_edits(tree, "mm/split.c", [FIXTURE_SPLIT])
    assert "\t.walk_lock\t= PGWALK_RDLOCK,\n" in body(out, "queue_walk_ops")
    twin = body(out, "queue_lock_vma_walk_ops")
    assert "\t.test_walk\t= a_test_walk,\n" in twin      # copied verbatim
    assert "\t.walk_lock\t= PGWALK_WRLOCK,\n" in twin
    # The walking function chooses the table by the bool its callers
    # pass: both tables are used wherever it is built.
    assert "unsigned long end, bool lock_vma)" in out
    assert "\tconst struct mm_walk_ops *ops = lock_vma ?\n" \
        "\t\t\t&queue_lock_vma_walk_ops : &queue_walk_ops;\n\n" in out
    assert "walk_page_range(mm, start, end, ops, NULL)" in out
    assert "queue_range(mm, 0, 100, true)" in out
    assert "queue_range(mm, 0, 100, false)" in out


@pytest.mark.unit
def test_split_result_compiles(tree, tmp_path):
    """The threaded file is valid C (with stand-in declarations)."""
    out = edits.file_edits(tree, "mm/split.c", [FIXTURE_SPLIT])
    prelude = ("#include <stddef.h>\n#include <stdbool.h>\n"
               "struct mm_struct;\n"
               "enum page_walk_lock { PGWALK_RDLOCK, PGWALK_WRLOCK };\n"
               "struct mm_walk_ops { int (*pmd_entry)(void); "
               "int (*test_walk)(void); enum page_walk_lock walk_lock; };\n"
               "int a_pmd_entry(void); int a_test_walk(void);\n"
               "int walk_page_range(struct mm_struct *, unsigned long, "
               "unsigned long, const struct mm_walk_ops *, void *);\n"
               "void mmap_write_lock(struct mm_struct *);\n"
               "void mmap_write_unlock(struct mm_struct *);\n"
               "void mmap_read_lock(struct mm_struct *);\n"
               "void mmap_read_unlock(struct mm_struct *);\n")
    src = tmp_path / "split_out.c"
    src.write_text(prelude + out)
    r = subprocess.run(["gcc", "-Wall", "-Werror", "-c", "-o",
                        str(tmp_path / "x.o"), str(src)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


@pytest.mark.unit
def test_a_table_not_changed_as_asked_is_an_error(tree):
    """Verification catches a decision the rule could not apply."""
    with pytest.raises(edits.EditError) as err:
        edits.file_edits(tree, "mm/tables.c", [
            table("tab_aligned_ops", "PGWALK_WRLOCK"),
            table("tab_aligned_opz", "PGWALK_RDLOCK")])
    assert "tab_aligned_opz" in str(err.value)


@pytest.mark.tree
def test_real_tree_files_pass_checkpatch(tmp_path):
    """mempolicy split, mlock's local table, ksm's non-const table."""
    src = need_real_tree()
    split = {"write_name": "queue_pages_lock_vma_walk_ops",
             "write_mode": "PGWALK_WRLOCK", "function": "queue_pages_range",
             "param": "lock_vma",
             "callers": [{"function": "do_mbind", "line": 0,
                          "table": "queue_pages_lock_vma_walk_ops"},
                         {"function": "migrate_to_node", "line": 0,
                          "table": "queue_pages_walk_ops"}]}
    cases = {"mm/mempolicy.c": [table("queue_pages_walk_ops",
                                      "PGWALK_RDLOCK", "split", split)],
             "mm/mlock.c": [table("mlock_walk_ops", "PGWALK_WRLOCK_VERIFY")],
             "mm/ksm.c": [table("ksm_next_page_ops", "PGWALK_RDLOCK")]}
    out = edits.edit_files(src, cases)
    report = checkpatch_of(src, out, tmp_path)
    assert "total: 0 errors, 0 warnings" in report, report[-2000:]


@pytest.mark.unit
def test_two_local_tables_of_one_name_are_both_set_and_checked(tree):
    out = edits.file_edits(tree, "mm/same_name.c",
                           [table("walk_ops", "PGWALK_RDLOCK", function="one"),
                            table("walk_ops", "PGWALK_RDLOCK",
                                  function="two")])
    # Each aligned as its own members are.
    assert "\t\t.walk_lock\t= PGWALK_RDLOCK,\n" in out, out
    assert "\t\t.walk_lock = PGWALK_RDLOCK,\n" in out, out
    # One of them without the line is an error, not a pass on the other.
    lines = out.split("\n")
    lines.remove("\t\t.walk_lock = PGWALK_RDLOCK,")
    with pytest.raises(edits.EditError):
        edits.verify("mm/same_name.c", "\n".join(lines),
                     {"one:walk_ops": "PGWALK_RDLOCK",
                      "two:walk_ops": "PGWALK_RDLOCK"}, {})


@pytest.mark.unit
def test_local_tables_of_one_name_each_get_their_own_mode(tree):
    """Each function's table gets its own mode; a table of the name that
    is not asked for (its mode is set at each walk) is left alone."""
    out = edits.file_edits(tree, "mm/same_name.c",
                           [table("walk_ops", "PGWALK_RDLOCK", function="one"),
                            table("walk_ops", "PGWALK_WRLOCK",
                                  function="two")])
    one, two = out.split("static int two")
    assert "\t\t.walk_lock\t= PGWALK_RDLOCK,\n" in one, out
    assert "\t\t.walk_lock = PGWALK_WRLOCK,\n" in two, out
    assert "WRLOCK" not in one and "RDLOCK" not in two, out
    # Checked table by table: the modes swapped are an error.
    with pytest.raises(edits.EditError):
        edits.verify("mm/same_name.c", out,
                     {"one:walk_ops": "PGWALK_WRLOCK",
                      "two:walk_ops": "PGWALK_RDLOCK"}, {})
    out = edits.file_edits(tree, "mm/same_name.c",
                           [table("walk_ops", "PGWALK_WRLOCK",
                                  function="two")])
    one, two = out.split("static int two")
    assert "walk_lock" not in one, out
    assert "\t\t.walk_lock = PGWALK_WRLOCK,\n" in two, out
