# SPDX-License-Identifier: GPL-2.0
"""Every sentence of the series: commit messages, notes, the cover letter.

This is the one place that turns facts into words.  Nothing here decides
anything: the mode, the call chains and the notes of a table come from
the decisions (the analysis or a maintainer's pin), and what a mode does
comes from the tree (`per_vma_lock`, the same fact that picks the core's
variant).  So the text is true for the tree at hand: on a tree without
per-VMA locks no sentence says that a walk takes or checks a VMA lock.

A message has two parts, as a posting does: the changelog (subject, body,
trailers), which goes into git history and holds no file:line, no notes
for the reviewer and no word about the tool; and the part after the `---`
line (call sites, things to check, dropped review tags), which git am
throws away.
"""

import textwrap

from pgwalk import convention
from pgwalk.series import maintainers

WIDTH = 72
READ_MODE = "PGWALK_RDLOCK"
VMA_WALKERS = "walk_page_range(), walk_page_vma() and walk_page_range_vma()"

SUGGESTED_BY = "Suggested-by: Linus Torvalds <torvalds@linux-foundation.org>"

# What a chain's "lock" says about the mmap lock on that path.
LOCK_HELD = {
    "write": "holds the mmap lock for write",
    "read": "holds the mmap lock for read",
    "none": "does not hold the mmap lock",
    "vma_read": "holds only a per-VMA read lock",
}

LOCK_SHORT = {
    "write": "the mmap lock for write",
    "read": "the mmap lock for read",
    "none": "no mmap lock",
    "vma_read": "only a per-VMA read lock",
}

NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven",
           "eight", "nine", "ten")


def count(n, noun, plural=None):
    """"one table", "two tables", "12 tables"."""
    word = NUMBERS[n] if n < len(NUMBERS) else str(n)
    return "%s %s" % (word, noun if n == 1 else (plural or noun + "s"))


def names(items):
    """"a", "a and b", "a, b and c"."""
    items = list(items)
    if len(items) < 2:
        return "".join(items)
    return "%s and %s" % (", ".join(items[:-1]), items[-1])


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


def _call(name):
    return "%s()" % name


# ---------------------------------------------------------------- modes --

def why_on_this_tree(per_vma_lock):
    """Why the annotation is worth having on the tree (a paragraph)."""
    if per_vma_lock:
        return ("A walk that changes page tables must also write-lock "
                "the VMA, and a VMA must never be write-locked without the "
                "mmap lock held for write; the mode makes the walker do or "
                "check exactly that.")
    return ("This kernel has no per-VMA locks, so the modes differ only in "
            "the mmap lock assertion.  That is still worth having: the "
            "locking rule of a walk is written next to its callbacks, "
            "lockdep reports a caller that walks with the lock held only "
            "for read where the walk needs it for write, and every table "
            "already carries the mode that per-VMA locks will rely on.")


def all_modes(table):
    """The modes a table's patch sets (a split also adds its twin)."""
    modes = [table["mode"]]
    if table.get("split"):
        modes.append(table["split"]["write_mode"])
    return modes


def changes_behaviour(tables):
    """True when a patch sets a write mode (it adds an assertion)."""
    return any(m in convention.WRITE_MODES for t in tables
               for m in all_modes(t))


# -------------------------------------------------------------- subjects --

def subject_prefix(files):
    """Kernel-style prefix for the files of one patch.

    One file: its own prefix (mm/mlock).  Several: the path they share
    (mm/damon), "mm" for files all under mm/, else "treewide".
    """
    prefixes = sorted({maintainers.subject_prefix(f) for f in files})
    if len(prefixes) == 1:
        return prefixes[0]
    parts = [p.split("/") for p in prefixes]
    common = []
    for column in zip(*parts):
        if len(set(column)) != 1:
            break
        common.append(column[0])
    return "/".join(common) if common else "treewide"


def patch_subject(tables, by_name=False):
    """by_name: name the table (one-table patches whose subject would
    repeat another's, as the mode grouping makes)."""
    files = sorted({t["file"] for t in tables})
    prefix = subject_prefix(files)
    if len(tables) == 1 and tables[0].get("split"):
        return "%s: split %s by locking mode" % (prefix, tables[0]["name"])
    modes = {m for t in tables for m in all_modes(t)}
    if len(modes) == 1 and len(tables) == 1 and by_name:
        return "%s: annotate %s with %s" % (prefix, tables[0]["name"],
                                            modes.pop())
    if len(modes) == 1:
        return "%s: annotate page walks with %s" % (prefix, modes.pop())
    return "%s: annotate page walks with their locking mode" % prefix


