# SPDX-License-Identifier: GPL-2.0
"""The series stage: MAINTAINERS order, commits, messages, checkpatch.

These use hand-made decisions (test data, not analysis output) so that the
series stage is tested on its own.
"""

import os
import shutil
import subprocess

import pytest

from conftest import FIXTURES, git_repo, need_real_tree
from pgwalk.series import commits, maintainers, messages, posting


def git(tree, *args):
    return subprocess.run(["git", "-C", tree, *args], capture_output=True,
                          text=True, check=True).stdout


@pytest.fixture
def minigit(tmp_path):
    tree = str(tmp_path / "mini")
    shutil.copytree(os.path.join(FIXTURES, "minitree"), tree)
    return git_repo(tree)


def table(name, relpath, mode, **kw):
    t = {"name": name, "file": relpath, "line": 1, "function": None,
         "walkers": ["walk_page_range"], "action": "annotate", "mode": mode,
         "reason": "test data", "evidence": ["test evidence for %s" % name],
         "review": [], "pinned": False, "pin_reason": None, "split": None}
    t.update(kw)
    return t


@pytest.mark.unit
def test_most_specific_maintainers_section_wins(minigit):
    sections = maintainers.parse(minigit)
    assert maintainers.section_of(sections, "mm/mincore.c") == "MINCORE"
    assert maintainers.section_of(sections, "mm/mprotect.c") == \
        "MEMORY MANAGEMENT"
    assert maintainers.section_of(sections, "drivers/x.c") == "THE REST"


@pytest.mark.unit
def test_subject_prefixes_follow_kernel_style():
    assert maintainers.subject_prefix("mm/mlock.c") == "mm/mlock"
    assert maintainers.subject_prefix("arch/s390/mm/gmap.c") == "s390/gmap"
    assert maintainers.subject_prefix("fs/proc/task_mmu.c") == \
        "fs/proc/task_mmu"


@pytest.mark.unit
def test_patches_follow_the_core_section_first(minigit):
    order = commits.patch_order(minigit, ["mm/mincore.c", "mm/mprotect.c"])
    assert order == ["mm/mprotect.c", "mm/mincore.c"]


@pytest.mark.unit
def test_commits_leave_worktree_index_and_branch_alone(minigit):
    head = git(minigit, "rev-parse", "HEAD").strip()
    decided = {"tables": [table("mincore_walk_ops", "mm/mincore.c",
                                "PGWALK_RDLOCK")], "per_vma_lock": False}
    new = commits.make_commits(minigit, head, decided,
                               {"mm/pagewalk.c": "/* core */\n"},
                               {"mm/mincore.c": "/* edited */\n"})
    assert git(minigit, "rev-parse", "HEAD").strip() == head
    assert git(minigit, "status", "--porcelain") == ""
    log = git(minigit, "log", "--format=%s", "%s..%s" % (head, new))
    assert log.splitlines() == [
        "mm/mincore: annotate page walks with PGWALK_RDLOCK",
        "mm/pagewalk: add an explicit locking rule to struct mm_walk_ops"]
    assert git(minigit, "show", "%s:mm/mincore.c" % new) == "/* edited */\n"


@pytest.mark.unit
def test_commits_are_identical_when_made_again(minigit):
    head = git(minigit, "rev-parse", "HEAD").strip()
    decided = {"tables": [table("mincore_walk_ops", "mm/mincore.c",
                                "PGWALK_RDLOCK")]}
    args = (minigit, head, decided, {}, {"mm/mincore.c": "x\n"})
    assert commits.make_commits(*args) == commits.make_commits(*args)


FOUR = [table("prot_none_walk_ops", "mm/mprotect.c", "PGWALK_WRLOCK",
              line=10),
        table("prot_read_walk_ops", "mm/mprotect.c", "PGWALK_RDLOCK",
              line=20),
        table("mincore_walk_ops", "mm/mincore.c", "PGWALK_RDLOCK"),
        table("other_walk_ops", "mm/other.c", "PGWALK_WRLOCK_VERIFY")]


def names_of(groups):
    return [[t["name"] for t in g] for g in groups]


