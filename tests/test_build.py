# SPDX-License-Identifier: GPL-2.0
"""verify-build: it names the commits that break the build or add warnings.

Unit tests use tiny fixture repositories.  The real-tree tests build a
synthetic series on Linux 6.1 for x86_64 and s390 (one commit breaks s390
only), and compile a real object through a distccd on 127.0.0.1.  Their
repository is made without copying the tree (its objects are written from
the cached tree into a temporary bare repo), and has the same base tree
as the series `make` builds, so the cached O= directories serve both.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import REPO, git_init, need_real_tree
from pgwalk import logs
from pgwalk.proofs import affected, build, kbuild, selection_check

VERIFY = os.path.join(REPO, "scripts", "verify-build.sh")
DATES = {"GIT_AUTHOR_DATE": "1700000000 +0000",
         "GIT_COMMITTER_DATE": "1700000000 +0000"}


def git(tree, *args, env=None, inp=None):
    return subprocess.run(["git", "-C", str(tree), *args], check=True,
                          capture_output=True, text=True, env=env,
                          input=inp).stdout


def commit_all(tree, msg):
    # -f: Debian's kernel tarballs carry a .gitignore that ignores "/*".
    git(tree, "add", "-f", "-A")
    git(tree, "commit", "-qm", msg)
    return git(tree, "rev-parse", "HEAD").strip()


def verify(*args):
    return subprocess.run([VERIFY, *args], capture_output=True, text=True)


# ---------------------------------------------------------------- data

@pytest.mark.unit
def test_checkout_removes_an_index_lock_a_killed_run_left(tmp_path,
                                                          monkeypatch):
    """A verify-build killed during read-tree leaves src.index.lock; every
    later run failed on it ("Another git process seems to be running")
    until someone removed it by hand."""
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.c").write_text("int a;\n")
    git_init(tree)
    git(str(tree), "add", "a.c")
    git(str(tree), "commit", "-q", "-m", "a", env=dict(os.environ, **DATES))
    head = git(str(tree), "rev-parse", "HEAD").strip()
    monkeypatch.setattr(kbuild, "ROOT", str(tmp_path / "build"))
    src = kbuild.SourceCheckout(str(tree))
    os.makedirs(kbuild.ROOT)
    open(src.index + ".lock", "w").close()
    src.checkout(head)
    assert (tmp_path / "build" / "src" / "a.c").read_text() == "int a;\n"
    assert not os.path.exists(src.index + ".lock")


@pytest.mark.unit
def test_arches_are_data():
    arches = build.load_arches()
    assert set(build.DEFAULT_ARCHES.split(",")) <= set(arches)
    assert arches["s390"] == {"arch": "s390", "srcarch": "s390",
                              "cross": "s390x-linux-gnu-",
                              "package": "gcc-s390x-linux-gnu"}
    assert arches["x86_64"]["cross"] == ""
    assert arches["openrisc"]["package"] is None


@pytest.mark.unit
def test_arch_without_debian_compiler_is_not_covered(monkeypatch):
    spec = {"arch": "openrisc", "cross": "or1k-nosuch-", "package": None}
    why = build.ensure_compiler("openrisc", spec)
    assert why and "no cross compiler" in why


@pytest.mark.unit
def test_missing_compiler_as_non_root_names_the_package(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    spec = {"arch": "s390", "cross": "nosuch-linux-gnu-",
            "package": "gcc-nosuch-linux-gnu"}
    with pytest.raises(kbuild.BuildError) as e:
        build.ensure_compiler("s390", spec)
    assert "apt-get install -y gcc-nosuch-linux-gnu" in str(e.value)


@pytest.mark.unit
def test_arch_files_only_on_their_arch():
    files = ["mm/a.c", "arch/s390/mm/gmap.c", "arch/x86/mm/pat.c",
             "arch/sparc/mm/x.c"]
    arches = build.load_arches()
    assert affected.for_arch(files, arches["x86_64"]["srcarch"]) == [
        "mm/a.c", "arch/x86/mm/pat.c"]
    assert affected.for_arch(files, arches["s390"]["srcarch"]) == [
        "mm/a.c", "arch/s390/mm/gmap.c"]
    assert affected.for_arch(files, arches["sparc64"]["srcarch"]) == [
        "mm/a.c", "arch/sparc/mm/x.c"]


# ------------------------------------------------- what a commit affects

@pytest.fixture
def small_repo(tmp_path):
    t = tmp_path / "t"
    (t / "include" / "linux").mkdir(parents=True)
    (t / "mm").mkdir()
    (t / "lib").mkdir()
    (t / "tools").mkdir()
    (t / "include" / "linux" / "pagewalk.h").write_text("int a;\n")
    (t / "include" / "linux" / "outer.h").write_text(
        "#include <linux/pagewalk.h>\n")
    (t / "mm" / "direct.c").write_text("#include <linux/pagewalk.h>\n")
    (t / "mm" / "indirect.c").write_text("#include <linux/outer.h>\n")
    (t / "mm" / "other.c").write_text("#include <linux/mm.h>\n")
    (t / "lib" / "walk.c").write_text(
        "int walk_it(int a)\n{\n\treturn a;\n}\n\n"
        "static int helper(int a)\n{\n\treturn a;\n}\n")
    # A caller with its own prototype: no header links it to lib/walk.c.
    (t / "mm" / "caller.c").write_text(
        "extern int walk_it(int a);\nint f(void) { return walk_it(1); }\n")
    (t / "mm" / "helper_user.c").write_text("int helper;\n")
    (t / "tools" / "walk.c").write_text("int walk_it;\n")
    git_init(t)
    commit_all(t, "base")
    return t


def edit_walk_c(t, old, new):
    """Commit lib/walk.c of the small repo with old replaced by new."""
    path = t / "lib" / "walk.c"
    path.write_text(path.read_text().replace(old, new))
    return commit_all(t, "lib/walk.c: " + new)


@pytest.mark.unit
def test_header_change_reaches_indirect_includers(small_repo):
    t = small_repo
    (t / "include" / "linux" / "pagewalk.h").write_text("int b;\n")
    head = commit_all(t, "change")
    assert affected.affected(str(t), head) == ["mm/direct.c",
                                               "mm/indirect.c"]


@pytest.mark.unit
def test_signature_change_reaches_users_of_the_function(small_repo):
    t = small_repo
    head = edit_walk_c(t, "int walk_it(int a)", "int walk_it(int a, int b)")
    assert affected.changed_signatures(str(t), head) == ["walk_it"]
    # tools/ is not kernel code: not built.
    assert affected.affected(str(t), head) == ["lib/walk.c", "mm/caller.c"]


@pytest.mark.unit
def test_static_signature_change_stays_in_its_file(small_repo):
    t = small_repo
    head = edit_walk_c(t, "static int helper(int a)",
                       "static int helper(long a)")
    assert affected.changed_signatures(str(t), head) == []
    assert affected.affected(str(t), head) == ["lib/walk.c"]


@pytest.mark.unit
def test_what_commits_affect_is_kept_by_commit_id(small_repo, tmp_path,
                                                  monkeypatch):
    t = small_repo
    (t / "include" / "linux" / "pagewalk.h").write_text("int b;\n")
    head = commit_all(t, "change")
    monkeypatch.setenv("PGWALK_CACHE", str(tmp_path / "cache"))
    first = affected.of_commits(str(t), [head])
    assert first[head] == {"affected": ["mm/direct.c", "mm/indirect.c"],
                           "changed": ["include/linux/pagewalk.h"],
                           "build_files": []}

    def asked(*args):
        raise AssertionError("git asked again for a commit it answered")
    monkeypatch.setattr(affected, "affected", asked)
    assert affected.of_commits(str(t), [head]) == first
    # With the cache off, the work is done again.
    monkeypatch.setenv("PGWALK_NO_CACHE", "1")
    with pytest.raises(AssertionError, match="asked again"):
        affected.of_commits(str(t), [head])


@pytest.mark.unit
def test_build_files_force_kbuild(small_repo):
    t = small_repo
    (t / "mm" / "Makefile").write_text("obj-y += direct.o\n")
    head = commit_all(t, "makefile")
    assert affected.build_files(affected.changed_files(str(t), head)) == \
        ["mm/Makefile"]


# ------------------------------------------------------- kbuild plumbing

@pytest.mark.unit
def test_recorded_command_undoes_make_escaping(tmp_path):
    (tmp_path / "mm").mkdir()
    (tmp_path / "mm" / ".x.o.cmd").write_text(
        "cmd_mm/x.o := gcc -DA='\"a$$b\"' -DH=$(pound) -c -o mm/x.o x.c\n"
        "\nsource_mm/x.o := x.c\n")
    assert kbuild.recorded_command(str(tmp_path), "mm/x.o") == \
        "gcc -DA='\"a$b\"' -DH=# -c -o mm/x.o x.c"
    (tmp_path / "mm" / ".y.o.cmd").write_text(
        "savedcmd_mm/y.o := gcc $(unknown) -c y.c\n")
    assert kbuild.recorded_command(str(tmp_path), "mm/y.o") is None
    assert kbuild.recorded_command(str(tmp_path), "mm/z.o") is None


@pytest.mark.unit
def test_launcher_wraps_without_recursion(tmp_path, monkeypatch):
    if not shutil.which("ccache"):
        pytest.skip("ccache not installed")
    monkeypatch.setattr(kbuild, "ROOT", str(tmp_path))
    launcher = kbuild.Launcher(use_ccache=True)
    env = launcher.env(["gcc"])
    wrapper = tmp_path / "launch" / "gcc"
    assert "exec ccache gcc" in wrapper.read_text()
    assert env["PATH"].split(os.pathsep)[0] == str(tmp_path / "launch")
    # The wrapper finds the real gcc, not itself.
    r = subprocess.run(["gcc", "--version"], env=env, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0 and "gcc" in r.stdout
    env = kbuild.Launcher(use_ccache=True, distcc_hosts="h/2").env(["gcc"])
    assert env["CCACHE_PREFIX"] == "distcc" and env["DISTCC_HOSTS"] == "h/2"


# -------------------------------------------------- config and progress

@pytest.mark.unit
def test_config_names_and_files(tmp_path):
    tiny = kbuild.config_spec("tinyconfig")
    assert tiny["target"] == "tinyconfig" and tiny["tag"] == "tinyconfig"
    assert kbuild.config_spec("defconfig")["target"] == "defconfig"
    cfg = tmp_path / "my.config"
    cfg.write_text("CONFIG_MMU=y\n")
    spec = kbuild.config_spec(str(cfg))
    assert spec["file"] == str(cfg) and spec["target"] is None
    assert spec["tag"].startswith("file-")
    # An edited file is another build directory.
    cfg.write_text("CONFIG_MMU=y\nCONFIG_SMP=y\n")
    assert kbuild.config_spec(str(cfg))["tag"] != spec["tag"]
    with pytest.raises(kbuild.BuildError) as e:
        kbuild.config_spec("nosuchconfig")
    assert "neither a config file nor one of" in str(e.value)


@pytest.mark.unit
def test_build_directory_is_per_config(tmp_path, monkeypatch):
    monkeypatch.setattr(kbuild, "ROOT", str(tmp_path))
    spec = build.load_arches()["x86_64"]
    dirs = {kbuild.ArchBuild(None, "ab" * 20, "x86_64", spec, 1,
                             kbuild.Launcher(False),
                             config=kbuild.config_spec(c)).out
            for c in ("allmodconfig", "tinyconfig")}
    assert sorted(os.path.basename(d) for d in dirs) == [
        "x86_64-allmodconfig-abababababab", "x86_64-tinyconfig-abababababab"]
    # W=1 records other commands: a directory of its own.
    w1 = kbuild.ArchBuild(None, "ab" * 20, "x86_64", spec, 1,
                          kbuild.Launcher(False), extra_checks=True)
    assert os.path.basename(w1.out) == "x86_64-allmodconfig+W1-abababababab"
    assert w1.extra[:2] == ["W=1", "C=1"]
    assert w1.extra[2] == "CHECK=" + os.path.join(str(tmp_path), "launch",
                                                  "pgwalk-sparse")


@pytest.mark.unit
def test_make_failures_name_the_object():
    stderr = ("kernel/panic.c:12:1: error: expected ';'\n"
              "make[3]: *** [/src/scripts/Makefile.build:250: kernel/panic.o]"
              " Error 1\n"
              "make[2]: *** [/src/scripts/Makefile.build:500: kernel] "
              "Error 2\n"
              "make[1]: *** [/src/Makefile:1992: .] Error 2\n")
    assert kbuild.failed_objects(stderr) == ["kernel/panic.o", "kernel", "."]


@pytest.mark.unit
def test_distcc_fallbacks_are_counted_per_host():
    ab = kbuild.ArchBuild(None, "ab" * 20, "x86_64",
                          build.load_arches()["x86_64"], 1,
                          kbuild.Launcher(False))
    ab.distcc_notes(
        "distcc[1] ERROR: nonblocking connect to 127.0.0.1:9 failed\n"
        "distcc[1] Warning: failed to distribute mm/a.c to 127.0.0.1:9/1, "
        "running locally instead\n"
        "distcc[2] (dcc_build_somewhere) Warning: failed to distribute, "
        "running locally instead\n")
    assert ab.distcc_fallbacks == {
        "127.0.0.1:9": {"unreachable": 1, "ran_here": 1},
        "no host chosen": {"unreachable": 0, "ran_here": 1}}


# ---------------------------------------------- the selection check

RECORD = """cmd_mm/a.o := gcc -Wp,-MMD,mm/.a.o.d -D__KERNEL__ -c -o mm/a.o {src}/mm/a.c

