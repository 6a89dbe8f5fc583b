# SPDX-License-Identifier: GPL-2.0
"""verify-build: every commit of the series compiles, on every architecture.

    verify-build.sh [--arch LIST] [--config NAME|FILE] [--jobs N]
                    [--out DIR] [--full] [--check-selection]
                    [--no-extra-checks] [--distcc HOSTS] [--no-ccache]
                    TREE [RANGE]

RANGE defaults to the series branch apply.sh made (HEAD..pgwalk/series).
For each architecture (scripts/arches.conf) an O= directory of the config
(default allmodconfig) is made once and reused (pgwalk/proofs/kbuild.py).
At the base, every object any commit can affect (pgwalk/proofs/affected.py)
is compiled with kbuild, which records each compile command; then, commit by
commit, the objects that commit can affect are compiled again with those
recorded commands (kbuild itself when the commit changes a Makefile, Kconfig or
script).  Compiles are at W=1 with sparse (C=1) unless --no-extra-checks:
what a commit's compile prints beyond what its parent's printed for the same
objects (new warnings, new sparse diagnostics) fails the commit, quoted with
file:line, architecture and configuration.  --full adds the
complete build of the config at the series head.  Last, each commit's
selection is checked against the dependencies kbuild recorded in the O=
directory (pgwalk/proofs/selection_check.py): an object that depends on a file
the commit changes but was not compiled for it fails the run.
"""

import dataclasses
import json
import logging
import os
import shutil
import sys
import time

from pgwalk.errors import run_main, writing
from pgwalk import REPO, cli, conffile, gitops, inputs, memo
from pgwalk.proofs import affected, kbuild, selection_check, sweep
from pgwalk.proofs.kbuild import BuildError
from pgwalk.progress import Progress, step

ARCHES = os.path.join(REPO, "scripts", "arches.conf")
DEFAULT_ARCHES = "x86_64,arm64,powerpc,riscv,s390"
# Named by the spec: run as verify-build.sh/boot-test.sh (python -m), the
# module is __main__, which is outside the pgwalk loggers the script shows.
LOG = logging.getLogger(__spec__.name)


# The columns of a scripts/arches.conf row.
ARCH_COLUMNS = ("name", "kbuild ARCH", "SRCARCH", "CROSS_COMPILE prefix",
                "Debian compiler package")


def load_arches(path=ARCHES):
    """{name: {"arch", "srcarch", "cross", "package"}} from the data file.
    srcarch: the arch/ directory the kbuild ARCH builds from.  package
    "-" means Debian has no compiler for it: not covered here.  A row
    without every column is a BuildError naming it."""
    arches = {}
    for num, line in conffile.entries(path):
        fields = line.split()
        if len(fields) != len(ARCH_COLUMNS):
            raise BuildError("%s:%d: %d columns, expected %d (%s): %s" % (
                path, num, len(fields), len(ARCH_COLUMNS),
                ", ".join(ARCH_COLUMNS), line))
        name, arch, srcarch, cross, pkg = fields
        arches[name] = {"arch": arch, "srcarch": srcarch,
                        "cross": "" if cross == "-" else cross,
                        "package": None if pkg == "-" else pkg}
    return arches


def arch_list(value):
    """The architecture names of a comma-separated --arch value; BuildError
    names those scripts/arches.conf does not know."""
    arches = load_arches()
    names = [n for n in value.split(",") if n]
    unknown = [n for n in names if n not in arches]
    if unknown or not names:
        raise BuildError("unknown architecture %s (known: %s)" % (
            ", ".join(unknown) or "''", ", ".join(sorted(arches))))
    return names


def ensure_compiler(name, spec):
    """None when the compiler is there, or why the architecture is not
    covered.  BuildError when a Debian package would provide it: the
    build check installs nothing (scripts/install-deps.sh installs the
    compilers of the default architectures; it is the one place that
    runs apt-get)."""
    cc = (spec["cross"] or "") + "gcc"
    if shutil.which(cc):
        return None
    if not spec["package"]:
        return "no cross compiler for %s in Debian" % name
    raise BuildError("%s: no %s; install it with: apt-get install -y %s"
                     % (name, cc, spec["package"]))


