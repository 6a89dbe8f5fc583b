# SPDX-License-Identifier: GPL-2.0
"""`scripts/apply.sh`: a kernel tree in, a ready-to-send series out.

    apply.sh [--pins FILE] [--jobs N] [--no-checkpatch]
             [--group file|subsystem|mode|single] [-v N] [--trailers FILE]
             [--previous DIR] [--prove [--arch LIST]] TREE [OUTDIR]

Bad input is refused before anything changes; the only change made to the
tree is a new branch (pgwalk/series, or --branch NAME) and, for a plain
unpacked tree, the git repository it first needs.  apply.sh moves only a
branch it made (refs/pgwalk/ records those) and no work tree has checked
out; OUTDIR is replaced whole or not at all (pgwalk/staging.py); one run
at a time works on a tree and on an OUTDIR (pgwalk/locks.py).
"""

import concurrent.futures
import json
import os
import re
import shutil
import sys
import threading
import time

from pgwalk.errors import PgwalkError, run_main, uninterrupted, writing
from pgwalk import (cli, core, gitops, inputs, locks, logs, REPO, runner,
                    staging, table, treefeatures)
from pgwalk.analysis import (audit, candidates, contract,
                             decisions as analysis)
from pgwalk.forms import boolform
from pgwalk.proofs import build, reports
from pgwalk.series import (claims, commits, edits, posting, revision,
                           textcheck)

DEFAULT_PINS = os.path.join(REPO, "decisions", "pinned.conf")


class ApplyError(PgwalkError):
    """Bad input or a failed stage; the message is shown as is."""


class Stages:
    """Prints each stage's name when it starts and its time when it ends."""

    def __init__(self, quiet=False):
        self.quiet = quiet
        self.times = []
        self.started = time.monotonic()

    def run(self, name, fn, *args, **kwargs):
        self.say("==> %s" % name)
        t0 = time.monotonic()
        result = fn(*args, **kwargs)
        self.times.append((name, time.monotonic() - t0))
        self.say("    %s: %.1f s" % (name, self.times[-1][1]))
        return result

    def say(self, msg):
        if not self.quiet:
            print(msg, file=sys.stderr, flush=True)

    def summary(self):
        total = time.monotonic() - self.started
        return "\n".join(["%-14s %6.1f s" % t for t in self.times] +
                         ["%-14s %6.1f s" % ("total", total)])


def check_tree(tree):
    """Refuse what is not a kernel tree with a page walker; say why."""
    inputs.kernel_tree(tree)
    if not os.path.isfile(os.path.join(tree, "mm", "pagewalk.c")):
        raise ApplyError("%s: no mm/pagewalk.c: this tree has no page walk "
                         "API to convert" % tree)


def check_git(tree, branch, previous=None):
    """Refuse a tree whose git state the series cannot build on; (None,
    None) for a plain tree, else (HEAD's commit, the commit the branch is
    at now: "" if none)."""
    if not os.path.exists(os.path.join(tree, ".git")):
        return None, None
    top, head = gitops.toplevel_and_head(tree)
    if not gitops.is_toplevel(tree, top):
        raise ApplyError("%s: has a .git but is not the top of a git work "
                         "tree" % tree)
    if head is None:
        raise ApplyError("%s: the git repository has no commit yet (HEAD "
                         "is unborn): commit the tree, or remove its .git "
                         "and apply.sh makes the base commit" % tree)
    dirty = gitops.dirty_paths(tree)
    if dirty:
        raise ApplyError("%s: the tree has uncommitted changes (%s); "
                         "commit or stash them first" %
                         (tree, some(dirty)))
    hidden = gitops.hidden_paths(tree)
    if hidden:
        raise ApplyError("%s: git is told not to look at %s (update-index "
                         "--assume-unchanged or --skip-worktree): an edit "
                         "there would go into the series unseen; undo it "
                         "(git update-index --no-assume-unchanged "
                         "--no-skip-worktree FILE)" % (tree, some(hidden)))
    if previous and not gitops.git(tree, "cat-file", "-t", previous.base,
                                   check=False).strip():
        raise ApplyError("--previous %s: its base commit %s is not in %s" % (
            previous.path, previous.base[:12], tree))
    return head, gitops.branch_owner_check(tree, branch) or ""


