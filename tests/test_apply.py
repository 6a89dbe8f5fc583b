# SPDX-License-Identifier: GPL-2.0
"""apply.sh end to end: the series of the minitree (tests/fixtures/minitree,
a tiny imitation of a kernel tree) in paths with spaces, and Ctrl-C while a
plain copy of the real tree gets its base commit.  Bad input and Ctrl-C in
every stage on the minitree: tests/test_bad_input.py.
"""

import os
import signal
import subprocess
import time

import pytest

from conftest import APPLY, copy_plain_tree, git, need_real_tree, run_apply


def sigint_default():
    """Ctrl-C as a terminal's run gets it: a test run started in the
    background inherits SIGINT ignored (then git, whose own handler the
    signal still reaches, removes its index.lock and fails writing it:
    "index.lock write error: Bad file descriptor", exit 1)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.tree
def test_ctrl_c_while_making_the_base_commit_leaves_the_plain_tree(tmp_path):
    """Interrupt the git-init stage of a real (large) plain tree while
    git add holds the index lock.  The moment is an event (the lock
    exists), not a time: on a busy machine any sleep is either too short
    or too long."""
    tree = copy_plain_tree(need_real_tree(), str(tmp_path / "k"))
    proc = subprocess.Popen([APPLY, tree, str(tmp_path / "out")],
                            stderr=subprocess.PIPE, text=True,
                            start_new_session=True,
                            preexec_fn=sigint_default)
    # The stage lines before it ("==> analysis", a warning) vary.
    seen = []
    while not seen or "making a git repository" not in seen[-1]:
        seen.append(proc.stderr.readline())
        assert seen[-1], "".join(seen)
    lock = os.path.join(tree, ".git", "index.lock")
    # git add takes the lock before it reads a file and keeps it to the
    # end (~75,000 files): polled, not waited for by the clock.
    while not os.path.exists(lock):
        assert proc.poll() is None, proc.stderr.read()
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGINT)
    rest = proc.stderr.read()
    assert proc.wait(timeout=60) == 130, rest
    assert "interrupted; the tree is as it was" in rest
    assert not os.path.exists(os.path.join(tree, ".git"))
    assert not os.path.exists(tmp_path / "out")


@pytest.mark.unit
def test_series_on_a_tree_whose_path_has_spaces(minigit, tmp_path):
    """The whole pipeline on the minitree, in and out of paths with spaces;
    it has no checkpatch.pl, so that gate says so and is skipped here."""
    out = tmp_path / "out dir"
    r = run_apply("--no-checkpatch", minigit, str(out))
    assert r.returncode == 0, r.stderr
    names = sorted(os.listdir(out))
    assert names == [
        "0000-cover-letter.patch",
        "0001-mm-pagewalk-add-an-explicit-locking-rule-to-struct-m.patch",
        "0002-mm-mprotect-annotate-page-walks-with-PGWALK_WRLOCK.patch",
        "0003-mm-mincore-annotate-page-walks-with-PGWALK_RDLOCK.patch",
        "decisions.json", "evidence.md", "series.json", "series.mbox"]
    mprotect = (out / names[2]).read_text()
    assert "+\t.walk_lock\t\t= PGWALK_WRLOCK,\n" in mprotect
    mincore = (out / names[3]).read_text()
    assert "+\t.walk_lock\t\t= PGWALK_RDLOCK,\n" in mincore
    assert git(minigit, "status", "--porcelain") == ""
