"""End to end on the real kernel tree: the series is what the issue asks.

One module-scoped run of apply.sh on a plain copy of the tree (PGWALK_TREE,
Linux 6.1 by default), then each test checks one claim about its output.
"""

import glob
import os
import re
import subprocess

import pytest

from conftest import run_apply

WALKERS_WITH_FIELD = ("walk_page_range", "walk_page_vma",
                      "walk_page_range_vma")


def git(tree, *args, **kw):
    return subprocess.run(["git", "-C", tree, *args], capture_output=True,
                          text=True, check=True, **kw).stdout


@pytest.fixture(scope="module")
def run(real_series):
    return real_series


@pytest.fixture(scope="module")
def applied(run):
    """A fresh checkout of the base with the patches applied by git am."""
    tree = run["tree"]
    dst = str(run["work"] / "am")
    base = git(tree, "rev-list", "--max-parents=0", "HEAD").strip()
    git(tree, "worktree", "add", "-q", "--detach", dst, base)
    r = subprocess.run(["git", "-C", dst, "am", "-q", *run["patches"][1:]],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    return dst


def table_body(text, name):
    m = re.search(r"struct\s+mm_walk_ops\s+%s\s*=\s*\{(.*?)\};" % name,
                  text, re.S)
    return m and m.group(1)


def read(tree, relpath):
    with open(os.path.join(tree, relpath)) as f:
        return f.read()


def test_user_checkout_is_untouched_and_branch_made(run):
    tree = run["tree"]
    assert git(tree, "status", "--porcelain") == ""
    assert git(tree, "rev-list", "--count", "HEAD").strip() == "1"
    n = int(git(tree, "rev-list", "--count",
                "HEAD..pgwalk/series").strip())
    assert n == len(run["patches"]) - 1


def test_first_patch_is_the_core_only(run):
    first = run["patches"][1]
    text = read("/", first)
    assert "mm/pagewalk: add an explicit locking rule" in text
    files = re.findall(r"^diff --git a/(\S+)", text, re.M)
    assert files == ["include/linux/pagewalk.h", "mm/pagewalk.c"]


def test_patches_apply_with_git_am_to_a_fresh_base(applied):
    assert "enum page_walk_lock" in read(applied,
                                         "include/linux/pagewalk.h")


def test_every_annotated_table_carries_its_decided_mode(run, applied):
    checked = 0
    for t in run["decisions"]["tables"]:
        if t["action"] == "none":
            continue
        body = table_body(read(applied, t["file"]), t["name"])
        assert body is not None, t["name"]
        assert re.search(r"\.walk_lock\s*=\s*%s\s*," % t["mode"], body), \
            (t["name"], body)
        checked += 1
    assert checked >= 15


def test_issue_examples_get_the_modes_the_rules_give(run, applied):
    tables = {t["name"]: t for t in run["decisions"]["tables"]}
    assert tables["mlock_walk_ops"]["mode"] == "PGWALK_WRLOCK_VERIFY"
    assert tables["clear_refs_walk_ops"]["mode"] == "PGWALK_WRLOCK"
    qp = tables["queue_pages_walk_ops"]
    assert qp["action"] == "split" and qp["mode"] == "PGWALK_RDLOCK"
    twin = qp["split"]["write_name"]
    assert qp["split"]["write_mode"] == "PGWALK_WRLOCK"
    text = read(applied, "mm/mempolicy.c")
    assert re.search(r"\.walk_lock\s*=\s*PGWALK_WRLOCK\s*,",
                     table_body(text, twin))
    by_caller = {c["function"]: c["table"] for c in qp["split"]["callers"]}
    assert by_caller["do_mbind"] == twin
    assert by_caller["migrate_to_node"] == "queue_pages_walk_ops"


def test_novma_and_mapping_only_tables_are_untouched(run, applied):
    """Found independently of the analysis: tables never passed to a VMA
    walker keep their base text byte for byte."""
    tree = run["tree"]
    files = git(tree, "grep", "-l", "-w", "mm_walk_ops", "--", "*.c").split()
    untouched = 0
    for relpath in files:
        base = read(tree, relpath)
        for name in re.findall(r"struct\s+mm_walk_ops\s+(\w+)\s*=", base):
            uses = re.findall(r"\b(walk_page_\w+)\s*\([^;]*?\b%s\b" % name,
                              base, re.S)
            if uses and not set(uses) & set(WALKERS_WITH_FIELD):
                assert table_body(read(applied, relpath), name) == \
                    table_body(base, name), name
                untouched += 1
    assert untouched >= 5


def test_rerun_gives_identical_patches(run):
    out2 = str(run["work"] / "out2")
    r = run_apply(run["tree"], out2)
    assert r.returncode == 0, r.stderr[-2000:]
    again = sorted(glob.glob(os.path.join(out2, "0*.patch")))
    assert [os.path.basename(p) for p in again] == \
        [os.path.basename(p) for p in run["patches"]]
    for a, b in zip(run["patches"], again):
        assert read("/", a) == read("/", b), a


def test_cover_letter_lists_every_table(run):
    cover = read("/", run["patches"][0])
    assert "*** SUBJECT HERE ***" not in cover
    assert "*** BLURB HERE ***" not in cover
    for t in run["decisions"]["tables"]:
        assert t["name"] in cover
    assert "No mode is pinned" in cover


def test_regeneration_against_previous_output_reports_no_changes(run):
    out3 = str(run["work"] / "out3")
    r = run_apply("--previous", run["out"], run["tree"], out3)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "no changes; range-diff: every patch unchanged" in r.stdout
    cover = read("/", os.path.join(out3, "0000-cover-letter.patch"))
    assert "Changes since the previous posting: no changes" in cover
    rd = read("/", os.path.join(out3, "range-diff.txt"))
    assert rd.count(" = ") == len(run["patches"]) - 1, rd
