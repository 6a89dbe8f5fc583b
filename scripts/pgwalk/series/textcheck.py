# SPDX-License-Identifier: GPL-2.0
"""Read a series the way a reviewer does and list its text defects.

    python3 -m pgwalk.series.textcheck [--no-per-vma-lock] [--has-walk-lock]
                                       PATCH...

A changelog (subject and body, above the `---` line) must not carry
words about the tool or notes for the reviewer ("left for review",
"Coccinelle", "pinned"), nor file:line references, which go stale (they
may go after `---`).  "each" must not introduce a single table.  On a
tree without per-VMA locks nothing, changelog or kernel-doc, may say that
a walk takes or checks a VMA lock.  A patch that only sets PGWALK_RDLOCK
says "No functional change"; one that sets a write mode must not.  The
cover letter is held to the same words.

apply.sh prints what this finds as warnings; the tests fail on it.
"""

import re
import sys

from pgwalk import convention
from pgwalk.series import mail

TOOL_WORDS = re.compile(r"left for review|coccinelle|spatch|\bpinned\b|"
                        r"\bscripts/[\w.-]+\.(?:sh|py)\b|verify-build|"
                        r"boot-test|apply\.sh", re.I)
FILE_LINE = re.compile(r"\b[\w.+-]+(?:/[\w.+-]+)*\.[chS]:\d+\b")
EACH_TABLE = re.compile(r"\beach (?:struct mm_walk_ops|mm_walk_ops|"
                        r"(?:ops |page walk )?table)\b", re.I)
ONE_PLURAL = re.compile(r"\b(?:1|one) (?:tables|patches|paths|callers)\b",
                        re.I)
VMA_LOCKING = re.compile(
    r"vma_start_write|vma_assert_write_locked|"
    r"write-locks? (?:each|the|every|a) VMA|"
    r"VMAs? (?:is |are |was |were )?(?:already )?write-locked|"
    r"already write-locked|write-locked VMA|"
    r"VMA write[- ]lock", re.I)
# Claims about the kernel that a maintainer's review found false: a mode
# says which lock the caller holds and what the walker does to each VMA,
# not what the callbacks do; the walkers' rule is written (the novma
# walker documents and asserts its own); lockdep reports no caller; the
# VERIFY rule is about every walk on every path; a tarball import is not
# a tree "as released".  (pattern, what is wrong, where it is false:
# "any" tree, "walk_lock" trees that declare the modes already,
# "per-vma" trees with per-VMA locks.)
FALSE_CLAIMS = [
    (r"may change (?:page tables|what a VMA maps)",
     "a mode is not about what the callbacks change", "any"),
    (r"walk that changes page tables must",
     "walks that change PTEs under the read lock are PGWALK_RDLOCK too",
     "any"),
    (r"written nowhere",
     "walk_page_range_novma() documents and asserts its rule", "any"),
    (r"lockdep reports a caller",
     "no caller is reported: the callers hold the lock the mode asserts",
     "any"),
    (r"when the walked VMA has also been changed",
     "the rule is about every walk on every path", "any"),
    (r"apply to that tree as released",
     "the patches apply to a local import, not to a release", "any"),
    (r"puts the rule|adds enum page_walk_lock|Patch 1 adds|The other \w+ "
     r"patch", "the tree declares the modes already", "walk_lock"),
    (r"\badds? a write-lock assertion",
     "with per-VMA locks a write mode also write-locks or checks each "
     "VMA", "per-vma"),
]
FALSE_CLAIMS_RE = [(re.compile(p, re.I), why, where)
                   for p, why, where in FALSE_CLAIMS]
# Said once, in the core patch and the cover letter, not per changelog.
SHARED = re.compile(r"has no per-VMA locks|As suggested in review", re.I)
WALK_LOCK_SET = re.compile(r"^\+\s*\.walk_lock\s*=\s*(\w+)", re.M)
NO_FUNCTIONAL_CHANGE = re.compile(r"no functional change", re.I)


