# SPDX-License-Identifier: GPL-2.0
"""verify-build's checks beyond "it compiles": W=1 and sparse as
differentials against each commit's parent, the configuration sweep around
what the series changes, and per-commit compiles from kbuild's recorded
commands agreeing with kbuild.

A stand-in for kbuild that really compiles (tests/fixtures/cctree: gcc and
sparse on three small files, .cmd records, W=1, C=1, mm/Kconfig with a
"select") makes each run take seconds.  Every planted mistake is checked
both ways: it fails the commit that adds it, and the same tree without it
passes.
"""

import json
import os
import shutil
import subprocess

import pytest

from conftest import FIXTURES, REPO, git_init

pytestmark = pytest.mark.unit

VERIFY = os.path.join(REPO, "scripts", "verify-build.sh")
DATES = {"GIT_AUTHOR_DATE": "1700000000 +0000",
         "GIT_COMMITTER_DATE": "1700000000 +0000"}

needs_sparse = pytest.mark.skipif(
    shutil.which("sparse") is None,
    reason="sparse is not installed (scripts/install-deps.sh installs it)")


def git(tree, *args):
    return subprocess.run(["git", "-C", str(tree), *args], check=True,
                          capture_output=True, text=True,
                          env=dict(os.environ, **DATES)).stdout


class Repo:
    """The fixture tree in git, commits made by editing its files."""

    def __init__(self, path):
        self.path = str(path)
        shutil.copytree(os.path.join(FIXTURES, "cctree"), self.path)
        git_init(self.path)
        self.base = self.commit({}, "base")

    def commit(self, edits, msg, parent=None):
        """A commit on parent (default: the current HEAD) with edits
        {path: text -> text} applied; its id."""
        if parent:
            git(self.path, "checkout", "-q", parent)
        for rel, edit in edits.items():
            path = os.path.join(self.path, rel)
            with open(path) as f:
                text = f.read()
            with open(path, "w") as f:
                f.write(edit(text))
        git(self.path, "add", "-A")
        git(self.path, "commit", "-q", "--allow-empty", "-m", msg)
        return git(self.path, "rev-parse", "HEAD").strip()

    def verify(self, tmp_path, first, last, *opts, sweep=False):
        """(verify-build's CompletedProcess, its build-report.json) for
        first..last, in a cache of this test's own; the configuration
        sweep only when asked for (seconds of spatch and preprocessor)."""
        out = tmp_path / ("report-" + last[:8])
        env = dict(os.environ, PGWALK_CACHE=str(tmp_path / "cache"))
        p = subprocess.run([VERIFY, "--no-ccache", "--arch", "x86_64",
                            "--jobs", "2", "--out", str(out), *opts,
                            *([] if sweep else ["--no-sweep"]),
                            self.path, "%s..%s" % (first, last)],
                           capture_output=True, text=True, env=env)
        path = out / "build-report.json"
        report = json.load(open(path)) if path.exists() else None
        return p, report


def line_of(repo, commit, path, text):
    """The line number of the first line of path at commit that is text,
    or else holds it."""
    lines = git(repo.path, "show", "%s:%s" % (commit, path)).splitlines()
    return next((i for i, line in enumerate(lines, 1) if line == text),
                None) or next(i for i, line in enumerate(lines, 1)
                              if text in line)


def cells(report):
    return {c["commit"]: c["cells"]["x86_64"] for c in report["commits"]}


def append(text):
    return lambda old: old + text


UNUSED_TABLE = "\nstatic const int mincore_unused_table[] = { 1, 2 };\n"
COMMENT = "\n/* a comment */\n"
IMBALANCE = """
void mincore_lock(void) __acquires(mincore_lock_x);
int mincore_locked(void);

int mincore_locked(void)
{
\tmincore_lock();
\treturn 0;
}
"""


@pytest.fixture
def repo(tmp_path):
    return Repo(tmp_path / "k")


