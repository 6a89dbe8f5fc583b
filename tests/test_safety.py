# SPDX-License-Identifier: GPL-2.0
"""apply.sh never loses or damages a user's work (issue 20): the series
branch, OUTDIR and the caches under the ways a real user runs it: two runs
at once, a lock left by a killed run, damaged or unwritable caches, a
`git gc` under a running series, Ctrl-C in a run started with SIGINT
ignored.  The refusals made before any work (OUTDIR, encodings,
--previous, TMPDIR, unborn HEAD, hidden edits, branches a user owns or a
work tree has checked out) are rows of test_bad_input.py::test_refused.

Unit tier: the trees are the kbuild minitree of test_bad_input.py, each
test with its own cache (most start warm from the reference run's).
"""

import errno
import hashlib
import json
import os
import signal
import subprocess
import tempfile
import threading

import pytest

from conftest import git, snapshot
from test_bad_input import (APPLY, Running, blocking, kbuild_minitree,
                            make_git, outputs, reference_run, run, said,
                            script_env, state, warm)
from pgwalk import errors
from pgwalk import gitops

pytestmark = [pytest.mark.unit, pytest.mark.xdist_group("apply_reference")]


@pytest.fixture
def cache(tmp_path):
    path = tmp_path / "cache"
    path.mkdir()
    return path


@pytest.fixture(scope="module")
def apply_reference(tmp_path_factory):
    """apply.sh's series of the kbuild minitree, uninterrupted."""
    return reference_run(tmp_path_factory)


def kbuild_git(tmp_path, name="k tree"):
    """The tree apply_reference's series is of, as a git repository."""
    return make_git(kbuild_minitree(str(tmp_path / name)))


def memo_entries(cache, kind=None):
    root = os.path.join(str(cache), "memo", kind or "")
    return sorted(os.path.join(d, n) for d, _, names in os.walk(root)
                  for n in names)


# ------------------------------------------------------- run locks

def test_two_runs_on_one_tree_or_one_outdir_are_refused(
        tmp_path, cache, apply_reference):
    """Situation 5: while a run writes its patches, a second one on the
    same tree, and one on another tree into the same OUTDIR, are refused
    at once naming the holder; the first then ends as a lone run does."""
    warm(cache, apply_reference)
    tree = kbuild_git(tmp_path)
    out = str(tmp_path / "out")
    marker = str(tmp_path / "blocked")
    # format-patch: run once (the wrapper blocks each call it sees while
    # the marker is missing).
    env = script_env(cache, FAKE_BLOCKED=marker, FAKE_BLOCK_ON="format-patch")
    env["PATH"] = blocking(tmp_path, ["git"]) + os.pathsep + env["PATH"]
    first = Running([APPLY, tree, out], env)
    try:
        first.wait_for("==> format-patch", marker)
        before = state(tree)
        r = run(APPLY, tree, str(tmp_path / "elsewhere"), cache=cache)
        said(r, 1, "another apply.sh run (pid %d, started " % first.proc.pid)
        assert "is using the tree" in r.stderr
        assert state(tree) == before
        other = kbuild_git(tmp_path, "other tree")
        r = run(APPLY, other, out, cache=cache)
        said(r, 1, "is using OUTDIR")
        assert not os.path.exists(out)
        assert not os.path.exists(tmp_path / "elsewhere")
    finally:
        if os.path.exists(marker):
            os.unlink(marker)
    r = first.finish()
    assert r.returncode == 0, r.stderr
    assert outputs(out, tree) == apply_reference["out"]
    assert os.listdir(os.path.join(str(cache), "locks")) == []


def test_a_stale_lock_is_named_and_taken_over(tmp_path, cache,
                                              apply_reference):
    """A lock file whose holder is gone (killed with SIGKILL: nobody
    holds its flock) is said and taken over; the run ends well."""
    warm(cache, apply_reference)
    tree = kbuild_git(tmp_path)
    locks = os.path.join(str(cache), "locks")
    os.makedirs(locks, exist_ok=True)
    name = hashlib.sha1(os.path.realpath(tree).encode()).hexdigest()[:24]
    with open(os.path.join(locks, name + ".lock"), "w") as f:
        f.write("pid 999999, started 2026-01-01 00:00:00 UTC, process "
                "start 1\n")
    r = run(APPLY, tree, str(tmp_path / "out"), cache=cache)
    assert r.returncode == 0, r.stderr
    assert "a stale lock of the tree (pid 999999, started 2026-01-01" \
        in r.stderr
    assert os.listdir(locks) == []


# ---------------------------------------------------------- caches

