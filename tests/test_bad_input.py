# SPDX-License-Identifier: GPL-2.0
"""The bad-input sweep: every way apply.sh, verify-build.sh and boot-test.sh
can be given what they cannot use, or be stopped, ends in one line that
says what is wrong, with exit status 1 (0 where README says so, 130 for
Ctrl-C or SIGTERM), no traceback, and the user's tree and the caches as
they were; after a Ctrl-C the same command works.

Every test here is unit tier: the trees are tests/fixtures/minitree, and
for the build and boot checks the minitree with tests/fixtures/kbuildtree
on top (a top Makefile whose kbuild targets take a second: a config, a
dry run naming mm/'s objects, objects and a bzImage that are one line of
text; a fake merge_config.sh and checkpatch.pl, and a usr/gen_init_cpio.c
that copies its list), so verify-build and boot-test run from start to
end without compiling any kernel; boot-test boots that "kernel" with the
real qemu, which refuses it.  Each test has
its own PGWALK_CACHE.

Case x script, and the test that covers it:

apply.sh
  not a directory, not a kernel tree, a .git that is no repository, no
  mm/pagewalk.c, dirty tree, bad pins (missing table, unknown mode, bad
  syntax, no such file), unparsable walk, a bool-form call it cannot
  convert, unknown arch (--prove --arch), --arch without --prove,
  OUTDIR inside the tree or a file, bad trailers, -v 0, --previous that
  is no OUTDIR, no checkpatch.pl .............. test_refused[apply-*]
  converted tree (README: a message, exit 0) .. test_converted_tree_*
  Ctrl-C in git-init, analysis, edits, commits, format-patch,
  checkpatch .................................. test_apply_ctrl_c
  disk full in OUTDIR ......................... test_disk_full[apply-*]
  spatch missing .............................. test_missing_programs
  n/a: not a git repository (it makes one); range, build, QEMU, KVM,
  compiler, build lock (it builds nothing: --prove runs the other two)
verify-build.sh
  not a directory, not a kernel tree (work tree, or a bare repository's
  commit), not a git repository, unknown arch, unknown config, not a
  range, base or head not a commit, no series branch, empty range,
  --out a file ................................ test_refused[verify-*]
  missing compiler as non-root (no apt-get) ... test_missing_compiler_*
  dirty tree (built from commits, the edit
  stays), tree that does not build ............ test_verify_tree_that_*
  Ctrl-C in config, prepare, the base's and a
  commit's compile ............................ test_verify_ctrl_c
  disk full in --out .......................... test_disk_full[verify-*]
  second run while one holds the build lock ... test_second_run_waits_*
  n/a: converted tree, pins, unparsable walk (it does not analyse), QEMU
boot-test.sh
  not a directory, not a kernel tree (work tree, or a bare repository's
  commit), not a git repository, REF not a commit, no series branch, no
  table declares a mode, --out a file ......... test_refused[boot-*]
  QEMU, gcc or make missing ................... test_missing_programs
  no KVM (--accel kvm) ........................ test_no_kvm
  dirty tree, tree that does not build ........ test_boot_tree_that_*
  Ctrl-C in initramfs, kernel build, boot ..... test_boot_ctrl_c
  disk full in --out .......................... test_disk_full[boot-*]
  build lock held by a verify-build ........... test_second_run_waits_*
  n/a: converted tree (REF as it is is the point), pins, unparsable
  walk, unknown arch (x86_64 only), missing compiler needs no apt-get
  (boot-test never installs)
all three
  SIGTERM to the process group (timeout, a CI
  job's limit), nothing left in TMPDIR ........ test_sigterm_stops_*

Moved here: the refusals of tests/test_apply.py and tests/test_build.py::
test_bad_input_is_refused.  Covered elsewhere, not repeated here: Ctrl-C
while a plain copy of the real 6.1 tree gets its base commit
(test_apply.py, tree tier; here the same stage on the minitree); the
modules' own errors for the same inputs (test_analysis.py: pins, the
unparsable walk; test_boolform.py::test_non_constant_argument_is_an_
error; test_build.py::test_missing_compiler_as_non_root_names_the_
package): here they go through the scripts.  Ctrl-C of a real --full
build and its resume: test_build.py::test_interrupted_full_build_resumes.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

from conftest import FIXTURES, REPO, git, git_init, git_repo, snapshot

pytestmark = pytest.mark.unit

SCRIPTS = os.path.join(REPO, "scripts")
APPLY = os.path.join(SCRIPTS, "apply.sh")
VERIFY = os.path.join(SCRIPTS, "verify-build.sh")
BOOT = os.path.join(SCRIPTS, "boot-test.sh")
# The line that says what went wrong; the progress lines that may come
# before it say nothing like it.
ERROR = re.compile(r"^(apply|verify-build|boot-test)\.sh: "
                   r"(error: |interrupted)")
NOT_PROGRESS = re.compile(r"error|traceback|exception|interrupt", re.I)
# The scripts run `python3`: the one running the tests (a pyenv shim
# takes most of a second to start).
PATH = os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]
# boot-test checks these before anything else: without them every boot-test
# case here would end in the same "no ..." line.
needs_boot_tools = pytest.mark.skipif(
    not (all(shutil.which(p) for p in ("qemu-system-x86_64", "gcc", "make"))
         and os.path.exists("/bin/busybox")),
    reason="boot-test's programs are not installed (scripts/install-deps.sh)")
# Fixed dates: every copy of a fixture tree has the same commits, so a
# series made from it is byte for byte the reference run's.
DATES = {"GIT_AUTHOR_DATE": "1700000000 +0000",
         "GIT_COMMITTER_DATE": "1700000000 +0000"}


def sigint_default():
    """Ctrl-C as a terminal's run gets it: a test run started in the
    background inherits SIGINT ignored, and so would the scripts."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def script_env(cache, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAKE_")}
    env.update(DATES, PATH=PATH, PGWALK_CACHE=str(cache))
    env.update(extra)
    return env


def run(script, *args, cache, env=None, patch=None):
    """script (a path) with args; patch: Python run before the script's
    module (the way a test pretends to be non-root, or to have no KVM)."""
    full = script_env(cache, **(env or {}))
    argv = [script, *args]
    if patch:
        module = {APPLY: "pgwalk.apply", VERIFY: "pgwalk.proofs.build",
                  BOOT: "pgwalk.proofs.boottest"}[script]
        full["PYTHONPATH"] = SCRIPTS
        argv = [sys.executable, "-c", "%s\nimport runpy\nrunpy.run_module("
                "%r, run_name='__main__', alter_sys=True)" % (patch, module),
                *args]
    return subprocess.run(argv, capture_output=True, text=True, env=full,
                          timeout=300, preexec_fn=sigint_default)


