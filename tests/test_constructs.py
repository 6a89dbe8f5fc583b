# SPDX-License-Identifier: GPL-2.0
"""Every way a table reaches a walker, and every lock context the analysis
follows: one fixture each (tests/fixtures/constructs/, small C files that
imitate the kernel's shapes), each with a read and a write table.

For each construct a second test takes out the rule (a Coccinelle rule or
a data row) that handles it, and shows that the fixture then fails: the
rule is what makes the answer, not luck.
"""

import copy
import os
import re
import shutil
import subprocess

import pytest

from conftest import FIXTURES, REPO, git_repo, spatch_in_place, walker_tree
from pgwalk import core
from pgwalk.analysis import candidates, decisions, gather
from pgwalk.series import claims, messages, textcheck
from pgwalk.table import Decisions

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("fixture_facts")]

CONSTRUCTS = os.path.join(FIXTURES, "constructs")
SEMANTIC_PATCHES = os.path.join(REPO, "semantic-patches")
DATA = os.path.join(REPO, "scripts")

# A tree whose core has a mode for walks under a per-VMA read lock: the
# inserted core, with the rewrite that adds the mode to it.
VMA_READ_MODE = os.path.join(REPO, "tests", "cocci", "vma-read-mode.cocci")

RD, WR = "PGWALK_RDLOCK", "PGWALK_WRLOCK"
# Fixtures whose tree's core has that mode.
VMA_READ_TREES = ("vma_read.c", "walk_lock_at_walk.c", "lock_flag_member.c",
                  "vma_or_mmap_helper.c", "walk_lock_computed.c",
                  "recorded_mode_computed.c")
# fixture -> {table: the mode it gets}.
MODES = {
    "getter.c": {"getter_read_ops": RD, "getter_write_ops": WR},
    "getter_local.c": {"local_read_ops": RD, "local_write_ops": WR},
    "wrapper.c": {"wrapped_read_ops": RD, "wrapped_write_ops": WR},
    "stack_table.c": {"stack_read_ops": RD, "stack_write_ops": WR},
    "bool_choice.c": {"choice_ops": RD, "choice_lock_ops": WR},
    "flag_choice.c": {"flag_ops": RD, "flag_lock_vma_ops": WR},
    "field_choice.c": {"field_anon_ops": RD, "field_file_ops": RD},
    "seqfile.c": {"seq_show_ops": RD},
    "behaviour.c": {"advice_read_ops": RD,
                    "advice_write_ops": "PGWALK_WRLOCK_VERIFY"},
    "fault_callback.c": {"fault_cb_ops": RD},
    "lock_helper.c": {"helper_ops": WR},
    "vma_read.c": {"vma_read_ops": "PGWALK_VMA_RDLOCK_VERIFY"},
    "vma_changed_wrapper.c": {"wrapped_verify_ops": "PGWALK_WRLOCK_VERIFY"},
    "either_lock_helper.c": {"either_read_ops": RD, "either_write_ops": WR},
    "member_choice.c": {"req_look_ops": RD, "req_change_ops": WR,
                        "req_plain_ops": RD},
    "rule_names.c": {"named_read_ops": RD, "named_write_ops": WR},
    "struct_init.c": {"sreq_look_ops": RD, "sreq_change_ops": WR},
}
# fixture -> (the table that loses its mode without it, what makes that
# mode): rules of a semantic patch (those that depend on one go with it)
# or a row of a data file.
NEEDS = {
    # Without it each table is reached from both requests, and split.
    "struct_init.c": ("sreq_change_ops", "rule", "facts.cocci",
                      "struct_init"),
    "getter.c": ("getter_write_ops", "rule", "facts.cocci", "ret_value ret"),
    "getter_local.c": ("local_write_ops", "rule", "facts.cocci", "ops_local"),
    "wrapper.c": ("wrapped_write_ops", "rule", "facts.cocci", "param"),
    "stack_table.c": ("stack_write_ops", "rule", "facts.cocci",
                      "table_lock table"),
    "bool_choice.c": ("choice_lock_ops", "rule", "facts.cocci",
                      "pick pick_decl ops_local"),
    "flag_choice.c": ("flag_lock_vma_ops", "rule", "facts.cocci",
                      "pick pick_decl ops_local"),
    "seqfile.c": ("seq_show_ops", "row", "callbacks.conf",
                  "seq_operations show"),
    "behaviour.c": ("advice_write_ops", "rule", "facts.cocci", "case_call"),
    "fault_callback.c": ("fault_cb_ops", "row", "callbacks.conf",
                         "dev_pagemap_ops migrate_to_ram"),
    "lock_helper.c": ("helper_ops", "row", "locks.conf",
                      "mmap_write_lock_killable"),
    "vma_read.c": ("vma_read_ops", "rule", "calls.cocci", "until_any"),
    "vma_changed_wrapper.c": ("wrapped_verify_ops", "rule", "facts.cocci",
                              "vma_changer"),
    "either_lock_helper.c": ("either_write_ops", "rule", "facts.cocci",
                             "case_call"),
}


def make_tree(tmp_path, name):
    tree = walker_tree(tmp_path / "tree")
    if name in VMA_READ_TREES:
        for relpath, text in core.core_edits(str(tree), True).items():
            (tree / relpath).write_text(text)
        spatch_in_place(tree, VMA_READ_MODE,
                        ["mm/pagewalk.c", "include/linux/pagewalk.h"])
    shutil.copy(os.path.join(CONSTRUCTS, name), tree / "mm" / name)
    return git_repo(tree)


def analyze(tmp_path, name):
    out = decisions.analyze(make_tree(tmp_path, name), jobs=2)
    return {t["name"]: t for t in out["tables"]}, out


def remove_rule(text, rule):
    """A semantic patch without one rule (and the script that prints its
    matches, which would name the missing rule)."""
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines)
                 if re.match(r"^@%s\b[^@]*@$" % re.escape(rule), line))
    end = start + 1
    script_seen = False
    while end < len(lines):
        line = lines[end]
        if line.startswith("@script:python@"):
            script_seen = True
        elif line.startswith("@") and line.endswith("@") and \
                not line.startswith("@@") and script_seen:
            break
        elif line.startswith("@") and line.endswith("@") and \
                not line.startswith("@@") and not script_seen and \
                end > start + 1:
            break
        end += 1
    return "\n".join(lines[:start] + lines[end:])