# ---------------------------------------------------------------- tables --

def _chains(table):
    return table.get("chains") or []


def _paths_summary(table):
    """How the paths to the walk hold the mmap lock (a clause)."""
    chains = _chains(table)
    locks = sorted({c["lock"] for c in chains})
    if not chains:
        # Before the analysis gives chains: its own one-line reason.
        return table.get("reason") or ""
    if len(locks) == 1:
        return "every path to the walk %s" % _held(locks[0], 1)
    parts = []
    for lock in locks:
        n = sum(1 for c in chains if c["lock"] == lock)
        parts.append("%s %s" % (count(n, "path"), _held(lock, n)))
    return "of the paths to the walk, %s" % names(parts)


def _held(lock, n):
    """LOCK_HELD for n paths ("holds" or "hold")."""
    text = LOCK_HELD.get(lock, "holds the mmap lock (%s)" % lock)
    return text if n == 1 else text.replace("holds ", "hold ", 1)


MAX_CHAINS = 3


def _chain_lines(table, most=MAX_CHAINS):
    """At most `most` call chains, function names only; the others are
    counted by the lock they hold."""
    chains = _chains(table)
    lines = []
    for c in chains[:most]:
        lines.append(textwrap.fill(" -> ".join(c["steps"]), WIDTH,
                                   initial_indent="  ",
                                   subsequent_indent="      ",
                                   break_long_words=False,
                                   break_on_hyphens=False))
    rest = chains[most:]
    if rest:
        held = sorted({c["lock"] for c in rest})
        if len(held) == 1:
            tail = "that %s" % _held(held[0], len(rest))
        else:
            tail = "(%s)" % ", ".join(
                "%d with %s" % (sum(1 for c in rest if c["lock"] == l),
                                LOCK_SHORT.get(l, l)) for l in held)
        lines.append(wrap("and %s %s" % (count(len(rest), "more path"),
                                         tail), indent="  "))
    return lines


def _unseen(table):
    """Paths the analysis could not follow (it keeps the tree's rule)."""
    return bool(table.get("review")) and table["mode"] == READ_MODE and \
        not table.get("pinned")


def table_paragraph(table, per_vma_lock, with_file=False,
                    most=MAX_CHAINS):
    """The changelog text of one table: what it gets and why."""
    name = table["name"]
    where = ""
    if table.get("function"):
        where = " (in %s)" % _call(table["function"])
    if with_file:
        where = " (%s%s)" % (table["file"], ", in %s" % _call(
            table["function"]) if table.get("function") else "")
    walkers = names(_call(w) for w in table.get("walkers") or [])
    out = []
    if table.get("split"):
        split = table["split"]
        write = sorted(_call(c["function"]) for c in split.get("callers")
                       or [] if c["table"] == split["write_name"])
        read = sorted(_call(c["function"]) for c in split.get("callers")
                      or [] if c["table"] != split["write_name"])
        out.append(wrap(
            "%s%s is passed to %s by %s, whose callers hold the mmap lock "
            "in different modes: %s for write, %s for read.  Split it: "
            "%s stays %s, and the new %s, %s, is what %s passes.  %s now "
            "takes the table from its caller." % (
                name, where, walkers, _call(split["function"]),
                names(write) or "some", names(read) or "others", name,
                table["mode"], split["write_mode"], split["write_name"],
                names(write) or "the write-locked caller",
                _call(split["function"]))))
    elif _unseen(table):
        out.append(wrap(
            "%s%s is passed to %s.  Not every path to the walk can be "
            "followed back to the mmap lock it holds, so it gets %s, the "
            "rule every walk has today." % (name, where, walkers,
                                            READ_MODE)))
    else:
        summary = _paths_summary(table)
        changed = table.get("vma_changed_by") or []
        if table["mode"] == "PGWALK_WRLOCK_VERIFY" and changed:
            summary += ", and %s %s the walked VMA before the walk" % (
                names(changed), "changes" if len(changed) == 1 else
                "change")
        lead = "%s%s is passed to %s" % (name, where, walkers)
        out.append(wrap("%s; %s%s" % (lead, summary,
                                      ":" if _chains(table) else ".")))
    if not table.get("split"):
        chains = _chain_lines(table, most)
        if chains:
            out.append("\n".join(chains))
        if table.get("pinned"):
            verdict = "It is %s: %s" % (table["mode"],
                                        (table.get("pin_reason") or "")
                                        .rstrip("."))
        elif table["mode"] == "PGWALK_WRLOCK_VERIFY":
            verdict = ("Mark it PGWALK_WRLOCK_VERIFY, the mode of a walk "
                       "over a VMA its caller has already changed under "
                       "the write lock")
        elif not _unseen(table):
            verdict = "Mark it %s" % table["mode"]
        else:
            verdict = None
        if verdict and chains:
            out.append(wrap(verdict + "."))
        elif verdict:
            # No chain between them: one paragraph reads better.
            out[-1] = wrap(" ".join(out[-1].split()) + "  " + verdict + ".")
    return "\n\n".join(out)


