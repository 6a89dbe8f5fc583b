"""Commit messages and the cover letter, written from the decisions.

Nothing here decides anything: every sentence is rendered from a table's
mode, reason and evidence as the analysis (or a pinned entry) gave them.
"""

import textwrap

from pgwalk import maintainers

WIDTH = 72

MODE_MEANING = {
    "PGWALK_RDLOCK": "the walk only needs the mmap lock held",
    "PGWALK_WRLOCK": "the walk needs the mmap lock held for write and "
                     "write-locks each VMA it walks",
    "PGWALK_WRLOCK_VERIFY": "the walk needs the mmap lock held for write "
                            "and the VMA already write-locked",
}

SUGGESTED_BY = "Suggested-by: Linus Torvalds <torvalds@linux-foundation.org>"


def wrap(text, indent=""):
    """Wrap one paragraph for a commit body."""
    return textwrap.fill(text, WIDTH, initial_indent=indent,
                         subsequent_indent=indent, break_long_words=False,
                         break_on_hyphens=False)


def bullets(items, indent="  "):
    """A list of '- item' lines, each wrapped with a hanging indent."""
    out = []
    for item in items:
        out.append(textwrap.fill(item, WIDTH, initial_indent=indent + "- ",
                                 subsequent_indent=indent + "  ",
                                 break_long_words=False,
                                 break_on_hyphens=False))
    return "\n".join(out)


def signoff(identity):
    return "Signed-off-by: %s <%s>" % identity


def core_message(identity, per_vma_lock):
    """Message of patch 1, which inserts the core and changes no behaviour."""
    subject = "mm/pagewalk: add an explicit locking rule to struct mm_walk_ops"
    paras = [
        "Every page table walk depends on the mmap lock, but the rule a "
        "walk needs is written nowhere: walk_page_range() only asserts that "
        "the lock is held, whatever the walk does to the page tables.",
        "Let the rule live with the callbacks, in the const ops table: add "
        "enum page_walk_lock and a walk_lock member to struct mm_walk_ops. "
        "PGWALK_RDLOCK asserts that the mmap lock is held, "
        "PGWALK_WRLOCK and PGWALK_WRLOCK_VERIFY assert that it is held for "
        "write.",
    ]
    if per_vma_lock:
        paras.append(
            "With per-VMA locks, PGWALK_WRLOCK also write-locks each VMA "
            "before walking it, and PGWALK_WRLOCK_VERIFY asserts that the "
            "caller already did. A VMA is never write-locked without the "
            "mmap lock held for write.")
    else:
        paras.append(
            "This tree has no per-VMA locks, so the modes differ only in the "
            "mmap lock assertion they make; the VMA locking half of the rule "
            "comes with per-VMA locks.")
    paras.append(
        "PGWALK_RDLOCK is 0, so a table that does not set walk_lock "
        "asserts exactly what walk_page_range(), walk_page_vma() and "
        "walk_page_range_vma() asserted before: this patch changes no "
        "behaviour. walk_page_range_novma() and walk_page_mapping() do not "
        "use the field. The following patches set the mode of every table "
        "passed to a VMA walk.")
    body = "\n\n".join(wrap(p) for p in paras)
    return "%s\n\n%s\n\n%s\n%s\n" % (subject, body, SUGGESTED_BY,
                                      signoff(identity))


def _table_paragraph(table):
    """Prose for one table: its walkers, mode, evidence and review notes."""
    walkers = ", ".join("%s()" % w for w in table.get("walkers") or [])
    where = " (local to %s())" % table["function"] if table.get("function") \
        else ""
    lines = []
    if table.get("split"):
        split = table["split"]
        callers = split.get("callers") or []
        lines.append(wrap(
            "%s%s is passed to %s from %s(), whose callers hold the mmap "
            "lock in different modes. Split it: %s keeps %s for the callers "
            "that hold the lock for read, and the new twin %s is %s for the "
            "callers that hold it for write; %s() now takes the table from "
            "its caller." % (table["name"], where, walkers, split["function"],
                             table["name"], table["mode"],
                             split["write_name"], split["write_mode"],
                             split["function"])))
        lines.append(bullets(["%s() passes %s" % (c["function"], c["table"])
                              for c in callers]))
    else:
        lines.append(wrap("%s%s is passed to %s: %s, so mark it %s." % (
            table["name"], where, walkers,
            MODE_MEANING.get(table["mode"], table["mode"]), table["mode"])))
    if table.get("pinned"):
        lines.append(wrap("This mode is pinned by the decisions file: %s" %
                          table.get("pin_reason", "")))
    if table.get("evidence"):
        lines.append("\nEvidence:")
        lines.append(bullets(table["evidence"]))
    if table.get("review"):
        lines.append("\nLeft for review (the mode keeps the behaviour the "
                     "tree had):")
        lines.append(bullets(table["review"]))
    return "\n".join(lines)


