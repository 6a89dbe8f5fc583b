# SPDX-License-Identifier: GPL-2.0
"""Edits: apply the decided modes to one file with the semantic patches.

split-ops.cocci splits the tables whose callers differ; annotate-ops.cocci
sets `.walk_lock` in every decided table.  Python does what Coccinelle's
pretty-printer cannot: it copies a twin table's initializers verbatim and
aligns the new `.walk_lock` line the way the table aligns its other
members.  The result is verified: a table not changed as asked is an error.
"""

import concurrent.futures
import json
import os
import shutil
import tempfile

from pgwalk import REPO, cocci, convention, runner, tablescan
from pgwalk.analysis import values
from pgwalk.errors import PgwalkError
from pgwalk.memo import Memo, file_digest, key
from pgwalk.table import Action, load as load_decisions

ANNOTATE = os.path.join(REPO, "semantic-patches", "annotate-ops.cocci")
SPLIT = os.path.join(REPO, "semantic-patches", "split-ops.cocci")
TAB = 8


class EditError(PgwalkError):
    """A table was not changed as the decisions asked."""


def _spatch(rule, paths, env):
    proc = runner.run(cocci.argv(rule, "--in-place", *paths,
                                 define=["patch"]),
                      env=dict(os.environ, **env))
    if proc.returncode != 0:
        raise EditError("spatch %s failed on %s: %s" % (
            os.path.basename(rule), " ".join(paths),
            proc.stderr.strip()[-300:]))


def annotate(paths, spec):
    """Run annotate-ops.cocci in place on paths; spec: a JSON file of
    {table: mode} (a table as convention.table_key() names it)."""
    _spatch(ANNOTATE, paths, {"PGWALK_MODES": spec})


def _tables(text, tables):
    """The tables of text as written (tablescan): given, or read now."""
    if tables is not None:
        return tables
    return tablescan.scan_texts({"file.c": text})["file.c"]


def _first(tables, name):
    found = tablescan.named(tables, name)
    return found[0] if found else None


def table_block(text, name, tables=None):
    """(start, end) of the definition of table `name`, or None; tables:
    tablescan's reading of this text, when the caller has it."""
    written = _first(_tables(text, tables), name)
    return tablescan.block(text, written) if written else None


def copy_twin(text, name, twin, tables=None):
    """Replace Coccinelle's reflowed twin with a verbatim copy of `name`.
    tables: tablescan's reading of text; a twin later in the file than
    another one being copied must be copied first (its offsets)."""
    tables = _tables(text, tables)
    orig, made = _first(tables, name), _first(tables, twin)
    if not orig or not made:
        raise EditError("table %s or its twin %s not found after the split"
                        % (name, twin))
    start, end = tablescan.block(text, orig)
    copy = rename(text[start:end], orig, twin)
    made = tablescan.block(text, made)
    return text[:made[0]] + "\n" + copy + text[made[1]:]


def rename(block, written, new):
    """A table's definition (from the start of its name's line) with its
    name, where Coccinelle found it, replaced by new."""
    lines = block.split("\n")
    first = lines[0]
    col = written.col
    if first[col:col + len(written.name)] != written.name:
        raise EditError("table %s: its name is not where the scan put it"
                        % written.name)
    lines[0] = first[:col] + new + first[col + len(written.name):]
    return "\n".join(lines)


def wrap_choice(text, name, twin):
    """Break the line split-ops.cocci added that chooses the table, if it
    is longer than 80 columns, after the "?" (as upstream wrote it)."""
    line = "\tconst struct mm_walk_ops *ops = %s ? &%s : &%s;" % (
        convention.TWIN_FLAG, twin, name)
    if _col(line) <= 80:
        return text
    return text.replace(line, "\tconst struct mm_walk_ops *ops = %s ?\n"
                        "\t\t\t&%s : &%s;" % (convention.TWIN_FLAG, twin,
                                              name))