def behaviour_paragraph(tables, per_vma_lock):
    """Whether the patch changes behaviour, and how."""
    if not changes_behaviour(tables):
        return wrap("No functional change: %s is what a table without "
                    "walk_lock gets, and the walkers assert the mmap lock "
                    "as before." % READ_MODE)
    written = []
    for t in tables:
        for name, mode in [(t["name"], t["mode"])] + (
                [(t["split"]["write_name"], t["split"]["write_mode"])]
                if t.get("split") else []):
            if mode in convention.WRITE_MODES:
                written.append((name, mode))
    if per_vma_lock:
        lock = [n for n, m in written if m == "PGWALK_WRLOCK"]
        verify = [n for n, m in written if m == "PGWALK_WRLOCK_VERIFY"]
        parts = []
        if lock:
            parts.append("walks with %s now write-lock each VMA before "
                         "walking it (vma_start_write())" % names(lock))
        if verify:
            parts.append("walks with %s now assert that each VMA they "
                         "walk is already write-locked "
                         "(vma_assert_write_locked())" % names(verify))
        text = ("%s.  Before that they assert that the mmap lock is held "
                "for write, where they asserted only that it is held; "
                "their callers hold it for write." % "; ".join(parts))
        text = text[0].upper() + text[1:]
    else:
        text = ("Walks with %s now assert that the mmap lock is held for "
                "write (mmap_assert_write_locked()) where they asserted "
                "only that it is held.  Their callers hold it for write, "
                "so nothing changes for them; lockdep reports a caller "
                "that does not." % names(n for n, _ in written))
    return wrap(text)


def _trailer_block(identity, trailers, extra=(), reviewed=()):
    """Trailers in the kernel's order: the ones given with the patch, the
    sign-off, then the tags reviewers gave on an earlier posting."""
    lines = []
    for line in list(extra) + list(trailers or []):
        if line not in lines:
            lines.append(line)
    lines.append(signoff(identity))
    lines.extend(t for t in reviewed or () if t not in lines)
    return "\n".join(lines)


def patch_message(identity, tables, per_vma_lock, trailers=(), reviewed=(),
                  by_name=False):
    """Commit message of a patch that sets the mode of `tables`."""
    subject = patch_subject(tables, by_name)
    files = sorted({t["file"] for t in tables})
    with_file = len(files) > 1
    # A patch of many tables shows fewer chains of each.
    most = MAX_CHAINS if len(tables) <= 3 else 2
    paras = [table_paragraph(t, per_vma_lock, with_file, most)
             for t in tables]
    paras.append(behaviour_paragraph(tables, per_vma_lock))
    if changes_behaviour(tables) and not per_vma_lock:
        paras.append(wrap(why_on_this_tree(False)))
    trailer = _trailer_block(identity, trailers, reviewed=reviewed)
    return "%s\n\n%s\n\n%s\n" % (subject, "\n\n".join(paras), trailer)