@pytest.mark.unit
def test_groupings(minigit):
    decided = {"tables": FOUR}
    assert names_of(commits.plan(minigit, decided, "file")) == [
        ["prot_none_walk_ops", "prot_read_walk_ops"], ["other_walk_ops"],
        ["mincore_walk_ops"]]
    # MEMORY MANAGEMENT (the core's section) first, then MINCORE.
    assert names_of(commits.plan(minigit, decided, "subsystem")) == [
        ["prot_none_walk_ops", "prot_read_walk_ops", "other_walk_ops"],
        ["mincore_walk_ops"]]
    # No functional change together, each behaviour change alone.
    assert names_of(commits.plan(minigit, decided, "mode")) == [
        ["prot_read_walk_ops", "mincore_walk_ops"], ["prot_none_walk_ops"],
        ["other_walk_ops"]]
    assert names_of(commits.plan(minigit, decided, "single")) == [
        ["prot_none_walk_ops", "prot_read_walk_ops", "other_walk_ops",
         "mincore_walk_ops"]]
    with pytest.raises(commits.SeriesError):
        commits.plan(minigit, decided, "bogus")


@pytest.mark.unit
def test_mode_grouping_commits_each_file_state_in_turn(minigit):
    """A file split over patches gets, at each, the text with the tables
    of that patch and the earlier ones (bisect-safe)."""
    head = git(minigit, "rev-parse", "HEAD").strip()
    decided = {"tables": FOUR[:3]}

    def partial(tree, groups):
        return {f: "/* %s */\n" % " ".join(t["name"] for t in ts)
                for f, ts in groups.items()}
    final = {"mm/mprotect.c": "/* all */\n", "mm/mincore.c": "/* m */\n"}
    new = commits.make_commits(minigit, head, decided, {}, final,
                               "mode", partial_edit=partial)
    made = git(minigit, "rev-list", "--reverse",
               "%s..%s" % (head, new)).split()
    assert len(made) == 2
    assert git(minigit, "show", "%s:mm/mprotect.c" % made[0]) == \
        "/* prot_read_walk_ops */\n"
    assert git(minigit, "show", "%s:mm/mprotect.c" % made[1]) == \
        "/* all */\n"


@pytest.mark.unit
def test_trailers_and_carried_tags_in_every_message(minigit):
    head = git(minigit, "rev-parse", "HEAD").strip()
    decided = {"tables": FOUR[2:3]}
    seen = []

    def carry(patch_id, files):
        seen.append((patch_id, files))
        return ["Reviewed-by: R <r@example.org>"], []
    built = commits.Built(None)
    new = commits.make_commits(
        minigit, head, decided, {"mm/pagewalk.c": "/* core */\n"},
        {"mm/mincore.c": "x\n"},
        trailers=["Link: https://example.org/1"], carry=carry, built=built)
    for c in git(minigit, "rev-list", "%s..%s" % (head, new)).split():
        body = git(minigit, "log", "-1", "--format=%B", c).rstrip()
        assert body.endswith("Link: https://example.org/1\n"
                             "Signed-off-by: Test Maintainer "
                             "<maintainer@pgwalk.test>\n"
                             "Reviewed-by: R <r@example.org>"), body
    assert [f for _pid, f in seen] == [["mm/pagewalk.c"], ["mm/mincore.c"]]
    assert all(len(pid) == 40 for pid, _f in seen)
    assert built.head == new and len(built.patches) == 2


@pytest.mark.unit
def test_message_keeps_notes_out_of_the_changelog():
    t = table("clear_refs_walk_ops", "fs/proc/task_mmu.c", "PGWALK_WRLOCK",
              review=["reached through a function pointer"])
    msg = messages.patch_message(("A B", "a@b.org"), [t], False)
    assert msg.startswith("fs/proc/task_mmu: annotate page walks with "
                          "PGWALK_WRLOCK\n\n")
    flat = " ".join(msg.split())      # the body is wrapped at 72 columns
    assert "so PGWALK_WRLOCK." in flat
    assert "function pointer" not in flat
    assert "test evidence" not in flat
    below = messages.notes_below([t])
    assert "reached through a function pointer" in below
    # The evidence goes to the series' evidence file, not after ---.
    assert "test evidence" not in below
    assert "test evidence for clear_refs_walk_ops" in messages.evidence(
        {"tables": [t]})
    assert msg.rstrip().endswith("Signed-off-by: A B <a@b.org>")
    assert max(len(l) for l in msg.splitlines()) <= 75


@pytest.mark.unit
def test_pinned_table_gives_its_reason_not_the_word():
    t = table("cold_walk_ops", "mm/madvise.c", "PGWALK_WRLOCK", pinned=True,
              pin_reason="maintainer says so")
    msg = messages.patch_message(("A", "a@b"), [t], False)
    assert "cold_walk_ops: maintainer says so, so PGWALK_WRLOCK." in \
        " ".join(msg.split())
    assert "pinned" not in msg
    assert "decisions file" in messages.notes_below([t])
    _subject, body = messages.cover_letter({"tables": [t]}, {})
    assert "maintainer says so" in body and "pinned" not in body


