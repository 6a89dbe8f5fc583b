# SPDX-License-Identifier: GPL-2.0
"""Git plumbing for the series: read the user's tree, never touch it.

The series is built with a private index file and `git commit-tree`, so the
user's checked-out branch, index and work tree stay exactly as they were;
only a new branch ref and new objects are added.  The one thing that does
change a tree is `make_base_commit()`, which turns a plain unpacked tree into
a git repository; it undoes itself when interrupted.
"""

import logging
import os
import shutil
import subprocess
import tempfile

from pgwalk import runner
from pgwalk.errors import PgwalkError

LOG = logging.getLogger(__name__)

SERIES_BRANCH = "pgwalk/series"
# refs/pgwalk/BRANCH is the commit apply.sh last put on BRANCH, and its
# reflog every one it ever put there: a branch is apply.sh's to move only
# while it points at one of them.
OWNED = "refs/pgwalk/"
ZERO = "0" * 40
# Author of the base commit made for a plain tree: it is nobody's commit.
BASE_AUTHOR_EMAIL = "pgwalk@localhost"


class GitError(PgwalkError):
    """A git step failed; the message says which and why."""


def _git_argv(tree, args, env):
    """git's command line and environment for a command in `tree`."""
    full_env = dict(os.environ)
    # A user's hooks, pager or colour settings must not leak into output
    # that we parse or into commits we make.
    full_env.update({"GIT_PAGER": "cat", "LC_ALL": "C",
                     "GIT_TERMINAL_PROMPT": "0"})
    if env:
        full_env.update(env)
    # gc.auto=0: a fresh base commit leaves ~75,000 loose objects, and an
    # automatic gc would pack them in the background, in the user's tree.
    return ["git", "-C", tree, "-c", "gc.auto=0",
            "-c", "core.hooksPath=/dev/null",
            "-c", "color.ui=never", *args], full_env


def git_proc(tree, *args, env=None, input=None, **kwargs):
    """Run git in `tree`; its CompletedProcess (for a caller that reads
    the exit status and stderr itself)."""
    argv, full_env = _git_argv(tree, args, env)
    return runner.run(argv, env=full_env, input=input, **kwargs)


class GitBatch:
    """One git process answering question after question on its stdin
    (`cat-file --batch`, `mktree --batch`, `hash-object --stdin-paths`):
    a commit of the series asks a dozen of them, and a process each cost
    more than the answers.

    The questions are pure (an object's content, the id of a tree or of
    a blob it writes), so a process that dies is replaced and asked
    again: git keeps the packs it saw when it started, and one that the
    user's own `git gc` (or a `git am`'s automatic one) packed and pruned
    under it dies with "object ... is unavailable" though the object is
    there."""

    RETRIES = 2

    def __init__(self, tree, *args):
        self.what = args[0]
        self.tree = tree
        self.args = args
        self.proc = None
        self.errors = None
        self._start()

    def _start(self):
        argv, env = _git_argv(self.tree, self.args, None)
        # What it says when it dies, for the error: a file, so that a
        # chatty process cannot fill a pipe nobody reads.
        self.errors = tempfile.TemporaryFile()
        self.proc = runner.start(argv, env=env, stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=self.errors)

    def ask(self, data, size=None):
        """Write a question; return the first line of the answer (and
        when size(first line) says how many bytes follow, those too)."""
        for attempt in range(self.RETRIES + 1):
            try:
                self.proc.stdin.write(data)
                self.proc.stdin.flush()
                line = self.proc.stdout.readline()
                more = size(line) if size and line else None
                body = self.proc.stdout.read(more) if more else b""
                if line and (not more or len(body) == more):
                    return (line.decode(), body) if size else line.decode()
            except OSError:
                pass
            said = self._stopped()
            if attempt == self.RETRIES:
                raise GitError("git %s stopped in %s%s" % (
                    self.what, self.tree, ": " + said if said else ""))
            LOG.info("git %s stopped (%s); starting it again", self.what,
                     said or "no message")
            self._start()

    def _stopped(self):
        """What the dead process said; it is closed."""
        self._end()
        self.errors.seek(0)
        said = self.errors.read().decode(errors="replace")
        self.errors.close()
        return error_line(said) if said.strip() else ""

    def _end(self):
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass
        self.proc.wait()

    def close(self):
        self._end()
        self.errors.close()


