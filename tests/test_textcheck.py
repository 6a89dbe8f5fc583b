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


def plant(text, words):
    """The patch with `words` as a paragraph of its changelog."""
    out = text.replace("\n\nSigned-off-by:", "\n\n%s\n\nSigned-off-by:" %
                       words, 1)
    assert out != text
    return out


def defects(text, per_vma=False):
    return textcheck.check_patch(text, per_vma, "p")


def test_messages_written_from_chains_pass():
    for tables in ([MLOCK], [MINCORE], [MLOCK, MINCORE]):
        for per_vma in (False, True):
            assert defects(patch(tables, per_vma), per_vma) == []


def test_one_chain_per_lock_state_and_no_sites_anywhere_in_the_mail():
    text = patch([MLOCK])
    changelog, _, below = text.partition("\n---\n")
    flat = " ".join(changelog.split())
    # One chain for the one lock state, in short (where the lock is taken
    # and the function making the walk); the other path of the same
    # state is not repeated.
    assert "- PGWALK_WRLOCK_VERIFY: every path holds the mmap lock for " \
        "write, and the walking function changes the walked VMA first: " \
        "mlock_walk_ops: do_mlock() -> ... -> mlock_fixup()" in flat
    assert "mlockall()" not in flat
    assert "the walking function changes the walked VMA first" in flat
    # The sites go to the evidence file, not after the --- line.
    assert "mm/mlock.c:612" not in text
    evidence = messages.evidence({"tables": [MLOCK]})
    assert "mm/mlock.c:612" in evidence and "mlockall()" in evidence


def test_a_patch_line_groups_tables_of_one_reason():
    other = dict(MINCORE, name="other_walk_ops")
    text = " ".join(patch([MINCORE, other]).split())
    # The reason once, then each table with its own chain.
    assert "- PGWALK_RDLOCK: every path holds the mmap lock for read: " \
        "mincore_walk_ops: mincore() -> do_mincore() other_walk_ops: " \
        "mincore() -> do_mincore()" in text
    assert text.count("every path holds") == 1


def test_read_only_patch_says_no_functional_change():
    assert "No functional change" in patch([MINCORE])
    assert "No functional change" not in patch([MLOCK]).split("---")[0]


def test_catches_tool_words_in_the_changelog():
    good = patch([MINCORE])
    for word in ("Left for review", "Coccinelle", "pinned"):
        bad = plant(good, "It is PGWALK_RDLOCK (%s)." % word)
        assert any("tool word" in d for d in defects(bad)), word
    # The same words after the --- line are notes, not changelog.
    below = good.replace("\n---\n", "\n---\nLeft for review: Coccinelle\n")
    assert defects(below) == []


def test_catches_file_line_above_the_line():
    good = patch([MINCORE])
    bad = plant(good, "It is PGWALK_RDLOCK (mm/mincore.c:265).")
    assert any("file:line" in d for d in defects(bad))


def test_catches_each_before_a_single_table():
    good = patch([MINCORE])
    bad = good.replace("\n  mincore_walk_ops:",
                       "\n  Declare in each struct mm_walk_ops of "
                       "mm/mincore.c its mode.  mincore_walk_ops:")
    assert bad != good
    assert any("before a single table" in d for d in defects(bad))
    # With two tables, "each" is right.
    two = patch([MLOCK, MINCORE]).replace(
        "  mlock_walk_ops (mm/mlock.c", "  Set each table.  mlock_walk_ops "
        "(mm/mlock.c")
    assert not any("single table" in d for d in defects(two))


def test_catches_vma_locking_on_a_tree_without_it():
    no_vma = patch([MLOCK], per_vma=False)
    with_vma = patch([MLOCK], per_vma=True)
    # The per-VMA tree's words, on a tree without per-VMA locks: caught.
    assert "write-locked" in with_vma
    assert any("VMA locking" in d for d in defects(with_vma, False))
    assert defects(with_vma, True) == []
    bad = plant(no_vma, "The walker calls vma_start_write().")
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
    bad = plant(loud, "No functional change.")
    assert any("sets a write mode" in d for d in defects(bad))


def test_catches_plural_after_one():
    bad = plant(patch([MINCORE]), "It is one tables.")
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
        msg = messages.core_message(ME, {"per_vma_lock": per_vma})
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


def test_one_chain_for_each_lock_state_of_many_paths():
    many = dict(MINCORE, chains=[dict(MINCORE["chains"][0],
                                      steps=["f%d()" % i, "walk_page_range()"],
                                      lock="read" if i % 3 else "write")
                                 for i in range(8)])
    text = " ".join(patch([many]).split("---")[0].split())
    assert "- PGWALK_RDLOCK: five paths hold the mmap lock for read, and " \
        "three paths hold the mmap lock for write: mincore_walk_ops: f1() " \
        "-> walk_page_range() mincore_walk_ops: f0() -> walk_page_range()" \
        in text, text
    assert "f2()" not in text
    assert defects(patch([many])) == []


# The claims a maintainer's review of the generated series found false
# (issue "A series an mm maintainer takes"), each as the series said it.
# (the sentence, has_core, per_vma_lock: the tree it was said of)
FALSE_CLAIMS = [
    ("PGWALK_WRLOCK: the walk may change page tables: the mmap lock must "
     "be held for write", False, False),
    ("the two modes that may change what a VMA maps", False, False),
    ("A table gets PGWALK_WRLOCK when every path to its walk holds the "
     "mmap lock for write, PGWALK_WRLOCK_VERIFY when the walked VMA has "
     "also been changed under that lock before the walk", False, False),
    ("Page table walks depend on the mmap lock, but which mode of it a "
     "walk needs is written nowhere.", False, False),
    ("lockdep reports a caller that walks with the lock held only for "
     "read where the walk needs it for write", False, False),
    ("Testing: untested.  No build or boot report of this series was "
     "found (scripts/verify-build.sh and scripts/boot-test.sh write "
     "them).", False, False),
    ("this series puts the rule where the callbacks are, in struct "
     "mm_walk_ops", True, True),
    ("The other eight patches set the mode of every table passed to a "
     "VMA walk", True, True),
    ("four add a write-lock assertion", True, True),
    ("A walk that changes page tables must also write-lock the VMA, and "
     "a VMA must never be write-locked without the mmap lock held for "
     "write", True, True),
    ("It is not a commit in a public repository, so there is no "
     "base-commit line; the patches apply to that tree as released.",
     False, False),
]


@pytest.mark.parametrize("claim, has_core, per_vma", FALSE_CLAIMS)
def test_each_false_claim_of_the_review_is_caught(claim, has_core, per_vma):
    decided = {"tables": [MLOCK, MINCORE], "per_vma_lock": per_vma,
               "has_core": has_core}
    subject, body = messages.cover_letter(decided, {
        "patches": [(None, [MLOCK]), (None, [MINCORE])], "group": "file"})
    text = "From x\nSubject: [PATCH 0/3] %s\n\n%s\n" % (subject, body)
    good = textcheck.check_words(textcheck.cover_text(text), per_vma,
                                 "cover", has_core)
    assert good == [], good
    bad = text.replace("\n\nTesting:", "\n\n%s\n\nTesting:" % claim)
    found = textcheck.check_words(textcheck.cover_text(bad), per_vma,
                                  "cover", has_core)
    assert found, claim


def test_shared_explanation_only_in_the_core_patch():
    text = patch([MLOCK])
    bad = text.replace("\n---\n", "\nThis kernel has no per-VMA locks, "
                       "so the modes differ only in the mmap lock "
                       "assertion.\n---\n", 1)
    assert any("core patch" in d for d in defects(bad))
