# SPDX-License-Identifier: GPL-2.0
"""The boot test's kernel: config, census commit, checkout, build, initramfs.

Everything lives in the build cache (kbuild.ROOT), one set per tree base
(VERSION.PATCHLEVEL of the commit), so that alternating between a 6.1 and a
6.12 tree does not rebuild either from scratch:
  boot-src-<base>/       the commit being built (a private checkout: the
                         user's index, HEAD and files are never touched)
  boot-x86_64-<base>/    its O= directory (tinyconfig + fragments)
  boot-objects/          git objects of the census commits (the user's
                         repository only lends its objects, as alternates)
ccache is shared by all of them.

The census (scripts/boot/census/) goes into the kernel as a commit on top
of the commit under test, made with plumbing in boot-objects/: it is built
and booted, never part of the series or of the user's repository.
"""

import gzip
import hashlib
import logging
import os
import shutil
import time

from pgwalk import REPO, gitops, runner
from pgwalk.proofs import kbuild
from pgwalk.proofs.kbuild import BuildError
from pgwalk.progress import step

BOOT = os.path.join(REPO, "scripts", "boot")
CONFIG_DIR = os.path.join(BOOT, "config")
CENSUS_SRC = os.path.join(BOOT, "census", "pgwalk_census.c")
CENSUS_PATH = "mm/pgwalk_census.c"
# Kernel images kept per O= directory (see BootBuild.build).
KEEP_IMAGES = 4
# Trees whose per-VMA lock layout the census reads (pgwalk_census.c).
CENSUS_VMA_LOCKS = ((6, 4), (6, 12))
OBJECTS = os.path.join(kbuild.ROOT, "boot-objects")
LOG = logging.getLogger(__name__)
# Fixed identity and date: the same commit under test gives the same
# census commit, so a rerun checks out (and builds) nothing new.
CENSUS_ENV = {"GIT_AUTHOR_NAME": "pgwalk boot test",
              "GIT_AUTHOR_EMAIL": "boot-test@pgwalk.invalid",
              "GIT_AUTHOR_DATE": "@0 +0000",
              "GIT_COMMITTER_NAME": "pgwalk boot test",
              "GIT_COMMITTER_EMAIL": "boot-test@pgwalk.invalid",
              "GIT_COMMITTER_DATE": "@0 +0000"}


def version_at(tree, ref):
    """(VERSION, PATCHLEVEL) of the top Makefile at ref."""
    fields = {}
    text = gitops.git(tree, "show", "%s:Makefile" % ref)
    for line in text.splitlines()[:12]:
        key, _, value = line.partition("=")
        if key.strip() in ("VERSION", "PATCHLEVEL"):
            fields[key.strip()] = value.strip()
    try:
        return int(fields["VERSION"]), int(fields["PATCHLEVEL"])
    except (KeyError, ValueError):
        raise BuildError("%s: no VERSION/PATCHLEVEL in the top Makefile"
                         % ref[:12])


def parse_version(text):
    if text == "-":
        return None
    major, minor = text.split(".")
    return int(major), int(minor)


def fragments(version, ranges=None):
    """The config fragments for a tree of this version, in order."""
    ranges = ranges or os.path.join(CONFIG_DIR, "ranges.conf")
    out = []
    with open(ranges) as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].split()
            if not line:
                continue
            if len(line) != 3:
                raise BuildError("%s:%d: want 'fragment first last'" % (
                    ranges, n))
            name, first, last = line[0], parse_version(line[1]), \
                parse_version(line[2])
            if (first is None or version >= first) and \
                    (last is None or version <= last):
                out.append(os.path.join(os.path.dirname(ranges), name))
    return out


def object_env(gitdir):
    """New objects go to OBJECTS; the user's are read as alternates."""
    os.makedirs(OBJECTS, exist_ok=True)
    return {"GIT_DIR": gitdir, "GIT_OBJECT_DIRECTORY": OBJECTS,
            "GIT_ALTERNATE_OBJECT_DIRECTORIES":
                os.path.join(gitdir, "objects")}