def core_message(identity, per_vma_lock, trailers=(), reviewed=()):
    """Message of patch 1, which inserts the core and changes no behaviour."""
    subject = "mm/pagewalk: add an explicit locking rule to struct mm_walk_ops"
    paras = [
        "Every page table walk depends on the mmap lock, but the rule a "
        "walk needs is written nowhere: %s only assert that the lock is "
        "held, whatever the walk does to the page tables." % VMA_WALKERS,
        "Let the rule live with the callbacks, in the const ops table: add "
        "enum page_walk_lock and a walk_lock member to struct mm_walk_ops. "
        "PGWALK_RDLOCK asserts that the mmap lock is held; "
        "PGWALK_WRLOCK and PGWALK_WRLOCK_VERIFY assert that it is held for "
        "write.",
    ]
    if per_vma_lock:
        paras.append(
            "With per-VMA locks, PGWALK_WRLOCK also write-locks each VMA "
            "before walking it, and PGWALK_WRLOCK_VERIFY asserts that the "
            "caller already did.  The mmap lock is checked first, so a VMA "
            "is never write-locked without the mmap lock held for write.")
    else:
        paras.append(why_on_this_tree(False))
    paras.append(
        "No functional change: PGWALK_RDLOCK is 0, so a table that does "
        "not set walk_lock asserts exactly what the walkers asserted "
        "before.  walk_page_range_novma() and walk_page_mapping() do not "
        "use the field.  The following patches set the mode of every "
        "table passed to a VMA walk.")
    body = "\n\n".join(wrap(p) for p in paras)
    return "%s\n\n%s\n\n%s\n" % (subject, body, _trailer_block(
        identity, trailers, [SUGGESTED_BY], reviewed))


# ------------------------------------------------- after the --- line --

def notes_below(tables, dropped=()):
    """Text for after the `---` line: sites, things to check, tags.

    git am drops it, so it may cite file:line and say what a human
    should still look at.
    """
    out = []
    for t in tables:
        sites = []
        for c in _chains(t):
            if c.get("sites"):
                sites.append("%s: %s" % (c["steps"][0].split(" ")[0],
                                         ", ".join(c["sites"])))
        if not _chains(t):
            # Until the analysis gives chains: its evidence as it is.
            sites = list(t.get("evidence") or [])
        if sites:
            out.append("%s, call paths:\n%s" % (t["name"],
                                                bullets(sites, "  ")))
        check = list(t.get("notes") or []) + list(t.get("review") or [])
        if check:
            out.append("%s, to check:\n%s" % (t["name"],
                                              bullets(check, "  ")))
        if t.get("pinned"):
            out.append("%s: mode set in the decisions file, not by the "
                       "analysis." % t["name"])
    out.extend(wrap(line) for line in dropped)
    return "\n\n".join(out)


# ------------------------------------------------------------ cover ------

def short_reason(table):
    """One line for the cover letter's table list."""
    if table.get("pinned"):
        return (table.get("pin_reason") or "").rstrip(".")
    if table.get("split"):
        split = table["split"]
        write = [_call(c["function"]) for c in split.get("callers") or []
                 if c["table"] == split["write_name"]]
        return "callers differ; split, %s gets the write twin" % \
            names(write)
    if _unseen(table):
        return "not every path can be followed; keeps today's rule"
    chains = _chains(table)
    if not chains:
        return table.get("reason") or ""
    locks = sorted({c["lock"] for c in chains})
    if len(locks) == 1:
        text = "every path %s" % _held(locks[0], 1)
    else:
        text = "paths hold %s" % " or ".join(
            LOCK_SHORT.get(l, l) for l in locks)
    if table["mode"] == "PGWALK_WRLOCK_VERIFY" and \
            table.get("vma_changed_by"):
        text += ", VMA changed by %s" % names(table["vma_changed_by"])
    return text


def _table_rows(tables):
    changed = [t for t in tables if t["action"] != "none"]
    rows = []
    width = max([len(t["name"]) for t in changed] +
                [len(t["split"]["write_name"]) for t in changed
                 if t.get("split")] + [0])
    for relpath in sorted({t["file"] for t in changed}):
        rows.append(relpath)
        for t in changed:
            if t["file"] != relpath:
                continue
            rows.append("  %-*s  %-20s  %s" % (width, t["name"], t["mode"],
                                               short_reason(t)))
            if t.get("split"):
                s = t["split"]
                rows.append("  %-*s  %-20s  %s" % (
                    width, s["write_name"], s["write_mode"],
                    "new, the write twin of %s" % t["name"]))
    return rows


def _left_alone(tables):
    """Tables the series does not touch, with the walkers they go to."""
    untouched = [t for t in tables if t["action"] == "none"]
    if not untouched:
        return None
    walkers = sorted({w for t in untouched for w in t.get("walkers") or []})
    return wrap("%s %s only passed to %s, which %s not use walk_lock, and "
                "%s left as %s: %s." % (
                    count(len(untouched), "table").capitalize(),
                    "is" if len(untouched) == 1 else "are",
                    names(_call(w) for w in walkers),
                    "does" if len(walkers) == 1 else "do",
                    "is" if len(untouched) == 1 else "are",
                    "it is" if len(untouched) == 1 else "they are",
                    names(t["name"] for t in untouched)))


