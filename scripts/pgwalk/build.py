"""verify-build: the series compiles, commit by commit, with no new warnings.

    verify-build.sh [--arch LIST] [--jobs N] [--out DIR] [--full] TREE [RANGE]

For each architecture (scripts/arches.conf) an allmodconfig build
directory is prepared once and cached, keyed by base commit and arch.
The commits are checked out, one after the other, in a private clone of
the tree (the user's tree is never built in and never gets a .config).
For each commit, the objects it can affect are compiled: the .c files it
changes, and every .c file that includes a header it changes, directly or
through other headers.  Their warnings are compared with the same
objects' warnings at the base.  --full builds the whole series head.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

from pgwalk import gitops

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
ARCHES = os.path.join(REPO, "scripts", "arches.conf")
CACHE = os.environ.get("PGWALK_CACHE", os.path.join(
    os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")),
    "pgwalk-series"))


class BuildError(Exception):
    """Bad input or a build set-up that cannot go on."""


def load_arches(path=ARCHES):
    """{name: {"arch", "cross", "package"}} from the data file."""
    arches = {}
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].split()
            if len(line) == 4:
                name, arch, cross, pkg = line
                arches[name] = {"arch": arch,
                                "cross": "" if cross == "-" else cross,
                                "package": pkg}
    return arches


def arch_dir(arch):
    """The arch/<dir> a kbuild ARCH builds from."""
    return {"x86_64": "x86", "i386": "x86"}.get(arch, arch)


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


def affected(tree, commit):
    """Objects a commit can affect: its .c files and their includers."""
    changed = gitops.git(tree, "diff", "--name-only", commit + "^",
                         commit).split()
    cfiles = {f for f in changed if f.endswith(".c")}
    cfiles |= set(includers(tree, commit, [f for f in changed
                                           if f.endswith(".h")]))
    return sorted(cfiles)


def for_arch(files, arch):
    """arch/<A>/ files only on A; tools/ and scripts/ are not kernel."""
    mine = "arch/%s/" % arch_dir(arch)
    return [f for f in files if (not f.startswith("arch/") or
                                 f.startswith(mine)) and
            not f.startswith(("tools/", "scripts/", "samples/"))]


class ArchBuild:
    """One architecture's O= directory and its private source clone."""

    def __init__(self, tree, base, name, spec, jobs, say):
        self.name, self.spec, self.jobs, self.say = name, spec, jobs, say
        key = "%s-%s" % (name, base[:12])
        self.src = os.path.join(CACHE, "build", "src-" + base[:12])
        self.out = os.path.join(CACHE, "build", key)
        self.tree, self.base = tree, base

    def make(self, *targets, check=True):
        args = ["make", "-s", "-C", self.src, "O=" + self.out,
                "ARCH=" + self.spec["arch"], "-j", str(self.jobs)]
        if self.spec["cross"]:
            args.append("CROSS_COMPILE=" + self.spec["cross"])
        proc = subprocess.run(args + list(targets), capture_output=True,
                              text=True)
        if check and proc.returncode != 0:
            raise BuildError("%s: make %s failed: %s" % (
                self.name, " ".join(targets),
                proc.stderr.strip()[-500:]))
        return proc

    def checkout(self, commit):
        gitops.git(self.src, "checkout", "-q", "--detach", commit)

    def prepare(self):
        if not os.path.isdir(os.path.join(self.src, ".git")):
            os.makedirs(os.path.dirname(self.src), exist_ok=True)
            self.say("%s: private clone of the tree" % self.name)
            subprocess.run(["git", "clone", "-q", "--shared", "--no-checkout",
                            self.tree, self.src], check=True)
        self.checkout(self.base)
        config = os.path.join(self.out, ".config")
        if not os.path.exists(config):
            self.say("%s: allmodconfig" % self.name)
            os.makedirs(self.out, exist_ok=True)
            self.make("allmodconfig")
        with open(config) as f:
            werror = "CONFIG_WERROR=y" in f.read()
        if werror:
            # allmodconfig turns warnings into errors; a new warning is
            # reported as such (WARN), and an error is a real one (FAIL).
            subprocess.run([os.path.join(self.src, "scripts", "config"),
                            "--file", config, "--disable", "WERROR"],
                           check=True)
            self.make("olddefconfig")
        self.say("%s: prepare" % self.name)
        self.make("prepare")

    def compile(self, cfiles):
        """Build these objects afresh in one make; what happened to them.

        Returns (not built here, {warning}, [errors]).  One make for all:
        kbuild's start-up costs seconds, a typical object less.  Objects
        this allmodconfig does not build have no rule: kbuild says so.
        """
        objs = [f[:-2] + ".o" for f in cfiles]
        for obj in objs:
            path = os.path.join(self.out, obj)
            if os.path.exists(path):
                os.unlink(path)
        if not objs:
            return set(), set(), []
        proc = self.make("-k", *objs, check=False)
        lines = proc.stderr.splitlines()
        not_built = {m.group(1)[:-2] + ".c" for m in
                     (re.search(r"No rule to make target '([^']+\.o)'", l)
                      for l in lines) if m}
        warnings = {re.sub(r":\d+:\d+:", ":", l) for l in lines
                    if ": warning:" in l}
        errors = [l for l in lines if ": error:" in l]
        if proc.returncode != 0 and not errors and \
                len(not_built) < len(objs):
            errors = [l for l in lines if l.strip()][-1:]
        return not_built, warnings, errors


