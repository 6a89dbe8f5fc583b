# SPDX-License-Identifier: GPL-2.0
"""End to end on the real kernel tree: the series is what the issue asks.

One module-scoped run of apply.sh on a plain copy of the tree (PGWALK_TREE,
Linux 6.1 by default), then each test checks one claim about its output.
"""

import glob
import json
import os
import re
import shutil
import subprocess

import pytest

from conftest import run_apply
from pgwalk.series import claims, mail, textcheck
from pgwalk.table import Decisions

pytestmark = pytest.mark.tree

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
    walker keep their base text byte for byte, but for the one line
    stating the lock a walker that asserts it itself (6.1's
    walk_page_range_novma() asserts the mmap write lock; the weakest mode
    that asks for the mmap lock is PGWALK_RDLOCK); walk_page_mapping()
    asserts none."""
    tree = run["tree"]
    files = git(tree, "grep", "-l", "-w", "mm_walk_ops", "--", "*.c").split()
    untouched = stated = 0
    for relpath in files:
        base = read(tree, relpath)
        for name in re.findall(r"struct\s+mm_walk_ops\s+(\w+)\s*=", base):
            uses = set(re.findall(r"\b(walk_page_\w+)\s*\([^;]*?\b%s\b"
                                  % name, base, re.S))
            if not uses or uses & set(WALKERS_WITH_FIELD):
                continue
            now = table_body(read(applied, relpath), name)
            if uses == {"walk_page_range_novma"}:
                added = [line for line in now.split("\n")
                         if line not in table_body(base, name).split("\n")]
                assert [re.sub(r"\s+", " ", a).strip() for a in added] == \
                    [".walk_lock = PGWALK_RDLOCK,"], (name, added)
                assert now.replace(added[0] + "\n", "") == \
                    table_body(base, name), name
                stated += 1
            else:
                assert now == table_body(base, name), name
                untouched += 1
    assert untouched >= 2 and stated >= 4, (untouched, stated)


def test_rerun_gives_identical_patches(run):
    out2 = str(run["work"] / "out2")
    r = run_apply(run["tree"], out2)
    assert r.returncode == 0, r.stderr[-2000:]
    again = sorted(glob.glob(os.path.join(out2, "0*.patch")))
    assert [os.path.basename(p) for p in again] == \
        [os.path.basename(p) for p in run["patches"]]
    for a, b in zip(run["patches"], again):
        assert read("/", a) == read("/", b), a
    assert read(run["out"], "series.mbox") == read(out2, "series.mbox")


def test_cover_letter_lists_every_table(run):
    cover = read("/", run["patches"][0])
    assert "*** SUBJECT HERE ***" not in cover
    assert "*** BLURB HERE ***" not in cover
    for t in run["decisions"]["tables"]:
        assert t["name"] in cover
        if t.get("split"):
            assert t["split"]["write_name"] in cover
    changed = [t for t in run["decisions"]["tables"] if t["action"] != "none"]
    assert "%d tables get a mode" % len(changed) in " ".join(cover.split())


def test_every_claim_of_the_words_is_a_fact_of_the_decisions(run):
    """Each changelog and the cover letter, read back against
    decisions.json: modes, paths counted by lock, call chains, the
    tables left as they are and why (tests/test_claims.py breaks each
    kind on purpose)."""
    found = claims.check_series(Decisions.from_json(run["decisions"]),
                                run["patches"])
    assert found == [], "\n".join(found)
    # The downgrades are paths held for read (the lock model's, not a
    # write lock taken earlier in the same function).
    for t in run["decisions"]["tables"]:
        for c in t.get("chains") or []:
            if " downgrades " in c["steps"][0]:
                assert c["lock"] == "read", (t["name"], c)


def test_series_text_reads_as_a_maintainer_would_send_it(run):
    """No tool word, review note or file:line in a changelog, no VMA
    locking described on a tree without it, "No functional change" on
    every read-only patch (pgwalk.series.textcheck, whose rules are tested on
    purpose-made defects in test_textcheck.py)."""
    per_vma = run["decisions"].get("per_vma_lock", False)
    assert textcheck.check_series(run["patches"], per_vma) == []
    quiet = 0
    for path in run["patches"][1:]:
        text = read("/", path)
        modes = set(re.findall(r"^\+\s*\.walk_lock\s*=\s*(\w+)", text,
                               re.M))
        if modes == {"PGWALK_RDLOCK"}:
            assert "No functional change" in text.split("\n---\n")[0]
            quiet += 1
    assert quiet >= 1


def addresses(value):
    """Addresses of a To/Cc header (names may hold commas in quotes)."""
    return set(re.findall(r"[\w.+-]+@[\w.-]+", value))


def header(text, name):
    lines, _body = mail.split(text)
    for line in lines:
        if line.startswith(name + ": "):
            return line[len(name) + 2:]
    return ""


def test_to_and_cc_are_what_get_maintainer_says(run):
    """Patch 1 (the core) goes where get_maintainer.pl says; every later
    patch depends on it, so it goes to its own people and lists and to
    the core's."""
    tree = run["tree"]

    def get_maintainer(path):
        return addresses(subprocess.run(
            ["perl", "scripts/get_maintainer.pl", "--no-git",
             "--no-git-fallback", "--no-rolestats", path], cwd=tree,
            capture_output=True, text=True, check=True).stdout)
    core = get_maintainer(run["patches"][1])
    everyone = set()
    for path in run["patches"][1:]:
        text = read("/", path)
        want = get_maintainer(path)
        if path != run["patches"][1]:
            want |= core
        got = addresses(header(text, "To")) | addresses(header(text, "Cc"))
        assert got == want, path
        assert header(text, "To"), path
        everyone |= got
    cover = read("/", run["patches"][0])
    assert addresses(header(cover, "To")) | \
        addresses(header(cover, "Cc")) == everyone


