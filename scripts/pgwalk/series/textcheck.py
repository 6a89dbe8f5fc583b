# SPDX-License-Identifier: GPL-2.0
"""Read a series the way a reviewer does and list its text defects.

    python3 -m pgwalk.series.textcheck [--no-per-vma-lock] PATCH...

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

from pgwalk.series import mail

TOOL_WORDS = re.compile(r"left for review|coccinelle|spatch|\bpinned\b",
                        re.I)
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
    """The words of a cover letter: its body down to the range-diff or
    base-commit line (those quote other text)."""
    lines, body = mail.split(text)
    subject = next((l[len("Subject: "):] for l in lines
                    if l.startswith("Subject: ")), "")
    for stop in ("\nRange-diff against", "\nbase-commit: "):
        if stop in body:
            body = body[:body.index(stop)]
    return subject + "\n\n" + body


def check_words(words, per_vma_lock, where):
    out = []
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


def check_patch(text, per_vma_lock, name="patch"):
    """Defects of one patch message (a list of one-line strings)."""
    changelog, diff, added = parts(text)
    out = check_words(changelog, per_vma_lock, name + " changelog")
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
        quiet = all(mode == "PGWALK_RDLOCK" for mode in modes)
        said = NO_FUNCTIONAL_CHANGE.search(changelog)
        if quiet and not said:
            out.append("%s changelog: sets only PGWALK_RDLOCK but does not "
                       "say \"No functional change\"" % name)
        if not quiet and said:
            out.append("%s changelog: says \"No functional change\" but "
                       "sets a write mode" % name)
    return out


def check_series(paths, per_vma_lock):
    """Defects of every message of a series (cover letter first)."""
    import os
    out = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        name = os.path.basename(path)
        if name.startswith("0000-") or "-0000-" in name:
            out += check_words(cover_text(text), per_vma_lock, name)
        else:
            out += check_patch(text, per_vma_lock, name)
    return out


def main(argv):
    per_vma = "--no-per-vma-lock" not in argv
    paths = [a for a in argv if not a.startswith("--")]
    if not paths:
        print("usage: python3 -m pgwalk.series.textcheck [--no-per-vma-lock] "
              "PATCH...", file=sys.stderr)
        return 2
    defects = check_series(paths, per_vma)
    for d in defects:
        print(d)
    return 1 if defects else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
