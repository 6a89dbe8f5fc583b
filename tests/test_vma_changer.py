# SPDX-License-Identifier: GPL-2.0
"""Which functions the rules say change a VMA.

facts.cocci's vma_changer names the functions that change a VMA on some
path; calls.cocci reports, in those functions only, the calls reached
with no change first (vma_unchanged).  The analysis reads a walk one
call down from a changer as over a changed VMA unless its call is one of
those.  tests/fixtures/changer/changer.c has a function that changes a
VMA always, one on one path only, one in a loop, and one never."""

import os
import shutil

import pytest

from conftest import FIXTURES, REPO
from pgwalk import cocci
from pgwalk.analysis import facts

pytestmark = pytest.mark.unit


def facts_of(tmp_path, rule):
    tree = tmp_path / "t"
    shutil.copytree(os.path.join(FIXTURES, "changer"), tree / "mm")
    text = facts.rule_text(["walk_page_range"],
                           names=["walk_page_range", "walk_it"],
                           path=os.path.join(REPO, "semantic-patches", rule))
    path = str(tmp_path / rule)
    cocci.write_rule(path, text, facts.FACTS_COCCI)
    return facts.run_spatch(str(tree), ["mm/changer.c"],
                            path)["mm/changer.c"]["facts"]


def test_a_function_is_a_changer_only_if_it_changes_a_vma(tmp_path):
    got = sorted(f["name"] for f in facts_of(tmp_path, "facts.cocci")
                 if f["kind"] == "vma_changer")
    assert got == ["changes_always", "changes_in_a_loop",
                   "changes_on_one_path"]


def test_unchanged_calls_are_reported_in_changers_only(tmp_path):
    got = sorted(f["line"] for f in facts_of(tmp_path, "calls.cocci")
                 if f["kind"] == "vma_unchanged")
    # changes_on_one_path's call of walk_it (line 25) is reached when
    # flags is 0, changes_in_a_loop's (line 36) when n is 0 or no flag is
    # set; changes_always's is not; changes_nothing is no changer.
    assert got == [25, 36]
