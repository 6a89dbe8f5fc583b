"""verify-build: it names the commits that break the build or add warnings.

Unit tests use tiny fixture trees; one test builds a synthetic three-commit
series on the real tree for x86_64 (the O= directory is cached between
runs, keyed by base commit).
"""

import os
import subprocess


from conftest import REPO, copy_plain_tree, need_real_tree
from pgwalk import build

VERIFY = os.path.join(REPO, "scripts", "verify-build.sh")


def git(tree, *args):
    return subprocess.run(["git", "-C", str(tree), *args], check=True,
                          capture_output=True, text=True).stdout


def commit_all(tree, msg):
    # -f: Debian's kernel tarballs carry a .gitignore that ignores "/*".
    git(tree, "add", "-f", "-A")
    git(tree, "commit", "-qm", msg)
    return git(tree, "rev-parse", "HEAD").strip()


def test_arches_are_data():
    arches = build.load_arches()
    assert set(arches) >= {"x86_64", "arm64", "powerpc", "riscv", "s390"}
    assert arches["s390"] == {"arch": "s390", "cross": "s390x-linux-gnu-",
                              "package": "gcc-s390x-linux-gnu"}
    assert arches["x86_64"]["cross"] == ""


def test_arch_files_only_on_their_arch():
    files = ["mm/a.c", "arch/s390/mm/gmap.c", "arch/x86/mm/pat.c"]
    assert build.for_arch(files, "x86_64") == ["mm/a.c", "arch/x86/mm/pat.c"]
    assert build.for_arch(files, "s390") == ["mm/a.c", "arch/s390/mm/gmap.c"]


def test_header_change_reaches_indirect_includers(tmp_path):
    t = tmp_path / "t"
    (t / "include" / "linux").mkdir(parents=True)
    (t / "mm").mkdir()
    (t / "include" / "linux" / "pagewalk.h").write_text("int a;\n")
    (t / "include" / "linux" / "outer.h").write_text(
        "#include <linux/pagewalk.h>\n")
    (t / "mm" / "direct.c").write_text("#include <linux/pagewalk.h>\n")
    (t / "mm" / "indirect.c").write_text("#include <linux/outer.h>\n")
    (t / "mm" / "other.c").write_text("#include <linux/mm.h>\n")
    git(t, "init", "-q")
    commit_all(t, "base")
    (t / "include" / "linux" / "pagewalk.h").write_text("int b;\n")
    head = commit_all(t, "change")
    assert build.affected(str(t), head) == ["mm/direct.c", "mm/indirect.c"]


def test_bad_input_is_refused(tmp_path):
    t = tmp_path / "t"
    t.mkdir()
    (t / "f").write_text("x\n")
    git(t, "init", "-q")
    commit_all(t, "base")
    r = subprocess.run([VERIFY, "--arch", "vax", str(t), "HEAD~0..HEAD"],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "unknown architecture vax" in r.stderr
    r = subprocess.run([VERIFY, str(t), "HEAD..HEAD"], capture_output=True,
                       text=True)
    assert r.returncode == 1 and "empty range" in r.stderr
    r = subprocess.run([VERIFY, str(t), "nosuch..HEAD"], capture_output=True,
                       text=True)
    assert r.returncode == 1 and "nosuch: not a commit" in r.stderr


def test_real_series_names_the_failing_and_warning_commits(tmp_path):
    """Commit 1 changes a header comment (OK, followed to its includers),
    commit 2 adds a warning to mm/pagewalk.c, commit 3 breaks mm/mincore.c."""
    src = need_real_tree()
    # A plain copy, whatever state the cached tree's own .git is in.
    tree = copy_plain_tree(src, str(tmp_path / "k"))
    subprocess.run(["git", "-C", tree, "init", "-q"], check=True)
    commit_all(tree, "base")
    base = git(tree, "rev-parse", "HEAD").strip()
    hdr = os.path.join(tree, "include", "linux", "pagewalk.h")
    with open(hdr, "a") as f:
        f.write("/* a comment */\n")
    c1 = commit_all(tree, "comment")
    pw = os.path.join(tree, "mm", "pagewalk.c")
    with open(pw, "a") as f:
        f.write("\nint pgwalk_test_fn(void)\n{\n\tint unused;\n\n"
                "\treturn 0;\n}\n")
    c2 = commit_all(tree, "warning")
    mc = os.path.join(tree, "mm", "mincore.c")
    with open(mc, "a") as f:
        f.write("\nthis is not C;\n")
    c3 = commit_all(tree, "error")
    out = tmp_path / "report"
    r = subprocess.run([VERIFY, "--arch", "x86_64", "--out", str(out),
                        tree, "%s..%s" % (base, c3)],
                       capture_output=True, text=True)
    assert r.returncode == 1, r.stderr[-2000:]
    assert (out / "build-report.json").exists(), r.stderr[-2000:]
    import json
    cells = {c["commit"]: c["cells"]["x86_64"] for c in
             json.load(open(out / "build-report.json"))["commits"]}
    assert cells[c1]["status"] == "OK"
    assert "mm/mlock.c" in cells[c1]["objects"]     # includes pagewalk.h
    assert cells[c2]["status"] == "WARN"
    assert any("unused" in w for w in cells[c2]["new_warnings"])
    assert cells[c3]["status"] == "FAIL"
    assert cells[c3]["object"] == "mm/mincore.c"
    assert "error" in cells[c3]["error"]
