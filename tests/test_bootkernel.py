# SPDX-License-Identifier: GPL-2.0
"""The boot test's kernel set-up without building one: config fragments by
tree version, the census commit kept out of the user's repository, and
--bisect's choice of commits."""

import gzip
import os
import shutil
import subprocess

import pytest

from conftest import FIXTURES, git_repo, need_real_tree
from pgwalk import runner
from pgwalk.proofs import bootkernel, boottest
from pgwalk.proofs.kbuild import BuildError


def git(tree, *args, **kw):
    return subprocess.run(["git", "-C", str(tree), *args],
                          capture_output=True, text=True, check=True,
                          **kw).stdout.strip()


@pytest.mark.unit
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


@pytest.mark.unit
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
    git_repo(tree)
    monkeypatch.setattr(bootkernel, "OBJECTS", str(tmp_path / "objects"))
    return tree


def loose_objects(tree):
    objects = os.path.join(str(tree), ".git", "objects")
    return sorted(os.path.join(d, f) for d, _s, files in os.walk(objects)
                  for f in files)


@pytest.mark.unit
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


@pytest.mark.unit
def test_version_comes_from_the_commit(tiny_repo):
    assert bootkernel.version_at(str(tiny_repo), "HEAD") == (6, 12)


@pytest.mark.unit
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


# ------------------------------------------------------------ initramfs

STAND_IN = os.path.join(FIXTURES, "kbuildtree", "usr", "gen_init_cpio.c")


@pytest.mark.unit
def test_initramfs_list_holds_the_userland_and_a_console():
    assert bootkernel.initramfs_list().splitlines() == [
        "dir /bin 0755 0 0",
        "dir /dev 0755 0 0",
        "dir /proc 0755 0 0",
        "dir /sys 0755 0 0",
        "dir /tmp 0755 0 0",
        "nod /dev/console 0600 0 0 c 5 1",
        "file /bin/busybox busybox 0755 0 0",
        "file /workload workload 0755 0 0",
        "file /init init.sh 0755 0 0"]


@pytest.mark.unit
def test_gen_init_cpio_is_the_trees_compiled_once(tiny_repo, tmp_path,
                                                  monkeypatch):
    """Compiled from the commit's usr/gen_init_cpio.c, kept by its blob:
    the same source again compiles nothing; a commit without it is one
    line, as is a source that does not compile."""
    base = git(tiny_repo, "rev-parse", "HEAD")
    (tiny_repo / "usr").mkdir()
    shutil.copy(STAND_IN, tiny_repo / "usr" / "gen_init_cpio.c")
    git(tiny_repo, "add", "usr")
    git(tiny_repo, "commit", "-qm", "usr")
    out = str(tmp_path / "O")
    compiles = []
    real = runner.run

    def spy(argv, **kw):
        compiles.extend(a for a in argv if a == "gcc")
        return real(argv, **kw)
    monkeypatch.setattr(runner, "run", spy)
    program = bootkernel.gen_init_cpio(str(tiny_repo), "HEAD", out)
    assert os.access(program, os.X_OK) and compiles == ["gcc"]
    assert bootkernel.gen_init_cpio(str(tiny_repo), "HEAD", out) == program
    assert compiles == ["gcc"]
    # It is what the archive is made with (the stand-in copies its list).
    assert bootkernel.pack(program, str(tmp_path), "dir /x 0755 0 0\n") == \
        b"dir /x 0755 0 0\n"
    with pytest.raises(BuildError, match="no usr/gen_init_cpio.c at " +
                       base):
        bootkernel.gen_init_cpio(str(tiny_repo), base, out)
    (tiny_repo / "usr" / "gen_init_cpio.c").write_text("int main(void) {\n")
    git(tiny_repo, "commit", "-qam", "broken")
    with pytest.raises(BuildError) as e:
        bootkernel.gen_init_cpio(str(tiny_repo), "HEAD", out)
    assert str(e.value).startswith("usr/gen_init_cpio.c of HEAD does not "
                                   "compile: <stdin>:1:1: error: ")
    assert "\n" not in str(e.value)


def newc_entries(archive):
    """{name: (mode, (rdev major, minor), data)} of a newc cpio archive,
    read the way the kernel's initramfs unpacker reads it."""
    entries, at = {}, 0
    while True:
        assert archive[at:at + 6] == b"070701", at
        fields = [int(archive[at + 6 + 8 * i:at + 14 + 8 * i], 16)
                  for i in range(13)]
        mode, size, rmaj, rmin, namesize = (fields[1], fields[6],
                                            fields[9], fields[10],
                                            fields[11])
        name = archive[at + 110:at + 110 + namesize - 1].decode()
        at += 110 + namesize
        at += -at % 4
        if name == "TRAILER!!!":
            return entries
        entries[name] = (mode, (rmaj, rmin), archive[at:at + size])
        at += size
        at += -at % 4


@pytest.mark.tree
@pytest.mark.skipif(not os.path.exists(bootkernel.BUSYBOX),
                    reason="no busybox (apt-get install busybox-static)")
def test_initramfs_made_by_the_trees_gen_init_cpio(tmp_path):
    """The real tree's gen_init_cpio packs every entry of the list: the
    directories, the console node, and the three programs byte for
    byte."""
    tree = tmp_path / "linux"
    (tree / "usr").mkdir(parents=True)
    shutil.copy(os.path.join(need_real_tree(), "usr", "gen_init_cpio.c"),
                tree / "usr" / "gen_init_cpio.c")
    git_repo(tree, "usr")
    program = bootkernel.gen_init_cpio(str(tree), "HEAD",
                                       str(tmp_path / "O"))
    work = tmp_path / "work"
    work.mkdir()
    image = bootkernel.make_initramfs(str(work), program)
    with gzip.open(image) as f:
        entries = newc_entries(f.read())

    def data(path):
        with open(path, "rb") as f:
            return f.read()
    assert entries == {
        "bin": (0o40755, (0, 0), b""),
        "dev": (0o40755, (0, 0), b""),
        "proc": (0o40755, (0, 0), b""),
        "sys": (0o40755, (0, 0), b""),
        "tmp": (0o40755, (0, 0), b""),
        "dev/console": (0o20600, (5, 1), b""),
        "bin/busybox": (0o100755, (0, 0), data(bootkernel.BUSYBOX)),
        "workload": (0o100755, (0, 0), data(work / "workload")),
        "init": (0o100755, (0, 0), data(os.path.join(bootkernel.BOOT,
                                                     "init.sh")))}
