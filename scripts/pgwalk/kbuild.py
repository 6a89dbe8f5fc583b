"""Kernel builds outside the user's tree: checkout, O= dirs, compilers.

Everything lives under CACHE/build/ (CACHE: $PGWALK_CACHE, default
~/.cache/pgwalk-series):
  src/          the commit being built, checked out from the user's repo
                with a private index (the user's index, HEAD and files are
                never touched; the repo only lends its objects)
  <arch>-<tree> one O= directory per architecture and base tree, reused
                across runs; the two most recent per architecture are kept
  launch/       gcc wrappers that put ccache and/or distcc in front of the
                real compiler without changing the command kbuild records
  lock          one verify-build at a time per cache
"""

import concurrent.futures
import fcntl
import os
import re
import shutil
import stat
import subprocess
import time

from pgwalk import gitops

CACHE = os.environ.get("PGWALK_CACHE", os.path.join(
    os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")),
    "pgwalk-series"))
ROOT = os.path.join(CACHE, "build")
KEEP_PER_ARCH = 2


class BuildError(Exception):
    """Bad input or a build set-up that cannot go on."""


def lock_cache(say):
    """Hold the cache for this process (released when it exits)."""
    os.makedirs(ROOT, exist_ok=True)
    fd = os.open(os.path.join(ROOT, "lock"), os.O_CREAT | os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        say("waiting for another verify-build using %s" % ROOT)
        fcntl.flock(fd, fcntl.LOCK_EX)
    # Earlier versions kept one clone per base commit: src-<commit>.
    for old in os.listdir(ROOT):
        if old.startswith("src-"):
            say("removing %s (left by an earlier version)" % old)
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
        return subprocess.run(["git", "read-tree", *args], env=env,
                              capture_output=True, text=True)

    def checkout(self, commit):
        if commit == self.commit:
            return
        os.makedirs(self.dir, exist_ok=True)
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
            old = open(path).read() if os.path.exists(path) else None
            if old != text:
                with open(path, "w") as f:
                    f.write(text)
                os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR |
                         stat.S_IXGRP | stat.S_IXOTH)
        env["PATH"] = self.dir + os.pathsep + self.path
        return env


def recorded_command(out, obj):
    """The compile command kbuild last ran for obj, from its .cmd file
    (cmd_ in 6.1, savedcmd_ since 6.3), or None."""
    d, name = os.path.split(obj)
    path = os.path.join(out, d, "." + name + ".cmd")
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            first = f.readline()
    except OSError:
        return None
    m = re.match(r"^(?:saved)?cmd_%s := (.*)$" % re.escape(obj), first)
    if not m:
        return None
    # Undo kbuild's make-escaping of the saved command.
    cmd = m.group(1).replace("$(pound)", "#").replace("$$", "$")
    return None if "$(" in cmd else cmd


def parse_diagnostics(text, src):
    """({warning}, [errors]) of compiler output, paths as in the tree."""
    lines = [l.replace(src + os.sep, "") for l in text.splitlines()]
    # A warning is the same warning when only its line number moved.
    warnings = {re.sub(r":\d+:\d+:", ":", l) for l in lines
                if ": warning:" in l}
    errors = [l for l in lines if ": error:" in l or
              ": fatal error:" in l]
    return warnings, errors


