# SPDX-License-Identifier: GPL-2.0
"""The facts cache: keyed by each file's contents, it saves work and never
changes the output."""

import json
import os
import shutil

import pytest

import posted
from conftest import FIXTURES, REPO, snapshot
from pgwalk import cocci
from pgwalk.analysis import decisions, facts

# The apply.sh run shares the posted minitree (one worker makes it).
pytestmark = [pytest.mark.unit, pytest.mark.xdist_group("posted_minitree")]


def test_second_run_reads_nothing_and_a_change_reads_one_file(
        tmp_path, monkeypatch):
    monkeypatch.setenv("PGWALK_CACHE", str(tmp_path / "cache"))
    tree = posted.git_tree(str(tmp_path / "tree"))
    first = facts.Cache()
    a = decisions.analyze(tree, jobs=2, cache=first)
    assert first.misses and not first.hits
    second = facts.Cache()
    b = decisions.analyze(tree, jobs=2, cache=second)
    assert second.hits and not second.misses
    assert a == b
    # One file changes: only its entries are computed again.
    path = os.path.join(tree, "mm", "mincore.c")
    with open(path, "a") as f:
        f.write("/* a new rc */\n")
    third = facts.Cache()
    decisions.analyze(tree, jobs=2, cache=third)
    assert third.misses and third.hits
    assert third.misses <= 2        # its base facts and its calls


def test_cached_facts_give_the_uncached_series(tmp_path, posted_minitree):
    """A run whose facts all come from the cache (the other caches are
    empty, so every later stage runs) writes the series a run without
    any cache writes."""
    tree, cache = posted.copy(posted_minitree, tmp_path)
    shutil.rmtree(os.path.join(cache, "memo"))
    facts_before = snapshot(os.path.join(cache, "facts"))
    assert facts_before
    posted.apply(tree, str(tmp_path / "out"), cache, tmp_path / "logs")
    # Every fact was the cache's: none was added or replaced.
    assert snapshot(os.path.join(cache, "facts")) == facts_before
    assert posted.series(tmp_path / "out") == \
        posted.series(posted_minitree["off"])


def test_a_cache_entry_is_relocated_to_the_path_asked_for(tmp_path,
                                                          monkeypatch):
    """The same contents at another path reuse the entry, with the
    facts' file names of the new path."""
    monkeypatch.setenv("PGWALK_CACHE", str(tmp_path / "cache"))
    tree = posted.git_tree(str(tmp_path / "tree"))
    ex = facts.Extractor(tree, {"walk_page_range": 3}, 1)
    first = ex.collect_base(["mm/mincore.c"])
    shutil.copy(os.path.join(tree, "mm", "mincore.c"),
                os.path.join(tree, "mm", "mincore2.c"))
    again = facts.Extractor(tree, {"walk_page_range": 3}, 1)
    second = again.collect_base(["mm/mincore2.c"])
    assert again.cache.hits == 1
    assert {f["file"] for f in second["mm/mincore2.c"]["facts"]} == \
        {"mm/mincore2.c"}
    assert len(first["mm/mincore.c"]["facts"]) == \
        len(second["mm/mincore2.c"]["facts"])


def test_a_changed_emit_is_a_miss(tmp_path, monkeypatch):
    """The rules import emit() from beside them: a change to it is a
    change to the facts, as one to the rule's text is."""
    monkeypatch.setenv("PGWALK_CACHE", str(tmp_path / "cache"))
    rules = tmp_path / "semantic-patches"
    shutil.copytree(os.path.join(REPO, "semantic-patches"), rules)
    monkeypatch.setenv("PGWALK_SEMANTIC_PATCHES", str(rules))
    tree = posted.git_tree(str(tmp_path / "tree"))

    def misses():
        ex = facts.Extractor(tree, {"walk_page_range": 3}, 1)
        ex.collect_base(["mm/mincore.c"])
        ex.collect_calls({"mm/mincore.c": ["walk_page_range"]})
        return ex.cache.misses

    assert misses() == 2
    assert misses() == 0
    with open(rules / "pgwalk_emit.py", "a") as f:
        f.write("# a new emit()\n")
    assert misses() == 2


BATCH = os.path.join(FIXTURES, "batch")


@pytest.mark.parametrize("rule", ["facts.cocci", "calls.cocci"])
def test_a_files_facts_do_not_depend_on_the_files_read_before_it(
        tmp_path, rule):
    """Facts are cached per file, and a spatch run reads many files: what
    a rule records about one function (it takes a lock, it changes a VMA,
    an `if` there has an else) must not reach a function of another
    file.  tests/fixtures/batch/second.c read alone and after first.c,
    whose functions have the same names and whose if-else stands where
    second.c has a plain if, gives the same facts."""
    shutil.copytree(BATCH, tmp_path / "mm")
    text = facts.rule_text(["walk_page_range"], names=["walk_page_range"],
                           path=os.path.join(REPO, "semantic-patches", rule))
    path = str(tmp_path / "rule.cocci")
    cocci.write_rule(path, text, facts.FACTS_COCCI)

    def second(files):
        got = facts.run_spatch(str(tmp_path), files, path)["mm/second.c"]
        return sorted(json.dumps(f, sort_keys=True) for f in got["facts"])

    alone = second(["mm/second.c"])
    assert alone, "second.c gave no facts: the case tests nothing"
    assert second(["mm/first.c", "mm/second.c"]) == alone