def test_new_w1_warning_fails_the_commit_and_the_base_passes(repo, tmp_path):
    ok = repo.commit({"mm/mincore.c": append(COMMENT)}, "comment")
    bad = repo.commit({"mm/mincore.c": append(UNUSED_TABLE)}, "table")
    p, report = repo.verify(tmp_path, repo.base, ok)
    assert p.returncode == 0, p.stderr[-2000:]
    assert cells(report)[ok]["status"] == "OK"
    p, report = repo.verify(tmp_path, repo.base, bad)
    assert p.returncode == 1, p.stderr[-2000:]
    cell = cells(report)[bad]
    assert cells(report)[ok]["status"] == "OK"
    assert cell["status"] == "WARN"
    assert len(cell["new_warnings"]) == 1, cell
    warning = cell["new_warnings"][0]
    # file:line, the warning, the architecture and configuration.
    assert warning.startswith("mm/mincore.c:%d:" % line_of(
        repo, bad, "mm/mincore.c", "mincore_unused_table")), warning
    assert "mincore_unused_table" in warning
    assert "-Wunused-const-variable" in warning
    assert cell["where"] == "x86_64 allmodconfig W=1 sparse"
    assert "WARN %s on x86_64: new %s (x86_64 allmodconfig W=1 sparse)" % (
        bad[:12], warning) in p.stderr


def test_warning_the_parent_has_is_not_the_commits(repo, tmp_path):
    """One already in the base, and one an earlier commit of the series
    added: a later commit compiling the same file is not blamed."""
    old = repo.commit({"mm/mincore.c": append(UNUSED_TABLE)}, "old")
    touch = repo.commit({"mm/mincore.c": append(COMMENT)}, "comment")
    p, report = repo.verify(tmp_path, old, touch)
    assert p.returncode == 0, p.stderr[-2000:]
    assert cells(report)[touch] == dict(cells(report)[touch], status="OK",
                                        new_warnings=[])
    assert report["base"]["x86_64"]["warnings"] == 1
    p, report = repo.verify(tmp_path, repo.base, touch)
    assert p.returncode == 1
    assert cells(report)[old]["status"] == "WARN"
    assert cells(report)[touch]["status"] == "OK", cells(report)[touch]


@needs_sparse
def test_sparse_lock_context_imbalance_fails_the_commit(repo, tmp_path):
    ok = repo.commit({"mm/mincore.c": append(COMMENT)}, "comment")
    bad = repo.commit({"mm/mincore.c": append(IMBALANCE)}, "imbalance")
    p, report = repo.verify(tmp_path, repo.base, ok)
    assert p.returncode == 0, p.stderr[-2000:]
    p, report = repo.verify(tmp_path, repo.base, bad)
    assert p.returncode == 1, p.stderr[-2000:]
    cell = cells(report)[bad]
    assert cell["status"] == "WARN" and not cell["new_warnings"], cell
    where = "mm/mincore.c:%d:5:" % line_of(repo, bad, "mm/mincore.c",
                                           "int mincore_locked(void)")
    assert cell["new_sparse"] == [
        where + " warning: context imbalance in 'mincore_locked' "
        "- wrong count at exit"], cell
    assert "new sparse: %s warning: context imbalance" % where in p.stderr


@needs_sparse
def test_no_extra_checks_turns_w1_and_sparse_off(repo, tmp_path):
    bad = repo.commit({"mm/mincore.c": append(UNUSED_TABLE + IMBALANCE)},
                      "both")
    p, report = repo.verify(tmp_path, repo.base, bad)
    assert p.returncode == 1
    cell = cells(report)[bad]
    assert cell["new_warnings"] and cell["new_sparse"]
    p, report = repo.verify(tmp_path, repo.base, bad, "--no-extra-checks",
                            sweep=True)
    assert p.returncode == 0, p.stderr[-2000:]
    assert cells(report)[bad]["status"] == "OK"
    assert report["sweep"] is None


# The mempolicy split in small: the table's one use moves under an #ifdef
# (and the table itself changes), so with the option off it is unused.
USE = "\treturn walk_page_range(start, &queue_pages_walk_ops);\n"
UNDER_IFDEF = ("#ifdef CONFIG_MIGRATION\n" + USE +
               "#else\n\treturn start == 0;\n#endif\n")


def split(text):
    text = text.replace("\t.pte_entry = queue_pages_pte,\n",
                        "\t.pte_entry = queue_pages_pte,\n\t/* split */\n")
    return text.replace(USE, UNDER_IFDEF)


def fixed(text):
    """The split with the table under the same #ifdef as its use."""
    text = split(text)
    start = text.index("static const struct mm_walk_ops")
    end = text.index("};\n", start) + 3
    return text[:start] + "#ifdef CONFIG_MIGRATION\n" + text[start:end] + \
        "#endif\n" + text[end:]


