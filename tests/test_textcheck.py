# SPDX-License-Identifier: GPL-2.0
"""The message checker reads a series as a reviewer does, and each of its
rules is shown catching the defect it is for, put in on purpose.

The patches here are written by messages.py from hand-made decisions
with call chains (the analysis' "chains"), so the words under test are
the ones the series really uses.
"""

import pytest

from pgwalk.series import messages, textcheck

pytestmark = pytest.mark.unit

ME = ("A B", "a@b.org")

MLOCK = {
    "name": "mlock_walk_ops", "file": "mm/mlock.c", "line": 366,
    "function": "mlock_vma_pages_range", "walkers": ["walk_page_range"],
    "action": "annotate", "mode": "PGWALK_WRLOCK_VERIFY",
    "reason": "write on every path, VMA changed first", "evidence": [],
    "review": [], "notes": [], "pinned": False, "pin_reason": None,
    "split": None, "vma_changed_by": ["mlock_fixup()"],
    "chains": [
        {"lock": "write",
         "steps": ["do_mlock() takes mmap_write_lock_killable()",
                   "apply_vma_lock_flags()", "mlock_fixup()",
                   "walk_page_range()"],
         "sites": ["mm/mlock.c:612", "mm/mlock.c:480"]},
        {"lock": "write",
         "steps": ["mlockall() takes mmap_write_lock_killable()",
                   "apply_mlockall_flags()", "mlock_fixup()",
                   "walk_page_range()"],
         "sites": ["mm/mlock.c:712"]}],
}

MINCORE = dict(MLOCK, name="mincore_walk_ops", file="mm/mincore.c",
               function=None, mode="PGWALK_RDLOCK", vma_changed_by=[],
               chains=[{"lock": "read",
                        "steps": ["mincore() takes mmap_read_lock()",
                                  "do_mincore()", "walk_page_range()"],
                        "sites": ["mm/mincore.c:265"]}])


def patch(tables, per_vma=False, message=None):
    """A patch mail as format-patch writes it, for these tables."""
    message = message or messages.patch_message(ME, tables, per_vma)
    subject, _, body = message.partition("\n\n")
    diff = "".join(
        "diff --git a/%s b/%s\n--- a/%s\n+++ b/%s\n@@ -1,2 +1,3 @@\n"
        " static const struct mm_walk_ops %s = {\n"
        "+\t.walk_lock\t\t= %s,\n };\n" % (
            t["file"], t["file"], t["file"], t["file"], t["name"],
            t["mode"]) for t in tables)
    notes = messages.notes_below(tables)
    return ("From 0123 Mon Sep 17 00:00:00 2001\nFrom: A B <a@b.org>\n"
            "Subject: [PATCH 2/3] %s\n\n%s---\n%s\n\n 1 file changed\n\n%s"
            % (subject, body, notes, diff))


def defects(text, per_vma=False):
    return textcheck.check_patch(text, per_vma, "p")


def test_messages_written_from_chains_pass():
    for tables in ([MLOCK], [MINCORE], [MLOCK, MINCORE]):
        for per_vma in (False, True):
            assert defects(patch(tables, per_vma), per_vma) == []


def test_chains_in_changelog_sites_below_the_line():
    text = patch([MLOCK])
    changelog, _, below = text.partition("\n---\n")
    flat = " ".join(changelog.split())
    assert "do_mlock() takes mmap_write_lock_killable() -> " \
        "apply_vma_lock_flags() -> mlock_fixup() -> walk_page_range()" in flat
    assert "mlock_fixup() changes the walked VMA before the walk" in flat
    assert "mm/mlock.c:612" not in changelog
    assert "mm/mlock.c:612" in below


def test_read_only_patch_says_no_functional_change():
    assert "No functional change" in patch([MINCORE])
    assert "No functional change" not in patch([MLOCK]).split("---")[0]


def test_catches_tool_words_in_the_changelog():
    good = patch([MINCORE])
    for word in ("Left for review", "Coccinelle", "pinned"):
        bad = good.replace("Mark it PGWALK_RDLOCK.",
                           "Mark it PGWALK_RDLOCK (%s)." % word)
        assert bad != good
        assert any("tool word" in d for d in defects(bad)), word
    # The same words after the --- line are notes, not changelog.
    below = good.replace("\n---\n", "\n---\nLeft for review: Coccinelle\n")
    assert defects(below) == []


def test_catches_file_line_above_the_line():
    good = patch([MINCORE])
    bad = good.replace("Mark it PGWALK_RDLOCK.",
                       "Mark it PGWALK_RDLOCK (mm/mincore.c:265).")
    assert any("file:line" in d for d in defects(bad))


