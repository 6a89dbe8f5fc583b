# SPDX-License-Identifier: GPL-2.0
"""The boolean-argument form of the first posting, converted to walk_lock.

The series' first posting added `bool lock_vma` to walk_page_range(),
walk_page_vma() and walk_page_range_vma() (walk_page_vma(vma, &ops, true,
NULL)).  A tree carrying that form is converted to the ops-field form:

  - every call says what its table needs: true -> PGWALK_WRLOCK, false ->
    PGWALK_RDLOCK (semantic-patches/bool-facts.cocci reports the calls);
  - a table passed with both true and false gets a write twin
    (X_walk_ops -> X_lock_vma_walk_ops, a verbatim copy), and the calls
    that passed true pass the twin;
  - semantic-patches/bool-to-ops.cocci drops the argument from the
    prototypes, the definitions (with their `if (lock_vma)
    vma_start_write()`) and every call; annotate-ops.cocci sets the modes;
    the core (reference/) is inserted as for any tree.

The argument and its users change together: removing an argument is one
commit, or the commits between would not build.
"""

import json
import os
import re
import shutil
import tempfile

from pgwalk.errors import PgwalkError
from pgwalk import (cocci, convention, core, REPO, runner, table,
                    tablescan, treefeatures)
from pgwalk.analysis import candidates
from pgwalk.series import edits

FACTS = os.path.join(REPO, "semantic-patches", "bool-facts.cocci")
CONVERT = os.path.join(REPO, "semantic-patches", "bool-to-ops.cocci")
HEADER = "include/linux/pagewalk.h"
WALKER = "mm/pagewalk.c"
MODE_OF = {"true": "PGWALK_WRLOCK", "false": "PGWALK_RDLOCK"}


class BoolFormError(PgwalkError):
    pass


def detect(tree):
    """True when the tree's walk_page_range() takes a bool lock_vma."""
    path = os.path.join(tree, HEADER)
    if not os.path.exists(path):
        return False
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    m = re.search(r"\bint\s+walk_page_range\s*\(([^;]*)\)\s*;", text)
    return bool(m and re.search(r"\bbool\b", m.group(1)))


def calls(tree, files):
    """The boolean-form calls in files: [{file, line, walker, ops, lock}]."""
    proc = runner.run(cocci.argv(FACTS, *files), cwd=tree)
    if proc.returncode != 0:
        raise BoolFormError("spatch failed: %s" % proc.stderr[-300:])
    out = []
    for line in proc.stdout.splitlines():
        if line.startswith("PGWALK "):
            c = json.loads(line[len("PGWALK "):])
            c["file"] = os.path.normpath(c["file"])
            out.append(c)
    return sorted(out, key=lambda c: (c["file"], c["line"]))


def decide(found):
    """{(file, table): {"mode", "twin", "calls"}} from the calls.

    A call whose ops is not &table or whose lock_vma is not true/false
    cannot be converted mechanically: it is an error naming the call.
    """
    tables, bad = {}, []
    for c in found:
        m = re.match(r"^&\s*(\w+)$", c["ops"])
        if not m or c["lock"] not in MODE_OF:
            bad.append("%s:%d: %s(%s, %s) in %s(): the table or lock_vma "
                       "is not a constant; convert it by hand" % (
                           c["file"], c["line"], c["walker"], c["ops"],
                           c["lock"], c["function"]))
            continue
        t = tables.setdefault(m.group(1), {"calls": [], "locks": set()})
        t["calls"].append(c)
        t["locks"].add(c["lock"])
    if bad:
        raise BoolFormError("\n".join(bad))
    out = {}
    for name, t in sorted(tables.items()):
        both = t["locks"] == {"true", "false"}
        out[name] = {"mode": "PGWALK_RDLOCK" if both else
                     MODE_OF[t["locks"].pop()],
                     "twin": convention.twin_name(name) if both else None,
                     "calls": t["calls"]}
    return out


def _add_twin(text, name, twin):
    """A verbatim copy of table `name`, named twin, right after it."""
    found = tablescan.named(tablescan.scan_texts({"file.c": text})[
        "file.c"], name)
    written = found[0] if found else None
    if not written:
        raise BoolFormError("table %s not found" % name)
    where = tablescan.block(text, written)
    copy = edits.rename(text[where[0]:where[1]], written, twin)
    return text[:where[1]] + "\n" + copy + text[where[1]:]


def table_files(tree, names):
    """{table: relpath of its definition}."""
    out = {}
    hits = sorted(candidates.grep(tree, "|".join(sorted(names)),
                                  words=True))
    found = tablescan.scan_files([os.path.join(tree, r) for r in hits])
    for relpath in hits:
        for name in names:
            if tablescan.named(found[os.path.join(tree, relpath)], name):
                out.setdefault(name, relpath)
    missing = sorted(set(names) - set(out))
    if missing:
        raise BoolFormError("no definition found for %s" % ", ".join(missing))
    return out