def error_line(stderr):
    """The line of git's stderr that says what went wrong: its first
    fatal: or error: line (the lines after it are hints, and a lock's
    path is in it), else its last line."""
    lines = [l.strip() for l in stderr.strip().splitlines() if l.strip()]
    for line in lines:
        if line.startswith(("fatal: ", "error: ")):
            return line
    return lines[-1] if lines else "no message"


def git(tree, *args, env=None, input=None, check=True, **kwargs):
    """Run git in `tree` and return its stdout as text."""
    proc = git_proc(tree, *args, env=env, input=input, **kwargs)
    if check and proc.returncode != 0:
        raise GitError("git %s failed in %s: %s" %
                       (args[0], tree, error_line(proc.stderr)))
    return proc.stdout


def subjects(tree, commits):
    """{commit: its subject line} of commits (full ids, as rev-list gives
    them), from one git process instead of one a commit."""
    if not commits:
        return {}
    out = git(tree, "log", "--no-walk=unsorted", "--format=%H %s",
              *commits)
    return dict(line.split(" ", 1) for line in out.splitlines())


def is_toplevel(tree, top):
    """True when top (what `git rev-parse --show-toplevel` said in tree)
    is tree itself, the top directory of its own git work tree."""
    return bool(top) and os.path.exists(os.path.join(tree, ".git")) and \
        os.path.realpath(top) == os.path.realpath(tree)


def toplevel_and_head(tree):
    """(the top of the work tree tree is in, HEAD's commit), each None
    when there is none (not in a work tree; no commit yet), from one git
    process."""
    out = git(tree, "rev-parse", "--show-toplevel", "--verify", "-q",
              "HEAD^{commit}", check=False).splitlines() + [None, None]
    return out[0] or None, out[1] or None


def dirty_paths(tree):
    """Tracked files that differ from HEAD (staged or not).

    Untracked files are not counted: an out-of-tree build or an editor
    backup does not change what the series is based on.
    """
    out = git(tree, "status", "--porcelain", "--untracked-files=no")
    return [line[3:] for line in out.splitlines() if line.strip()]


def hidden_paths(tree):
    """Files git is told not to look at (update-index --assume-unchanged,
    --skip-worktree): an edit in one is invisible to `git status`, and
    the series is made from the files, so it would ship."""
    out = git(tree, "ls-files", "-v", "-z")
    return [entry[2:] for entry in out.split("\0")
            if entry[:1].islower() or entry[:1] == "S"]


def checked_out(tree, branch):
    """Work trees (this one and those of `git worktree add`) that have
    branch checked out."""
    out = git(tree, "worktree", "list", "--porcelain")
    where, found = None, []
    for line in out.splitlines():
        if line.startswith("worktree "):
            where = line[len("worktree "):]
        elif line == "branch refs/heads/" + branch:
            found.append(where)
    return found


