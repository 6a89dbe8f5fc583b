# SPDX-License-Identifier: GPL-2.0
"""The lock census read from a console log, and its verdict per table.

These feed pgwalk.proofs.census and pgwalk.proofs.boottest.parse_console
console logs shaped like the kernel's (the census lines come from
pgwalk_census.c's format), each made to show one verdict.  The real
kernels are booted in test_boot.py and test_boot_612.py.
"""

import pytest

from pgwalk.proofs import boottest, census

pytestmark = pytest.mark.unit

TABLES = {"pagemap_ops": {"file": "fs/proc/task_mmu.c",
                          "mode": "PGWALK_RDLOCK"},
          "clear_refs_walk_ops": {"file": "fs/proc/task_mmu.c",
                                  "mode": "PGWALK_WRLOCK"},
          "mlock_walk_ops": {"file": "mm/mlock.c",
                             "mode": "PGWALK_WRLOCK_VERIFY"},
          "queue_pages_lock_vma_walk_ops": {"file": "mm/mempolicy.c",
                                            "mode": "PGWALK_WRLOCK"},
          "gather_pages_ops": {"file": "arch/s390/mm/gmap.c",
                               "mode": "PGWALK_RDLOCK"}}
USERS = {"pagemap_read": {"pagemap_ops"},
         "clear_refs_write": {"clear_refs_walk_ops"},
         "queue_pages_range": {"queue_pages_walk_ops",
                               "queue_pages_lock_vma_walk_ops"},
         "mlock_vma_pages_range": {"mlock_walk_ops"}}
SKIP = {"gather_pages_ops": "arch/s390/mm/gmap.c is s390 code"}


def slot(ops, mmap, step, count=1, walker="range", vw="no", vr="no",
         lockdep="on", pid=90, trace="walk_page_range+0x0/0x1b0"):
    return ("pgwalk-census: ops=%s walker=%s mmap=%s vma_write_locked=%s "
            "vma_read_locked=%s lockdep=%s step=%s count=%d pid=%d trace=%s"
            % (ops, walker, mmap, vw, vr, lockdep, step, count, pid, trace))


GOOD = [slot("pagemap_ops", "read", "pagemap", 3,
             trace="walk_page_range+0x0/0x1b0<pagemap_read+0x1c5/0x300"),
        slot("pagemap_ops", "read", "hwpoison", 1, lockdep="off"),
        slot("clear_refs_walk_ops", "write", "clear_refs", 5),
        slot("mlock_walk_ops.36", "write", "mlock", 12, walker="vma",
             vw="yes"),
        slot("queue_pages_lock_vma_walk_ops", "write", "mbind", 1)]


def console(lines, done=True, steps=("pagemap",), before=""):
    text = "".join("[    5.%d] pgwalk-step: %s\n" % (i, s)
                   for i, s in enumerate(steps))
    text += before
    text += "pgwalk-census-begin\n" + "\n".join(lines) + \
        "\npgwalk-census-last: pid=90 ops=pagemap_ops step=pagemap\n" \
        "pgwalk-census-dropped: 0\npgwalk-census-end\n"
    if done:
        text += "pgwalk-init: done\n"
    return text


def judge(text, status="exited", strict=False, tables=TABLES, skip=SKIP):
    """The verdict on a console log: rows by table, problems, findings and
    the parsed run."""
    run = boottest.parse_console(text, USERS)
    run["status"] = status
    rows, problems, findings = census.verdict(tables, skip, run, USERS,
                                              strict)
    return {r["table"]: r for r in rows}, problems, findings, run


def declaring(table, path, mode):
    """TABLES with TABLE (in PATH) declaring MODE instead."""
    return dict(TABLES, **{table: {"file": path, "mode": mode}})


def test_every_table_consistent_passes_with_counts_per_context():
    rows, problems, findings, run = judge(console(GOOD))
    assert problems == [] and findings == []
    assert run["census"]["dropped"] == 0
    assert {n: r["status"] for n, r in rows.items()} == {
        "pagemap_ops": "consistent", "clear_refs_walk_ops": "consistent",
        "mlock_walk_ops": "consistent",
        "queue_pages_lock_vma_walk_ops": "consistent",
        "gather_pages_ops": "not exercised"}
    ctxs = rows["pagemap_ops"]["contexts"]
    assert [(c["mmap"], c["lockdep"], c["count"]) for c in ctxs] == [
        ("read", "on", 3), ("read", "off", 1)]
    assert rows["pagemap_ops"]["walks"] == 4
    assert ctxs[0]["steps"] == {"pagemap": 3}
    assert ctxs[0]["trace"][1] == "pagemap_read+0x1c5/0x300"