def said(r, status, text):
    """The one line that says what is wrong: it holds text, it is the last
    thing said, every other line is progress, and status is the exit."""
    assert "Traceback" not in r.stderr, r.stderr
    lines = r.stderr.splitlines()
    errors = [l for l in lines if ERROR.match(l)]
    assert len(errors) == 1 and lines[-1] == errors[0], r.stderr
    assert not any(NOT_PROGRESS.search(l) for l in lines[:-1]), r.stderr
    assert text in errors[0], errors[0]
    assert r.returncode == status, (r.returncode, r.stderr)
    return errors[0]


def state(tree):
    """What a run must leave as it was: the files, and for a git tree its
    refs, HEAD and status (new unreachable objects do not count)."""
    files = {k: v for k, v in snapshot(tree).items()
             if not k.startswith(".git" + os.sep)}
    if not os.path.isdir(os.path.join(tree, ".git")):
        return files, None
    # HEAD as the file says it (what `git symbolic-ref HEAD` reads, and a
    # detached HEAD too), without a git process.
    with open(os.path.join(tree, ".git", "HEAD")) as f:
        head = f.read()
    return files, [refs(os.path.join(tree, ".git")), head,
                   git(tree, "status", "--porcelain", "--ignored",
                       "--untracked-files=all")]


def refs(gitdir):
    """{ref: its value} as `git for-each-ref` sees them (a loose ref's
    file over packed-refs), and any lock file a run left beside them,
    without a git process."""
    out = {}
    packed = os.path.join(gitdir, "packed-refs")
    if os.path.exists(packed):
        with open(packed) as f:
            for line in f:
                if line.strip() and line[0] not in "#^":
                    value, name = line.split()
                    out[name] = value
    for name, text in snapshot(os.path.join(gitdir, "refs")).items():
        out["refs/" + name.replace(os.sep, "/")] = text.decode().strip()
    return out


def cache_kept(cache, before, may_add):
    """The cache as it was; may_add: but for entries of the analysis'
    caches (facts, memo) added or replaced, each whole."""
    after = snapshot(str(cache))
    assert set(before) <= set(after)
    changed = {k for k in after if after[k] != before.get(k)}
    assert may_add or not changed, changed
    for name in changed:
        assert name.startswith(("facts" + os.sep, "memo" + os.sep)), name
        if name.endswith(".json"):
            json.loads(after[name])


def make_git(tree):
    return git_repo(tree, env=dict(os.environ, **DATES))


def kbuild_minitree(path):
    """The minitree with tests/fixtures/kbuildtree on top, at path (no
    git repository yet): the tree verify-build and boot-test can "build",
    and apply.sh's reference series is of.  Returns path."""
    shutil.copytree(os.path.join(FIXTURES, "minitree"), path)
    shutil.copytree(os.path.join(FIXTURES, "kbuildtree"), path,
                    dirs_exist_ok=True)
    return path


def kbuild_tree(path, broken=False):
    """The minitree that verify-build and boot-test can "build", as a git
    repository with a series branch (pgwalk/series) that annotates one
    table, made by hand (apply.sh takes seconds).  broken: the tree does
    not build (tests/fixtures/kbuildtree/Makefile)."""
    kbuild_minitree(path)
    if broken:
        with open(os.path.join(path, "BROKEN"), "w") as f:
            f.write("the build fails\n")
    make_git(path)
    git(path, "branch", "pgwalk/series")
    work = path + ".work"
    git(path, "worktree", "add", "-q", work, "pgwalk/series")
    mincore = os.path.join(work, "mm", "mincore.c")
    with open(mincore) as f:
        text = f.read()
    with open(mincore, "w") as f:
        f.write(text.replace("\n};", "\n\t.walk_lock\t\t= PGWALK_RDLOCK,"
                             "\n};", 1))
    subprocess.run(["git", "-C", work, "commit", "-qam",
                    "mm/mincore: annotate page walks with PGWALK_RDLOCK"],
                   check=True, env=dict(os.environ, **DATES))
    git(path, "worktree", "remove", work)
    git(path, "worktree", "prune")
    return path


@pytest.fixture(scope="module")
def kbuild_template(tmp_path_factory):
    return kbuild_tree(str(tmp_path_factory.mktemp("template") / "k"))


def copy_tree(template, path):
    shutil.copytree(template, path, symlinks=True)
    return path


def for_apply(tree):
    """The kbuild tree without its hand-made series branch (for
    verify-build and boot-test): apply.sh moves only a branch it made."""
    if git(tree, "branch", "--list", "pgwalk/series"):
        git(tree, "branch", "-D", "pgwalk/series")
    return tree


@pytest.fixture
def cache(tmp_path):
    """An empty cache of this test's own."""
    path = tmp_path / "cache"
    path.mkdir()
    return path


@pytest.fixture
def ktree(tmp_path, kbuild_template):
    return copy_tree(kbuild_template, str(tmp_path / "k tree"))


def programs_without(tmp_path, names, extra=None):
    """A PATH with every program of this one but names; extra: {name:
    script text} added."""
    bin_dir = tmp_path / ("bin-without-%s" % "-".join(names))
    bin_dir.mkdir()
    for d in PATH.split(os.pathsep):
        if not os.path.isdir(d):
            continue
        for name in os.listdir(d):
            target = os.path.join(d, name)
            if name in names or (bin_dir / name).exists() or \
                    not os.access(target, os.X_OK) or os.path.isdir(target):
                continue
            os.symlink(target, bin_dir / name)
    for name, text in (extra or {}).items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    return str(bin_dir)


# ---------------------------------------------------- refused at once

def converted(tree):
    hdr = os.path.join(tree, "include", "linux", "pagewalk.h")
    with open(hdr) as f:
        text = f.read()
    with open(hdr, "w") as f:
        f.write(text.replace("struct mm_walk_ops {",
                             "enum page_walk_lock {\n\tPGWALK_RDLOCK = 0,"
                             "\n};\n\nstruct mm_walk_ops {\n\tenum "
                             "page_walk_lock walk_lock;"))
    for name in ("mincore.c", "mprotect.c"):
        path = os.path.join(tree, "mm", name)
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(text.replace("\n};", "\n\t.walk_lock\t\t= PGWALK_RDLOCK,"
                                 "\n};", 1))