@pytest.mark.parametrize("name", sorted(MODES))
def test_construct_gives_each_table_its_mode(tmp_path, name):
    expected = MODES[name]
    tables, out = analyze(tmp_path, name)
    got = {t: tables[t]["mode"] for t in expected}
    assert got == expected, [(t, tables[t]["reason"], tables[t]["notes"])
                             for t in expected]
    for t in expected:
        # Evidence for every mode, and nothing left for a human.
        assert tables[t]["chains"], t
        assert not tables[t]["review"], (t, tables[t]["review"])
    assert not out["review"]


@pytest.mark.parametrize("name", sorted(NEEDS))
def test_construct_needs_its_rule(tmp_path, monkeypatch, name):
    expected = MODES[name]
    table, kind, path, what = NEEDS[name]
    if kind == "rule":
        work = tmp_path / "semantic-patches"
        shutil.copytree(SEMANTIC_PATCHES, work)
        text = (work / path).read_text()
        for rule in what.split():
            text = remove_rule(text, rule)
        (work / path).write_text(text)
        monkeypatch.setenv("PGWALK_SEMANTIC_PATCHES", str(work))
    else:
        work = tmp_path / "data"
        work.mkdir()
        for conf in ("locks.conf", "callbacks.conf", "modes.conf"):
            shutil.copy(os.path.join(DATA, conf), work / conf)
        text = (work / path).read_text()
        kept = [line for line in text.split("\n")
                if line.split()[:len(what.split())] != what.split()]
        assert len(kept) < len(text.split("\n")), what
        (work / path).write_text("\n".join(kept))
        monkeypatch.setenv("PGWALK_DATA_DIR", str(work))
    tables, _out = analyze(tmp_path, name)
    t = tables.get(table)
    assert t is None or t["mode"] != expected[table] or t["review"], \
        "%s still gives %s without %s %s" % (
            table, expected[table], kind, what)


def test_member_table_is_named_for_review(tmp_path):
    tables, _out = analyze(tmp_path, "member.c")
    t = tables["member_ops"]
    # Safe for every path it may be walked on, and the member is named.
    assert t["mode"] == "PGWALK_RDLOCK"
    assert any(".ops" in n for n in t["review"]), t["review"]


def _locks(table):
    return sorted({c["lock"] for c in table["chains"]})


def test_downgrade_recorded_in_a_flag_counts_as_read(tmp_path):
    tables, out = analyze(tmp_path, "downgrade_flag.c")
    t = tables["restore_ops"]
    assert t["mode"] == RD
    # The path through the write lock is downgraded before the walk: no
    # path is said to hold the lock for write.
    assert _locks(t) == ["read"], t["chains"]
    assert any("downgrades" in c["steps"][0] for c in t["chains"])
    assert not t["review"] and not out["review"]


def test_downgrade_flag_needs_its_rule(tmp_path, monkeypatch):
    work = tmp_path / "semantic-patches"
    shutil.copytree(SEMANTIC_PATCHES, work)
    text = remove_rule((work / "facts.cocci").read_text(), "lock_flag")
    (work / "facts.cocci").write_text(text)
    monkeypatch.setenv("PGWALK_SEMANTIC_PATCHES", str(work))
    tables, _out = analyze(tmp_path, "downgrade_flag.c")
    assert "write" in _locks(tables["restore_ops"])


def test_table_passed_by_address_is_never_said_unwalked(tmp_path):
    tables, out = analyze(tmp_path, "vma_range_direct.c")
    t = tables["direct_ops"]
    assert t["walkers"] == ["walk_page_range_vma"]
    assert "not passed" not in t["reason"] and t["action"] != "none", t
    assert t["review"], t
    # The walk site is named with its function and what stopped the flow.
    assert any("vma_range_direct.c" in r and "walk_one()" in r and
               "walk_page_range_vma()" in r for r in out["review"]), \
        out["review"]
    # The cover letter's review list passes the posting's own checks (a
    # file:line there is a defect the checker reports).
    _subject, body = messages.cover_letter(out, {})
    assert "walk_one()" in body
    assert textcheck.check_words(body, out.get("per_vma_lock", False),
                                 "cover") == []


def test_a_start_that_locks_in_one_configuration_only_is_not_followed(
        tmp_path):
    """->start defined twice under #ifdef/#else, one definition taking
    the mmap lock and the other not: ->show's walk is not said to hold
    it (a tree's /proc iterator did exactly this; the series said every
    path held the mmap lock for read)."""
    tables, _out = analyze(tmp_path, "seqfile_ifdef.c")
    t = tables["ifdef_show_ops"]
    assert not t["chains"], t["chains"]
    assert any("ifdef_m_start()" in r and "does not return holding" in r
               for r in t["review"]), t["review"]


def test_a_start_of_the_same_name_in_another_file_is_another_function(
        tmp_path):
    """A static ->start that takes no lock is not made a lock helper by
    another file's static function of the same name that does."""
    tree = make_tree(tmp_path, "seqfile_ifdef.c")
    text = open(os.path.join(CONSTRUCTS, "seqfile_ifdef.c")).read()
    ours = text.split("#ifdef CONFIG_PER_ENTRY_LOCKS\n")[1].split(
        "#else\n")[0]
    theirs = text.split("#else\n")[1].split("#endif\n")[0]
    with open(os.path.join(tree, "mm", "seqfile_ifdef.c"), "w") as f:
        f.write(text.replace(text[text.index("#ifdef"):
                                  text.index("#endif\n") + 7], ours))
    with open(os.path.join(tree, "mm", "other_start.c"), "w") as f:
        f.write(theirs + "\nvoid *other_use(struct seq_file *m, loff_t *p)"
                "\n{\n\treturn ifdef_m_start(m, p);\n}\n")
    for args in (["add", "-A"], ["commit", "-qm", "other"]):
        subprocess.run(["git", "-C", tree, *args], check=True,
                       capture_output=True)
    out = decisions.analyze(tree, jobs=2)
    t = {t["name"]: t for t in out["tables"]}["ifdef_show_ops"]
    assert not t["chains"], t["chains"]
    assert t["review"], t