source_mm/a.o := {src}/mm/a.c

deps_mm/a.o := \\
    $(wildcard include/config/FOO) \\
  {src}/include/linux/forced.h \\
  {src}/include/linux/b.h \\
    $(wildcard include/config/BAR) \\
  include/generated/autoconf.h \\

mm/a.o: $(deps_mm/a.o)

$(deps_mm/a.o):
"""  # noqa: E501 (a kbuild record)


@pytest.mark.unit
def test_records_are_read_as_tree_paths(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    (out / "mm").mkdir(parents=True)
    (out / "include" / "generated").mkdir(parents=True)
    (out / "include" / "generated" / "autoconf.h").write_text("")
    (out / "mm" / ".a.o.cmd").write_text(RECORD.format(src=src))
    # An archive: a command, no dependencies.
    (out / "mm" / ".built-in.a.cmd").write_text(
        "cmd_mm/built-in.a := ar cDPrST mm/built-in.a mm/a.o\n")
    records = selection_check.read_records(str(out), str(src))
    # The generated header is not a tree file; config options are no files.
    assert records == {"mm/a.o": ("mm/a.c", {"include/linux/forced.h",
                                             "include/linux/b.h"}, True)}
    found = selection_check.misses(records, ["include/linux/b.h"], set())
    assert found == [("mm/a.o", "mm/a.c", "include/linux/b.h")]
    assert selection_check.misses(records, ["include/linux/b.h"],
                                  {"mm/a.c"}) == []
    assert selection_check.misses(records, ["include/linux/c.h"], set()) == []


@pytest.fixture
def traced_build(tmp_path):
    """A source tree and an O= directory whose record compiles mm/a.c with
    a forced -include, as kbuild does."""
    src, out = tmp_path / "src", tmp_path / "out"
    (src / "include" / "linux").mkdir(parents=True)
    (src / "mm").mkdir()
    (out / "mm").mkdir(parents=True)
    (src / "include" / "linux" / "forced.h").write_text(
        "#include <linux/d.h>\n")
    (src / "include" / "linux" / "d.h").write_text("#define D 1\n")
    (src / "include" / "linux" / "c.h").write_text("int c;\n")
    (src / "include" / "linux" / "b.h").write_text(
        "#include <linux/c.h>\n")
    (src / "mm" / "a.c").write_text("#include <linux/b.h>\nint a;\n")
    cmd = ("gcc -Wp,-MMD,mm/.a.o.d -I{src}/include -include "
           "{src}/include/linux/forced.h -DX='\"x\"' -c -o mm/a.o "
           "{src}/mm/a.c ; true mm/a.o").format(src=src)
    (out / "mm" / ".a.o.cmd").write_text("cmd_mm/a.o := %s\n" % cmd)
    return str(src), str(out)


@pytest.mark.unit
def test_include_path_is_traced_by_the_preprocessor(traced_build):
    src, out = traced_build
    env = dict(os.environ)

    def trace(changed):
        return selection_check.include_path(out, env, "mm/a.o", "mm/a.c",
                                            changed, src)
    assert trace("include/linux/c.h") == \
        "mm/a.c -> include/linux/b.h -> include/linux/c.h"
    assert trace("include/linux/forced.h") == \
        "-include include/linux/forced.h on kbuild's command line"
    assert trace("include/linux/d.h") == \
        "-include include/linux/forced.h -> include/linux/d.h"
    assert trace("include/linux/none.h") is None
    # Tracing writes nothing next to the object (no .d file, no .o).
    assert sorted(os.listdir(os.path.join(out, "mm"))) == [".a.o.cmd"]


# ------------------------------------------------------ the real tree

class RealRepo:
    """A bare repo holding the cached 6.1 tree as its base commit, and
    commits made with plumbing (no work tree, no copy of the kernel)."""

    def __init__(self, src, path):
        self.src, self.path = src, str(path)
        self.index = self.path + ".index"
        git(".", "init", "-q", "--bare", self.path)
        env = self.env(GIT_WORK_TREE=src)
        # -f: Debian's kernel tarballs carry a .gitignore that ignores "/*".
        git(self.path, "add", "-f", "-A", env=env)
        self.base = self.commit(None, "base", {})

    def env(self, **extra):
        return dict(os.environ, GIT_DIR=self.path,
                    GIT_INDEX_FILE=self.index, **DATES, **extra)

    def commit(self, parent, msg, changes):
        """A commit on parent whose files `changes` {path: f(old text)}."""
        env = self.env()
        if parent:
            git(self.path, "read-tree", parent, env=env)
        for path, change in changes.items():
            old = git(self.path, "show", "%s:%s" % (parent, path), env=env)
            blob = git(self.path, "hash-object", "-w", "--stdin",
                       env=env, inp=change(old)).strip()
            git(self.path, "update-index", "--cacheinfo",
                "100644,%s,%s" % (blob, path), env=env)
        tree = git(self.path, "write-tree", env=env).strip()
        return git(self.path, "commit-tree", tree, "-m", msg,
                   *(["-p", parent] if parent else []), env=env).strip()


@pytest.fixture(scope="module")
def real_repo(tmp_path_factory):
    src = need_real_tree()
    return RealRepo(src, tmp_path_factory.mktemp("real") / "k.git")


@pytest.mark.build
def test_real_series_names_the_failing_and_warning_cells(real_repo,
                                                         tmp_path):
    """Commit 1 changes a header (followed to its includers), commit 2 adds
    a warning to mm/pagewalk.c, commit 3 breaks mm/mincore.c on s390 only."""
    r = real_repo
    c1 = r.commit(r.base, "comment", {
        "include/linux/pagewalk.h": lambda t: t + "/* a comment */\n"})
    c2 = r.commit(c1, "warning", {
        "mm/pagewalk.c": lambda t: t + "\nint pgwalk_test_fn(void)\n{\n"
        "\tint unused;\n\n\treturn 0;\n}\n"})
    c3 = r.commit(c2, "s390 error", {
        "mm/mincore.c": lambda t: t + "\n#ifdef CONFIG_S390\n"
        "this is not C;\n#endif\n"})
    out = tmp_path / "report"
    p = verify("--arch", "x86_64,s390", "--out", str(out), r.path,
               "%s..%s" % (r.base, c3))
    assert p.returncode == 1, p.stderr[-3000:]
    report = json.load(open(out / "build-report.json"))
    cells = {c["commit"]: c["cells"] for c in report["commits"]}
    for arch in ("x86_64", "s390"):
        assert cells[c1][arch]["status"] == "OK", cells[c1][arch]
        assert "mm/mlock.c" in cells[c1][arch]["objects"]
        assert cells[c2][arch]["status"] == "WARN"
        assert any("unused" in w for w in cells[c2][arch]["new_warnings"])
    # arch/ files are built on their own architecture only.
    assert "arch/s390/mm/gmap.c" in cells[c1]["s390"]["objects"]
    assert "arch/s390/mm/gmap.c" not in cells[c1]["x86_64"]["objects"]
    # Includes pagewalk.h, but s390 has no memory failure handling: kbuild
    # would compile it if asked by name (and fail); it is not asked.
    assert "mm/memory-failure.c" in cells[c1]["x86_64"]["objects"]
    assert "mm/memory-failure.c" not in cells[c1]["s390"]["objects"]
    assert "mm/memory-failure.c" in report["base"]["s390"]["not_configured"]
    assert cells[c3]["x86_64"]["status"] == "OK"
    assert cells[c3]["s390"]["status"] == "FAIL"
    assert cells[c3]["s390"]["object"] == "mm/mincore.c"
    assert "error" in cells[c3]["s390"]["error"]
    assert "FAIL %s on s390: mm/mincore.c" % c3[:12] in p.stderr
    md = (out / "build-report.md").read_text()
    assert "- %s s390: " % c1[:12] in md and "arch/s390/mm/gmap.c" in md


@pytest.mark.build
def test_base_that_does_not_build_is_not_blamed_on_the_series(real_repo):
    r = real_repo
    broken = r.commit(r.base, "broken base", {
        "mm/mincore.c": lambda t: t + "\nthis is not C;\n"})
    head = r.commit(broken, "series", {
        "mm/mincore.c": lambda t: t + "/* annotated */\n"})
    p = verify("--arch", "x86_64", r.path, "%s..%s" % (broken, head))
    assert p.returncode == 1
    assert "the base %s does not build" % broken[:12] in p.stderr
    assert "not the series' fault" in p.stderr


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------- --full, resume and the selection check

# Only the full build compiles this file: no commit of the series can
# affect it, so no cell's selection holds it.
PLANTED = "kernel/panic.c"
PLANTED_ERROR = '\n#error "planted: only the full build compiles this"\n'
# Reached by every object only through a -include on kbuild's command
# line: no #include line names it, so the includer scan cannot see it.
BLIND_SPOT = "include/linux/compiler-version.h"
# Reached only through a wrapper kbuild generates for x86 (generic-y):
# no file in the tree includes it by this name.
GENERATED_SPOT = "include/asm-generic/kmap_size.h"


def replay(repo, parent, commits, path, change):
    """Copies of `commits` on `parent`, each with `path` changed."""
    env = dict(os.environ, GIT_DIR=repo, GIT_INDEX_FILE=repo + ".index",
               **DATES)
    for c in commits:
        git(repo, "read-tree", c, env=env)
        old = git(repo, "show", "%s:%s" % (c, path), env=env)
        blob = git(repo, "hash-object", "-w", "--stdin", env=env,
                   inp=change(old)).strip()
        git(repo, "update-index", "--cacheinfo",
            "100644,%s,%s" % (blob, path), env=env)
        tree = git(repo, "write-tree", env=env).strip()
        msg = git(repo, "log", "-1", "--format=%B", c, env=env)
        parent = git(repo, "commit-tree", tree, "-p", parent, env=env,
                     inp=msg).strip()
    return parent


def ctrl_c_default():
    """SIGINT as a terminal's verify-build gets it.  A test run started in
    the background (`make check &`, nohup) inherits SIGINT ignored, and
    so would verify-build, make and the compilers: the Ctrl-C the test
    sends would do nothing."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_timed(args, interrupt=None, env=None):
    """verify-build with its stderr lines timed.  interrupt(lines) is
    asked every second; True sends Ctrl-C (SIGINT to the process group,
    as a terminal does).  Returns (status, stdout, stderr, longest time
    without a line)."""
    p = subprocess.Popen([VERIFY, *args], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env,
                         start_new_session=True, preexec_fn=ctrl_c_default)
    lines, t0 = [], time.monotonic()

    def watch():
        while p.poll() is None:
            if interrupt(lines):
                os.killpg(p.pid, signal.SIGINT)
                return
            time.sleep(1)
    if interrupt:
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
    for line in p.stderr:
        lines.append((time.monotonic() - t0, line.rstrip("\n")))
    out = p.stdout.read()
    p.wait(timeout=300)
    stamps = [0.0] + [t for t, _l in lines]
    gap = max(b - a for a, b in zip(stamps, stamps[1:]))
    return p.returncode, out, "\n".join(l for _t, l in lines), gap


