# SPDX-License-Identifier: GPL-2.0
"""Check verify-build's object selection against kbuild's own records.

The per-commit check compiles only the objects pgwalk/proofs/affected.py
finds by reading #include lines.  kbuild knows better: after compiling an
object, fixdep writes into its .cmd file every file the compiler actually
read (deps_<object>), including headers reached through a -include on the
command line, a generated header, an #include built from a macro or an
arch header found through asm/.  Wherever kbuild has compiled more than
the selection (a --full build, or the user's own build in the same O=
directory), every object whose recorded dependencies include a file a
commit changes must have been in that commit's selection; a miss names the
object, the changed file and the include path (from the preprocessor's
own -H trace of the recorded command).
"""

import logging
import os
import shlex

from pgwalk import runner
from pgwalk.proofs.affected import NOT_KERNEL
from pgwalk.proofs.kbuild import recorded_command

# How many misses per commit and architecture get their include path
# traced (one preprocessor run each); the rest are counted.
TRACED = 5
LOG = logging.getLogger(__name__)


def parse_record(text):
    """(target, source, [dependencies], kernel) of one .cmd file's text,
    or None when kbuild recorded no dependencies there (archives, links).
    $(wildcard ...) entries are config options, not files.  kernel: built
    by the kernel's compiler command (-D__KERNEL__), not a host tool."""
    target = source = None
    deps, in_deps, kernel = [], False, False
    for line in text.splitlines():
        if line.startswith(("cmd_", "savedcmd_")) and " := " in line:
            kernel = " -D__KERNEL__ " in line
            continue
        if in_deps:
            entry = line.strip().rstrip("\\").strip()
            if entry and not entry.startswith("$(wildcard"):
                deps.append(entry)
            in_deps = line.rstrip().endswith("\\")
            continue
        if line.startswith("source_") and " := " in line:
            target, source = line[len("source_"):].split(" := ", 1)
            source = source.strip()
        elif line.startswith("deps_") and " := " in line:
            target = line[len("deps_"):].split(" := ", 1)[0]
            rest = line.split(" := ", 1)[1]
            in_deps = rest.rstrip().endswith("\\")
            rest = rest.rstrip().rstrip("\\").strip()
            if rest:
                deps += [d for d in rest.split() if d]
    if target is None or (source is None and not deps):
        return None
    return target, source, deps, kernel


def tree_path(path, srcdir, out):
    """A recorded path as a path in the source tree, or None for a file
    kbuild generated in the O= directory (or one outside both)."""
    if os.path.isabs(path):
        path = os.path.normpath(path)
        if path.startswith(srcdir + os.sep):
            return path[len(srcdir) + 1:]
        return None
    path = os.path.normpath(path)
    if os.path.exists(os.path.join(out, path)):
        return None
    return path


def read_records(out, srcdir, wanted=None):
    """{target: (source tree path or None, {dependency tree paths},
    kernel)} of every .cmd file under the O= directory (or of those whose
    name wanted(name) accepts)."""
    srcdir = os.path.normpath(srcdir)
    records = {}
    for d, _subdirs, files in os.walk(out):
        for name in files:
            if not (name.startswith(".") and name.endswith(".cmd")):
                continue
            if wanted and not wanted(name):
                continue
            try:
                with open(os.path.join(d, name), encoding="utf-8",
                          errors="replace") as f:
                    parsed = parse_record(f.read())
            except OSError:
                continue
            if not parsed:
                continue
            target, source, deps, kernel = parsed
            deps = {p for p in (tree_path(x, srcdir, out) for x in deps)
                    if p}
            src = tree_path(source, srcdir, out) if source else None
            records[target] = (src, deps, kernel)
    return records


# Files kbuild generates by compiling: asm-offsets.s, bounds.s, linker
# scripts.  Their .cmd files name the headers they were made from.
GENERATED_CMD = (".s.cmd", ".lds.cmd", ".h.cmd", ".i.cmd")


