# SPDX-License-Identifier: GPL-2.0
"""The first posting's boolean-argument form, converted to walk_lock.

tests/fixtures/boolform is the minitree as that posting left it:
walk_page_*() take `bool lock_vma`, the walkers do `if (lock_vma)
vma_start_write(vma)`, and the callers pass true (mprotect, subpage_prot),
false (mincore) or both (mempolicy: do_mbind true, migrate_to_node false).
"""

import os
import re
import shutil
import subprocess

import pytest

from conftest import FIXTURES, git_repo, run_apply
from pgwalk.forms import boolform
from pgwalk import core
from test_core import build, expected

# The converted fixture is made once per worker that asks for it: one
# xdist group (make check-fast runs --dist loadgroup) makes it once.
pytestmark = [pytest.mark.unit, pytest.mark.xdist_group("boolform")]

BOOLFORM = os.path.join(FIXTURES, "boolform")
MINITREE = os.path.join(FIXTURES, "minitree")


@pytest.fixture(scope="module")
def converted():
    return boolform.convert(BOOLFORM)


def test_detects_the_bool_form_only():
    assert boolform.detect(BOOLFORM)
    assert not boolform.detect(MINITREE)


def test_each_table_gets_the_mode_its_calls_asked_for(converted):
    decided, _texts = converted
    assert {n: (t["mode"], t["twin"]) for n, t in decided.items()} == {
        "mincore_walk_ops": ("PGWALK_RDLOCK", None),
        "prot_none_walk_ops": ("PGWALK_WRLOCK", None),
        "subpage_walk_ops": ("PGWALK_WRLOCK", None),
        "queue_pages_walk_ops": ("PGWALK_RDLOCK",
                                 "queue_pages_lock_vma_walk_ops")}


def test_table_used_both_ways_is_split_and_calls_pass_the_right_one(
        converted):
    text = converted[1]["mm/mempolicy.c"]
    assert re.search(r"queue_pages_walk_ops = \{\n\t\.pmd_entry\t\t= "
                     r"queue_pages_pte_range,\n\t\.walk_lock\t\t= "
                     r"PGWALK_RDLOCK,\n\};", text)
    assert re.search(r"queue_pages_lock_vma_walk_ops = \{\n\t\.pmd_entry"
                     r"\t\t= queue_pages_pte_range,\n\t\.walk_lock\t\t= "
                     r"PGWALK_WRLOCK,\n\};", text)
    mbind = text[text.index("int do_mbind"):text.index("int migrate_to")]
    migrate = text[text.index("int migrate_to"):]
    assert "&queue_pages_lock_vma_walk_ops,\n\t\t\t      NULL)" in mbind
    assert "&queue_pages_walk_ops,\n\t\t\t      NULL)" in migrate


def test_argument_is_gone_everywhere(converted):
    for relpath, text in converted[1].items():
        assert "lock_vma)" not in text and "bool lock_vma" not in text, \
            relpath
        assert not re.search(r"walk_page_\w+\([^;]*\b(true|false)\b", text,
                             re.S), relpath
    assert "walk_page_vma(vma, &subpage_walk_ops, NULL);" in \
        converted[1]["mm/subpage_prot.c"]


def test_converted_core_is_the_reference_core(converted, tmp_path):
    """With the argument gone, the core is what any per-VMA-lock tree
    gets, and it runs the semantics table in the mock harness."""
    texts = converted[1]
    ref = core.core_edits(MINITREE, True)
    for relpath in ("include/linux/pagewalk.h", "mm/pagewalk.c"):
        assert texts[relpath] == ref[relpath], relpath
    cases = build(tmp_path, "bool", texts)
    base = build(tmp_path, "base", {p: open(os.path.join(MINITREE, p)).read()
                                    for p in ref}, baseline=True)
    for case, events in cases.items():
        base_case = ("PGWALK_RDLOCK",) + case[1:]
        assert events == expected(case, base[base_case], True), case


def test_converted_callers_compile(converted, tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(BOOLFORM, tree)
    for relpath, text in converted[1].items():
        (tree / relpath).write_text(text)
    for relpath in sorted(converted[1]):
        if relpath.endswith(".c") and relpath != "mm/pagewalk.c":
            r = subprocess.run(["gcc", "-fsyntax-only", "-Wall", "-Werror",
                                "-Wno-unused-function", "-I",
                                str(tree / "include"), str(tree / relpath)],
                               capture_output=True, text=True)
            assert r.returncode == 0, (relpath, r.stderr)


def test_non_constant_argument_is_an_error(tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(BOOLFORM, tree)
    path = tree / "mm" / "mincore.c"
    path.write_text(path.read_text().replace("&mincore_walk_ops, false",
                                             "&mincore_walk_ops, lock"))
    with pytest.raises(boolform.BoolFormError) as e:
        boolform.convert(str(tree))
    assert re.search(r"mm/mincore.c:\d+: walk_page_range\(& ?mincore_walk_"
                     r"ops, lock\) in do_mincore\(\)", str(e.value))


def test_apply_makes_one_patch_that_builds(tmp_path):
    tree = str(tmp_path / "tree")
    shutil.copytree(BOOLFORM, tree)
    git_repo(tree)
    r = run_apply("--no-checkpatch", tree, str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    names = sorted(os.listdir(tmp_path / "out"))
    assert names == ["0000-cover-letter.patch",
                     "0001-mm-move-the-page-walk-locking-rule-from-lock_vma"
                     "-to-.patch", "decisions.json", "evidence.md",
                     "series.json", "series.mbox"], names
    patch = (tmp_path / "out" / names[1]).read_text()
    assert "queue_pages_lock_vma_walk_ops (PGWALK_WRLOCK) for those that" \
        in " ".join(patch.split())
