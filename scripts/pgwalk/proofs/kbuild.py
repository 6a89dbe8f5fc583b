# SPDX-License-Identifier: GPL-2.0
"""Kernel builds outside the user's tree: checkout, O= dirs, compilers.

Everything lives under CACHE/build/ (CACHE: $PGWALK_CACHE, default
~/.cache/pgwalk-series):
  src/          the commit being built, checked out from the user's repo
                with a private index (the user's index, HEAD and files are
                never touched; the repo only lends its objects)
  <arch>-<config>-<tree>
                one O= directory per architecture, config and base tree,
                reused across runs; the two most recent per architecture
                and config are kept
  launch/       gcc wrappers that put ccache and/or distcc in front of the
                real compiler without changing the command kbuild records,
                and the sparse wrapper kbuild runs as CHECK (C=1)
  lock          one verify-build at a time per cache
"""

import concurrent.futures
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import time

from pgwalk.errors import PgwalkError
from pgwalk import gitops, memo, runner
from pgwalk.progress import Counter, step

CACHE = memo.cache_root()
ROOT = os.path.join(CACHE, "build")
KEEP_PER_ARCH = 2
# The configuration sweep's copy of an O= directory (pgwalk/proofs/sweep).
SWEEP_SUFFIX = "-sweep"
LOG = logging.getLogger(__name__)
# Configs made by a kbuild target; anything else must be a config file.
CONFIG_TARGETS = ("allmodconfig", "allyesconfig", "allnoconfig",
                  "defconfig", "tinyconfig")
# A line kbuild prints for an object it compiles ("  CC [M]  mm/x.o").
COMPILED = re.compile(r"^\s+(?:CC|AS|HOSTCC|HOSTCXX)(?: \[M\])?\s+(\S+\.o)$")
# make -k's line for a target that failed.
FAILED_TARGET = re.compile(r"\*\*\* \[(?:[^\]]*?:\d+: )?([^\]\s]+)\] Error")


class BuildError(PgwalkError):
    """Bad input or a build set-up that cannot go on."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a kbuild step; says what had been done."""


def config_spec(value):
    """{"name", "target", "file", "tag"} of a --config value: a kbuild
    target (allmodconfig, defconfig, tinyconfig, ...) or a config file.
    The tag names the O= directory; a file's tag is its content's hash,
    so an edited file gets a fresh directory."""
    if value in CONFIG_TARGETS:
        return {"name": value, "target": value, "file": None, "tag": value}
    if os.path.isfile(value):
        path = os.path.abspath(value)
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()[:12]
        return {"name": path, "target": None, "file": path,
                "tag": "file-" + digest}
    raise BuildError("--config %s: neither a config file nor one of %s" % (
        value, ", ".join(CONFIG_TARGETS)))


def lock_cache():
    """Hold the cache for this process (released when it exits)."""
    os.makedirs(ROOT, exist_ok=True)
    fd = os.open(os.path.join(ROOT, "lock"), os.O_CREAT | os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        LOG.info("waiting for another verify-build using %s", ROOT)
        with step("waiting for another verify-build"):
            fcntl.flock(fd, fcntl.LOCK_EX)
    # Earlier versions kept one clone per base commit: src-<commit>.
    for old in os.listdir(ROOT):
        if old.startswith("src-"):
            LOG.info("removing %s (left by an earlier version)", old)
            shutil.rmtree(os.path.join(ROOT, old), ignore_errors=True)
    return fd


class SourceCheckout:
    """ROOT/src, moved from commit to commit with `git read-tree -m -u`:
    only the files that differ are rewritten, so kbuild's timestamps stay
    meaningful and a commit costs what it changes."""

    def __init__(self, tree):
        self.dir = os.path.join(ROOT, "src")
        self.index = os.path.join(ROOT, "src.index")
        self.gitdir = gitops.git(tree, "rev-parse",
                                 "--absolute-git-dir").strip()
        self.commit = None

    def _read_tree(self, *args):
        env = dict(os.environ, GIT_DIR=self.gitdir,
                   GIT_WORK_TREE=self.dir, GIT_INDEX_FILE=self.index)
        return runner.run(["git", "read-tree", *args], env=env)

    def checkout(self, commit):
        if commit == self.commit:
            return
        os.makedirs(self.dir, exist_ok=True)
        # Only a process holding lock_cache() checks out here, so an index
        # lock found now was left by one that was killed (SIGKILL, power):
        # git would refuse every later run until someone removed it.
        stale = self.index + ".lock"
        if os.path.exists(stale):
            LOG.info("removing %s, left by a verify-build that was killed",
                     stale)
            os.unlink(stale)
        r = None
        if os.path.exists(self.index):
            r = self._read_tree("-m", "-u", commit)
        if r is None or r.returncode != 0:
            # First use, or a run killed half-way: rewrite everything.
            r = self._read_tree("--reset", "-u", commit)
            if r.returncode != 0:
                raise BuildError("cannot check out %s into %s: %s" % (
                    commit[:12], self.dir, r.stderr.strip()))
        self.commit = commit


def write_script(path, text):
    """An executable file of text, rewritten only when it differs (kbuild
    would see a new mtime)."""
    old = open(path).read() if os.path.exists(path) else None
    if old != text:
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR |
                 stat.S_IXGRP | stat.S_IXOTH)