def sweep_of(report, symbol):
    return next(c for c in report["sweep"]["configs"]
                if c["symbol"] == symbol)


def test_sweep_finds_a_table_used_only_under_an_ifdef(repo, tmp_path):
    bad = repo.commit({"mm/mempolicy.c": split}, "split")
    p, report = repo.verify(tmp_path, repo.base, bad, sweep=True)
    assert p.returncode == 1, p.stderr[-2000:]
    # allmodconfig builds it without a warning: only the sweep sees it.
    assert cells(report)[bad]["status"] == "OK"
    decided = report["sweep"]["files"]["mm/mempolicy.c"]["decided"]
    assert decided == {"MIGRATION": "on", "NUMA": "on"}
    migration = sweep_of(report, "MIGRATION")
    assert migration["to"] == "n" and migration["status"] == "WARN"
    # Kconfig selects MIGRATION from COMPACTION: that goes too, and says so.
    assert migration["also"] == ["COMPACTION"]
    assert [w for w in migration["findings"]
            if "queue_pages_walk_ops" in w] == [
        "mm/mempolicy.c:12:33: warning: 'queue_pages_walk_ops' defined but "
        "not used [-Wunused-const-variable=]".replace("'", "\u2018", 1)
        .replace("'", "\u2019", 1)], migration
    # The object's own obj-$(CONFIG_NUMA) line: tried, and not built.
    numa = sweep_of(report, "NUMA")
    assert numa["status"] == "OK" and numa["not_built"] == ["mm/mempolicy.c"]
    assert "WARN sweep on x86_64 (allmodconfig): CONFIG_MIGRATION=n " \
        "(with CONFIG_COMPACTION off: they select it)" in p.stderr
    assert "CONFIG_MIGRATION=n" in open(
        tmp_path / ("report-" + bad[:8]) / "build-report.md").read()


def test_sweep_passes_the_split_done_right(repo, tmp_path):
    good = repo.commit({"mm/mempolicy.c": fixed}, "split, fixed")
    p, report = repo.verify(tmp_path, repo.base, good, sweep=True)
    assert p.returncode == 0, p.stderr[-2000:]
    migration = sweep_of(report, "MIGRATION")
    assert migration["status"] == "OK" and not migration["findings"]
    assert migration["not_built"] == []


HELPER = """
static int mincore_helper(void)
{
\treturn 1;
}
"""


def test_sweep_finds_a_static_function_used_only_under_is_enabled(
        repo, tmp_path):
    def add(text):
        text = text.replace("int do_mbind(unsigned long start)\n",
                            HELPER.lstrip() +
                            "\nint do_mbind(unsigned long start)\n")
        return text.replace(USE, "#if IS_ENABLED(CONFIG_MIGRATION)\n"
                            "\tif (mincore_helper())\n\t\treturn 1;\n"
                            "#endif\n" + USE)
    bad = repo.commit({"mm/mempolicy.c": add}, "helper")
    p, report = repo.verify(tmp_path, repo.base, bad, sweep=True)
    assert p.returncode == 1, p.stderr[-2000:]
    assert cells(report)[bad]["status"] == "OK"
    migration = sweep_of(report, "MIGRATION")
    assert migration["status"] == "WARN"
    assert any("mincore_helper" in w and "-Wunused-function" in w
               for w in migration["findings"]), migration


def test_sweep_skips_a_flip_kconfig_forbids_and_says_so(repo, tmp_path):
    """MMU has no prompt in the fixture's Kconfig once made so: olddefconfig
    keeps it on, nothing selects it, the flip cannot happen."""
    def no_prompt(text):
        return text.replace('config MMU\n\tbool "MMU"\n',
                            "config MMU\n\tbool\n\tdefault y\n")
    forced = repo.commit({"mm/Kconfig": no_prompt}, "MMU without a prompt")

    def under_mmu(text):
        return text.replace(USE, "#ifdef CONFIG_MMU\n" + USE +
                            "#else\n\treturn 0;\n#endif\n")
    change = repo.commit({"mm/mempolicy.c": under_mmu}, "under MMU")
    p, report = repo.verify(tmp_path, forced, change, sweep=True)
    mmu = sweep_of(report, "MMU")
    assert mmu["status"] == "skipped", mmu
    assert "Kconfig keeps CONFIG_MMU=y" in mmu["why"]
    assert "CONFIG_MMU=n: skipped: Kconfig keeps CONFIG_MMU=y" in p.stdout