def verify(tree, commits, base, arch_names, jobs, say):
    """The matrix: {commit: {arch: cell}}."""
    arches = load_arches()
    matrix = {c: {} for c in commits}
    for name in arch_names:
        spec = arches[name]
        if spec["cross"] and not shutil.which(spec["cross"] + "gcc"):
            for c in commits:
                matrix[c][name] = {"status": "not covered", "seconds": 0,
                                   "objects": [],
                                   "why": "no %sgcc (Debian package %s)" %
                                   (spec["cross"], spec["package"])}
            continue
        ab = ArchBuild(tree, base, name, spec, jobs, say)
        t0 = time.monotonic()
        ab.prepare()
        say("%s: ready in %.0f s" % (name, time.monotonic() - t0))
        wanted = {c: for_arch(affected(tree, c), name) for c in commits}
        every = sorted({f for files in wanted.values() for f in files})
        say("%s: base: %d candidate objects" % (name, len(every)))
        not_built, base_warn, errors = ab.compile(every)
        if errors:
            raise BuildError("%s: the base %s does not build: %s (not the "
                             "series' fault)" % (name, base[:12], errors[0]))
        for i, c in enumerate(commits, 1):
            t0 = time.monotonic()
            ab.checkout(c)
            objs = [f for f in wanted[c] if f not in not_built]
            say("%s: commit %d/%d %s: %d objects" % (name, i, len(commits),
                                                     c[:12], len(objs)))
            _nb, warns, errors = ab.compile(objs)
            # Nothing this arch builds changed: say so, not "OK".
            cell = {"status": "OK" if objs else "n/a", "objects": objs,
                    "new_warnings": sorted(warns - base_warn)}
            if errors:
                # Name the object as the tree does, not by the clone's path.
                err = errors[0].replace(ab.src + os.sep, "")
                bad = re.match(r"^([^:]+):", err)
                cell.update(status="FAIL", error=err,
                            object=bad.group(1) if bad else "?")
            elif cell["new_warnings"]:
                cell["status"] = "WARN"
            cell["seconds"] = round(time.monotonic() - t0, 1)
            matrix[c][name] = cell
        ab.checkout(base)
    return matrix


def report(tree, commits, matrix, arch_names, outdir):
    subjects = {c: gitops.git(tree, "log", "-1", "--format=%s", c).strip()
                for c in commits}
    rows = ["| commit | " + " | ".join(arch_names) + " |",
            "|---|" + "---|" * len(arch_names)]
    for c in commits:
        cells = []
        for a in arch_names:
            cell = matrix[c][a]
            text = "%s (%s objs, %ss)" % (cell["status"],
                                         len(cell.get("objects", [])),
                                         cell["seconds"])
            if cell["status"] == "FAIL":
                text += " %s: %s" % (cell["object"], cell["error"])
            cells.append(text)
        rows.append("| %s %s | %s |" % (c[:12], subjects[c][:50],
                                         " | ".join(cells)))
    table = "\n".join(rows)
    if outdir:
        os.makedirs(outdir, exist_ok=True)
        with open(os.path.join(outdir, "build-report.json"), "w") as f:
            json.dump({"commits": [{"commit": c, "subject": subjects[c],
                                    "cells": matrix[c]} for c in commits]},
                      f, indent=1, sort_keys=True)
        with open(os.path.join(outdir, "build-report.md"), "w") as f:
            f.write(table + "\n")
    return table


def main(argv=None):
    p = argparse.ArgumentParser(prog="verify-build.sh")
    p.add_argument("tree")
    p.add_argument("range", nargs="?")
    p.add_argument("--arch", default="x86_64")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    p.add_argument("--out")
    args = p.parse_args(argv)
    tree = os.path.abspath(args.tree)
    say = lambda m: print(m, file=sys.stderr, flush=True)
    arches = load_arches()
    names = args.arch.split(",")
    unknown = [n for n in names if n not in arches]
    try:
        if unknown:
            raise BuildError("unknown architecture %s (known: %s)" % (
                ", ".join(unknown), ", ".join(sorted(arches))))
        rng = args.range or "HEAD..%s" % gitops.SERIES_BRANCH
        if ".." not in rng:
            raise BuildError("%s: not a range (BASE..HEAD)" % rng)
        base_ref = rng.split("..", 1)[0]
        base = gitops.git(tree, "rev-parse", "--verify", "-q",
                          base_ref + "^{commit}", check=False).strip()
        commits = gitops.git(tree, "rev-list", "--reverse", rng,
                             check=False).split()
        if not base:
            raise BuildError("%s: not a commit in %s" % (base_ref, tree))
        if not commits:
            raise BuildError("%s: empty range" % rng)
        matrix = verify(tree, commits, base, names, args.jobs, say)
    except (BuildError, gitops.GitError) as e:
        print("verify-build: error: %s" % e, file=sys.stderr)
        return 1
    print(report(tree, commits, matrix, names, args.out))
    failed = [c for c in commits for a in names
              if matrix[c][a]["status"] in ("FAIL", "WARN")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