class Checkout(kbuild.SourceCheckout):
    """kbuild's private checkout, one per tree base, able to see the
    census commits."""

    def __init__(self, tree, base_key):
        super().__init__(tree)
        self.dir = os.path.join(kbuild.ROOT, "boot-src-" + base_key)
        self.index = self.dir + ".index"

    def _read_tree(self, *args):
        env = dict(os.environ, GIT_WORK_TREE=self.dir,
                   GIT_INDEX_FILE=self.index, **object_env(self.gitdir))
        return runner.run(["git", "read-tree", *args], env=env)


def census_commit(tree, gitdir, ref, version):
    """ref + the census (its source and its mm/Makefile lines), as a
    commit in OBJECTS.  Returns (commit, diff of the census)."""
    env = dict(object_env(gitdir), **CENSUS_ENV)
    index = os.path.join(OBJECTS, "census.index.%d" % os.getpid())
    env["GIT_INDEX_FILE"] = index
    try:
        gitops.git(tree, "read-tree", ref, env=env)
        blob = gitops.git(tree, "hash-object", "-w", CENSUS_SRC,
                          env=env).strip()
        makefile = gitops.git(tree, "show", "%s:mm/Makefile" % ref, env=env)
        makefile += "\n# pgwalk boot test: the lock census\n" \
            "obj-y += pgwalk_census.o\n"
        if CENSUS_VMA_LOCKS[0] <= version <= CENSUS_VMA_LOCKS[1]:
            makefile += "CFLAGS_pgwalk_census.o += -DCENSUS_VMA_LOCKS\n"
        mblob = gitops.git(tree, "hash-object", "-w", "--stdin",
                           "--path=mm/Makefile", input=makefile,
                           env=env).strip()
        gitops.git(tree, "update-index", "--add", "--cacheinfo",
                   "100644,%s,%s" % (blob, CENSUS_PATH), env=env)
        gitops.git(tree, "update-index", "--cacheinfo",
                   "100644,%s,mm/Makefile" % mblob, env=env)
        treeid = gitops.git(tree, "write-tree", env=env).strip()
        commit = gitops.git(tree, "commit-tree", treeid, "-p", ref, "-m",
                            "pgwalk boot test: lock census of page walks",
                            env=env).strip()
        diff = gitops.git(tree, "diff", ref, commit, env=env)
    finally:
        if os.path.exists(index):
            os.unlink(index)
    return commit, diff