def some(paths):
    return ", ".join(paths[:3]) + (", ..." if len(paths) > 3 else "")


def check_outdir(tree, outdir):
    """Refuse an OUTDIR that is the tree, in it, or holds it: the series
    would make the tree dirty, or replacing OUTDIR would take the tree."""
    real_tree, real_out = os.path.realpath(tree), os.path.realpath(outdir)
    if real_out == real_tree:
        raise ApplyError("%s: OUTDIR is the tree itself: the patches would "
                         "land among its files; give another directory" %
                         outdir)
    if real_out.startswith(real_tree + os.sep):
        raise ApplyError("%s: OUTDIR inside the tree would make it dirty" %
                         outdir)
    if real_tree.startswith(real_out + os.sep):
        raise ApplyError("%s: OUTDIR holds the tree; apply.sh replaces "
                         "OUTDIR whole, so it must be a directory of its "
                         "own" % outdir)
    if os.path.exists(outdir) and not os.path.isdir(outdir):
        raise ApplyError("%s: OUTDIR is not a directory" % outdir)


TRAILER_RE = re.compile(r"^[A-Z][A-Za-z0-9-]*: \S.*$")


def read_trailers(path):
    """Trailer lines of a --trailers file (blank and # lines skipped)."""
    if not os.path.isfile(path):
        raise ApplyError("%s: trailers file not found" % path)
    lines = []
    for n, line in enumerate(inputs.text_lines(path), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if not TRAILER_RE.match(line):
            raise ApplyError("%s:%d: not a trailer (\"Key: value\", "
                             "e.g. Link: https://...): %s" %
                             (path, n, line))
        if line.startswith("Signed-off-by:"):
            raise ApplyError("%s:%d: Signed-off-by comes from git "
                             "config, not the trailers file" % (path, n))
        lines.append(line)
    return lines


class BaseCommit(threading.Thread):
    """Make the base commit of a plain tree while the analysis runs.

    The analysis only reads files (git grep --no-index, spatch), so the
    two overlap; git add is mostly I/O, spatch mostly CPU.
    """

    def __init__(self, tree, stages):
        super().__init__(daemon=True)
        self.tree, self.stages = tree, stages
        self.error = None
        self.seconds = 0.0

    def run(self):
        t0 = time.monotonic()
        try:
            gitops.make_base_commit(self.tree)
        except BaseException as e:      # re-raised in the main thread
            self.error = e
        self.seconds = time.monotonic() - t0

    def result(self):
        self.join()
        if self.error:
            raise self.error
        self.stages.times.insert(0, ("git-init", self.seconds))
        return gitops.git(self.tree, "rev-parse", "HEAD").strip()


def make_edits(tree, decisions):
    """(core files, {file: new text}) for the series."""
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        core_files = pool.submit(
            core.core_edits, tree, decisions.get("per_vma_lock", False)) \
            if not decisions.get("has_core") else None
        texts = pool.submit(edits.edit_files, tree,
                            commits.group_by_file(decisions))
        return (core_files.result() if core_files else {}), texts.result()


def warn_identity(tree):
    """One line, at the start and at the end, when the series is signed
    by the placeholder."""
    problem = gitops.identity_problem(tree)
    if problem:
        print("apply.sh: warning: %s: the series is signed by a placeholder "
              "to replace before mailing; set yours with: %s" % (
                  problem, gitops.SET_IDENTITY), file=sys.stderr)


def run(args):
    """Every input checked, in the order of the command line, before
    anything is analysed, locked or written; then the series."""
    tree = os.path.abspath(args.tree)
    check_tree(tree)
    if not args.audit:
        warn_identity(tree)
    pins = os.path.abspath(args.pins) if args.pins else DEFAULT_PINS
    if args.pins and not os.path.isfile(pins):
        raise ApplyError("%s: decisions file not found" % args.pins)
    inputs.text_lines(pins)
    outdir = os.path.abspath(args.outdir or os.path.join(
        REPO, "generated", os.path.basename(tree.rstrip("/"))))
    if os.path.islink(outdir):
        outdir = os.path.realpath(outdir)
    check_outdir(tree, outdir)
    if args.arch and not args.prove:
        raise ApplyError("--arch %s: only --prove builds the series" %
                         args.arch)
    if args.arch:
        # Checked now, not after the series is made.
        build.arch_list(args.arch)
    args.trailer_lines = read_trailers(args.trailers) if args.trailers \
        else []
    if args.reroll_count is not None and args.reroll_count < 1:
        raise ApplyError("-v %d: the version must be 1 or more" %
                         args.reroll_count)
    previous = None
    if args.previous:
        # Read now: OUTDIR may be the same directory, rewritten below.
        previous = revision.Previous(args.previous)
    args.previous_series = previous
    inputs.tmpdir()
    stages = Stages(args.quiet)
    # What the stages log (facts rounds, commits) reads between the
    # stage lines.
    with logs.shown(stages.say):
        if args.audit:
            return make(args, tree, None, pins, stages)
        with locks.held(tree, "the tree"), locks.held(outdir, "OUTDIR"):
            return staged(args, tree, outdir, pins, stages)


def staged(args, tree, outdir, pins, stages):
    """make() writing into a new directory that replaces OUTDIR only when
    the series is complete; OUTDIR is as it was after any failure."""
    # The git checks first: they are quick, and say nothing of OUTDIR.
    args.head, args.branch_at = check_git(tree, args.branch,
                                          args.previous_series)
    new = staging.Staging(outdir, ApplyError)
    args.outdir_shown, args.staging = outdir, new
    try:
        status = make(args, tree, new.path, pins, stages)
    except OSError as e:
        new.discard()
        if new.owns(e):
            raise new.outside(e) from None
        raise
    except PgwalkError as e:
        new.discard()
        e.args = ("%s (OUTDIR %s is as it was)" % (e, outdir),)
        raise
    except BaseException:
        new.discard()
        raise
    if os.path.isdir(new.path):
        new.discard()       # no series (a converted tree): nothing to show
    return status


def make(args, tree, outdir, pins, stages):
    """The series (or the audit, or the contract) of a checked tree."""
    if args.contract:
        # Reads the tree's walker core only: nothing written.
        with candidates.searching(tree):
            got = stages.run("contract", contract.derive, tree)
        print("\n".join(contract.show(got)))
        return 0
    if args.audit:
        # Reads the tree only: no git repository is made, nothing written.
        decided = stages.run("analysis", analysis.analyze, tree,
                             pins_path=pins, jobs=args.jobs)
        return audit.run(tree, table.Decisions.from_json(decided))
    base_commit = None
    if args.branch_at is not None:
        base = args.head
    else:
        base_commit = BaseCommit(tree, stages)
        base_commit.start()
    try:
        return build_series(args, tree, outdir, pins, stages, base_commit,
                            None if base_commit else base)
    except BaseException:
        if base_commit:
            # The .git is this run's own: a run that fails or is stopped
            # takes it away again, so the tree is as it was.
            undo_base_commit(base_commit, tree)
        raise


def undo_base_commit(base_commit, tree):
    """Wait for the base commit's git to end and remove the .git; a second
    Ctrl-C meanwhile does not stop this half-way."""
    while True:
        try:
            base_commit.join()
            shutil.rmtree(os.path.join(tree, ".git"), ignore_errors=True)
            return
        except KeyboardInterrupt:
            continue


def build_series(args, tree, outdir, pins, stages, base_commit, base):
    """The stages after the checks; base_commit is still running, or None."""
    if boolform.detect(tree):
        return bool_series(args, tree, outdir, stages, base_commit, base)
    # A git tree was found clean by check_git() a moment ago: the grep
    # cache need not ask git status again.
    with candidates.searching(tree, clean=base_commit is None):
        decided = stages.run("analysis", analysis.analyze, tree,
                             pins_path=pins, jobs=args.jobs)
    todo = commits.group_by_file(decided)
    if decided.get("has_core") and not todo:
        # The series adds what is missing; a mode the tree chose is the
        # audit's to question, and the message says so when it does.
        doubted = [audit.line(t, v, msg) for t, v, msg in audit.verdicts(
            table.Decisions.from_json(decided)) if v == "disagree"]
        if not doubted:
            print("%s: nothing to do: the core is present and every table "
                  "the analysis found already has the right walk_lock" %
                  tree)
            return 0
        print("%s: no series: every table the series would annotate "
              "already sets walk_lock, but %d of them %s a mode the "
              "analysis disagrees with (apply.sh --audit %s):" % (
                  tree, len(doubted), "declares" if len(doubted) == 1
                  else "declare", tree))
        for line in doubted:
            print("  " + line)
        return 0
    # The edits read files only: they too overlap the base commit.
    core_files, texts = stages.run("edits", make_edits, tree, decided)
    if base_commit:
        base = stages.run("wait-git-init", base_commit.result)
    prev = args.previous_series
    carry = None
    if prev:
        carry = revision.carry_tags(prev)
    built = commits.Built(None)
    head = stages.run("commits", commits.make_commits, tree, base, decided,
                      core_files, texts, args.group,
                      args.trailer_lines, carry, None, built)
    changes = None
    if prev:
        changes = revision.changes(prev.decisions,
                                   table.Decisions.from_json(decided))
    return publish(args, tree, outdir, stages, base, head, decided,
                   changes, prev, built)


def publish(args, tree, outdir, stages, base, head, decided, changes=None,
            prev=None, built=None):
    """Write the series base..head to outdir (the new OUTDIR, hidden
    until it is complete) with decisions.json, compare it with a previous
    posting, check it, and only then point the series branch at it and
    put the new OUTDIR in place, both at once."""
    shown = args.outdir_shown
    ctx = {"reroll": args.reroll_count, "built": built, "group": args.group,
           "changes": changes}
    if built:
        ctx["dropped"] = [d for p in built.patches for d in p["dropped"]]
    if prev:
        same, ctx["range_diff"] = stages.run(
            "range-diff", revision.range_diff, tree, prev, base, head, outdir)
        print("changes since %s: %s; range-diff: %s" % (
            prev.path, "; ".join(changes) if changes else "no changes",
            "every patch unchanged" if same else "see range-diff.txt"))
    ctx["proof"] = reports.find(tree, outdir, base, head)
    patches = write_outdir(args, tree, outdir, stages, base, head, decided,
                           ctx)
    if not args.no_checkpatch:
        problems = stages.run("checkpatch", posting.checkpatch, tree,
                              patches, args.jobs)
        if "(tree)" in problems:
            raise ApplyError("%s: %s (--no-checkpatch skips the check); "
                             "the series is not checked" % (
                                 tree, problems["(tree)"][0]))
        if problems:
            for patch, lines in sorted(problems.items()):
                print("%s:" % os.path.basename(patch), file=sys.stderr)
                for line in lines[:20]:
                    print("  " + line, file=sys.stderr)
            raise ApplyError("checkpatch found problems in %d patch(es); "
                             "the series is not ready to send" %
                             len(problems))
    for defect in textcheck.check_series(patches, decided.get(
            "per_vma_lock", False), decided.get("has_core", False)) + \
            claims.check_series(table.Decisions.from_json(decided),
                                patches):
        print("apply.sh: warning: %s" % defect, file=sys.stderr)
    status = 0
    if args.prove:
        ok = stages.run("prove", reports.prove, tree, outdir, base, head,
                        args.arch, args.jobs)
        ctx["proof"] = reports.find(tree, outdir, base, head)
        patches = stages.run("cover-letter", posting.format_patches, tree,
                             base, head, outdir, decided, ctx)
        if not ok:
            print("apply.sh: the build or boot test failed: see %s/build "
                  "and %s/boot; the cover letter says so" % (shown, shown),
                  file=sys.stderr)
            status = 1
    # Only now, with a good series, point the branch at it and show the
    # new OUTDIR: both, whatever signal comes meanwhile.
    with uninterrupted(late=True):
        gitops.move_branch(tree, args.branch, head, args.branch_at or None,
                           "apply.sh: series of %s" % tree)
        with writing(shown, ApplyError):
            args.staging.publish()
    stages.say("branch %s: %d commits on %s" % (
        args.branch, len(patches) - 1, base[:12]))
    stages.say(stages.summary())
    warn_identity(tree)
    print(shown)
    return status


def write_outdir(args, tree, outdir, stages, base, head, decided, ctx):
    """The patches, series.mbox, decisions.json and series.json in outdir;
    a full disk names OUTDIR and leaves the series branch alone."""
    with writing(args.outdir_shown, ApplyError):
        patches = stages.run("format-patch", posting.format_patches, tree,
                             base, head, outdir, decided, ctx)
        with open(os.path.join(outdir, "decisions.json"), "w") as f:
            # Through the records: a field the schema does not know
            # fails here, not in the next --previous or audit that reads
            # the file.
            json.dump(table.Decisions.from_json(decided).to_json(), f,
                      indent=1, sort_keys=True)
            f.write("\n")
        with open(os.path.join(outdir, revision.SERIES_JSON), "w") as f:
            json.dump({"base": base, "head": head, "group": args.group,
                       "reroll": args.reroll_count or 1}, f, indent=1,
                      sort_keys=True)
            f.write("\n")
    return patches


def bool_series(args, tree, outdir, stages, base_commit, base):
    """A tree with the first posting's lock_vma argument: one patch that
    moves the rule into the tables (pgwalk/forms/boolform.py)."""
    stages.say("the walkers take a bool lock_vma: converting that form")
    decided, texts = stages.run("bool-form", boolform.convert, tree)
    if base_commit:
        base = stages.run("wait-git-init", base_commit.result)
    per_vma = treefeatures.detect(tree).get("per_vma_lock", False)
    builder = gitops.SeriesBuilder(tree, base)
    try:
        builder.commit(texts, boolform.message(gitops.identity(tree),
                                               decided, per_vma))
        head = builder.head
    finally:
        builder.close()
    record = boolform.decisions_record(tree, decided, per_vma)
    built = commits.Built(head)
    built.patches.append({"tables": [], "carried": [], "dropped": []})
    return publish(args, tree, outdir, stages, base, head, record,
                   built=built)


def parse_args(argv):
    p = cli.parser("apply.sh", "Generate the page-walk locking series for "
                   "a kernel tree.", "kernel source tree (git or plain)")
    p.add_argument("outdir", nargs="?",
                   help="where the patches go (default generated/<tree>)")
    p.add_argument("--pins", help="decisions file with pinned modes "
                   "(default decisions/pinned.conf)")
    # -v is format-patch's reroll count, as in git; the command lines
    # every stage runs are --verbose (or PGWALK_VERBOSE=1).
    cli.switches(p, {
        "--no-checkpatch": None,
        "--quiet": None,
        "--verbose": "show every command line run (git, spatch, perl)",
        "--audit": "compare the modes the tree declares with the analysis "
                   "(file:line: lines); changes nothing",
        "--contract": "print the tree's walker contract: its walkers, "
                      "which honour walk_lock, and what each mode makes "
                      "the core do; changes nothing",
        "--prove": "run verify-build.sh and boot-test.sh on the series and "
                   "put their results in the cover letter",
    })
    p.add_argument("--previous", metavar="DIR",
                   help="an earlier OUTDIR: say what changed since it, "
                   "write a git range-diff of the two series, and carry "
                   "the review tags of unchanged patches")
    p.add_argument("--group", choices=commits.GROUPINGS,
                   default="subsystem",
                   help="patches after the core: one per MAINTAINERS "
                   "subsystem (default), per file, by mode (one patch "
                   "with no functional change, one per behaviour change), "
                   "or a single one")
    p.add_argument("-v", "--reroll-count", type=int, metavar="N",
                   help="version of the posting: [PATCH vN NN/MM]")
    p.add_argument("--trailers", metavar="FILE",
                   help="trailer lines added to every patch (Link:, "
                   "Suggested-by:, Cc: stable, ...)")
    p.add_argument("--branch", metavar="NAME", default=gitops.SERIES_BRANCH,
                   help="the branch the series goes on (default %(default)s"
                   "); apply.sh moves only a branch it made")
    p.add_argument("--arch", metavar="LIST",
                   help="architectures for --prove's build check "
                   "(default: verify-build.sh's)")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    runner.verbose(args.verbose)
    return run_main("apply.sh", lambda: run(args),
                    interrupted="the tree is as it was, and OUTDIR too")


if __name__ == "__main__":
    sys.exit(main())