class Launcher:
    """Compiler wrappers named like the compilers they wrap (gcc,
    aarch64-linux-gnu-gcc, ...), so the command kbuild records is the same
    with or without ccache and distcc, and switching either one on or off
    does not rebuild the world."""

    def __init__(self, use_ccache=True, distcc_hosts=None):
        self.ccache = use_ccache and shutil.which("ccache") is not None
        self.distcc_hosts = distcc_hosts
        if distcc_hosts and not shutil.which("distcc"):
            raise BuildError("--distcc needs distcc (Debian package distcc)")
        self.dir = os.path.join(ROOT, "launch")
        self.path = os.environ.get("PATH", "/usr/bin:/bin")

    def describe(self):
        parts = (["ccache"] if self.ccache else []) + \
            (["distcc (%s)" % self.distcc_hosts] if self.distcc_hosts
             else [])
        return " + ".join(parts) or "plain compiler"

    def sparse_wrapper(self):
        """The path of SPARSE_WRAPPER, written when it changed."""
        os.makedirs(self.dir, exist_ok=True)
        path = os.path.join(self.dir, "pgwalk-sparse")
        write_script(path, SPARSE_WRAPPER)
        return path

    def env(self, compilers):
        """Environment for make and for recorded compile commands."""
        env = dict(os.environ)
        if not self.ccache and not self.distcc_hosts:
            return env
        if self.ccache:
            front = "ccache"
            # Checked-out files are new; their content is what is hashed.
            env["CCACHE_SLOPPINESS"] = "include_file_mtime," \
                "include_file_ctime,time_macros"
            if self.distcc_hosts:
                env["CCACHE_PREFIX"] = "distcc"
        else:
            front = "distcc"
        if self.distcc_hosts:
            env["DISTCC_HOSTS"] = self.distcc_hosts
        os.makedirs(self.dir, exist_ok=True)
        for cc in compilers:
            path = os.path.join(self.dir, cc)
            # The wrapper runs with the caller's PATH, without itself, so
            # ccache and distcc find the real compiler, not this script.
            text = "#!/bin/sh\nPATH='%s'\nexport PATH\nexec %s %s \"$@\"\n" \
                % (self.path, front, cc)
            write_script(path, text)
        env["PATH"] = self.dir + os.pathsep + self.path
        return env


def recorded_command(out, obj):
    """The compile command kbuild last ran for obj, from its .cmd file
    (cmd_ in 6.1, savedcmd_ since 6.3), or None.

    Not from compile_commands.json: kbuild writes that file from these
    same .cmd files only when asked (a walk of the whole O= directory
    after each build), and without the deps_ lists the selection check
    reads from the .cmd files anyway; it would add a step, not remove
    one."""
    try:
        with open(_cmd_path(out, obj), encoding="utf-8",
                  errors="replace") as f:
            first = f.readline()    # the command; the deps_ list follows
    except OSError:
        return None
    return command_in(first, obj)


def _cmd_path(out, obj):
    """kbuild's record of obj: O/dir/.name.o.cmd."""
    d, name = os.path.split(obj)
    return os.path.join(out, d, "." + name + ".cmd")