def test_catches_each_before_a_single_table():
    good = patch([MINCORE])
    bad = good.replace("mincore_walk_ops is passed",
                       "Declare in each struct mm_walk_ops of mm/mincore.c "
                       "its mode.  mincore_walk_ops is passed")
    assert any("before a single table" in d for d in defects(bad))
    # With two tables, "each" is right.
    two = patch([MLOCK, MINCORE]).replace(
        "mlock_walk_ops (mm/mlock.c", "Set each table.  mlock_walk_ops "
        "(mm/mlock.c")
    assert not any("single table" in d for d in defects(two))


def test_catches_vma_locking_on_a_tree_without_it():
    no_vma = patch([MLOCK], per_vma=False)
    with_vma = patch([MLOCK], per_vma=True)
    # The per-VMA tree's words, on a tree without per-VMA locks: caught.
    assert "write-locked" in with_vma
    assert any("VMA locking" in d for d in defects(with_vma, False))
    assert defects(with_vma, True) == []
    bad = no_vma.replace("Mark it PGWALK_WRLOCK_VERIFY",
                         "The walker calls vma_start_write(). Mark it "
                         "PGWALK_WRLOCK_VERIFY")
    assert any("VMA locking" in d for d in defects(bad))


def test_catches_vma_locking_in_added_kernel_doc():
    text = patch([MINCORE]) + \
        "+ * @PGWALK_WRLOCK: the walker write-locks each VMA\n"
    assert any("added text" in d for d in defects(text))
    assert defects(text, per_vma=True) == []


def test_catches_missing_or_false_no_functional_change():
    quiet = patch([MINCORE])
    bad = quiet.replace("No functional change", "A change")
    assert any("does not say" in d for d in defects(bad))
    loud = patch([MLOCK])
    bad = loud.replace("Mark it PGWALK_WRLOCK_VERIFY",
                       "No functional change.  Mark it PGWALK_WRLOCK_VERIFY")
    assert any("sets a write mode" in d for d in defects(bad))


def test_catches_plural_after_one():
    bad = patch([MINCORE]).replace("Mark it", "It is one tables.  Mark it")
    assert any("plural" in d for d in defects(bad))


def test_cover_letter_words_are_checked():
    decided = {"tables": [MLOCK, MINCORE], "per_vma_lock": False}
    subject, body = messages.cover_letter(decided, {
        "patches": [(None, [MLOCK]), (None, [MINCORE])], "group": "file",
        "base_desc": "Linux 6.1.192 (unpacked source)"})
    text = "From x\nSubject: [PATCH 0/3] %s\n\n%s\n" % (subject, body)
    assert textcheck.check_words(textcheck.cover_text(text), False,
                                 "cover") == []
    bad = text.replace("Testing:", "Left for review: mm/mlock.c:612.\n\n"
                       "Testing:")
    found = textcheck.check_words(textcheck.cover_text(bad), False, "cover")
    assert any("tool word" in d for d in found)
    assert any("file:line" in d for d in found)


def test_core_text_is_true_for_the_tree():
    """The core's message and kernel-doc speak of VMA locks only on a
    tree that has them (the checker would catch them on 6.1)."""
    import os
    from conftest import FIXTURES
    from pgwalk import core
    mini = os.path.join(FIXTURES, "minitree")
    for per_vma in (False, True):
        msg = messages.core_message(ME, per_vma)
        words = textcheck.check_words(msg, False, "core")
        doc = core.core_edits(mini, per_vma)
        added = "\n".join(doc.values())
        found = textcheck.VMA_LOCKING.search(added)
        if per_vma:
            assert words and found, (words, found)
        else:
            assert words == [] and found is None, (words, found)
            assert "No functional change" in msg
    decided = {"tables": [MLOCK], "per_vma_lock": True}
    _s, body = messages.cover_letter(decided, {})
    assert "write-locks each VMA" in body
    decided["per_vma_lock"] = False
    _s, body = messages.cover_letter(decided, {})
    assert textcheck.check_words(body, False, "cover") == []


def test_more_paths_are_counted_by_their_lock():
    many = dict(MINCORE, chains=[dict(MINCORE["chains"][0],
                                      steps=["f%d()" % i, "walk_page_range()"],
                                      lock="read" if i % 3 else "write")
                                 for i in range(8)])
    text = " ".join(messages.table_paragraph(many, False).split())
    assert "and five more paths (3 with the mmap lock for read, 2 with " \
        "the mmap lock for write)" in text, text
    assert defects(patch([many])) == []