@pytest.mark.unit
def test_subjects_follow_kernel_style():
    one = [table("a_ops", "mm/mlock.c", "PGWALK_WRLOCK_VERIFY")]
    assert messages.patch_subject(one) == \
        "mm/mlock: annotate page walks with PGWALK_WRLOCK_VERIFY"
    mixed = [table("a_ops", "arch/s390/mm/gmap.c", "PGWALK_WRLOCK"),
             table("b_ops", "arch/s390/mm/gmap.c", "PGWALK_RDLOCK")]
    assert messages.patch_subject(mixed) == \
        "s390/gmap: annotate page walks with their locking mode"
    two = [table("a_ops", "mm/damon/vaddr.c", "PGWALK_RDLOCK"),
           table("b_ops", "mm/mincore.c", "PGWALK_RDLOCK")]
    assert messages.patch_subject(two) == \
        "mm: annotate page walks with PGWALK_RDLOCK"
    far = two + [table("c_ops", "fs/proc/task_mmu.c", "PGWALK_RDLOCK")]
    assert messages.patch_subject(far).startswith("treewide: ")


@pytest.mark.unit
def test_cover_counts_and_singular():
    t = [table("a_ops", "mm/mlock.c", "PGWALK_WRLOCK"),
         table("b_ops", "mm/x.c", None, action="none",
               walkers=["walk_page_range_novma"])]
    _s, body = messages.cover_letter({"tables": t}, {
        "patches": [(None, []), (None, t[:1])], "group": "single"})
    flat = " ".join(body.split())
    assert "One table gets a mode, grouped by the reason:" in flat
    assert "One table is only passed to walk_page_range_novma(), which " \
        "does not use walk_lock, and is left as it is: b_ops." in flat
    assert "Patch 1 adds enum page_walk_lock and the checks; no " \
        "functional change. Patch 2 sets the mode of every table passed " \
        "to a VMA walk; it adds an assertion that the mmap lock is held for " \
        "write" in flat
    assert "Testing: not built or booted yet; sent as an RFC" in flat


@pytest.mark.unit
def test_testing_section_from_reports():
    proof = {"build": {"commits": 3, "arches": ["x86_64", "arm64"],
                       "cells": 6, "bad": 0, "built": 4, "objects": 9,
                       "full": {}},
             "boot": {"reached": 5, "walks": 40, "skipped": 2,
                      "problems": []}}
    text = " ".join(messages.testing_section(proof).split())
    assert "(three commits x x86_64 and arm64): no error and no new " \
        "warning against the base: 9 compiles" in text
    assert "Five tables that x86 can reach were walked (40 walks)" in text
    assert "two tables are other architectures'" in text


@pytest.mark.tree
def test_checkpatch_catches_a_bad_patch(tmp_path):
    """The gate is real: a patch with a style error does not pass."""
    tree = need_real_tree()
    good_body = ("From: A B <a@b.org>\nSubject: [PATCH] mm/x: test\n\n"
                 "A description of the change that is long enough.\n\n"
                 "Signed-off-by: A B <a@b.org>\n---\n"
                 " mm/mincore.c | 1 +\n 1 file changed, 1 insertion(+)\n\n"
                 "diff --git a/mm/mincore.c b/mm/mincore.c\n"
                 "--- a/mm/mincore.c\n+++ b/mm/mincore.c\n"
                 "@@ -1,3 +1,4 @@\n"
                 " // SPDX-License-Identifier: GPL-2.0-only\n"
                 "+%s\n"
                 " /*\n"
                 " *\tlinux/mm/mincore.c\n")
    good = tmp_path / "0001-good.patch"
    good.write_text(good_body % "/* fine */")
    bad = tmp_path / "0002-bad.patch"
    bad.write_text(good_body % "int x ;   ")
    for jobs in (1, 2):     # one checkpatch for both, and one each
        problems = posting.checkpatch(tree, [str(good), str(bad)], jobs)
        assert list(problems) == [str(bad)]