def test_damaged_cache_entries_are_dropped_and_computed_again(
        tmp_path, cache, apply_reference):
    """Situations 7 and 8: cache entries of the wrong shape, of an older
    schema, or whose value was edited (its checksum no longer matches)
    are dropped and computed again: the series is the reference's, one
    warning says so, and every entry is whole afterwards."""
    warm(cache, apply_reference)
    entries = memo_entries(cache)
    sections = memo_entries(cache, "sections")[0]
    with open(sections) as f:
        entry = json.load(f)
    entry["value"] = {k: "EDITED" for k in entry["value"]}
    with open(sections, "w") as f:
        json.dump(entry, f)         # the old checksum: it no longer fits
    damaged = [p for p in entries if p != sections][:2]
    with open(damaged[0], "w") as f:
        f.write("42")
    with open(damaged[1], "w") as f:
        f.write('{"format": 1, "value": null}')
    facts = sorted(os.path.join(d, n) for d, _, names in os.walk(
        os.path.join(str(cache), "facts")) for n in names)
    with open(facts[0], "w") as f:
        f.write('{"format": 2, "sum": "0", "val')      # truncated
    tree = kbuild_git(tmp_path)
    r = run(APPLY, tree, str(tmp_path / "out"), cache=cache)
    assert r.returncode == 0, r.stderr
    assert outputs(str(tmp_path / "out"), tree) == apply_reference["out"]
    assert r.stderr.count("warning: cache entry") == 1, r.stderr
    for path in [sections, *damaged, facts[0]]:
        with open(path) as f:
            stored = json.load(f)
        assert stored["format"] == 2 and "sum" in stored, path
    assert not [p for p in snapshot(str(cache)) if p.endswith(".tmp")]


FULL_CACHE = """import errno, os
_replace = os.replace
def replace(src, dst, *args, **kwargs):
    if str(dst).startswith(os.environ["PGWALK_CACHE"]):
        raise OSError(errno.%s, os.strerror(errno.%s), str(dst))
    return _replace(src, dst, *args, **kwargs)
os.replace = replace"""


@pytest.mark.parametrize("err", ["ENOSPC", "EROFS"])
def test_a_cache_that_cannot_be_written_is_turned_off(
        tmp_path, cache, apply_reference, err):
    """Situation 8: a full or read-only cache: one warning naming it,
    caching off for the run, the same series, no .tmp left behind."""
    tree = kbuild_git(tmp_path)
    r = run(APPLY, tree, str(tmp_path / "out"), cache=cache,
            patch=FULL_CACHE % (err, err))
    assert r.returncode == 0, r.stderr
    assert outputs(str(tmp_path / "out"), tree) == apply_reference["out"]
    said_once = [l for l in r.stderr.splitlines()
                 if "the cache cannot be written" in l]
    assert len(said_once) == 1, r.stderr
    assert str(cache) in said_once[0]
    assert [p for p in snapshot(str(cache))] == []


# ------------------------------------------------------------ OUTDIR

def test_outdir_is_replaced_whole_and_keeps_what_is_not_the_series(
        tmp_path, cache, apply_reference):
    """The new OUTDIR holds the new series only (a longer earlier
    series' patches and an old range-diff go), plus what apply.sh does
    not write: verify-build's build/, a note of the user's."""
    warm(cache, apply_reference)
    tree = kbuild_git(tmp_path)
    out = tmp_path / "out"
    (out / "build").mkdir(parents=True)
    (out / "build" / "build-report.json").write_text("{}\n")
    (out / "notes.txt").write_text("mine\n")
    (out / "0009-an-earlier-longer-series.patch").write_text("old\n")
    (out / "range-diff.txt").write_text("old\n")
    r = run(APPLY, tree, str(out), cache=cache)
    assert r.returncode == 0, r.stderr
    now = outputs(str(out), tree)
    assert now.pop(os.path.join("build", "build-report.json")) == b"{}\n"
    assert now.pop("notes.txt") == b"mine\n"
    assert now == apply_reference["out"]
    assert not [n for n in os.listdir(tmp_path) if ".pgwalk-" in n]


# ---------------------------------------------------------- branches

def test_the_series_branch_moves_only_while_apply_made_it(
        tmp_path, cache, apply_reference):
    """A re-run moves the branch it made; a commit of the user's on it
    stops that (the commit stays); put back at a commit apply.sh made, it
    moves again; --branch puts the series elsewhere."""
    warm(cache, apply_reference)
    tree = kbuild_git(tmp_path)
    out = str(tmp_path / "out")
    assert run(APPLY, tree, out, cache=cache).returncode == 0
    made = git(tree, "rev-parse", "pgwalk/series").strip()
    assert run(APPLY, tree, out, cache=cache).returncode == 0
    git(tree, "checkout", "-q", "pgwalk/series")
    with open(os.path.join(tree, "NOTES"), "w") as f:
        f.write("my work\n")
    git(tree, "add", "NOTES")
    git(tree, "commit", "-qm", "my work")
    mine = git(tree, "rev-parse", "HEAD").strip()
    git(tree, "checkout", "-q", "-")
    before = state(tree)
    r = run(APPLY, tree, out, cache=cache)
    said(r, 1, "pgwalk/series: the branch was not made by apply.sh, or "
         "has commits of its own since (its tip is %s)" % mine[:12])
    assert state(tree) == before
    r = run(APPLY, "--branch", "series-2", tree, out, cache=cache)
    assert r.returncode == 0, r.stderr
    assert git(tree, "rev-parse", "series-2").strip() == made
    assert git(tree, "rev-parse", "pgwalk/series").strip() == mine
    git(tree, "branch", "-f", "pgwalk/series", made)
    assert run(APPLY, tree, out, cache=cache).returncode == 0


