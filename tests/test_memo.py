# SPDX-License-Identifier: GPL-2.0
"""The content caches (scripts/pgwalk/memo.py and its users: git grep,
edits, the core, checkpatch verdicts, get_maintainer.pl answers): a run
with them warm gives the bytes a run without them gives, and a change to
any input they are keyed by is seen."""

import json
import logging
import os
import shlex
import shutil

import pytest

import posted
from conftest import git_repo
from pgwalk import memo, runner
from pgwalk.analysis import candidates

# The apply.sh runs share the posted minitree (one worker makes it).
pytestmark = [pytest.mark.unit, pytest.mark.xdist_group("posted_minitree")]


def test_warm_run_asks_no_script_again_and_gives_the_same_bytes(
        tmp_path, posted_minitree):
    cold = posted_minitree
    assert cold["cold-checked"] and cold["cold-addressed"]
    # With the caches off, every patch is checked and addressed again.
    assert cold["off-checked"] == cold["cold-checked"]
    assert cold["off-addressed"] == cold["cold-addressed"]
    tree, cache = posted.copy(cold, tmp_path)
    logs = tmp_path / "logs"
    posted.apply(tree, str(tmp_path / "warm"), cache, logs)
    assert posted.runs(logs, "checkpatch.pl") == 0
    assert posted.runs(logs, "get_maintainer.pl") == 0
    assert posted.series(cold["cold"]) == \
        posted.series(tmp_path / "warm") == posted.series(cold["off"])


def test_a_new_base_is_seen_by_every_cache(tmp_path, posted_minitree):
    """One file changes in a way that changes its table's mode: the warm
    run on the new base gives the new mode, byte for byte what a run
    without cache gives; the unchanged patches are not checked again."""
    tree, cache = posted.changed(
        posted_minitree, tmp_path, "mm/mincore.c",
        lambda text: text.replace("mmap_read_", "mmap_write_"),
        "mincore: under the write lock")
    logs = tmp_path / "logs"
    posted.apply(tree, str(tmp_path / "after"), cache, logs)
    modes = {t["name"]: t["mode"] for t in json.load(open(
        tmp_path / "after" / "decisions.json"))["tables"]}
    assert modes["mincore_walk_ops"] == "PGWALK_WRLOCK"
    # The core patch and mprotect's did not change: their verdicts were
    # kept.  mincore's patch is new and was checked.
    assert posted.runs(logs, "checkpatch.pl") == 1
    posted.apply(tree, str(tmp_path / "off"), tmp_path / "no-cache",
                 tmp_path / "logs-off", PGWALK_NO_CACHE="1")
    assert posted.series(tmp_path / "after") == \
        posted.series(tmp_path / "off")
    assert posted.series(posted_minitree["cold"]) != \
        posted.series(tmp_path / "after")


def test_a_changed_checker_is_run_again(tmp_path, posted_minitree):
    """checkpatch.pl is part of its verdict's key."""
    tree, cache = posted.changed(
        posted_minitree, tmp_path, "scripts/checkpatch.pl",
        lambda text: text + "# a newer checkpatch\n", "newer checkpatch")
    logs = tmp_path / "logs"
    posted.apply(tree, str(tmp_path / "two"), cache, logs)
    assert posted.runs(logs, "checkpatch.pl") == \
        posted_minitree["cold-checked"]


def greps(caplog):
    """The paths of each git grep run so far, from the command lines the
    runner logs (but the walker contract's search for the files of the
    walker core, -l: once per tree, and not the callers' index)."""
    out = []
    for record in caplog.records:
        argv = shlex.split(record.getMessage())
        if argv[:1] == ["git"] and "grep" in argv and "-l" not in argv:
            out.append([a for a in argv[argv.index("--") + 1:]
                        if not a.startswith(":(exclude)")])
    return out


def test_grep_on_a_new_tree_searches_only_what_changed(
        tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("PGWALK_CACHE", str(tmp_path / "cache"))
    tree = posted.git_tree(str(tmp_path / "tree"))
    with candidates.searching(tree):
        first = candidates.word_hits(tree, {"do_mincore", "do_mprotect"})
    assert set(first) == {"mm/mincore.c", "mm/mprotect.c"}
    with open(os.path.join(tree, "mm", "mincore.c"), "a") as f:
        f.write("int caller(void) { return do_mprotect(0, 0, 0); }\n")
    os.unlink(os.path.join(tree, "mm", "mprotect.c"))
    posted.git(tree, "commit", "-qam", "moved")
    caplog.set_level(logging.DEBUG, logger=runner.LOG.name)
    with candidates.searching(tree):
        second = candidates.word_hits(tree, {"do_mincore", "do_mprotect"})
    assert greps(caplog) == [["mm/mincore.c"]]
    assert second == {"mm/mincore.c": {"do_mincore", "do_mprotect"}}
    # The same answer as a search of the whole tree (outside searching(),
    # nothing is cached).
    assert candidates.word_hits(tree, {"do_mincore", "do_mprotect"}) == \
        second
    assert greps(caplog)[-1] == ["*.c"]


def test_a_tree_of_another_clone_is_searched_whole(
        tmp_path, monkeypatch, caplog):
    """The last tree searched was another repository's: git diff could
    not find it here, so none is asked for; the answer is this tree's."""
    monkeypatch.setenv("PGWALK_CACHE", str(tmp_path / "cache"))
    first = posted.git_tree(str(tmp_path / "first"))
    with candidates.searching(first):
        candidates.word_hits(first, {"do_mincore", "do_mprotect"})
    other = str(tmp_path / "other")
    shutil.copytree(first, other, ignore=shutil.ignore_patterns(".git"))
    os.unlink(os.path.join(other, "mm", "mprotect.c"))
    git_repo(other)
    caplog.set_level(logging.DEBUG, logger=runner.LOG.name)
    with candidates.searching(other):
        hits = candidates.word_hits(other, {"do_mincore", "do_mprotect"})
    assert hits == {"mm/mincore.c": {"do_mincore"}}
    asked = [shlex.split(r.getMessage()) for r in caplog.records]
    assert not [a for a in asked if a[:1] == ["git"] and "diff" in a], asked
    assert greps(caplog) == [["*.c"]]


def test_a_dirty_tree_is_searched_whole(tmp_path, monkeypatch):
    """Uncommitted changes: the tree id does not say what is on disk."""
    monkeypatch.setenv("PGWALK_CACHE", str(tmp_path / "cache"))
    tree = posted.git_tree(str(tmp_path / "tree"))
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