@pytest.mark.unit
def test_testing_section_only_from_reports_of_this_series(minigit, tmp_path):
    """reports.find() takes a build report only when it lists exactly the
    series' commits, a boot report only when it booted the head."""
    import json
    from pgwalk.proofs import reports
    base = git(minigit, "rev-parse", "HEAD").strip()
    head = commits.make_commits(minigit, base, {"tables": FOUR[2:3]}, {},
                                {"mm/mincore.c": "x\n"})
    out = tmp_path / "out"
    (out / "build").mkdir(parents=True)
    (out / "boot").mkdir()
    cell = {"status": "OK", "objects": ["mm/mincore.o"]}
    build = {"arches": ["x86_64"], "full": {},
             "commits": [{"commit": head, "cells": {"x86_64": cell}}]}
    (out / "build" / "build-report.json").write_text(json.dumps(build))
    boot = {"series": {"ref": head, "problems": [], "findings": [],
                       "rows": [{"table": "mincore_walk_ops",
                                 "status": "consistent", "walks": 12}]}}
    (out / "boot" / "boot-report.json").write_text(json.dumps(boot))
    proof = reports.find(minigit, str(out), base, head)
    assert proof["build"]["ok"] and proof["boot"]["ok"]
    text = " ".join(messages.testing_section(proof).split())
    assert "(one commit x x86_64): no error and no new warning" in text
    assert "One table that x86 can reach was walked (12 walks)" in text
    # A report of another series (a stale head) is not used.
    stale = dict(boot, series={"ref": base})
    (out / "boot" / "boot-report.json").write_text(json.dumps(stale))
    build["commits"][0]["commit"] = base
    (out / "build" / "build-report.json").write_text(json.dumps(build))
    assert reports.find(minigit, str(out), base, head) == {}
    assert "not built or booted" in messages.testing_section({})
    assert not messages.tested({}) and messages.tested(proof)
    # A failing cell and a splat are said, not hidden.
    fail = reports.build_summary(dict(build, commits=[{
        "commit": head,
        "cells": {"x86_64": {"status": "FAIL", "objects": []}}}]))
    assert not fail["ok"]
    assert "1 of 1 cells failed" in messages.build_words(fail)
    # Compiles answered from an identical earlier compile are said to be.
    kept = reports.build_summary(dict(build, commits=[{
        "commit": head, "cells": {"x86_64": {
            "status": "OK", "objects": ["mm/a.c", "mm/b.c"], "kept": 1}}}]))
    assert kept["kept"] == 1
    assert "2 compiles of the files each commit can affect" in \
        messages.build_words(kept)
    assert "one of them was answered from an identical compile in an " \
        "earlier run" in messages.build_words(kept)
    assert "answered from" not in messages.build_words(
        dict(kept, kept=0))
    splat = reports.boot_summary({"series": dict(boot["series"],
                                                 problems=["lockdep: x"])})
    assert not splat["ok"]
    assert messages.boot_words(splat).startswith("FAIL: lockdep")


@pytest.mark.unit
def test_base_commit_only_when_others_can_have_it(minigit, tmp_path):
    from pgwalk import gitops
    head = git(minigit, "rev-parse", "HEAD").strip()
    assert not gitops.base_is_public(minigit, head)
    # A local tag, or a branch of a remote that is a directory here (the
    # tree a Debian import was cloned from), does not make it public.
    git(minigit, "tag", "v0.1")
    assert not gitops.base_is_public(minigit, head)
    for local in (str(tmp_path), "file://" + str(tmp_path), "../x"):
        git(minigit, "remote", "add", "here", local)
        git(minigit, "update-ref", "refs/remotes/here/main", head)
        assert not gitops.base_is_public(minigit, head), local
        git(minigit, "remote", "remove", "here")
    git(minigit, "remote", "add", "origin", "https://git.example.org/l.git")
    git(minigit, "update-ref", "refs/remotes/origin/main", head)
    assert gitops.base_is_public(minigit, head)
    # A plain tree unpacked by fetch-tree.sh says which package it is.
    tree = tmp_path / "linux-source-6.1"
    tree.mkdir()
    (tree / "Makefile").write_text("VERSION = 6\nPATCHLEVEL = 1\n"
                                   "SUBLEVEL = 192\n")
    assert gitops.plain_tree_origin(str(tree)) == \
        "Linux 6.1.192 (unpacked source)"
    (tmp_path / "linux-source-6.1.deb-used").write_text(
        "linux-source-6.1_6.1.192-2_all.deb\n")
    assert gitops.plain_tree_origin(str(tree)) == \
        "Linux 6.1.192 as shipped in Debian's linux-source-6.1 6.1.192-2"


@pytest.mark.unit
def test_mode_grouping_never_repeats_a_subject(minigit):
    head = git(minigit, "rev-parse", "HEAD").strip()
    two = [table("a_walk_ops", "mm/mprotect.c", "PGWALK_WRLOCK", line=1),
           table("b_walk_ops", "mm/mprotect.c", "PGWALK_WRLOCK", line=2)]
    new = commits.make_commits(minigit, head, {"tables": two}, {},
                               {"mm/mprotect.c": "x\n"},
                               "mode", partial_edit=lambda t, g: {
                                  f: "y\n" for f in g})
    log = git(minigit, "log", "--reverse", "--format=%s",
              "%s..%s" % (head, new)).splitlines()
    assert log == ["mm/mprotect: annotate a_walk_ops with PGWALK_WRLOCK",
                   "mm/mprotect: annotate b_walk_ops with PGWALK_WRLOCK"]


