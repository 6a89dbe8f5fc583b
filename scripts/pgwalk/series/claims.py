# SPDX-License-Identifier: GPL-2.0
"""Every claim of a series' words, checked against decisions.json.

    python3 -m pgwalk.series.claims DECISIONS.json PATCH...

The changelogs and the cover letter say things about the tables: which
mode a table gets, how many paths to its walk hold which lock, the call
chains that show it, which walkers a table is passed to and that they do
not use walk_lock, why a table is left as it is.  Each of those is a fact
of decisions.json (the analysis' output, which the words were written
from); this module reads the words back, finds the claims, and says which
ones the decisions do not support.  It is keyed on the facts, not on the
exact sentences: a claim is recognised by the table it names, the mode
names, the counted paths and the lock words near them.

What is checked, per paragraph that names a table (the last table named
stays the subject of the paragraphs after it, as a changelog's chain
lines and verdict follow its table's paragraph):
- a mode named (PGWALK_*) is the table's mode or its write twin's;
- "every path ... holds L": every chain of the table holds L;
- "N paths ... hold L": the table has N chains holding L ("N more
  paths" counts the chains not printed: at most the chains holding L);
- a call chain line (a -> b -> c) is one of the table's chains, and the
  lock its first step names (takes/asserts/downgrades/holds) is the one
  the decisions give that chain;
and in the cover letter: each table row's mode; the tables said to be
"left as they are" are the ones the series does not touch, and a walker
said not to use walk_lock is one the decisions say ignores it; a walker
said to assert the mmap lock itself asserts that lock in the contract.

The decisions themselves are held to the lock model: a chain that starts
at a downgrade holds the mmap lock for read.
"""

import os
import re
import sys

from pgwalk.analysis import lockdata
from pgwalk.analysis.lockstate import ChainState, asserts_held
from pgwalk.series import mail
from pgwalk.table import (REVIEW_LOCK_CHOICE, REVIEW_UNSEEN, Action,
                          DecisionsError, load as load_decisions)

MODE = re.compile(r"\bPGWALK_[A-Z_]+\b")
NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six",
                "seven", "eight", "nine", "ten")
COUNTED = re.compile(r"\b(every|all|%s|\d+) (more )?paths?\b"
                     % "|".join(NUMBER_WORDS), re.I)
CLAUSE_END = re.compile(r"[.;:()]")
CALL_ARROW = " -> "
# A row of a changelog: "  table: chain" or "  table (file): chain".
ROW = re.compile(r"^  (\w+)(?: \([^)]*\))?(?:: (.*))?$")
# "f(), which ignores walk_lock and asserts the mmap lock for write
# itself" (messages.stated_words).
WALKER_ASSERTS = re.compile(
    r"((?:\w+\(\)(?:, | and )?)+),? which ignores? walk_lock and "
    r"asserts? the mmap lock( for write)? (?:itself|themselves)")
WALKER_IGNORES = re.compile(
    r"((?:\w+\(\)(?:, | and )?)+),? which (?:does|do) not use walk_lock|"
    r"((?:\w+\(\)(?:, | and )?)+),? which ignores? walk_lock")


def lock_of(words):
    """The lock state a clause says is held (the ChainState of a chain of
    decisions.json), or None."""
    w = words.lower()
    if "for read or for write" in w:
        return ChainState.HELD
    if "per-vma read lock" in w:
        return ChainState.VMA_READ
    if "no mmap lock" in w or "not hold the mmap lock" in w or \
            "without the mmap lock" in w:
        return ChainState.NONE
    if "for write" in w:
        return ChainState.WRITE
    if "for read" in w or "downgrade" in w:
        return ChainState.READ
    return None


def _number(word):
    word = word.lower()
    if word in ("every", "all"):
        return None
    return NUMBER_WORDS.index(word) if word in NUMBER_WORDS else int(word)


