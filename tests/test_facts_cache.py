"""The facts cache: keyed by each file's contents, it saves work and never
changes the output."""

import json
import os
import shutil
import subprocess

import pytest

from conftest import FIXTURES, run_apply
from pgwalk import decisions, facts

pytestmark = pytest.mark.unit

MINITREE = os.path.join(FIXTURES, "minitree")


def git_tree(tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(MINITREE, tree)
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "base"]):
        subprocess.run(["git", "-C", str(tree), *args], check=True,
                       capture_output=True)
    return str(tree)


def test_second_run_reads_nothing_and_a_change_reads_one_file(
        tmp_path, monkeypatch):
    monkeypatch.setenv("PGWALK_CACHE", str(tmp_path / "cache"))
    tree = git_tree(tmp_path)
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


def test_cached_and_uncached_series_are_identical(tmp_path, monkeypatch):
    monkeypatch.setenv("PGWALK_CACHE", str(tmp_path / "cache"))
    tree = git_tree(tmp_path)
    outs = []
    for name, env in (("cold", {}), ("warm", {}),
                      ("off", {"PGWALK_NO_CACHE": "1"})):
        out = str(tmp_path / name)
        r = run_apply("--no-checkpatch", tree, out,
                      env=dict(os.environ, **env))
        assert r.returncode == 0, r.stderr[-2000:]
        outs.append(out)
    texts = []
    for out in outs:
        patches = sorted(p for p in os.listdir(out) if p.endswith(".patch"))
        assert patches
        texts.append([open(os.path.join(out, p)).read() for p in patches])
        with open(os.path.join(out, "decisions.json")) as f:
            texts[-1].append(json.dumps(json.load(f)["tables"],
                                        sort_keys=True))
    assert texts[0] == texts[1] == texts[2]


def test_a_cache_entry_is_relocated_to_the_path_asked_for(tmp_path,
                                                          monkeypatch):
    """The same contents at another path reuse the entry, with the
    facts' file names of the new path."""
    monkeypatch.setenv("PGWALK_CACHE", str(tmp_path / "cache"))
    tree = git_tree(tmp_path)
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