def test_read_table_walked_only_under_write_lock_is_under_declared():
    lines = [l for l in GOOD if "clear_refs" not in l] + [
        slot("clear_refs_walk_ops", "write", "clear_refs", 5,
             trace="walk_page_range+0x0/0x1b0<clear_refs_write+0x1f0/0x3a0"
                   "<vfs_write+0xc6/0x3d0")]
    tables = declaring("clear_refs_walk_ops", "fs/proc/task_mmu.c",
                       "PGWALK_RDLOCK")
    rows, problems, findings, _run = judge(console(lines), tables=tables)
    row = rows["clear_refs_walk_ops"]
    assert row["status"] == "under-declared"
    assert "in step clear_refs" in row["why"]
    assert "walk_page_range <- clear_refs_write <- vfs_write" in row["why"]
    # A finding, not a failure, unless --strict.
    assert problems == []
    assert findings[0].startswith("clear_refs_walk_ops: under-declared")
    _rows, problems, _f, _run = judge(console(lines), strict=True,
                                      tables=tables)
    assert problems and "under-declared" in problems[0]


def test_a_walker_that_ignores_walk_lock_is_no_evidence_of_a_write_mode():
    """A table that states the lock its walker (one that ignores walk_lock
    and asserts the mmap lock itself) takes: walked under the write lock
    only, it is consistent, not under-declared; the same walks by a
    walker that honours the field are under-declared."""
    tables = dict(TABLES, ptdump_ops={"file": "mm/ptdump.c",
                                      "mode": "PGWALK_RDLOCK"})
    for walker in ("novma", "debug", "kernel"):
        lines = GOOD + [slot("ptdump_ops", "write", "[swapper/0]", 1,
                             walker=walker, vw="n/a", vr="n/a")]
        rows, problems, findings, _run = judge(console(lines), tables=tables)
        assert rows["ptdump_ops"]["status"] == "consistent", walker
        assert problems == [] and findings == [], walker
    lines = GOOD + [slot("ptdump_ops", "write", "[swapper/0]", 1)]
    rows, _p, findings, _run = judge(console(lines), tables=tables)
    assert rows["ptdump_ops"]["status"] == "under-declared", findings


def test_read_table_also_walked_under_read_lock_is_consistent():
    lines = GOOD + [slot("pagemap_ops", "write", "clear_refs", 2)]
    rows, problems, _f, _run = judge(console(lines))
    assert rows["pagemap_ops"]["status"] == "consistent" and not problems


def test_context_violating_the_mode_is_over_declared():
    lines = GOOD + [slot("mlock_walk_ops", "write", "mlock", 1,
                         walker="vma", vw="no")]
    rows, problems, _f, _run = judge(console(lines))
    assert rows["mlock_walk_ops"]["status"] == "over-declared"
    assert "not write-locked before the walk" in rows["mlock_walk_ops"]["why"]
    assert problems and problems[0].startswith("mlock_walk_ops: over-")
    lines = GOOD + [slot("clear_refs_walk_ops", "read", "clear_refs")]
    rows, problems, _f, _run = judge(console(lines))
    assert "held for read, not for write" in \
        rows["clear_refs_walk_ops"]["why"]
    lines = GOOD + [slot("pagemap_ops", "none", "pagemap")]
    rows, problems, _f, _run = judge(console(lines))
    assert "without the mmap lock" in rows["pagemap_ops"]["why"]


def test_write_table_whose_vmas_were_locked_gets_a_note_not_a_failure():
    lines = GOOD + [slot("clear_refs_walk_ops", "write", "clear_refs",
                         vw="yes")]
    lines.remove(GOOD[2])
    rows, problems, _f, _run = judge(console(lines))
    assert rows["clear_refs_walk_ops"]["status"] == "consistent"
    assert "PGWALK_WRLOCK_VERIFY would hold" in \
        rows["clear_refs_walk_ops"]["why"]
    assert not problems


def test_table_not_walked_fails():
    rows, problems, _f, _run = judge(console(GOOD[:-1]))
    assert rows["queue_pages_lock_vma_walk_ops"]["status"] == "not reached"
    assert any("queue_pages_lock_vma_walk_ops" in p and "not walked" in p
               for p in problems)