def test_a_static_functions_callers_are_sought_in_its_own_file_only(
        tmp_path):
    """Another file with a static function of the same name as a wrapper
    on the way up (a common name: a seq_file callback, say) holds none of
    its callers: that file is not read, and the modes are the same.
    Sought in the whole tree, it is read (the check can fail)."""
    tree = make_tree(tmp_path, "wrapper.c")
    with open(os.path.join(tree, "mm", "other_outer.c"), "w") as f:
        f.write("static int outer_walk(int x)\n{\n\treturn x;\n}\n\n"
                "int other_user(int x)\n{\n\treturn outer_walk(x);\n}\n")
    for args in (["add", "-A"], ["commit", "-qm", "other"]):
        subprocess.run(["git", "-C", tree, *args], check=True,
                       capture_output=True)
    fx = gather.Gatherer(tree).run()
    assert "mm/wrapper.c" in fx.files and "mm/other_outer.c" not in fx.files
    t = {t["name"]: t["mode"] for t in decisions.analyze(tree)["tables"]}
    assert t == MODES["wrapper.c"], t
    # The same search, with every name sought in the whole tree.
    wide = gather.Gatherer(tree)
    wide._callers_files = lambda need: candidates.word_hits(
        tree, {n for _r, n in need})
    assert "mm/other_outer.c" in wide.run().files


HELPER_A = """static const struct mm_walk_ops a_ops = {
	.pmd_entry	= a_pmd_entry,
};

static void take_a(struct mm_struct *mm)
{
	mmap_read_lock(mm);
}

int a_walker(struct mm_struct *mm)
{
	take_a(mm);
	walk_page_range(mm, 0, 100, &a_ops, NULL);
	mmap_read_unlock(mm);
	return 0;
}
"""

HELPER_B = """static const struct mm_walk_ops b_ops = {
	.pmd_entry	= a_pmd_entry,
};

static void take_b(struct mm_struct *mm)
{
	mmap_write_lock(mm);
}
%s
int b_walker(struct mm_struct *mm)
{
	take_b(mm);%s
	walk_page_range(mm, 0, 100, &b_ops, NULL);
	mmap_write_unlock(mm);
	return 0;
}
"""


def _helper_tree(tmp_path, b_names_take_a):
    """Two files, each with a lock helper of its own; with
    b_names_take_a, the second also has an unrelated static take_a()
    that it calls under its write lock."""
    tree = make_tree(tmp_path, "wrapper.c")
    os.remove(os.path.join(tree, "mm", "wrapper.c"))
    with open(os.path.join(tree, "mm", "helper_a.c"), "w") as f:
        f.write(HELPER_A)
    with open(os.path.join(tree, "mm", "helper_b.c"), "w") as f:
        f.write(HELPER_B % (
            ("\nstatic void take_a(void)\n{\n}\n", "\n\ttake_a();")
            if b_names_take_a else ("", "")))
    for args in (["add", "-A"], ["commit", "-qm", "helpers only"]):
        subprocess.run(["git", "-C", tree, *args], check=True,
                       capture_output=True)
    return tree


def _modes_and_runs(tree, monkeypatch, cache):
    """({table: mode}, spatch runs) of an analysis with its own cache."""
    from pgwalk.analysis import facts
    runs = []
    real = facts.run_spatch
    monkeypatch.setattr(facts, "run_spatch", lambda *a: (
        runs.append(a), real(*a))[1])
    monkeypatch.setenv("PGWALK_CACHE", str(cache))
    # One job: a rule's files are not split between processes, so the
    # count is of rules.
    out = decisions.analyze(tree, jobs=1)
    monkeypatch.setattr(facts, "run_spatch", real)
    return {t["name"]: t["mode"] for t in out["tables"]}, len(runs)


def test_files_with_lock_helpers_of_their_own_share_a_spatch_run(
        tmp_path, monkeypatch):
    """The calls of two files with different lock helpers are read by one
    rule carrying both helpers, when neither file names the other's: the
    modes are those of a rule per file, with fewer spatch runs."""
    from pgwalk.analysis import facts
    tree = _helper_tree(tmp_path, False)
    want = {"a_ops": RD, "b_ops": WR}
    merged, n_merged = _modes_and_runs(tree, monkeypatch, tmp_path / "c1")
    monkeypatch.setattr(facts.Extractor, "_merge_runs", lambda self, runs: [
        (h, n, [i]) for i, (h, _k, _t, n) in enumerate(runs)])
    alone, n_alone = _modes_and_runs(tree, monkeypatch, tmp_path / "c2")
    assert merged == alone == want, (merged, alone)
    assert n_merged < n_alone, (n_merged, n_alone)


def test_a_file_naming_another_files_helper_keeps_its_own_rule(
        tmp_path, monkeypatch):
    """The second file has a static take_a() of its own, which is no lock
    helper: the first file's helper must not join its rule (it would be
    read as a read lock taken under the write lock).  Shown by letting it
    join: the mode turns wrong."""
    from pgwalk.analysis import facts
    tree = _helper_tree(tmp_path, True)
    modes, _n = _modes_and_runs(tree, monkeypatch, tmp_path / "c1")
    assert modes["a_ops"] == RD and modes["b_ops"] == WR, modes
    monkeypatch.setattr(facts.Extractor, "_names_any",
                        lambda self, rel, names: False)
    wrong, _n = _modes_and_runs(tree, monkeypatch, tmp_path / "c2")
    assert wrong["b_ops"] != WR, wrong


def test_a_mode_given_before_each_walk_leaves_the_table_alone(tmp_path):
    """`ops->walk_lock = MODE` right before each walk, by the lock the
    path took: the table is left as it is, with the modes named, not
    given the default with a note that some paths hold only a per-VMA
    read lock."""
    tables, out = analyze(tmp_path, "walk_lock_at_walk.c")
    t = tables["at_walk_ops"]
    assert t["action"] == "none" and not t["review"], t
    assert t["walk_lock_at_walk"] == ["PGWALK_RDLOCK",
                                      "PGWALK_VMA_RDLOCK_VERIFY"], t
    assert "set before each walk" in t["reason"]
    _subject, body = messages.cover_letter(out, {})
    flat = " ".join(body.split())
    assert "One table gets walk_lock before each walk, to a mode the lock " \
        "of each path allows, and is left as it is: at_walk_ops." in flat, \
        flat
    assert "only passed to" not in flat


