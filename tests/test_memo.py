"""The content caches (scripts/pgwalk/memo.py and its users: git grep,
edits, the core, checkpatch verdicts, get_maintainer.pl answers): a run
with them warm gives the bytes a run without them gives, and a change to
any input they are keyed by is seen."""

import json
import os
import shutil
import stat
import subprocess

import pytest

from conftest import FIXTURES, run_apply
from pgwalk import candidates, memo

pytestmark = pytest.mark.unit

MINITREE = os.path.join(FIXTURES, "minitree")

# Stand-ins for the tree's own scripts: each run is logged, so a test sees
# whether the cache answered instead.
FAKE_CHECKPATCH = r"""#!/usr/bin/perl
open(my $log, ">>", "%(log)s");
for my $f (@ARGV) {
	next if $f =~ /^--/;
	print $log "$f\n";
	print "total: 0 errors, 0 warnings, 10 lines checked\n";
}
"""
FAKE_GET_MAINTAINER = r"""#!/usr/bin/perl
open(my $log, ">>", "%(log)s");
print $log "$ARGV[-1]\n";
print "Ann Maintainer <ann@example.org> (maintainer:MEMORY MANAGEMENT)\n";
print "linux-mm\@kvack.org (open list:MEMORY MANAGEMENT)\n";
"""


def git(tree, *args):
    subprocess.run(["git", "-C", tree, *args], check=True,
                   capture_output=True)


def git_tree(tmp_path):
    tree = str(tmp_path / "tree")
    shutil.copytree(MINITREE, tree)
    os.makedirs(os.path.join(tree, "scripts"))
    for name, text in (("checkpatch.pl", FAKE_CHECKPATCH),
                       ("get_maintainer.pl", FAKE_GET_MAINTAINER)):
        path = os.path.join(tree, "scripts", name)
        with open(path, "w") as f:
            f.write(text % {"log": tmp_path / (name + ".log")})
        os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
    git(tree, "init", "-q")
    git(tree, "add", "-A")
    git(tree, "commit", "-qm", "base")
    return tree


def runs(tmp_path, name):
    """How many patches the fake script has been run on so far."""
    path = tmp_path / (name + ".log")
    return len(path.read_text().splitlines()) if path.exists() else 0


def series(out):
    """The series as bytes that matter: every message, and the modes."""
    names = sorted(p for p in os.listdir(out) if p.endswith(".patch"))
    assert names
    texts = [open(os.path.join(out, p)).read() for p in names]
    with open(os.path.join(out, "decisions.json")) as f:
        texts.append(json.dumps(json.load(f)["tables"], sort_keys=True))
    return texts


def apply(tree, out, **env):
    r = run_apply(tree, out, env=dict(os.environ, **env))
    assert r.returncode == 0, r.stderr[-2000:]
    return r


def test_warm_run_asks_no_script_again_and_gives_the_same_bytes(
        tmp_path, monkeypatch):
    monkeypatch.setenv("PGWALK_CACHE", str(tmp_path / "cache"))
    tree = git_tree(tmp_path)
    cold = apply(tree, str(tmp_path / "cold"))
    checked = runs(tmp_path, "checkpatch.pl")
    addressed = runs(tmp_path, "get_maintainer.pl")
    assert checked and addressed, cold.stderr
    apply(tree, str(tmp_path / "warm"))
    assert runs(tmp_path, "checkpatch.pl") == checked
    assert runs(tmp_path, "get_maintainer.pl") == addressed
    apply(tree, str(tmp_path / "off"), PGWALK_NO_CACHE="1")
    assert runs(tmp_path, "checkpatch.pl") == 2 * checked
    assert series(tmp_path / "cold") == series(tmp_path / "warm") == \
        series(tmp_path / "off")


