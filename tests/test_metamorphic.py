# SPDX-License-Identifier: GPL-2.0
"""Metamorphic tests on the real tree: rewrites that keep what the code
does but change its shape must leave every table's mode as it was.

Each rewrite is a semantic patch of tests/cocci/meta-*.cocci, applied to
every file of a copy of the tree (PGWALK_TREE, Linux 6.1) that walks a
table, before the analysis runs:
- meta-getter:  each table behind a getter that chooses by a field of a
                lock context (both branches give the table);
- meta-local:   each table through a local pointer assigned on both
                branches of an if;
- meta-wrapper: each walk through two new functions that forward the ops
                pointer to the walker;
- meta-split:   each walk moved into a new function that its old place
                calls, so the lock is taken one call further up.
(Tables defined inside a function keep their shape under the three that
add top-level code: no new function can name them.)

For each rewrite a second test takes out the rule that handles its shape
and shows that the rewrite then changes the modes: the rule is what keeps
them, not luck.  Those compare the tree and its rewrite analysed with the
same rule removed.
"""

import os
import shutil
import subprocess

import pytest

from conftest import REPO, copy_plain_tree, need_real_tree, spatch_in_place
from pgwalk.analysis import candidates, decisions, factindex

pytestmark = pytest.mark.tree

COCCI = os.path.join(REPO, "tests", "cocci")
SEMANTIC_PATCHES = os.path.join(REPO, "semantic-patches")
REWRITES = ("meta-getter", "meta-local", "meta-wrapper", "meta-split")


def modes(decided):
    """{(file, table): mode} of every table and write twin."""
    out = {}
    for t in decided["tables"]:
        out[(t["file"], t["name"])] = t["mode"]
        if t.get("split"):
            out[(t["file"], t["split"]["write_name"])] = \
                t["split"]["write_mode"]
    return out


def linked_copy(src, dst):
    """A copy of the tree whose files are hard links (the analysis only
    reads them); a file about to be rewritten gets its own inode first,
    so the source tree is never written.  A plain copy across devices."""
    r = subprocess.run(["cp", "-al", src, dst], capture_output=True)
    if r.returncode != 0:
        shutil.rmtree(dst, ignore_errors=True)
        copy_plain_tree(src, dst)
    return dst


def rewrite(src, work, name):
    """A copy of src with the rewrite applied to every file that walks a
    table; returns (tree, number of files it changed)."""
    tree = linked_copy(src, os.path.join(str(work), name))
    files = sorted({p for p, _n, _w in candidates.walk_calls(tree)})
    before = {}
    for rel in files:
        path = os.path.join(tree, rel)
        with open(path, "rb") as f:
            before[rel] = f.read()
        tmp = path + ".pgwalk-tmp"
        with open(tmp, "wb") as f:
            f.write(before[rel])
        os.replace(tmp, path)
    spatch_in_place(tree, os.path.join(COCCI, name + ".cocci"), files,
                    define=())
    changed = 0
    for rel in files:
        with open(os.path.join(tree, rel), "rb") as f:
            changed += f.read() != before[rel]
    return tree, changed


_TWINS = {}


def original_twins(tree):
    return _TWINS[tree]


@pytest.fixture(scope="module")
def original():
    tree = need_real_tree()
    decided = decisions.analyze(tree, jobs=2)
    _TWINS[tree] = {(t["file"], t["split"]["write_name"])
                    for t in decided["tables"] if t.get("split")}
    return tree, modes(decided)


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("metamorphic")


def differences(a, b):
    return sorted("%s:%s %s -> %s" % (k[0], k[1], a.get(k), b.get(k))
                  for k in set(a) | set(b) if a.get(k) != b.get(k))


# Rewrites after which a split is not made: the split edit gives the
# function that walks the table a parameter in place of `&table` in its
# body, and after these the table is named elsewhere (in a getter, or in
# the caller of a wrapper or of the function split out).  The table then
# keeps its read mode and the write twin is missing; nothing else may
# differ.  (A gap, named here so that it cannot grow unseen.)
SPLIT_NOT_MADE = ("meta-getter", "meta-wrapper", "meta-split")


@pytest.mark.parametrize("name", REWRITES)
def test_rewrite_keeps_every_mode(original, work, name):
    src, before = original
    tree, changed = rewrite(src, work, name)
    assert changed >= 10, "%s changed only %d files" % (name, changed)
    after = modes(decisions.analyze(tree, jobs=2))
    diff = differences(before, after)
    print("%s: %d files rewritten, %d tables, %d differ" % (
        name, changed, len(before), len(diff)))
    print("\n".join(diff))
    if name in SPLIT_NOT_MADE:
        # Only the write twins may go missing.
        before = {k: v for k, v in before.items()
                  if k not in original_twins(src)}
        diff = differences(before, after)
    assert not diff, "\n".join(diff)


def _without_rule(monkeypatch, tmp_path, cocci, rules):
    from test_constructs import remove_rule
    dst = tmp_path / "semantic-patches"
    shutil.copytree(SEMANTIC_PATCHES, dst)
    text = (dst / cocci).read_text()
    for rule in rules.split():
        text = remove_rule(text, rule)
    (dst / cocci).write_text(text)
    monkeypatch.setenv("PGWALK_SEMANTIC_PATCHES", str(dst))


def _no_callers(monkeypatch, tmp_path):
    # Without following a walk up to its callers, the lock must be taken
    # in the walk's own function.
    monkeypatch.setattr(factindex.Facts, "callers",
                        lambda self, relpath, name: [])


# rewrite -> (what handles it, how to take it out)
HANDLED_BY = {
    "meta-getter": ("facts.cocci rules ret, ret_value (getters)",
                    lambda mp, tmp: _without_rule(mp, tmp, "facts.cocci",
                                                  "ret_value ret")),
    "meta-local": ("facts.cocci rules pick, pick_decl, ops_local (locals "
                   "that pick or hold a table)",
                   lambda mp, tmp: _without_rule(mp, tmp, "facts.cocci",
                                                 "pick pick_decl ops_local")),
    "meta-wrapper": ("facts.cocci rule param (arguments bound to "
                     "parameters along a path)",
                     lambda mp, tmp: _without_rule(mp, tmp, "facts.cocci",
                                                   "param")),
    "meta-split": ("paths: a walk followed up to its callers",
                   _no_callers),
}


@pytest.mark.parametrize("name", REWRITES)
def test_rewrite_needs_its_rule(original, work, tmp_path, monkeypatch,
                                name):
    src, _before = original
    what, remove = HANDLED_BY[name]
    remove(monkeypatch, tmp_path)
    before = modes(decisions.analyze(src, jobs=2))
    tree = os.path.join(str(work), name)
    if not os.path.isdir(tree):
        tree, _n = rewrite(src, work, name)
    after = modes(decisions.analyze(tree, jobs=2))
    diff = differences(before, after)
    print("%s without %s: %d tables differ" % (name, what, len(diff)))
    assert diff, "%s keeps every mode without %s" % (name, what)