def objects_built(out):
    """{object: mtime} of the objects kbuild finished in an O= dir."""
    found = {}
    for d, _subdirs, files in os.walk(out):
        for f in files:
            if f.startswith(".") and f.endswith(".o.cmd"):
                obj = os.path.join(d, f[1:-4])
                if os.path.exists(obj):
                    found[os.path.relpath(obj, out)] = os.stat(obj).st_mtime_ns
    return found


@pytest.fixture(scope="module")
def tiny_full(real_series, tmp_path_factory):
    """The 6.1 series on a base with one planted error, built with --full
    for x86_64 tinyconfig: interrupted once mid-way, then resumed to the
    end.  The only full kernel build of the test suite."""
    work = tmp_path_factory.mktemp("tiny-full")
    tree = real_series["tree"]
    repo = str(work / "k.git")
    git(".", "clone", "-q", "--bare", "--shared", tree, repo)
    base = git(repo, "rev-parse", "HEAD").strip()
    series = git(repo, "rev-list", "--reverse",
                 "HEAD..refs/heads/pgwalk/series").split()
    planted = replay(repo, base, [base], PLANTED,
                     lambda t: t + PLANTED_ERROR)
    head = replay(repo, planted, series, PLANTED,
                  lambda t: t + PLANTED_ERROR)
    rng = "%s..%s" % (planted, head)
    # A cold build directory: the interruption needs objects to build.
    base_tree = git(repo, "rev-parse", planted + "^{tree}").strip()
    outdir = os.path.join(kbuild.ROOT,
                          "x86_64-tinyconfig+W1-" + base_tree[:12])
    shutil.rmtree(outdir, ignore_errors=True)
    args = ["--full", "--config", "tinyconfig", "--arch", "x86_64"]
    state = {"full_from": None}

    def ctrl_c_mid_way(lines):
        if state["full_from"] is None:
            if any("full tinyconfig build of" in l for _t, l in lines):
                state["full_from"] = len(objects_built(outdir))
            return False
        return len(objects_built(outdir)) >= state["full_from"] + 100
    t0 = time.monotonic()
    first = run_timed(args + ["--out", str(work / "first"), repo, rng],
                      interrupt=ctrl_c_mid_way)
    done_first = objects_built(outdir)
    second = run_timed(args + ["--out", str(work / "second"), repo, rng])
    assert os.path.exists(work / "second" / "build-report.json"), \
        "the resumed run wrote no report (exit %d): %s\nthe interrupted " \
        "run (exit %d): %s" % (second[0], second[2][-2000:], first[0],
                               first[2][-2000:])
    with open(work / "second" / "build-report.json") as f:
        report = json.load(f)
    return {"repo": repo, "base": planted, "head": head, "series": series,
            "outdir": outdir, "first": first, "second": second,
            "done_first": done_first, "done_second": objects_built(outdir),
            "report": report, "seconds": time.monotonic() - t0}