class ArchBuild:
    """One architecture's allmodconfig O= directory."""

    def __init__(self, src, base_tree, name, spec, jobs, launcher, say,
                 out=None):
        self.src, self.name, self.spec = src, name, spec
        self.jobs, self.say = jobs, say
        self.out = out or os.path.join(ROOT, "%s-%s" % (name, base_tree[:12]))
        compilers = ["gcc"] + ([spec["cross"] + "gcc"] if spec["cross"]
                               else [])
        self.env = launcher.env(compilers)

    def make_args(self, *targets, quiet=True):
        """argv of kbuild for this architecture and O= directory."""
        args = ["make"] + (["-s"] if quiet else []) + [
            "-C", self.src.dir, "O=" + self.out, "ARCH=" + self.spec["arch"],
            "-j", str(self.jobs)]
        if self.spec["cross"]:
            args.append("CROSS_COMPILE=" + self.spec["cross"])
        return args + list(targets)

    def make(self, *targets, check=True, quiet=True):
        proc = subprocess.run(self.make_args(*targets, quiet=quiet),
                              capture_output=True, text=True, env=self.env)
        if check and proc.returncode != 0:
            raise BuildError("%s: make %s failed: %s" % (
                self.name, " ".join(targets), proc.stderr.strip()[-800:]))
        return proc

    def evict_old(self):
        """Keep the KEEP_PER_ARCH most recently used O= dirs of this arch."""
        mine = [os.path.join(ROOT, d) for d in os.listdir(ROOT)
                if d.startswith(self.name + "-") and
                os.path.join(ROOT, d) != self.out]
        mine.sort(key=os.path.getmtime, reverse=True)
        for old in mine[KEEP_PER_ARCH - 1:]:
            self.say("%s: removing old build directory %s" % (self.name,
                                                               old))
            shutil.rmtree(old, ignore_errors=True)

    def setup(self, base):
        """allmodconfig (WERROR off) and prepare, at the base commit."""
        self.src.checkout(base)
        config = os.path.join(self.out, ".config")
        if not os.path.exists(config):
            self.evict_old()
            self.say("%s: allmodconfig in %s" % (self.name, self.out))
            os.makedirs(self.out, exist_ok=True)
            self.make("allmodconfig")
        os.utime(self.out)
        with open(config) as f:
            werror = "CONFIG_WERROR=y" in f.read()
        if werror:
            # allmodconfig turns warnings into errors; a new warning is
            # reported as such (WARN), and an error is a real one (FAIL).
            subprocess.run([os.path.join(self.src.dir, "scripts", "config"),
                            "--file", config, "--disable", "WERROR"],
                           check=True)
            self.make("olddefconfig")
        self.say("%s: prepare" % self.name)
        self.make("prepare")

    def configured(self, cfiles):
        """The files of cfiles this allmodconfig builds.

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
        proc = self.make("-n", "-k", *tops, check=False)
        built = set(re.findall(r"(?:^|\s)-c -o (\S+)\.o(?=\s)", proc.stdout))
        return [f for f in cfiles if f[:-2] in built]

    def remove_objects(self, cfiles):
        """Delete the objects of cfiles from the O= directory."""
        for f in cfiles:
            path = os.path.join(self.out, f[:-2] + ".o")
            if os.path.exists(path):
                os.unlink(path)

    def kbuild_compile(self, cfiles):
        """Build these objects afresh in one make: ({warning}, [errors]).
        The callers ask only for objects configured() found."""
        if not cfiles:
            return set(), []
        self.remove_objects(cfiles)
        proc = self.make("-k", *[f[:-2] + ".o" for f in cfiles], check=False)
        warnings, errors = parse_diagnostics(proc.stderr, self.src.dir)
        if proc.returncode != 0 and not errors:
            errors = [l for l in proc.stderr.splitlines() if l.strip()][-1:]
        return warnings, errors

    def direct_compile(self, cfiles):
        """Run kbuild's recorded compile command of each object, jobs at a
        time: the same compiler invocation kbuild would make, without
        kbuild's seconds of start-up per make.  Returns ({warning},
        [errors], [files without a recorded command])."""
        todo, missing = [], []
        for f in cfiles:
            cmd = recorded_command(self.out, f[:-2] + ".o")
            (todo if cmd else missing).append((f, cmd))

        def run(item):
            return subprocess.run(item[1], shell=True, cwd=self.out,
                                  env=self.env, capture_output=True,
                                  text=True)
        warnings, errors = set(), []
        with concurrent.futures.ThreadPoolExecutor(self.jobs) as pool:
            for (f, _cmd), proc in zip(todo, pool.map(run, todo)):
                w, e = parse_diagnostics(proc.stderr, self.src.dir)
                warnings |= w
                if proc.returncode != 0 and not e:
                    e = ["%s: compiler exit status %d" % (f, proc.returncode)]
                errors += e
        return warnings, errors, [f for f, _c in missing]

    def compile(self, cfiles, kbuild_only=False):
        """({warning}, [errors], seconds) for these files."""
        t0 = time.monotonic()
        warnings, errors, rest = set(), [], list(cfiles)
        if not kbuild_only:
            warnings, errors, rest = self.direct_compile(cfiles)
        w, e = self.kbuild_compile(rest)
        return warnings | w, errors + e, time.monotonic() - t0

    def full(self):
        """The whole allmodconfig build at the current checkout; kbuild
        keeps what it built, so an interrupted run resumes where it
        stopped.  Returns (objects compiled, [errors]); says how far it
        is every 500 objects."""
        args = self.make_args("-k", "all", quiet=False)
        errlog = os.path.join(self.out, ".pgwalk-full-stderr")
        compiled = 0
        with open(errlog, "w") as err:
            proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err,
                                    text=True, env=self.env)
            for line in proc.stdout:
                if re.match(r"^\s+CC(?: \[M\])?\s+\S+\.o$", line.rstrip()):
                    compiled += 1
                    if compiled % 500 == 0:
                        self.say("%s: full build: %d objects compiled" % (
                            self.name, compiled))
            proc.wait()
        with open(errlog) as f:
            stderr = f.read()
        _w, errors = parse_diagnostics(stderr, self.src.dir)
        if proc.returncode != 0 and not errors:
            errors = [l for l in stderr.splitlines() if l.strip()][-1:]
        return compiled, errors

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
        proc = self.make("-n", "-k", "all", check=False, quiet=True)
        # Each object shows up twice: its command, and the line that saves
        # the command into its .cmd file.
        count = len(set(re.findall(r"(?:^|\s)-c -o (\S+\.o)\s",
                                   proc.stdout)))
        with open(stamp, "w") as f:
            f.write("%d\n" % count)
        return count