def test_a_mode_given_before_each_walk_needs_its_rule(tmp_path,
                                                      monkeypatch):
    work = tmp_path / "semantic-patches"
    shutil.copytree(SEMANTIC_PATCHES, work)
    text = (work / "calls.cocci").read_text()
    (work / "calls.cocci").write_text(
        remove_rule(remove_rule(text, "walk_lock_set_ptr"),
                    "walk_lock_set_struct"))
    monkeypatch.setenv("PGWALK_SEMANTIC_PATCHES", str(work))
    tables, _out = analyze(tmp_path, "walk_lock_at_walk.c")
    assert tables["at_walk_ops"]["action"] != "none"


def test_a_mode_computed_before_each_walk_leaves_the_table_alone(
        tmp_path, monkeypatch):
    """`ops.walk_lock = f(ctx->lock)` right before each walk, f a mapping
    function of the tree: the table is left as it is (an initializer
    would be overridden), the modes f can give are named, and the table is
    for review (which one each path gets is not followed).  Without the
    rule the table is given an initializer it would never use."""
    tables, out = analyze(tmp_path, "walk_lock_computed.c")
    t = tables["computed_ops"]
    assert t["action"] == "none" and t["mode"] is None, t
    assert t["walk_lock_set_to"] == {
        "expr": "ctx_walk_lock(ctx->lock)",
        "can_be": ["PGWALK_RDLOCK", "PGWALK_VMA_RDLOCK_VERIFY"]}, t
    assert t["review"] and "not followed" in t["review"][0], t
    _subject, body = messages.cover_letter(out, {})
    flat = " ".join(body.split())
    assert "One table gets walk_lock before each walk, to a value computed " \
        "at run time that the analysis does not follow to each path, and " \
        "is left as it is: computed_ops." in flat, flat
    # The claims checker takes the sentence, and catches it said of a
    # table the decisions do not give a computed walk_lock.
    checker = claims.Checker(Decisions.from_json(out))
    assert checker.check_paragraphs(body, "cover") == []
    wrong = copy.deepcopy(out)
    for w in wrong["tables"]:
        w.pop("walk_lock_set_to", None)
    assert any("gets walk_lock before each walk" in e for e in
               claims.Checker(Decisions.from_json(wrong)).check_paragraphs(
                   body, "cover"))
    monkeypatch.setattr(decisions, "_chosen_before_each_walk",
                        lambda *a: None)
    tables, _out = analyze(tmp_path / "without", "walk_lock_computed.c")
    assert tables["computed_ops"]["action"] == "annotate"


def _rewritten(tmp_path, name, edit):
    """(tables by name, decisions) of fixture name's tree with its file's
    text replaced by edit(text), committed."""
    tree = make_tree(tmp_path, name)
    path = os.path.join(tree, "mm", name)
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(edit(text))
    subprocess.run(["git", "-C", tree, "commit", "-qam", "rewritten"],
                   check=True, capture_output=True)
    out = decisions.analyze(tree, jobs=2)
    return {t["name"]: t for t in out["tables"]}, out


def _replacing(*pairs):
    """An edit for _rewritten(): each (old, new) replaced, old present."""
    def edit(text):
        for old, new in pairs:
            assert old in text, old
            text = text.replace(old, new)
        return text
    return edit


def _flag_fixture(tmp_path, extra=""):
    """lock_flag_member.c's tree, with extra C appended to the file."""
    if not extra:
        return analyze(tmp_path, "lock_flag_member.c")
    return _rewritten(tmp_path, "lock_flag_member.c",
                      lambda text: text + extra)


def test_a_member_set_only_under_the_lock_tells_which_lock_is_held(
        tmp_path):
    """A getter choosing by a member that is set only once the mmap lock
    is held: where it is set, the walk holds the lock for read (also on
    the seq_file path whose ->start takes none); where it is clear, no
    path holds the mmap lock, so the tree's mode without an mmap need,
    named for review, since the per-VMA lock is not followed.  The path
    through the helper that sets it never reaches the other table."""
    tables, out = _flag_fixture(tmp_path)
    mmap, vma = tables["flag_mmap_ops"], tables["flag_vma_ops"]
    assert mmap["mode"] == RD and not mmap["review"], mmap
    assert _locks(mmap) == ["read"], mmap["chains"]
    assert any("flag_lock_mm()" in c["steps"][0] for c in mmap["chains"])
    assert vma["mode"] == "PGWALK_VMA_RDLOCK_VERIFY", vma
    assert not vma["chains"], vma["chains"]
    assert any(".mmap_locked is clear" in r and "not followed" in r
               for r in vma["review"]), vma["review"]
    assert not out["review"]


def test_a_member_also_set_without_the_lock_tells_nothing(tmp_path):
    """One assignment of the member with no lock taken before it, and the
    member no longer says the lock is held: both tables fall back."""
    tables, _out = _flag_fixture(tmp_path, (
        "\nstatic void flag_pretend(struct flag_priv *priv)\n{\n"
        "\tpriv->lock_ctx.mmap_locked = true;\n}\n"))
    vma = tables["flag_vma_ops"]
    assert vma["mode"] != "PGWALK_VMA_RDLOCK_VERIFY", vma


def test_a_member_of_the_same_name_in_another_file_is_another_member(
        tmp_path):
    """Another file's struct with a member of the same name, set under
    the mmap lock for write: the facts do not know the struct, so flags
    are by file, and this file's member still says "held for read"."""
    tree = make_tree(tmp_path, "lock_flag_member.c")
    with open(os.path.join(tree, "mm", "other_flag.c"), "w") as f:
        # A table makes the file one the analysis reads.
        f.write("struct other { bool mmap_locked; };\n\n"
                "static const struct mm_walk_ops other_ops = {\n"
                "\t.pmd_entry\t= a_pmd_entry,\n};\n\n"
                "void other_lock(struct mm_struct *mm, struct other *o)\n"
                "{\n\tmmap_write_lock(mm);\n\to->mmap_locked = true;\n}\n")
    for args in (["add", "-A"], ["commit", "-qm", "other"]):
        subprocess.run(["git", "-C", tree, *args], check=True,
                       capture_output=True)
    out = decisions.analyze(tree, jobs=2)
    tables = {t["name"]: t for t in out["tables"]}
    assert "other_ops" in tables
    assert tables["flag_vma_ops"]["mode"] == "PGWALK_VMA_RDLOCK_VERIFY"
    assert tables["flag_mmap_ops"]["mode"] == RD


