# SPDX-License-Identifier: GPL-2.0
"""Candidates: which files of a tree can matter, found with git grep.

Coccinelle runs only on these files; the walk calls found here are also the
ground truth that the facts must account for (a walk Coccinelle did not
see means a function it could not parse).
"""

import contextlib
import fnmatch
import os
import re

from pgwalk import runner, treefeatures
from pgwalk.memo import Memo, key

# Userspace and host tools: a system call named there is libc's, not a caller.
NOT_KERNEL = treefeatures.NOT_KERNEL


def walkers(tree):
    """{walker: index of its ops argument}: every function the tree
    declares with a `const struct mm_walk_ops *` parameter, as its walker
    contract (contract.py) reads them."""
    from pgwalk.analysis import contract
    return contract.of(tree).ops_args()


def core_files(tree):
    """The files that define the walkers: their own bodies are not
    callers (none in a tree without walkers)."""
    from pgwalk.analysis import contract
    try:
        return set(contract.of(tree).core)
    except contract.NoCore:
        return set()


def grep(tree, pattern, words=False):
    """{relpath: [(line number, text)]} of .c files matching a PCRE.

    Perl regexes: git's PCRE matcher is four times faster than its POSIX
    one on these alternations, over the whole tree.

    A tree without a git repository (a plain unpacked tree, or one whose
    base commit is still being made) is searched on disk with --no-index;
    --no-exclude-standard because Debian's tarballs ignore everything.
    """
    options = ["-n", "-P", "-I"] + (["-w"] if words else [])
    hits = {}
    for line in _git_grep(tree, options, pattern, ["*.c"]):
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
    core = core_files(tree)
    hits = grep(tree, r"\b(%s)\s*\(" % "|".join(names))
    walk_call = re.compile(r"\b(%s)\s*\(" % "|".join(names))
    for path, lines in sorted(hits.items()):
        if path in core:
            continue
        for num, text in lines:
            for m in walk_call.finditer(text):
                if not in_comment(text, m.start()):
                    calls.append((path, num, m.group(1)))
    return calls


def table_files(tree):
    """Files that may define a struct mm_walk_ops table: those that name
    the type (facts.cocci says which tables they define)."""
    hits = grep(tree, r"\bmm_walk_ops\b")
    core = core_files(tree)
    return sorted(p for p in hits if p not in core)


def callers_files(tree, names):
    """Files that call any of these functions (name followed by "(")."""
    if not names:
        return []
    hits = grep(tree, r"\b(%s)\s*\(" % "|".join(sorted(names)))
    return sorted(hits)


WORD_SEARCH = ["-o", "-w", "-F", "-I"]


def word_hits(tree, names, only=None):
    """{relpath: {names}}: the .c files where each name occurs as a word
    (a call, a callback stored in a structure, a function passed as an
    argument).  This is the callers index: git grep reads the whole tree
    in about a second, and Coccinelle then reads only these files.
    only: restrict to these files (answered from their words, listed
    once per file: the analysis asks of the same files round after
    round)."""
    names = sorted(names)
    if not names:
        return {}
    core = core_files(tree)
    if only is not None:
        return _hits(_git_grep(tree, WORD_SEARCH, names, sorted(only)), core)
    out = {}
    # Fixed strings, one -e each, not one alternation: git checks -w
    # after a match and then moves on, so in "(f|f_locked)" the match "f"
    # in "f_locked(" fails -w and f_locked is never tried there.  Each
    # fixed pattern is tried on its own (and the search is faster too).
    # Chunks keep the command line short for hundreds of names.
    for i in range(0, len(names), 200):
        for path, words in _hits(_git_grep(tree, WORD_SEARCH,
                                           names[i:i + 200],
                                           ["*.c"]), core).items():
            out.setdefault(path, set()).update(words)
    return out


def _hits(lines, core):
    """{relpath: {words}} of `path:word` lines, outside the core."""
    out = {}
    for line in lines:
        path, word = line.split(":", 1)
        if path in core or not path.endswith(".c"):
            continue
        out.setdefault(path, set()).add(word)
    return out


# {(tree, its tree id, relpath): the file's `path:word` lines}, inside
# searching() only (outside it a file may change between two questions).
_WORDS = {}
# Every word git grep -w can match as a whole (a C identifier); git lists
# them, Python only looks names up in the list.
ANY_WORD = r"[A-Za-z_][A-Za-z0-9_]*"


def words_of(tree, paths):
    """`path:word` lines of every identifier in these files, in git
    grep's order, as `git grep -o -w` prints them."""
    tree_id = _SNAPSHOTS.get(tree)
    todo = sorted(p for p in set(paths) if (tree, tree_id, p) not in _WORDS
                  and not p.startswith(NOT_KERNEL))
    got = {}
    for i in range(0, len(todo), 500):
        for line in _run_grep(tree, ["-o", "-w", "-I", "-P"], ANY_WORD,
                              todo[i:i + 500]):
            got.setdefault(line.split(":", 1)[0], []).append(line)
    out = []
    for p in sorted(set(paths)):
        if p.startswith(NOT_KERNEL):
            continue
        lines = got.get(p, []) if p in todo else _WORDS[(tree, tree_id, p)]
        if tree_id is not None:
            _WORDS[(tree, tree_id, p)] = lines
        out.extend(lines)
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


# Above this many changed files, one whole grep is cheaper than patching
# a cached answer.
MAX_CHANGED = 20000


def _is_git(tree):
    return os.path.exists(os.path.join(tree, ".git", "HEAD")) and \
        os.path.exists(os.path.join(tree, ".git", "index"))