@pytest.mark.unit
def test_index_lines_abbreviate_to_twelve_digits(minigit, tmp_path):
    """The same series gives the same bytes in any repository: git's
    default abbreviation grows with the number of objects, 12 does not
    (a tiny repository gets 7 digits by default)."""
    base = git(minigit, "rev-parse", "HEAD").strip()
    head = commits.make_commits(minigit, base, {"tables": FOUR[2:3]}, {},
                                {"mm/mincore.c": "x\n"})
    paths = posting.format_patches(minigit, base, head, str(tmp_path / "o"),
                                   {"tables": FOUR[2:3]}, {"mail": False})
    with open(paths[1]) as f:
        index = [l for l in f.read().splitlines() if l.startswith("index ")]
    assert index and all(
        [len(h) for h in l.split()[1].split("..")] == [12, 12]
        for l in index), index


@pytest.mark.unit
def test_commits_keep_every_other_entry_as_it_was(minigit):
    """A commit grafts its files into the parent's tree: an executable,
    a symbolic link and a nested directory beside them keep their mode
    and id (the tree is read from git's raw tree objects)."""
    os.makedirs(os.path.join(minigit, "mm", "deep", "er"))
    with open(os.path.join(minigit, "mm", "deep", "er", "f.c"), "w") as f:
        f.write("int f;\n")
    tool = os.path.join(minigit, "mm", "tool.sh")
    with open(tool, "w") as f:
        f.write("#!/bin/sh\n")
    os.chmod(tool, 0o755)
    os.symlink("mincore.c", os.path.join(minigit, "mm", "link.c"))
    git(minigit, "add", "-A")
    git(minigit, "commit", "-qm", "more")
    base = git(minigit, "rev-parse", "HEAD").strip()
    head = commits.make_commits(minigit, base, {"tables": FOUR[2:3]}, {},
                                {"mm/mincore.c": "x\n"})

    def listing(rev):
        return {l.split("\t")[1]: l.split("\t")[0] for l in git(
            minigit, "ls-tree", "-r", "-t", rev).splitlines()}
    before, after = listing(base), listing(head)
    changed = {p for p in before if before[p] != after.get(p)}
    assert changed == {"mm", "mm/mincore.c"}
    assert after["mm/tool.sh"].startswith("100755 blob")
    assert after["mm/link.c"].startswith("120000 blob")
    assert git(minigit, "show", "%s:mm/mincore.c" % head) == "x\n"


@pytest.mark.unit
# With the other users of the posted minitree, so that one worker makes it.
@pytest.mark.xdist_group("posted_minitree")
def test_a_change_away_from_the_hunks_keeps_the_verdict(tmp_path,
                                                        posted_minitree):
    """A new rc changes a patched file below its hunks: the patch differs
    only in its index line's blob ids, which checkpatch.pl never reads,
    so its verdict is kept; the series is the one a run without cache
    makes."""
    import posted
    tree, cache = posted.copy(posted_minitree, tmp_path)
    with open(os.path.join(tree, "mm", "mincore.c"), "a") as f:
        f.write("/* a new rc */\n")
    posted.git(tree, "commit", "-qam", "a new rc")
    logs = tmp_path / "logs"
    posted.apply(tree, str(tmp_path / "after"), cache, logs)
    assert posted.runs(logs, "checkpatch.pl") == 0
    posted.apply(tree, str(tmp_path / "off"), tmp_path / "no-cache",
                 tmp_path / "logs-off", PGWALK_NO_CACHE="1")
    assert posted.series(tmp_path / "after") == \
        posted.series(tmp_path / "off")


@pytest.mark.unit
def test_a_base_with_local_commits_says_so(minigit):
    """The import alone is the release; commits on top of it are named by
    the last one's subject, however many there are."""
    from pgwalk import gitops
    release = gitops.plain_tree_origin(minigit)
    head = git(minigit, "rev-parse", "HEAD").strip()
    assert gitops.base_description(minigit, head) == release
    for n in (1, 2):
        git(minigit, "commit", "-q", "--allow-empty", "-m", "local %d" % n)
        head = git(minigit, "rev-parse", "HEAD").strip()
        assert gitops.base_description(minigit, head) == \
            "%s, with local commits that are not in a public repository " \
            "on top (the last: \"local %d\")" % (release, n)