def option_file(option, name, text, encoding="utf-8"):
    """Set-up: TMP/name holds text, passed as `option TMP/name`."""
    def write(tree, tmp):
        path = os.path.join(tmp, name)
        with open(path, "w", encoding=encoding) as f:
            f.write(text)
        return [option, path]
    return write


def pins(text, encoding="utf-8"):
    return option_file("--pins", "pins.conf", text, encoding)


def previous_outdir(decisions, base=None):
    """Set-up: TMP/prev, an earlier OUTDIR with this decisions.json (and
    base in its series.json), passed as --previous."""
    def make(tree, tmp):
        prev = os.path.join(tmp, "prev")
        os.makedirs(prev)
        with open(os.path.join(prev, "decisions.json"), "w") as f:
            f.write(decisions)
        with open(os.path.join(prev, "0000-cover-letter.patch"), "w") as f:
            f.write("Subject: [PATCH 0/0] x\n\nbase-commit: %s\n" % (
                base or "0" * 40))
        if base:
            with open(os.path.join(prev, "series.json"), "w") as f:
                json.dump({"base": base}, f)
        return ["--previous", prev]
    return make


def tmpdir_file(tree, tmp):
    """Set-up: TMPDIR names a file (test_refused runs with TMPDIR set:
    an argument NAME=value is an environment variable of the run)."""
    path = os.path.join(tmp, "tmpfile")
    with open(path, "w") as f:
        f.write("not a directory\n")
    return ["TMPDIR=" + path]


def ref_lock(tree, tmp):
    """Set-up: git's lock of the series branch, left by a killed git."""
    for_apply(tree)
    os.makedirs(os.path.join(tree, ".git", "refs", "heads", "pgwalk"))
    with open(os.path.join(tree, ".git", "refs", "heads", "pgwalk",
                           "series.lock"), "w"):
        pass


def hide(flag):
    """Set-up: an edit git is told not to see (update-index flag)."""
    def change(tree, tmp):
        git(tree, "update-index", flag, "mm/mincore.c")
        with open(os.path.join(tree, "mm", "mincore.c"), "a") as f:
            f.write("/* hidden edit */\n")
    return change


def in_tree(relpath, text=None, source=None):
    """Set-up: the tree gets relpath (text, or a copy of source)."""
    def change(tree, tmp):
        path = os.path.join(tree, relpath)
        if source:
            shutil.copy(source, path)
        elif text is None:
            os.unlink(path)
        else:
            with open(path, "a") as f:
                f.write(text)
    return change


def trailers(text, encoding="utf-8"):
    return option_file("--trailers", "trailers", text, encoding)


def unconvertible_bool_form(tree, tmp):
    shutil.rmtree(tree)
    shutil.copytree(os.path.join(FIXTURES, "boolform"), tree)
    path = os.path.join(tree, "mm", "mincore.c")
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text.replace("&mincore_walk_ops, false",
                             "&mincore_walk_ops, lock"))


def bare_not_a_kernel(tree, tmp):
    """Set-up: TMP/bare.git, a bare repository of something else."""
    other = os.path.join(tmp, "other")
    os.makedirs(other)
    with open(os.path.join(other, "README"), "w") as f:
        f.write("not a kernel\n")
    make_git(other)
    git(tmp, "clone", "-q", "--bare", other, os.path.join(tmp, "bare.git"))
    shutil.rmtree(other)


def file_instead(name):
    """Set-up: a plain file where a directory is named."""
    def make(tree, tmp):
        with open(os.path.join(tmp, name), "w") as f:
            f.write("a file\n")
    return make


# (id, set-up, arguments, what the line says) of what every script
# refuses alike, and what the two that take a git tree with a series
# branch (verify-build.sh, boot-test.sh) refuse alike.  The tree is the
# kbuild minitree as a git repository with a series branch; set-up
# changes it (before its base commit when it is called with a tree that
# has no .git yet: see test_refused) and may return options.  In the
# arguments TREE and TMP stand for the tree and a scratch directory.
ANY_TREE = [
    ("not-a-directory", None, ["TMP/nowhere"], "not a directory"),
    ("not-a-kernel-tree", None, ["TMP"], "not a kernel source tree"),
]
GIT_TREE = ANY_TREE + [
    ("not-a-git-repository", "plain", ["TREE"], "not a git repository"),
    ("no-series-branch", "no-series", ["TREE"],
     "pgwalk/series: not a commit in"),
    ("out-a-file", file_instead("o"), ["--out", "TMP/o", "TREE"],
     "--out is not a directory"),
]


def cases(script, common, own):
    """(script, id, set-up, arguments, text) rows: common's, then own."""
    return [(script, *row) for row in common + own]


