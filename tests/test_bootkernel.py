"""The boot test's kernel set-up without building one: config fragments by
tree version, the census commit kept out of the user's repository, and
--bisect's choice of commits."""

import os
import subprocess

import pytest

from pgwalk import bootkernel, boottest
from pgwalk.kbuild import BuildError

pytestmark = pytest.mark.unit


def git(tree, *args, **kw):
    return subprocess.run(["git", "-C", str(tree), *args],
                          capture_output=True, text=True, check=True,
                          **kw).stdout.strip()


def test_fragments_follow_the_version_ranges(tmp_path):
    ranges = tmp_path / "ranges.conf"
    ranges.write_text("# fragment first last\nall.config - -\n"
                      "vma.config 6.4 -\nold.config - 6.3  # comment\n"
                      "mid.config 6.9 6.11\n")

    def names(version):
        return [os.path.basename(p)
                for p in bootkernel.fragments(version, str(ranges))]
    assert names((6, 1)) == ["all.config", "old.config"]
    assert names((6, 4)) == ["all.config", "vma.config"]
    assert names((6, 10)) == ["all.config", "vma.config", "mid.config"]
    assert names((6, 12)) == ["all.config", "vma.config"]
    ranges.write_text("broken.config 6.4\n")
    with pytest.raises(BuildError, match="ranges.conf:1"):
        bootkernel.fragments((6, 1), str(ranges))


def test_shipped_ranges_give_per_vma_locks_from_6_4():
    def frag(version):
        return [os.path.basename(p) for p in bootkernel.fragments(version)]
    assert "per-vma-lock.config" not in frag((6, 1))
    assert "per-vma-lock.config" in frag((6, 12))
    assert "memcg-v1.config" in frag((6, 12))
    for v in ((6, 1), (6, 12)):
        for path in bootkernel.fragments(v):
            assert os.path.exists(path), path


@pytest.fixture
def tiny_repo(tmp_path, monkeypatch):
    tree = tmp_path / "linux"
    (tree / "mm").mkdir(parents=True)
    (tree / "Makefile").write_text("VERSION = 6\nPATCHLEVEL = 12\n"
                                   "SUBLEVEL = 3\n")
    (tree / "mm" / "Makefile").write_text("obj-y += pagewalk.o\n")
    (tree / "mm" / "pagewalk.c").write_text(
        "static const struct mm_walk_ops a_ops = {\n"
        "\t.walk_lock = PGWALK_RDLOCK,\n};\n"
        "static const struct mm_walk_ops b_ops = {\n};\n")
    git(tree, "init", "-q")
    git(tree, "add", ".")
    git(tree, "commit", "-q", "-m", "base")
    monkeypatch.setattr(bootkernel, "OBJECTS", str(tmp_path / "objects"))
    return tree


def loose_objects(tree):
    objects = os.path.join(str(tree), ".git", "objects")
    return sorted(os.path.join(d, f) for d, _s, files in os.walk(objects)
                  for f in files)


def test_census_commit_is_built_outside_the_users_repository(tiny_repo):
    ref = git(tiny_repo, "rev-parse", "HEAD")
    before = loose_objects(tiny_repo)
    gitdir = git(tiny_repo, "rev-parse", "--absolute-git-dir")
    commit, diff = bootkernel.census_commit(str(tiny_repo), gitdir, ref,
                                            (6, 12))
    assert loose_objects(tiny_repo) == before
    assert git(tiny_repo, "status", "--porcelain") == ""
    assert "+obj-y += pgwalk_census.o" in diff
    assert "+++ b/mm/pgwalk_census.c" in diff
    assert "-DCENSUS_VMA_LOCKS" in diff
    # The user's repository cannot see it; with the census objects it can.
    r = subprocess.run(["git", "-C", str(tiny_repo), "cat-file", "-e",
                        commit], capture_output=True)
    assert r.returncode != 0
    env = dict(os.environ, **bootkernel.object_env(gitdir))
    assert git(tiny_repo, "rev-parse", commit + "^", env=env) == ref
    # Same commit under test, same census commit: nothing to rebuild.
    assert bootkernel.census_commit(str(tiny_repo), gitdir, ref,
                                    (6, 12))[0] == commit
    # No per-VMA locks in 6.1: the census is told not to look.
    _c, diff = bootkernel.census_commit(str(tiny_repo), gitdir, ref, (6, 1))
    assert "-DCENSUS_VMA_LOCKS" not in diff


def test_version_comes_from_the_commit(tiny_repo):
    assert bootkernel.version_at(str(tiny_repo), "HEAD") == (6, 12)


def test_bisect_boots_only_commits_that_change_a_mode(tiny_repo):
    base = git(tiny_repo, "rev-parse", "HEAD")
    src = tiny_repo / "mm" / "pagewalk.c"
    git(tiny_repo, "commit", "-q", "--allow-empty", "-m", "nothing")
    src.write_text(src.read_text().replace(
        "b_ops = {\n", "b_ops = {\n\t.walk_lock = PGWALK_WRLOCK,\n"))
    git(tiny_repo, "commit", "-q", "-am", "b: write")
    src.write_text(src.read_text().replace("RDLOCK", "WRLOCK_VERIFY"))
    git(tiny_repo, "commit", "-q", "-am", "a: verify")
    changes = boottest.mode_changes(str(tiny_repo), base, "HEAD")
    assert [(s, t) for _c, s, t in changes] == [("b: write", {"b_ops"}),
                                                ("a: verify", {"a_ops"})]