def test_fast_path_and_kbuild_agree_on_a_planted_failure(repo, tmp_path):
    """The same broken file, compiled once from kbuild's recorded command
    and once by kbuild (the commit also changes a Makefile): the same
    failure, the same object."""
    broken = append("\nthis is not C;\n")
    fast = repo.commit({"mm/mincore.c": broken}, "broken")
    slow = repo.commit({"mm/mincore.c": broken,
                        "mm/Makefile": append("# a comment\n")},
                       "broken, and a Makefile", parent=repo.base)
    found = {}
    for head in (fast, slow):
        p, report = repo.verify(tmp_path, repo.base, head)
        assert p.returncode == 1, p.stderr[-2000:]
        found[head] = cells(report)[head]
    assert found[fast]["compiled_by"] == "recorded commands"
    assert found[slow]["compiled_by"] == \
        "kbuild (it changes mm/Makefile)"
    for head in (fast, slow):
        assert found[head]["status"] == "FAIL"
        assert found[head]["object"] == "mm/mincore.c"
    assert found[fast]["error"] == found[slow]["error"]
    assert "error:" in found[fast]["error"]


def test_warm_run_compiles_the_base_from_recorded_commands(repo, tmp_path):
    """The second run at a base kbuild prepared runs no kbuild step for
    it, and still finds what the commit adds."""
    bad = repo.commit({"mm/mincore.c": append(UNUSED_TABLE)}, "table")
    first, report = repo.verify(tmp_path, repo.base, bad)
    assert report["base"]["x86_64"]["compiled_by"] == "kbuild"
    again, report = repo.verify(tmp_path, repo.base, bad)
    assert "prepare: kept from the last run" in again.stderr
    assert report["base"]["x86_64"]["compiled_by"] == "recorded commands"
    assert again.returncode == 1
    assert cells(report)[bad]["status"] == "WARN"


def test_cover_lists_the_configurations_swept(repo, tmp_path):
    """The testing section of the cover letter says which configurations
    the sweep built and what each found, from the build report."""
    from pgwalk.proofs import reports
    from pgwalk.series import messages
    bad = repo.commit({"mm/mempolicy.c": split}, "split")
    _p, report = repo.verify(tmp_path, repo.base, bad, sweep=True)
    summary = reports.build_summary(report)
    assert not summary["ok"]
    text = " ".join(messages.testing_section({"build": summary}).split())
    assert "flipped from allmodconfig on x86_64 and built at W=1 with " \
        "sparse: CONFIG_MIGRATION=n (with CONFIG_COMPACTION off, which " \
        "select it): one new warning; CONFIG_NUMA=n: mm/mempolicy.c not " \
        "built there" in text, text
    good = repo.commit({"mm/mempolicy.c": fixed}, "fixed", parent=repo.base)
    _p, report = repo.verify(tmp_path, repo.base, good, sweep=True)
    summary = reports.build_summary(report)
    assert summary["ok"]
    text = " ".join(messages.testing_section({"build": summary}).split())
    assert "no error and no new warning against the parent, at W=1 and " \
        "with sparse" in text
    assert "CONFIG_MIGRATION=n (with CONFIG_COMPACTION off, which select " \
        "it): OK" in text, text