# record_skipped inherits from member_flag, and goes with it.
@pytest.mark.parametrize("rules", ["member_flag record_skipped",
                                   "member_set"])
def test_a_lock_flag_member_needs_its_rules(tmp_path, monkeypatch, rules):
    _without_rules(tmp_path, monkeypatch, "facts.cocci", *rules.split())
    tables, _out = _flag_fixture(tmp_path)
    assert tables["flag_vma_ops"]["mode"] != "PGWALK_VMA_RDLOCK_VERIFY"


def test_a_helper_taking_one_of_two_locks_is_in_both_sets():
    """facts.cocci's sets: a helper that returns holding the read lock on
    one branch and the write lock on another takes both, for its callers
    (it was put in one set only, so a tree's madvise paths all held the
    write lock, and none could happen)."""
    from pgwalk.analysis import lockdata
    sets = lockdata.rule_sets({}, {"either": [("mmap", "write"),
                                              ("mmap", "read")]})
    assert "either" in sets["mmap_read"] and "either" in sets["mmap_write"]


def test_a_lock_chosen_by_a_value_the_path_does_not_fix_is_named(tmp_path):
    """The helper's choice read from a field no path sets: each path may
    hold either lock, so no table is said to hold one of them on every
    path; the review names the helper and its choice."""
    tables, _out = _rewritten(
        tmp_path, "either_lock_helper.c",
        lambda text: text.replace("switch (either_mode_of(advice)) {",
                                  "switch (mm->either_mode) {"))
    for name in ("either_read_ops", "either_write_ops"):
        t = tables[name]
        assert any("either_lock() takes the mmap lock for read or the mmap "
                   "lock for write by a value this path does not fix" in r
                   for r in t["review"]), (name, t["review"])
        assert "chosen by a value the analysis does not fix" in \
            t["reason"], (name, t["reason"])


# An assignment to the member a lock and the walks are chosen by, in a
# function no path calls: the member may then be anything anywhere.
RETARGET = ("\nvoid req_retarget(struct req *r)\n"
            "{\n\tr->advice = ADVICE_LOOK;\n}\n")


def _lock_choice(t):
    return any("req_lock() takes the mmap lock for read or the mmap lock "
               "for write by a value this path does not fix" in r
               for r in t["review"])


def test_a_member_nothing_assigns_is_one_value_along_the_path(
        tmp_path, monkeypatch):
    """member_choice.c's helper takes the read or the write lock by
    r->advice, and the walks sit under case labels on the same member
    (through a local copy and a parameter): one value, so each walk's
    lock is known.  Without members as values, both walks may hold
    either lock."""
    from pgwalk.analysis import values
    monkeypatch.setattr(values.Evaluator, "_member",
                        lambda self, e: values.UNKNOWN)
    tables, _out = analyze(tmp_path, "member_choice.c")
    assert tables["req_change_ops"]["mode"] != WR
    assert _lock_choice(tables["req_change_ops"])


def test_an_assigned_member_is_not_followed(tmp_path):
    """The same fixture with one assignment to the member anywhere: it
    is not one value along a path any more, so the lock is a choice the
    path does not fix (named for review), not the write lock."""
    tables, _out = _rewritten(tmp_path, "member_choice.c",
                              lambda text: text + RETARGET)
    assert tables["req_change_ops"]["mode"] != WR
    assert _lock_choice(tables["req_change_ops"])


def test_member_assignments_need_their_rule(tmp_path, monkeypatch):
    """Without facts.cocci's member_set the planted assignment is not
    seen, and the member is (wrongly) followed: the rule is what keeps
    the answer above honest."""
    work = tmp_path / "semantic-patches"
    shutil.copytree(SEMANTIC_PATCHES, work)
    text = remove_rule((work / "facts.cocci").read_text(), "member_set")
    (work / "facts.cocci").write_text(text)
    monkeypatch.setenv("PGWALK_SEMANTIC_PATCHES", str(work))
    tables, _out = _rewritten(tmp_path, "member_choice.c",
                              lambda text: text + RETARGET)
    assert tables["req_change_ops"]["mode"] == WR


def test_a_helper_returning_holding_one_of_two_locks_is_a_lock_helper(
        tmp_path, monkeypatch):
    """vma_or_mmap_helper.c's try_lock() releases the per-VMA lock on one
    path and returns holding a lock on every path: a helper whose kinds
    are the per-VMA read lock and the mmap read lock.  No mode's checks
    hold for both, and the reason says so (it said "the mode safe for
    every lock" whatever the mode).  Without facts.cocci's held_return
    (a helper was one that releases nothing) the walk's lock is not
    known at all."""
    tables, _out = analyze(tmp_path / "a", "vma_or_mmap_helper.c")
    t = tables["try_walk_ops"]
    assert any("try_lock() takes the mmap lock for read or a per-VMA read "
               "lock" in r for r in t["review"]), t["review"]
    assert "no mode's checks hold for every lock they may hold" in \
        t["reason"], t["reason"]
    work = tmp_path / "semantic-patches"
    shutil.copytree(SEMANTIC_PATCHES, work)
    text = remove_rule((work / "facts.cocci").read_text(), "held_return")
    (work / "facts.cocci").write_text(text)
    monkeypatch.setenv("PGWALK_SEMANTIC_PATCHES", str(work))
    tables, _out = analyze(tmp_path / "b", "vma_or_mmap_helper.c")
    t = tables["try_walk_ops"]
    assert not any("try_lock() takes" in r for r in t["review"]), t


def _without_rules(tmp_path, monkeypatch, path, *rules):
    """PGWALK_SEMANTIC_PATCHES pointed at a copy of the rules without
    `rules` of semantic patch `path`."""
    work = tmp_path / "semantic-patches"
    shutil.copytree(SEMANTIC_PATCHES, work)
    text = (work / path).read_text()
    for rule in rules:
        text = remove_rule(text, rule)
    (work / path).write_text(text)
    monkeypatch.setenv("PGWALK_SEMANTIC_PATCHES", str(work))