def _run_grep(tree, options, patterns, paths):
    """git grep's output lines (a plain tree is searched on disk with
    --no-index; --no-exclude-standard because Debian's tarballs ignore
    everything).  patterns: one pattern, or a list of them (any may
    match)."""
    args = ["git", "-C", tree, "grep"] + options
    if not _is_git(tree):
        args += ["--no-index", "--no-exclude-standard"]
    if isinstance(patterns, str):
        patterns = [patterns]
    for p in patterns:
        args += ["-e", p]
    proc = runner.run(args + ["--"] + list(paths) +
                      [":(exclude)%s" % d for d in NOT_KERNEL])
    if proc.returncode not in (0, 1):
        raise RuntimeError("git grep failed in %s: %s" %
                           (tree, proc.stderr.strip()))
    return proc.stdout.splitlines()


# Trees being searched inside searching(): {tree: id of its HEAD tree, or
# None when it has uncommitted changes}.
_SNAPSHOTS = {}


@contextlib.contextmanager
def searching(tree, clean=False):
    """Searches of tree in this block may use the grep cache.

    Keyed by tree id, which says what is on disk only for a clean work
    tree: that is asked once here (git status reads every file's stat,
    half a second on a kernel tree), and the answer holds for the block
    (an analysis, which changes no file).  clean: the caller has just
    seen `git status` say so, and nothing has changed the tree since.
    A block inside another for the same tree uses the outer one's
    answer.  Outside such a block every search reads the tree."""
    if tree in _SNAPSHOTS:
        yield
        return
    _SNAPSHOTS[tree] = _clean_tree_id(tree, clean)
    _BLOCK[tree] = {}
    try:
        yield
    finally:
        _SNAPSHOTS.pop(tree, None)
        _BLOCK.pop(tree, None)


# {tree: {key: value}} of answers kept for one searching() block, plain
# trees included: the tree does not change inside it.
_BLOCK = {}


def block_memo(tree):
    """A dict kept for the searching() block of tree, or None outside
    one."""
    return _BLOCK.get(tree)


def _clean_tree_id(tree, clean=False):
    """The id of HEAD's tree when tree is a clean git work tree (its
    tracked files are then exactly that tree, which is what git grep
    reads); None otherwise."""
    if not _is_git(tree):
        return None
    head = runner.run(["git", "-C", tree, "rev-parse", "-q", "--verify",
                       "HEAD^{tree}"])
    if head.returncode != 0:
        return None
    if not clean:
        status = runner.run(["git", "-C", tree, "status", "--porcelain",
                             "--untracked-files=no"])
        if status.returncode != 0 or status.stdout.strip():
            return None
    return head.stdout.strip()


_CHANGED = {}


def _changed(tree, old, new):
    """Paths that differ between two trees (None: old is not in this
    repository); asked once per pair."""
    if (tree, old, new) not in _CHANGED:
        diff = runner.run(["git", "-C", tree, "diff", "--name-only",
                           "-z", "--no-renames", old, new])
        _CHANGED[(tree, old, new)] = None if diff.returncode != 0 else \
            [p for p in diff.stdout.split("\0") if p]
    return _CHANGED[(tree, old, new)]


def _in_paths(relpath, paths):
    """Is relpath one of the pathspecs (git's `*` matches `/` too)?"""
    return not relpath.startswith(NOT_KERNEL) and \
        any(fnmatch.fnmatchcase(relpath, p) for p in paths)


def _search(tree, options, patterns, paths):
    """git grep's output lines.  A word search of named files (not a
    pathspec with a wildcard) is answered from the files' word lists:
    the analysis asks of the same few files round after round, with
    other names each time."""
    if options == WORD_SEARCH and not any("*" in p for p in paths):
        wanted = set(patterns)
        return [w for w in words_of(tree, paths)
                if w.split(":", 1)[1] in wanted]
    return _run_grep(tree, options, patterns, paths)


def _git_grep(tree, options, patterns, paths):
    """git grep's output lines, kept by tree id.

    The same search on a tree seen before costs nothing; on a tree that
    differs from the last one searched (one file changed, a new rc), only
    the files that differ are searched again: the old answer for them is
    dropped and theirs put in its place."""
    tree_id = _SNAPSHOTS.get(tree)
    if tree_id is None:
        return _search(tree, options, patterns, paths)
    memo = Memo("grep")
    k = key(options, patterns, list(paths), NOT_KERNEL)
    entry = memo.get(k)
    if entry and entry["tree"] == tree_id:
        return entry["lines"]
    lines = None
    # The last tree searched is in this repository's objects only if it
    # was searched here: another clone's cannot be diffed against.
    repo = os.path.realpath(os.path.join(tree, ".git"))
    changed = _changed(tree, entry["tree"], tree_id) \
        if entry and entry.get("repo") == repo else None
    if changed is not None and len(changed) <= MAX_CHANGED:
        changed = {p for p in changed if _in_paths(p, paths)}
        lines = [l for l in entry["lines"]
                 if l.split(":", 1)[0] not in changed]
        again = sorted(p for p in changed
                       if os.path.exists(os.path.join(tree, p)))
        if again:
            lines += _search(tree, options, patterns, again)
        # In git grep's order (by path, then line), as a whole run.
        lines.sort(key=lambda l: l.split(":", 1)[0])
    if lines is None:
        lines = _search(tree, options, patterns, paths)
    memo.put(k, {"tree": tree_id, "repo": repo, "lines": lines})
    return lines
