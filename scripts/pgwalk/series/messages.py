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

import os
import textwrap

from pgwalk import convention
from pgwalk import modewords
from pgwalk.analysis.lockstate import ChainState
from pgwalk.series import maintainers
from pgwalk.table import REVIEW_LOCK_CHOICE, REVIEW_UNSEEN, Action

WIDTH = 72
READ_MODE = convention.RDLOCK
VMA_WALKERS = "walk_page_range(), walk_page_vma() and walk_page_range_vma()"

SUGGESTED_BY = "Suggested-by: Linus Torvalds <torvalds@linux-foundation.org>"

# What a chain's "lock" says about the mmap lock on that path.
LOCK_HELD = {
    ChainState.WRITE: "holds the mmap lock for write",
    ChainState.READ: "holds the mmap lock for read",
    ChainState.HELD: "holds the mmap lock, for read or for write",
    ChainState.NONE: "does not hold the mmap lock",
    ChainState.VMA_READ: "holds only a per-VMA read lock",
}

LOCK_SHORT = {
    ChainState.WRITE: "the mmap lock for write",
    ChainState.READ: "the mmap lock for read",
    ChainState.HELD: "the mmap lock, for read or for write",
    ChainState.NONE: "no mmap lock",
    ChainState.VMA_READ: "only a per-VMA read lock",
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

# The upstream conversion this series follows: one fact about it, not
# about the tree at hand.
UPSTREAM = ("mm: enable page walking API to lock vmas during the walk",
            "Linux 6.5")


def tree_kind(decisions):
    """"walk_lock" (the tree declares the modes already), "per-vma" (it
    has per-VMA locks and no walk_lock) or "mmap-only" (neither)."""
    if decisions.get("has_core"):
        return "walk_lock"
    return "per-vma" if decisions.get("per_vma_lock") else "mmap-only"


def purpose(decisions):
    """What the series is for on this kind of tree (a paragraph)."""
    kind = tree_kind(decisions)
    if kind == "walk_lock":
        return ("This kernel already declares enum page_walk_lock and its "
                "walker enforces the mode of each table; the tables "
                "listed below do not set the mode their walks need.  This "
                "series sets it, and changes nothing else.")
    if kind == "per-vma":
        return ("On this kernel a page fault can run under a per-VMA read "
                "lock without the mmap lock, so holding the mmap lock for "
                "write no longer keeps faults out of the VMAs a walk "
                "visits.  A walk whose caller relies on the mmap write "
                "lock for that must write-lock each VMA it walks, or check "
                "that its caller did; the mode makes the walker do it.")
    return ("This kernel has no per-VMA locks, so the series is "
            "preparatory: each table states the lock its walks run under, "
            "which a later backport of per-VMA locks relies on, and the "
            "walks whose callers hold the mmap lock for write now assert "
            "it.")


def upstream_words():
    return "It follows the upstream conversion \"%s\" (%s)." % UPSTREAM


def mode_lines(decisions):
    """"- MODE: what it asks of the caller and does to each VMA" lines,
    and which modes the walker treats alike on this tree (a reader
    otherwise wonders why two lines say the same)."""
    args = (decisions.get("modes"), decisions.get("per_vma_lock", False),
            contract_rows(decisions))
    text = bullets(["%s: %s." % (mode, clause) for mode, clause in
                    modewords.mode_rules(*args)], "")
    for same in modewords.differences(*args):
        text += "\n\n" + wrap("On this kernel %s ask the same of the "
                              "caller and of the walker." % names(same))
    return text


def contract_rows(decisions):
    """[(mode, mmap, vma)] of the tree's walker contract, as the analysis
    recorded it in the decisions (or, for decisions without it, read from
    their tree); None when there is neither: the words then come from
    modes.conf."""
    recorded = decisions.get("contract")
    if recorded:
        return [(m["name"], m["mmap"], m["vma"]) for m in recorded["modes"]]
    tree = decisions.get("tree")
    if not tree or not os.path.isdir(tree):
        return None
    from pgwalk.analysis import contract
    found = contract.derive(tree)
    return [(m.name, m.mmap.value, m.vma.value) for m in found.modes]


def all_modes(table):
    """The modes a table's patch sets (a split also adds its twin; a
    computed mode, each mode its function gives)."""
    if table.get("mode_by"):
        return list(table["mode_by"]["modes"])
    modes = [table["mode"]]
    if table.get("split"):
        modes.append(table["split"]["write_mode"])
    return modes


def changes_behaviour(tables):
    """True when a patch sets a mode other than the default (the walker
    then checks, or does, something else)."""
    return any(m != READ_MODE for t in tables for m in all_modes(t))


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


def _held(lock, n):
    """LOCK_HELD for n paths ("holds" or "hold")."""
    text = LOCK_HELD.get(lock, "holds the mmap lock (%s)" % lock)
    return text if n == 1 else text.replace("holds ", "hold ", 1)


def _unseen(table):
    """Paths the analysis could not follow (it keeps the tree's rule)."""
    return bool(table.get("review")) and table["mode"] == READ_MODE and \
        not table.get("pinned")


def _chain_text(chain):
    return " -> ".join(chain["steps"])


def representative_chains(table):
    """One chain per distinct lock state of the table's paths, in the
    order of the states (a downgraded lock is a read lock by then): the
    shortest, the most direct evidence of that state."""
    out = {}
    for c in _chains(table):
        if c["lock"] not in out or \
                len(c["steps"]) < len(out[c["lock"]]["steps"]):
            out[c["lock"]] = c
    return [out[lock] for lock in sorted(out)]


def reason_key(table):
    """What the table's mode rests on: tables with the same key are given
    the same sentence (the cover groups them, a patch lists them once)."""
    if table.get("pinned"):
        return ("pinned", table["mode"], table.get("pin_reason") or "")
    if table.get("split"):
        return ("split", table["mode"], table["split"]["write_mode"])
    if table.get("stated_by"):
        by = table["stated_by"]
        return ("stated", table["mode"], tuple(by["walkers"]), by["asserts"])
    if table.get("mode_by"):
        by = table["mode_by"]
        return ("computed", table["mode"], by["function"], by["expr"],
                tuple((lock, tuple(modes)) for lock, modes in
                      sorted(by["by_lock"].items())))
    if _unseen(table):
        kind = table.get("review_kind")
        if kind == REVIEW_LOCK_CHOICE:
            # Every path is followed; the lock each holds is chosen at
            # run time: the paths are shown, and why no mode fits them.
            return ("choice", table["mode"],
                    tuple(sorted({c["lock"] for c in _chains(table)})))
        if kind == REVIEW_UNSEEN:
            return ("unseen", table["mode"])
        # Kept for another reason (every path holds no mmap lock, say):
        # its own words.
        return ("noted", table["mode"], table["reason"])
    if table.get("review") and not _chains(table):
        # A mode the analysis gave on what it knows of no lock held (see
        # decisions._flag_clear): its own reason, and the review says
        # what was not followed.
        return ("noted", table["mode"], table["reason"])
    locks = tuple(sorted({c["lock"] for c in _chains(table)}))
    verify = table["mode"] == convention.WRLOCK_VERIFY and \
        bool(table.get("vma_changed_by"))
    return ("paths", table["mode"], locks, verify)


def reason_words(key):
    """The sentence of a reason_key: the condition the mode was given on,
    in the words of RULE (every path, every walk)."""
    kind, mode = key[0], key[1]
    if kind == "pinned":
        return "%s: %s" % (mode, key[2].rstrip("."))
    if kind == "split":
        return ("%s, split: one function makes every walk, and some of "
                "its callers hold the mmap lock for read, others for "
                "write; the write twin gets %s" % (mode, key[2]))
    if kind == "noted":
        return "%s: %s" % (mode, key[2])
    if kind == "stated":
        return "%s: %s; %s, the weakest mode that asks for the mmap lock, " \
            "asks no more than that" % (mode, stated_words(key), mode)
    if kind == "unseen":
        return ("%s: not every path to a walk can be followed back to the "
                "lock it holds, so the mode stays the one every walk has "
                "today" % mode)
    if kind == "computed":
        return "%s: %s" % (mode, _computed_words(key))
    if kind == "choice":
        return ("%s: %s, chosen by a value the analysis does not fix; no "
                "mode's checks hold for every lock they may hold, so the "
                "mode stays the one every walk has today" % (
                    mode, _some_paths(key[2])))
    locks, verify = key[2], key[3]
    if len(locks) == 1:
        text = "every path to every walk %s" % _held(locks[0], 1)
    elif locks:
        text = _some_paths(locks)
    else:
        text = "no path to a walk was found"
    if verify:
        text += (", and each walk is of a VMA whose flags the walking "
                 "function has changed (or which it has write-locked) "
                 "before the walk on every path")
    elif mode in convention.WRITE_MODES and len(locks) == 1:
        # Not "is not": a change the analysis does not see (under an
        # option, in a callee it does not follow) may be there.
        text += (", and not every walk is shown to be of a VMA the "
                 "walking function has changed before the walk")
    return "%s: %s" % (mode, text)


# The rule the analysis applies (analysis/decisions.py), in the words
# reason_words() gives each table.
RULE = ("A table gets PGWALK_WRLOCK_VERIFY when every path to every walk "
        "holds the mmap lock for write and each walk is of a VMA "
        "whose flags the walking function has changed (or which it has "
        "write-locked) before the walk on every path; PGWALK_WRLOCK when "
        "every path holds the mmap lock for write but not every walk is "
        "shown to be of such a VMA; PGWALK_RDLOCK when some path holds "
        "it only for read (or only asserts that it is held).  "
        "A table whose walks are all made by one function whose callers "
        "differ is split in two, and the function chooses by a bool its "
        "callers pass.  A table passed only to walkers that ignore "
        "walk_lock gets the weakest mode that asks for the mmap lock when "
        "those walkers assert that lock themselves, and none when they "
        "assert none.")


def stated_words(key):
    """"used only with f(), which ignores walk_lock and asserts the mmap
    lock for write itself": why a "stated" reason_key's mode."""
    walkers, asserts = key[2], key[3]
    one = len(walkers) == 1
    return "used only with %s, which %s walk_lock and %s the mmap lock%s " \
        "%s" % (names("%s()" % w for w in walkers),
                "ignores" if one else "ignore",
                "asserts" if one else "assert",
                " for write" if asserts == "write" else "",
                "itself" if one else "themselves")


def short_chain(chain):
    """A call chain in a few words: the function where the lock is taken
    (or whose context holds it), then the function that calls the walker
    ("f() -> ... -> g()"), or the walker itself when f() makes the walk.
    "..." stands for the steps left out, including a callback's caller
    that the first step names.  What each step does with the lock is in
    the evidence file; the reason line says which lock every path
    holds."""
    steps = [step.split(" ", 1)[0] for step in chain["steps"]]
    hidden = len(steps) > 3 or " calls " in chain["steps"][0]
    if len(steps) <= 2 and not hidden:
        return " -> ".join(steps)
    last = steps[-2] if len(steps) > 2 else steps[-1]
    if not hidden:
        return "%s -> %s" % (steps[0], last)
    return "%s -> ... -> %s" % (steps[0], last)


def _computed_words(key):
    """Why a computed mode (a "computed" reason_key): which mode the
    function gives the paths of each lock."""
    _kind, _mode, fn, expr, by_lock = key
    return "the lock each path holds is recorded in %s, and %s() gives " \
        "%s" % (expr, fn, "; ".join(
            "%s to those that hold %s" % (
                " or ".join(modes), LOCK_SHORT.get(lock, lock))
            for lock, modes in by_lock))


def _some_paths(locks):
    """"some paths hold A and some B"."""
    # "held, for read or for write" last: its comma ends the list.
    return "some paths hold %s" % " and some ".join(
        LOCK_SHORT.get(l, l) for l in sorted(
            locks, key=lambda l: (l == ChainState.HELD, l)))


def short_reason(key):
    """The reason of a reason_key in a few words, for a changelog line."""
    kind = key[0]
    if kind == "pinned":
        return key[2].rstrip(".")
    if kind == "unseen":
        return "not every path can be followed to its lock; the mode " \
            "every walk has today"
    if kind == "computed":
        return _computed_words(key)
    if kind == "choice":
        return "some paths hold %s, chosen by a value the analysis does " \
            "not fix; the mode every walk has today" % ", some ".join(
                LOCK_SHORT.get(l, l) for l in key[2])
    if kind == "noted":
        return key[2]
    if kind == "stated":
        return stated_words(key)
    locks, verify = key[2], key[3]
    if len(locks) == 1:
        text = "every path %s" % _held(locks[0], 1)
    else:
        text = "some paths hold %s" % ", some ".join(
            LOCK_SHORT.get(l, l) for l in locks)
    if verify:
        text += ", and the walking function changes the walked VMA first"
    return text


def counted_paths(table):
    """"two paths hold the mmap lock for read, and one path holds it for
    write": the paths of one table counted by the lock they hold."""
    chains = _chains(table)
    parts = []
    for lock in sorted({c["lock"] for c in chains}):
        n = sum(1 for c in chains if c["lock"] == lock)
        parts.append("%s %s" % (count(n, "path"), _held(lock, n)))
    return names(parts).replace(" and ", ", and ", 1) if len(parts) == 2 \
        else names(parts)


def table_lines(tables, with_file=False):
    """The changelog lines of a patch: per reason, the mode and the lock
    the callers hold once, then one row per table and lock state with
    that table's own representative chain (short: where the lock is
    taken and the function making the walk; whole chains are in
    evidence.md).  A split has its own paragraph."""
    groups = {}
    for t in tables:
        groups.setdefault(reason_key(t), []).append(t)
    out = []
    for key, group in groups.items():
        for t in group:
            if t.get("split"):
                out.append(bullets([_split_line(t, with_file)], ""))
        group = [t for t in group if not t.get("split")]
        if not group:
            continue
        reason = short_reason(key)
        if len(group) == 1 and key[0] == "paths" and len(key[2]) > 1:
            reason = counted_paths(group[0])
        if key[0] in ("unseen", "noted", "stated") or \
                not any(map(representative_chains, group)):
            # Nothing to show per table: one sentence names them all.
            shown = names(table_ref(t, with_file) for t in group)
            out.append(bullets(["%s: %s, so %s." % (shown, reason, key[1])],
                               ""))
            continue
        block = [bullets(["%s: %s:" % (key[1], reason)], "")]
        for t in group:
            # The diff names each table's file.
            shown = table_ref(t, False)
            if not representative_chains(t):
                block.append("  " + shown)
            for c in representative_chains(t):
                line = textwrap.fill(
                    "%s: %s" % (shown, short_chain(c)), WIDTH,
                    initial_indent="  ", subsequent_indent="      ",
                    break_long_words=False, break_on_hyphens=False)
                # One call path may hold either of a helper's locks: its
                # short line once.
                if line not in block:
                    block.append(line)
        out.append("\n".join(block))
    return out


def table_ref(t, with_file=True, extra=""):
    """How a text names table t: its name, with its file when asked; a
    function's local whose file has another table of its name also with
    its function, or two lines would name one table twice.  extra ends
    the parenthesis ("; VMA changed by ...")."""
    where = [t["file"]] if with_file else []
    if t.get("shared_name") and t.get("function"):
        where.append("%s()" % t["function"])
    if not where:
        return t["name"]
    return "%s (%s%s)" % (t["name"], ", ".join(where), extra)


def _split_line(table, with_file):
    name = table_ref(table, with_file)
    split = table["split"]
    write = sorted(_call(c["function"]) for c in split.get("callers")
                   or [] if c["table"] == split["write_name"])
    read = sorted(_call(c["function"]) for c in split.get("callers")
                  or [] if c["table"] != split["write_name"])
    # "runs with": a caller may hold the lock its own caller took.
    return ("%s: %s walks it for %s, which %s with the mmap lock held for "
            "write, and for %s, which %s with it held for read.  Split it: "
            "the new %s is %s, and %s takes a bool, %s, that chooses it." % (
                name, _call(split["function"]), names(write) or "some",
                "runs" if len(write) == 1 else "run",
                names(read) or "others",
                "runs" if len(read) == 1 else "run",
                split["write_name"], split["write_mode"],
                _call(split["function"]), convention.TWIN_FLAG))


def _mode_pairs(tables):
    """(table name, mode) of the tables and their write twins."""
    out = []
    for t in tables:
        out.append((t["name"], t["mode"]))
        if t.get("split"):
            out.append((t["split"]["write_name"], t["split"]["write_mode"]))
    return out


def _other_modes(tables, contract):
    """What walks of tables in a mode of the tree's own (neither the
    default nor a write mode) do now, from the calls the tree's core
    makes for that mode and for the default (the contract)."""
    modes = {m["name"]: m for m in (contract or {}).get("modes", ())}
    default = next((m for m in modes.values() if m["default"]), None)
    out = []
    computed = {}
    for t in tables:
        if t.get("mode_by"):
            computed.setdefault(t["mode"], []).append(t)
    for mode, group in sorted(computed.items()):
        by = group[0]["mode_by"]
        out.append("Walks of %s now get the mode %s() gives them, %s, "
                   "where they all had %s." % (
                       names(table_ref(t, False) for t in group),
                       by["function"], " or ".join(by["modes"]),
                       READ_MODE))
    for mode in sorted({m for _n, m in _mode_pairs(tables)
                        if m != READ_MODE and m not in computed and
                        m not in convention.WRITE_MODES}):
        shown = names(n for n, m in _mode_pairs(tables) if m == mode)
        calls = modes.get(mode, {}).get("calls")
        if calls and default and default.get("calls"):
            out.append("Walks of %s now call %s where they called %s (what "
                       "the walker core does for %s and for %s)." % (
                           shown, names(_call(c) for c in calls),
                           names(_call(c) for c in default["calls"]),
                           mode, default["name"]))
        else:
            out.append("Walks of %s now get the checks of %s, not those "
                       "of %s." % (shown, mode, READ_MODE))
    return out


def behaviour_paragraph(tables, per_vma_lock, contract=None):
    """Whether the patch changes behaviour, and how."""
    if not changes_behaviour(tables):
        return wrap("No functional change: %s is 0, what a table without "
                    "walk_lock already gets." % READ_MODE)
    other = _other_modes(tables, contract)
    written = [(n, m) for n, m in _mode_pairs(tables)
               if m in convention.WRITE_MODES]
    if not written:
        return wrap("  ".join(other))
    if per_vma_lock:
        lock = [n for n, m in written if m == convention.WRLOCK]
        verify = [n for n, m in written
                  if m == convention.WRLOCK_VERIFY]
        parts = []
        if lock:
            parts.append("walks of %s now write-lock each VMA before "
                         "walking it (vma_start_write())" % names(lock))
        if verify:
            parts.append("walks of %s now assert that each VMA they "
                         "walk is already write-locked "
                         "(vma_assert_write_locked())" % names(verify))
        text = ("%s.  Before that they assert that the mmap lock is held "
                "for write (mmap_assert_write_locked())." % "; ".join(parts))
        text = text[0].upper() + text[1:]
    else:
        text = ("Walks of %s now assert that the mmap lock is held for "
                "write (mmap_assert_write_locked()), as their callers hold "
                "it." % names(n for n, _ in written))
    return wrap("  ".join([text] + other))


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
                  by_name=False, contract=None):
    """Commit message of a patch that sets the mode of `tables`: one line
    per table (its mode, the lock its callers hold, one chain per lock
    state) and what changes.  What the modes do is said once, in the core
    patch and the cover letter."""
    subject = patch_subject(tables, by_name)
    files = sorted({t["file"] for t in tables})
    with_file = len(files) > 1
    lines = table_lines(tables, with_file)
    paras = list(lines)
    paras.append(behaviour_paragraph(tables, per_vma_lock, contract))
    trailer = _trailer_block(identity, trailers, reviewed=reviewed)
    return "%s\n\n%s\n\n%s\n" % (subject, "\n\n".join(paras), trailer)