def parts(text):
    """(changelog, added lines of the diff) of one patch message."""
    lines, body = mail.split(text)
    subject = next((l[len("Subject: "):] for l in lines
                    if l.startswith("Subject: ")), "")
    subject = re.sub(r"^\[[^]]*\]\s*", "", subject)
    changelog, _sep, rest = body.partition("\n---\n")
    diff = rest[rest.find("\ndiff --git "):] if "\ndiff --git " in rest \
        else ""
    added = "\n".join(l[1:] for l in diff.splitlines()
                      if l.startswith("+") and not l.startswith("+++"))
    return subject + "\n\n" + changelog, diff, added


def cover_text(text):
    """The words of a cover letter: its body down to a `---` line (a note
    to the sender), the range-diff or the base-commit line (those quote
    other text)."""
    lines, body = mail.split(text)
    subject = next((l[len("Subject: "):] for l in lines
                    if l.startswith("Subject: ")), "")
    for stop in ("\nRange-diff against", "\nbase-commit: ", "\n---\n"):
        if stop in body:
            body = body[:body.index(stop)]
    return subject + "\n\n" + body


def check_words(words, per_vma_lock, where, has_core=False):
    out = []
    for pattern, why, kind in FALSE_CLAIMS_RE:
        if kind == "walk_lock" and not has_core or \
                kind == "per-vma" and not per_vma_lock:
            continue
        m = pattern.search(" ".join(words.split()))
        if m:
            out.append("%s: false claim %r (%s)" % (where, m.group(0), why))
    m = TOOL_WORDS.search(words)
    if m:
        out.append("%s: tool word or review note %r" % (where, m.group(0)))
    m = FILE_LINE.search(words)
    if m:
        out.append("%s: file:line reference %r" % (where, m.group(0)))
    m = ONE_PLURAL.search(words)
    if m:
        out.append("%s: plural after one: %r" % (where, m.group(0)))
    if not per_vma_lock:
        m = VMA_LOCKING.search(words)
        if m:
            out.append("%s: describes VMA locking on a tree without "
                       "per-VMA locks: %r" % (where, m.group(0)))
    return out


def check_patch(text, per_vma_lock, name="patch", has_core=False):
    """Defects of one patch message (a list of one-line strings)."""
    changelog, diff, added = parts(text)
    out = check_words(changelog, per_vma_lock, name + " changelog",
                      has_core)
    core = "a/include/linux/pagewalk.h" in diff
    m = SHARED.search(" ".join(changelog.split()))
    if m and not core:
        out.append("%s changelog: %r belongs in the core patch and the "
                   "cover letter only" % (name, m.group(0)))
    modes = WALK_LOCK_SET.findall(diff)
    m = EACH_TABLE.search(changelog)
    if m and len(modes) == 1:
        out.append("%s changelog: %r before a single table" % (name,
                                                               m.group(0)))
    if not per_vma_lock:
        m = VMA_LOCKING.search(added)
        if m:
            out.append("%s: added text describes VMA locking on a tree "
                       "without per-VMA locks: %r" % (name, m.group(0)))
    if modes:
        quiet = all(mode == convention.RDLOCK for mode in modes)
        said = NO_FUNCTIONAL_CHANGE.search(changelog)
        if quiet and not said:
            out.append("%s changelog: sets only PGWALK_RDLOCK but does not "
                       "say \"No functional change\"" % name)
        if not quiet and said:
            out.append("%s changelog: says \"No functional change\" but "
                       "sets a write mode" % name)
    return out


def check_series(paths, per_vma_lock, has_core=False):
    """Defects of every message of a series (cover letter first)."""
    import os
    out = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        name = os.path.basename(path)
        if name.startswith("0000-") or "-0000-" in name:
            out += check_words(cover_text(text), per_vma_lock, name,
                               has_core)
        else:
            out += check_patch(text, per_vma_lock, name, has_core)
    return out


def main(argv):
    per_vma = "--no-per-vma-lock" not in argv
    has_core = "--has-walk-lock" in argv
    paths = [a for a in argv if not a.startswith("--")]
    if not paths:
        print("usage: python3 -m pgwalk.series.textcheck [--no-per-vma-lock] "
              "PATCH...", file=sys.stderr)
        return 2
    defects = check_series(paths, per_vma, has_core)
    for d in defects:
        print(d)
    return 1 if defects else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
