"""Shared test set-up: import path, git identity, and the trees tests use.

Tests that need the real kernel tree read its path from PGWALK_TREE (the
Makefile's `check` target fetches it); they never write to it: they copy it.
"""

import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "scripts"))

FIXTURES = os.path.join(REPO, "tests", "fixtures")
APPLY = os.path.join(REPO, "scripts", "apply.sh")
REAL_TREE = os.environ.get(
    "PGWALK_TREE",
    os.path.expanduser("~/.cache/pgwalk-series/linux-source-6.1"))


@pytest.fixture(scope="session", autouse=True)
def git_identity(tmp_path_factory):
    """A known identity for Signed-off-by, whatever the machine has.

    Session-wide, so that module-scoped fixtures (which run before any
    function-scoped one) see it too.
    """
    cfg = tmp_path_factory.getbasetemp() / "gitconfig"
    cfg.write_text("[user]\n\tname = Test Maintainer\n"
                   "\temail = maintainer@example.org\n")
    saved = {k: os.environ.get(k) for k in ("GIT_CONFIG_GLOBAL",
                                            "GIT_CONFIG_NOSYSTEM")}
    os.environ["GIT_CONFIG_GLOBAL"] = str(cfg)
    os.environ["GIT_CONFIG_NOSYSTEM"] = "1"
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def need_real_tree():
    if not os.path.isfile(os.path.join(REAL_TREE, "mm", "pagewalk.c")):
        pytest.skip("real kernel tree not found at %s (make check fetches "
                    "it)" % REAL_TREE)
    return REAL_TREE


def copy_plain_tree(src, dst):
    """Copy a kernel tree without its .git: a plain unpacked tree."""
    os.makedirs(dst, exist_ok=True)
    subprocess.run("tar -C '%s' --exclude=./.git -cf - . | tar -C '%s' -xf -"
                   % (src, dst), shell=True, check=True)
    return dst


@pytest.fixture(scope="session")
def real_series(tmp_path_factory):
    """One apply.sh run on a plain copy of the real tree, shared by the
    tests that read the series and those that build or boot it.  A test
    that regenerates the series in this tree puts the branch back."""
    import glob
    import json
    src = need_real_tree()
    work = tmp_path_factory.mktemp("series")
    tree = copy_plain_tree(src, str(work / "linux"))
    out = str(work / "out")
    r = run_apply(tree, out)
    assert r.returncode == 0, r.stderr[-3000:]
    with open(os.path.join(out, "decisions.json")) as f:
        decided = json.load(f)
    patches = sorted(glob.glob(os.path.join(out, "0*.patch")))
    return {"tree": tree, "out": out, "work": work, "stderr": r.stderr,
            "decisions": decided, "patches": patches}


def run_apply(*args, env=None, **kw):
    return subprocess.run([APPLY, *args], capture_output=True, text=True,
                          env=env, **kw)


def checkpatch_of(src, new_texts, tmp_path):
    """checkpatch.pl's output on the diff from src's files to new_texts."""
    work = tmp_path / "checkpatch"
    for relpath, text in new_texts.items():
        (work / "a" / relpath).parent.mkdir(parents=True, exist_ok=True)
        (work / "b" / relpath).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(os.path.join(src, relpath), work / "a" / relpath)
        (work / "b" / relpath).write_text(text)
    diff = subprocess.run(["git", "diff", "--no-index", "a", "b"], cwd=work,
                          capture_output=True, text=True).stdout
    patch = work / "x.patch"
    patch.write_text(diff.replace("a/a/", "a/").replace("b/b/", "b/"))
    return subprocess.run(["perl", "scripts/checkpatch.pl", "--no-signoff",
                           "--no-color", str(patch)], cwd=src,
                          capture_output=True, text=True).stdout