def generated_inputs(out, srcdir):
    """{tree path: the generated file it is an input of} from kbuild's
    records of the files it generates (not objects) in the O= directory."""
    found = {}
    records = read_records(out, srcdir,
                           lambda name: name.endswith(GENERATED_CMD))
    for target, (_source, deps, _kernel) in sorted(records.items()):
        for dep in deps:
            found.setdefault(dep, target)
    return found


def misses(records, changed, selected):
    """[(target, source, changed file)] of recorded objects that depend on
    a file in `changed` and whose source is not in `selected`."""
    changed = set(changed)
    found = []
    for target, (source, deps, _kernel) in sorted(records.items()):
        hit = sorted(deps & changed)
        if hit and source not in selected:
            found.append((target, source, hit[0]))
    return found


def include_path(out, env, target, source, changed, srcdir):
    """How target reaches changed: "a.c -> b.h -> changed.h", or
    "-include forced.h -> changed.h" for a file forced in by kbuild's
    command line; None when it cannot be traced.  The preprocessor is
    asked (the command kbuild recorded, with -E): the line markers of its
    output say which file entered which, -include files too."""
    cmd = recorded_command(out, target)
    if not cmd:
        return None
    lexer = shlex.shlex(cmd, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    argv = []
    for tok in lexer:
        if tok in (";", "&&", "||", "|", "&"):
            break
        argv.append(tok)
    # Nothing may be written: not the object, not its .d file.
    args, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == "-o":
            skip = True
        elif not a.startswith(("-Wp,-MMD", "-Wp,-MD")):
            args.append(a)
    proc = runner.run(args + ["-E", "-o", "-"], cwd=out, env=env,
                      errors="replace")
    srcdir = os.path.normpath(srcdir)

    def shown(path):
        full = path if os.path.isabs(path) else os.path.join(out, path)
        if not os.path.isabs(path) and os.path.exists(full):
            return os.path.normpath(path) + " (generated)"
        return tree_path(full, srcdir, "/nonexistent") or path
    # Line markers: '# N "file" 1' enters file, '# N "file" 2' returns to
    # it, '# N "file"' names the current file.
    stack = []
    for line in proc.stdout.splitlines():
        if not line.startswith("# "):
            continue
        parts = line.split('"')
        if len(parts) < 3:
            continue
        name, flags = parts[1], parts[2].split()
        if "1" in flags:
            stack.append(name)
        elif "2" in flags:
            while stack and stack[-1] != name:
                stack.pop()
            if not stack:
                stack = [name]
        else:
            stack[-1:] = [name]
        if not stack or "1" not in flags or shown(name) != changed:
            continue
        chain = [shown(p) for p in stack if not p.startswith("<")]
        if stack[0] == "<command-line>" or (
                len(stack) > 1 and stack[-2] == "<command-line>"):
            if len(chain) == 1:
                return "-include %s on kbuild's command line" % changed
            return "-include " + " -> ".join(chain)
        return " -> ".join([source or chain[0]] + chain[1:])
    return None


def beyond(records, selected):
    """Kernel objects kbuild compiled that no selection holds: what the
    check has to go on."""
    every = set().union(*selected.values()) if selected else set()
    return sum(1 for target, (source, _deps, kernel) in records.items()
               if kernel and target.endswith(".o") and source and
               source not in every and not source.startswith(NOT_KERNEL))


def check(ab, commits, changed, selected):
    """Misses of every commit on this architecture, with their include
    paths: {"records": N, "beyond": M, "misses": [{commit, object,
    source, file, via}], "missed": {commit: count}}."""
    records = read_records(ab.out, ab.src.dir)
    result = {"records": len(records), "beyond": beyond(records, selected),
              "misses": [], "missed": {}}
    for c in commits:
        found = misses(records, changed[c], selected[c])
        result["missed"][c] = len(found)
        for target, source, f in found[:TRACED]:
            via = include_path(ab.out, ab.env, target, source, f,
                               ab.src.dir)
            result["misses"].append({
                "commit": c, "object": target, "source": source, "file": f,
                "via": via or "include path not traced"})
        if found:
            LOG.info("%s: selection check: %s: %d objects depend on files "
                     "it changes but were not compiled, e.g. %s (%s)",
                     ab.name, c[:12], len(found), found[0][0], found[0][2])
    return result