def test_a_lock_mode_recorded_by_the_lock_helper_rules_out_the_other_lock(
        tmp_path):
    """recorded_lock_mode.c: req_lock() records the lock it took in
    r->lock_mode, and req_vmas() tries the per-VMA lock only when that
    member asks for it.  The action whose mode is the mmap write lock
    walks under the write lock on every path: req_lock()'s, passed on
    below the `if` when its test fails before req_try_vma() is called.
    The action whose mode asks for the per-VMA lock keeps both locks
    req_try_vma() may take, for review."""
    tables, _out = analyze(tmp_path, "recorded_lock_mode.c")
    change, look = tables["lreq_change_ops"], tables["lreq_look_ops"]
    assert change["mode"] == WR and not change["review"], change
    assert _locks(change) == ["write"], change["chains"]
    assert _locks(look) == ["read", "vma_read"], look["chains"]
    assert look["review"], look


def test_a_lock_mode_recorded_as_a_number_is_not_compared_with_names(
        tmp_path):
    """recorded_lock_mode.c with a function that sets the member to 3,
    which is REQ_VMA_READ: it may come between req_lock()'s record and
    the test, and the number cannot be told from that name, so the member
    says nothing, and the change table's per-VMA path is not ruled out
    (for review, not the write mode)."""
    tables, _out = _rewritten(
        tmp_path, "recorded_lock_mode.c",
        lambda text: text + "\nvoid req_reset(struct lreq *r)\n{\n"
        "\tr->lock_mode = 3;\n}\n")
    change = tables["lreq_change_ops"]
    assert change["review"] and "vma_read" in _locks(change), change


def test_a_lock_mode_recorded_in_one_object_is_not_read_from_another(
        tmp_path):
    """recorded_lock_mode.c where do_req() hands its locked request to
    req_again(), which walks a request of its own, also named r, whose
    lock_mode nothing recorded.  Objects are followed by name, so
    req_lock()'s record was read from the other r and its per-VMA path
    ruled out; it stays now, for review."""
    again = ("static int req_again(struct lreq *orig)\n{\n"
             "\tstruct lreq r = {\n\t\t.mm = orig->mm,\n"
             "\t\t.action = orig->action,\n\t};\n\n"
             "\treturn req_vmas(&r);\n}\n\n")
    tables, _out = _rewritten(tmp_path, "recorded_lock_mode.c", _replacing(
        ("int do_req(", again + "int do_req("),
        ("\terr = req_vmas(&r);\n", "\terr = req_again(&r);\n")))
    change = tables["lreq_change_ops"]
    assert change["review"] and "vma_read" in _locks(change), change


def test_a_struct_initialized_with_a_number_keeps_every_path(tmp_path):
    """struct_init.c with the look request made by `.action = 0`: 0 may
    be SREQ_LOOK (an enum's first name), so the number does not rule the
    `case SREQ_LOOK:` path out.  The look table keeps its read-locked
    path; the change table, which that request may now reach too, is
    no longer only write-locked."""
    tables, _out = _rewritten(tmp_path, "struct_init.c", _replacing(
        ("\t\t.action = SREQ_LOOK,\n", "\t\t.action = 0,\n")))
    assert _locks(tables["sreq_look_ops"]) == ["read"], tables
    assert "read" in _locks(tables["sreq_change_ops"]), tables


def test_two_structs_of_one_name_on_a_path_narrow_nothing(tmp_path):
    """struct_init.c where the look request goes through sreq_redo(),
    which makes its own `struct sreq r = { .action = SREQ_CHANGE }` and
    passes that down: the change table is walked under the look
    request's read lock.  Values follow an object by its name, so the two
    r's would be one, SREQ_LOOK and SREQ_CHANGE at once, and that real
    path was dropped as impossible (the change table then claimed the
    write lock on every path)."""
    redo = ("static int sreq_redo(struct sreq *orig)\n{\n"
            "\tstruct sreq r = {\n\t\t.mm = orig->mm,\n"
            "\t\t.action = SREQ_CHANGE,\n\t};\n\n"
            "\treturn sreq_one(&r);\n}\n\n")

    def edit(text):
        head, look = text.split("int sreq_look(", 1)
        look, rest = look.split("int sreq_change(", 1)
        assert "err = sreq_one(&r);" in look
        return head + redo + "int sreq_look(" + look.replace(
            "err = sreq_one(&r);", "err = sreq_redo(&r);") + \
            "int sreq_change(" + rest
    tables, _out = _rewritten(tmp_path, "struct_init.c", edit)
    change = tables["sreq_change_ops"]
    assert "read" in _locks(change), change


def test_a_declared_computed_walk_lock_names_the_modes_it_can_be(tmp_path):
    """walk_lock_computed.c with its mode computed in the initializer
    instead (`.walk_lock = ctx_walk_lock(ctx->lock)`, as 7.3's madvise
    declares it): ctx->lock is not fixed where the table is, so the modes
    are the mapping function's returns, as for a mode set before each
    walk.  They were none, and the audit said only "computed at run
    time"."""
    from pgwalk.analysis import audit
    tables, out = _rewritten(tmp_path, "walk_lock_computed.c", _replacing(
        ("\tcomputed_ops.walk_lock = ctx_walk_lock(ctx->lock);\n", ""),
        ("\t\t.pmd_entry\t= a_pmd_entry,\n",
         "\t\t.pmd_entry\t= a_pmd_entry,\n"
         "\t\t.walk_lock\t= ctx_walk_lock(ctx->lock),\n")))
    t = tables["computed_ops"]
    assert t["declared_can_be"] == ["PGWALK_RDLOCK",
                                    "PGWALK_VMA_RDLOCK_VERIFY"], t
    decided = Decisions.from_json(out)
    row = next(r for r in audit.verdicts(decided)
               if r[0].name == "computed_ops")
    assert row[1] == "not a constant", row
    assert "(one of PGWALK_RDLOCK, PGWALK_VMA_RDLOCK_VERIFY)" in row[2], row