def motivation(decisions):
    """Why the rule should be written down: facts of this tree."""
    if tree_kind(decisions) == "walk_lock":
        return None
    return ("%s assert only that the mmap lock is held "
            "(mmap_assert_locked()), whichever mode the walk's caller "
            "holds: struct mm_walk_ops has no member for it." % VMA_WALKERS)


def core_message(identity, decisions, trailers=(), reviewed=()):
    """Message of patch 1, which inserts the core and changes no behaviour."""
    subject = "mm/pagewalk: add an explicit locking rule to struct mm_walk_ops"
    paras = [
        wrap(motivation(decisions) + "  Add enum page_walk_lock and a "
             "walk_lock member to struct mm_walk_ops, so the rule lives "
             "with the callbacks:"),
        mode_lines(decisions),
        wrap(purpose(decisions) + "  " + upstream_words()),
        wrap("No functional change: PGWALK_RDLOCK is 0, so a table that "
             "does not set walk_lock asserts what the walkers asserted "
             "before; walk_page_range_novma() and walk_page_mapping() do "
             "not use the field."),
    ]
    body = "\n\n".join(paras)
    return "%s\n\n%s\n\n%s\n" % (subject, body, _trailer_block(
        identity, trailers, [SUGGESTED_BY], reviewed))


# ------------------------------------------------- after the --- line --

