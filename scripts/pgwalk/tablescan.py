# SPDX-License-Identifier: GPL-2.0
"""Where the struct mm_walk_ops tables of C files are written, as
Coccinelle reads them (semantic-patches/tables.cocci): the edits use it
to copy a table, align the line they add and check what they wrote; the
boot test to read the tables of the series it boots.  No regular
expression looks at the C.

Lines are 1-based and columns 0-based, as Coccinelle gives them; a
column counts characters (a tab is one).
"""

import dataclasses
import json
import os
import shutil
import tempfile

from pgwalk import REPO, cocci, runner
from pgwalk.errors import PgwalkError

RULE = os.path.join(REPO, "semantic-patches", "tables.cocci")


class ScanError(PgwalkError):
    """spatch could not read the tables of a file; says which."""


@dataclasses.dataclass(frozen=True)
class Member:
    name: str           # the member, without its "."
    line: int
    col: int            # of the member's name
    value_col: int      # of its value
    value: str          # the value as Coccinelle prints it


@dataclasses.dataclass
class Written:
    name: str
    line: int           # of the table's name
    col: int            # of the table's name
    open: tuple         # (line, col) of its "{"
    close: tuple        # (line, col) just after its "}"
    members: list = dataclasses.field(default_factory=list)
    users: set = dataclasses.field(default_factory=set)  # functions
    # that take its address
    function: str | None = None  # a local table's function

    def member(self, name):
        return [m for m in self.members if m.name == name]


def scan_files(paths, users=False):
    """{path: [Written]} of every path, in the order of the file (one
    spatch run).  Two tables of one name (locals of two functions) are
    two entries.  users: also find the functions that take each table's
    address (Written.users; the costly part)."""
    out = {p: [] for p in paths}
    if not paths:
        return out
    proc = runner.run(cocci.argv(RULE, *paths,
                                 define=["users"] if users else []))
    if proc.returncode != 0:
        raise ScanError("spatch %s failed on %s: %s" % (
            os.path.basename(RULE), " ".join(paths),
            proc.stderr.strip()[-300:]))
    found = [json.loads(line[len("PGWALK "):])
             for line in proc.stdout.splitlines()
             if line.startswith("PGWALK ")]
    at = {}
    for f in found:
        if f["kind"] == "table" and (f["file"], f["name"], f["line"]) \
                not in at:
            written = Written(f["name"], f["line"], f["col"],
                              tuple(f["open"]), tuple(f["close"]),
                              function=f["function"]
                              if f["function"] != f["name"] else None)
            at[(f["file"], f["name"], f["line"])] = written
            out.setdefault(f["file"], []).append(written)
    for f in found:
        if f["kind"] == "member":
            table = at.get((f["file"], f["table"], f["table_line"]))
            if table is not None:
                table.members.append(Member(f["member"], f["line"],
                                            f["col"], f["value_col"],
                                            f["value"]))
        elif f["kind"] == "address":
            for table in out.get(f["file"], ()):
                if table.name == f["table"]:
                    table.users.add(f["function"])
    for tables in out.values():
        tables.sort(key=lambda t: (t.line, t.col))
        for t in tables:
            t.members.sort(key=lambda m: (m.line, m.col))
    return out


def named(tables, name):
    """The tables of a scan called name, the first in the file first."""
    return [t for t in tables if t.name == name]


def keyed(tables, key):
    """The tables of a scan that annotate-ops.cocci gives the mode of
    `key` (convention.table_key()): "function:name", that function's
    local table of the name, when the file has another table of it; a
    plain name, the file-scope tables of the name and a local one whose
    name no other table of the file has."""
    fn, _sep, name = key.rpartition(":")
    found = named(tables, name)
    if fn:
        return [t for t in found if t.function == fn]
    shared = len({t.function for t in found}) > 1
    return [t for t in found if t.function is None or not shared]


def scan_texts(texts, users=False):
    """scan_files() of {relpath: C text}, written to a scratch tree."""
    work = tempfile.mkdtemp(prefix="pgwalk-tables-")
    try:
        paths = {}
        for rel, text in texts.items():
            path = os.path.join(work, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
            paths[path] = rel
        found = scan_files(sorted(paths), users)
        return {paths[p]: tables for p, tables in found.items()}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def offset(text, line, col):
    """The index in text of (line, col)."""
    start = 0
    for _ in range(line - 1):
        start = text.index("\n", start) + 1
    return start + col


def block(text, written):
    """(start, end) of the table's definition in text: from the start of
    the line of its name to after the "};" and its newline."""
    start = offset(text, written.line, 0)
    end = offset(text, *written.close)
    for ch in ";\n":
        if text[end:end + 1] == ch:
            end += 1
    return start, end