REFUSED = cases(APPLY, ANY_TREE, [
    ("no-page-walk-api", in_tree("mm/pagewalk.c"), ["TREE"],
     "no mm/pagewalk.c"),
    ("dirty-tree", "dirty", ["TREE"], "uncommitted changes (mm/mincore.c)"),
    ("pin-missing-table",
     pins("mm/mincore.c:nosuch_ops PGWALK_RDLOCK typo\n"), ["TREE", "TMP/o"],
     "pins.conf:1: no struct mm_walk_ops nosuch_ops in mm/mincore.c"),
    ("pin-unknown-mode",
     pins("# c\nmm/mincore.c:mincore_walk_ops PGWALK_WRITE typo\n"),
     ["TREE", "TMP/o"], "pins.conf:2: unknown mode PGWALK_WRITE"),
    ("pin-bad-syntax", pins("mm/mincore.c mincore_walk_ops\n"),
     ["TREE", "TMP/o"], "pins.conf:1: expected '<file>:<table> <MODE>"),
    ("pins-file-missing", None, ["--pins", "TMP/none.conf", "TREE"],
     "decisions file not found"),
    ("unparsable-walk",
     in_tree("mm/unparsable.c", source=os.path.join(
         FIXTURES, "analysis", "unparsable.c")), ["TREE", "TMP/o"],
     "mm/unparsable.c:10: Coccinelle could not parse unparsable()"),
    ("bool-form-not-constant", unconvertible_bool_form,
     ["TREE", "TMP/o"], "walk_page_range(& mincore_walk_ops, lock) in "
     "do_mincore(): the table or lock_vma is not a constant"),
    ("unknown-arch", None, ["--prove", "--arch", "x86_64,vax", "TREE",
                            "TMP/o"], "unknown architecture vax"),
    ("arch-without-prove", None, ["--arch", "x86_64", "TREE"],
     "--arch x86_64: only --prove builds the series"),
    ("outdir-in-tree", None, ["TREE", "TREE/out"], "OUTDIR inside the tree"),
    ("outdir-is-the-tree", None, ["TREE", "TREE/."],
     "OUTDIR is the tree itself"),
    ("outdir-holds-the-tree", None, ["TREE", "TREE/.."], "OUTDIR holds the "
     "tree"),
    ("outdir-not-writable", file_instead("f"), ["TREE", "TMP/f/o"],
     "OUTDIR cannot be written: Not a directory"),
    ("pins-not-utf8", pins("# caf\xe9\n", "latin-1"), ["TREE", "TMP/o"],
     "pins.conf:1: not UTF-8 text (byte 0xe9 at column 6)"),
    ("trailers-not-utf8", trailers("Link: x\nCc: Ren\xe9 <r@x.org>\n",
                                   "latin-1"), ["TREE", "TMP/o"],
     "trailers:2: not UTF-8 text (byte 0xe9"),
    ("previous-truncated", previous_outdir('{"tables": [{"fi'),
     ["TREE", "TMP/o"], "decisions.json: not valid JSON (truncated or "
     "edited?)"),
    ("previous-not-decisions", previous_outdir('{"tables": 42}'),
     ["TREE", "TMP/o"], "decisions.json: not the decisions.json apply.sh "
     "writes"),
    ("previous-unknown-field", previous_outdir(
        '{"tables": [{"name": "a_ops", "file": "mm/a.c", "line": 1, '
        '"action": "none", "mode": null, "colour": "red"}]}'),
     ["TREE", "TMP/o"], "decisions.json: not the decisions.json apply.sh "
     'writes: table 1 (a_ops): unknown field "colour"'),
    ("previous-missing-field", previous_outdir(
        '{"tables": [{"name": "a_ops", "file": "mm/a.c", "line": 1}]}'),
     ["TREE", "TMP/o"], "decisions.json: not the decisions.json apply.sh "
     'writes: table 1 (a_ops): no field "action", "mode"'),
    ("previous-base-not-in-tree", previous_outdir(
        '{"tables": []}', base="1" * 40), ["TREE", "TMP/o"],
     "its base commit 111111111111 is not in"),
    ("tmpdir-not-a-directory", tmpdir_file, ["TREE", "TMP/o"],
     "not a directory this user can write"),
    ("dot-git-not-a-repository", "broken-git", ["TREE", "TMP/o"],
     "has a .git but is not the top of a git work tree"),
    ("unborn-head", "unborn", ["TREE", "TMP/o"], "the git repository has "
     "no commit yet"),
    ("assume-unchanged", hide("--assume-unchanged"), ["TREE", "TMP/o"],
     "git is told not to look at mm/mincore.c"),
    ("skip-worktree", hide("--skip-worktree"), ["TREE", "TMP/o"],
     "git is told not to look at mm/mincore.c"),
    ("branch-not-made-by-apply", "user-branch", ["TREE", "TMP/o"],
     "pgwalk/series: the branch was not made by apply.sh"),
    ("branch-in-a-worktree", "worktree",
     ["--branch", "mine", "TREE", "TMP/o"],
     "mine: the branch is checked out in"),
    ("branch-ref-locked", ref_lock, ["TREE", "TMP/o"],
     "pgwalk/series: git's lock %s exists" % os.path.join(
         "TREE", ".git", "refs", "heads", "pgwalk", "series.lock")),
    ("branch-not-a-name", None, ["--branch", "a..b", "TREE", "TMP/o"],
     "--branch a..b: not a valid branch name"),
    ("jobs-zero", None, ["--jobs", "0", "TREE"],
     "argument --jobs: '0': the number of jobs must be a whole number"),
    ("unknown-option", None, ["--nosuch", "TREE"],
     "unrecognized arguments: --nosuch"),
    ("outdir-a-file", file_instead("o"), ["TREE", "TMP/o"],
     "OUTDIR is not a directory"),
    ("trailer-not-a-trailer",
     trailers("Link: https://example.org/x\nthis is prose\n"),
     ["TREE", "TMP/o"], "trailers:2: not a trailer"),
    ("trailers-file-missing", None, ["--trailers", "TMP/none", "TREE"],
     "trailers file not found"),
    ("version-zero", None, ["-v", "0", "TREE"], "version must be 1 or more"),
    ("previous-not-an-outdir", None, ["--previous", "TMP", "TREE", "TMP/o"],
     "not an apply.sh output directory"),
    ("no-checkpatch", in_tree("scripts/checkpatch.pl"), ["TREE", "TMP/o"],
     "checkpatch.pl not found"),
]) + cases(VERIFY, GIT_TREE, [
    ("bare-not-a-kernel", bare_not_a_kernel, ["TMP/bare.git", "HEAD..HEAD"],
     "not a kernel source tree at HEAD"),
    ("unknown-arch", None, ["--arch", "x86_64,vax", "TREE"],
     "unknown architecture vax"),
    ("unknown-config", None, ["--config", "nosuchconfig", "TREE"],
     "--config nosuchconfig: neither a config file nor one of"),
    ("not-a-range", None, ["TREE", "HEAD"], "HEAD: not a range"),
    ("base-not-a-commit", None, ["TREE", "nosuch..HEAD"],
     "nosuch: not a commit in"),
    ("head-not-a-commit", None, ["TREE", "HEAD..nosuch"],
     "nosuch: not a commit in"),
    ("empty-range", None, ["TREE", "HEAD..HEAD"], "empty range"),
    ("jobs-zero", None, ["--jobs", "0", "TREE"],
     "argument --jobs: '0': the number of jobs must be a whole number"),
    ("distcc-bad-host", None, ["--distcc", "buildbox:36x", "TREE"],
     "'buildbox:36x': not a distcc host"),
]) + cases(BOOT, GIT_TREE, [
    ("bare-not-a-kernel", bare_not_a_kernel, ["TMP/bare.git", "HEAD"],
     "not a kernel source tree at HEAD"),
    ("ref-not-a-commit", None, ["TREE", "nosuch"], "nosuch: not a commit in"),
    ("no-table-declares-a-mode", None, ["TREE", "HEAD"],
     "HEAD: no struct mm_walk_ops sets walk_lock"),
])


# Refused after the analysis has read files (their facts are cached), or
# after the series is written (checkpatch judges what is in OUTDIR).
ANALYSED = {"pin-missing-table", "unparsable-walk", "bool-form-not-constant",
            "no-checkpatch"}