PANIC = """[    9.0] pgwalk-step: mbind
[    9.1] vma ffff888003a0b000 start 00007f0000000000 end 00007f0000040000
[    9.1] ------------[ cut here ]------------
[    9.1] kernel BUG at include/linux/mm.h:772!
[    9.1] Oops: invalid opcode: 0000 [#1] PREEMPT SMP
[    9.1] CPU: 0 UID: 0 PID: 93 Comm: workload Not tainted 6.12.117 #1
[    9.1] Call Trace:
[    9.1]  <TASK>
[    9.1]  vma_replace_policy+0x10e/0x120
[    9.1]  mbind_range+0x98/0x1b0
[    9.1]  do_mbind+0x2a4/0x4f0
[    9.1]  __x64_sys_mbind+0x83/0xa0
[    9.2] Kernel panic - not syncing: Fatal exception
[    9.2] pgwalk-census-begin
[    9.2] %s
[    9.2] %s
[    9.2] pgwalk-census-last: pid=93 ops=queue_pages_lock_vma_walk_ops step=mbind
[    9.2] pgwalk-census-last: pid=91 ops=pagemap_ops step=pagemap
[    9.2] pgwalk-census-dropped: 0
[    9.2] pgwalk-census-end
""" % (slot("pagemap_ops", "read", "pagemap", 3),  # noqa: E501 (a console log)
       slot("queue_pages_lock_vma_walk_ops", "write", "mbind", 1, pid=93))


def test_panic_is_attributed_to_the_last_walk_and_later_tables_not_reached():
    tables = declaring("queue_pages_lock_vma_walk_ops", "mm/mempolicy.c",
                       "PGWALK_RDLOCK")
    run = boottest.parse_console(PANIC, USERS)
    run["status"] = "exited"
    assert run["splat"]["pid"] == 93 and run["splat"]["step"] == "mbind"
    assert run["census"]["complete"]
    rows, problems, _f = census.verdict(tables, SKIP, run, USERS)
    rows = {r["table"]: r for r in rows}
    q = rows["queue_pages_lock_vma_walk_ops"]
    assert q["status"] == "over-declared"
    assert q["why"].startswith("kernel BUG at include/linux/mm.h:772! "
                               "during step mbind")
    assert "last walk of PID 93" in q["why"]
    assert rows["pagemap_ops"]["status"] == "consistent"
    for name in ("clear_refs_walk_ops", "mlock_walk_ops"):
        assert rows[name]["status"] == "not reached"
        assert rows[name]["why"] == \
            "not reached because the kernel died in step mbind"
    assert problems[0] == "the kernel died in step mbind"
    # The dead kernel's misses are not each a failure of their own.
    assert not any("not walked" in p for p in problems)


WARNING = """[    5.1] pgwalk-step: pagemap
[    5.2] ------------[ cut here ]------------
[    5.2] WARNING: CPU: 1 PID: 91 at include/linux/mmap_lock.h:71 walk_page_range+0x1a/0x90
[    5.2] Call Trace:
[    5.2]  <TASK>
[    5.2]  walk_page_range+0x1a/0x90
[    5.2]  pagemap_read+0x1c5/0x300
[    5.2]  vfs_read+0xa0/0x2c0
"""  # noqa: E501 (a console log)


def test_splat_in_a_walk_names_the_table_from_its_trace():
    tables = declaring("pagemap_ops", "fs/proc/task_mmu.c",
                       "PGWALK_WRLOCK_VERIFY")
    rows, problems, _f, _run = judge(console(GOOD, before=WARNING),
                                     tables=tables)
    row = rows["pagemap_ops"]
    assert row["status"] == "over-declared"
    assert "WARNING: CPU: 1 PID: 91" in row["why"]
    assert "pagemap_read() in its trace uses it" in row["why"]
    # The census says why, too.
    assert "held for read, not for write" in row["why"]
    assert problems[0].startswith("pagemap_ops: over-declared")


def test_kernel_without_census_or_unfinished_fails():
    run = boottest.parse_console("[ 0.0] Linux version 6.1\n", USERS)
    run["status"] = "timeout after 300 s"
    _rows, problems, _f = census.verdict(TABLES, SKIP, run, USERS)
    assert problems[0] == "the kernel did not finish the workload " \
        "(timeout after 300 s)"
    run = boottest.parse_console("pgwalk-init: done\n", USERS)
    run["status"] = "exited"
    _rows, problems, _f = census.verdict(TABLES, SKIP, run, USERS)
    assert problems[0] == "the kernel printed no census"


def test_full_census_fails():
    text = console(GOOD).replace("pgwalk-census-dropped: 0",
                                 "pgwalk-census-dropped: 7")
    _rows, problems, _f, _run = judge(text)
    assert problems[0] == "the census ran out of slots: 7 walks uncounted"


def test_unknown_mode_is_not_judged_consistent():
    tables = {"pagemap_ops": {"file": "fs/proc/task_mmu.c",
                              "mode": "PGWALK_FUTURE"}}
    run = boottest.parse_console(console(GOOD), USERS)
    run["status"] = "exited"
    rows, problems, _f = census.verdict(tables, {}, run, USERS)
    assert rows[0]["status"] == "unknown mode" and problems


def test_walks_of_tables_that_declare_nothing_are_listed():
    run = boottest.parse_console(console(GOOD + [slot("wp_walk_ops",
                                                      "read", "x")]), USERS)
    assert census.other_walks(run["census"], TABLES) == {"wp_walk_ops": 1}