@pytest.mark.build
def test_full_tinyconfig_names_the_planted_failure(tiny_full):
    rc, out, err, _gap = tiny_full["second"]
    assert rc == 1, err[-3000:]
    full = tiny_full["report"]["full"]["x86_64"]
    assert tiny_full["report"]["config"] == "tinyconfig"
    assert full["status"] == "FAIL"
    assert full["object"] == "kernel/panic.o", full
    assert "planted" in full["error"]
    assert "FAIL full tinyconfig build on x86_64: kernel/panic.o: " \
        "kernel/panic.c:" in err
    # No cell compiled it: only the full build did.
    for c in tiny_full["report"]["commits"]:
        assert PLANTED not in c["cells"]["x86_64"]["objects"]
        assert c["cells"]["x86_64"]["status"] in ("OK", "n/a")
    # make -k went on: the whole kernel except the planted file was built.
    assert len(tiny_full["done_second"]) > 300
    assert "kernel/panic.o" not in tiny_full["done_second"]
    print("full tinyconfig: %d objects, two runs %.0f s" % (
        len(tiny_full["done_second"]), tiny_full["seconds"]))


@pytest.mark.build
def test_interrupted_full_build_resumes(tiny_full):
    rc, _out, err, _gap = tiny_full["first"]
    assert rc == 130, err[-3000:]
    assert "interrupted" in err and "run the same command again to " \
        "resume" in err
    full = tiny_full["report"]["full"]["x86_64"]
    kept, after = tiny_full["done_first"], tiny_full["done_second"]
    # What the per-commit check compiles again (each cell's objects) is
    # rebuilt; nothing else the interrupted run finished is.
    selected = {f[:-2] + ".o" for c in tiny_full["report"]["commits"]
                for f in c["cells"]["x86_64"]["objects"]}
    rebuilt = sorted(o for o, t in kept.items() if after.get(o) != t)
    assert set(rebuilt) <= selected, rebuilt
    assert full["already"] >= len(kept) - len(rebuilt)
    assert full["compiled"] <= len(after) - len(kept) + len(rebuilt) + 50
    print("resume: %d objects kept from the interrupted run, %d rebuilt "
          "(selection), %d compiled by the second run, %d in all" % (
              len(kept) - len(rebuilt), len(rebuilt), full["compiled"],
              len(after)))