def test_messages_are_threaded_and_unfolded(run):
    cover_id = header(read("/", run["patches"][0]), "Message-Id")
    assert cover_id.startswith("<pgwalk-")
    for path in run["patches"]:
        head = read("/", path).split("\n\n", 1)[0]
        assert not re.search(r"\n[ \t]", head), path     # no folded line
    for path in run["patches"][1:]:
        text = read("/", path)
        assert header(text, "In-Reply-To") == cover_id
        assert header(text, "References") == cover_id


def test_private_base_is_described_not_cited(run):
    cover = read("/", run["patches"][0])
    assert "base-commit:" not in cover
    flat = " ".join(cover.split())
    # A plain tree's import is named as the release it is (the copy
    # here has no .deb-used beside it: the version from its Makefile).
    assert "Based on Linux 6.1." in flat


def fresh_base(run, name):
    tree = run["tree"]
    dst = str(run["work"] / name)
    base = git(tree, "rev-list", "--max-parents=0", "HEAD").strip()
    git(tree, "worktree", "add", "-q", "--detach", dst, base)
    return dst


def test_b4_am_takes_the_mbox_and_git_am_applies_it(run):
    if not shutil.which("b4"):
        pytest.skip("b4 is not installed (scripts/install-deps.sh)")
    got = run["work"] / "b4"
    got.mkdir()
    r = subprocess.run(["b4", "am", "-m", os.path.join(run["out"],
                                                       "series.mbox"),
                        "-o", str(got)], capture_output=True, text=True,
                       cwd=str(got))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Total patches: %d" % (len(run["patches"]) - 1) in \
        r.stdout + r.stderr
    mbx = glob.glob(str(got / "*.mbx"))
    assert len(mbx) == 1, os.listdir(got)
    dst = fresh_base(run, "b4am")
    r = subprocess.run(["git", "-C", dst, "am", "-q", mbx[0]],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert git(dst, "rev-parse", "HEAD^{tree}") == \
        git(run["tree"], "rev-parse", "pgwalk/series^{tree}")


@pytest.fixture(scope="module")
def grouped(run):
    """The series in the three other groupings (apply.sh checks each with
    checkpatch and fails on any error or warning); the branch is put
    back for the other tests."""
    tree = run["tree"]
    branch = git(tree, "rev-parse", "pgwalk/series").strip()
    out = {}
    try:
        for group in ("file", "mode", "single"):
            out[group] = str(run["work"] / ("group-" + group))
            r = run_apply("--group", group, tree, out[group])
            assert r.returncode == 0, r.stderr[-3000:]
    finally:
        git(tree, "update-ref", "refs/heads/pgwalk/series", branch)
    return out


def test_every_grouping_passes_checkpatch_and_ends_the_same(run, grouped):
    tree = run["tree"]
    final = git(tree, "rev-parse", "pgwalk/series^{tree}")
    per_vma = run["decisions"].get("per_vma_lock", False)
    counts = {}
    for group, out in grouped.items():
        with open(os.path.join(out, "series.json")) as f:
            head = json.load(f)["head"]
        assert git(tree, "rev-parse", head + "^{tree}") == final, group
        patches = sorted(glob.glob(os.path.join(out, "0*.patch")))
        assert textcheck.check_series(patches, per_vma) == [], group
        first = read("/", patches[1])
        assert "mm/pagewalk: add an explicit locking rule" in first, group
        counts[group] = len(patches) - 1
    changed = [t for t in run["decisions"]["tables"]
               if t["action"] != "none"]
    assert counts["single"] == 2
    assert counts["file"] == 1 + len({t["file"] for t in changed})
    assert counts["file"] > len(run["patches"]) - 1 > counts["single"]


def test_reroll_gives_v2_subjects_changes_and_range_diff(run):
    out = str(run["work"] / "v2")
    r = run_apply("-v", "2", "--previous", run["out"], run["tree"], out)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "no changes; range-diff: every patch unchanged" in r.stdout
    patches = sorted(glob.glob(os.path.join(out, "0*.patch")))
    n = len(patches) - 1
    for i, path in enumerate(patches):
        # Not built and booted in this test: a request for comments.
        # format-patch pads the number to the width of the total.
        assert header(read("/", path), "Subject").startswith(
            "[RFC PATCH v2 %0*d/%d] " % (len(str(n)), i, n)), path
    cover = read("/", patches[0])
    assert "Changes in v2: none" in " ".join(cover.split())
    assert "Range-diff against v1:" in cover
    rd = read("/", os.path.join(out, "range-diff.txt"))
    assert rd.count(" = ") == n, rd


def test_review_tags_survive_when_the_change_does(run, grouped, tmp_path):
    """Reviewed-by on two patches of a posting; one table's mode changes
    (pinned); the unchanged patch keeps its tag, the other drops it and
    says so after its --- line."""
    tree = run["tree"]
    posting = str(tmp_path / "v1")
    shutil.copytree(grouped["file"], posting)
    tables = {t["name"]: t for t in run["decisions"]["tables"]}
    keep = tables["mlock_walk_ops"]["file"]
    change = tables["mincore_walk_ops"]["file"]
    tag = "Reviewed-by: Rita Viewer <rita@example.org>"
    patched = {}
    for path in sorted(glob.glob(os.path.join(posting, "0*.patch")))[1:]:
        text = read("/", path)
        files = re.findall(r"^diff --git a/(\S+) ", text, re.M)
        if files in ([keep], [change]):
            head, sep, rest = text.partition("\n---\n")
            with open(path, "w") as f:
                f.write(head + "\n" + tag + sep + rest)
            patched[files[0]] = path
    assert len(patched) == 2
    pins = tmp_path / "pins.conf"
    pins.write_text("%s:mincore_walk_ops PGWALK_WRLOCK test: a changed "
                    "mode\n" % change)
    branch = git(tree, "rev-parse", "pgwalk/series").strip()
    out = str(tmp_path / "v2")
    try:
        r = run_apply("--group", "file", "-v", "2", "--pins", str(pins),
                      "--previous", posting, tree, out)
    finally:
        git(tree, "update-ref", "refs/heads/pgwalk/series", branch)
    assert r.returncode == 0, r.stderr[-3000:]
    new = {}
    for path in sorted(glob.glob(os.path.join(out, "0*.patch")))[1:]:
        text = read("/", path)
        files = re.findall(r"^diff --git a/(\S+) ", text, re.M)
        if files in ([keep], [change]):
            new[files[0]] = text
    kept, dropped = new[keep], new[change]
    assert tag in kept.split("\n---\n")[0]
    assert "Dropped" not in kept
    message, _sep, below = dropped.partition("\n---\n")
    assert tag not in message
    assert "Dropped Reviewed-by from Rita Viewer <rita@example.org> " \
        "(given on v1 to \"%s\"): the change differs." % header(
            read("/", patched[change]), "Subject").split("] ", 1)[1] \
        in " ".join(below.split())
    cover = read("/", os.path.join(out, "0000-cover-letter.patch"))
    assert "Changes in v2:" in cover
    assert "mincore_walk_ops" in cover.split("Changes in v2:")[1]
