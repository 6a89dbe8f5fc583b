"""Candidates: which files of a tree can matter, found with git grep.

Coccinelle runs only on these files; the walk calls found here are also the
ground truth that the facts must account for (a walk Coccinelle did not
see means a function it could not parse).
"""

import os
import re
import subprocess

# The walkers that read ops->walk_lock, and where their ops argument is.
# The others (walk_page_range_novma(), walk_page_mapping(), and whatever a
# tree adds, such as walk_kernel_page_table_range()) ignore the field:
# walkers() finds them in the tree's own declarations.
VMA_WALKERS = ("walk_page_range", "walk_page_vma", "walk_page_range_vma")
VMA_WALKER_OPS = {"walk_page_range": 3, "walk_page_vma": 1,
                  "walk_page_range_vma": 3}
# Where walkers are declared: the API header, and mm's internal header
# (walk_page_range_debug() lives there in some trees).
WALKER_DECLS = ("include/linux/pagewalk.h", "mm/internal.h")
PROTOTYPE = re.compile(r"\b(\w+)\s*\(([^;{}()]*)\)\s*;")
# Where the walkers are defined; their own bodies are not callers.
CORE_FILES = ("mm/pagewalk.c",)

# Userspace and host tools: their mbind() is libc's, not a caller.
NOT_KERNEL = ("tools/", "scripts/", "samples/", "Documentation/")


def walkers(tree):
    """{walker: index of its ops argument}: every function the tree
    declares with a `const struct mm_walk_ops *` parameter."""
    out = dict(VMA_WALKER_OPS)
    for relpath in WALKER_DECLS:
        path = os.path.join(tree, relpath)
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            text = re.sub(r"/\*.*?\*/", " ", f.read(), flags=re.S)
        for m in PROTOTYPE.finditer(text):
            params = m.group(2).split(",")
            for i, param in enumerate(params):
                if re.search(r"\bstruct\s+mm_walk_ops\s*\*", param):
                    out.setdefault(m.group(1), i)
    return out


def grep(tree, pattern, words=False):
    """{relpath: [(line number, text)]} of .c files matching a PCRE.

    Perl regexes: git's PCRE matcher is four times faster than its POSIX
    one on these alternations, over the whole tree.

    A tree without a git repository (a plain unpacked tree, or one whose
    base commit is still being made) is searched on disk with --no-index;
    --no-exclude-standard because Debian's tarballs ignore everything.
    """
    args = ["git", "-C", tree, "grep", "-n", "-P", "-I"]
    if not os.path.exists(os.path.join(tree, ".git", "HEAD")) or \
            not os.path.exists(os.path.join(tree, ".git", "index")):
        args += ["--no-index", "--no-exclude-standard"]
    if words:
        args.append("-w")
    proc = subprocess.run(args + ["-e", pattern, "--", "*.c"] +
                          [":(exclude)%s" % d for d in NOT_KERNEL],
                          capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        raise RuntimeError("git grep failed in %s: %s" %
                           (tree, proc.stderr.strip()))
    hits = {}
    for line in proc.stdout.splitlines():
        path, num, text = line.split(":", 2)
        hits.setdefault(path, []).append((int(num), text))
    return hits


def in_comment(text, col):
    """Is column col of this source line inside a comment (one-line view)?"""
    stripped = text.lstrip()
    if stripped.startswith(("*", "/*", "//")):
        return True
    before = text[:col]
    return "//" in before or before.rfind("/*") > before.rfind("*/")


def walk_calls(tree, known=None):
    """[(relpath, line, walker)] of every walk call outside the core.
    known: walkers(tree), when the caller has it already."""
    calls = []
    names = sorted(known or walkers(tree))
    hits = grep(tree, r"\b(%s)\s*\(" % "|".join(names))
    walk_call = re.compile(r"\b(%s)\s*\(" % "|".join(names))
    for path, lines in sorted(hits.items()):
        if path in CORE_FILES:
            continue
        for num, text in lines:
            for m in walk_call.finditer(text):
                if not in_comment(text, m.start()):
                    calls.append((path, num, m.group(1)))
    return calls


def table_files(tree):
    """Files that define a struct mm_walk_ops table."""
    hits = grep(tree, r"struct\s+mm_walk_ops\s+[A-Za-z_]")
    return sorted(p for p in hits if p not in CORE_FILES)


def callers_files(tree, names):
    """Files that call any of these functions (name followed by "(")."""
    if not names:
        return []
    hits = grep(tree, r"\b(%s)\s*\(" % "|".join(sorted(names)))
    return sorted(hits)


def word_hits(tree, names, only=None):
    """{relpath: {names}}: the .c files where each name occurs as a word
    (a call, a callback stored in a structure, a function passed as an
    argument).  This is the callers index: git grep reads the whole tree
    in about a second, and Coccinelle then reads only these files.
    only: restrict to these files."""
    names = sorted(names)
    if not names:
        return {}
    out = {}
    # Chunks keep the command line short for hundreds of names.
    for i in range(0, len(names), 200):
        chunk = names[i:i + 200]
        args = ["git", "-C", tree, "grep", "-o", "-w", "-P", "-I"]
        if not os.path.exists(os.path.join(tree, ".git", "HEAD")) or \
                not os.path.exists(os.path.join(tree, ".git", "index")):
            args += ["--no-index", "--no-exclude-standard"]
        pattern = "(%s)" % "|".join(re.escape(n) for n in chunk)
        paths = sorted(only) if only is not None else ["*.c"]
        if not paths:
            return {}
        proc = subprocess.run(args + ["-e", pattern, "--"] + paths +
                              [":(exclude)%s" % d for d in NOT_KERNEL],
                              capture_output=True, text=True)
        if proc.returncode not in (0, 1):
            raise RuntimeError("git grep failed in %s: %s" %
                               (tree, proc.stderr.strip()))
        for line in proc.stdout.splitlines():
            path, rest = line.split(":", 1)
            word = rest.split(":", 1)[-1]
            if path in CORE_FILES or not path.endswith(".c"):
                continue
            out.setdefault(path, set()).add(word)
    return out


def enclosing_function(tree, relpath, line):
    """Best-effort name of the function around a line, for error messages."""
    with open(os.path.join(tree, relpath), encoding="utf-8",
              errors="replace") as f:
        lines = f.read().split("\n")
    for i in range(min(line, len(lines)) - 1, -1, -1):
        m = re.match(r"^[A-Za-z_].*?\b([A-Za-z_]\w*)\s*\(", lines[i])
        if m and not lines[i].rstrip().endswith(";"):
            return m.group(1)
    return "?"
