# SPDX-License-Identifier: GPL-2.0
"""Which source files a commit can affect, and on which architecture.

A commit can change the object code of:
  - the .c files it changes;
  - every .c file that includes a header it changes, directly or through
    other headers (followed by #include lines, not by grep for names);
  - every .c file that uses a non-static function whose declaration it
    changes: a caller with its own prototype, or one reached through a
    header this commit does not touch, must be compiled against the new
    definition too.
"""

import os
import re

from pgwalk import gitops, memo, treefeatures

# Directories whose .c files are not part of a kernel build.
NOT_KERNEL = treefeatures.NOT_KERNEL

# A top-level (column 0) declaration or definition of a function:
# "int foo(", "extern struct page *bar(", "void __init baz(".
_DECL = re.compile(r"^(?!static\b)(?!#)(?:[A-Za-z_][\w]*[\s\*]+)+"
                   r"\**([A-Za-z_]\w*)\s*\(")
_NOT_A_FUNCTION = {"if", "for", "while", "switch", "return", "sizeof",
                   "typeof", "__attribute__", "defined"}


def changed_files(tree, commit):
    return gitops.git(tree, "diff", "--no-renames", "--name-only",
                      commit + "^", commit).split()


def changed_files_between(tree, base, head):
    """The files that differ between two commits."""
    return gitops.git(tree, "diff", "--no-renames", "--name-only", base,
                      head).split()


def includers(tree, commit, headers):
    """.c files including any of `headers`, directly or through headers."""
    found_c, seen = set(), set()
    todo = [h for h in headers if h.endswith(".h")]
    while todo:
        header = todo.pop()
        if header in seen:
            continue
        seen.add(header)
        # <linux/x.h> for include/linux/x.h, "x.h" for a local header.
        if header.startswith("include/"):
            spelled = header[len("include/"):]
        elif "/include/" in header:
            spelled = header.split("/include/", 1)[1]
        else:
            spelled = os.path.basename(header)
        out = gitops.git(tree, "grep", "-l", "-E",
                         r'^\s*#\s*include\s*[<"]%s[>"]' % re.escape(spelled),
                         commit, "--", "*.c", "*.h", check=False)
        for line in out.splitlines():
            path = line.split(":", 1)[1]
            if path.endswith(".c"):
                found_c.add(path)
            else:
                todo.append(path)
    return sorted(found_c)


def changed_signatures(tree, commit):
    """Names of non-static functions whose declaration lines the commit
    changes (a removed or added line that declares or defines one)."""
    diff = gitops.git(tree, "diff", "--no-renames", "-U0", commit + "^",
                      commit, "--", "*.c", "*.h")
    names = set()
    for line in diff.splitlines():
        if line[:1] not in "+-" or line.startswith(("+++", "---")):
            continue
        m = _DECL.match(line[1:])
        if m and m.group(1) not in _NOT_A_FUNCTION:
            names.add(m.group(1))
    return sorted(names)


def users(tree, commit, names):
    """.c files that mention any of `names` as a word."""
    if not names:
        return []
    args = ["grep", "-l", "-w"]
    for name in names:
        args += ["-e", name]
    out = gitops.git(tree, *args, commit, "--", "*.c", check=False)
    return sorted(line.split(":", 1)[1] for line in out.splitlines())


def affected(tree, commit, changed=None):
    """Sorted .c files whose objects the commit can change; changed: its
    changed_files(), when the caller has them."""
    if changed is None:
        changed = changed_files(tree, commit)
    cfiles = {f for f in changed if f.endswith(".c")}
    cfiles |= set(includers(tree, commit, [f for f in changed
                                           if f.endswith(".h")]))
    cfiles |= set(users(tree, commit, changed_signatures(tree, commit)))
    # A file the commit deletes has nothing left to build.
    present = set(gitops.git(tree, "ls-tree", "-r", "--name-only", commit,
                             "--", *sorted(cfiles)).split()) if cfiles \
        else set()
    return sorted(f for f in cfiles if f in present and
                  not f.startswith(NOT_KERNEL))


def of_commits(tree, commits):
    """{commit: {"affected", "changed", "build_files"}}: affected(),
    changed_files() and the build_files() among those of each commit.  A
    commit id names its whole tree and its parent, so the answer is kept
    by the id and this file's source: the next verify-build of the same
    series (other architectures, --full, a warm bench) asks git nothing."""
    cache = memo.Memo("affected")
    code = memo.file_digest(__file__)
    out = {}
    for c in commits:
        k = memo.key(c, code)
        value = cache.get(k)
        if value is None:
            changed = changed_files(tree, c)
            value = {"affected": affected(tree, c, changed),
                     "changed": changed,
                     "build_files": build_files(changed)}
            cache.put(k, value)
        out[c] = value
    return out


def build_files(paths):
    """The paths among paths that change how objects are built, not what
    they contain: when a commit changes one of these, only kbuild itself
    may compile."""
    return [f for f in paths
            if re.search(r"(^|/)(Makefile|Kbuild|Kconfig)[^/]*$|"
                         r"\.(S|lds|sh|pl|py)$|^scripts/", f)]


def for_arch(files, srcarch):
    """arch/ files only on the architecture whose source directory they
    are in: srcarch, scripts/arches.conf's SRCARCH column."""
    mine = "arch/%s/" % srcarch
    return [f for f in files if not f.startswith("arch/") or
            f.startswith(mine)]