class BootBuild:
    """x86_64 tinyconfig + fragments, in the O= directory of a tree base."""

    def __init__(self, tree, ref_for_version, jobs):
        self.tree, self.jobs = tree, jobs
        self.version = version_at(tree, ref_for_version)
        self.key = "%d.%d" % self.version
        self.gitdir = gitops.git(tree, "rev-parse",
                                 "--absolute-git-dir").strip()
        self.src = Checkout(tree, self.key)
        self.out = os.path.join(kbuild.ROOT, "boot-x86_64-" + self.key)
        self.fragments = fragments(self.version)
        self.env = kbuild.Launcher().env(["gcc"])
        # Paths relative to the cache in ccache's hash: a new cache
        # (bench-boot's cold run aside) or another base still hits.
        self.env["CCACHE_BASEDIR"] = kbuild.ROOT

    def make(self, *targets):
        args = ["make", "-s", "-C", self.src.dir, "O=" + self.out,
                "ARCH=x86_64", "-j", str(self.jobs)] + list(targets)
        proc = runner.run(args, env=self.env, errors="replace")
        if proc.returncode != 0:
            raise BuildError(kbuild.make_failure("x86_64", targets,
                                                 proc.stderr, self.out))
        return proc

    def fragment_stamp(self):
        h = hashlib.sha256()
        for path in self.fragments:
            with open(path, "rb") as f:
                h.update(path.encode() + b"\0" + f.read())
        return h.hexdigest()

    def configure(self):
        """tinyconfig + the fragments, redone when a fragment changes;
        every line of every fragment must survive olddefconfig."""
        stamp_text = self.fragment_stamp()
        stamp = os.path.join(self.out, ".pgwalk-fragment")
        config = os.path.join(self.out, ".config")
        if os.path.exists(stamp) and os.path.exists(config) and \
                open(stamp).read() == stamp_text:
            return
        os.makedirs(self.out, exist_ok=True)
        LOG.info("boot: tinyconfig + %s", ", ".join(
            os.path.relpath(p, REPO) for p in self.fragments))
        self.make("tinyconfig")
        r = runner.run([os.path.join(self.src.dir, "scripts", "kconfig",
                                     "merge_config.sh"), "-m", "-O",
                        self.out, config] + self.fragments, env=self.env)
        if r.returncode != 0:
            raise BuildError("merge_config.sh failed: %s" % r.stderr[-500:])
        self.make("olddefconfig")
        have = open(config).read().splitlines()
        missing = []
        for path in self.fragments:
            for line in open(path):
                line = line.strip()
                if line.startswith("CONFIG_") and line not in have:
                    missing.append("%s (%s)" % (line, os.path.basename(path)))
                elif line.startswith("# CONFIG_") and line not in have and \
                        any(h.startswith(line[2:].split()[0] + "=")
                            for h in have):
                    missing.append("%s (%s)" % (line, os.path.basename(path)))
        if missing:
            raise BuildError("config fragment lines that do not survive "
                             "olddefconfig on %s (unmet dependencies? a "
                             "range in scripts/boot/config/ranges.conf?): %s"
                             % (self.key, ", ".join(missing)))
        with open(stamp, "w") as f:
            f.write(stamp_text)

    def build(self, ref):
        """bzImage of ref + the census.  Returns (path, census diff).

        The base and the series alternate in one O= directory, so each
        would relink every run: the images of the last few (commit,
        config) pairs are kept, and one of those is not built again."""
        commit, diff = census_commit(self.tree, self.gitdir, ref,
                                     self.version)
        images = os.path.join(self.out, "pgwalk-images")
        kept = os.path.join(images, hashlib.sha256(
            (commit + self.fragment_stamp()).encode()).hexdigest()[:16])
        if os.path.exists(kept):
            os.utime(kept)
            LOG.info("boot: bzImage of %s + census: built before, kept",
                     ref[:12])
            return kept, diff
        with step("boot: checking out %s + census" % ref[:12]):
            self.src.checkout(commit)
        with step("boot: configuring %s" % self.out):
            self.configure()
        t0 = time.monotonic()
        LOG.info("boot: building bzImage of %s + census in %s", ref[:12],
                 self.out)
        with step("boot: bzImage of %s" % ref[:12]):
            self.make("bzImage")
        LOG.info("boot: bzImage in %.0f s", time.monotonic() - t0)
        os.makedirs(images, exist_ok=True)
        shutil.copyfile(os.path.join(self.out, "arch", "x86", "boot",
                                     "bzImage"), kept + ".new")
        os.replace(kept + ".new", kept)
        old = sorted((os.path.join(images, n) for n in os.listdir(images)),
                     key=os.path.getmtime, reverse=True)
        for path in old[KEEP_IMAGES:]:
            os.unlink(path)
        return kept, diff


