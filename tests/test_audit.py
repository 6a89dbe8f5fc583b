# SPDX-License-Identifier: GPL-2.0
"""Trees that move on: audit and partial conversions (regenerations are
in test_revision.py).

The minitree is converted by apply.sh, then edited the way later kernels
differ (a mode changed, removed, computed, or one this toolkit does not
know), and the audit and a regeneration must say exactly that.
"""

import glob
import os
import re
import shutil
import subprocess

import pytest

from conftest import FIXTURES, git_init, run_apply

pytestmark = pytest.mark.unit


def git(tree, *args):
    return subprocess.run(["git", "-C", tree, *args], capture_output=True,
                          text=True, check=True).stdout


def commit_all(tree, msg):
    git(tree, "add", "-A")
    git(tree, "commit", "-qm", msg)


def edit(tree, relpath, old, new):
    path = os.path.join(tree, relpath)
    text = open(path).read()
    assert old in text, (relpath, old)
    open(path, "w").write(text.replace(old, new))


def post_minitree(tmp_path):
    """The minitree as a git tree, and its series posted once (v1)."""
    tree = str(tmp_path / "tree")
    shutil.copytree(os.path.join(FIXTURES, "minitree"), tree)
    git_init(tree)
    commit_all(tree, "base")
    r = run_apply("--no-checkpatch", tree, str(tmp_path / "v1"))
    assert r.returncode == 0, r.stderr
    return tree


@pytest.fixture
def converted(tmp_path):
    """The minitree with the series applied: core and every mode."""
    tree = post_minitree(tmp_path)
    git(tree, "checkout", "-q", "pgwalk/series")
    git(tree, "checkout", "-q", "-b", "converted")
    return tree


def audit(tree):
    return run_apply("--audit", tree)


def lines_of(out):
    return {m.group(1): m.group(2) for m in
            re.finditer(r"^\S+:\d+: (\w+): ([a-z ()]+): ", out, re.M)}


def test_audit_of_a_converted_tree_agrees(converted):
    r = audit(converted)
    assert r.returncode == 0, r.stdout + r.stderr
    assert lines_of(r.stdout) == {"mincore_walk_ops": "agree",
                                  "prot_none_walk_ops": "agree"}
    assert re.search(r"^mm/mincore.c:\d+: mincore_walk_ops: agree: declared "
                     r"PGWALK_RDLOCK, inferred PGWALK_RDLOCK$", r.stdout, re.M)
    assert "audit: 2 tables: 2 agree, 0 disagree" in r.stdout


def test_audit_reports_each_kind_of_difference(converted):
    edit(converted, "mm/mincore.c", "PGWALK_RDLOCK", "PGWALK_WRLOCK")
    edit(converted, "mm/mprotect.c", "\t.walk_lock\t\t= PGWALK_WRLOCK,\n", "")
    with open(os.path.join(converted, "mm", "newer.c"), "w") as f:
        f.write(open(os.path.join(converted, "mm", "mincore.c")).read()
                .replace("mincore", "newer")
                .replace("PGWALK_WRLOCK", "PGWALK_FUTURE_MODE"))
    with open(os.path.join(converted, "mm", "known.c"), "w") as f:
        # A mode of newer kernels that this tree's core does not have.
        f.write(open(os.path.join(converted, "mm", "mincore.c")).read()
                .replace("mincore", "known")
                .replace("PGWALK_WRLOCK", "PGWALK_VMA_RDLOCK_VERIFY"))
    with open(os.path.join(converted, "mm", "computed.c"), "w") as f:
        f.write(open(os.path.join(converted, "mm", "mincore.c")).read()
                .replace("mincore", "computed")
                .replace("PGWALK_WRLOCK", "IS_ENABLED(CONFIG_X) ? "
                         "PGWALK_WRLOCK : PGWALK_RDLOCK"))
    commit_all(converted, "a newer tree")
    r = audit(converted)
    assert r.returncode == 1, r.stdout + r.stderr
    got = lines_of(r.stdout)
    assert got == {"mincore_walk_ops": "disagree",
                   "prot_none_walk_ops": "missing",
                   "newer_walk_ops": "unknown mode",
                   "known_walk_ops": "unknown mode",
                   "computed_walk_ops": "not a constant"}, r.stdout
    assert "declared PGWALK_WRLOCK, inferred PGWALK_RDLOCK: mmap lock held " \
        "for read on every path" in r.stdout
    # A mode the tree's own enum does not declare is named as such.
    assert "declared PGWALK_FUTURE_MODE, which the tree's enum " \
        "page_walk_lock does not declare; the analysis infers " \
        "PGWALK_RDLOCK" in r.stdout
    assert "declared PGWALK_VMA_RDLOCK_VERIFY, which the tree's enum " \
        "page_walk_lock does not declare" in r.stdout
    # A computed mode: what it can be and what it depends on.
    assert "walk_lock = IS_ENABLED(CONFIG_X) ? PGWALK_WRLOCK : " \
        "PGWALK_RDLOCK is computed at run time from IS_ENABLED(CONFIG_X) " \
        "(one of PGWALK_RDLOCK, PGWALK_WRLOCK); the analysis infers " \
        "PGWALK_RDLOCK" in r.stdout
    assert "None" not in r.stdout