def base_paragraph(base_desc):
    """Where the series applies, when base-commit cannot say it."""
    return wrap("Base: %s.  It is not a commit in a public repository, so "
                "there is no base-commit line; the patches apply to that "
                "tree as released." % base_desc)


def build_words(b):
    """One line on a build report's figures (pgwalk.proofs.reports)."""
    if b["bad"]:
        text = "%d of %d cells failed or added a warning" % (b["bad"],
                                                             b["cells"])
    else:
        text = ("no error and no new warning against %s: %s of "
                "the files each commit can affect, in %d of %d cells (the "
                "others had nothing to build there)" % (
                    "the parent, at W=1 and with sparse"
                    if b.get("extra_checks") else "the base",
                    "%d compile%s" % (b["objects"], "" if b["objects"] == 1
                                      else "s"), b["built"], b["cells"]))
    if b.get("full"):
        text += "; a full build of the head: %s" % ", ".join(
            "%s %s" % item for item in b["full"].items())
    return text


def sweep_words(s):
    """One line on the configuration sweep (pgwalk.proofs.reports)."""
    def one(c):
        what = "CONFIG_%s=%s" % (c["symbol"], c["to"])
        if c["also"]:
            what += " (with %s off, which select it)" % ", ".join(
                "CONFIG_" + a for a in c["also"])
        if c["status"] == "skipped":
            return what + ": not possible in Kconfig"
        if c["not_built"] and c["status"] == "OK":
            return what + ": %s not built there" % ", ".join(c["not_built"])
        if c["findings"]:
            return what + ": %s" % count(c["findings"], "new warning")
        return what + ": " + c["status"]
    return "each option that decides whether the changed lines are " \
        "compiled, flipped from %s on %s and built at W=1 with sparse: %s" % (
            s["config"], s["arch"],
            "; ".join(one(c) for c in s["configs"]) or "none found")


def boot_words(b):
    """One line on a boot report's figures (pgwalk.proofs.reports)."""
    if b["problems"]:
        return "FAIL: %s" % "; ".join(b["problems"][:3])
    text = ("%s that x86 can reach %s walked (%s), with no lockdep "
            "report, WARNING or BUG" % (
                count(b["reached"], "table").capitalize(),
                "was" if b["reached"] == 1 else "were",
                "%d walk%s" % (b["walks"], "" if b["walks"] == 1 else "s")))
    if b["skipped"]:
        text += "; %s %s other architectures' or cannot be driven from " \
            "user space" % (count(b["skipped"], "table"),
                            "is" if b["skipped"] == 1 else "are")
    return text


def testing_section(proof):
    """How the series was tested (proof: see pgwalk.proofs.reports), or not."""
    if not proof or not (proof.get("build") or proof.get("boot")):
        return wrap("Testing: untested.  No build or boot report of this "
                    "series was found (scripts/verify-build.sh and "
                    "scripts/boot-test.sh write them).")
    out = ["Testing:"]
    build = proof.get("build")
    if build:
        out.append(bullets([
            "built commit by commit (%s x %s): %s" % (
                count(build["commits"], "commit"),
                names(build["arches"]), build_words(build))]))
        if build.get("sweep"):
            out.append(bullets([sweep_words(build["sweep"])]))
    else:
        out.append(bullets(["not build-tested"]))
    boot = proof.get("boot")
    if boot:
        out.append(bullets([
            "booted on x86_64 under QEMU with lockdep, running a workload "
            "that drives the walkers: %s" % boot_words(boot)]))
    else:
        out.append(bullets(["not boot-tested"]))
    return "\n".join(out)


def changes_section(changes, version=None, dropped=()):
    """The cover letter's "Changes in vN" section."""
    title = "Changes in v%d" % version if version else \
        "Changes since the previous posting"
    lines = list(changes) + list(dropped)
    if not lines:
        return wrap("%s: none (the same tables with the same modes; "
                    "range-diff.txt has the patch-by-patch comparison)." %
                    title)
    return "%s:\n%s" % (title, bullets(lines, ""))


