# SPDX-License-Identifier: GPL-2.0
"""Every claim the series' words make is checked against decisions.json:
messages.py writes changelogs and a cover letter from hand-made decisions,
the checker finds nothing to say, and each kind of false claim, put in on
purpose (in the words or in the decisions), is caught."""

import json

import pytest

from pgwalk.series import claims, messages
from pgwalk.table import Decisions
from test_textcheck import MINCORE, MLOCK, patch

pytestmark = pytest.mark.unit

MIGRATE = dict(
    MINCORE, name="migrate_ops", file="mm/migrate.c", mode="PGWALK_RDLOCK",
    reason="some paths hold the mmap lock only for read",
    chains=[
        {"lock": "read", "steps": [
            "restore() downgrades the mmap lock to read with "
            "mmap_write_downgrade()", "migrate_setup()", "walk_page_range()"],
         "sites": ["mm/a.c:1"]},
        {"lock": "read", "steps": [
            "fault() takes mmap_read_lock()", "migrate_setup()",
            "walk_page_range()"], "sites": ["mm/a.c:2"]},
        {"lock": "write", "steps": [
            "bind() takes mmap_write_lock()", "migrate_setup()",
            "walk_page_range()"], "sites": ["mm/a.c:3"]}])
PTDUMP = {"name": "dump_ops", "file": "mm/dump.c", "line": 1,
          "function": None, "walkers": ["walk_page_range_novma"],
          "action": "none", "mode": None, "chains": [], "review": [],
          "notes": [], "split": None, "pinned": False,
          "reason": "used only with walk_page_range_novma(), which ignores "
                    "walk_lock"}
TABLES = [MLOCK, MINCORE, MIGRATE, PTDUMP]
WALKERS = {"walk_page_range": True, "walk_page_vma": True,
           "walk_page_range_vma": True, "walk_page_range_novma": False}


def check(d, paths):
    """The claims check, of the decisions as apply.sh hands them on."""
    return claims.check_series(Decisions.from_json(d), paths)


def decisions(tables=TABLES):
    return {"tables": json.loads(json.dumps(tables)), "per_vma_lock": False,
            "walkers": dict(WALKERS), "review": []}


def series(tmp_path, d, edit=lambda name, text: text):
    """The cover letter and one patch per table, as files."""
    changed = [t for t in d["tables"] if t["action"] != "none"]
    subject, body = messages.cover_letter(d, {
        "patches": [(None, [t]) for t in changed], "group": "file"})
    texts = {"0000-cover-letter.patch":
             "From x\nSubject: [PATCH 0/4] %s\n\n%s\n" % (subject, body)}
    for i, t in enumerate(changed, 1):
        texts["%04d-%s.patch" % (i, t["name"])] = patch([t])
    paths = []
    for name, text in sorted(texts.items()):
        p = tmp_path / name
        p.write_text(edit(name, text))
        paths.append(str(p))
    return paths


def found(tmp_path, d=None, edit=lambda name, text: text, words=None):
    d = d or decisions()
    return check(words or d, series(tmp_path, d, edit))


def test_true_words_pass(tmp_path):
    assert found(tmp_path) == []
    # The mixed table's changelog counts its paths by lock.
    text = " ".join(patch([MIGRATE]).split())
    assert "two paths hold the mmap lock for read" in text, text


def test_false_count_is_caught(tmp_path):
    got = found(tmp_path, edit=lambda n, t: t.replace(
        "two paths hold the mmap lock for read",
        "three paths hold the mmap lock for read"))
    assert any("says 3 paths of migrate_ops hold read" in g for g in got), got


def test_downgrade_counted_as_write_is_caught(tmp_path):
    bad = decisions()
    bad["tables"][2]["chains"][0]["lock"] = "write"
    got = check(bad, series(tmp_path, decisions()))
    assert any("downgrade is counted as write" in g for g in got), got
    # and the words, written from the true decisions, disagree with it
    assert any("migrate_ops hold read" in g for g in got), got


def test_false_mode_is_caught(tmp_path):
    wrong = decisions()
    wrong["tables"][0]["mode"] = "PGWALK_WRLOCK"
    got = check(wrong, series(tmp_path, decisions()))
    assert any("PGWALK_WRLOCK_VERIFY of mlock_walk_ops" in g for g in got), \
        got


