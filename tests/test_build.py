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
import shutil
import signal
import socket
import subprocess
import time

import pytest

from conftest import REPO, need_real_tree
from pgwalk import affected, build, kbuild

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

def test_arches_are_data():
    arches = build.load_arches()
    assert set(build.DEFAULT_ARCHES.split(",")) <= set(arches)
    assert arches["s390"] == {"arch": "s390", "cross": "s390x-linux-gnu-",
                              "package": "gcc-s390x-linux-gnu"}
    assert arches["x86_64"]["cross"] == ""
    assert arches["openrisc"]["package"] is None


def test_arch_without_debian_compiler_is_not_covered(monkeypatch):
    spec = {"arch": "openrisc", "cross": "or1k-nosuch-", "package": None}
    why = build.ensure_compiler("openrisc", spec, print)
    assert why and "no cross compiler" in why


def test_missing_compiler_as_non_root_names_the_package(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    spec = {"arch": "s390", "cross": "nosuch-linux-gnu-",
            "package": "gcc-nosuch-linux-gnu"}
    with pytest.raises(kbuild.BuildError) as e:
        build.ensure_compiler("s390", spec, print)
    assert "apt-get install -y gcc-nosuch-linux-gnu" in str(e.value)


def test_arch_files_only_on_their_arch():
    files = ["mm/a.c", "arch/s390/mm/gmap.c", "arch/x86/mm/pat.c",
             "arch/sparc/mm/x.c"]
    assert affected.for_arch(files, "x86_64") == ["mm/a.c",
                                                  "arch/x86/mm/pat.c"]
    assert affected.for_arch(files, "s390") == ["mm/a.c",
                                                "arch/s390/mm/gmap.c"]
    assert affected.for_arch(files, "sparc64") == ["mm/a.c",
                                                   "arch/sparc/mm/x.c"]


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
    git(t, "init", "-q")
    commit_all(t, "base")
    return t


def test_header_change_reaches_indirect_includers(small_repo):
    t = small_repo
    (t / "include" / "linux" / "pagewalk.h").write_text("int b;\n")
    head = commit_all(t, "change")
    assert affected.affected(str(t), head) == ["mm/direct.c",
                                               "mm/indirect.c"]


def test_signature_change_reaches_users_of_the_function(small_repo):
    t = small_repo
    text = (t / "lib" / "walk.c").read_text()
    (t / "lib" / "walk.c").write_text(
        text.replace("int walk_it(int a)", "int walk_it(int a, int b)"))
    head = commit_all(t, "signature")
    assert affected.changed_signatures(str(t), head) == ["walk_it"]
    # tools/ is not kernel code: not built.
    assert affected.affected(str(t), head) == ["lib/walk.c", "mm/caller.c"]


def test_static_signature_change_stays_in_its_file(small_repo):
    t = small_repo
    text = (t / "lib" / "walk.c").read_text()
    (t / "lib" / "walk.c").write_text(
        text.replace("static int helper(int a)", "static int helper(long a)"))
    head = commit_all(t, "static")
    assert affected.changed_signatures(str(t), head) == []
    assert affected.affected(str(t), head) == ["lib/walk.c"]


def test_build_files_force_kbuild(small_repo):
    t = small_repo
    (t / "mm" / "Makefile").write_text("obj-y += direct.o\n")
    head = commit_all(t, "makefile")
    assert affected.build_files_changed(str(t), head) == ["mm/Makefile"]


# ------------------------------------------------------- kbuild plumbing

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


def test_bad_input_is_refused(tmp_path):
    t = tmp_path / "t"
    t.mkdir()
    (t / "f").write_text("x\n")
    git(t, "init", "-q")
    commit_all(t, "base")
    r = verify("--arch", "vax", str(t), "HEAD~0..HEAD")
    assert r.returncode == 1 and "unknown architecture vax" in r.stderr
    r = verify(str(t), "HEAD..HEAD")
    assert r.returncode == 1 and "empty range" in r.stderr
    r = verify(str(t), "nosuch..HEAD")
    assert r.returncode == 1 and "nosuch: not a commit" in r.stderr
    r = verify(str(tmp_path / "missing"), "HEAD..HEAD")
    assert r.returncode == 1 and "not a directory" in r.stderr


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


def test_distcc_compiles_a_real_object_on_localhost(real_repo, tmp_path):
    if not shutil.which("distccd"):
        pytest.skip("distcc not installed (make check installs it)")
    r = real_repo
    head = r.commit(r.base, "touch mincore", {
        "mm/mincore.c": lambda t: t + "/* through distcc */\n"})
    port = free_port()
    log = open(tmp_path / "distccd.log", "w")
    # Listens on 127.0.0.1 only, and only takes jobs from it.
    daemon = subprocess.Popen(
        ["distccd", "--no-detach", "--daemon", "--listen", "127.0.0.1",
         "--allow", "127.0.0.1", "--port", str(port), "--log-stderr",
         "--log-level", "info"], stderr=log, start_new_session=True)
    try:
        p = verify("--arch", "x86_64", "--no-ccache", "--distcc",
                   "127.0.0.1:%d/2" % port, r.path, "%s..%s" % (r.base, head))
        assert p.returncode == 0, p.stderr[-3000:]
        assert "distcc (127.0.0.1:%d/2)" % port in p.stderr
        time.sleep(1)
        text = (tmp_path / "distccd.log").read_text()
        assert "COMPILE_OK" in text and "mincore" in text, text[-2000:]
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait(timeout=30)
        log.close()