def merged(per_file, files):
    """{key: line} of the diagnostics of these files."""
    out = {}
    for f in files:
        out.update(per_file.get(f, {}))
    return out


def added(res, state, objs):
    """What a compile adds to its parent's: (new compiler warnings, new
    sparse diagnostics), each the sorted lines as printed (file:line).
    state holds, per file, what its last compile (base or an earlier
    commit) printed: a file no earlier commit compiled is as the base has
    it, since those commits cannot affect it (the selection check says
    so)."""
    new = []
    for kind in ("warnings", "sparse"):
        parent = merged(state[kind], objs)
        new.append(sorted(line for key, line in
                          merged(res[kind], objs).items()
                          if key not in parent))
    return new


def cell_of(objs, res, state, where):
    """One cell: the commit's compile of objs, against its parent's."""
    new_warnings, new_sparse = added(res, state, objs)
    cell = {"status": "OK" if objs else "n/a", "objects": objs,
            "new_warnings": new_warnings, "new_sparse": new_sparse,
            "where": where, "seconds": round(res["seconds"], 1),
            # Objects answered from an identical earlier compile.
            "kept": res.get("kept", 0)}
    if res["errors"]:
        bad = res["errors"][0].split(":", 1)[0]
        cell.update(status="FAIL", error=res["errors"][0], object=bad)
    elif new_warnings or new_sparse:
        cell["status"] = "WARN"
    return cell


def remember(state, res, objs):
    """The diagnostics of this compile become the parent's of the next."""
    for kind in ("warnings", "sparse"):
        for f in objs:
            state[kind][f] = res[kind].get(f, {})


def where_of(ab, extra):
    """The configuration a cell was compiled in, as its findings are
    quoted: "x86_64 allmodconfig W=1 sparse"."""
    return "%s %s%s" % (ab.name, os.path.basename(ab.config["name"]),
                        " W=1 sparse" if extra else "")


def kbuild_reasons(ab, commits, changed, build_files):
    """{commit: why kbuild itself must compile it, or None}: it changes a
    file that says how objects are built (a Makefile, Kconfig, a script),
    or a header a file kbuild generates depends on (asm-offsets.h,
    bounds.h, ...: its recorded dependencies say which), which the
    recorded compile commands would not regenerate."""
    generated = selection_check.generated_inputs(ab.out, ab.src.dir)
    why = {}
    for c in commits:
        if build_files[c]:
            why[c] = "it changes %s" % ", ".join(build_files[c][:3])
            continue
        hit = sorted(f for f in changed[c] if f in generated)
        why[c] = "it changes %s, which %s depends on" % (
            hit[0], generated[hit[0]]) if hit else None
    return why