def test_invented_chain_is_caught(tmp_path):
    text = patch([MINCORE])
    assert "mincore_walk_ops: mincore() -> do_mincore()" in text
    got = found(tmp_path, edit=lambda n, t: t.replace(
        "mincore_walk_ops: mincore() -> do_mincore()",
        "mincore_walk_ops: madvise() -> do_mincore()"))
    assert any("call chain of mincore_walk_ops" in g for g in got), got


def test_chain_said_to_hold_another_lock_is_caught(tmp_path):
    wrong = decisions()
    wrong["tables"][1]["chains"][0]["lock"] = "write"
    got = check(wrong, series(tmp_path, decisions()))
    # The row shows where the lock is taken; its reason says which.
    assert any("says every path to the walk of mincore_walk_ops holds "
               "read; the decisions have 0 of 1" in g for g in got), got
    # A whole chain printed with its lock is checked on its own.
    whole = "mincore() takes mmap_read_lock() -> do_mincore() -> " \
        "walk_page_range()"
    checker = claims.Checker(Decisions.from_json(wrong))
    got = checker._check_chain(checker.d.tables[1], "mincore_walk_ops",
                               whole, "p")
    assert any("said to hold read" in g for g in got), got


def test_left_alone_claims_are_checked(tmp_path):
    # A table the series changes, said to be left as it is.
    d = decisions()
    d["tables"][3] = dict(PTDUMP, action="annotate", mode="PGWALK_RDLOCK")
    got = check(d, series(tmp_path, decisions()))
    assert any("dump_ops is left as it is" in g for g in got), got
    # A table no walker gets, said to be passed to one.
    d = decisions()
    d["tables"][3]["walkers"] = []
    got = check(d, series(tmp_path, decisions()))
    assert any("find no walk of it" in g for g in got), got
    # A walker that honours walk_lock, said not to use it.
    d = decisions()
    d["walkers"]["walk_page_range_novma"] = True
    got = check(d, series(tmp_path, decisions()))
    assert any("walk_page_range_novma() does not use walk_lock" in g
               for g in got), got


def test_a_chain_shown_under_another_table_of_its_reason_is_caught(tmp_path):
    """Tables of one reason share its sentence, never a chain: each row
    shows its own table's chain (a changelog once showed one table's
    chain for three tables)."""
    other = dict(MINCORE, name="other_walk_ops", chains=[dict(
        MINCORE["chains"][0], steps=["other() takes mmap_read_lock()",
                                     "walk_page_range()"])])
    d = decisions([MINCORE, other])
    path = tmp_path / "0001-two.patch"
    text = patch([MINCORE, other])
    path.write_text(text)
    assert check(d, [str(path)]) == []
    assert "other_walk_ops: other() -> walk_page_range()" in text
    path.write_text(text.replace(
        "other_walk_ops: other() -> walk_page_range()",
        "other_walk_ops: mincore() -> do_mincore()"))
    got = check(d, [str(path)])
    assert any("a call chain of other_walk_ops the decisions do not have"
               in g for g in got), got
    # The reason's mode is a claim about every row under it.
    path.write_text(text.replace("- PGWALK_RDLOCK:", "- PGWALK_WRLOCK:"))
    got = check(d, [str(path)])
    assert any("says PGWALK_WRLOCK of other_walk_ops" in g for g in got), got


def test_tables_left_alone_are_grouped_by_a_true_reason(tmp_path):
    """A table whose walking function sets walk_lock before each walk is
    not said to go only to walkers that ignore the field (it goes to
    walkers that read it), and the sentence that says why it is left is
    checked against the decisions."""
    at_walk = dict(PTDUMP, name="at_walk_ops", walkers=["walk_page_range"],
                   walk_lock_at_walk=["PGWALK_RDLOCK"],
                   reason="walk_lock is set before each walk")
    d = decisions([MINCORE, PTDUMP, at_walk])
    paths = series(tmp_path, d)
    assert check(d, paths) == []
    cover = open(paths[0]).read()
    flat = " ".join(cover.split())
    assert "One table gets walk_lock before each walk" in flat
    assert "only passed to walk_page_range_novma(), which does not use " \
        "walk_lock, and is left as it is: dump_ops." in flat
    wrong = decisions([MINCORE, PTDUMP, dict(at_walk,
                                             walk_lock_at_walk=None)])
    got = check(wrong, paths)
    assert any("says at_walk_ops gets walk_lock before each walk" in g
               for g in got), got