def notes_below(tables, dropped=()):
    """Text for after the `---` line: what a reviewer should still check,
    and review tags dropped.  The paths behind each mode are in the
    series' evidence file, not here."""
    out = []
    for t in tables:
        # The analysis often gives a note as both (a note to review).
        check = list(dict.fromkeys(list(t.get("notes") or []) +
                                   list(t.get("review") or [])))
        if check:
            out.append("%s, to check:\n%s" % (t["name"],
                                              bullets(check, "  ")))
        if t.get("pinned"):
            out.append("%s: mode set in the decisions file, not by the "
                       "analysis." % t["name"])
    out.extend(wrap(line) for line in dropped)
    return "\n\n".join(out)


def evidence(decisions, patches=()):
    """The evidence file of the series (markdown): for every table, its
    mode, the condition it was given on, and every path with its call
    sites."""
    out = ["# Evidence for the modes of this series", "",
           "The rule: " + RULE, ""]
    order = [t for _s, tables in patches for t in tables] or \
        [t for t in decisions["tables"] if t["action"] != Action.NONE]
    for t in order:
        out.append("## %s" % table_ref(t))
        out.append("")
        out.append("%s." % reason_words(reason_key(t)))
        if t.get("split"):
            s = t["split"]
            out.append("Split: %s (%s) for %s." % (
                s["write_name"], s["write_mode"], names(
                    _call(c["function"]) for c in s.get("callers") or []
                    if c["table"] == s["write_name"])))
        if t.get("vma_changed_by"):
            out.append("Walking functions that change the VMA first: %s." %
                       names(t["vma_changed_by"]))
        out.append("")
        for c in _chains(t):
            out.append("- %s: %s" % (LOCK_SHORT.get(c["lock"], c["lock"]),
                                     _chain_text(c)))
            if c.get("sites"):
                out.append("  at %s" % ", ".join(c["sites"]))
        if not _chains(t):
            out += ["- %s" % e for e in t.get("evidence") or []]
        for n in list(t.get("notes") or []) + list(t.get("review") or []):
            out.append("- to check: %s" % n)
        if t.get("dropped_paths"):
            out.append("- %d path(s) holding no lock (error paths) not "
                       "counted" % t["dropped_paths"])
        out.append("")
    return "\n".join(out)