class Kept:
    """Compiles of one architecture's O= directory, each object's kept by
    what decides its output, as ccache's direct mode decides: the files
    kbuild recorded it depends on (its .cmd deps: their blob ids at the
    commit, and the contents of those kbuild generated in the O=
    directory), the command kbuild recorded for it, the O= directory
    (config, base), the compiler and sparse versions, and this code.
    An object whose dependencies a commit leaves as they were (a warm
    run; after a changed commit, the commits above it that do not touch
    what it includes) is answered from there without compiling it.  An
    object without recorded dependencies is kept by the whole tree's
    contents.  kbuild's own compiles are never kept: they also rewrite
    the records later compiles and the selection check read."""

    def __init__(self, tree, ab, base):
        self.tree, self.ab = tree, ab
        self.memo = memo.Memo("compile")
        self.common = memo.key(ab.out, base, ab.tag, sweep.versions(ab),
                               *[memo.file_digest(f) for f in (
                                   kbuild.__file__, __file__)])
        self.blobs = (None, {})

    def _blobs(self, commit):
        """{tree path: blob id} of one commit (one git ls-tree; the last
        commit asked is remembered)."""
        if self.blobs[0] != commit:
            found = {}
            for line in gitops.git(self.tree, "ls-tree", "-r", "--full-tree",
                                   commit).splitlines():
                meta, path = line.split("\t", 1)
                found[path] = meta.split()[2]
            self.blobs = (commit, found)
        return self.blobs[1]

    def _key(self, commit, f):
        """The key of object f's compile at commit, or None when kbuild
        recorded no command for it."""
        out, src = self.ab.out, self.ab.src.dir
        obj = f[:-2] + ".o"
        text = kbuild.cmd_file(out, obj)
        cmd = None if text is None else kbuild.command_in(text, obj)
        if cmd is None:
            return None
        rec = selection_check.parse_record(text)
        if not rec or not rec[2]:
            return memo.key(self.common, f, cmd, gitops.git(
                self.tree, "rev-parse", commit + "^{tree}").strip())
        blobs = self._blobs(commit)
        deps = {f}
        made = set()
        for dep in rec[2]:
            path = selection_check.tree_path(dep, os.path.normpath(src), out)
            if path:
                deps.add(path)
            elif not os.path.isabs(dep) or dep.startswith(out + os.sep):
                # Generated here (autoconf.h, asm-offsets.h).
                made.add(os.path.join(out, dep))
            # Else outside both trees: the compiler's own headers, which
            # its version in self.common stands for.
        return memo.key(self.common, f, cmd,
                        [(p, blobs.get(p)) for p in sorted(deps)],
                        [(p, memo.file_digest(p)) for p in sorted(made)])

    def compile(self, commit, objs, kbuild_only=False, label=None):
        """ab.compile()'s result for objs at commit, with "kept": how many
        of them were answered from an identical earlier compile."""
        keys, got = {}, {}
        if not kbuild_only:
            for f in objs:
                keys[f] = self._key(commit, f)
                if keys[f] is not None:
                    hit = self.memo.get(keys[f])
                    if hit is not None:
                        got[f] = hit
        rest = [f for f in objs if f not in got]
        res = {"warnings": {}, "sparse": {}, "errors": [], "seconds": 0.0}
        if rest:
            self.ab.src.checkout(commit)
            res = self.ab.compile(rest, kbuild_only=kbuild_only,
                                  label=label)
            if not res["errors"]:
                # A failed compile is not kept: which object an error
                # belongs to is not recorded.
                for f in rest:
                    if keys.get(f) is not None:
                        self.memo.put(keys[f], {
                            "warnings": res["warnings"].get(f, {}),
                            "sparse": res["sparse"].get(f, {})})
        for f, hit in got.items():
            res["warnings"][f] = hit["warnings"]
            res["sparse"][f] = hit["sparse"]
        res["kept"] = len(got)
        return res


def kept_words(res, objs):
    """", kept from an identical earlier compile" (every object), ", 3 of
    5 objects kept ..." (some), or "" (none)."""
    if not res.get("kept"):
        return ""
    if res["kept"] == len(objs):
        return ", kept from an identical earlier compile"
    return ", %d of %d objects kept from identical earlier compiles" % (
        res["kept"], len(objs))