def test_a_header_generated_files_are_made_of_sends_the_commit_to_kbuild(
        tmp_path):
    """asm-offsets.h is made by compiling asm-offsets.c: a commit changing
    a header that file includes must go through kbuild, which makes it
    again; recorded compile commands would use the old one."""
    from types import SimpleNamespace
    from pgwalk.proofs import build
    out, src = tmp_path / "out", str(tmp_path / "src")
    (out / "arch/x86/kernel").mkdir(parents=True)
    (out / "mm").mkdir()
    (out / "arch/x86/kernel/.asm-offsets.s.cmd").write_text(
        "savedcmd_arch/x86/kernel/asm-offsets.s := gcc -D__KERNEL__ -S\n\n"
        "source_arch/x86/kernel/asm-offsets.s := %s/arch/x86/kernel/"
        "asm-offsets.c\n\n"
        "deps_arch/x86/kernel/asm-offsets.s := \\\n"
        "  %s/include/linux/sched.h \\\n"
        "  $(wildcard include/config/SMP) \\\n\n" % (src, src))
    # An object's record is no generated file's.
    (out / "mm/.mincore.o.cmd").write_text(
        "savedcmd_mm/mincore.o := gcc -D__KERNEL__ -c\n\n"
        "source_mm/mincore.o := %s/mm/mincore.c\n\n"
        "deps_mm/mincore.o := \\\n  %s/include/linux/pagewalk.h \\\n\n"
        % (src, src))
    ab = SimpleNamespace(out=str(out), src=SimpleNamespace(dir=src))
    changed = {"a": ["include/linux/sched.h"],
               "b": ["include/linux/pagewalk.h", "mm/mincore.c"],
               "c": ["mm/Makefile", "mm/mincore.c"]}
    why = build.kbuild_reasons(ab, list(changed), changed, {
        "a": [], "b": [], "c": ["mm/Makefile"]})
    assert why == {
        "a": "it changes include/linux/sched.h, which "
             "arch/x86/kernel/asm-offsets.s depends on",
        "b": None,
        "c": "it changes mm/Makefile"}


def test_sweep_keeps_what_it_found_in_files_another_series_leaves(
        repo, tmp_path):
    """Two series on one base that differ in one file (a table's mode
    changed, say): the second sweep takes the first's results for the
    files it does not change, and builds again only where a file did
    change, so a fix there is seen and a finding elsewhere still is."""
    def touch(word):
        return append("\nint mincore_%s(void);\n" % word)
    first = repo.commit({"mm/mempolicy.c": split,
                         "mm/mincore.c": touch("one")}, "split")
    p, report = repo.verify(tmp_path, repo.base, first, sweep=True)
    assert sweep_of(report, "MIGRATION")["status"] == "WARN"
    assert not any(c.get("kept") for c in report["sweep"]["configs"])
    # Only mincore.c differs: mempolicy.c's finding is kept, not built.
    other = repo.commit({"mm/mempolicy.c": split,
                         "mm/mincore.c": touch("two")}, "split",
                        parent=repo.base)
    p, report = repo.verify(tmp_path, repo.base, other, sweep=True)
    assert p.returncode == 1, p.stderr[-2000:]
    migration = sweep_of(report, "MIGRATION")
    assert migration.get("kept") and migration["status"] == "WARN", migration
    assert any("queue_pages_walk_ops" in w for w in migration["findings"])
    # mempolicy.c fixed: its configurations are built again, and pass.
    mended = repo.commit({"mm/mempolicy.c": fixed,
                          "mm/mincore.c": touch("two")}, "split, fixed",
                         parent=repo.base)
    p, report = repo.verify(tmp_path, repo.base, mended, sweep=True)
    assert p.returncode == 0, p.stderr[-2000:]
    migration = sweep_of(report, "MIGRATION")
    assert not migration.get("kept") and migration["status"] == "OK"


def test_an_identical_compile_is_kept_and_says_so(repo, tmp_path):
    """verify-build again on the same commits answers every recorded-
    command compile from the one before (the same tree contents, O=
    directory, commands and compilers), with the same findings; a new
    commit on top is compiled, and the ones before it are kept."""
    ok = repo.commit({"mm/mincore.c": append(COMMENT)}, "comment")
    bad = repo.commit({"mm/mincore.c": append(UNUSED_TABLE)}, "table")
    p, first = repo.verify(tmp_path, repo.base, bad)
    assert p.returncode == 1, p.stderr[-2000:]
    assert not any("kept" in c["compiled_by"]
                   for c in cells(first).values())
    p, again = repo.verify(tmp_path, repo.base, bad)
    assert p.returncode == 1, p.stderr[-2000:]
    for c in (ok, bad):
        assert "kept from an identical earlier compile" in \
            cells(again)[c]["compiled_by"], cells(again)[c]
        assert cells(again)[c]["kept"] == len(cells(again)[c]["objects"])
        assert cells(first)[c]["kept"] == 0
        assert {k: v for k, v in cells(again)[c].items()
                if k not in ("compiled_by", "seconds", "kept")} == \
            {k: v for k, v in cells(first)[c].items()
             if k not in ("compiled_by", "seconds", "kept")}
    assert cells(again)[bad]["status"] == "WARN"
    # A commit on top: compiled; the two below it kept.
    more = repo.commit({"mm/mincore.c": append("\nint mincore_more;\n")},
                       "more")
    p, third = repo.verify(tmp_path, repo.base, more)
    assert "kept" in cells(third)[bad]["compiled_by"]
    assert "kept" not in cells(third)[more]["compiled_by"]


