"""apply.sh: bad input is refused with a clear error and changes nothing.

Most tests use tests/fixtures/minitree, a tiny imitation of a kernel tree
(a few files at kernel paths); the end-to-end tests use the real tree.
"""

import os
import shutil
import signal
import subprocess
import time

import pytest

from conftest import (FIXTURES, APPLY, copy_plain_tree, need_real_tree,
                      run_apply)


def snapshot(tree):
    """Every file under tree with its bytes, to prove nothing changed."""
    out = {}
    for root, dirs, files in os.walk(tree):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                out[os.path.relpath(path, tree)] = f.read()
    return out


def git(tree, *args):
    return subprocess.run(["git", "-C", tree, *args], capture_output=True,
                          text=True, check=True).stdout


@pytest.fixture
def minitree(tmp_path):
    tree = tmp_path / "mini tree"   # a space: paths are quoted everywhere
    shutil.copytree(os.path.join(FIXTURES, "minitree"), tree)
    return str(tree)


@pytest.fixture
def minigit(minitree):
    git(minitree, "init", "-q")
    git(minitree, "add", "-A")
    git(minitree, "commit", "-qm", "base")
    return minitree


@pytest.mark.unit
def test_not_a_directory_is_refused(tmp_path):
    r = run_apply(str(tmp_path / "nowhere"))
    assert r.returncode == 1
    assert "not a directory" in r.stderr


@pytest.mark.unit
def test_not_a_kernel_tree_is_refused(tmp_path):
    (tmp_path / "README").write_text("hello\n")
    before = snapshot(str(tmp_path))
    r = run_apply(str(tmp_path))
    assert r.returncode == 1
    assert "not a kernel source tree" in r.stderr
    assert snapshot(str(tmp_path)) == before


@pytest.mark.unit
def test_tree_without_pagewalk_is_refused(minitree):
    os.unlink(os.path.join(minitree, "mm", "pagewalk.c"))
    before = snapshot(minitree)
    r = run_apply(minitree)
    assert r.returncode == 1
    assert "no mm/pagewalk.c" in r.stderr
    assert snapshot(minitree) == before     # and no .git was made


@pytest.mark.unit
def test_dirty_tree_is_refused(minigit):
    with open(os.path.join(minigit, "mm", "mincore.c"), "a") as f:
        f.write("/* local change */\n")
    before = snapshot(minigit)
    r = run_apply(minigit)
    assert r.returncode == 1
    assert "uncommitted changes (mm/mincore.c)" in r.stderr
    assert snapshot(minigit) == before
    assert "pgwalk/series" not in git(minigit, "branch", "--list")


@pytest.mark.unit
def test_outdir_inside_the_tree_is_refused(minigit):
    r = run_apply(minigit, os.path.join(minigit, "out"))
    assert r.returncode == 1
    assert "OUTDIR inside the tree" in r.stderr


@pytest.mark.unit
def test_missing_decisions_file_is_refused(minigit, tmp_path):
    r = run_apply("--pins", str(tmp_path / "none.conf"), minigit)
    assert r.returncode == 1
    assert "decisions file not found" in r.stderr


@pytest.mark.unit
def test_already_converted_tree_says_so_and_makes_no_series(minigit,
                                                            tmp_path):
    hdr = os.path.join(minigit, "include", "linux", "pagewalk.h")
    with open(hdr) as f:
        text = f.read()
    text = text.replace("struct mm_walk_ops {",
                        "enum page_walk_lock {\n\tPGWALK_RDLOCK = 0,\n};\n\n"
                        "struct mm_walk_ops {\n\tenum page_walk_lock "
                        "walk_lock;")
    with open(hdr, "w") as f:
        f.write(text)
    for name in ("mincore.c", "mprotect.c"):
        path = os.path.join(minigit, "mm", name)
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(text.replace("\n};", "\n\t.walk_lock\t\t= PGWALK_RDLOCK,"
                                 "\n};", 1))
    git(minigit, "commit", "-qam", "converted")
    out = tmp_path / "out"
    r = run_apply(minigit, str(out))
    assert r.returncode == 0, r.stderr
    assert "already converted" in r.stdout
    assert not out.exists()
    assert "pgwalk/series" not in git(minigit, "branch", "--list")


@pytest.mark.tree
def test_ctrl_c_while_making_the_base_commit_leaves_the_plain_tree(tmp_path):
    """Interrupt the git-init stage of a real (large) plain tree."""
    tree = copy_plain_tree(need_real_tree(), str(tmp_path / "k"))
    proc = subprocess.Popen([APPLY, tree, str(tmp_path / "out")],
                            stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    line = proc.stderr.readline()
    assert "making a git repository" in line, line
    time.sleep(2)       # git add of ~75,000 files takes far longer
    os.killpg(proc.pid, signal.SIGINT)
    rest = proc.stderr.read()
    assert proc.wait(timeout=60) == 130, rest
    assert "interrupted; the tree is as it was" in rest
    assert not os.path.exists(os.path.join(tree, ".git"))


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
        "decisions.json", "series.json", "series.mbox"]
    mprotect = (out / names[2]).read_text()
    assert "+\t.walk_lock\t\t= PGWALK_WRLOCK,\n" in mprotect
    mincore = (out / names[3]).read_text()
    assert "+\t.walk_lock\t\t= PGWALK_RDLOCK,\n" in mincore
    assert git(minigit, "status", "--porcelain") == ""


@pytest.mark.unit
def test_bad_trailers_file_is_refused(minigit, tmp_path):
    bad = tmp_path / "trailers"
    bad.write_text("Link: https://example.org/x\nthis is prose\n")
    r = run_apply("--trailers", str(bad), minigit, str(tmp_path / "out"))
    assert r.returncode == 1
    assert "trailers:2: not a trailer" in r.stderr
    assert "Traceback" not in r.stderr
    r = run_apply("--trailers", str(tmp_path / "none"), minigit)
    assert r.returncode == 1 and "trailers file not found" in r.stderr
    r = run_apply("-v", "0", minigit)
    assert r.returncode == 1 and "version must be 1 or more" in r.stderr
    assert "pgwalk/series" not in git(minigit, "branch", "--list")


@pytest.mark.unit
def test_missing_checkpatch_is_reported_not_passed(minigit, tmp_path):
    r = run_apply(minigit, str(tmp_path / "out"))
    assert r.returncode == 1
    assert "checkpatch.pl not found" in r.stderr
    assert "pgwalk/series" not in git(minigit, "branch", "--list")