def cmd_file(out, obj):
    """The text of obj's .cmd file in the O= directory out, or None (for
    a caller that reads its deps_ list too, as well as the command)."""
    try:
        with open(_cmd_path(out, obj), encoding="utf-8",
                  errors="replace") as f:
            return f.read()
    except OSError:
        return None


def command_in(text, obj):
    """The compile command a .cmd file's text records for obj, or None
    (recorded_command())."""
    first = text.split("\n", 1)[0]
    m = re.match(r"^(?:saved)?cmd_%s := (.*)$" % re.escape(obj), first)
    if not m:
        return None
    # Undo kbuild's make-escaping of the saved command.
    cmd = m.group(1).replace("$(pound)", "#").replace("$$", "$")
    return None if "$(" in cmd else cmd


def parse_diagnostics(text, src):
    """({warning}, [errors]) of compiler output, paths as in the tree."""
    found, errors = diagnostics(text, src)
    return set(found), errors


def diagnostics(text, src):
    """({key: line}, [errors]) of compiler or sparse output, paths as in
    the tree.  The key is the line without its line and column numbers:
    a warning is the same warning when only its line number moved; the
    line keeps them, to be quoted as file:line."""
    lines = [l.replace(src + os.sep, "") for l in text.splitlines()]
    found = {re.sub(r":\d+:\d+:", ":", l): l for l in lines
             if ": warning:" in l}
    errors = [l for l in lines if ": error:" in l or
              ": fatal error:" in l]
    return found, errors


def by_object(found, cfiles):
    """{file: {key: line}}: each diagnostic of one make run over cfiles
    given to the file it is in, and one in any other file (a header) to
    every file of the run: make's output does not say which compile
    printed it."""
    mine = {f: {} for f in cfiles}
    for key, line in found.items():
        where = line.split(":", 1)[0]
        for f in ([where] if where in mine else cfiles):
            mine[f][key] = line
    return mine


def sparse_record(out, obj):
    """Where the sparse wrapper keeps obj's diagnostics (and, with
    ".args", the arguments kbuild gave it)."""
    d, name = os.path.split(obj)
    return os.path.join(out, d, "." + name + ".pgwalk-sparse")


# kbuild's C=1 runs $(CHECK) $(CHECKFLAGS) $(c_flags) source after each
# compile.  This wrapper runs sparse with its diagnostics kept per object,
# in a file named after the dependency file c_flags names
# (-Wp,-MMD,mm/.x.o.d), so that they never mix with the compiler's on
# make's stderr; it saves its arguments there too, for a compile that
# replays kbuild's recorded command instead of running kbuild.  Sparse's
# findings are diagnostics, compared with the parent's: never a failed
# make.
SPARSE_WRAPPER = """#!/bin/sh
rec=
for a in "$@"; do
    case $a in -Wp,-MMD,*|-Wp,-MD,*) rec=${a#-Wp,-M*D,} ;; esac
done
rec=${rec%.d}.pgwalk-sparse
printf '%s\\n' "$@" > "$rec.args"
sparse "$@" 2> "$rec" > /dev/null
exit 0
"""


def failed_objects(stderr):
    """Targets make -k reports as failed, in order ("mm/x.o", ...)."""
    seen = []
    for target in FAILED_TARGET.findall(stderr):
        if target not in seen:
            seen.append(target)
    return seen


def make_failure(name, targets, stderr, out):
    """One line for a failed kbuild step: its first error (a compiler's,
    else make's), with make's whole stderr kept in a file of the O=
    directory out."""
    lines = [l.strip() for l in stderr.splitlines() if l.strip()]
    first = next((l for l in lines if ": error:" in l or
                  ": fatal error:" in l), None) or \
        next((l for l in lines if "***" in l), None) or \
        (lines[-1] if lines else "no message")
    log = os.path.join(out, "pgwalk-make-stderr.log")
    try:
        os.makedirs(out, exist_ok=True)
        with open(log, "w") as f:
            f.write(stderr)
        where = "; make's whole output: %s" % log
    except OSError:
        where = ""
    return "%s: make %s failed: %s%s" % (name, " ".join(targets), first,
                                         where)