# ------------------------------------------------------ git processes

def test_a_batch_git_that_dies_is_started_again(minigit):
    """Item 7, and test_review_tags_survive_when_the_change_does's
    failure on a busy machine: a `git gc` (here repack + prune-packed, as
    the automatic gc of a `git am` does) packs the objects a running
    `mktree --batch` knows as loose, and it dies ("object ... is
    unavailable"); a process killed outright is the same to the series.
    Each is started again and the commits are those of a builder that
    never saw a dead process."""
    base = git(minigit, "rev-parse", "HEAD").strip()
    edits = [{"mm/mincore.c": "one\n"},
             {"mm/mprotect.c": "two\n", "mm/new/file.c": "three\n"},
             {"mm/mincore.c": "four\n"}]

    def series(break_it):
        builder = gitops.SeriesBuilder(minigit, base)
        try:
            for i, files in enumerate(edits):
                builder.commit(files, "commit %d\n" % i)
                if break_it and i == 0:
                    git(minigit, "repack", "-adq")
                    git(minigit, "prune-packed")
                elif break_it and i == 1:
                    builder._mktree.proc.kill()
                    builder._cat.proc.kill()
            return builder.head
        finally:
            builder.close()

    broken = series(True)
    assert broken == series(False)


def test_a_builder_that_cannot_start_leaves_nothing_in_tmpdir(
        minigit, tmp_path, monkeypatch):
    """Situation 7's empty /tmp/pgwalk-blobs-*: the builder's scratch
    directory is made last, when nothing can fail any more."""
    tmp = tmp_path / "tmpdir"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    with pytest.raises(gitops.GitError):
        gitops.SeriesBuilder(minigit, "1" * 40)
    assert os.listdir(tmp) == []


def test_an_error_after_ctrl_c_is_the_interrupt_and_a_full_copy_names_its_destination(capsys):  # noqa: E501
    """A child git that the same Ctrl-C stopped fails ("index.lock write
    error: Bad file descriptor"): the run says it was interrupted, exit
    130.  A copy that fills TMPDIR is said against TMPDIR's file, not the
    tree file copied (situation 9)."""
    def stopped_child():
        # What the SIGINT handler notes (no real signal: a test runner's
        # worker may run this outside its main thread).
        errors._GOT.append(signal.SIGINT)
        raise gitops.GitError("git add failed in T: fatal: sha1 file "
                              "'T/.git/index.lock' write error: Bad file "
                              "descriptor")

    def full_copy():
        raise OSError(errno.ENOSPC, "No space left on device",
                      "T/arch/s390/mm/gmap.c", None,
                      "/tmp/pgwalk-edits-1/gmap.c")
    saved = signal.getsignal(signal.SIGINT)
    try:
        assert errors.run_main("apply.sh", stopped_child,
                               interrupted="as it was") == 130
        assert capsys.readouterr().err == \
            "apply.sh: interrupted; as it was\n"
    finally:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, saved)
        errors._GOT.clear()
    assert errors.run_main("apply.sh", full_copy) == 1
    assert capsys.readouterr().err == "apply.sh: error: No space left on " \
        "device: /tmp/pgwalk-edits-1/gmap.c\n"


def sigint_ignored():
    """How a test run (or any job) started in the background starts."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def test_ctrl_c_stops_a_run_that_started_with_sigint_ignored(
        tmp_path, cache, apply_reference):
    """Item 7: a run that inherited SIGINT ignored (a background job)
    still stops on Ctrl-C: exit 130, the tree and OUTDIR as they were.
    (Python would leave SIGINT ignored, while git's own handler, reached
    by the same signal, removes its lock and then fails on the closed
    file: test_ctrl_c_while_making_the_base_commit_leaves_the_plain_tree
    failed that way when make check ran in the background.)"""
    warm(cache, apply_reference)
    tree = kbuild_git(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "series.mbox").write_text("an earlier run's\n")
    previous, before = snapshot(str(out)), state(tree)
    marker = str(tmp_path / "blocked")
    env = script_env(cache, FAKE_BLOCKED=marker, FAKE_BLOCK_ON="format-patch")
    env["PATH"] = blocking(tmp_path, ["git"]) + os.pathsep + env["PATH"]
    proc = subprocess.Popen([APPLY, tree, str(out)], env=env, text=True,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True,
                            preexec_fn=sigint_ignored)
    run_ = Running.__new__(Running)
    run_.lines, run_.proc = [], proc
    run_.reader = threading.Thread(target=run_._read, daemon=True)
    run_.reader.start()
    try:
        run_.wait_for("==> format-patch", marker)
        os.killpg(proc.pid, signal.SIGINT)
        r = run_.finish(timeout=60)
    finally:
        if os.path.exists(marker):
            os.unlink(marker)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    said(r, 130, "apply.sh: interrupted; the tree is as it was")
    assert state(tree) == before
    assert snapshot(str(out)) == previous