def test_audit_agrees_with_a_table_that_relies_on_the_default(converted):
    """No walk_lock, and the analysis infers the mode the tree's core
    gives such a table: agreement, and the audit passes."""
    edit(converted, "mm/mincore.c", "\t.walk_lock\t\t= PGWALK_RDLOCK,\n", "")
    commit_all(converted, "rely on the default")
    r = audit(converted)
    assert r.returncode == 0, r.stdout + r.stderr
    assert lines_of(r.stdout) == {"mincore_walk_ops": "agree (default)",
                                  "prot_none_walk_ops": "agree"}, r.stdout
    assert "no walk_lock: the default PGWALK_RDLOCK, which the analysis " \
        "infers" in r.stdout
    assert "1 agree (default)" in r.stdout


def test_partial_tree_gets_only_what_is_missing(converted, tmp_path):
    edit(converted, "mm/mprotect.c", "\t.walk_lock\t\t= PGWALK_WRLOCK,\n", "")
    commit_all(converted, "lose a mode")
    r = run_apply("--no-checkpatch", converted, str(tmp_path / "partial"))
    assert r.returncode == 0, r.stderr
    patches = sorted(glob.glob(str(tmp_path / "partial" / "0*.patch")))
    names = [os.path.basename(p) for p in patches]
    assert names == ["0000-cover-letter.patch",
                     "0001-mm-mprotect-annotate-page-walks-with-PGWALK_"
                     "WRLOCK.patch"], names
    body = open(patches[1]).read()
    assert "+\t.walk_lock\t\t= PGWALK_WRLOCK," in body
    assert "pagewalk.h" not in body and "mincore" not in body


def test_fully_converted_tree_makes_no_series(converted, tmp_path):
    r = run_apply("--no-checkpatch", converted, str(tmp_path / "none"))
    assert r.returncode == 0, r.stderr
    assert "nothing to do" in r.stdout
    assert not glob.glob(str(tmp_path / "none" / "*.patch"))


def test_a_converted_tree_with_a_wrong_mode_is_not_said_right(converted,
                                                              tmp_path):
    """Every table setting walk_lock is not every table setting the right
    one: a converted tree with one mode its callers' lock does not allow
    was once told "already converted" (every table has the field) and
    nothing else.  The series leaves a mode the tree chose to the audit,
    and apply.sh names the table it disagrees with."""
    path = os.path.join(converted, "mm", "mprotect.c")
    with open(path) as f:
        text = f.read()
    assert "PGWALK_WRLOCK," in text
    with open(path, "w") as f:
        f.write(text.replace("PGWALK_WRLOCK,", "PGWALK_RDLOCK,", 1))
    git(converted, "commit", "-qam", "a wrong mode")
    r = run_apply("--no-checkpatch", converted, str(tmp_path / "fix"))
    assert r.returncode == 0, r.stderr
    assert "already converted" not in r.stdout
    assert "nothing to do" not in r.stdout
    assert "1 of them declares a mode the analysis disagrees with" in \
        " ".join(r.stdout.split())
    assert re.search(r"^  mm/mprotect.c:\d+: prot_none_walk_ops: disagree: "
                     r"declared PGWALK_RDLOCK, inferred PGWALK_WRLOCK",
                     r.stdout, re.M), r.stdout
    assert not glob.glob(str(tmp_path / "fix" / "*.patch"))