def branch_owner_check(tree, branch):
    """The commit branch points at now (None: no such branch), once it
    is sure apply.sh may move it: it made the branch, nobody committed on
    it since, and no work tree has it checked out (git would not move it
    under one either)."""
    if git(tree, "check-ref-format", "--branch", branch,
           check=False).strip() != branch:
        raise GitError("--branch %s: not a valid branch name" % branch)
    lock = os.path.join(tree, git(tree, "rev-parse", "--git-path",
                                  "refs/heads/%s.lock" % branch).strip())
    if os.path.exists(lock):
        raise GitError("%s: git's lock %s exists: another git command is "
                       "moving the branch, or one was killed (then remove "
                       "the file)" % (branch, lock))
    where = checked_out(tree, branch)
    if where:
        raise GitError("%s: the branch is checked out in %s; apply.sh "
                       "moves no branch a work tree has checked out: "
                       "switch that work tree to another branch or pass "
                       "--branch NAME" % (branch, where[0]))
    tip = git(tree, "rev-parse", "--verify", "-q",
              "refs/heads/%s^{commit}" % branch, check=False).strip()
    if not tip:
        return None
    made = git(tree, "reflog", "show", "--format=%H", OWNED + branch,
               "--", check=False).split()
    made += git(tree, "rev-parse", "--verify", "-q", OWNED + branch,
                check=False).split()
    if tip not in made:
        raise GitError("%s: the branch was not made by apply.sh, or has "
                       "commits of its own since (its tip is %s): apply.sh "
                       "does not move it; rename or delete it (git branch "
                       "-D %s) or pass --branch NAME" % (
                           branch, tip[:12], branch))
    return tip


def move_branch(tree, branch, head, old, message):
    """Point branch at head, and record that apply.sh put it there; both
    or neither, and only if branch is still at old (None: absent)."""
    record = git(tree, "rev-parse", "--verify", "-q", OWNED + branch,
                 check=False).strip()
    where = checked_out(tree, branch)
    if where:       # since the check at the start
        raise GitError("%s: the branch is checked out in %s now; apply.sh "
                       "does not move it" % (branch, where[0]))
    # Its own session: the Ctrl-C of a terminal does not reach it (the
    # caller holds signals off for this step).
    steps = ("start\nupdate refs/heads/%s %s %s\n" % (branch, head,
                                                      old or ZERO) +
             "update %s%s %s %s\n" % (OWNED, branch, head, record or ZERO) +
             "prepare\ncommit\n")
    git(tree, "update-ref", "--create-reflog", "-m", message, "--stdin",
        input=steps, start_new_session=True)


def tree_epoch(tree):
    """A stable timestamp for a plain tree: the newest mtime of its top files.

    Tarballs keep mtimes, so the same unpacked release gives the same base
    commit (and so the same series hashes) on every machine.
    """
    newest = 0
    for name in ("Makefile", "MAINTAINERS", "README"):
        path = os.path.join(tree, name)
        if os.path.exists(path):
            newest = max(newest, int(os.stat(path).st_mtime))
    return newest or 0


def make_base_commit(tree):
    """Turn a plain kernel tree into a git repo with one base commit.

    Debian's kernel tarballs carry a top-level .gitignore that ignores
    everything, so files are added with --force.  On an error (git dies
    on Ctrl-C too) the half-made .git is removed: the tree is as it was.
    """
    gitdir = os.path.join(tree, ".git")
    epoch = "%d +0000" % tree_epoch(tree)
    env = {"GIT_AUTHOR_DATE": epoch, "GIT_COMMITTER_DATE": epoch,
           "GIT_AUTHOR_NAME": "pgwalk", "GIT_AUTHOR_EMAIL": BASE_AUTHOR_EMAIL,
           "GIT_COMMITTER_NAME": "pgwalk",
           "GIT_COMMITTER_EMAIL": "pgwalk@localhost"}
    try:
        LOG.info("making a git repository of %s (one base commit)" % tree)
        git(tree, "init", "-q")
        # Level 0: the loose objects are written once and read a few times;
        # zlib at the default level would double the time of this step.
        git(tree, "-c", "core.looseCompression=0", "add", "--force",
            "--all", ".")
        git(tree, "commit", "-q", "--no-verify", "-m",
            plain_tree_origin(tree), env=env)
    except BaseException:
        shutil.rmtree(gitdir, ignore_errors=True)
        raise