# The tests that start from apply_reference's caches: one xdist worker
# runs them all (make check-fast runs --dist loadgroup), so that the
# reference series is made once.
on_reference = pytest.mark.xdist_group("apply_reference")


@pytest.mark.parametrize(
    "script, case, setup, args, text",
    [pytest.param(*r, marks=[needs_boot_tools] if r[0] == BOOT else
                  [on_reference] if r[1] in ANALYSED else [])
     for r in REFUSED],
    ids=["%s-%s" % (os.path.basename(r[0]).split(".")[0], r[1])
         for r in REFUSED])
def test_refused(tmp_path, kbuild_template, cache, request, script, case,
                 setup, args, text):
    """One line, exit 1, the tree and the output directory as they were.
    The caches too, but for the facts of the files read by an analysis
    that then stopped (valid entries: they are keyed by content)."""
    tmp = tmp_path / "scratch"
    tmp.mkdir()
    tree = str(tmp_path / "k tree")
    if setup == "plain":
        shutil.copytree(os.path.join(FIXTURES, "minitree"), tree)
    else:
        copy_tree(kbuild_template, tree)
    extra = []
    if setup == "dirty":
        with open(os.path.join(tree, "mm", "mincore.c"), "a") as f:
            f.write("/* local change */\n")
    elif setup == "no-series":
        git(tree, "branch", "-D", "pgwalk/series")
    elif setup == "unborn":
        shutil.rmtree(os.path.join(tree, ".git"))
        git_init(tree)
    elif setup == "broken-git":
        # A .git file naming a repository that is gone (a work tree of
        # git worktree add, after its repository was removed).
        shutil.rmtree(os.path.join(tree, ".git"))
        with open(os.path.join(tree, ".git"), "w") as f:
            f.write("gitdir: %s\n" % (tmp_path / "removed.git"))
    elif setup == "user-branch":
        # Situation 1: the user's own branch of that name, with a commit.
        for_apply(tree)
        git(tree, "checkout", "-q", "-b", "pgwalk/series")
        with open(os.path.join(tree, "NOTES"), "w") as f:
            f.write("my work\n")
        git(tree, "add", "NOTES")
        git(tree, "commit", "-qm", "my work")
        git(tree, "checkout", "-q", "-")
    elif setup == "worktree":
        # Situation 2: the branch checked out in another work tree.
        git(tree, "worktree", "add", "-q", "-b", "mine",
            str(tmp_path / "wt"))
    elif callable(setup):
        extra = setup(tree, str(tmp)) or []
        if not os.path.isdir(os.path.join(tree, ".git")):
            make_git(tree)
        elif git(tree, "status", "--porcelain"):
            git(tree, "add", "-A")
            subprocess.run(["git", "-C", tree, "commit", "-qm", "set-up"],
                           check=True, env=dict(os.environ, **DATES))
    if script == APPLY and os.path.isdir(os.path.join(tree, ".git")) and \
            setup not in ("no-series", "user-branch", "unborn"):
        for_apply(tree)
    (cache / "kept").write_text("an earlier run's\n")
    if case in ANALYSED:
        warm(cache, request.getfixturevalue("apply_reference"))
    before, cached = state(tree), snapshot(str(cache))
    scratch = snapshot(str(tmp))
    argv = extra + [a.replace("TREE", tree).replace("TMP", str(tmp))
                    for a in args]
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    env = {"TMPDIR": str(tmpdir)}
    assigned = [a for a in argv if re.match(r"[A-Z_]+=", a)]
    env.update(a.split("=", 1) for a in assigned)
    argv = [a for a in argv if a not in assigned]
    r = run(script, *argv, cache=cache, env=env)
    said(r, 1, text.replace("TREE", tree))
    assert state(tree) == before
    cache_kept(cache, cached, case in ANALYSED)
    assert snapshot(str(tmp)) == scratch
    # Nothing left behind in TMPDIR (pgwalk-blobs-*, pgwalk-edits-*, ...).
    assert os.listdir(tmpdir) == []


def test_state_sees_each_ref_but_not_how_git_stores_it(
        tmp_path, kbuild_template):
    """The check every test here makes: a new, moved or deleted branch and
    a lock left beside a ref are changes; refs packed into packed-refs
    (the same refs, as git for-each-ref lists them) are not."""
    tree = copy_tree(kbuild_template, str(tmp_path / "k"))
    before = state(tree)
    head = git(tree, "rev-parse", "HEAD").strip()
    for change, undo in (
            (["branch", "x"], ["branch", "-D", "x"]),
            (["branch", "-f", "pgwalk/series", head],
             ["branch", "-f", "pgwalk/series", "pgwalk/series@{1}"]),
            (["branch", "-D", "pgwalk/series"],
             ["branch", "pgwalk/series", before[1][0][
                 "refs/heads/pgwalk/series"]])):
        git(tree, *change)
        assert state(tree) != before, change
        git(tree, *undo)
        assert state(tree) == before, undo
    git(tree, "pack-refs", "--all")
    assert state(tree) == before
    lock = os.path.join(tree, ".git", "refs", "heads", "pgwalk.lock")
    open(lock, "w").close()
    assert state(tree) != before


def test_converted_tree_is_a_message_and_exit_0(tmp_path, cache):
    """README: 'A fully converted tree gets a message, no series, exit 0'."""
    tree = str(tmp_path / "k tree")
    shutil.copytree(os.path.join(FIXTURES, "minitree"), tree)
    converted(tree)
    make_git(tree)
    before = state(tree)
    r = run(APPLY, tree, str(tmp_path / "out"), cache=cache)
    assert r.returncode == 0, r.stderr
    assert "error" not in r.stderr and "Traceback" not in r.stderr
    assert "nothing to do" in r.stdout
    assert not (tmp_path / "out").exists()
    assert state(tree) == before


# -------------------------------------------------- missing programs

def test_missing_compiler_as_non_root(tmp_path, ktree, cache):
    """verify-build as a user who may not install: the package is named,
    apt-get is not run."""
    asked = tmp_path / "apt-get-was-run"
    path = programs_without(tmp_path, ["gcc", "apt-get"], extra={
        "apt-get": "#!/bin/sh\ntouch '%s'\nexit 1\n" % asked})
    before = state(ktree)
    r = run(VERIFY, "--arch", "x86_64", ktree, cache=cache,
            env={"PATH": path}, patch="import os; os.geteuid = lambda: 1000")
    said(r, 1, "x86_64: no gcc; install it with: apt-get install -y gcc")
    assert not asked.exists()
    assert state(ktree) == before


