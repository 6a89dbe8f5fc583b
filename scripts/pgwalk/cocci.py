# SPDX-License-Identifier: GPL-2.0
"""How a semantic patch is run: with the options its own header asks for.

Each rule says, as the kernel's scripts/coccinelle/ rules do, the spatch
options it needs on a `// Options:` line and its modes on `virtual`
lines, so that it also runs alone:

    spatch --sp-file RULE -D patch $(sed -n 's|^// Options: ||p' RULE) \\
        --dir DIR

argv() builds every spatch command line of the toolkit from those two
lines: a rule and its caller cannot disagree.

The rules that print facts import their emit() from a Python module
beside them (LIBRARY): a cache keyed on such a rule keys on digest(), and
a copy of one is made with write_rule().
"""

import os
import re
import shutil

from pgwalk import memo
from pgwalk.errors import PgwalkError

LIBRARY = "pgwalk_emit.py"


class CocciError(PgwalkError):
    """A rule asked for a mode it does not declare."""


def header(rule):
    """(the options of its `// Options:` line, its `virtual` names)."""
    with open(rule, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"^// Options:(.*)$", text, re.M)
    options = tuple(m.group(1).split()) if m else ()
    virtuals = frozenset(n for line in re.findall(r"^virtual\s+(.*)$", text,
                                                  re.M)
                         for n in re.split(r"[\s,]+", line.strip()) if n)
    return options, virtuals


# How spatch finds the files worth parsing, not what it matches: in its
# own process.  Without it spatch starts a shell and egrep (itself a shell
# script that starts grep) for each file, three processes a file per run.
RUNNER_OPTIONS = ("--use-coccigrep",)


def argv(rule, *args, define=(), quiet="--very-quiet", extra=()):
    """spatch's command line: RULE's own options, -D for each of define
    (each a `virtual` of the rule), then args (files, --in-place, ...).
    extra: options that say how to report, not how to match
    (--parse-error-msg, -j N)."""
    options, virtuals = header(rule)
    unknown = [d for d in define if d not in virtuals]
    if unknown:
        raise CocciError("%s: -D %s: not a virtual of the rule" % (
            rule, ", ".join(unknown)))
    # A file changed in place is read back from the disk: the diff spatch
    # would print of it (two shells, two diffs) has no reader.
    if "--in-place" in args:
        extra = (*extra, "--no-show-diff")
    return (["spatch", quiet, *options, *RUNNER_OPTIONS, *extra] +
            [a for d in define for a in ("-D", d)] +
            ["--sp-file", rule, *args])


# A spatch process costs about 0.3 s before it reads a file (the rule,
# then the embedded Python finding its library), the time a facts rule
# takes over some 45 KB of kernel C.  A batch of fewer bytes than this
# ends no sooner for being split off into a process of its own: the
# split only adds a start-up's CPU (the unit tests' trees are all small).
MIN_BATCH_BYTES = 32 * 1024


def batches(sizes, jobs):
    """[(bytes, [files])]: the files ({file: bytes}) in at most `jobs`
    batches balanced by size (largest file first into the lightest
    batch), and no more batches than MIN_BATCH_BYTES each can fill."""
    total = sum(sizes.values())
    count = max(1, min(jobs, len(sizes), total // MIN_BATCH_BYTES))
    groups = [[] for _ in range(count)]
    load = [0] * count
    for name in sorted(sizes, key=lambda f: (-sizes[f], f)):
        j = load.index(min(load))
        groups[j].append(name)
        load[j] += sizes[name]
    return [(load[j], sorted(g)) for j, g in enumerate(groups) if g]


def library(rule):
    """The module a rule imports from its own directory."""
    return os.path.join(os.path.dirname(os.path.abspath(rule)), LIBRARY)


def digest(rule):
    """What a rule's output depends on: its text and its library's."""
    return memo.key(memo.file_digest(rule), memo.file_digest(library(rule)))


def write_rule(path, text, origin):
    """Write a rule made from the rule file origin (its text, with sets
    filled in) to path, with origin's library beside it: the copy imports
    what origin imports."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    shutil.copy(library(origin), library(path))


# A rule's header line: "@name@", "@name exists@", "@script:python name
# depends on other@"; its metavariables follow up to the "@@" line.
_HEADER = re.compile(r"^@(?!@)(.*)@\s*$")


def rule_names(text):
    """The names of the rules a semantic patch defines."""
    out = set()
    for line in text.splitlines():
        m = _HEADER.match(line)
        if m:
            words = m.group(1).split()
            first = words[0] if words else ""
            if first.startswith(("script:", "initialize:", "finalize:")):
                first = words[1] if len(words) > 1 and \
                    words[1] != "depends" else ""
            if re.match(r"^[A-Za-z_]\w*$", first) and \
                    first not in ("script", "depends"):
                out.add(first)
    return out


def without_clashes(text, names):
    """text with each rule whose name is one of names renamed pgwalk_NAME.

    A set of identifiers filled in from a tree (`identifier f = {a, b}`)
    cannot hold the name of a rule defined before it: spatch reads it as
    that rule and stops on a parse error.  A function of the tree may
    have any name (`lock`, `call`), so such a rule gets another one.
    Only rule headers and metavariable declarations name rules (as
    `rule.meta`, or in `depends on`); the sets themselves, the C pattern
    and the Python bodies are left alone."""
    clash = rule_names(text) & set(names)
    if not clash:
        return text
    ref = re.compile(r"\b(%s)\b" % "|".join(sorted(clash)))
    dotted = re.compile(r"\b(%s)\." % "|".join(sorted(clash)))
    out, in_meta = [], False
    for line in text.splitlines(True):
        if line.startswith("@@"):
            in_meta = False
        elif _HEADER.match(line.rstrip("\n")):
            line = ref.sub(r"pgwalk_\1", line)
            in_meta = True
        elif in_meta:
            line = dotted.sub(r"pgwalk_\1.", line)
        out.append(line)
    return "".join(out)