def plain_tree_origin(tree):
    """What a plain tree is, in words: the base commit's subject.

    scripts/fetch-tree.sh leaves PACKAGE.deb-used next to the tree it
    unpacked: then the words name the Debian package, so that a cover
    letter can say what its (private) base commit is.
    """
    version = kernel_version(tree)
    marker = tree.rstrip("/") + ".deb-used"
    if os.path.isfile(marker):
        with open(marker) as f:
            deb = os.path.basename(f.read().strip())
        parts = deb.split("_")
        if len(parts) >= 2:
            return "Linux %s as shipped in Debian's %s %s" % (
                version, parts[0], parts[1])
    return "Linux %s (unpacked source)" % version


def base_is_public(tree, base):
    """True when others can have `base`: a branch of a remote that is not
    on this machine has it.

    A base commit made here for a plain tree, a local commit, a local tag
    or a branch of a remote that is a directory here (or a file:// URL)
    is not: a base-commit: line naming it would help nobody.
    """
    for remote in git(tree, "remote", check=False).split():
        url = git(tree, "remote", "get-url", remote, check=False).strip()
        if not url or _local_url(url):
            continue
        out = git(tree, "for-each-ref", "--count=1", "--contains", base,
                  "--format=%(refname)", "refs/remotes/%s" % remote,
                  check=False)
        if out.strip():
            return True
    return False


def _local_url(url):
    """A remote URL that names a place on this machine."""
    if url.startswith("file://") or url.startswith("/") or \
            url.startswith(".") or url.startswith("~"):
        return True
    if "://" in url:
        return False
    # scp-like host:path is remote; a bare path (no colon) is local.
    return ":" not in url.split("/", 1)[0]


def base_description(tree, base):
    """The release a base that is not public is (for the cover letter):
    the Debian package or tarball it was imported from, and whether local
    commits sit on top of that import."""
    release = plain_tree_origin(tree)
    # Is it the import alone?  Counting stops at two: a kernel clone's
    # whole history is a million commits.
    commits = git(tree, "rev-list", "--count", "--max-count=2", base,
                  check=False).strip()
    if commits == "1":
        return release
    subject = git(tree, "log", "-1", "--format=%s", base).strip()
    return "%s, with local commits that are not in a public repository " \
        "on top (the last: \"%s\")" % (release, subject)


def patch_id(tree, old_tree, new_tree):
    """`git patch-id --stable` of the change from one tree to the next."""
    diff = git(tree, "diff-tree", "-p", "--no-color", old_tree, new_tree)
    out = git(tree, "patch-id", "--stable", input=diff).split()
    return out[0] if out else None


def kernel_version(tree):
    """VERSION.PATCHLEVEL.SUBLEVEL from the top Makefile."""
    fields = {}
    with open(os.path.join(tree, "Makefile"), encoding="utf-8",
              errors="replace") as f:
        for line in f:
            for key in ("VERSION", "PATCHLEVEL", "SUBLEVEL"):
                if line.startswith(key + " =") and key not in fields:
                    fields[key] = line.split("=", 1)[1].strip()
            if len(fields) == 3:
                break
    return ".".join(fields.get(k, "?") for k in ("VERSION", "PATCHLEVEL",
                                                 "SUBLEVEL"))


# Who signs the series when the user has no identity git would use for
# mail: marked so that no one mails it by mistake (the warning, and the
# cover letter's notes, say how to put theirs in its place).
PLACEHOLDER = ("PLACEHOLDER Your Name", "placeholder@example.invalid")
SET_IDENTITY = ('git config --global user.name "Your Name"; '
                'git config --global user.email "you@example.com"')


def identity(tree):
    """(name, email) for Signed-off-by: the user's, as git finds it
    (GIT_AUTHOR_NAME/GIT_AUTHOR_EMAIL, then git config), or PLACEHOLDER
    when identity_problem() finds none fit for mail.  Asked once per
    run: several stages sign or address mail."""
    return _identity(tree)[:2]


