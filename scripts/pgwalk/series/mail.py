# SPDX-License-Identifier: GPL-2.0
"""The series as mail: headers, threading, notes after `---`, one mbox.

git format-patch writes one file per patch; this module makes those files
what a maintainer sends: To/Cc from get_maintainer.pl, a Message-Id for
each message and In-Reply-To/References to the cover letter (b4 finds
the series by its thread), the notes for reviewers after the `---` line,
and series.mbox, all the messages in one file for `b4 am -m`.

Headers are written on one line each: b4 0.12 (Debian bookworm) misreads
folded header lines, and an unfolded header is still valid mail (RFC 5322
allows 998 characters).  Everything is derived from the commits, so the
same series gives the same bytes.
"""

import hashlib
import re

MBOX = "series.mbox"


def split(text):
    """(header lines, body) of one format-patch message, headers unfolded.

    The first line ("From <sha> Mon Sep 17 00:00:00 2001") is the mbox
    separator and stays the first header line.
    """
    head, _, body = text.partition("\n\n")
    lines = []
    for line in head.split("\n"):
        if line[:1] in (" ", "\t") and lines:
            lines[-1] += " " + line.strip()
        else:
            lines.append(line)
    return lines, body


# Headers that name this posting rather than say what it changes: the
# mbox separator's commit id, the date (the base commit's), the thread.
POSTING_HEADERS = ("Date", "Message-Id", "In-Reply-To", "References")


def content(text):
    """A message without what changes from posting to posting: the same
    patch on a new base gives the same content (checkpatch and
    get_maintainer.pl answers are kept by it)."""
    lines, body = split(text)
    kept = [l for l in lines[1:] if l.split(":", 1)[0] not in
            POSTING_HEADERS]
    return join(kept, body)


def join(lines, body):
    return "\n".join(lines) + "\n\n" + body


def set_header(lines, name, value, after="Subject"):
    """Set header `name` (replacing it), placed after header `after`."""
    prefix = name.lower() + ":"
    lines[:] = [l for l in lines if not l.lower().startswith(prefix)]
    at = len(lines)
    for i, line in enumerate(lines):
        if line.lower().startswith(after.lower() + ":"):
            at = i + 1
    lines.insert(at, "%s: %s" % (name, value))


def add_below_line(body, notes):
    """Put notes after the first `---` line (git am drops them)."""
    if not notes:
        return body
    before, sep, after = body.partition("\n---\n")
    if not sep:
        return body
    return before + sep + notes.rstrip("\n") + "\n\n" + after


def message_ids(head, count, reroll, email):
    """Message-Ids for the cover letter (0) and patches 1..count.

    From the series head commit: the same series gets the same ids, a
    changed one new ids; the domain is the sender's.
    """
    domain = email.rsplit("@", 1)[-1] if "@" in email else "localhost"
    tag = hashlib.sha1(head.encode()).hexdigest()[:12]
    return ["<pgwalk-%s-v%d-%d@%s>" % (tag, reroll or 1, i, domain)
            for i in range(count + 1)]


def address(lines, to, cc):
    """To/Cc headers, after the Subject."""
    if cc:
        set_header(lines, "Cc", ", ".join(cc))
    if to:
        set_header(lines, "To", ", ".join(to))


def thread(lines, own, parent):
    """Message-Id, and In-Reply-To/References when the message answers."""
    set_header(lines, "Message-Id", own, after="Cc" if any(
        l.startswith("Cc:") for l in lines) else "To" if any(
        l.startswith("To:") for l in lines) else "Subject")
    if parent:
        set_header(lines, "In-Reply-To", parent, after="Message-Id")
        set_header(lines, "References", parent, after="In-Reply-To")


def mboxrd(text):
    """One message for an mbox: after its own "From " separator line,
    every line that starts with "From " (after any ">") gets one more
    ">", so that a changelog line starting with "From " does not start
    a new message (mboxrd: `git am --patch-format=mboxrd` takes the
    ">" off again)."""
    first, nl, rest = text.partition("\n")
    return first + nl + MBOXRD_FROM.sub(r">\1", rest)


MBOXRD_FROM = re.compile(r"^(>*From )", re.M)


def write_mbox(paths, outdir):
    """All messages, cover letter first, in OUTDIR/series.mbox (mboxrd)."""
    import os
    out = os.path.join(outdir, MBOX)
    with open(out, "w", encoding="utf-8") as f:
        for path in paths:
            with open(path, encoding="utf-8") as p:
                text = mboxrd(p.read())
            f.write(text if text.endswith("\n") else text + "\n")
            f.write("\n")
    return out
