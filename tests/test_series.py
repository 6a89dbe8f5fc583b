"""The series stage: MAINTAINERS order, commits, messages, checkpatch.

These use hand-made decisions (test data, not analysis output) so that the
series stage is tested on its own.
"""

import os
import shutil
import subprocess

import pytest

from conftest import FIXTURES, need_real_tree
from pgwalk import maintainers, messages, series


def git(tree, *args):
    return subprocess.run(["git", "-C", tree, *args], capture_output=True,
                          text=True, check=True).stdout


@pytest.fixture
def minigit(tmp_path):
    tree = str(tmp_path / "mini")
    shutil.copytree(os.path.join(FIXTURES, "minitree"), tree)
    git(tree, "init", "-q")
    git(tree, "add", "-A")
    git(tree, "commit", "-qm", "base")
    return tree


def table(name, relpath, mode, **kw):
    t = {"name": name, "file": relpath, "line": 1, "function": None,
         "walkers": ["walk_page_range"], "action": "annotate", "mode": mode,
         "reason": "test data", "evidence": ["test evidence for %s" % name],
         "review": [], "pinned": False, "pin_reason": None, "split": None}
    t.update(kw)
    return t


def test_most_specific_maintainers_section_wins(minigit):
    sections = maintainers.parse(minigit)
    assert maintainers.section_of(sections, "mm/mincore.c") == "MINCORE"
    assert maintainers.section_of(sections, "mm/mprotect.c") == \
        "MEMORY MANAGEMENT"
    assert maintainers.section_of(sections, "drivers/x.c") == "THE REST"


def test_subject_prefixes_follow_kernel_style():
    assert maintainers.subject_prefix("mm/mlock.c") == "mm/mlock"
    assert maintainers.subject_prefix("arch/s390/mm/gmap.c") == "s390/gmap"
    assert maintainers.subject_prefix("fs/proc/task_mmu.c") == \
        "fs/proc/task_mmu"


def test_patches_follow_the_core_section_first(minigit):
    order = series.patch_order(minigit, ["mm/mincore.c", "mm/mprotect.c"])
    assert order == ["mm/mprotect.c", "mm/mincore.c"]


def test_commits_leave_worktree_index_and_branch_alone(minigit):
    head = git(minigit, "rev-parse", "HEAD").strip()
    decided = {"tables": [table("mincore_walk_ops", "mm/mincore.c",
                                "PGWALK_RDLOCK")], "per_vma_lock": False}
    new = series.make_commits(minigit, head, decided,
                              {"mm/pagewalk.c": "/* core */\n"},
                              {"mm/mincore.c": "/* edited */\n"},
                              lambda m: None)
    assert git(minigit, "rev-parse", "HEAD").strip() == head
    assert git(minigit, "status", "--porcelain") == ""
    log = git(minigit, "log", "--format=%s", "%s..%s" % (head, new))
    assert log.splitlines() == [
        "mm/mincore: set the page walk locking mode of mincore_walk_ops",
        "mm/pagewalk: add an explicit locking rule to struct mm_walk_ops"]
    assert git(minigit, "show", "%s:mm/mincore.c" % new) == "/* edited */\n"


def test_commits_are_identical_when_made_again(minigit):
    head = git(minigit, "rev-parse", "HEAD").strip()
    decided = {"tables": [table("mincore_walk_ops", "mm/mincore.c",
                                "PGWALK_RDLOCK")]}
    args = (minigit, head, decided, {}, {"mm/mincore.c": "x\n"},
            lambda m: None)
    assert series.make_commits(*args) == series.make_commits(*args)


def test_message_names_table_mode_evidence_and_review():
    t = table("clear_refs_walk_ops", "fs/proc/task_mmu.c", "PGWALK_WRLOCK",
              review=["reached through a function pointer"])
    msg = messages.file_message(("A B", "a@b.org"), "fs/proc/task_mmu.c",
                                [t])
    assert msg.startswith("fs/proc/task_mmu: set the page walk locking "
                          "mode of clear_refs_walk_ops\n\n")
    flat = " ".join(msg.split())      # the body is wrapped at 72 columns
    assert "mark it PGWALK_WRLOCK" in flat
    assert "test evidence for clear_refs_walk_ops" in flat
    assert "reached through a function pointer" in flat
    assert msg.rstrip().endswith("Signed-off-by: A B <a@b.org>")
    assert max(len(l) for l in msg.splitlines()) <= 75


def test_pinned_table_is_marked_in_message_and_cover_letter():
    t = table("cold_walk_ops", "mm/madvise.c", "PGWALK_WRLOCK", pinned=True,
              pin_reason="maintainer says so")
    msg = messages.file_message(("A", "a@b"), "mm/madvise.c", [t])
    assert "pinned by the decisions file: maintainer says so" in \
        " ".join(msg.split())
    _subject, body = messages.cover_letter({"tables": [t]}, "6.1.0", [])
    assert "PGWALK_WRLOCK [pinned]" in body
    assert "No mode is pinned" not in body


def test_checkpatch_catches_a_bad_patch(tmp_path):
    """The gate is real: a patch with a style error does not pass."""
    tree = need_real_tree()
    good_body = ("From: A B <a@b.org>\nSubject: [PATCH] mm/x: test\n\n"
                 "A description of the change that is long enough.\n\n"
                 "Signed-off-by: A B <a@b.org>\n---\n"
                 " mm/mincore.c | 1 +\n 1 file changed, 1 insertion(+)\n\n"
                 "diff --git a/mm/mincore.c b/mm/mincore.c\n"
                 "--- a/mm/mincore.c\n+++ b/mm/mincore.c\n"
                 "@@ -1,3 +1,4 @@\n"
                 " // SPDX-License-Identifier: GPL-2.0-only\n"
                 "+%s\n"
                 " /*\n"
                 " *\tlinux/mm/mincore.c\n")
    good = tmp_path / "0001-good.patch"
    good.write_text(good_body % "/* fine */")
    bad = tmp_path / "0002-bad.patch"
    bad.write_text(good_body % "int x ;   ")
    for jobs in (1, 2):     # one checkpatch for both, and one each
        problems = series.checkpatch(tree, [str(good), str(bad)], jobs)
        assert list(problems) == [str(bad)]