def test_commits_above_a_changed_one_keep_the_objects_they_leave(repo,
                                                                 tmp_path):
    """A series made again with its first commit changed: the commits
    above it compile only the objects whose recorded dependencies they
    change (ccache's direct mode, by the .cmd deps); a header change
    compiles every object that includes it."""
    repo.commit({"mm/mincore.c": append(COMMENT)}, "mincore")
    second = repo.commit({"mm/mempolicy.c": append(COMMENT)}, "mempolicy")
    p, before = repo.verify(tmp_path, repo.base, second)
    assert p.returncode == 0, p.stderr[-2000:]
    # The same series with another first commit (one table changed).
    other = repo.commit({"mm/mincore.c": append("\n/* changed */\n")},
                        "mincore, changed", parent=repo.base)
    above = repo.commit({"mm/mempolicy.c": append(COMMENT)}, "mempolicy")
    p, after = repo.verify(tmp_path, repo.base, above)
    assert p.returncode == 0, p.stderr[-2000:]
    assert "kept" not in cells(after)[other]["compiled_by"]
    assert cells(after)[above]["compiled_by"] == \
        "recorded commands, kept from an identical earlier compile", \
        cells(after)[above]
    assert {k: v for k, v in cells(after)[above].items()
            if k not in ("compiled_by", "seconds", "kept")} == \
        {k: v for k, v in cells(before)[second].items()
         if k not in ("compiled_by", "seconds", "kept")}
    # A header every object includes: nothing above it is kept.
    header = repo.commit({"include/linux/mm.h": append(COMMENT)}, "mm.h")
    top = repo.commit({"mm/mempolicy.c": append("\n/* top */\n")}, "top")
    p, third = repo.verify(tmp_path, repo.base, top)
    assert p.returncode == 0, p.stderr[-2000:]
    assert "kept" not in cells(third)[header]["compiled_by"], \
        cells(third)[header]
    assert "kept" not in cells(third)[top]["compiled_by"], cells(third)[top]


def test_report_is_written_from_one_record(tmp_path):
    """report() takes what the run asked and found as one Verified record
    and writes the same table to stdout and build-report.{md,json}."""
    from pgwalk.proofs import build
    tree = tmp_path / "tree"
    tree.mkdir()
    git_init(tree)
    git(tree, "-c", "user.name=T", "-c", "user.email=t@t", "commit", "-q",
        "--allow-empty", "-m", "mm: a change")
    head = git(tree, "rev-parse", "HEAD").strip()

    class Launcher:
        def describe(self):
            return "gcc"

    cell = {"status": "OK", "seconds": 1.5, "objects": ["mm/a.o"],
            "where": "W=1"}
    v = build.Verified(
        tree=str(tree), commits=[head], arch_names=["x86_64"],
        config={"name": "tinyconfig"}, launcher=Launcher(),
        matrix={head: {"x86_64": cell}}, bases={"x86_64": {"objects": 1}},
        fulls={}, checks={}, fallbacks={"x86_64": {
            "h1": {"unreachable": 2, "ran_here": 1}}})
    out = tmp_path / "out"
    text = build.report(v, str(out))
    assert text.splitlines()[0] == "Config: tinyconfig with W=1 and " \
        "sparse (what each commit adds to its parent's fails it).  " \
        "Compilers: gcc."
    assert "| %s mm: a change | OK (1 objs, 1.5s) |" % head[:12] in text
    assert "h1 unreachable 2 times, 1 compiles ran here instead" in text
    got = json.loads((out / "build-report.json").read_text())
    assert got["commits"] == [{"commit": head, "subject": "mm: a change",
                               "cells": {"x86_64": cell}}]
    assert got["sweep"] is None and got["compilers"] == "gcc"
    md = (out / "build-report.md").read_text()
    assert md.startswith(text + "\n\nObjects compiled per cell:\n\n")
    assert md.endswith("- %s x86_64: mm/a.o\n" % head[:12])
