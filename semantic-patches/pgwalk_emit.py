# SPDX-License-Identifier: GPL-2.0
"""emit(): how the semantic patches print what they find, written once.

A fact is one line: "PGWALK " and a JSON object with its kind (what
scripts/pgwalk reads), or, once reporting() is called (a rule's -D
report), "file:line: kind name=value ..." for a reader.  A rule's
@initialize:python@ imports this file from the rule's own directory, so
that the rule still runs alone, with plain spatch, from any directory:

    sys.path.insert(0, os.path.dirname(os.path.abspath(cocci.cocci_file)))
    from pgwalk_emit import emit

A cache keyed on a rule keys on this file too (scripts/pgwalk/cocci.py:
digest()), and a copy of a rule gets a copy of it (cocci.py: write_rule()).
"""

import json

_report = False


def reporting():
    """Print report lines from now on."""
    global _report
    _report = True


def emitter(*place):
    """An emit(kind, p=None, **fields) that prints a fact: its kind, its
    fields and, when position p is given, the fields of place that say
    where p is: file, line, col (its column), function."""
    def emit(kind, p=None, **kw):
        if p is not None:
            at = {"file": p[0].file, "line": int(p[0].line),
                  "col": int(p[0].column),
                  "function": p[0].current_element}
            kw.update((k, at[k]) for k in place)
        kw["kind"] = kind
        if _report:
            print("%s:%d: %s %s" % (kw["file"], kw["line"], kind, " ".join(
                "%s=%s" % (k, kw[k]) for k in sorted(kw)
                if k not in ("file", "line", "kind", "col"))))
        else:
            print("PGWALK " + json.dumps(kw, sort_keys=True))
    return emit


emit = emitter("file", "line", "col", "function")


def function_of(p):
    """The function that holds position p, named with its file: one
    spatch run reads many files, and what a rule records about a function
    of one of them must not reach a namesake in another (a static
    function, or the same name under another configuration)."""
    return (p[0].file, p[0].current_element)


def span(p):
    """Where the code at position p starts and ends: [line, column,
    end line, end column]."""
    return [int(p[0].line), int(p[0].column), int(p[0].line_end),
            int(p[0].column_end)]