class Checker:
    def __init__(self, decisions):
        self.d = decisions
        self.tables = {}
        for t in decisions.tables:
            self.tables[t.name] = t
            if t.split:
                self.tables[t.split["write_name"]] = t
        names = sorted(self.tables, key=len, reverse=True)
        # "struct mm_walk_ops" names the type, not a table of that name.
        self.name_re = re.compile(
            r"(?<!struct )(?<!struct\n)\b(%s)\b" % "|".join(
                re.escape(n) for n in names)) if names else None
        self.honours = decisions.walkers or {}
        self.asserts = {w["name"]: w.get("asserts") for w in
                        (decisions.contract or {}).get("walkers", ())}
        self.prims = lockdata.primitives()

    # ------------------------------------------------------- the model

    def check_model(self):
        out = []
        for t in self.d.tables:
            for c in t.chains or []:
                first = c["steps"][0] if c["steps"] else ""
                if " downgrades " in first and c["lock"] != "read":
                    out.append("decisions: %s: a chain from a downgrade "
                               "is counted as %s: %s" % (
                                   t.name, c["lock"], first))
        return out

    # ------------------------------------------------------ paragraphs

    def named(self, para):
        return self.name_re.findall(para) if self.name_re else []

    def check_paragraphs(self, text, where):
        out = []
        subject = None
        for para in re.split(r"\n\s*\n", text):
            names = self.named(para)
            if names:
                subject = names[-1]
            flat = " ".join(para.split())
            out += self._check_left(flat, where)
            head, rows = self._rows(para)
            if rows:
                # A reason said once, then a row per table: the reason's
                # mode and lock words are claims about every row's table.
                head = " ".join(head.split())
                for name, chain in rows:
                    out += self._of_any(name, lambda t, name=name, chain=chain:
                                        self._check_modes(t, name, head,
                                                          where) +
                                        self._check_counts(t, name, head,
                                                           where) +
                                        (self._check_chain(t, name, chain,
                                                           where)
                                         if chain else []))
                continue
            if len(set(names)) > 1:
                out += self._check_rows(para, where)
                continue
            if subject is None:
                continue
            out += self._of_any(subject, lambda t, subject=subject:
                                self._check_modes(t, subject, flat, where) +
                                self._check_counts(t, subject, flat, where) +
                                self._check_chains(t, subject, para, where))
        return out

    def _of_any(self, name, check):
        """A claim about a table's name holds if it holds for one of the
        tables of that name (two files may each have a walk_ops): the
        defects of the first table, when none is free of them."""
        found = None
        for t in self.d.tables:
            if name not in (t.name, (t.split or {}).get(
                    "write_name")):
                continue
            got = check(t)
            if not got:
                return []
            found = got if found is None else found
        return found if found is not None else check(self.tables[name])

    def _modes_of(self, t):
        modes = {t.mode} | set((t.mode_by or {}).get("modes", ()))
        if t.split:
            modes.add(t.split["write_mode"])
        if t.declared:
            modes.add(t.declared)
        return modes

    def _check_modes(self, t, subject, flat, where):
        out = []
        for mode in MODE.findall(flat):
            if mode not in self._modes_of(t):
                out.append("%s: says %s of %s, whose mode is %s" % (
                    where, mode, subject, t.mode))
        return out

    def _check_counts(self, t, subject, flat, where):
        out = []
        chains = t.chains or []
        found = list(COUNTED.finditer(flat))
        for i, m in enumerate(found):
            # The clause a count heads: up to the next count or stop.
            end = found[i + 1].start() if i + 1 < len(found) else len(flat)
            clause = CLAUSE_END.split(flat[m.end():end])[0]
            lock = lock_of(clause)
            if lock is None:
                continue
            n = _number(m.group(1))
            have = sum(1 for c in chains if c["lock"] == lock)
            if n is None:
                if not chains or have != len(chains):
                    out.append("%s: says every path to the walk of %s "
                               "holds %s; the decisions have %d of %d" % (
                                   where, subject, lock, have, len(chains)))
            elif m.group(2):
                if n > have:
                    out.append("%s: says %d more paths of %s hold %s; the "
                               "decisions have %d" % (where, n, subject,
                                                      lock, have))
            elif n != have:
                out.append("%s: says %d paths of %s hold %s; the decisions "
                           "have %d" % (where, n, subject, lock, have))
        return out

    def _rows(self, para):
        """(the words before the rows, [(table, chain)]) of a paragraph
        whose indented lines are "  table: chain" or "  table (file):
        chain", continuation lines joined."""
        head, rows = [], []
        for line in para.split("\n"):
            m = ROW.match(line)
            # Rows follow their reason, a line ending in ":"; an indented
            # line of a wrapped sentence that begins with a table is not
            # a row.
            if m and m.group(1) in self.tables and (
                    rows or (head and head[-1].rstrip().endswith(":"))):
                rows.append([m.group(1), m.group(2) or ""])
            elif rows and line.startswith("      "):
                rows[-1][1] += " " + line.strip()
            elif not rows:
                head.append(line)
            else:
                break
        return "\n".join(head), [(n, " ".join(c.split())) for n, c in rows]

    def _check_chains(self, t, subject, para, where):
        out = []
        for line in _chain_lines(para):
            out += self._check_chain(t, subject, line, where)
        return out

    def _check_chain(self, t, subject, line, where):
        """A printed chain, whole or shortened ("a -> ... -> b"), is one
        of the table's chains, and the lock its first step names is the
        one the decisions give that chain."""
        found = [c for c in t.chains or []
                 if _same_chain(line, c["steps"])]
        if not found:
            return ["%s: a call chain of %s the decisions do not have: %s"
                    % (where, subject, line)]
        said = self._origin_lock(line.split(CALL_ARROW)[0])
        if said and all(said != c["lock"] for c in found):
            return ["%s: the chain %s is said to hold %s, the decisions "
                    "say %s" % (where, line, said, found[0]["lock"])]
        return []

    def _origin_lock(self, step):
        """The lock a chain's first step says it holds: a lock primitive
        it takes, asserts or downgrades with (scripts/locks.conf), or the
        words of a callback's context."""
        for word in re.findall(r"(\w+)\(\)", step):
            prim = self.prims.get(word)
            if not prim:
                continue
            lock, strength, action = prim
            if action == "downgrade":
                return "read"
            if asserts_held(prim):
                # Held, for read or for write: asserting says no more.
                return ChainState.HELD
            if action in ("take", "assert"):
                return strength if lock == "mmap" else "vma_" + strength
        return lock_of(step)

    # ----------------------------------------------------------- cover

    def _check_rows(self, para, where):
        """A list of tables: a row names one table and its mode; a
        sentence "- a, b and c: why, so MODE." gives MODE to each."""
        out = []
        flat = " ".join(para.split())
        if flat.startswith("- ") and ": " in flat and \
                flat.endswith(".") and ", so " in flat:
            said = MODE.findall(flat.rsplit(", so ", 1)[1])
            for name in set(self.named(flat.split(": ", 1)[0])):
                out += self._of_any(name, lambda t, n=name: [
                    "%s: says %s of %s, whose mode is %s" % (
                        where, mode, n, t.mode)
                    for mode in said if mode not in self._modes_of(t)])
        for line in para.split("\n"):
            names = self.named(line)
            modes = MODE.findall(line)
            if len(set(names)) == 1 and modes:
                out += self._of_any(names[0], lambda t, n=names[0]: [
                    "%s: lists %s with %s, whose mode is %s" % (
                        where, n, mode, t.mode)
                    for mode in modes if mode not in self._modes_of(t)])
        return out

    def _check_left(self, flat, where):
        """Tables said to be left as they are, and walkers said not to
        use walk_lock."""
        out = []
        if "left as" in flat:
            for name in set(self.named(flat)):
                # Tables of one name in several files: the one left alone.
                t = next((u for u in self.d.tables if u.name == name
                          and u.action == Action.NONE), self.tables[name])
                if t.action != Action.NONE:
                    out.append("%s: says %s is left as it is; the series "
                               "gives it %s" % (where, name, t.mode))
                elif "only passed to" in flat and not t.walkers:
                    out.append("%s: says %s is passed to a walker; the "
                               "decisions find no walk of it (%s)" % (
                                   where, name, t.reason))
                elif "before each walk" in flat and \
                        not (t.walk_lock_at_walk or t.walk_lock_set_to):
                    out.append("%s: says %s gets walk_lock before each "
                               "walk; the decisions do not (%s)" % (
                                   where, name, t.reason))
                elif "already set" in flat and not t.declared:
                    out.append("%s: says %s already sets walk_lock; the "
                               "decisions find none (%s)" % (
                                   where, name, t.reason))
        for phrase, kind, said in DOUBTS:
            if phrase not in flat:
                continue
            for name in set(self.named(flat)):
                out += self._of_any(name, lambda t, n=name: [] if
                                    t.review_kind == kind else [
                                        "%s: says %s of %s; the decisions "
                                        "do not (%s)" % (where, said, n,
                                                         t.reason)])
        for m in WALKER_IGNORES.finditer(flat):
            listed = m.group(1) or m.group(2)
            for w in re.findall(r"(\w+)\(\)", listed):
                if self.honours.get(w):
                    out.append("%s: says %s() does not use walk_lock; the "
                               "decisions say it does" % (where, w))
        for m in WALKER_ASSERTS.finditer(flat):
            said = "write" if m.group(2) else "read"
            for w in re.findall(r"(\w+)\(\)", m.group(1)):
                if self.asserts.get(w) != said:
                    out.append("%s: says %s() asserts the mmap lock%s "
                               "itself; the contract says it asserts %s" % (
                                   where, w, m.group(2) or "",
                                   self.asserts.get(w) or "nothing"))
        return out


