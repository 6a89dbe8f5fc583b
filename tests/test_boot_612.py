"""Boot test and lock census on Debian's 6.12 (per-VMA locks).

One plain copy of the tree, one apply.sh run (Debian's 6.12 declares a
mode in every table but pagemap_scan_ops, so the series is one patch),
and one boot of the base and of the head: every x86 table reached and
consistent.  Then the negative controls, each a deliberately wrong mode:

Debian's tables already declare their modes, and apply.sh leaves a table
that declares one alone, so a pin alone changes nothing.  Each control
therefore removes that one table's `.walk_lock` line in a commit of the
test's copy (the tree as it was before the conversion, for that table),
and regenerates the series with the wrong mode pinned, exactly as a
maintainer's wrong pin or a wrong analysis would produce it.  The census
must then say what a user needs to read:
  - clear_refs_walk_ops pinned PGWALK_RDLOCK: under-declared, with the
    clear_refs step (nothing further down asserts anything);
  - queue_pages_lock_vma_walk_ops (mbind's write twin) pinned
    PGWALK_RDLOCK: the panic in mbind_range() is that table's, in step
    mbind, and the tables after it were "not reached because the kernel
    died in step mbind";
  - pagemap_ops pinned PGWALK_WRLOCK_VERIFY: over-declared, with the
    splat.
All share the 6.12 O= directory: each control rebuilds one file.
"""

import json
import os
import subprocess

import pytest

from conftest import REPO, copy_plain_tree, need_new_tree, run_apply

pytestmark = pytest.mark.boot

BOOT_TEST = os.path.join(REPO, "scripts", "boot-test.sh")


def git(tree, *args):
    return subprocess.run(["git", "-C", tree, *args], capture_output=True,
                          text=True, check=True).stdout.strip()


@pytest.fixture(scope="session")
def tree612(tmp_path_factory):
    work = tmp_path_factory.mktemp("t612")
    tree = copy_plain_tree(need_new_tree(), str(work / "linux"))
    r = run_apply(tree, str(work / "out"))
    assert r.returncode == 0, r.stderr[-3000:]
    return {"tree": tree, "work": work, "base": git(tree, "rev-parse",
                                                    "HEAD")}


def boot(tree, out, *extra):
    r = subprocess.run([BOOT_TEST, "--out", str(out), *extra, tree],
                       capture_output=True, text=True)
    path = os.path.join(str(out), "boot-report.json")
    report = json.load(open(path)) if os.path.exists(path) else None
    return r, report


def rows(report):
    return {r["table"]: r for r in report["series"]["rows"]}


@pytest.fixture(scope="session")
def as_is(tree612, tmp_path_factory):
    out = tmp_path_factory.mktemp("boot612")
    return boot(tree612["tree"], out)


def test_debian_612_as_is_passes_every_table_consistent(as_is):
    r, report = as_is
    assert r.returncode == 0, r.stderr[-4000:]
    status = {n: t["status"] for n, t in rows(report).items()}
    x86 = {n: s for n, s in status.items() if s != "not exercised"}
    assert set(x86.values()) == {"consistent"}, x86
    # The walkers 6.1 does not have: PAGEMAP_SCAN, and the mempolicy pair.
    for name in ("pagemap_scan_ops", "queue_pages_walk_ops",
                 "queue_pages_lock_vma_walk_ops", "mlock_walk_ops"):
        assert status[name] == "consistent", name
    assert report["series"]["run"]["splat"] is None
    # Per-VMA locks: the census saw the VMA lock state.
    mlock = rows(report)["mlock_walk_ops"]["contexts"]
    assert {c["vma_write_locked"] for c in mlock} == {"yes"}
    assert report["baseline"] is not None


def control(tree612, tmp_path, path, table, mode):
    """The series regenerated with table's mode pinned to mode on a copy
    whose table lost its .walk_lock line; booted without baseline."""
    tree = tree612["tree"]
    branch = "control-" + table
    git(tree, "checkout", "-q", "-B", branch, tree612["base"])
    series = git(tree, "rev-parse", "pgwalk/series")
    try:
        src = os.path.join(tree, path)
        lines = open(src).read().split("\n")
        start = lines.index(next(l for l in lines if l.startswith(
            "static const struct mm_walk_ops %s = {" % table)))
        end = lines.index("};", start)
        walk_lock = [i for i in range(start, end)
                     if lines[i].strip().startswith(".walk_lock")]
        assert len(walk_lock) == 1, lines[start:end]
        del lines[walk_lock[0]]
        open(src, "w").write("\n".join(lines))
        git(tree, "commit", "-q", "-am", "%s: no walk_lock" % table)
        pins = tmp_path / "pins.conf"
        pins.write_text("%s:%s %s wrong on purpose: negative control\n" % (
            path, table, mode))
        a = run_apply("--pins", str(pins), "--no-checkpatch", tree,
                      str(tmp_path / "series"))
        assert a.returncode == 0, a.stderr[-2000:]
        patches = open(os.path.join(tmp_path, "series", "decisions.json"))
        assert table in patches.read()
        return boot(tree, tmp_path / "boot", "--no-baseline")
    finally:
        git(tree, "checkout", "-q", tree612["base"])
        git(tree, "branch", "-f", "pgwalk/series", series)


def judged(tree612, tmp_path, path, table, mode, returncode, status):
    """control(), checked for the exit status and the table's verdict;
    gives the run, the report and the table's row."""
    r, report = control(tree612, tmp_path, path, table, mode)
    assert r.returncode == returncode, r.stderr[-4000:]
    row = rows(report)[table]
    assert row["status"] == status, row
    return r, report, row


def test_write_table_pinned_rdlock_is_under_declared(tree612, tmp_path):
    # A finding, not a failure (no --strict).
    r, _report, row = judged(tree612, tmp_path, "fs/proc/task_mmu.c",
                             "clear_refs_walk_ops", "PGWALK_RDLOCK",
                             0, "under-declared")
    assert "in step clear_refs" in row["why"]
    assert "clear_refs_write" in row["why"]
    assert "boot-test: FINDING: clear_refs_walk_ops: under-declared" in \
        r.stderr


def test_mempolicy_write_twin_pinned_rdlock_panics_in_mbind(tree612,
                                                            tmp_path):
    r, report, row = judged(tree612, tmp_path, "mm/mempolicy.c",
                            "queue_pages_lock_vma_walk_ops",
                            "PGWALK_RDLOCK", 1, "over-declared")
    t = rows(report)
    assert "during step mbind" in row["why"]
    assert report["series"]["run"]["splat"]["step"] == "mbind"
    # Tables of later steps: not a list of misses.
    for name in ("queue_pages_walk_ops", "prot_none_walk_ops",
                 "hwpoison_walk_ops"):
        assert t[name]["status"] == "not reached"
        assert t[name]["why"] == \
            "not reached because the kernel died in step mbind", t[name]
    assert not any("was not walked" in p
                   for p in report["series"]["problems"])
    assert "FAIL: queue_pages_lock_vma_walk_ops: over-declared" in r.stderr


def test_read_table_pinned_wrlock_verify_is_over_declared(tree612,
                                                          tmp_path):
    r, report, row = judged(tree612, tmp_path, "fs/proc/task_mmu.c",
                            "pagemap_ops", "PGWALK_WRLOCK_VERIFY",
                            1, "over-declared")
    assert "step pagemap" in row["why"]
    assert "held for read, not for write" in row["why"]
    assert report["series"]["run"]["splat"]["line"].startswith("WARNING")
    assert "FAIL: pagemap_ops: over-declared" in r.stderr