@pytest.mark.parametrize("script, program, text", [
    pytest.param(BOOT, "qemu-system-x86_64", "no qemu-system-x86_64: "
                 "apt-get install -y qemu-system-x86", marks=needs_boot_tools),
    pytest.param(BOOT, "gcc", "no gcc: apt-get install -y gcc",
                 marks=needs_boot_tools),
    pytest.param(BOOT, "make", "no make: apt-get install -y make",
                 marks=needs_boot_tools),
    (APPLY, "spatch", "cannot run spatch: [Errno 2] No such file"),
], ids=["boot-qemu", "boot-gcc", "boot-make", "apply-spatch"])
def test_missing_programs(tmp_path, ktree, cache, script, program, text):
    """boot-test checks its programs before anything; apply.sh says when
    spatch cannot be run."""
    path = programs_without(tmp_path, [program])
    if script == APPLY:
        for_apply(ktree)
    before = state(ktree)
    out = [str(tmp_path / "out")] if script == APPLY else []
    r = run(script, ktree, *out, cache=cache, env={"PATH": path})
    said(r, 1, text)
    assert state(ktree) == before
    cache_kept(cache, {}, script == APPLY)


NO_KVM = """import os
_access = os.access
os.access = lambda p, m, **kw: False if p == "/dev/kvm" else \\
    _access(p, m, **kw)"""


@needs_boot_tools
def test_no_kvm(tmp_path, ktree, cache, monkeypatch):
    """--accel kvm without a usable /dev/kvm (as boot-test tests it: R/W
    access) is refused before any build; auto falls back to TCG."""
    r = run(BOOT, "--accel", "kvm", "--out", str(tmp_path / "o"), ktree,
            cache=cache, patch=NO_KVM)
    said(r, 1, "--accel kvm: /dev/kvm is missing or not usable")
    assert os.listdir(cache) == [] and not (tmp_path / "o").exists()
    from pgwalk.proofs import boottest
    monkeypatch.setattr(boottest, "KVM", str(tmp_path / "no-kvm"))
    assert boottest.accel_args("auto")[:2] == ["-accel", "tcg,thread=multi"]


# ------------------------------------------- trees that do not build

def test_verify_tree_that_does_not_build(tmp_path, cache):
    """The base does not compile: its first error, in one line; the user's
    uncommitted edit is left alone (builds are of commits, in the
    cache)."""
    tree = kbuild_tree(str(tmp_path / "k tree"), broken=True)
    with open(os.path.join(tree, "mm", "mprotect.c"), "a") as f:
        f.write("/* work in progress */\n")
    before = state(tree)
    r = run(VERIFY, "--arch", "x86_64", "--config", "tinyconfig", tree,
            cache=cache)
    said(r, 1, "does not build: mm/mincore.c:1:1: error: planted build "
         "failure (not the series' fault)")
    assert state(tree) == before


@needs_boot_tools
def test_boot_tree_that_does_not_build(tmp_path, cache):
    """kbuild fails: its first error in one line, and where the rest of
    what make said is."""
    tree = kbuild_tree(str(tmp_path / "k tree"), broken=True)
    with open(os.path.join(tree, "mm", "mprotect.c"), "a") as f:
        f.write("/* work in progress */\n")
    before = state(tree)
    r = run(BOOT, "--out", str(tmp_path / "o"), tree, cache=cache)
    line = said(r, 1, "x86_64: make bzImage failed: mm/mincore.c:1:1: "
                "error: planted build failure; make's whole output: ")
    log = line.split("make's whole output: ")[1]
    assert "make[1]: *** [Makefile:1990: mm] Error 2" in open(log).read()
    assert state(tree) == before


# ------------------------------------------------------ a full disk

def full(path):
    """path (a file to be written) on a full disk: /dev/full."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    os.symlink("/dev/full", path)


# apply.sh writes a hidden new OUTDIR beside OUTDIR: its file named
# target is opened on /dev/full instead.
FULL_AT = """import builtins, os
_open = builtins.open
def _full(file, mode="r", *args, **kwargs):
    if isinstance(file, str) and os.path.basename(file) == %r and \\
            "w" in mode:
        file = "/dev/full"
    return _open(file, mode, *args, **kwargs)
builtins.open = _full"""


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
@pytest.mark.parametrize("script, args, target", [
    pytest.param(APPLY, ["TREE", "OUT"], "series.mbox", marks=on_reference),
    pytest.param(APPLY, ["TREE", "OUT"], "decisions.json",
                 marks=on_reference),
    (VERIFY, ["--arch", "x86_64", "--config", "tinyconfig", "--out", "OUT",
              "TREE"], "build-report.json"),
    pytest.param(BOOT, ["--no-baseline", "--out", "OUT", "TREE"],
                 "work/initramfs.cpio.gz", marks=needs_boot_tools),
], ids=["apply-mbox", "apply-decisions", "verify-report", "boot-initramfs"])
def test_disk_full(tmp_path, ktree, cache, request, script, args, target):
    """A write into the output directory fails with ENOSPC: the line names
    the directory; apply.sh leaves the series branch where it was, and
    the previous OUTDIR as it was (nothing beside it either)."""
    out = str(tmp_path / "out")
    patch = None
    if script == APPLY:
        reference = request.getfixturevalue("apply_reference")
        warm(cache, reference)
        for_apply(ktree)
        os.makedirs(out)
        # An earlier posting: the same files, other bytes (a run that
        # wrote into OUTDIR itself would change them).
        for name, text in reference["out"].items():
            with open(os.path.join(out, name), "wb") as f:
                f.write(text + b"an earlier posting\n")
        patch = FULL_AT % target
    else:
        full(os.path.join(out, target))
    before = state(ktree)
    # Only apply.sh's OUTDIR is compared: the others' OUTDIR holds a link
    # to /dev/full, which a snapshot would read without end.
    previous = snapshot(out) if script == APPLY else None
    r = run(script, *[a.replace("TREE", ktree).replace("OUT", out)
                      for a in args], cache=cache, patch=patch)
    said(r, 1, ": cannot write there: No space left on device")
    assert os.path.dirname(os.path.join(out, target)) in r.stderr
    assert state(ktree) == before
    if script == APPLY:
        assert "OUTDIR %s is as it was" % out in r.stderr
        assert snapshot(out) == previous
        assert not [n for n in os.listdir(tmp_path) if ".pgwalk-" in n]


# ------------------------------------------------------------ Ctrl-C

def blocking(tmp_path, programs):
    """A directory for the front of PATH: each program wrapped by a script
    that, the first time its command line holds $FAKE_BLOCK_ON, creates
    $FAKE_BLOCKED and waits while that file exists (a retry after Ctrl-C
    runs)."""
    d = tmp_path / "blocking-bin"
    d.mkdir(exist_ok=True)
    for name in programs:
        real = shutil.which(name, path=PATH)
        (d / name).write_text(
            "#!/bin/sh\n"
            "if [ -n \"$FAKE_BLOCK_ON\" ]; then\n"
            "\tcase \"$*\" in *\"$FAKE_BLOCK_ON\"*)\n"
            "\t\tif [ ! -e \"$FAKE_BLOCKED\" ]; then\n"
            "\t\t\ttouch \"$FAKE_BLOCKED\"\n"
            "\t\t\twhile [ -e \"$FAKE_BLOCKED\" ]; do sleep 0.1; done\n"
            "\t\tfi;;\n"
            "\tesac\n"
            "fi\n"
            "exec '%s' \"$@\"\n" % real)
        (d / name).chmod(0o755)
    return str(d)


class Running:
    """A script started in its own process group, its stderr read as it
    comes."""

    def __init__(self, argv, env):
        self.lines = []
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True,
                                     env=env, start_new_session=True,
                                     preexec_fn=sigint_default)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, line, marker=None, timeout=120):
        """Until a stderr line holds `line` (and marker exists)."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if any(line in l for l in self.lines) and \
                    (marker is None or os.path.exists(marker)):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.proc.kill()
        pytest.fail("never reached %r (%s):\n%s" % (
            line, marker, "\n".join(self.lines)))

    def ctrl_c(self, sig=signal.SIGINT):
        """Ctrl-C: SIGINT to the process group (sig: another signal the
        same way, as `timeout` or a CI job's time limit sends SIGTERM)."""
        os.killpg(self.proc.pid, sig)
        return self.finish()

    def finish(self, timeout=120):
        self.proc.wait(timeout=timeout)
        self.reader.join(timeout=10)
        return subprocess.CompletedProcess(
            self.proc.args, self.proc.returncode, "",
            "".join(l + "\n" for l in self.lines))