def test_a_lock_chosen_at_run_time_is_not_called_a_path_not_followed(
        tmp_path):
    """lreq_look_ops keeps the tree's mode because the lock each path holds
    is chosen by a value, not because a path was lost: decisions.json says
    which (review_kind), and the changelog says that, with the paths.  It
    said "not every path can be followed to its lock" (7.3's madvise), and
    the claims checker now catches that sentence said of such a table,
    and the new one said of a table whose path was lost."""
    from pgwalk import table as tablemod
    _tables, out = analyze(tmp_path, "recorded_lock_mode.c")
    look = next(t for t in out["tables"] if t["name"] == "lreq_look_ops")
    assert look["review_kind"] == tablemod.REVIEW_LOCK_CHOICE, look
    text = "\n\n".join(messages.table_lines([look]))
    flat = " ".join(text.split())
    assert "chosen by a value the analysis does not fix;" in flat, flat
    assert "can be followed" not in flat, flat
    # The path, once: both locks are req_try_vma()'s, on one call path.
    assert flat.count("lreq_look_ops: req_vmas() -> req_one()") == 1, flat
    checker = claims.Checker(Decisions.from_json(out))
    assert checker.check_paragraphs(text, "patch") == []
    lost = "- lreq_look_ops: not every path can be followed to its lock; " \
        "the mode every walk has today, so PGWALK_RDLOCK."
    assert any("that a path cannot be followed" in e
               for e in checker.check_paragraphs(lost, "patch"))
    wrong = copy.deepcopy(out)
    for w in wrong["tables"]:
        if w["name"] == "lreq_look_ops":
            w["review_kind"] = tablemod.REVIEW_UNSEEN
    assert any("the lock is chosen by a value not fixed" in e for e in
               claims.Checker(Decisions.from_json(wrong)).check_paragraphs(
                   text, "patch"))


def test_the_cover_names_a_shared_name_local_with_a_note_by_its_function(
        tmp_path):
    """The cover's list of tables with a note for reviewers named 7.3's
    madvise_guard_install() walk_ops plain "walk_ops", one of four tables
    of that name in mm/madvise.c.  A shared-name local is named with its
    function there too (as lreq_look_ops here, made one for the test)."""
    _tables, out = analyze(tmp_path, "recorded_lock_mode.c")
    for t in out["tables"]:
        if t["name"] == "lreq_look_ops":
            t.update(function="req_one", shared_name=True)
    _subject, body = messages.cover_letter(out, {})
    flat = " ".join(body.split())
    assert "a short note for reviewers after the --- line of its patch: " \
        "lreq_look_ops (req_one())." in flat, flat


COMPUTED = "creq_walk_lock(r->lock_mode)"


def test_a_recorded_lock_mode_gives_the_table_the_trees_own_mapping(
        tmp_path):
    """recorded_mode_computed.c: the look walk's paths hold the per-VMA
    read lock or the mmap read lock, each recorded in r->lock_mode, and
    the tree's creq_walk_lock() gives each the mode that holds for its
    lock.  The table gets `.walk_lock = creq_walk_lock(r->lock_mode)`
    (as 7.3 declares get_walk_lock(madv_behavior->lock_mode)), not the
    default for review.  The changelog says which mode each lock gets,
    the claims checker takes it, and the edit writes the expression."""
    from pgwalk.series import edits
    tables, out = analyze(tmp_path, "recorded_mode_computed.c")
    t = tables["look_ops"]
    assert t["mode"] == COMPUTED and not t["review"], t
    assert t["mode_by"] == {
        "function": "creq_walk_lock", "expr": "r->lock_mode",
        "modes": ["PGWALK_RDLOCK", "PGWALK_VMA_RDLOCK_VERIFY"],
        "by_lock": {"read": ["PGWALK_RDLOCK"],
                    "vma_read": ["PGWALK_VMA_RDLOCK_VERIFY"]}}, t
    text = "\n\n".join(messages.table_lines([t]))
    flat = " ".join(text.split())
    assert "creq_walk_lock() gives PGWALK_RDLOCK to those that hold the " \
        "mmap lock for read; PGWALK_VMA_RDLOCK_VERIFY to those that hold " \
        "only a per-VMA read lock" in flat, flat
    assert claims.Checker(Decisions.from_json(out)).check_paragraphs(
        text, "patch") == []
    wrong = copy.deepcopy(out)
    for w in wrong["tables"]:
        w.pop("mode_by", None)
    assert any("says PGWALK_VMA_RDLOCK_VERIFY of look_ops" in e for e in
               claims.Checker(Decisions.from_json(wrong)).check_paragraphs(
                   text, "patch"))
    written = edits.file_edits(out["tree"], "mm/recorded_mode_computed.c",
                               [t])
    assert "\t\t.walk_lock\t= %s,\n" % COMPUTED in written, written


@pytest.mark.parametrize("without", ["narrow", "records", "holds"])
def test_a_computed_mode_needs_each_step(tmp_path, monkeypatch, without):
    """Without the test of the per-VMA path narrowing the recorded mode
    (`r->lock_mode == CM_VMA_READ && try()`), without leaving out a
    helper's own records (creq_try_vma()'s CM_MMAP_READ could otherwise
    come between), or with a mapping that gives a mode the lock does not
    allow, the table is not given the computed mode."""
    from pgwalk.analysis import paths, values
    name = "recorded_mode_computed.c"
    if without == "narrow":
        monkeypatch.setattr(values.Evaluator, "narrow", lambda *a: None)
    elif without == "records":
        monkeypatch.setattr(paths.Paths, "_records_a_take",
                            lambda *a: False)
    if without == "holds":
        tables, _out = _rewritten(tmp_path, name, _replacing(
            ("\tdefault:\n\t\treturn PGWALK_RDLOCK;\n",
             "\tdefault:\n\t\treturn PGWALK_WRLOCK;\n")))
    else:
        tables, _out = analyze(tmp_path, name)
    t = tables["look_ops"]
    assert t["mode"] != COMPUTED and t["review"], t


@pytest.mark.parametrize("path, rule", [
    # Without it no path below the `if` inherits req_lock()'s write lock.
    ("calls.cocci", "inherit_past_and"),
    # Without it req_try_vma() may be called whatever r->lock_mode is.
    ("facts.cocci", "branch_and"),
    # Without it nothing says what req_lock() recorded (record_skipped
    # inherits from it, and goes with it).
    ("facts.cocci", "member_flag record_skipped"),
])
def test_a_recorded_lock_mode_needs_each_rule(tmp_path, monkeypatch, path,
                                              rule):
    _without_rules(tmp_path, monkeypatch, path, *rule.split())
    tables, _out = analyze(tmp_path, "recorded_lock_mode.c")
    change = tables["lreq_change_ops"]
    assert change["mode"] != WR or change["review"], change