@pytest.mark.build
def test_progress_lines_per_cell_and_during_the_full_build(tiny_full):
    for run in ("first", "second"):
        _rc, _out, err, gap = tiny_full[run]
        assert gap <= 30, "%s run: %.0f s without a line" % (run, gap)
        print("%s run: longest silence %.1f s" % (run, gap))
    err = tiny_full["second"][2]
    # One line per cell as it finishes: commit, objects, seconds (or kept:
    # the same compile answered from the run before), verdict.
    n = len(tiny_full["series"])
    cells = [l for l in err.splitlines()
             if re.search(r"\] x86_64 \d+/%d [0-9a-f]{12}: \d+ objects, "
                          r"([\d.]+ s|kept), (OK|n/a)$" % n, l)]
    assert len(cells) == n, err[-3000:]
    assert re.search(r"x86_64: full tinyconfig build: \d+ s, \d+ objects "
                     r"done", tiny_full["first"][2] + err)


@pytest.mark.build
def test_selection_check_passes_for_the_series(tiny_full):
    check = tiny_full["report"]["selection_check"]["x86_64"]
    assert check["beyond"] > 300
    assert set(check["missed"].values()) == {0}, check["misses"]
    assert "every selection complete" in tiny_full["second"][1]


@pytest.mark.build
def test_selection_check_catches_blind_spots(tiny_full):
    """Changes the includer scan cannot see: one reaching every object
    only through kbuild's -include, one reaching x86 objects only through
    a header kbuild generates (asm/kmap_size.h wraps asm-generic's).  The
    scan selects nothing; kbuild's records name the objects."""
    repo, head = tiny_full["repo"], tiny_full["head"]
    forced = replay(repo, head, [head], BLIND_SPOT,
                    lambda t: t + "#define PGWALK_BLIND_SPOT 1\n")
    generated = replay(repo, forced, [forced], GENERATED_SPOT,
                       lambda t: t + "#define PGWALK_BLIND_SPOT 2\n")
    assert affected.affected(repo, forced) == []
    assert affected.affected(repo, generated) == []
    p = verify("--check-selection", "--config", "tinyconfig", "--arch",
               "x86_64", repo, "%s..%s" % (tiny_full["base"], generated))
    assert p.returncode == 1, p.stderr[-3000:]
    assert re.search(
        r"MISS %s on x86_64: \S+\.o depends on %s \(via -include %s on "
        r"kbuild's command line\)" % (forced[:12], BLIND_SPOT, BLIND_SPOT),
        p.stderr), p.stderr[-3000:]
    assert re.search(
        r"MISS %s on x86_64: \S+\.o depends on %s \(via \S+\.[cS] -> .*"
        r"arch/x86/include/generated/asm/kmap_size.h \(generated\) -> "
        r"%s\)" % (generated[:12], GENERATED_SPOT, GENERATED_SPOT),
        p.stderr), p.stderr[-3000:]
    # The series' own commits still pass.
    assert [l for l in p.stderr.splitlines() if "MISS" in l and
            forced[:12] not in l and generated[:12] not in l] == []