def identity_env(tree):
    """Environment for git commands that sign or write mail as the
    user: author and committer are identity(), never git's guess."""
    name, email = identity(tree)
    return {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email}


def identity_problem(tree):
    """Why the user's identity cannot sign the series, or None."""
    return _identity(tree)[2]


def _identity(tree):
    if tree not in _IDENTITY:
        config = _user_config(tree)
        name = os.environ.get("GIT_AUTHOR_NAME") or \
            config.get("user.name", "").strip()
        email = os.environ.get("GIT_AUTHOR_EMAIL") or \
            config.get("user.email", "").strip()
        problem = placeholder(name, email)
        _IDENTITY[tree] = (PLACEHOLDER + (problem,)) if problem else \
            (name, email, None)
    return _IDENTITY[tree]


_IDENTITY = {}


def _user_config(tree):
    """{user.name, user.email: value} as `git config KEY` gives each
    (the last one set wins), from one git process."""
    out = git(tree, "config", "-z", "--get-regexp",
              r"^user\.(name|email)$", check=False)
    values = {}
    for item in out.split("\0"):
        key, _, value = item.partition("\n")
        if key:
            values[key] = value
    return values


def placeholder(name, email):
    """Why (name, email) is no identity to sign patches with, or None.

    None set, or an address that is obviously nobody's mailbox: a
    noreply address (a GitHub one too: replies to the patches would
    bounce), an example domain (RFC 2606), a local one (git's guess from
    the host name).  The tests sign as someone@pgwalk.test: RFC 2606's
    domain for tests is not taken for a placeholder.
    """
    if not name or not email:
        unset = [k for k, v in (("user.name", name), ("user.email", email))
                 if not v]
        return "git config %s %s not set" % (
            " and ".join(unset), "is" if len(unset) == 1 else "are")
    local, _, domain = email.lower().rpartition("@")
    labels = domain.split(".")
    why = None
    if not local or not domain:
        why = "is not a mail address"
    elif "noreply" in email.lower() or "no-reply" in email.lower():
        why = "is a noreply address: replies would bounce"
    elif "example" in labels or labels[-1] in ("invalid", "example"):
        why = "is an example address"
    elif len(labels) < 2 or labels[-1] in ("localhost", "localdomain",
                                           "local", "(none)"):
        why = "is a local address"
    return "user.email %s %s" % (email, why) if why else None