def verify_arch(tree, ab, base, commits, wanted, by_kbuild, extra=True):
    """({commit: cell}, base compile figures) for one architecture.
    by_kbuild: {commit: why kbuild must compile it, or None}."""
    every = sorted({f for files in wanted.values() for f in files})
    ab.src.checkout(base)
    at_base = set(gitops.git(tree, "ls-tree", "-r", "--name-only", base,
                             "--", *every).split()) if every else set()
    built = set(ab.configured_at_base(sorted(at_base)))
    # Warm: kbuild compiled this base here and nothing but recorded
    # commands ran since: they compile it again (ccache answers).
    warm = ab.base_ready(base)
    LOG.info("%s: base %s: %d objects (%d of the %d affected are not in "
             "this config)", ab.name, base[:12], len(built),
             len(at_base) - len(built), len(every))
    kept = Kept(tree, ab, base)
    res = kept.compile(
        base, sorted(built), kbuild_only=not warm,
        label="%s: base %s: compiling %d objects%s" % (
            ab.name, base[:12], len(built),
            " (recorded commands)" if warm else ""))
    base_info = {"objects": len(built), "seconds": round(res["seconds"], 1),
                 "not_configured": sorted(at_base - built),
                 "compiled_by": "recorded commands" if warm else "kbuild",
                 "warnings": len(merged(res["warnings"], built)),
                 "sparse": len(merged(res["sparse"], built))}
    if res["errors"]:
        raise BuildError("%s: the base %s does not build: %s (not the "
                         "series' fault)" % (ab.name, base[:12],
                                             res["errors"][0]))
    LOG.info("%s base %s: %d objects, %s, OK%s", ab.name, base[:12],
             len(built), "kept" if built and res["kept"] == len(built) else
             "%.1f s%s" % (res["seconds"], kept_words(res, built)),
             " (W=1: %d warnings, sparse: %d diagnostics, the commits' "
             "are compared with these)" % (base_info["warnings"],
                                           base_info["sparse"])
             if extra else "")
    ab.mark_base(base)
    state = {"warnings": {}, "sparse": {}}
    remember(state, res, sorted(built))
    where = where_of(ab, extra)
    cells = {}
    for i, c in enumerate(commits, 1):
        # A file the series adds: ask kbuild at this commit.
        new = [f for f in wanted[c] if f not in at_base]
        if new:
            ab.src.checkout(c)
        objs = sorted({f for f in wanted[c] if f in built} |
                      set(ab.configured(new)))
        name = "%s %d/%d %s" % (ab.name, i, len(commits), c[:12])
        why = by_kbuild[c] or ("it adds %s" % new[0] if new else None)
        if why:
            LOG.info("%s: kbuild compiles it: %s", name, why)
        res = kept.compile(
            c, objs, kbuild_only=bool(why),
            label="%s: compiling %d objects" % (name, len(objs)))
        cells[c] = cell_of(objs, res, state, where)
        cells[c]["compiled_by"] = "kbuild (%s)" % why if why else \
            "recorded commands" + kept_words(res, objs)
        remember(state, res, objs)
        LOG.info("%s: %d objects, %s, %s%s" % (
            name, len(objs), "kept" if objs and res["kept"] == len(objs)
            else "%.1f s%s" % (res["seconds"], kept_words(res, objs)),
            cells[c]["status"], cell_detail(cells[c])))
    return cells, base_info


def full_build(ab, head):
    """The --full result of this architecture at the series head."""
    LOG.info("%s: full %s build of %s", ab.name, ab.config["name"],
             head[:12])
    t0 = time.monotonic()
    ab.src.checkout(head)
    res = ab.full()
    full = {"status": "FAIL" if res["errors"] else "OK",
            "compiled": res["compiled"], "already": res["already"],
            "seconds": round(time.monotonic() - t0, 1)}
    if res["errors"]:
        full["error"] = res["errors"][0]
        full["object"] = (res["failed"] or
                          [res["errors"][0].split(":", 1)[0]])[0]
        full["failed"] = res["failed"]
    LOG.info("%s full build: %d objects compiled (%d kept from before), "
             "%.0f s, %s", ab.name, full["compiled"], full["already"],
             full["seconds"], full["status"] +
             (" %s: %s" % (full["object"], full["error"])
              if res["errors"] else ""))
    return full


def check_selection(ab, commits, changed, selected, required):
    """The selection check of one architecture (pgwalk/selection_check);
    BuildError when `required` and kbuild has compiled nothing beyond the
    selection here."""
    with step("%s: reading kbuild's dependency records" % ab.name):
        res = selection_check.check(ab, commits, changed, selected)
    if required and not res["beyond"]:
        raise BuildError(
            "%s: nothing to check the selection against: kbuild has compiled "
            "only the selection in %s; run with --full once, or build there "
            "(make O=%s)" % (ab.name, ab.out, ab.out))
    LOG.info("%s: selection check: %d kbuild records (%d objects beyond "
             "the selection), %s", ab.name, res["records"], res["beyond"],
             selection_words(res, "every commit's selection complete"))
    return res


def selection_words(chk, complete):
    """The selection check's outcome; `complete` when it passed.  Records
    of the selection alone can contain no miss: that is no pass."""
    total = sum(chk["missed"].values())
    if total:
        return "%d objects missed" % total
    if not chk["beyond"]:
        return "not checked: kbuild has compiled nothing beyond the " \
            "selection here (--full once makes the records)"
    return complete