def test_a_lock_mode_recorded_on_only_some_paths_says_nothing(
        tmp_path, monkeypatch):
    """A req_lock() that may return holding the write lock without
    recording it: r->lock_mode is then whatever it was before, and the
    per-VMA path cannot be ruled out (for review, not the write mode).
    With facts.cocci's record_skipped removed, the recorded value is
    believed and the write mode claimed: that rule is the check."""
    def variant(where):
        old = "\t\t\treturn -EINTR;\n"
        tables, _out = _rewritten(where, "recorded_lock_mode.c", _replacing(
            (old, old + "\t\tif (!r->start)\n\t\t\treturn 0;\n")))
        return tables["lreq_change_ops"]
    change = variant(tmp_path / "a")
    assert change["review"] and "read" in _locks(change), change
    _without_rules(tmp_path, monkeypatch, "facts.cocci", "record_skipped")
    change = variant(tmp_path / "b")
    assert change["mode"] == WR and not change["review"], change


def test_function_names_that_are_rule_names_need_the_renaming(
        tmp_path, monkeypatch):
    """Without renaming the rules a filled-in set would name, spatch stops
    on the set (`identifier f = {call, lock, ...}` after a rule `call`)."""
    from pgwalk import cocci
    monkeypatch.setattr(cocci, "without_clashes", lambda text, names: text)
    with pytest.raises(Exception) as e:
        analyze(tmp_path, "rule_names.c")
    assert "spatch failed" in str(e.value) and \
        "identifier f = {" in str(e.value), str(e.value)[-2000:]


def test_only_rule_names_are_renamed():
    """The renaming touches rule headers and `rule.meta` references, not a
    set, the C pattern or a Python body that spells the same word."""
    from pgwalk import cocci
    text = ("@call@\nidentifier f = {call, lock};\nposition p;\n@@\n"
            "call@p(f)\n\n@script:python@\np << call.p;\nf << call.f;\n@@\n"
            "call = 1\nemit('call', p)\n\n@other depends on call@\n"
            "identifier call.f;\n@@\nf(call);\n")
    got = cocci.without_clashes(text, {"call", "lock"})
    assert got == (
        "@pgwalk_call@\nidentifier f = {call, lock};\nposition p;\n@@\n"
        "call@p(f)\n\n@script:python@\np << pgwalk_call.p;\n"
        "f << pgwalk_call.f;\n@@\ncall = 1\nemit('call', p)\n\n"
        "@other depends on pgwalk_call@\nidentifier pgwalk_call.f;\n@@\n"
        "f(call);\n"), got
    assert cocci.without_clashes(text, {"nothing"}) == text


def test_local_tables_of_one_name_are_each_their_own_table(tmp_path):
    """Two functions each declare a local table of one name: two tables,
    each decided on the paths to its own walks (one through a wrapper
    its function hands it to), and each named by its function."""
    out = decisions.analyze(make_tree(tmp_path, "same_name_locals.c"),
                            jobs=2)
    same = {t["function"]: t for t in out["tables"]
            if t["name"] == "same_ops"}
    assert sorted(same) == ["same_name_reader", "same_name_writer"], \
        out["tables"]
    reader, writer = same["same_name_reader"], same["same_name_writer"]
    assert (reader["mode"], writer["mode"]) == (RD, WR), (reader, writer)
    for t, own, other in ((reader, "same_name_reader", "same_name_writer"),
                          (writer, "same_name_writer", "same_name_reader")):
        assert t["chains"] and not t["review"], t
        for c in t["chains"]:
            assert any(own in s for s in c["steps"]), c
            assert not any(other in s for s in c["steps"]), c
        assert t["evidence"] and all(own in e and other not in e
                                     for e in t["evidence"]), t["evidence"]
    assert [c["lock"] for c in reader["chains"]] == ["read"]
    assert [c["lock"] for c in writer["chains"]] == ["write"]
    assert not out["review"]
    # The cover tells the two apart by their functions.
    _subject, body = messages.cover_letter(out, {})
    flat = " ".join(body.split())
    for fn in ("same_name_reader", "same_name_writer"):
        assert "same_ops (mm/same_name_locals.c, %s())" % fn in flat, flat


def test_a_local_set_at_each_walk_keeps_no_mode_of_its_namesake(tmp_path):
    """walk_lock_at_walk.c's table renamed walk_ops, and another
    function's local walk_ops walked under the mmap read lock: that one
    gets its initializer, the one given its mode at each walk none (one
    mode per name gave both PGWALK_RDLOCK, and a cover letter sentence
    with the other's paths)."""
    from pgwalk.series import commits, edits
    other = ("\nint other_user(struct mm_struct *mm)\n{\n"
             "\tstruct mm_walk_ops walk_ops = {\n"
             "\t\t.pmd_entry\t= a_pmd_entry,\n\t};\n\n"
             "\tmmap_read_lock(mm);\n"
             "\twalk_page_range(mm, 0, 1, &walk_ops, NULL);\n"
             "\tmmap_read_unlock(mm);\n\treturn 0;\n}\n")
    _tables, out = _rewritten(
        tmp_path, "walk_lock_at_walk.c",
        lambda text: text.replace("at_walk_ops", "walk_ops") + other)
    by_fn = {t["function"]: t for t in out["tables"]
             if t["name"] == "walk_ops"}
    at_walk, plain = by_fn["set_at_walk_user"], by_fn["other_user"]
    assert at_walk["action"] == "none" and at_walk["walk_lock_at_walk"]
    assert (plain["action"], plain["mode"]) == ("annotate", RD), plain
    assert plain["evidence"] == [
        "other_user() takes mmap_read_lock() -> walk_page_range()"]
    text = edits.edit_files(out["tree"], commits.group_by_file(out))[
        "mm/walk_lock_at_walk.c"]
    mine, theirs = text.split("int other_user")
    assert ".walk_lock\t= PGWALK_RDLOCK," in theirs, text
    assert "walk_lock\t=" not in mine and "walk_lock =" not in \
        mine.split("int set_at_walk_user")[1], text