class SeriesBuilder:
    """Stack commits on a base without touching the work tree or index.

    Each commit's tree is the parent's with the changed files grafted in:
    only the directories on their paths are rewritten (ls-tree, mktree),
    so a commit costs the same in a small tree and in the kernel's 75,000
    files.  Dates come from the base commit so that a re-run gives
    identical commits.
    """

    def __init__(self, tree, base):
        self.tree = tree
        self.base = base
        self.head = base
        self._trees = {}        # commit -> its tree: the base, those made here
        self._listings = {}     # tree -> {name: [mode, type, id]}
        # GitBatch processes, started when first asked.
        self._mktree = self._cat = self._hash = None
        # The base's date and its tree (the first commit grafts onto it).
        stamp, self._trees[base] = git(tree, "log", "-1", "--format=%ct %T",
                                       base).split()
        self.commit_env = dict(identity_env(tree),
                               GIT_AUTHOR_DATE="%s +0000" % stamp,
                               GIT_COMMITTER_DATE="%s +0000" % stamp)
        # Made last: a builder that could not start leaves nothing.
        self.tmp = tempfile.mkdtemp(prefix="pgwalk-blobs-")

    def commit(self, files, message):
        """Commit {relpath: text} on top of the current head."""
        return self.commit_tree(self.stage(files), message)

    def stage(self, files):
        """The tree of the current head with {relpath: text} in it."""
        names = sorted(files)
        if self._hash is None:
            # --no-filters: the text is already what the file holds in
            # the repository (the tree's own sources, edited).
            self._hash = GitBatch(self.tree, "hash-object", "-w",
                                  "--no-filters", "--stdin-paths")
        blobs = []
        for i, relpath in enumerate(names):
            path = os.path.join(self.tmp, "blob-%d" % i)
            with open(path, "w", encoding="utf-8") as f:
                f.write(files[relpath])
            blobs.append(self._hash.ask(path.encode() + b"\n").strip())
        return self._graft(self.head_tree(), dict(zip(names, blobs)))

    def _graft(self, tree_id, blobs):
        """Id of tree_id (None: an empty tree) with {relpath: blob id} in
        it; a file keeps its mode, a new one is a regular file."""
        entries = dict(self._listing(tree_id)) if tree_id else {}
        below = {}
        for relpath, blob in blobs.items():
            top, _, rest = relpath.partition("/")
            if rest:
                below.setdefault(top, {})[rest] = blob
            else:
                mode = entries.get(top, ["100644"])[0]
                entries[top] = [mode, "blob", blob]
        for top, inner in below.items():
            old = entries.get(top)
            entries[top] = ["040000", "tree", self._graft(
                old[2] if old and old[1] == "tree" else None, inner)]
        if self._mktree is None:
            self._mktree = GitBatch(self.tree, "mktree", "-z", "--batch")
        # Each tree's entries end with an empty one (--batch).
        made = self._mktree.ask("".join(
            "%s %s %s\t%s\0" % (mode, kind, oid, name)
            for name, (mode, kind, oid) in entries.items()).encode(
                "utf-8", "surrogateescape") + b"\0").strip()
        # The next commit grafts onto this tree: its listing is known.
        self._listings[made] = entries
        return made

    def _listing(self, tree_id):
        """{name: [mode, type, id]} of a tree, read once."""
        if tree_id not in self._listings:
            if self._cat is None:
                self._cat = GitBatch(self.tree, "cat-file", "--batch")
            line, raw = self._cat.ask(("%s\n" % tree_id).encode(),
                                      size=_batch_size)
            header = line.split()
            if len(header) != 3 or header[1] != "tree":
                raise GitError("%s is not a tree in %s" % (
                    tree_id, self.tree))
            raw = raw[:-1]
            self._listings[tree_id] = _tree_entries(raw)
        return self._listings[tree_id]

    def head_tree(self):
        if self.head not in self._trees:
            self._trees[self.head] = git(self.tree, "rev-parse",
                                         self.head + "^{tree}").strip()
        return self._trees[self.head]

    def commit_tree(self, tree_id, message):
        """Commit tree_id on top of the current head; return the commit."""
        self.head = git(self.tree, "commit-tree", tree_id, "-p", self.head,
                        "-F", "-", env=self.commit_env,
                        input=message).strip()
        self._trees[self.head] = tree_id
        return self.head

    def close(self):
        for batch in (self._mktree, self._cat, self._hash):
            if batch is not None:
                batch.close()
        self._mktree = self._cat = self._hash = None
        shutil.rmtree(self.tmp, ignore_errors=True)


def _batch_size(line):
    """Bytes after a `cat-file --batch` header: the object and a newline
    (none after "missing")."""
    fields = line.split()
    return int(fields[2]) + 1 if len(fields) == 3 and \
        fields[2].isdigit() else 0


def _tree_entries(raw):
    """{name: [mode, type, id]} of a tree object's raw bytes (what
    ls-tree prints): entries of `mode SP name NUL 20-byte id`."""
    entries, i = {}, 0
    while i < len(raw):
        sp = raw.index(b" ", i)
        nul = raw.index(b"\0", sp)
        mode = raw[i:sp].decode().rjust(6, "0")
        kind = {"040000": "tree", "160000": "commit"}.get(mode, "blob")
        name = raw[sp + 1:nul].decode("utf-8", "surrogateescape")
        entries[name] = [mode, kind, raw[nul + 1:nul + 21].hex()]
        i = nul + 21
    return entries