@pytest.mark.unit
def test_check_selection_needs_records_beyond_the_selection(tmp_path):
    """--check-selection where kbuild compiled only the selection (and host
    tools) refuses to call the selection checked."""
    src, out = tmp_path / "src", tmp_path / "out"
    (out / "mm").mkdir(parents=True)
    (out / "mm" / ".a.o.cmd").write_text(RECORD.format(src=src))
    (out / "scripts").mkdir()
    (out / "scripts" / ".host.o.cmd").write_text(
        "cmd_scripts/host.o := gcc -c -o scripts/host.o {src}/scripts/host.c"
        "\n\nsource_scripts/host.o := {src}/scripts/host.c\n\n"
        "deps_scripts/host.o := \\\n  /usr/include/stdio.h \\\n"
        .format(src=src))

    class Arch:
        name, out, env = "x86_64", str(tmp_path / "out"), dict(os.environ)

        class src:
            dir = str(tmp_path / "src")
    lines = []
    with logs.shown(lines.append):
        with pytest.raises(kbuild.BuildError) as e:
            build.check_selection(Arch, ["c1"], {"c1": ["include/linux/b.h"]},
                                  {"c1": {"mm/a.c"}}, True)
        assert "nothing to check the selection against" in str(e.value)
        assert "run with --full once" in str(e.value)
        # Not required (a normal run): said to be unchecked, not complete.
        build.check_selection(Arch, ["c1"], {"c1": ["include/linux/b.h"]},
                              {"c1": {"mm/a.c"}}, False)
        assert lines[-1].endswith(
            "(0 objects beyond the selection), not checked: kbuild has "
            "compiled nothing beyond the selection here (--full once makes "
            "the records)"), lines[-1]
        # Not selected: one object beyond the selection, and it is a miss.
        res = build.check_selection(Arch, ["c1"],
                                    {"c1": ["include/linux/b.h"]},
                                    {"c1": set()}, True)
        assert res["beyond"] == 1 and res["missed"] == {"c1": 1}
        assert res["misses"][0]["object"] == "mm/a.o"