def verify(tree, commits, base, arch_names, jobs, launcher,
           full=False, config=None, check_only=False, extra_checks=True,
           sweep_on=False):
    """The matrix {commit: {arch: cell}}, {arch: base compile},
    {arch: full-build result}, {arch: selection check},
    {arch: distcc fallbacks} and the configuration sweep (None when not
    asked for)."""
    config = config or kbuild.config_spec("allmodconfig")
    arches = load_arches()
    matrix = {c: {} for c in commits}
    fulls, bases, checks, fallbacks = {}, {}, {}, {}
    swept = None
    src = kbuild.SourceCheckout(tree)
    base_tree = gitops.git(tree, "rev-parse", base + "^{tree}").strip()
    with step("verify-build: finding what each of %d commits can affect" %
              len(commits)):
        found = affected.of_commits(tree, commits)
    files = {c: found[c]["affected"] for c in commits}
    changed = {c: found[c]["changed"] for c in commits}
    for name in arch_names:
        spec = arches[name]
        why = ensure_compiler(name, spec)
        if why:
            for c in commits:
                matrix[c][name] = {"status": "not covered", "seconds": 0,
                                   "objects": [], "why": why}
            continue
        t0 = time.monotonic()
        ab = kbuild.ArchBuild(src, base_tree, name, spec, jobs, launcher,
                              config=config, extra_checks=extra_checks)
        ab.setup(base)
        LOG.info("%s: ready in %.0f s (O=%s)" % (
            name, time.monotonic() - t0, ab.out))
        wanted = {c: affected.for_arch(files[c], spec["srcarch"])
                  for c in commits}
        # Commits whose build rules change are compiled by kbuild itself.
        by_kbuild = kbuild_reasons(ab, commits, changed, {
            c: found[c]["build_files"] for c in commits})
        if check_only:
            for c in commits:
                matrix[c][name] = {"status": "not compiled", "seconds": 0,
                                   "objects": []}
            selected = {c: set(wanted[c]) for c in commits}
        else:
            cells, bases[name] = verify_arch(tree, ab, base, commits,
                                             wanted, by_kbuild, extra_checks)
            for c, cell in cells.items():
                matrix[c][name] = cell
            selected = {c: set(cells[c]["objects"]) for c in commits}
        if full:
            fulls[name] = full_build(ab, commits[-1])
        checks[name] = check_selection(ab, commits, changed, selected,
                                       check_only and not full)
        checks[name]["outdir"] = ab.out
        if sweep_on and swept is None:
            swept = sweep_series(tree, ab, base, commits[-1], spec)
        if ab.distcc_fallbacks:
            fallbacks[name] = ab.distcc_fallbacks
    return matrix, bases, fulls, checks, fallbacks, swept


def sweep_series(tree, ab, base, head, spec):
    """The configuration sweep of the .c files the series changes, on the
    first architecture of the run (pgwalk/proofs/sweep.py)."""
    changed = affected.changed_files_between(tree, base, head)
    present = set(gitops.git(tree, "ls-tree", "-r", "--name-only", base,
                             "--", *changed).split()) if changed else set()
    paths = [f for f in affected.for_arch(changed, spec["srcarch"])
             if f.endswith(".c") and f in present and
             not f.startswith(affected.NOT_KERNEL)]
    # The commits name every file, the O= directory's tag the config and
    # the checks: with the same code and compilers the sweep would build
    # the same configurations and find the same (the next architectures'
    # run, a warm bench, asks nothing).
    cache = memo.Memo("sweep")
    common = memo.key(base, ab.name, ab.tag, sweep.versions(ab),
                      *[memo.file_digest(f) for f in (
                          sweep.__file__, sweep.COCCI, kbuild.__file__,
                          __file__)])
    k = memo.key(common, head, paths)
    res = cache.get(k)
    if res is not None:
        LOG.info("%s: sweep: kept from an earlier run of the same commits, "
                 "config and compilers (%.0f s then)", ab.name,
                 res["seconds"])
        res["kept"] = True
        return res
    # Another series on the same base (one table's mode changed) finds
    # the same in the files it does not change: what each file was found
    # to depend on, and each configuration's result in it, are kept by
    # the file and the headers the series changes.
    res = sweep.sweep(tree, ab, base, head, paths,
                      keys=sweep.file_keys(tree, base, head, paths, common),
                      kept=memo.Memo("sweep-file"))
    cache.put(k, res)
    tried = [c for c in res["configs"] if c["status"] != "skipped"]
    kept = [c for c in tried if c.get("kept")]
    LOG.info("%s: sweep: %d configurations built (%d of them kept from "
             "earlier builds of the same files), %d skipped, %.0f s",
             ab.name, len(tried), len(kept),
             len(res["configs"]) - len(tried), res["seconds"])
    return res