class ArchBuild:
    """One architecture's O= directory for one config."""

    def __init__(self, src, base_tree, name, spec, jobs, launcher,
                 out=None, config=None, extra_checks=False):
        self.src, self.name, self.spec = src, name, spec
        self.jobs = jobs
        self.config = config or config_spec("allmodconfig")
        # W=1 changes every recorded command: a directory of its own, so
        # that runs with and without it do not rebuild each other's.
        self.tag = self.config["tag"] + ("+W1" if extra_checks else "")
        self.out = out or os.path.join(ROOT, "%s-%s-%s" % (
            name, self.tag, base_tree[:12]))
        compilers = ["gcc"] + ([spec["cross"] + "gcc"] if spec["cross"]
                               else [])
        self.env = launcher.env(compilers)
        # W=1 and sparse (C=1): kbuild's extra warnings, and sparse's
        # diagnostics kept per object by the wrapper.
        self.extra = ["W=1", "C=1", "CHECK=" + launcher.sparse_wrapper()] \
            if extra_checks else []

    def make_args(self, *targets, quiet=True):
        """argv of kbuild for this architecture and O= directory."""
        args = ["make"] + (["-s"] if quiet else []) + [
            "-C", self.src.dir, "O=" + self.out, "ARCH=" + self.spec["arch"],
            "-j", str(self.jobs)]
        if self.spec["cross"]:
            args.append("CROSS_COMPILE=" + self.spec["cross"])
        return args + self.extra + list(targets)

    def run_make(self, *targets, label=None, keep_stdout=False,
                 stderr_path=None):
        """Run kbuild, counting the objects it compiles as it goes (the
        progress ticker reports the count during long steps).  Returns
        (returncode, stdout if keep_stdout else "", stderr, [compiled
        objects]).  Ctrl-C stops make too and raises Interrupted."""
        label = label or "%s: make %s" % (self.name, " ".join(targets))
        counter, compiled, kept = Counter(), [], []
        err = open(stderr_path, "w+") if stderr_path else \
            tempfile.TemporaryFile("w+")
        with err, step(label, counter):
            proc = runner.start(self.make_args(*targets, quiet=False),
                                env=self.env, stdout=subprocess.PIPE,
                                stderr=err, text=True, errors="replace")
            try:
                for line in proc.stdout:
                    m = COMPILED.match(line.rstrip("\n"))
                    if m:
                        compiled.append(m.group(1))
                        counter.add()
                    if keep_stdout:
                        kept.append(line)
                proc.wait()
            except KeyboardInterrupt:
                # A terminal's Ctrl-C reaches make too; a signal sent to
                # this process alone must still stop it.
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                raise Interrupted("%s: interrupted after %d objects" % (
                    label, len(compiled)))
            err.seek(0)
            stderr = err.read()
        # Any kbuild step may compile (prepare builds host tools and
        # bounds.c): the first compile that meets a dead distcc host is
        # the only one that says so, distcc backs the host off silently
        # afterwards.
        self.distcc_notes(stderr)
        return proc.returncode, "".join(kept), stderr, compiled

    def make(self, *targets, check=True, label=None, keep_stdout=False):
        rc, out, err, _compiled = self.run_make(*targets, label=label,
                                                keep_stdout=keep_stdout)
        if check and rc != 0:
            raise BuildError(make_failure(self.name, targets, err, self.out))
        return rc, out, err

    def evict_old(self):
        """Keep the KEEP_PER_ARCH most recently used O= dirs of this arch
        and config (and drop those named without a config, by earlier
        versions)."""
        mine = [os.path.join(ROOT, d) for d in os.listdir(ROOT)
                if (d.startswith("%s-%s-" % (self.name, self.tag))
                    or re.fullmatch(re.escape(self.name) + r"-[0-9a-f]{12}",
                                    d)) and
                os.path.join(ROOT, d) != self.out and
                not d.endswith(SWEEP_SUFFIX)]
        mine.sort(key=os.path.getmtime, reverse=True)
        for old in mine[KEEP_PER_ARCH - 1:]:
            LOG.info("%s: removing old build directory %s" % (
                self.name, old))
            shutil.rmtree(old, ignore_errors=True)
            # The configuration sweep's copy of it (pgwalk/proofs/sweep).
            shutil.rmtree(old + SWEEP_SUFFIX, ignore_errors=True)

    def setup(self, base):
        """The config (WERROR off) and prepare, at the base commit."""
        with step("%s: checking out %s" % (self.name, base[:12])):
            self.src.checkout(base)
        config = os.path.join(self.out, ".config")
        if not os.path.exists(config):
            self.evict_old()
            LOG.info("%s: %s in %s" % (self.name, self.config["name"],
                                       self.out))
            os.makedirs(self.out, exist_ok=True)
            if self.config["target"]:
                self.make(self.config["target"])
            else:
                shutil.copy(self.config["file"], config + ".pgwalk-new")
                os.replace(config + ".pgwalk-new", config)
                try:
                    self.make("olddefconfig")
                except BuildError:
                    os.unlink(config)
                    raise
        os.utime(self.out)
        self.base = base
        if self.base_ready(base):
            # Nothing but recorded compiles ran here since kbuild last
            # prepared this base: its whole-tree steps would decide again
            # what they decided then.
            LOG.info("%s: prepare: kept from the last run at %s" % (
                self.name, base[:12]))
            return
        with open(config) as f:
            werror = "CONFIG_WERROR=y" in f.read()
        if werror:
            # allmodconfig turns warnings into errors; a new warning is
            # reported as such (WARN), and an error is a real one (FAIL).
            runner.run([os.path.join(self.src.dir, "scripts", "config"),
                        "--file", config, "--disable", "WERROR"],
                       check=True)
            self.make("olddefconfig")
        LOG.info("%s: prepare" % self.name)
        self.make("prepare", label="%s: prepare" % self.name)

    # In the O= directory: the base commit whose kbuild steps (prepare, the
    # base's compiles) are current there, and kbuild's answers about which
    # files that base's config builds.
    BASE_STAMP = ".pgwalk-base"
    CONFIGURED = ".pgwalk-configured.json"
    base = None

    def base_ready(self, base):
        """Whether kbuild's steps at base are still what the O= directory
        holds: no kbuild run at another commit since (it could have
        regenerated headers, or recorded other commands)."""
        try:
            with open(os.path.join(self.out, self.BASE_STAMP)) as f:
                return f.read().strip() == base
        except OSError:
            return False

    def mark_base(self, base):
        with open(os.path.join(self.out, self.BASE_STAMP), "w") as f:
            f.write(base + "\n")

    def unmark_base(self):
        path = os.path.join(self.out, self.BASE_STAMP)
        if os.path.exists(path):
            os.unlink(path)

    def configured_at_base(self, cfiles):
        """configured() of files at the base commit, kbuild's answers kept
        in the O= directory (its name holds the base tree and the config,
        which decide them)."""
        path = os.path.join(self.out, self.CONFIGURED)
        try:
            with open(path) as f:
                known = json.load(f)
        except (OSError, ValueError):
            known = {}
        ask = [f for f in cfiles if f not in known]
        if ask:
            found = set(self.configured(ask))
            known.update({f: f in found for f in ask})
            with open(path + ".new", "w") as f:
                json.dump(known, f, sort_keys=True)
            os.replace(path + ".new", path)
        return [f for f in cfiles if known[f]]

    def configured(self, cfiles):
        """The files of cfiles this config builds.

        kbuild compiles any object it is asked for by name, configured or
        not, so the question goes to its dry run of the top directories
        (which follows obj-y/obj-m, Kconfig and subdir gating): with the
        files' objects removed first, each configured one is out of date
        and shows up as a compile command."""
        if not cfiles:
            return []
        self.remove_objects(cfiles)
        tops = sorted({"/".join(f.split("/")[:2 if f.startswith("arch/")
                                else 1]) + "/"
                       for f in cfiles if "/" in f})
        _rc, out, _err = self.make(
            "-n", "-k", *tops, check=False, keep_stdout=True,
            label="%s: asking kbuild which of %d files it builds" % (
                self.name, len(cfiles)))
        built = set(re.findall(r"(?:^|\s)-c -o (\S+)\.o(?=\s)", out))
        return [f for f in cfiles if f[:-2] in built]

    def remove_objects(self, cfiles):
        """Delete the objects of cfiles from the O= directory."""
        for f in cfiles:
            path = os.path.join(self.out, f[:-2] + ".o")
            if os.path.exists(path):
                os.unlink(path)

    def kbuild_compile(self, cfiles, label):
        """Build these objects afresh in one make: ({file: {key:
        warning}}, [errors]).  The callers ask only for objects
        configured() found."""
        if not cfiles:
            return {}, []
        if self.src.commit != self.base:
            self.unmark_base()
        self.remove_objects(cfiles)
        rc, _out, stderr, _compiled = self.run_make(
            "-k", *[f[:-2] + ".o" for f in cfiles], label=label)
        found, errors = diagnostics(stderr, self.src.dir)
        if rc != 0 and not errors:
            errors = [l for l in stderr.splitlines() if l.strip()][-1:]
        return by_object(found, cfiles), errors

    def direct_compile(self, cfiles, label):
        """Run kbuild's recorded compile command of each object, jobs at a
        time: the same compiler invocation kbuild would make, without
        kbuild's seconds of start-up per make; with W=1 and sparse, sparse
        too, with the arguments kbuild gave it for that object.  Returns
        ({file: {key: warning}}, [errors], [files without a recorded
        command])."""
        todo, missing = [], []
        for f in cfiles:
            obj = f[:-2] + ".o"
            cmd = recorded_command(self.out, obj)
            args = sparse_record(self.out, obj) + ".args"
            if self.extra and not os.path.exists(args):
                cmd = None
            (todo if cmd else missing).append((f, cmd))
        counter = Counter()

        def run(item):
            proc = runner.run(item[1], shell=True, cwd=self.out,
                              env=self.env, errors="replace")
            if proc.returncode == 0 and self.extra:
                self.replay_sparse(item[0][:-2] + ".o")
            counter.add()
            return proc
        warnings, errors = {}, []
        pool = concurrent.futures.ThreadPoolExecutor(self.jobs)
        try:
            with step(label, counter):
                for (f, _cmd), proc in zip(todo, pool.map(run, todo)):
                    w, e = diagnostics(proc.stderr, self.src.dir)
                    warnings[f] = w
                    if proc.returncode != 0 and not e:
                        e = ["%s: compiler exit status %d" % (
                            f, proc.returncode)]
                    errors += e
                    self.distcc_notes(proc.stderr)
        except KeyboardInterrupt:
            # Ctrl-C: start no further compile.
            pool.shutdown(cancel_futures=True)
            raise
        pool.shutdown()
        return warnings, errors, [f for f, _c in missing]

    def replay_sparse(self, obj):
        """Sparse on obj's source with the arguments kbuild last gave it
        (saved by the wrapper), its diagnostics where the wrapper keeps
        them."""
        rec = sparse_record(self.out, obj)
        with open(rec + ".args") as f:
            args = f.read().splitlines()
        with open(rec, "w") as f:
            runner.run(["sparse", *args], cwd=self.out, env=self.env,
                       stdout=subprocess.DEVNULL, stderr=f)

    def sparse_of(self, cfiles):
        """{file: {key: sparse diagnostic}} of the last sparse run on each
        file's object (none: sparse did not run, the compile failed)."""
        found = {}
        for f in cfiles:
            try:
                with open(sparse_record(self.out, f[:-2] + ".o"),
                          encoding="utf-8", errors="replace") as rec:
                    text = rec.read()
            except OSError:
                continue
            # Sparse says "error:" of code it cannot follow; a finding,
            # not a failed compile.
            lines = [l.replace(self.src.dir + os.sep, "")
                     for l in text.splitlines()
                     if ": warning:" in l or ": error:" in l]
            found[f] = {re.sub(r":\d+:\d+:", ":", l): l for l in lines}
        return found

    def compile(self, cfiles, kbuild_only=False, label=None):
        """{"warnings": {file: {key: warning}}, "sparse": {file: {key:
        diagnostic}} (W=1 and sparse only), "errors": [...], "seconds"}
        for these files."""
        label = label or "%s: compiling %d objects" % (self.name,
                                                       len(cfiles))
        t0 = time.monotonic()
        # A compile that fails leaves no sparse run: none may be left
        # from before.
        for f in cfiles:
            rec = sparse_record(self.out, f[:-2] + ".o")
            if os.path.exists(rec):
                os.unlink(rec)
        warnings, errors, rest = {}, [], list(cfiles)
        if not kbuild_only:
            warnings, errors, rest = self.direct_compile(cfiles, label)
        w, e = self.kbuild_compile(rest, label)
        warnings.update(w)
        return {"warnings": warnings, "errors": errors + e,
                "sparse": self.sparse_of(cfiles) if self.extra else {},
                "seconds": time.monotonic() - t0}

    # distcc says on stderr when it cannot reach a host (it then tries
    # another) and when it gives up and compiles here.  Without a host
    # named, it could not pick one at all (its state directory unusable,
    # every host backed off).
    UNREACHABLE = re.compile(r"connect to (\S+?) failed")
    RAN_HERE = re.compile(r"failed to distribute(?: \S+ to (\S+?))?,? "
                          r"running locally instead")
    distcc_fallbacks = None

    def distcc_notes(self, stderr):
        """Count, per distcc host, the failed connections and the compiles
        that ran here instead: {host: {"unreachable": n, "ran_here": m}}."""
        for kind, pattern in (("unreachable", self.UNREACHABLE),
                              ("ran_here", self.RAN_HERE)):
            for host in pattern.findall(stderr):
                host = re.split(r"[/,]", host)[0] or "no host chosen"
                if self.distcc_fallbacks is None:
                    self.distcc_fallbacks = {}
                counts = self.distcc_fallbacks.setdefault(
                    host, {"unreachable": 0, "ran_here": 0})
                counts[kind] += 1

    def built_objects(self):
        """Objects kbuild has finished in the O= directory: those with a
        .cmd record (kbuild writes it only after the compile succeeded)."""
        found = 0
        for _d, _subdirs, files in os.walk(self.out):
            found += sum(1 for f in files
                         if f.startswith(".") and f.endswith(".o.cmd"))
        return found

    def full(self):
        """The whole build of this config at the current checkout; kbuild
        keeps what it built, so an interrupted run resumes where it
        stopped.  Returns {"compiled", "already", "errors", "objects"
        (failed targets)}."""
        already = self.built_objects()
        if already:
            LOG.info("%s: full build: %d objects already built here "
                     "(kept from an earlier run)" % (self.name, already))
        errlog = os.path.join(self.out, ".pgwalk-full-stderr")
        try:
            rc, _out, stderr, compiled = self.run_make(
                "-k", "all", label="%s: full %s build" % (
                    self.name, self.config["name"]), stderr_path=errlog)
        except Interrupted as e:
            raise Interrupted("%s; run the same command again to resume" %
                              e) from None
        _w, errors = parse_diagnostics(stderr, self.src.dir)
        if rc != 0 and not errors:
            errors = [l for l in stderr.splitlines() if l.strip()][-1:]
        failed = [t for t in failed_objects(stderr) if t.endswith(".o")] \
            or failed_objects(stderr)
        return {"compiled": len(compiled), "already": already,
                "errors": errors if rc != 0 else [], "failed": failed}

    def full_count(self):
        """How many objects a --full build compiles here: kbuild's dry
        run, counted once per architecture and base tree (it takes a
        minute or two) and kept in $PGWALK_COUNTS (default: the cache)."""
        counts = os.environ.get("PGWALK_COUNTS", ROOT)
        os.makedirs(counts, exist_ok=True)
        stamp = os.path.join(counts, "full-count-" +
                             os.path.basename(self.out))
        if os.path.exists(stamp):
            with open(stamp) as f:
                return int(f.read())
        _rc, out, _err = self.make("-n", "-k", "all", check=False,
                                   keep_stdout=True,
                                   label="%s: counting the objects of a full "
                                   "build (dry run)" % self.name)
        # Each object shows up twice: its command, and the line that saves
        # the command into its .cmd file.
        count = len(set(re.findall(r"(?:^|\s)-c -o (\S+\.o)\s", out)))
        with open(stamp, "w") as f:
            f.write("%d\n" % count)
        return count