# Why a table keeps the tree's mode, as messages.py words it: (words,
# the Table.review_kind they claim, what they say, for the report).
DOUBTS = (
    ("not every path to a walk can be followed back", REVIEW_UNSEEN,
     "that a path cannot be followed"),
    ("not every path can be followed to its lock", REVIEW_UNSEEN,
     "that a path cannot be followed"),
    ("chosen by a value the analysis does not fix;", REVIEW_LOCK_CHOICE,
     "that the lock is chosen by a value not fixed"),
)


def _same_chain(line, steps):
    """Whether a printed chain is the chain of steps: whole, or in short
    (messages.short_chain): each printed step is a step's text or its
    function, "..." stands for steps left out (none, when the first step
    names a callback's caller), and the walker at the end may be left
    out."""
    said = line.split(CALL_ARROW)
    if not steps:
        return False

    def same(printed, step):
        return printed in (step, step.split(" ", 1)[0],
                           step.split(", called ", 1)[0])

    def match(i, j):
        if i == len(said):
            return j in (len(steps), len(steps) - 1)
        if said[i] == "...":
            return any(match(i + 1, k) for k in range(j, len(steps)))
        return j < len(steps) and same(said[i], steps[j]) and \
            match(i + 1, j + 1)
    return match(0, 0)