def interrupted(tmp_path, argv, cache, stage, block_env,
                sig=signal.SIGINT):
    """argv stopped by Ctrl-C (or sig) once stderr says `stage` and the
    blocked step (block_env: FAKE_BLOCK_ON or FAKE_BLOCK_AT) has begun."""
    marker = str(tmp_path / "blocked")
    env = script_env(cache, FAKE_BLOCKED=marker, **block_env)
    env["PATH"] = blocking(tmp_path, ["git", "spatch", "gcc",
                                      "qemu-system-x86_64"]) + \
        os.pathsep + env["PATH"]
    run_ = Running(argv, env)
    run_.wait_for(stage, marker)
    return run_.ctrl_c(sig)


@pytest.fixture(scope="module")
def apply_reference(tmp_path_factory):
    """apply.sh's series of the kbuild minitree, uninterrupted."""
    return reference_run(tmp_path_factory)


# reference_run()'s answer in this process: test_safety.py's
# apply_reference is the same run (the tests copy what it left, and
# change none of it); a run of apply.sh from an empty cache is seconds.
_REFERENCE = {}


def reference_run(tmp_path_factory):
    """apply_reference's run (test_safety.py's fixture shares it)."""
    if "run" not in _REFERENCE:
        _REFERENCE["run"] = _reference_run(tmp_path_factory)
    return _REFERENCE["run"]


def _reference_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("reference")
    tree = str(work / "k tree")
    kbuild_minitree(tree)
    make_git(tree)
    r = run(APPLY, tree, str(work / "out"), cache=work / "cache")
    assert r.returncode == 0, r.stderr
    return {"out": outputs(str(work / "out"), tree),
            "cache": str(work / "cache")}


def warm(cache, reference, *cold):
    """cache filled from the reference run's, but for the kinds named in
    cold (facts, memo/edits, ...): their programs must run."""
    shutil.copytree(reference["cache"], cache, dirs_exist_ok=True)
    for kind in cold:
        shutil.rmtree(os.path.join(cache, kind))


def outputs(out, tree):
    """OUTDIR's files, the tree's path in them (decisions.json) as TREE."""
    return {name: text.replace(tree.encode(), b"TREE")
            for name, text in snapshot(out).items()}


@pytest.mark.parametrize("stage, block, cold", [
    ("making a git repository", {"FAKE_BLOCK_ON": "looseCompression"}, ()),
    ("==> analysis", {"FAKE_BLOCK_ON": "rule.cocci"}, ("facts",)),
    ("==> edits", {"FAKE_BLOCK_ON": "annotate-ops.cocci"},
     ("memo/edits", "memo/core")),
    ("==> commits", {"FAKE_BLOCK_ON": "commit-tree"}, ()),
    ("==> format-patch", {"FAKE_BLOCK_ON": "format-patch"}, ()),
    ("==> checkpatch", {"FAKE_BLOCK_AT": "checkpatch"}, ("memo/checkpatch",)),
], ids=["git-init", "analysis", "edits", "commits", "format-patch",
        "checkpatch"])
@on_reference
def test_apply_ctrl_c(tmp_path, cache, apply_reference, stage, block, cold):
    """Ctrl-C in each stage: 'interrupted; the tree is as it was' (a plain
    tree loses the .git this run made), no series branch, the previous
    OUTDIR as it was, and the same command then writes the reference
    series byte for byte (nothing of the previous one left): the caches
    the stopped run left are sound.  The caches start warm (seconds
    less) but for the stage's own."""
    warm(cache, apply_reference, *cold)
    tree = str(tmp_path / "k tree")
    kbuild_minitree(tree)
    if stage != "making a git repository":
        make_git(tree)
    before = state(tree)
    out = str(tmp_path / "out")
    os.makedirs(out)
    for name in ("0001-an-earlier-series.patch", "series.mbox",
                 "decisions.json"):
        with open(os.path.join(out, name), "w") as f:
            f.write("an earlier run's %s\n" % name)
    previous = snapshot(out)
    r = interrupted(tmp_path, [APPLY, tree, out], cache, stage, block)
    said(r, 130, "apply.sh: interrupted; the tree is as it was")
    assert state(tree) == before
    assert snapshot(out) == previous
    r = run(APPLY, "--quiet", tree, out, cache=cache)
    assert r.returncode == 0, r.stderr
    now = outputs(out, tree)
    if before[1] is None:
        # The base commit of a plain tree is its own (another subject and
        # date): the patches are the same but for commit ids and dates;
        # the cover letter and the mbox name the base.
        def same(text):
            return re.sub(rb"[0-9a-f]{40}|[0-9a-f]{12}-v1|\nDate: [^\n]*", b"",
                          text)
        reference = apply_reference["out"]
        assert sorted(now) == sorted(reference)
        for name in sorted(now):
            if name.startswith("0") and not name.startswith("0000"):
                assert same(now[name]) == same(reference[name])
        assert now["decisions.json"] == reference["decisions.json"]
    else:
        assert now == apply_reference["out"]