def test_a_new_base_is_seen_by_every_cache(tmp_path, monkeypatch):
    """One file changes in a way that changes its table's mode: the warm
    run on the new base gives the new mode, byte for byte what a run
    without cache gives; the unchanged patches are not checked again."""
    monkeypatch.setenv("PGWALK_CACHE", str(tmp_path / "cache"))
    tree = git_tree(tmp_path)
    apply(tree, str(tmp_path / "before"))
    checked = runs(tmp_path, "checkpatch.pl")
    path = os.path.join(tree, "mm", "mincore.c")
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text.replace("mmap_read_", "mmap_write_"))
    git(tree, "commit", "-qam", "mincore: under the write lock")
    apply(tree, str(tmp_path / "after"))
    modes = {t["name"]: t["mode"] for t in json.load(open(
        tmp_path / "after" / "decisions.json"))["tables"]}
    assert modes["mincore_walk_ops"] == "PGWALK_WRLOCK"
    # The core patch and mprotect's did not change: their verdicts were
    # kept.  mincore's patch is new and was checked.
    assert runs(tmp_path, "checkpatch.pl") == checked + 1
    apply(tree, str(tmp_path / "off"), PGWALK_NO_CACHE="1")
    assert series(tmp_path / "after") == series(tmp_path / "off")
    assert series(tmp_path / "before") != series(tmp_path / "after")


def test_a_changed_checker_is_run_again(tmp_path, monkeypatch):
    """checkpatch.pl is part of its verdict's key."""
    monkeypatch.setenv("PGWALK_CACHE", str(tmp_path / "cache"))
    tree = git_tree(tmp_path)
    apply(tree, str(tmp_path / "one"))
    checked = runs(tmp_path, "checkpatch.pl")
    with open(os.path.join(tree, "scripts", "checkpatch.pl"), "a") as f:
        f.write("# a newer checkpatch\n")
    git(tree, "commit", "-qam", "newer checkpatch")
    apply(tree, str(tmp_path / "two"))
    assert runs(tmp_path, "checkpatch.pl") == 2 * checked


def test_grep_on_a_new_tree_searches_only_what_changed(
        tmp_path, monkeypatch):
    monkeypatch.setenv("PGWALK_CACHE", str(tmp_path / "cache"))
    tree = git_tree(tmp_path)
    with candidates.searching(tree):
        first = candidates.word_hits(tree, {"do_mincore", "do_mprotect"})
    assert set(first) == {"mm/mincore.c", "mm/mprotect.c"}
    with open(os.path.join(tree, "mm", "mincore.c"), "a") as f:
        f.write("int caller(void) { return do_mprotect(0, 0, 0); }\n")
    os.unlink(os.path.join(tree, "mm", "mprotect.c"))
    git(tree, "commit", "-qam", "moved")
    searched = []
    real = candidates._run_grep

    def spy(tree_, options, pattern, paths):
        searched.append(list(paths))
        return real(tree_, options, pattern, paths)
    monkeypatch.setattr(candidates, "_run_grep", spy)
    with candidates.searching(tree):
        second = candidates.word_hits(tree, {"do_mincore", "do_mprotect"})
    assert searched == [["mm/mincore.c"]]
    assert second == {"mm/mincore.c": {"do_mincore", "do_mprotect"}}
    # The same answer as a search of the whole tree (outside searching(),
    # nothing is cached).
    assert candidates.word_hits(tree, {"do_mincore", "do_mprotect"}) == \
        second
    assert searched[-1] == ["*.c"]


def test_a_dirty_tree_is_searched_whole(tmp_path, monkeypatch):
    """Uncommitted changes: the tree id does not say what is on disk."""
    monkeypatch.setenv("PGWALK_CACHE", str(tmp_path / "cache"))
    tree = git_tree(tmp_path)
    with candidates.searching(tree):
        candidates.word_hits(tree, {"do_mincore"})
    with open(os.path.join(tree, "mm", "mprotect.c"), "a") as f:
        f.write("int caller(void) { return do_mincore(0, 0, 0); }\n")
    with candidates.searching(tree):
        assert set(candidates.word_hits(tree, {"do_mincore"})) == \
            {"mm/mincore.c", "mm/mprotect.c"}


def test_an_unwritable_cache_costs_time_not_the_result(
        tmp_path, monkeypatch):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache directory would go")
    monkeypatch.setenv("PGWALK_CACHE", str(blocked))
    m = memo.Memo("kind")
    m.put(memo.key("a"), 1)
    assert m.get(memo.key("a")) is None