def gen_init_cpio(tree, ref, outdir, env=None):
    """The tree's own usr/gen_init_cpio (one host C file) at ref, compiled
    with the host gcc into outdir, where it is kept by the source's blob
    id: a tree whose file did not change compiles nothing."""
    blob = gitops.git(tree, "rev-parse", "-q", "--verify",
                      "%s:usr/gen_init_cpio.c" % ref, check=False).strip()
    if not blob:
        raise BuildError("%s: no usr/gen_init_cpio.c at %s: the initramfs "
                         "is made by the tree's own tool" % (tree, ref))
    program = os.path.join(outdir, "pgwalk-gen_init_cpio-" + blob[:12])
    if os.path.exists(program):
        return program
    os.makedirs(outdir, exist_ok=True)
    source = gitops.git(tree, "cat-file", "blob", blob)
    r = runner.run(["gcc", "-O2", "-o", program + ".new", "-x", "c", "-"],
                   input=source, env=env)
    if r.returncode != 0:
        said = r.stderr.strip().splitlines() or ["gcc failed"]
        raise BuildError("usr/gen_init_cpio.c of %s does not compile: %s" % (
            ref, next((l for l in said if "error:" in l), said[-1])))
    os.replace(program + ".new", program)
    return program


# A static busybox (Debian's busybox-static) is the initramfs' userland.
BUSYBOX = "/bin/busybox"
# What the initramfs holds besides its programs: the directories init.sh
# mounts on or writes to, and the console the kernel opens for /init.
INITRAMFS_DIRS = ("/bin", "/dev", "/proc", "/sys", "/tmp")
CONSOLE = "nod /dev/console 0600 0 0 c 5 1"
# Its programs: (name in the image, file in the work directory).
INITRAMFS_FILES = (("/bin/busybox", "busybox"), ("/workload", "workload"),
                   ("/init", "init.sh"))


def initramfs_list():
    """usr/gen_init_cpio's file list (the format its usage text gives) of
    the initramfs; the files are named relative to the work directory,
    which gen_init_cpio runs in (it splits its lines at white space, and
    the work directory's path may hold some)."""
    lines = ["dir %s 0755 0 0" % d for d in INITRAMFS_DIRS] + [CONSOLE]
    lines += ["file %s %s 0755 0 0" % f for f in INITRAMFS_FILES]
    return "\n".join(lines) + "\n"


def make_initramfs(workdir, gen_init_cpio):
    """busybox, scripts/boot/init.sh as /init and the workload, packed by
    gen_init_cpio (the tree's: gen_init_cpio()) and gzipped."""
    busybox = BUSYBOX
    with open(busybox, "rb") as f:
        if b"ld-linux" in f.read(8192):
            raise BuildError("%s is dynamically linked: apt-get install -y "
                             "busybox-static" % busybox)
    workload = os.path.join(workdir, "workload")
    r = runner.run(["gcc", "-static", "-O2", "-Wall", "-Werror", "-o",
                    workload, os.path.join(BOOT, "workload.c")])
    if r.returncode != 0:
        raise BuildError("workload.c does not compile: %s" % r.stderr[-800:])
    for name, target in (("busybox", busybox),
                         ("init.sh", os.path.join(BOOT, "init.sh"))):
        link = os.path.join(workdir, name)
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(target, link)
    archive = pack(gen_init_cpio, workdir, initramfs_list())
    image = os.path.join(workdir, "initramfs.cpio.gz")
    with gzip.open(image, "wb", compresslevel=1) as f:
        f.write(archive)
    return image


def pack(gen_init_cpio, workdir, listing):
    """The newc archive (uncompressed) gen_init_cpio makes of listing, a
    file list whose locations are relative to workdir (it is written
    there as initramfs.list)."""
    path = os.path.join(workdir, "initramfs.list")
    with open(path, "w") as f:
        f.write(listing)
    # -t 0: directories and nodes dated 1970; only the files' own dates
    # change from run to run.
    r = runner.run([gen_init_cpio, "-t", "0", "initramfs.list"],
                   cwd=workdir, text=False)
    if r.returncode != 0:
        said = r.stderr.decode(errors="replace").strip().splitlines()
        raise BuildError("gen_init_cpio failed on %s: %s" % (
            path, said[-1] if said else "exit status %d" % r.returncode))
    return r.stdout