# ------------------------------------------------------------ cover ------

def _table_rows(tables):
    """The changed tables grouped by the reason of their mode: a heading
    per reason, then the tables with their file (so two tables of one
    name, as two architectures have, are told apart)."""
    changed = [t for t in tables if t["action"] != Action.NONE]
    groups = {}
    for t in changed:
        groups.setdefault(reason_key(t), []).append(t)
    order = {m: i for i, m in enumerate(convention.MODES)}
    rows = []
    for key in sorted(groups, key=lambda k: (order.get(k[1], 9), str(k))):
        if rows:
            rows.append("")
        rows.append(wrap(reason_words(key) + ":"))
        for t in sorted(groups[key], key=lambda t: (t["file"], t["name"])):
            extra = ""
            if t.get("split"):
                s = t["split"]
                extra = "; new twin %s, %s" % (s["write_name"],
                                               s["write_mode"])
            elif t.get("vma_changed_by") and \
                    t["mode"] == convention.WRLOCK_VERIFY:
                extra = "; VMA changed by %s" % names(t["vma_changed_by"])
            rows.append(wrap(table_ref(t, extra=extra), indent="  "))
    return rows


def _left_alone(tables):
    """Tables the series does not touch, in groups by why: they set
    walk_lock already, their walking function sets it before each walk,
    they go only to walkers that do not use it, or to no walker."""
    untouched = [t for t in tables if t["action"] == Action.NONE]
    if not untouched:
        return None

    def shown(group):
        out = []
        for t in group:
            twice = sum(1 for u in untouched if u["name"] == t["name"]) > 1
            out.append(table_ref(t, twice))
        return names(out)

    def left(group, one, many):
        """"N tables <why>, and are left as they are: names."; one and
        many say why, for one table and for several."""
        n = len(group)
        return wrap("%s %s %s left as %s: %s." % (
            count(n, "table").capitalize(), one if n == 1 else many,
            "is" if n == 1 else "are", "it is" if n == 1 else "they are",
            shown(group)))
    declared = [t for t in untouched if t.get("declared")]
    at_walk = [t for t in untouched if not t.get("declared") and
               t.get("walk_lock_at_walk")]
    computed = [t for t in untouched if not t.get("declared") and
                t.get("walk_lock_set_to")]
    rest = [t for t in untouched if t not in declared and
            t not in at_walk and t not in computed]
    ignoring = [t for t in rest if t.get("walkers")]
    unwalked = [t for t in rest if not t.get("walkers")]
    paras = []
    if declared:
        paras.append(left(declared, "already sets walk_lock and",
                          "already set walk_lock and"))
    if at_walk:
        how = ("walk_lock before each walk, to a mode the lock of each "
               "path allows, and")
        paras.append(left(at_walk, "gets " + how, "get " + how))
    if computed:
        how = ("walk_lock before each walk, to a value computed at run "
               "time that the analysis does not follow to each path, and")
        paras.append(left(computed, "gets " + how, "get " + how))
    if ignoring:
        walkers = sorted({w for t in ignoring for w in t["walkers"]})
        how = "only passed to %s, which %s not use walk_lock, and" % (
            names(_call(w) for w in walkers),
            "does" if len(walkers) == 1 else "do")
        paras.append(left(ignoring, "is " + how, "are " + how))
    if unwalked:
        how = "not passed to a page walker here and"
        paras.append(left(unwalked, "is " + how, "are " + how))
    return "\n\n".join(paras)