def file_message(identity, relpath, tables):
    """Message of the patch that sets the modes of one file's tables."""
    prefix = maintainers.subject_prefix(relpath)
    splits = [t for t in tables if t.get("split")]
    if splits and len(tables) == 1:
        subject = "%s: split %s by locking mode" % (prefix, splits[0]["name"])
    elif len(tables) == 1:
        subject = "%s: set the page walk locking mode of %s" % (
            prefix, tables[0]["name"])
    else:
        subject = "%s: set the page walk locking mode of %d tables" % (
            prefix, len(tables))
    intro = wrap("Declare in each struct mm_walk_ops of %s which mmap lock "
                 "mode its walks run under, as found by following every "
                 "path that reaches the walk back to where the mmap lock is "
                 "taken or asserted." % relpath)
    body = "\n\n".join([intro] + [_table_paragraph(t) for t in tables])
    return "%s\n\n%s\n\n%s\n" % (subject, body, signoff(identity))


def changes_section(changes):
    """The cover letter's "Changes since" section."""
    if not changes:
        return wrap("Changes since the previous posting: no changes (the "
                    "same tables with the same modes; range-diff.txt has "
                    "the patch-by-patch comparison).")
    return "Changes since the previous posting:\n" + bullets(changes)


def cover_letter(decisions, version, subjects):
    """(subject, body) of the cover letter.

    format-patch adds the shortlog and the diffstat below the body.
    """
    tables = decisions["tables"]
    changed = [t for t in tables if t["action"] != "none"]
    subject = "mm: give every page table walk an explicit locking rule"
    paras = [
        wrap("This series moves the locking rule of page table walks into "
             "struct mm_walk_ops, as suggested in review of the series that "
             "added a bool lock_vma argument to walk_page_*(): the rule "
             "belongs with the callbacks, and a tri-state says more than "
             "true/false."),
        wrap("Patch 1 adds enum page_walk_lock and the walk_lock member and "
             "makes the walkers enforce it; it changes no behaviour, because "
             "an unannotated table means PGWALK_RDLOCK. The other patches set "
             "the mode of every table passed to walk_page_range(), "
             "walk_page_vma() or walk_page_range_vma(), one patch per file.")
        if not decisions.get("has_core") else
        wrap("The tree already has enum page_walk_lock; the patches set the "
             "mode of the tables that lack it, one patch per file."),
        wrap("Each mode comes from following every path that reaches the "
             "walk back to where the mmap lock is taken or asserted, across "
             "callers and files: write on every path gives PGWALK_WRLOCK, or "
             "PGWALK_WRLOCK_VERIFY when the walked VMA was already changed "
             "under that lock; read, or a context that cannot be seen, gives "
             "PGWALK_RDLOCK; callers that differ get a split table. Base: "
             "Linux %s." % version),
    ]
    rows = ["%-28s %-24s %s" % ("table", "mode", "file / evidence")]
    for t in tables:
        mode = t["mode"] or "(unchanged)"
        if t.get("pinned"):
            mode += " [pinned]"
        rows.append("%-28s %-24s %s" % (t["name"], mode, t["file"]))
        rows.append(textwrap.fill(t.get("reason", ""), WIDTH,
                                  initial_indent="    ",
                                  subsequent_indent="    ",
                                  break_long_words=False))
        if t.get("split"):
            s = t["split"]
            rows.append("%-28s %-24s %s" % (s["write_name"], s["write_mode"],
                                            t["file"]))
            rows.append("    new write twin of %s" % t["name"])
    paras.append("Tables (%d, %d changed):\n\n%s" % (len(tables), len(changed),
                                                     "\n".join(rows)))
    review = ["%s: %s" % (t["name"], r) for t in tables
              for r in t.get("review") or []]
    review.extend(decisions.get("review") or [])
    if review:
        paras.append("Left for review:\n\n" + bullets(review, indent=""))
    pinned = [t for t in tables if t.get("pinned")]
    if pinned:
        paras.append("Pinned by the decisions file:\n\n" + bullets(
            ["%s %s: %s" % (t["name"], t["mode"], t.get("pin_reason", ""))
             for t in pinned], indent=""))
    else:
        paras.append("No mode is pinned: all of them come from the analysis.")
    return subject, "\n\n".join(paras)