def cover_letter(decisions, ctx):
    """(subject, body) of the cover letter.

    ctx: version, base_desc (None when a base-commit line says it),
    group (how patches are grouped), patches [(subject, tables)], proof,
    changes (None: no previous posting), reroll, dropped.
    format-patch adds the shortlog and the diffstat below the body.
    """
    tables = decisions["tables"]
    per_vma = decisions.get("per_vma_lock", False)
    changed = [t for t in tables if t["action"] != "none"]
    splits = [t for t in changed if t.get("split")]
    patches = ctx.get("patches") or []
    if decisions.get("has_core"):
        subject = "mm: set the locking rule of the remaining page table walks"
    else:
        subject = "mm: give every page table walk an explicit locking rule"
    paras = [wrap(
        "Page table walks depend on the mmap lock, but which mode of it a "
        "walk needs is written nowhere.  As suggested in review of the "
        "bool lock_vma argument to walk_page_*(), this series puts the "
        "rule where the callbacks are, in struct mm_walk_ops: "
        "PGWALK_RDLOCK (0, the default) asserts that the mmap lock is "
        "held, PGWALK_WRLOCK and PGWALK_WRLOCK_VERIFY that it is held for "
        "write.")]
    paras.append(wrap(why_on_this_tree(per_vma)) if not per_vma else wrap(
        "With per-VMA locks, PGWALK_WRLOCK also write-locks each VMA "
        "before walking it and PGWALK_WRLOCK_VERIFY asserts that the "
        "caller already did.  " + why_on_this_tree(True)))
    annotations = [p for p in patches if p[1]]
    quiet = [p for p in annotations if not changes_behaviour(p[1])]
    loud = [p for p in annotations if changes_behaviour(p[1])]
    others = "The other %s" % count(len(annotations), "patch", "patches")
    layout = {"file": "one patch per file",
              "subsystem": "one patch per MAINTAINERS subsystem",
              "mode": "the read-mode annotations in one patch and each "
                      "write mode in its own",
              "single": "in one patch"}.get(ctx.get("group"), "")
    first = "" if decisions.get("has_core") else (
        "Patch 1 adds enum page_walk_lock and the checks; no functional "
        "change.  ")
    if annotations:
        kinds = []
        if quiet:
            kinds.append("%s no functional change (PGWALK_RDLOCK only)" %
                         count(len(quiet), "makes", "make"))
        if loud:
            kinds.append("%s a write-lock assertion" %
                         count(len(loud), "adds", "add"))
        if len(annotations) == 1:
            paras.append(wrap(
                "%sPatch %d sets the mode of every table passed to a VMA "
                "walk; it %s." % (
                    first, len(patches),
                    "adds a write-lock assertion to the walks that need "
                    "the mmap lock for write" if loud else
                    "makes no functional change (PGWALK_RDLOCK only)")))
        else:
            paras.append(wrap("%s%s set the mode of every table passed to "
                              "a VMA walk, %s: %s." % (
                                  first, others, layout, names(kinds))))
    paras.append(wrap(
        "A table gets PGWALK_WRLOCK when every path to its walk holds the "
        "mmap lock for write, PGWALK_WRLOCK_VERIFY when the walked VMA has "
        "also been changed under that lock before the walk, and "
        "PGWALK_RDLOCK otherwise%s." % (
            "; %s, whose callers differ, %s split in two" % (
                names(t["name"] for t in splits),
                "is" if len(splits) == 1 else "are") if splits else "")))
    head = "%s %s a mode%s:" % (
        count(len(changed), "table").capitalize(),
        "gets" if len(changed) == 1 else "get",
        ", %s of them split in two" % count(len(splits), "").strip()
        if splits else "")
    paras.append(head + "\n\n" + "\n".join(_table_rows(tables)))
    left = _left_alone(tables)
    if left:
        paras.append(left)
    noted = [t["name"] for t in changed if t.get("notes") or t.get("review")]
    if noted:
        paras.append(wrap("%s %s a short note for reviewers after the "
                          "--- line of %s patch: %s." % (
                              count(len(noted), "table").capitalize(),
                              "has" if len(noted) == 1 else "have",
                              "its" if len(noted) == 1 else "their",
                              names(noted))))
    general = list(decisions.get("notes") or []) + \
        list(decisions.get("review") or [])
    if general:
        paras.append("To check:\n" + bullets(general, ""))
    if ctx.get("base_desc"):
        paras.append(base_paragraph(ctx["base_desc"]))
    paras.append(testing_section(ctx.get("proof")))
    if ctx.get("changes") is not None:
        paras.append(changes_section(ctx["changes"], ctx.get("reroll"),
                                     ctx.get("dropped") or ()))
    return subject, "\n\n".join(paras)