def convert(tree):
    """(decided tables, {relpath: new text}); the tree is not touched."""
    callers = sorted({c[0] for c in candidates.walk_calls(tree)} |
                     {WALKER})
    decided = decide(calls(tree, callers))
    where = table_files(tree, decided)
    per_vma = treefeatures.detect(tree).get("per_vma_lock", False)
    work = tempfile.mkdtemp(prefix="pgwalk-bool-")
    try:
        files = sorted(set(callers) | set(where.values()) | {HEADER})
        for relpath in files:
            os.makedirs(os.path.dirname(os.path.join(work, relpath)),
                        exist_ok=True)
            shutil.copyfile(os.path.join(tree, relpath),
                            os.path.join(work, relpath))
        spec = os.path.join(work, "twins.json")
        with open(spec, "w") as f:
            json.dump({n: t["twin"] for n, t in decided.items()
                       if t["twin"]}, f)
        proc = runner.run(
            cocci.argv(CONVERT, "--in-place", *files, define=["patch"]),
            cwd=work, env=dict(os.environ, PGWALK_TWINS=spec))
        if proc.returncode != 0:
            raise BoolFormError("bool-to-ops.cocci failed: %s" %
                                proc.stderr[-300:])
        modes = {}
        for name, t in decided.items():
            path = os.path.join(work, where[name])
            if t["twin"]:
                with open(path) as f:
                    text = _add_twin(f.read(), name, t["twin"])
                with open(path, "w") as f:
                    f.write(text)
                modes.setdefault(where[name], {})[t["twin"]] = \
                    "PGWALK_WRLOCK"
            modes.setdefault(where[name], {})[name] = t["mode"]
        spec = os.path.join(work, "modes.json")
        with open(spec, "w") as f:
            json.dump({n: m for per in modes.values()
                       for n, m in per.items()}, f)
        edits.annotate([os.path.join(work, r) for r in sorted(modes)], spec)
        out = {}
        for relpath in files:
            with open(os.path.join(work, relpath)) as f:
                text = f.read()
            for name in sorted(modes.get(relpath, {})):
                text = edits.align_walk_lock(text, name)
            out[relpath] = text
        # The core goes into what is left once the argument is gone.
        out.update(core.core_edits(work, per_vma))
        leftover = [r for r, text in out.items()
                    if re.search(r"\block_vma\b", text)]
        if leftover:
            raise BoolFormError("lock_vma is still used in %s after the "
                                "conversion" % ", ".join(leftover))
        return decided, {r: t for r, t in out.items()
                         if t != core.read_text(os.path.join(tree, r))}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def decisions_record(tree, decided, per_vma):
    """decisions.json (and the cover letter's table) for the conversion."""
    tables = []
    for name, t in sorted(decided.items()):
        calls = t["calls"]
        tables.append(table.new(
            name=name, file=calls[0]["file"], line=calls[0]["line"],
            mode=t["mode"], action=table.Action.SPLIT if t["twin"]
            else table.Action.ANNOTATE,
            reason="lock_vma was %s" % "/".join(
                sorted({c["lock"] for c in calls})),
            evidence=["%s:%d: %s() passes %s" % (
                c["file"], c["line"], c["function"], c["lock"])
                for c in calls],
            walkers=sorted({c["walker"] for c in calls}),
            split={"write_name": t["twin"], "write_mode": convention.WRLOCK,
                   "callers": []} if t["twin"] else None))
    return {"tree": tree, "has_core": False, "per_vma_lock": per_vma,
            "form": "bool", "tables": tables, "review": []}


def message(identity, decided, per_vma):
    """Commit message of the one conversion patch."""
    from pgwalk.series import messages
    lines = []
    for name, t in sorted(decided.items()):
        asked = sorted({c["lock"] for c in t["calls"]})
        if t["twin"]:
            lines.append("%s: PGWALK_RDLOCK for the calls that passed "
                         "false, and the new twin %s (PGWALK_WRLOCK) for "
                         "those that passed true" % (name, t["twin"]))
        else:
            lines.append("%s: %s (every call passed %s)" % (
                name, t["mode"], asked[0]))
    body = messages.wrap(
        "The lock_vma argument of walk_page_range(), walk_page_vma() and "
        "walk_page_range_vma() says at each call whether the walk must "
        "write-lock the VMAs it visits. Review asked for the rule to live "
        "in struct mm_walk_ops instead, next to the callbacks it goes "
        "with, as a tri-state. Move it there: each table gets the mode its "
        "calls asked for (true: PGWALK_WRLOCK, false: PGWALK_RDLOCK), a "
        "table passed both ways is split into a read table and a write "
        "twin, and the argument is removed from the walkers and every "
        "call in one go, so that every commit builds.")
    return "mm: move the page walk locking rule from lock_vma to " \
        "struct mm_walk_ops\n\n%s\n\n%s\n\n%s\n%s\n" % (
            body, messages.bullets(lines), messages.SUGGESTED_BY,
            messages.signoff(identity))