@pytest.mark.build
def test_distcc_spreads_over_two_hosts_and_survives_a_dead_one(tiny_full,
                                                               tmp_path):
    if not shutil.which("distccd"):
        pytest.skip("distcc not installed (make check installs it)")
    repo, head = tiny_full["repo"], tiny_full["head"]
    # Four more commits on the series, in the build directory of the full
    # build: every compile (base, cells) goes through distcc.
    files = ["mm/mincore.c", "mm/mlock.c", "mm/mprotect.c", "mm/mmap.c"]
    touched = head
    for f in files:
        touched = replay(repo, touched, [touched], f,
                         lambda t: t + "/* through distcc */\n")
    ports = [free_port() for _ in range(3)]
    dead = ports.pop()
    daemons, logs = [], []
    for port in ports:
        logs.append(tmp_path / ("distccd-%d.log" % port))
        daemons.append(subprocess.Popen(
            ["distccd", "--no-detach", "--daemon", "--listen", "127.0.0.1",
             "--allow", "127.0.0.1", "--port", str(port), "--log-stderr",
             "--log-level", "info"], stderr=open(logs[-1], "w"),
            start_new_session=True))
    hosts = " ".join("127.0.0.1:%d/1" % p for p in [dead] + ports)
    # distcc's own state (hosts backed off after a failure) stays here.
    (tmp_path / "distcc").mkdir()
    # Caches off: an identical earlier compile (another run of this test)
    # would be kept (build.Kept) and nothing would reach the daemons.
    env = dict(os.environ, DISTCC_DIR=str(tmp_path / "distcc"),
               PGWALK_NO_CACHE="1")
    try:
        time.sleep(1)
        p = subprocess.run(
            [VERIFY, "--config", "tinyconfig", "--arch", "x86_64",
             "--no-ccache", "--jobs", "2", "--distcc", hosts,
             "--out", str(tmp_path / "out"), repo,
             "%s..%s" % (tiny_full["base"], touched)],
            capture_output=True, text=True, env=env)
    finally:
        for d in daemons:
            os.killpg(d.pid, signal.SIGTERM)
            d.wait(timeout=30)
    assert p.returncode == 0, p.stderr[-3000:]
    spread = [log.read_text().count("COMPILE_OK") for log in logs]
    print("distcc: compiles per daemon %s" % spread)
    assert all(n > 0 for n in spread), spread
    for f in files:
        assert any(os.path.basename(f) in log.read_text() for log in logs)
    report = json.load(open(tmp_path / "out" / "build-report.json"))
    # The dead host is named; distcc sent its jobs elsewhere.
    failed = report["distcc_fallbacks"]["x86_64"]
    assert list(failed) == ["127.0.0.1:%d" % dead], failed
    assert failed["127.0.0.1:%d" % dead]["unreachable"] > 0
    assert "distcc on x86_64: 127.0.0.1:%d unreachable" % dead in p.stderr