def test_panic_of_a_table_that_declares_no_mode_is_still_a_failure():
    tables = {n: t for n, t in TABLES.items()
              if n != "queue_pages_lock_vma_walk_ops"}
    run = boottest.parse_console(PANIC, USERS)
    run["status"] = "exited"
    _rows, problems, _f = census.verdict(tables, SKIP, run, USERS)
    assert problems[1].startswith("kernel BUG at include/linux/mm.h:772! "
                                  "during step mbind (attributed to "
                                  "queue_pages_lock_vma_walk_ops, which "
                                  "declares no mode here")


def test_paths_in_the_build_cache_read_as_in_the_tree():
    text = PANIC.replace("include/linux/mm.h",
                         "../boot-src-6.12/include/linux/mm.h")
    run = boottest.parse_console(text, USERS)
    assert run["splat"]["line"] == "kernel BUG at include/linux/mm.h:772!"


def test_bisect_names_the_problem_of_the_changed_table():
    name = "queue_pages_lock_vma_walk_ops"
    b = {"tables": [name],
         "problems": [census.Problem("the kernel died in step mbind"),
                      census.Problem("%s: over-declared: x" % name, name)]}
    assert boottest.bisect_word(b) == \
        "FAIL: queue_pages_lock_vma_walk_ops: over-declared: x"
    # Found by its table, not by the words before a colon.
    b["problems"].insert(1, census.Problem("%s (PGWALK_WRLOCK) was not "
                                           "walked" % name, name))
    assert boottest.bisect_word(b) == \
        "FAIL: %s (PGWALK_WRLOCK) was not walked" % name
    assert boottest.bisect_word({"tables": [], "problems": []}) == "PASS"


def reported(tmp_path, rows, problems, findings, run):
    """The boot report boot-test.sh writes for one judged series."""
    import json
    head = {"ref": "0" * 40, "rows": list(rows.values()),
            "problems": problems, "findings": findings, "undeclared": {},
            "run": run}
    boottest.write_report(str(tmp_path), head, None, None)
    with open(tmp_path / "boot-report.json") as f:
        return json.load(f)


def test_cover_letter_reads_the_boot_report_as_written(tmp_path):
    """apply.sh --prove words the report boot-test.sh writes: the tables
    the census saw walked, and a failure as a failure."""
    from pgwalk.proofs import reports
    from pgwalk.series import messages
    report = reported(tmp_path, *judge(console(GOOD)))
    b = reports.boot_summary(report)
    assert (b["ok"], b["reached"], b["walks"], b["skipped"]) == \
        (True, 4, 22, 1)
    assert messages.boot_words(b).startswith(
        "Four tables that x86 can reach were walked (22 walks), with no "
        "lockdep report")
    tables = declaring("pagemap_ops", "fs/proc/task_mmu.c",
                       "PGWALK_WRLOCK_VERIFY")
    report = reported(tmp_path, *judge(console(GOOD, before=WARNING),
                                       tables=tables))
    b = reports.boot_summary(report)
    assert not b["ok"]
    assert messages.boot_words(b).startswith(
        "FAIL: pagemap_ops: over-declared: WARNING: CPU: 1 PID: 91")


def test_a_table_whose_file_the_boot_kernel_does_not_build_is_not_exercised(
        tmp_path):
    """Not "not reached" (a failure): the boot configuration never
    compiles its file, and the report says so; a built file's table and
    another architecture's keep their verdicts."""
    (tmp_path / "mm").mkdir()
    (tmp_path / "mm" / "mincore.o").write_text("")
    # No kernel linked there (a build that failed): nothing is said.
    assert "vmemmap_remap_ops" not in boottest.not_exercised(
        {"vmemmap_remap_ops": {"file": "mm/hugetlb_vmemmap.c",
                               "mode": "PGWALK_RDLOCK"}}, str(tmp_path))
    (tmp_path / "vmlinux").write_text("")
    tables = {"mincore_walk_ops": {"file": "mm/mincore.c",
                                   "mode": "PGWALK_RDLOCK"},
              "vmemmap_remap_ops": {"file": "mm/hugetlb_vmemmap.c",
                                    "mode": "PGWALK_RDLOCK"},
              "gather_pages_ops": {"file": "arch/s390/mm/gmap.c",
                                   "mode": "PGWALK_RDLOCK"}}
    skip = boottest.not_exercised(tables, str(tmp_path))
    assert skip == {
        "vmemmap_remap_ops": "mm/hugetlb_vmemmap.c is not built in the "
                             "boot kernel's configuration",
        "gather_pages_ops": "arch/s390/mm/gmap.c is s390 code: x86 does "
                            "not build it"}
    assert "vmemmap_remap_ops" not in boottest.not_exercised(tables)