def test_a_table_left_alone_is_told_from_another_of_its_name(tmp_path):
    """Two files each with a walk_ops: the one left alone is said to be,
    and the other's mode does not make that a false claim."""
    left = dict(PTDUMP, name="walk_ops", file="mm/a.c")
    annotated = dict(MINCORE, name="walk_ops", file="mm/b.c")
    for tables in ([left, annotated], [annotated, left]):
        d = decisions(tables)
        assert check(d, series(tmp_path, d)) == [], tables


def test_a_sentence_naming_several_tables_is_read_as_one_claim(tmp_path):
    """Tables named in one wrapped sentence ("- a, b and c: why, so
    MODE."): a wrapped line that begins with a table is not a row of
    chains, and the sentence's mode is a claim about each table."""
    noted = [dict(MINCORE, name="%s_walk_vma_lock_ops" % n, chains=[],
                  mode="PGWALK_VMA_RDLOCK_VERIFY",
                  reason="walked only where .locked is clear, without the "
                  "mmap lock", review=["the per-VMA lock was not followed"])
             for n in ("alpha", "beta_shmem", "gamma_numa")]
    d = decisions(noted)
    path = tmp_path / "0001-three.patch"
    text = patch(noted)
    assert "\n  gamma_numa_walk_vma_lock_ops" in text, text
    path.write_text(text)
    assert check(d, [str(path)]) == []
    path.write_text(text.replace("so\n  PGWALK_VMA_RDLOCK_VERIFY.",
                                 "so\n  PGWALK_RDLOCK.").replace(
        "so PGWALK_VMA_RDLOCK_VERIFY.", "so PGWALK_RDLOCK."))
    got = check(d, [str(path)])
    assert any("says PGWALK_RDLOCK of beta_shmem_walk_vma_lock_ops" in g
               for g in got), got


def test_a_mode_of_the_trees_own_is_a_change_said_from_its_contract():
    """A table given a mode of the tree's own (neither the default nor a
    write mode) changes what its walks check: the changelog says which
    calls of the tree's core replace which, never "No functional
    change"."""
    contract = {"modes": [
        {"name": "PGWALK_RDLOCK", "default": True,
         "calls": ["mmap_assert_locked"]},
        {"name": "PGWALK_VMA_RDLOCK_VERIFY", "default": False,
         "calls": ["vma_assert_locked"]}]}
    t = dict(MINCORE, mode="PGWALK_VMA_RDLOCK_VERIFY", chains=[],
             reason="walked only where .locked is clear, without the mmap "
             "lock", review=["not followed"])
    text = messages.patch_message(("A B", "a@b.org"), [t],
                                  True, contract=contract)
    flat = " ".join(text.split())
    assert "No functional change" not in flat
    assert "now call vma_assert_locked() where they called " \
        "mmap_assert_locked()" in flat, flat
    assert messages.changes_behaviour([t])
    assert not messages.changes_behaviour([MINCORE])


# A table whose one path only asserts the mmap lock: held, for read or for
# write, which the words must not call a read lock.
ASSERTED = dict(
    MINCORE, name="fault_range_ops", file="mm/fault.c",
    chains=[{"lock": "held", "steps": [
        "fault_range() asserts mmap_assert_locked()", "walk_page_range()"],
        "sites": ["mm/fault.c:1"]}])


def test_a_path_that_only_asserts_the_lock_is_not_said_to_read_lock(
        tmp_path):
    d = decisions([MINCORE, ASSERTED])
    text = " ".join(patch([ASSERTED]).split())
    assert "every path holds the mmap lock, for read or for write" in \
        text, text
    assert "for read:" not in text, text
    assert found(tmp_path, d) == []
    # Said to hold it for read, it is caught: the count and the chain.
    got = found(tmp_path, d, edit=lambda n, t: " ".join(
        t.split(" ")).replace("lock, for read or for write", "lock for read"
                              ).replace("lock, for read or\n  for write",
                                        "lock for read"))
    assert any("fault_range_ops holds read; the decisions have 0 of 1" in g
               for g in got), got
    # The words are checked too: decisions that call the path a read lock
    # disagree with them.
    wrong = decisions([MINCORE, ASSERTED])
    wrong["tables"][1]["chains"][0]["lock"] = "read"
    got = check(wrong, series(tmp_path, d))
    assert any("fault_range_ops holds held; the decisions have 0 of 1" in g
               for g in got), got
    # The chain's first step names the assertion: held, whatever a
    # sentence says of it.
    checker = claims.Checker(Decisions.from_json(d))
    assert checker._origin_lock(
        "fault_range() asserts mmap_assert_locked()") == "held"