def first_finding(cell):
    """The first new warning or sparse diagnostic of a cell, and where."""
    if cell["new_warnings"]:
        return "%s (%s)" % (cell["new_warnings"][0], cell["where"])
    return "sparse: %s (%s)" % (cell["new_sparse"][0], cell["where"])


def cell_detail(cell):
    if cell["status"] == "FAIL":
        return " %s: %s" % (cell["object"], cell["error"])
    if cell["status"] == "WARN":
        return " " + first_finding(cell)
    if cell["status"] == "not covered":
        return " " + cell["why"]
    return ""


def distcc_text(hosts):
    """"h1 unreachable 2 times, 0 compiles ran here instead; h2 ..."."""
    return "; ".join("%s unreachable %d times, %d compiles ran here instead"
                     % (h, n["unreachable"], n["ran_here"])
                     for h, n in sorted(hosts.items()))


def cell_text(cell):
    return "%s (%d objs, %ss)%s" % (cell["status"], len(cell["objects"]),
                                    cell["seconds"], cell_detail(cell))


@dataclasses.dataclass
class Verified:
    """What a verify-build run asked and found: report() writes it out."""
    tree: str
    commits: list               # the range's commits, oldest first
    arch_names: list            # as asked (--arch), the table's columns
    config: dict                # kbuild.config_spec() of --config
    launcher: object            # the kbuild.Launcher that compiled
    matrix: dict                # {commit: {arch: cell}}
    bases: dict                 # {arch: base compile}
    fulls: dict                 # {arch: full build of the head} (--full)
    checks: dict                # {arch: selection check}
    fallbacks: dict             # {arch: distcc fallbacks}
    swept: dict | None = None    # the configuration sweep, if run


def report(v, outdir=None):
    """The report of a Verified run, as text; with outdir, also
    build-report.{json,md} there."""
    commits, matrix, arch_names = v.commits, v.matrix, v.arch_names
    subjects = gitops.subjects(v.tree, commits)
    where = next((matrix[c][a]["where"] for c in commits
                  for a in arch_names if "where" in matrix[c][a]), "")
    rows = ["Config: %s%s.  Compilers: %s." % (
        v.config["name"], " with W=1 and sparse (what each commit adds to "
        "its parent's fails it)" if "W=1" in where else "",
        v.launcher.describe()), "",
            "| commit | " + " | ".join(arch_names) + " |",
            "|---|" + "---|" * len(arch_names)]
    for c in commits:
        rows.append("| %s %s | %s |" % (
            c[:12], subjects[c][:50],
            " | ".join(cell_text(matrix[c][a]) for a in arch_names)))
    table = "\n".join(rows)
    if v.fulls:
        table += "\n\nFull %s build of the series head:\n" % \
            v.config["name"] + "\n".join(
                "  %s: %s, %d objects compiled (%d kept from an earlier "
                "run), %ss%s" % (
                    a, f["status"], f["compiled"], f["already"],
                    f["seconds"], (" %s: %s" % (f["object"], f["error"]))
                    if f.get("error") else "")
                for a, f in sorted(v.fulls.items()))
    if v.checks:
        lines = []
        for a, chk in sorted(v.checks.items()):
            lines.append("  %s: %d records, %d objects beyond the "
                         "selection: %s" % (
                             a, chk["records"], chk["beyond"],
                             selection_words(chk,
                                             "every selection complete")))
            lines += ["    MISS %s: %s depends on %s via %s" % (
                m["commit"][:12], m["object"], m["file"], m["via"])
                for m in chk["misses"]]
        table += "\n\nSelection checked against kbuild's dependency " \
            "records:\n" + "\n".join(lines)
    if v.swept:
        table += "\n\n" + sweep_text(v.swept)
    if v.fallbacks:
        table += "\n\ndistcc hosts that failed (the run went on: distcc " \
            "tried another host or compiled here):\n" + "\n".join(
                "  %s: %s" % (a, distcc_text(f))
                for a, f in sorted(v.fallbacks.items()))
    if outdir:
        with writing(outdir, BuildError):
            write_report(outdir, v, subjects, table)
    return table