def _col(prefix):
    """Display column after `prefix`, tabs every 8."""
    col = 0
    for ch in prefix:
        col = (col // TAB + 1) * TAB if ch == "\t" else col + 1
    return col


def align_walk_lock(text, name, tables=None):
    """Give each table `name`'s `.walk_lock = ...` line its alignment.
    tables: tablescan's reading of text; aligning changes only that
    line, so a reading stays good for the tables above it."""
    found = tablescan.named(_tables(text, tables), name)
    if not found:
        raise EditError("table %s not found" % name)
    for written in sorted(found, key=lambda w: -w.line):
        text = _align(text, written)
    return text


def _align(text, written):
    lines = text.split("\n")

    def parts(m):
        """(indent, ".member", padding before "=") of a member's line."""
        line = lines[m.line - 1]
        between = line[m.col + len(m.name):m.value_col]
        return line[:m.col - 1], "." + m.name, between.split("=", 1)[0]
    mine = written.member("walk_lock")
    others = [parts(m) for m in written.members if m.name != "walk_lock"]
    if len(mine) != 1 or not others or \
            any(m.line == o.line for m in mine for o in written.members
                if o is not m):
        return text
    cols = {_col(ind + field + pad) for ind, field, pad in others}
    pads = {pad for _i, _f, pad in others}
    indent = others[-1][0]
    head = indent + ".walk_lock"
    if len(cols) == 1 and any("\t" in p for p in pads):
        target = cols.pop()
        pad = ""
        while _col(head + pad) < target:
            pad += "\t"
        if _col(head + pad) != target:      # tabs cannot hit the column
            pad = " "
    elif len(cols) == 1 and len(pads) == 1 and pads != {" "}:
        pad = " " * max(1, cols.pop() - _col(head))
    else:
        pad = " "
    m = mine[0]
    line = lines[m.line - 1]
    lines[m.line - 1] = head + pad + "= " + line[m.value_col:]
    return "\n".join(lines)


def align_all(text, keys, tables):
    """align_walk_lock() of each table of keys (convention.table_key()),
    the last in the file first."""
    mine = {(w.line, w.col) for k in keys
            for w in tablescan.keyed(tables, k)}
    for written in sorted(tables, key=lambda w: -w.line):
        if (written.line, written.col) in mine:
            text = _align(text, written)
    return text


def file_edits(tree, relpath, tables):
    """New text of tree/relpath with the decided edits; tree untouched."""
    return edit_files(tree, {relpath: tables})[relpath]


def edit_files(tree, groups):
    """{relpath: new text} for {relpath: [decided tables]}; tree untouched.

    Splits run file by file; the annotation runs as one spatch over all
    the files (its start-up costs more than a file), except that files
    whose table names collide with another file's go in a later batch.
    """
    memo = Memo("edits")
    keys = {relpath: _edit_key(tree, relpath, tables)
            for relpath, tables in groups.items()}
    out = {relpath: memo.get(k) for relpath, k in keys.items()}
    todo = {r: t for r, t in groups.items() if out[r] is None}
    if todo:
        for relpath, text in _edit(tree, todo).items():
            out[relpath] = text
            memo.put(keys[relpath], text)
    return out


def _edit_key(tree, relpath, tables):
    """Everything a file's new text comes from: its text, its decided
    tables, the three rules, and the modules that align and copy."""
    # Only what the edit reads of a table: evidence and notes change
    # with other files and must not make this file's edit miss.
    asked = sorted([convention.table_key(t), t["mode"], t["action"],
                    t.get("split")] for t in tables)
    return key(file_digest(os.path.join(tree, relpath)), asked,
               file_digest(ANNOTATE), file_digest(SPLIT),
               cocci.digest(tablescan.RULE), file_digest(tablescan.__file__),
               file_digest(__file__))


def _edit(tree, groups):
    """edit_files() without the cache."""
    work = tempfile.mkdtemp(prefix="pgwalk-edits-")
    try:
        paths, modes, splits = {}, {}, {}
        for relpath, tables in sorted(groups.items()):
            path = os.path.join(work, relpath)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            shutil.copyfile(os.path.join(tree, relpath), path)
            paths[relpath] = path
            modes[relpath] = {convention.table_key(t): t["mode"]
                              for t in tables}
            splits[relpath] = {t["name"]: t["split"] for t in tables
                               if t["action"] == Action.SPLIT and
                               t.get("split")}
            if splits[relpath]:
                _split(work, relpath, path, splits[relpath], modes[relpath])
        for batch in _batches(modes):
            merged = {}
            for relpath in batch:
                merged.update(modes[relpath])
            spec = os.path.join(work, "modes.json")
            with open(spec, "w") as f:
                json.dump(merged, f)
            # Up to two spatch processes (one per core) share the files.
            groups = cocci.batches({r: os.path.getsize(paths[r])
                                    for r in batch}, 2)
            with concurrent.futures.ThreadPoolExecutor(2) as pool:
                list(pool.map(lambda g: annotate([paths[r] for r in g[1]],
                                                 spec), groups))
        out = {}
        scanned = tablescan.scan_files(sorted(paths.values()))
        for relpath, path in paths.items():
            with open(path) as f:
                text = f.read()
            tables = scanned[path]
            verify(relpath, text, modes[relpath], splits[relpath], tables)
            out[relpath] = align_all(text, modes[relpath], tables)
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _split(work, relpath, path, splits, modes):
    """Run split-ops.cocci on one file and copy the twins verbatim."""
    spec = os.path.join(work, "splits.json")
    with open(spec, "w") as f:
        json.dump(splits, f)
    _spatch(SPLIT, [path], {"PGWALK_SPLITS": spec,
                            "PGWALK_FLAG": convention.TWIN_FLAG})
    with open(path) as f:
        text = f.read()
    tables = tablescan.scan_files([path])[path]

    def line(split):
        twin = _first(tables, split["write_name"])
        return twin.line if twin else 0
    # The twin lowest in the file first: copying one moves what is below.
    for name, split in sorted(splits.items(),
                              key=lambda item: -line(item[1])):
        text = copy_twin(text, name, split["write_name"], tables)
    for name, split in sorted(splits.items()):
        text = wrap_choice(text, name, split["write_name"])
        modes[split["write_name"]] = split["write_mode"]
    with open(path, "w") as f:
        f.write(text)


def _batches(modes):
    """Lists of files whose table names are unique within each list (a
    "function:name" key counts as its name: the rule's plain key and its
    function's key must not meet another file's)."""
    batches = []

    def names(relpath):
        return {convention.plain_name(k) for k in modes[relpath]}
    for relpath in sorted(modes):
        for batch in batches:
            taken = {n for r in batch for n in names(r)}
            if not taken & names(relpath):
                batch.append(relpath)
                break
        else:
            batches.append([relpath])
    return batches


def _shown(expr):
    return values.show(values.parse(expr))


def verify(relpath, text, modes, splits, tables=None):
    """Every table has exactly its mode; every split is threaded.
    modes: {key: mode}, a table named as convention.table_key() names
    it (two functions' locals of one name are each their own)."""
    tables = _tables(text, tables)
    for name, mode in sorted(modes.items()):
        written = tablescan.keyed(tables, name)
        if not written:
            raise EditError("%s: no struct mm_walk_ops %s" % (relpath, name))
        # Every table of the key (one per #ifdef branch, say).
        found = [m.value for w in written for m in w.member("walk_lock")]
        # A computed mode (decisions' mode_by) is C text: compared as
        # parsed, not by its spacing (Coccinelle spaces its tokens).
        if [_shown(f) for f in found] != [_shown(mode)] * len(written):
            raise EditError("%s: %s has walk_lock %s, expected %s" % (
                relpath, name, found or "unset", mode))
    for name, split in splits.items():
        flag = "*ops = %s ?" % convention.TWIN_FLAG
        choice = "&%s : &%s;" % (split["write_name"], name)
        if flag not in text or choice not in text:
            raise EditError("%s: %s() does not choose its table by %s" % (
                relpath, split["function"], convention.TWIN_FLAG))


def bare_annotate_cmd(tree, decisions_json_path, jobs=1):
    """argv of one bare `spatch --dir` pass of the annotation rule.

    The speed yardstick of the issue: apply.sh should cost at most three
    times this.  The modes file is written next to the decisions.
    """
    decided = load_decisions(decisions_json_path)
    modes = {convention.table_key(t): t.mode for t in decided.tables
             if t.mode}
    spec = os.path.join(os.path.dirname(os.path.abspath(decisions_json_path)),
                        "modes-for-bench.json")
    with open(spec, "w") as f:
        json.dump(modes, f)
    return ["env", "PGWALK_MODES=%s" % spec] + cocci.argv(
        ANNOTATE, "--dir", tree, define=["patch"], extra=["-j", str(jobs)])