CONTRACT = {"modes": [{"name": "PGWALK_RDLOCK", "default": True},
                      {"name": "PGWALK_WRLOCK", "default": False}]}


def declared_table(review, **fields):
    """A decisions.json record of a table that declares PGWALK_WRLOCK,
    where the analysis fell back to PGWALK_RDLOCK."""
    return dict({"name": "t_ops", "file": "mm/t.c", "line": 1,
                 "walkers": ["walk_page_range"], "action": "none",
                 "mode": "PGWALK_WRLOCK", "declared": "PGWALK_WRLOCK",
                 "inferred": "PGWALK_RDLOCK",
                 "inferred_reason": "the lock some paths hold is chosen "
                 "by a value the analysis does not fix",
                 "review": review}, **fields)


def verdict(t):
    from pgwalk.analysis import audit as auditmod
    from pgwalk.table import Table
    return auditmod.verdict(Table.from_json(t), CONTRACT)


def audit_run(tables, out):
    from pgwalk.analysis import audit as auditmod
    from pgwalk.table import Decisions
    return auditmod.run(None, Decisions.from_json(
        {"tables": tables, "contract": CONTRACT}), out)


def test_audit_does_not_call_an_unsettled_inference_a_disagreement():
    """Where the analysis did not settle a mode (its series would list the
    table for review), the audit says so and names why: the tree's mode is
    neither confirmed nor refuted, and the audit does not fail on it.  A
    settled inference that differs is still a disagreement."""
    why = "t(): the lock is chosen by r->mode, which the path does not fix"
    v, msg = verdict(declared_table([why]))
    assert v == "unverified", msg
    assert msg == "declared PGWALK_WRLOCK; the analysis does not settle a " \
        "mode for its walks (its answer, PGWALK_RDLOCK, is another): " + why
    lines = []
    assert audit_run([declared_table([why])], lines.append) == 0
    v, msg = verdict(declared_table([]))
    assert v == "disagree", msg
    assert audit_run([declared_table([])], lines.append) == 1
    # The same mode, unsettled: not an agreement either.
    same = declared_table([why], inferred="PGWALK_WRLOCK")
    v, msg = verdict(same)
    assert v == "unverified" and "(its answer, PGWALK_WRLOCK, is the " \
        "same)" in msg, msg
    assert verdict(dict(same, review=[]))[0] == "agree"


def test_a_computed_walk_lock_is_not_given_an_unsettled_answer():
    """A declared computed walk_lock (7.3's madvise) where the analysis
    did not settle a mode: the audit line said "the analysis infers
    PGWALK_RDLOCK", the mode its series would only keep for review.  It
    says that now, and why; with the review settled it says "infers"."""
    why = "t(): the lock is chosen by r->mode, which the path does not fix"
    t = declared_table([why], declared="pick(r->mode)",
                       mode="pick(r->mode)", inferred="PGWALK_RDLOCK",
                       declared_can_be=["PGWALK_RDLOCK", "PGWALK_WRLOCK"])
    v, msg = verdict(t)
    assert v == "not a constant", msg
    assert "the analysis infers" not in msg, msg
    assert msg.endswith("the analysis does not settle a mode for its walks "
                        "(its series would keep PGWALK_RDLOCK, for "
                        "review): " + why), msg
    v, msg = verdict(dict(t, review=[]))
    assert msg.endswith("the analysis infers PGWALK_RDLOCK"), msg


def test_a_computed_walk_lock_the_analysis_computes_too_agrees():
    """7.3's madvise declares get_walk_lock(madv_behavior->lock_mode),
    and the analysis now gives the same expression (the lock each path
    holds, as recorded, through the tree's mapping): the audit agrees,
    spacing aside.  Another expression is not an agreement."""
    t = declared_table([], declared="pick ( r -> mode )",
                       mode="pick ( r -> mode )", inferred="pick(r->mode)",
                       inferred_reason="walk_lock = pick(r->mode): ...")
    assert verdict(t) == ("agree", "declared pick(r->mode), inferred "
                          "pick(r->mode)")
    v, _msg = verdict(dict(t, inferred="pick(r->other)"))
    assert v == "not a constant"