def sweep_text(swept):
    """The configuration sweep's part of the report."""
    lines = ["Configuration sweep on %s (each symbol that decides whether "
             "a changed line, or a use of a symbol it changes, is compiled; "
             "flipped from %s with olddefconfig; W=1 and sparse at the base "
             "and at the series head; %s):" % (
                 swept["arch"], swept["config"], "%s s%s" % (
                     swept["seconds"], ", kept from an earlier run of the "
                     "same commits" if swept.get("kept") else ""))]
    for path, f in sorted(swept["files"].items()):
        if "skipped" in f:
            lines.append("  %s: %s" % (path, f["skipped"]))
        else:
            lines.append("  %s: decided by %s" % (path, ", ".join(
                "CONFIG_%s (%s)" % (s, v) for s, v in
                sorted(f["decided"].items())) or "no symbol"))
    lines += ["  " + sweep.config_text(c) for c in swept["configs"]]
    return "\n".join(lines)


def write_report(outdir, v, subjects, table):
    """build-report.{json,md} in outdir, of a Verified run; subjects:
    {commit: subject}; table: report()'s text."""
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "build-report.json"), "w") as f:
        json.dump({"arches": v.arch_names,
                   "compilers": v.launcher.describe(),
                   "config": v.config["name"], "base": v.bases,
                   "commits": [{"commit": c, "subject": subjects[c],
                                "cells": v.matrix[c]} for c in v.commits],
                   "full": v.fulls, "selection_check": v.checks,
                   "distcc_fallbacks": v.fallbacks, "sweep": v.swept},
                  f, indent=1, sort_keys=True)
        f.write("\n")
    with open(os.path.join(outdir, "build-report.md"), "w") as f:
        f.write(table + "\n\nObjects compiled per cell:\n\n")
        for c in v.commits:
            for a in v.arch_names:
                objs = v.matrix[c][a]["objects"]
                if objs:
                    f.write("- %s %s: %s\n" % (c[:12], a,
                                               ", ".join(objs)))


