"""verify-build: every commit of the series compiles, on every architecture.

    verify-build.sh [--arch LIST] [--jobs N] [--out DIR] [--full]
                    [--distcc HOSTS] [--no-ccache] TREE [RANGE]

RANGE defaults to the series branch apply.sh made (HEAD..pgwalk/series).
For each architecture (scripts/arches.conf) an allmodconfig O= directory is
made once and reused (pgwalk/kbuild.py).  At the base, every object any
commit can affect (pgwalk/affected.py) is compiled with kbuild, which
records each compile command; then, commit by commit, the objects that
commit can affect are compiled again with those recorded commands (kbuild
itself when the commit changes a Makefile, Kconfig or script) and their
warnings compared with the base's.  --full adds the complete allmodconfig
build of the series head.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

from pgwalk import affected, gitops, kbuild
from pgwalk.kbuild import BuildError

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
ARCHES = os.path.join(REPO, "scripts", "arches.conf")
DEFAULT_ARCHES = "x86_64,arm64,powerpc,riscv,s390"


def load_arches(path=ARCHES):
    """{name: {"arch", "cross", "package"}} from the data file.  package
    "-" means Debian has no compiler for it: not covered here."""
    arches = {}
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].split()
            if len(line) == 4:
                name, arch, cross, pkg = line
                arches[name] = {"arch": arch,
                                "cross": "" if cross == "-" else cross,
                                "package": None if pkg == "-" else pkg}
    return arches


def ensure_compiler(name, spec, say):
    """None when the compiler is there (installed now if we are root), or
    why the architecture is not covered.  BuildError when a Debian package
    would provide it but we may not install it."""
    cc = (spec["cross"] or "") + "gcc"
    if shutil.which(cc):
        return None
    if not spec["package"]:
        return "no cross compiler for %s in Debian" % name
    if os.geteuid() != 0:
        raise BuildError("%s: no %s; install it with: apt-get install -y %s"
                         % (name, cc, spec["package"]))
    say("%s: installing %s" % (name, spec["package"]))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    r = subprocess.run(["apt-get", "install", "-y", "-qq",
                        "--no-install-recommends", spec["package"]],
                       env=env, capture_output=True, text=True)
    if r.returncode != 0 or not shutil.which(cc):
        raise BuildError("%s: apt-get install %s failed: %s" % (
            name, spec["package"], r.stderr.strip()[-300:]))
    return None


def cell_of(objs, warns, base_warn, errors, seconds):
    cell = {"status": "OK" if objs else "n/a", "objects": objs,
            "new_warnings": sorted(warns - base_warn),
            "seconds": round(seconds, 1)}
    if errors:
        bad = errors[0].split(":", 1)[0]
        cell.update(status="FAIL", error=errors[0], object=bad)
    elif cell["new_warnings"]:
        cell["status"] = "WARN"
    return cell


def verify_arch(tree, ab, base, commits, wanted, by_kbuild, say):
    """({commit: cell}, base compile figures) for one architecture."""
    every = sorted({f for files in wanted.values() for f in files})
    ab.src.checkout(base)
    at_base = set(gitops.git(tree, "ls-tree", "-r", "--name-only", base,
                             "--", *every).split()) if every else set()
    built = set(ab.configured(sorted(at_base)))
    say("%s: base %s: %d objects (%d of the %d affected are not in this "
        "allmodconfig)" % (ab.name, base[:12], len(built),
                           len(at_base) - len(built), len(every)))
    base_warn, errors, secs = ab.compile(sorted(built), kbuild_only=True)
    base_info = {"objects": len(built), "seconds": round(secs, 1),
                 "not_configured": sorted(at_base - built)}
    if errors:
        raise BuildError("%s: the base %s does not build: %s (not the "
                         "series' fault)" % (ab.name, base[:12], errors[0]))
    cells = {}
    for i, c in enumerate(commits, 1):
        ab.src.checkout(c)
        # A file the series adds: ask kbuild at this commit.
        new = [f for f in wanted[c] if f not in at_base]
        objs = sorted({f for f in wanted[c] if f in built} |
                      set(ab.configured(new)))
        say("%s: commit %d/%d %s: %d objects" % (
            ab.name, i, len(commits), c[:12], len(objs)))
        warns, errors, secs = ab.compile(objs,
                                         kbuild_only=by_kbuild[c] or
                                         bool(new))
        cells[c] = cell_of(objs, warns, base_warn, errors, secs)
    return cells, base_info


def verify(tree, commits, base, arch_names, jobs, say, launcher,
           full=False):
    """The matrix {commit: {arch: cell}}, {arch: base compile} and
    {arch: full-build result}."""
    arches = load_arches()
    matrix = {c: {} for c in commits}
    fulls, bases = {}, {}
    src = kbuild.SourceCheckout(tree)
    base_tree = gitops.git(tree, "rev-parse", base + "^{tree}").strip()
    files = {c: affected.affected(tree, c) for c in commits}
    # Commits whose build rules change are compiled by kbuild itself.
    by_kbuild = {c: bool(affected.build_files_changed(tree, c))
                 for c in commits}
    for name in arch_names:
        spec = arches[name]
        why = ensure_compiler(name, spec, say)
        if why:
            for c in commits:
                matrix[c][name] = {"status": "not covered", "seconds": 0,
                                   "objects": [], "why": why}
            continue
        t0 = time.monotonic()
        ab = kbuild.ArchBuild(src, base_tree, name, spec, jobs, launcher,
                              say)
        ab.setup(base)
        say("%s: ready in %.0f s" % (name, time.monotonic() - t0))
        wanted = {c: affected.for_arch(files[c], spec["arch"])
                  for c in commits}
        cells, bases[name] = verify_arch(tree, ab, base, commits, wanted,
                                         by_kbuild, say)
        for c, cell in cells.items():
            matrix[c][name] = cell
        if full:
            say("%s: full allmodconfig build of %s" % (name, commits[-1][:12]))
            t0 = time.monotonic()
            src.checkout(commits[-1])
            compiled, errors = ab.full()
            fulls[name] = {"status": "FAIL" if errors else "OK",
                           "compiled": compiled,
                           "seconds": round(time.monotonic() - t0, 1)}
            if errors:
                fulls[name]["error"] = errors[0]
    return matrix, bases, fulls


def cell_text(cell):
    text = "%s (%d objs, %ss)" % (cell["status"], len(cell["objects"]),
                                  cell["seconds"])
    if cell["status"] == "FAIL":
        text += " %s: %s" % (cell["object"], cell["error"])
    elif cell["status"] == "WARN":
        text += " " + cell["new_warnings"][0]
    elif cell["status"] == "not covered":
        text += " " + cell["why"]
    return text


def report(tree, commits, matrix, bases, fulls, arch_names, outdir,
           launcher):
    subjects = {c: gitops.git(tree, "log", "-1", "--format=%s", c).strip()
                for c in commits}
    rows = ["| commit | " + " | ".join(arch_names) + " |",
            "|---|" + "---|" * len(arch_names)]
    for c in commits:
        rows.append("| %s %s | %s |" % (
            c[:12], subjects[c][:50],
            " | ".join(cell_text(matrix[c][a]) for a in arch_names)))
    table = "\n".join(rows)
    if fulls:
        table += "\n\nFull allmodconfig build of the series head:\n" + \
            "\n".join("  %s: %s, %d objects compiled, %ss%s" % (
                a, f["status"], f["compiled"], f["seconds"],
                (" " + f["error"]) if f.get("error") else "")
                for a, f in sorted(fulls.items()))
    if outdir:
        os.makedirs(outdir, exist_ok=True)
        with open(os.path.join(outdir, "build-report.json"), "w") as f:
            json.dump({"arches": arch_names, "compilers": launcher.describe(),
                       "base": bases,
                       "commits": [{"commit": c, "subject": subjects[c],
                                    "cells": matrix[c]} for c in commits],
                       "full": fulls}, f, indent=1, sort_keys=True)
            f.write("\n")
        with open(os.path.join(outdir, "build-report.md"), "w") as f:
            f.write(table + "\n\nObjects compiled per cell:\n\n")
            for c in commits:
                for a in arch_names:
                    objs = matrix[c][a]["objects"]
                    if objs:
                        f.write("- %s %s: %s\n" % (c[:12], a,
                                                   ", ".join(objs)))
    return table


def main(argv=None):
    p = argparse.ArgumentParser(prog="verify-build.sh")
    p.add_argument("tree")
    p.add_argument("range", nargs="?",
                   help="BASE..HEAD (default HEAD..%s)" % gitops.SERIES_BRANCH)
    p.add_argument("--arch", default=DEFAULT_ARCHES,
                   help="comma-separated (default %s)" % DEFAULT_ARCHES)
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    p.add_argument("--out", help="directory for build-report.{json,md}")
    p.add_argument("--full", action="store_true",
                   help="also build all of allmodconfig at the series head")
    p.add_argument("--distcc", metavar="HOSTS",
                   help="compile through distcc on these DISTCC_HOSTS")
    p.add_argument("--no-ccache", action="store_true")
    args = p.parse_args(argv)
    tree = os.path.abspath(args.tree)
    say = lambda m: print(m, file=sys.stderr, flush=True)
    arches = load_arches()
    names = [n for n in args.arch.split(",") if n]
    try:
        unknown = [n for n in names if n not in arches]
        if unknown or not names:
            raise BuildError("unknown architecture %s (known: %s)" % (
                ", ".join(unknown) or "''", ", ".join(sorted(arches))))
        if not os.path.isdir(tree):
            raise BuildError("%s: not a directory" % args.tree)
        rng = args.range or "HEAD..%s" % gitops.SERIES_BRANCH
        if ".." not in rng:
            raise BuildError("%s: not a range (BASE..HEAD)" % rng)
        base_ref = rng.split("..", 1)[0]
        base = gitops.git(tree, "rev-parse", "--verify", "-q",
                          base_ref + "^{commit}", check=False).strip()
        if not base:
            raise BuildError("%s: not a commit in %s" % (base_ref, tree))
        commits = gitops.git(tree, "rev-list", "--reverse", rng,
                             check=False).split()
        if not commits:
            raise BuildError("%s: empty range" % rng)
        launcher = kbuild.Launcher(not args.no_ccache, args.distcc)
        kbuild.lock_cache(say)
        say("verify-build: %d commits on %s, compilers: %s" % (
            len(commits), ", ".join(names), launcher.describe()))
        t0 = time.monotonic()
        matrix, bases, fulls = verify(tree, commits, base, names, args.jobs, say,
                               launcher, args.full)
    except (BuildError, gitops.GitError) as e:
        print("verify-build: error: %s" % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("verify-build: interrupted", file=sys.stderr)
        return 130
    print(report(tree, commits, matrix, bases, fulls, names, args.out,
                 launcher))
    bad = [(c, a) for c in commits for a in names
           if matrix[c][a]["status"] in ("FAIL", "WARN")]
    for c, a in bad:
        cell = matrix[c][a]
        print("verify-build: %s %s on %s: %s" % (
            cell["status"], c[:12], a,
            cell.get("error") or cell["new_warnings"][0]), file=sys.stderr)
    bad += [(None, a) for a, f in fulls.items() if f["status"] == "FAIL"]
    print("verify-build: %d commits x %d architectures in %.0f s: %s" % (
        len(commits), len(names), time.monotonic() - t0,
        "%d failing cells" % len(bad) if bad else "all OK"),
        file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