def _chain_lines(para):
    """Call chains printed in a paragraph (indented lines with arrows,
    their continuation lines joined)."""
    out, cur = [], None
    for line in para.split("\n"):
        if line.startswith("  ") and not line.startswith("      ") and \
                CALL_ARROW in line:
            if cur:
                out.append(cur)
            cur = line.strip()
        elif cur is not None and line.startswith("      "):
            cur += " " + line.strip()
        else:
            if cur:
                out.append(cur)
            cur = None
    if cur:
        out.append(cur)
    return [" ".join(c.split()) for c in out]


def changelog(text):
    """Subject and changelog of a patch mail (above the --- line)."""
    lines, body = mail.split(text)
    subject = next((l[len("Subject: "):] for l in lines
                    if l.startswith("Subject: ")), "")
    return subject + "\n\n" + body.partition("\n---\n")[0]


def cover(text):
    """The cover letter's own words: down to format-patch's shortlog
    ("Author (N):", the patches' subjects), range-diff or base-commit."""
    lines, body = mail.split(text)
    for stop in ("\nRange-diff against", "\nbase-commit: "):
        if stop in body:
            body = body[:body.index(stop)]
    m = re.search(r"^\S.* \(\d+\):$", body, re.M)
    return body[:m.start()] if m else body


def check_series(decisions, paths):
    """Claims of the series at paths the decisions (a table.Decisions) do
    not support."""
    c = Checker(decisions)
    out = c.check_model()
    for path in paths:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        name = os.path.basename(path)
        if name.startswith("0000-") or "-0000-" in name:
            out += c.check_paragraphs(cover(text), name)
        else:
            out += c.check_paragraphs(changelog(text), name)
    return out


def main(argv):
    if len(argv) < 2:
        print("usage: python3 -m pgwalk.series.claims DECISIONS.json "
              "PATCH...", file=sys.stderr)
        return 2
    try:
        decisions = load_decisions(argv[0])
    except DecisionsError as e:
        print("error: %s" % e, file=sys.stderr)
        return 2
    defects = check_series(decisions, argv[1:])
    for d in defects:
        print(d)
    return 1 if defects else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