def base_paragraph(base_desc):
    """Where the series applies, when base-commit cannot say it."""
    return wrap("Based on %s." % base_desc)


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
        if b.get("kept"):
            # A kept compile's result is an earlier run's, for the same
            # sources, command and compilers (proofs/build.py, Kept).
            text += "; %s answered from an identical compile in an " \
                "earlier run (the same sources, command and compilers)" % (
                    "each was" if b["kept"] == b["objects"] else
                    "one of them was" if b["kept"] == 1 else
                    "%d of them were" % b["kept"])
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


def tested(proof):
    """True when the build matrix and the boot both passed for this
    series: only then is it a [PATCH] rather than an [RFC PATCH]."""
    return bool(proof and proof.get("build") and proof.get("boot") and
                proof["build"].get("ok", not proof["build"].get("bad")) and
                proof["boot"].get("ok", not proof["boot"].get("problems")))


def testing_section(proof):
    """What was tested, in kernel words (proof: pgwalk.proofs.reports)."""
    if not proof or not (proof.get("build") or proof.get("boot")):
        return wrap("Testing: not built or booted yet; sent as an RFC for "
                    "the modes and the rule.")
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
        out.append(bullets(["not built"]))
    boot = proof.get("boot")
    if boot:
        out.append(bullets([
            "booted on x86_64 under QEMU with lockdep, running a workload "
            "that drives the walkers: %s" % boot_words(boot)]))
    else:
        out.append(bullets(["not booted"]))
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
    kind = tree_kind(decisions)
    changed = [t for t in tables if t["action"] != Action.NONE]
    splits = [t for t in changed if t.get("split")]
    patches = ctx.get("patches") or []
    if kind == "walk_lock":
        subject = "mm: set the locking mode of the remaining page table walks"
    else:
        subject = "mm: give every page table walk an explicit locking rule"
    paras = []
    if kind == "walk_lock":
        paras.append(wrap(purpose(decisions)))
        paras.append(wrap("What each mode asks of the caller and does to "
                          "each VMA on this kernel:"))
        paras.append(mode_lines(decisions))
    else:
        paras.append(wrap(
            "%s  As suggested in review of the bool lock_vma argument to "
            "walk_page_*(), this series adds enum page_walk_lock and a "
            "walk_lock member to struct mm_walk_ops, so the rule lives "
            "with the callbacks.  On this kernel the modes are:" %
            motivation(decisions)))
        paras.append(mode_lines(decisions))
        paras.append(wrap(purpose(decisions) + "  " + upstream_words()))
    annotations = [p for p in patches if p[1]]
    quiet = [p for p in annotations if not changes_behaviour(p[1])]
    # Patches that set a write mode, and those that set only another
    # mode of the tree's own (a check other than the mmap lock's).
    loud = [p for p in annotations if any(
        m in convention.WRITE_MODES for t in p[1] for m in all_modes(t))]
    moved = [p for p in annotations if changes_behaviour(p[1]) and
             p not in loud]
    other = sorted({m for p in moved for t in p[1] for m in all_modes(t)
                    if m != READ_MODE})
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
        if loud and per_vma:
            kinds.append("%s write-lock%s VMAs or assert%s that they are "
                         "write-locked, after asserting the mmap write "
                         "lock" % (count(len(loud), "patch", "patches"),
                                   "s" if len(loud) == 1 else "",
                                   "s" if len(loud) == 1 else ""))
        elif loud:
            kinds.append("%s an assertion that the mmap lock is held for "
                         "write" % count(len(loud), "adds", "add"))
        if moved:
            kinds.append("%s walks to the checks of %s" % (
                count(len(moved), "moves", "move"), names(other)))
        if len(annotations) == 1:
            if moved:
                what = "moves walks to the checks of %s" % names(other)
            elif not loud:
                what = "makes no functional change (PGWALK_RDLOCK only)"
            elif per_vma:
                what = ("write-locks VMAs or asserts that they are "
                        "write-locked where the callers hold the mmap lock "
                        "for write")
            else:
                what = ("adds an assertion that the mmap lock is held for "
                        "write where the callers hold it")
            paras.append(wrap(
                "%sPatch %d sets the mode of every table passed to a VMA "
                "walk; it %s." % (first, len(patches), what)))
        else:
            lead = ("The other %s" % count(len(annotations), "patch",
                                           "patches")) if first else \
                ("The %s" % count(len(annotations), "patch", "patches"))
            paras.append(wrap("%s%s set the mode of every table passed to "
                              "a VMA walk, %s: %s." % (
                                  first, lead, layout, names(kinds))))
    paras.append(wrap(RULE))
    head = "%s %s a mode%s, grouped by the reason:" % (
        count(len(changed), "table").capitalize(),
        "gets" if len(changed) == 1 else "get",
        ", %s of them split in two" % count(len(splits), "").strip()
        if splits else "")
    paras.append(head + "\n\n" + "\n".join(_table_rows(tables)))
    left = _left_alone(tables)
    if left:
        paras.append(left)
    # A shared-name local with its function: which walk_ops is meant.
    noted = [table_ref(t, False) for t in changed
             if t.get("notes") or t.get("review")]
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
