# SPDX-License-Identifier: GPL-2.0
"""Which MAINTAINERS section a file belongs to, its subject prefix, and
who gets each patch.

Patches are grouped and ordered by the tree's own MAINTAINERS (most
specific section first wins, as get_maintainer.pl ranks F: matches by
depth), and each patch is addressed by the tree's own
scripts/get_maintainer.pl, so it lands with the people who maintain the
files it touches.
"""

import fnmatch
import os
import re

from pgwalk.errors import PgwalkError
from pgwalk import runner
from pgwalk.series import mail
from pgwalk.memo import Memo, file_digest, key


def parse(tree):
    """Return [(title, [F: patterns], [X: patterns])] in file order.

    A section is a paragraph whose first line is its title and whose other
    lines are all "K:\tvalue" entries; the prose at the top of the file has
    no such paragraphs, so it is skipped without special-casing.
    """
    path = os.path.join(tree, "MAINTAINERS")
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8", errors="replace") as f:
        paragraphs = f.read().split("\n\n")
    sections = []
    for para in paragraphs:
        lines = [l for l in para.strip("\n").split("\n") if l]
        if len(lines) < 2 or re.match(r"^[A-Z]:", lines[0]):
            continue
        entries = [re.match(r"^([A-Z]):\s*(.*)$", l) for l in lines[1:]]
        if not all(entries):
            continue
        pats = [m.group(2).strip() for m in entries if m.group(1) == "F"]
        excl = [m.group(2).strip() for m in entries if m.group(1) == "X"]
        sections.append((lines[0].strip(), pats, excl))
    return sections


def _match(pattern, relpath):
    """get_maintainer.pl semantics: "dir/" matches below it, globs per path."""
    if pattern.endswith("/"):
        return relpath.startswith(pattern)
    if any(c in pattern for c in "*?["):
        # A glob matches files in that directory, not below it.
        return fnmatch.fnmatchcase(relpath, pattern) and \
            relpath.count("/") == pattern.count("/")
    return relpath == pattern or relpath.startswith(pattern.rstrip("/") + "/")


def section_of(sections, relpath):
    """The most specific section covering relpath, or "THE REST"."""
    best, best_depth = None, -1
    for title, pats, excl in sections:
        if any(_match(x, relpath) for x in excl):
            continue
        for pat in pats:
            if _match(pat, relpath):
                depth = pat.rstrip("/").count("/") + \
                    (0 if pat.endswith("/") else 1)
                if depth > best_depth:
                    best, best_depth = title, depth
    return best or "THE REST"


def sections_of(tree, relpaths):
    """{relpath: title of its most specific section}, kept by the
    contents of MAINTAINERS (reading it costs about a second: every
    regeneration would pay it for the same answer)."""
    relpaths = sorted(set(relpaths))
    memo = Memo("sections")
    k = key(file_digest(os.path.join(tree, "MAINTAINERS")), relpaths,
            file_digest(__file__))
    got = memo.get(k)
    if got is None:
        sections = parse(tree)
        got = {r: section_of(sections, r) for r in relpaths}
        memo.put(k, got)
    return got


def subject_prefix(relpath):
    """Kernel-style subject prefix for a file.

    mm/mlock.c -> mm/mlock; arch/s390/mm/gmap.c -> s390/gmap;
    fs/proc/task_mmu.c -> fs/proc/task_mmu.
    """
    stem = os.path.splitext(relpath)[0]
    parts = stem.split("/")
    if parts[0] == "arch" and len(parts) >= 3:
        return "%s/%s" % (parts[1], parts[-1])
    return stem


# Options of every get_maintainer.pl run: no git history (a plain tree has
# one commit, and history would make the answer depend on the clone).
GET_MAINTAINER_OPTS = ["--no-git", "--no-git-fallback"]


class MaintainersError(PgwalkError):
    """scripts/get_maintainer.pl is missing or failed."""


def get_maintainers(tree, patch):
    """(To, Cc) of one patch file, from the tree's get_maintainer.pl.

    To: maintainers and supporters of the files; Cc: everyone else it
    names (reviewers, mailing lists).  Order as the script gives it.
    None when the tree has no get_maintainer.pl (the caller says so).
    """
    with open(patch, encoding="utf-8", errors="surrogateescape") as f:
        text = f.read()
    # What the script reads: itself, its configuration, MAINTAINERS and
    # the patch (its files and, for K: entries, its text).  Not its
    # commit id or date: they change with the base, the answer does not.
    entries = _entries(tree, [os.path.abspath(patch)], mail.content(text),
                       os.path.basename(patch))
    return None if entries is None else addressed(entries)


def get_file_maintainers(tree, relpath):
    """(To, Cc) for a file of the tree (get_maintainer.pl -f), or None."""
    entries = _entries(tree, ["-f", relpath], relpath, relpath)
    return None if entries is None else addressed(entries)


def _entries(tree, args, content, what):
    """[(who, role)] get_maintainer.pl names for args, kept by content."""
    script = os.path.join(tree, "scripts", "get_maintainer.pl")
    if not os.path.isfile(script):
        return None
    memo = Memo("get_maintainer")
    k = key(GET_MAINTAINER_OPTS, args[:1] if args[0] == "-f" else [],
            content,
            *[file_digest(os.path.join(tree, f)) for f in (
                "scripts/get_maintainer.pl", "MAINTAINERS",
                ".get_maintainer.conf", ".get_maintainer.ignore")])
    stdout = memo.get(k)
    if stdout is None:
        proc = runner.run(["perl", script] + GET_MAINTAINER_OPTS + args,
                          cwd=tree)
        if proc.returncode != 0:
            raise MaintainersError("get_maintainer.pl failed on %s: %s" % (
                what, proc.stderr.strip()[-300:]))
        stdout = proc.stdout
        memo.put(k, stdout)
    entries = []
    for line in stdout.splitlines():
        m = re.match(r"^(.*?)\s*\(([^:)]*)(?::.*)?\)\s*$", line)
        who, role = (m.group(1), m.group(2)) if m else (line.strip(), "")
        if who and who not in [w for w, _r in entries]:
            entries.append((who, role))
    return entries


PEOPLE_TO = ("maintainer", "supporter")


def addressed(entries):
    """(To, Cc) of [(who, role)]: maintainers and supporters in To,
    everyone else in Cc; lists in To only when nobody maintains the
    files."""
    to = [w for w, r in entries if r in PEOPLE_TO]
    if not to:
        # Files nobody maintains (an "orphan" or a list-only section):
        # the mail goes to their lists.
        to = [w for w, r in entries if "list" in r]
    cc = [w for w, _r in entries if w not in to]
    return to, cc


def with_core(own, core):
    """(To, Cc) of a patch that depends on the core: its own addresses
    and the core's maintainers and lists, as b4 addresses a series.  The
    people go in To, so the patch never goes to lists only; the lists in
    To only because nobody maintains the files move to Cc."""
    everyone = _unique(list(own[0]) + list(core[0]) + list(own[1]) +
                       list(core[1]))
    to = [w for w in _unique(list(own[0]) + list(core[0]))
          if _is_person(w)]
    if not to:
        to = _unique(list(own[0]) + list(core[0]))
    return to, [w for w in everyone if w not in to]


def _unique(items):
    out = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def _is_person(who):
    """An address with a name ("Name <a@b>"): get_maintainer.pl prints a
    mailing list as a bare address."""
    return "<" in who
