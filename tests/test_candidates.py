# SPDX-License-Identifier: GPL-2.0
"""Candidates (scripts/pgwalk/analysis/candidates.py): which files of a
tree can matter, found with git grep, on a small tree of C files
(tests/fixtures/candidates), as a git checkout and as a plain tree.

The grep cache across trees is tested in test_memo.py.
"""

import logging
import os
import shutil
import subprocess

import pytest

from conftest import FIXTURES, git_repo
from pgwalk import runner
from pgwalk.analysis import candidates, contract

pytestmark = pytest.mark.unit

# A small tree: walkers declared in the API header and in mm's internal
# header, a table and its walk (and walks in comments), a walker that
# ignores walk_lock, a callback stored in a structure, the walkers' own
# file (not a caller) and userspace under tools/ (not the kernel's).
CANDIDATES = os.path.join(FIXTURES, "candidates")


def write(tree, files):
    for relpath, text in files.items():
        path = os.path.join(tree, relpath)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)


def core_search(command):
    """Is this git grep the walker contract's search for the files of the
    walker core (once per tree; the walks' callers are not its job)?"""
    return " grep -l " in command


def git(tree, *args):
    return subprocess.run(["git", "-C", tree, *args], check=True,
                          capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def contract_cache(tmp_path_factory):
    """A cache holding the small tree's walker contract: the contract is
    contract.py's (test_contract.py), read here from its cache entry,
    which is keyed by the core files' content, instead of two spatch
    runs for each test."""
    work = tmp_path_factory.mktemp("contract")
    t = str(work / "linux")
    shutil.copytree(CANDIDATES, t)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PGWALK_CACHE", str(work / "cache"))
        contract.derive(t)
    return str(work / "cache" / "memo" / "contract")


@pytest.fixture(params=["git", "plain"])
def tree(request, tmp_path, monkeypatch, contract_cache):
    """The same small tree as a git checkout and as a plain unpacked tree
    (searched on disk), with a cache of its own that knows its
    contract."""
    monkeypatch.setenv("PGWALK_CACHE", str(tmp_path / "cache"))
    shutil.copytree(contract_cache,
                    str(tmp_path / "cache" / "memo" / "contract"))
    t = str(tmp_path / "linux")
    shutil.copytree(CANDIDATES, t)
    if request.param == "git":
        git_repo(t)
    else:
        # Debian's tarballs carry a .gitignore that ignores everything.
        write(t, {".gitignore": "/*\n"})
    return t


def test_walkers_are_every_declared_function_taking_ops(tree):
    assert candidates.walkers(tree) == {
        "walk_page_range": 3, "walk_page_vma": 1,
        "walk_page_mapping": 3, "walk_page_range_debug": 3}


def test_core_files_define_the_walkers(tree):
    # mm/mapping.c has a function taking an ops pointer too, but it is no
    # walker of the tree (no header declares it): its walk is a caller's.
    assert candidates.core_files(tree) == {"mm/pagewalk.c"}


def test_a_tree_without_walkers_is_named(tmp_path):
    with pytest.raises(contract.ContractError) as err:
        candidates.walkers(str(tmp_path))
    assert "no file declares a function taking a struct mm_walk_ops" in \
        str(err.value)


def test_walk_calls_skip_comments_the_core_and_tools(tree):
    known = candidates.walkers(tree)
    assert candidates.walk_calls(tree, known) == [
        ("mm/madvise.c", 8, "walk_page_range"),
        ("mm/mapping.c", 4, "walk_page_mapping")]
    assert candidates.walk_calls(tree) == candidates.walk_calls(tree, known)


def test_table_files_name_the_type(tree):
    """The files round 0 reads for tables: every file that names the
    type (a pointer parameter too); which of them define a table is the
    facts' to say, not a regular expression's."""
    assert candidates.table_files(tree) == ["mm/madvise.c", "mm/mapping.c"]


def test_callers_files_call_the_function(tree):
    # mm/mapping.c names clean_fault in a structure and calls it; the
    # structure alone would not make a caller.
    assert candidates.callers_files(tree, {"clean_fault"}) == \
        ["mm/mapping.c"]
    assert candidates.callers_files(tree, {"cold_pmd_entry"}) == []
    assert candidates.callers_files(tree, set()) == []


def test_word_hits_are_the_callers_index(tree):
    hits = candidates.word_hits(tree, {"cold_pmd_entry", "clean_fault",
                                       "walk_page_range", "nowhere"})
    assert hits == {"mm/madvise.c": {"cold_pmd_entry", "walk_page_range"},
                    "mm/mapping.c": {"clean_fault"}}
    only = candidates.word_hits(tree, {"walk_page_range", "clean_fault"},
                                only=["mm/mapping.c"])
    assert only == {"mm/mapping.c": {"clean_fault"}}
    assert candidates.word_hits(tree, set()) == {}
    assert candidates.word_hits(tree, {"clean_fault"}, only=[]) == {}


def test_word_hits_find_a_name_that_extends_another(tree):
    """A name whose prefix is also asked for: "clean" matches first in
    "clean_fault(" and is not a word there; clean_fault must still be
    found (one alternation of both names missed it)."""
    assert candidates.word_hits(tree, {"clean", "clean_fault"}) == {
        "mm/mapping.c": {"clean", "clean_fault"}}
    write(tree, {"mm/other.c": "void g(void)\n{\n\tclean_fault(0);\n}\n"})
    if os.path.isdir(os.path.join(tree, ".git")):
        git(tree, "add", "-A")
        git(tree, "commit", "-qm", "other")
    assert candidates.word_hits(tree, {"clean", "clean_fault"})[
        "mm/other.c"] == {"clean_fault"}


def test_word_hits_find_names_past_the_first_chunk(tree):
    names = {"unused_%03d" % i for i in range(450)} | {"clean_fault"}
    assert candidates.word_hits(tree, names) == {
        "mm/mapping.c": {"clean_fault"}}


def test_grep_gives_line_numbers_and_text(tree):
    hits = candidates.grep(tree, r"\bcold_walk_ops\b")
    assert hits == {"mm/madvise.c": [
        (1, "static const struct mm_walk_ops cold_walk_ops = {"),
        (8, "\twalk_page_range(vma->vm_mm, 0, 1, &cold_walk_ops, NULL);"),
        (9, "\t// walk_page_vma(vma, &cold_walk_ops, NULL);")]}
    # -w: whole words only.
    assert candidates.grep(tree, "clean", words=True) == {
        "mm/mapping.c": [(1, "static int clean(struct address_space "
                          "*mapping,")]}


def test_in_comment():
    line = "\tf(); /* walk_page_range( */ walk_page_vma(x);"
    assert candidates.in_comment(line, line.index("walk_page_range"))
    assert not candidates.in_comment(line, line.index("walk_page_vma"))
    assert candidates.in_comment(" * walk_page_range() does", 3)
    assert candidates.in_comment("\tx = 1; // walk_page_range()", 14)
    assert not candidates.in_comment("\twalk_page_range(mm);", 1)


def test_enclosing_function(tree):
    assert candidates.enclosing_function(tree, "mm/madvise.c", 8) == \
        "cold_range"
    assert candidates.enclosing_function(tree, "mm/mapping.c", 4) == "clean"
    assert candidates.enclosing_function(tree, "mm/mapping.c", 13) == \
        "helper"
    # Before any function: no name to give.
    assert candidates.enclosing_function(tree, "mm/madvise.c", 2) == "?"


def test_a_change_not_yet_committed_is_searched(tmp_path, monkeypatch):
    """Inside searching() a clean checkout's answers are kept by tree id;
    a file changed on disk makes the tree unclean, and is read as it is."""
    monkeypatch.setenv("PGWALK_CACHE", str(tmp_path / "cache"))
    t = str(tmp_path / "linux")
    with open(os.path.join(CANDIDATES, "mm", "madvise.c")) as f:
        madvise = f.read()
    write(t, {"mm/madvise.c": madvise})
    git_repo(t)
    with candidates.searching(t):
        assert candidates.table_files(t) == ["mm/madvise.c"]
    write(t, {"mm/madvise.c": madvise.replace("struct mm_walk_ops",
                                              "struct other_ops")})
    with candidates.searching(t):
        assert candidates.table_files(t) == []
    git(t, "commit", "-qam", "no table")
    with candidates.searching(t):
        assert candidates.table_files(t) == []


def test_files_named_are_listed_once_per_tree(tree, caplog):
    """Questions about named files, round after round with other names,
    read each file's words once (inside searching(), on a git tree) and
    answer as git grep -w would.  The searches are counted from the
    command lines the runner logs."""
    caplog.set_level(logging.DEBUG, logger=runner.LOG.name)
    files = ["mm/madvise.c", "mm/mapping.c"]
    with candidates.searching(tree):
        first = candidates.word_hits(tree, {"clean_fault"}, only=files)
        second = candidates.word_hits(tree, {"cold_pmd_entry", "clean"},
                                      only=files)
    assert first == {"mm/mapping.c": {"clean_fault"}}
    assert second == {"mm/madvise.c": {"cold_pmd_entry"},
                      "mm/mapping.c": {"clean"}}
    greps = [m for m in (r.getMessage() for r in caplog.records)
             if " grep " in m and not core_search(m)]
    if os.path.isdir(os.path.join(tree, ".git")):
        assert len(greps) == 1 and all(f in greps[0] for f in files)


def test_a_tree_known_clean_is_not_asked_again(tree, caplog):
    """apply.sh has just seen git status say the tree is clean: its
    analysis (a searching() block inside the caller's) asks no second
    git status, and still answers from the grep cache by tree id."""
    caplog.set_level(logging.DEBUG, logger=runner.LOG.name)
    with candidates.searching(tree, clean=True):
        with candidates.searching(tree):
            first = candidates.word_hits(tree, {"clean_fault"})
            again = candidates.word_hits(tree, {"clean_fault"})
    said = [r.getMessage() for r in caplog.records]
    assert not [m for m in said if " status " in m]
    assert first == again == {"mm/mapping.c": {"clean_fault"}}
    if os.path.isdir(os.path.join(tree, ".git")):
        # The second question came from the cache kept by tree id.
        assert len([m for m in said
                    if " grep " in m and not core_search(m)]) == 1
    # Without clean=True the block asks.
    with candidates.searching(tree):
        pass
    if os.path.isdir(os.path.join(tree, ".git")):
        assert " status " in caplog.records[-1].getMessage()
