# SPDX-License-Identifier: GPL-2.0
"""The words about modes are the walker contract's, and the rule stated in
the cover letter is the rule the analysis applies.

Each kind of tree is imitated by the minitree fixture: as it is (no
per-VMA locks), with vma_start_write() declared (per-VMA locks), and with
the core already in it (walk_lock declared).
"""

import os
import shutil

import pytest

from conftest import FIXTURES
from pgwalk.analysis import contract, decisions
from pgwalk import core, modewords
from pgwalk.series import maintainers, messages

pytestmark = pytest.mark.unit

MINI = os.path.join(FIXTURES, "minitree")


def tree_of_kind(tmp_path, kind):
    """A copy of the minitree as a tree of that kind."""
    tree = str(tmp_path / kind)
    shutil.copytree(MINI, tree)
    if kind in ("per-vma", "walk_lock"):
        with open(os.path.join(tree, "include", "linux", "mm.h"), "a") as f:
            f.write("void vma_start_write(struct vm_area_struct *vma);\n")
    if kind == "walk_lock":
        for relpath, text in core.core_edits(tree, True).items():
            with open(os.path.join(tree, relpath), "w") as f:
                f.write(text)
    return tree


def flat(text):
    return " ".join(text.replace(" *\t", " ").replace(" * ", " ").split())


@pytest.mark.parametrize("kind", ["mmap-only", "per-vma"])
def test_kernel_doc_says_what_the_contract_says(tmp_path, kind):
    """Every mode's kernel-doc line is its contract, in the words of
    modewords, and nothing about what the callbacks do."""
    tree = tree_of_kind(tmp_path, kind)
    per_vma = core.detect(tree)["per_vma_lock"]
    assert per_vma == (kind == "per-vma")
    doc = flat(core.core_edits(tree, per_vma)["include/linux/pagewalk.h"])
    found = contract.derive(tree)
    assert [m.name for m in found.modes] == list(messages.convention.MODES)
    for m in found.modes:
        vma = m.vma.value if per_vma else "none"
        assert "@%s: %s." % (m.name, modewords.rule(m.mmap.value, vma)) \
            in doc, (m.name, doc)
    assert "page tables" not in doc
    if per_vma:
        assert "write-locks each VMA before walking it" in doc
    else:
        assert "write-lock" not in doc
        assert "PGWALK_WRLOCK and PGWALK_WRLOCK_VERIFY ask the same" in doc


def test_a_tree_with_walk_lock_is_described_by_its_own_core(tmp_path):
    tree = tree_of_kind(tmp_path, "walk_lock")
    found = contract.derive(tree)
    assert found.source == "tree"
    decided = {"tree": tree, "has_core": True, "per_vma_lock": True,
               "tables": []}
    lines = flat(messages.mode_lines(decided))
    for m in found.modes:
        assert "%s: %s." % (m.name, modewords.rule(m.mmap.value,
                                                   m.vma.value)) in lines
    # The series adds the annotations the tree lacks; no new core.
    _subject, body = messages.cover_letter(decided, {
        "patches": [(None, [])]})
    assert "already declares enum page_walk_lock" in flat(body)
    assert "Patch 1 adds" not in body and "As suggested" not in body


def test_a_changed_contract_changes_the_words(tmp_path, monkeypatch):
    """The words come from the contract, not from text of their own."""
    tree = tree_of_kind(tmp_path, "per-vma")
    real = contract.derive(tree)
    changed = real.modes[1].__class__(
        real.modes[1].name, real.modes[1].value, False,
        contract.MmapNeed.WRITE, contract.VmaAction.VERIFY_WRITE)
    fake = real.__class__(real.source, real.files, real.walkers,
                          (real.modes[0], changed, real.modes[2]),
                          real.helpers)
    monkeypatch.setattr(contract, "derive", lambda t: fake)
    rules = dict(modewords.mode_rules(None, True,
                                      messages.contract_rows({"tree": tree})))
    assert rules["PGWALK_WRLOCK"] == modewords.rule("write", "verify-write")


def analysed(tmp_path, text):
    """The decision of the one table of a fixture file with this text."""
    from test_analysis import make_tree
    tree = make_tree(tmp_path, extra={"mm/flip.c": text})
    out = decisions.analyze(tree, jobs=1)
    return {t["name"]: t for t in out["tables"]}


def test_flipping_one_path_changes_the_mode_and_its_sentence(tmp_path):
    """The cover's sentence for a table states the condition its mode
    was given on, word for word as in the stated rule: take away the
    change of the VMA on the one path, and mode and sentence change
    together."""
    with open(os.path.join(FIXTURES, "analysis", "vma_changed.c")) as f:
        text = f.read()
    before = analysed(tmp_path / "a", text)["changed_vma_ops"]
    flipped = text.replace("\tWRITE_ONCE(vma->vm_flags, flags);\n", "")
    assert flipped != text
    after = analysed(tmp_path / "b", flipped)["changed_vma_ops"]
    assert (before["mode"], after["mode"]) == ("PGWALK_WRLOCK_VERIFY",
                                               "PGWALK_WRLOCK")
    said = [messages.reason_words(messages.reason_key(t))
            for t in (before, after)]
    assert said[0] != said[1]
    rule = " ".join(messages.RULE.split())
    verify_clause = ("every path to every walk holds the mmap lock for "
                     "write, and each walk is of a VMA whose flags the "
                     "walking function has changed (or which it has "
                     "write-locked) before the walk on every path")
    assert said[0] == "PGWALK_WRLOCK_VERIFY: " + verify_clause
    assert verify_clause.replace("write, and each", "write and each") \
        in rule
    assert said[1].startswith("PGWALK_WRLOCK: every path to every walk "
                              "holds the mmap lock for write, and not "
                              "every walk is shown to be of a VMA")
    assert "PGWALK_WRLOCK when every path holds the mmap lock for write " \
        "but not every walk is shown to be of such a VMA" in rule
    # A read path flips it again, to the read mode.
    read = text.replace("mmap_write_lock_killable(mm)",
                        "mmap_read_lock_killable(mm)").replace(
        "mmap_write_unlock(mm)", "mmap_read_unlock(mm)")
    third = analysed(tmp_path / "c", read)["changed_vma_ops"]
    assert third["mode"] == "PGWALK_RDLOCK"
    assert messages.reason_words(messages.reason_key(third)) == \
        "PGWALK_RDLOCK: every path to every walk holds the mmap lock for " \
        "read"


def test_every_patch_goes_to_the_core_maintainers_and_a_person():
    core_addr = (["Andrew Morton <akpm@example.org>"],
                 ["linux-mm@kvack.org", "linux-kernel@vger.kernel.org"])
    own = (["S P <sp@example.org>"], ["R V <rv@example.org>",
                                      "damon@lists.linux.dev"])
    to, cc = maintainers.with_core(own, core_addr)
    assert to == ["S P <sp@example.org>", "Andrew Morton <akpm@example.org>"]
    assert cc == ["R V <rv@example.org>", "damon@lists.linux.dev",
                  "linux-mm@kvack.org", "linux-kernel@vger.kernel.org"]
    # Files nobody maintains: their lists go to Cc, the core's people To.
    orphan = (["linux-fsdevel@vger.kernel.org"], [])
    to, cc = maintainers.with_core(orphan, core_addr)
    assert to == ["Andrew Morton <akpm@example.org>"]
    assert "linux-fsdevel@vger.kernel.org" in cc