def main(argv=None):
    p = cli.Parser(prog="verify-build.sh")
    p.add_argument("tree")
    p.add_argument("range", nargs="?",
                   help="BASE..HEAD (default HEAD..%s)" % gitops.SERIES_BRANCH)
    p.add_argument("--arch", default=DEFAULT_ARCHES,
                   help="comma-separated (default %s)" % DEFAULT_ARCHES)
    p.add_argument("--config", default="allmodconfig",
                   help="allmodconfig (default), allyesconfig, allnoconfig, "
                   "defconfig, tinyconfig, or a config file")
    cli.add_jobs(p)
    p.add_argument("--out", help="directory for build-report.{json,md}")
    p.add_argument("--full", action="store_true",
                   help="also build all of the config at the series head")
    p.add_argument("--check-selection", action="store_true",
                   help="compile no commit: check each commit's selection "
                   "against the dependencies kbuild recorded in the O= "
                   "directory (with --full: after building everything)")
    p.add_argument("--distcc", metavar="HOSTS", type=cli.distcc_hosts,
                   help="compile through distcc on these DISTCC_HOSTS")
    p.add_argument("--no-ccache", action="store_true")
    p.add_argument("--no-sweep", action="store_true",
                   help="no configuration sweep (by default each symbol "
                   "that decides whether the series' changes are compiled "
                   "is flipped and the changed objects built at W=1, on the "
                   "first architecture)")
    p.add_argument("--no-extra-checks", action="store_true",
                   help="compile without W=1 and without sparse (C=1); by "
                   "default what a commit adds to its parent's W=1 "
                   "warnings and sparse diagnostics fails it")
    args = p.parse_args(argv)
    tree = os.path.abspath(args.tree)
    # Progress lines until the report; run_main() (verify-build.sh's
    # __main__) says what went wrong once the ticker has stopped.
    with Progress().shown():
        names = arch_list(args.arch)
        config = kbuild.config_spec(args.config)
        if args.out and os.path.exists(args.out) and \
                not os.path.isdir(args.out):
            raise BuildError("%s: --out is not a directory" % args.out)
        inputs.git_kernel_tree(tree)
        rng = args.range or "HEAD..%s" % gitops.SERIES_BRANCH
        if ".." not in rng:
            raise BuildError("%s: not a range (BASE..HEAD)" % rng)
        base_ref, head_ref = rng.split("..", 1)
        base = inputs.commit(tree, base_ref)
        inputs.commit(tree, head_ref or "HEAD")
        inputs.kernel_commit(tree, base, base_ref)
        commits = gitops.git(tree, "rev-list", "--reverse", rng,
                             check=False).split()
        if not commits:
            raise BuildError("%s: empty range" % rng)
        if not args.no_extra_checks and not shutil.which("sparse"):
            raise BuildError("sparse not found: install it (Debian package "
                             "sparse, scripts/install-deps.sh), or run with "
                             "--no-extra-checks")
        launcher = kbuild.Launcher(not args.no_ccache, args.distcc)
        kbuild.lock_cache()
        LOG.info("verify-build: %d commits on %s, config %s, compilers: %s",
                 len(commits), ", ".join(names), config["name"],
                 launcher.describe())
        t0 = time.monotonic()
        matrix, bases, fulls, checks, fallbacks, swept = verify(
            tree, commits, base, names, args.jobs, launcher,
            full=args.full, config=config, check_only=args.check_selection,
            extra_checks=not args.no_extra_checks,
            # The sweep builds at W=1: not without the extra checks.
            sweep_on=not (args.no_sweep or args.no_extra_checks or
                          args.check_selection))
    verified = Verified(tree=tree, commits=commits, arch_names=names,
                        config=config, launcher=launcher, matrix=matrix,
                        bases=bases, fulls=fulls, checks=checks,
                        fallbacks=fallbacks, swept=swept)
    print(report(verified, args.out))
    bad = [(c, a) for c in commits for a in names
           if matrix[c][a]["status"] in ("FAIL", "WARN")]
    for c, a in bad:
        cell = matrix[c][a]
        if cell["status"] == "FAIL":
            print("verify-build: FAIL %s on %s: %s" % (c[:12], a,
                                                       cell["error"]),
                  file=sys.stderr)
            continue
        for kind, lines in (("", cell["new_warnings"]),
                            ("sparse: ", cell["new_sparse"])):
            for line in lines:
                print("verify-build: WARN %s on %s: new %s%s (%s)" % (
                    c[:12], a, kind, line, cell["where"]), file=sys.stderr)
    for a, f in sorted(fulls.items()):
        if f["status"] == "FAIL":
            bad.append((None, a))
            print("verify-build: FAIL full %s build on %s: %s: %s" % (
                config["name"], a, f["object"], f["error"]),
                file=sys.stderr)
    for a, chk in sorted(checks.items()):
        for m in chk["misses"]:
            print("verify-build: MISS %s on %s: %s depends on %s (via %s) "
                  "but was not in the commit's selection" % (
                      m["commit"][:12], a, m["object"], m["file"], m["via"]),
                  file=sys.stderr)
        missed = sum(chk["missed"].values())
        if missed:
            bad.append((None, a))
            shown = len(chk["misses"])
            if missed > shown:
                print("verify-build: ... %d more objects missed on %s (%s)" %
                      (missed - shown, a, ", ".join(
                          "%s: %d" % (c[:12], n)
                          for c, n in chk["missed"].items() if n)),
                      file=sys.stderr)
    for c in (swept or {}).get("configs", []):
        if c["status"] in ("WARN", "FAIL"):
            bad.append((None, swept["arch"]))
            print("verify-build: %s sweep on %s (%s): %s" % (
                c["status"], swept["arch"], swept["config"],
                sweep.config_text(c)), file=sys.stderr)
    if swept:
        print("verify-build: sweep: %d configurations in %.0f s" % (
            len(swept["configs"]), swept["seconds"]), file=sys.stderr)
    for a, f in sorted(fallbacks.items()):
        print("verify-build: distcc on %s: %s" % (a, distcc_text(f)),
              file=sys.stderr)
    print("verify-build: %d commits x %d architectures in %.0f s: %s" % (
        len(commits), len(names), time.monotonic() - t0,
        "%d failures" % len(bad) if bad else "all OK"),
        file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(run_main("verify-build.sh", main))
