# SPDX-License-Identifier: GPL-2.0
"""The core: inserted from reference/ and checked against the semantics.

The harness (tests/harness/) runs the minitree's imitation of
mm/pagewalk.c, before and after core_edits(), against mock locks, for
every mode x mmap lock state (none/read/write) x VMA already write-locked
or not x walker.  The expected result of each case is computed here from
the semantics table of the design (not from the code under test).
"""

import os
import re
import shutil
import subprocess

import pytest

from conftest import FIXTURES, REPO, checkpatch_of, need_real_tree
from pgwalk import core, treefeatures

HARNESS = os.path.join(REPO, "tests", "harness")
MINITREE = os.path.join(FIXTURES, "minitree")
MODES = ("PGWALK_RDLOCK", "PGWALK_WRLOCK", "PGWALK_WRLOCK_VERIFY")
VMAS = {"vma0": (0x1000, 0x3000), "vma1": (0x5000, 0x6000)}


def build(tmp_path, name, files, baseline=False):
    """Compile the harness with {relpath: text} of a minitree variant."""
    work = tmp_path / name
    (work / "include" / "linux").mkdir(parents=True)
    (work / "include" / "linux" / "pagewalk.h").write_text(
        files["include/linux/pagewalk.h"])
    (work / "pagewalk.c").write_text(files["mm/pagewalk.c"])
    exe = work / "harness"
    cmd = ["gcc", "-Wall", "-Werror", "-Wno-unused-function",
           "-I", str(work / "include"), "-I", os.path.join(HARNESS, "mock"),
           "-o", str(exe), os.path.join(HARNESS, "harness.c"),
           str(work / "pagewalk.c")]
    if baseline:
        cmd.insert(1, "-DBASELINE")
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    out = subprocess.run([str(exe)], capture_output=True, text=True,
                         check=True).stdout
    cases = {}
    for line in out.splitlines():
        mode, lock, pre, walker, events = line.split(" ", 4)
        cases[(mode, lock, int(pre), walker)] = [
            e for e in events.split(";") if e]
    return cases


def minitree_files():
    return {p: open(os.path.join(MINITREE, p)).read()
            for p in ("include/linux/pagewalk.h", "mm/pagewalk.c")}


def expected(case, baseline_events, per_vma):
    """The semantics table, applied to the baseline walk's events."""
    mode, lock, pre, _walker = case
    out = []
    if mode == "PGWALK_RDLOCK":
        if lock == "none":
            out.append("FIRED mmap_assert_locked")
    elif lock != "write":
        out.append("FIRED mmap_assert_write_locked")
    for ev in baseline_events:
        if ev.startswith("FIRED"):
            continue
        m = re.match(r"PMD (\w+)-", ev)
        if m and per_vma:
            addr = int(m.group(1), 16)
            vma = [v for v, (s, e) in VMAS.items() if s <= addr < e][0]
            if mode == "PGWALK_WRLOCK":
                if lock != "write":
                    out.append("FIRED vma_start_write without mmap write "
                               "lock")
                out.append("LOCK %s" % vma)
            elif mode == "PGWALK_WRLOCK_VERIFY" and not pre:
                out.append("FIRED vma_assert_write_locked %s" % vma)
        out.append(ev)
    return out


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    return build(tmp_path_factory.mktemp("base"), "base", minitree_files(),
                 baseline=True)


def check_all(tmp_path, baseline, per_vma):
    cases = build(tmp_path, "core", core.core_edits(MINITREE, per_vma))
    assert len(cases) == 3 * 3 * 2 * 3
    wrong = []
    for case, events in sorted(cases.items()):
        base = baseline[("PGWALK_RDLOCK",) + case[1:]]
        want = expected(case, base, per_vma)
        if events != want:
            wrong.append((case, events, want))
    return wrong


@pytest.mark.unit
def test_baseline_walks_visit_vmas_and_holes(baseline):
    ev = baseline[("PGWALK_RDLOCK", "read", 0, "range")]
    assert ev == ["HOLE 0-1000", "PMD 1000-3000", "HOLE 3000-5000",
                  "PMD 5000-6000", "HOLE 6000-8000"]


@pytest.mark.unit
def test_every_mode_and_lock_state_without_per_vma_locks(tmp_path,
                                                         baseline):
    assert check_all(tmp_path, baseline, per_vma=False) == []


@pytest.mark.unit
def test_every_mode_and_lock_state_with_per_vma_locks(tmp_path, baseline):
    assert check_all(tmp_path, baseline, per_vma=True) == []


@pytest.mark.unit
def test_rdlock_asserts_exactly_what_the_tree_asserted(tmp_path, baseline):
    """The core patch changes no behaviour for unannotated tables."""
    cases = build(tmp_path, "core", core.core_edits(MINITREE, False))
    for key, events in baseline.items():
        if key[0] == "PGWALK_RDLOCK":
            assert cases[key] == events, key


@pytest.mark.unit
def test_no_vma_code_on_trees_without_per_vma_locks():
    out = core.core_edits(MINITREE, False)
    assert "vma_start_write" not in out["mm/pagewalk.c"]
    assert "process_vma_walk_lock" not in out["mm/pagewalk.c"]
    out = core.core_edits(MINITREE, True)
    assert out["mm/pagewalk.c"].count(
        "process_vma_walk_lock(vma, ops->walk_lock);") == 3


@pytest.mark.unit
def test_harness_catches_a_broken_reference(tmp_path, baseline,
                                            monkeypatch):
    """Swap the two mmap assertions in a copy of reference/: caught."""
    ref = tmp_path / "reference"
    shutil.copytree(core.REFERENCE, ref)
    text = (ref / "pagewalk.c").read_text()
    text = text.replace("mmap_assert_locked(mm);", "@@").replace(
        "mmap_assert_write_locked(mm);", "mmap_assert_locked(mm);").replace(
        "@@", "mmap_assert_write_locked(mm);")
    (ref / "pagewalk.c").write_text(text)
    monkeypatch.setattr(core, "REFERENCE", str(ref))
    wrong = check_all(tmp_path, baseline, per_vma=True)
    assert len(wrong) > 0
    assert all("FIRED mmap_assert" in " ".join(e + w)
               for _c, e, w in wrong)


@pytest.mark.unit
def test_insertion_that_does_not_apply_is_an_error(tmp_path):
    tree = tmp_path / "t"
    shutil.copytree(MINITREE, tree)
    path = tree / "mm" / "pagewalk.c"
    path.write_text(path.read_text().replace(
        "mmap_assert_locked(walk.mm);", "/* no assertion */"))
    with pytest.raises(core.CoreError) as err:
        core.core_edits(str(tree), False)
    assert "mm/pagewalk.c" in str(err.value)


@pytest.mark.unit
def test_detect_per_vma_locks():
    assert treefeatures.detect(MINITREE) == {"has_core": False,
                                             "per_vma_lock": False}


@pytest.mark.tree
def test_core_patch_on_the_real_tree_passes_checkpatch(tmp_path):
    src = need_real_tree()
    out = core.core_edits(src, treefeatures.detect(src)["per_vma_lock"])
    report = checkpatch_of(src, out, tmp_path)
    assert "total: 0 errors, 0 warnings" in report, report[-2000:]