@pytest.mark.parametrize("stage, target", [
    ("x86_64: tinyconfig in", "tinyconfig"),
    ("x86_64: prepare", "prepare"),
    ("x86_64: base ", "mm/mincore.o"),
    ("x86_64 base ", "mm/mincore.o of the series"),
], ids=["config", "prepare", "base-compile", "commit-compile"])
def test_verify_ctrl_c(tmp_path, ktree, cache, stage, target):
    """Ctrl-C while kbuild makes the config, prepares, compiles the base
    or a commit: make is stopped, and the next run redoes the step and
    ends as a whole run does."""
    before = state(ktree)
    argv = [VERIFY, "--arch", "x86_64", "--config", "tinyconfig", "--out",
            str(tmp_path / "out"), ktree]
    r = interrupted(tmp_path, argv, cache, stage, {"FAKE_BLOCK_AT": target})
    said(r, 130, "verify-build.sh: interrupted; x86_64")
    assert state(ktree) == before
    r = run(*argv, cache=cache)
    assert r.returncode == 0, r.stderr
    assert "verify-build: 1 commits x 1 architectures" in r.stderr
    with open(tmp_path / "out" / "build-report.json") as f:
        report = json.load(f)
    assert [(c["cells"]["x86_64"]["status"], c["cells"]["x86_64"][
        "objects"]) for c in report["commits"]] == [("OK", ["mm/mincore.c"])]
    assert state(ktree) == before


@pytest.mark.parametrize("script", ["apply", "verify", pytest.param(
    "boot", marks=needs_boot_tools)])
def test_sigterm_stops_as_ctrl_c_does(tmp_path, ktree, cache, script):
    """SIGTERM to the process group (`timeout`, a CI job's time limit)
    stops each script as Ctrl-C does: one line saying so, the tree as it
    was, and nothing left in TMPDIR."""
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    out = str(tmp_path / "out")
    if script == "apply":
        tree = str(tmp_path / "a tree")
        kbuild_minitree(tree)
        make_git(tree)
        argv, stage, block = [APPLY, tree, out], "==> analysis", {
            "FAKE_BLOCK_ON": "rule.cocci"}
        text = "apply.sh: interrupted; the tree is as it was"
    elif script == "verify":
        tree = ktree
        argv = [VERIFY, "--arch", "x86_64", "--config", "tinyconfig",
                "--out", out, tree]
        stage, block = "x86_64 base ", {
            "FAKE_BLOCK_AT": "mm/mincore.o of the series"}
        text = "verify-build.sh: interrupted; x86_64"
    else:
        tree = ktree
        argv = [BOOT, "--no-baseline", "--out", out, tree]
        stage, block = "boot: building bzImage", {"FAKE_BLOCK_AT": "bzImage"}
        text = "boot-test.sh: interrupted; the tree is as it was"
    before = state(tree)
    r = interrupted(tmp_path, argv, cache, stage,
                    dict(block, TMPDIR=str(tmpdir)), sig=signal.SIGTERM)
    said(r, 130, text)
    assert state(tree) == before
    assert os.listdir(str(tmpdir)) == []


@needs_boot_tools
@pytest.mark.parametrize("stage, block", [
    ("boot: initramfs", {"FAKE_BLOCK_ON": "workload.c"}),
    ("boot: building bzImage", {"FAKE_BLOCK_AT": "bzImage"}),
    ("boot: booting series", {"FAKE_BLOCK_ON": "-kernel"}),
], ids=["initramfs", "kernel-build", "boot"])
def test_boot_ctrl_c(tmp_path, ktree, cache, stage, block):
    """Ctrl-C while the initramfs is made, the kernel built, the guest
    run: the next run gets as far as a whole run (qemu refuses the fake
    kernel: every table 'not reached')."""
    before = state(ktree)
    argv = [BOOT, "--no-baseline", "--out", str(tmp_path / "out"), ktree]
    r = interrupted(tmp_path, argv, cache, stage, block)
    said(r, 130, "boot-test.sh: interrupted; the tree is as it was")
    assert state(ktree) == before
    r = run(*argv, cache=cache)
    assert r.returncode == 1 and "boot-test: FAIL: the kernel did not " \
        "finish the workload (qemu failed: " in r.stderr, r.stderr
    with open(tmp_path / "out" / "boot-report.json") as f:
        rows = json.load(f)["series"]["rows"]
    assert [(row["table"], row["status"]) for row in rows] == \
        [("mincore_walk_ops", "not reached")]
    assert state(ktree) == before


# --------------------------------------------------- the build lock

@needs_boot_tools
def test_second_run_waits_for_the_lock(tmp_path, ktree, cache):
    """A verify-build holds the build cache; a second verify-build and a
    boot-test on it say they wait, and run when it is done.  A third one
    stopped by Ctrl-C while it waits leaves the first alone."""
    marker = str(tmp_path / "blocked")
    env = script_env(cache, FAKE_BLOCKED=marker, FAKE_BLOCK_AT="tinyconfig")
    verify = [VERIFY, "--arch", "x86_64", "--config", "tinyconfig", ktree]
    first = Running(verify, env)
    first.wait_for("x86_64: tinyconfig in", marker)
    second = Running(verify, script_env(cache))
    boot = Running([BOOT, "--no-baseline", "--out", str(tmp_path / "o"),
                    ktree], script_env(cache))
    third = Running(verify, script_env(cache))
    for waiting in (second, boot, third):
        waiting.wait_for("waiting for another verify-build using")
    said(third.ctrl_c(), 130, "interrupted")
    time.sleep(1)
    assert first.proc.poll() is None and os.path.exists(marker)
    assert second.proc.poll() is None and boot.proc.poll() is None
    os.unlink(marker)
    assert first.finish().returncode == 0
    r = second.finish()
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    r = boot.finish()
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "boot-test: FAIL: the kernel did not finish" in r.stderr
