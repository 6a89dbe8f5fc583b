# SPDX-License-Identifier: GPL-2.0
"""Shared test set-up: import path, git identity, the trees tests use, and
the test tiers.

Tests that need the real kernel tree read its path from PGWALK_TREE (the
Makefile's `check` target fetches it); they never write to it: they copy it.

Every test has exactly one tier (a `pytestmark` line per file, or a marker
per test where a file mixes tiers), the heaviest thing it needs:
  unit   no kernel tree, no network, no kernel build, no QEMU (fixtures,
         spatch, gcc on small files): `make check-fast` runs these
  tree   a real kernel tree (PGWALK_TREE 6.1 or PGWALK_TREE_NEW 6.12)
  build  kernel builds (verify-build compiling the real tree)
  boot   kernels booted under QEMU
A test without a tier, or with two, fails (in every run, make check-fast
included); a unit test that asks for a kernel tree fails, naming itself.
"""

import fcntl
import os
import re
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "scripts"))

# Debian's programs first, as on the bookworm machine the README sets up.
# A PATH with other directories before /usr/bin (pyenv's shims, cargo's
# bin) makes every child of every test try each of them first: some
# 50,000 failed execs in one `make check-fast`, and a `python3` that is a
# chain of shell scripts.  Tests that want other programs put their own
# directory first, as before.
os.environ["PATH"] = os.pathsep.join(
    ["/usr/bin", "/bin"] + [d for d in os.environ.get("PATH", "").split(
        os.pathsep) if d and d not in ("/usr/bin", "/bin")])

FIXTURES = os.path.join(REPO, "tests", "fixtures")
APPLY = os.path.join(REPO, "scripts", "apply.sh")
STRIP_WALK_LOCK = os.path.join(REPO, "tests", "cocci", "strip-walk-lock.cocci")
REAL_TREE = os.environ.get(
    "PGWALK_TREE",
    os.path.expanduser("~/.cache/pgwalk-series/linux-source-6.1"))
NEW_TREE = os.environ.get(
    "PGWALK_TREE_NEW",
    os.path.expanduser("~/.cache/pgwalk-series/linux-source-6.12"))

TIERS = {
    "unit": "no kernel tree, no network, no kernel build, no QEMU",
    "tree": "needs a real kernel tree (PGWALK_TREE, PGWALK_TREE_NEW)",
    "build": "builds a real kernel (verify-build)",
    "boot": "boots a kernel under QEMU (boot-test)",
}


def pytest_configure(config):
    for name, what in TIERS.items():
        config.addinivalue_line("markers", "%s: %s" % (name, what))
    # pytest-xdist's, known here too for a run without it.
    config.addinivalue_line("markers", "xdist_group(name): tests that one "
                            "worker runs (they share a costly fixture)")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Before -m selects anything: a test without exactly one tier gets
    the unit tier too, so that every run, make check-fast included, runs
    it, and it fails naming its tiers.  (Failing the test, not stopping
    the run: pytest-xdist's workers would swallow the message.)"""
    for item in items:
        tiers = sorted({m.name for m in item.iter_markers()
                        if m.name in TIERS})
        if len(tiers) != 1:
            item.pgwalk_tier_error = (
                "%s has %s: each test needs exactly one tier marker (%s)" % (
                    item.nodeid, "tiers " + ", ".join(tiers) if tiers else
                    "no tier", ", ".join(TIERS)))
            item.add_marker(pytest.mark.unit)


# The test being run, and the fixtures being set up for it (innermost
# last), so that asking for a kernel tree can say who asked.
_RUNNING = {"item": None, "fixtures": []}
# Fixtures that asked for a kernel tree when they were set up: a unit test
# that uses one later (already set up, so it asks nothing) still fails.
_TREE_FIXTURES = set()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item):
    _RUNNING["item"] = item
    yield
    _RUNNING["item"] = None


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef):
    _RUNNING["fixtures"].append(fixturedef.argname)
    try:
        yield
    finally:
        _RUNNING["fixtures"].pop()


def pytest_runtest_setup(item):
    if hasattr(item, "pgwalk_tier_error"):
        pytest.fail(item.pgwalk_tier_error, pytrace=False)
    if item.get_closest_marker("unit"):
        used = sorted(_TREE_FIXTURES & set(item.fixturenames))
        if used:
            pytest.fail("%s is marked unit but uses %s, which needs a "
                        "kernel tree: mark it tree, build or boot" % (
                            item.nodeid, ", ".join(used)), pytrace=False)


def _kernel_tree(path, what):
    """path, for a test that is not unit tier; else a loud failure."""
    _TREE_FIXTURES.update(_RUNNING["fixtures"])
    item = _RUNNING["item"]
    if item is not None and item.get_closest_marker("unit"):
        pytest.fail("%s is marked unit but asks for %s: unit tests run "
                    "without a kernel tree (make check-fast); mark it tree, "
                    "build or boot" % (item.nodeid, what), pytrace=False)
    if not os.path.isfile(os.path.join(path, "mm", "pagewalk.c")):
        pytest.skip("%s not found at %s (make check fetches it)" % (
            what, path))
    return path


@pytest.fixture(scope="session", autouse=True)
def git_identity(tmp_path_factory):
    """A known identity for Signed-off-by, whatever the machine has.

    Session-wide, so that module-scoped fixtures (which run before any
    function-scoped one) see it too.
    """
    cfg = tmp_path_factory.getbasetemp() / "gitconfig"
    # No automatic gc either: a test's `git am` or `git commit` in a tree
    # that later tests run apply.sh on would pack and prune its objects in
    # the background, under them (test_safety.py::test_a_batch_git_that_
    # dies_is_started_again shows what that did and what copes with it).
    cfg.write_text("[user]\n\tname = Test Maintainer\n"
                   "\temail = maintainer@pgwalk.test\n"
                   "[gc]\n\tauto = 0\n[maintenance]\n\tauto = false\n")
    saved = {k: os.environ.get(k) for k in ("GIT_CONFIG_GLOBAL",
                                            "GIT_CONFIG_NOSYSTEM")}
    os.environ["GIT_CONFIG_GLOBAL"] = str(cfg)
    os.environ["GIT_CONFIG_NOSYSTEM"] = "1"
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def snapshot(tree):
    """Every file under tree with its bytes, to prove nothing changed."""
    out = {}
    for root, dirs, files in os.walk(tree):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                out[os.path.relpath(path, tree)] = f.read()
    return out


def git(tree, *args):
    return subprocess.run(["git", "-C", tree, *args], capture_output=True,
                          text=True, check=True).stdout


# A `git init` made once a session, copied into each tree a test makes a
# repository of: a git process costs some 10 ms here, and the tests make
# some 200 repositories.
_EMPTY_REPOSITORY = {}


@pytest.fixture(scope="session", autouse=True)
def _empty_repository(git_identity, tmp_path_factory):
    path = tmp_path_factory.getbasetemp() / "empty-repository"
    path.mkdir()
    git(str(path), "init", "-q")
    _EMPTY_REPOSITORY["git"] = str(path / ".git")


def git_init(tree):
    """`git init -q` in tree (a copy of the session's empty repository)."""
    shutil.copytree(_EMPTY_REPOSITORY["git"], os.path.join(str(tree), ".git"))


def git_repo(tree, message="base", env=None):
    """tree as a new git repository, everything in it committed."""
    git_init(tree)
    git(str(tree), "add", "-A")
    subprocess.run(["git", "-C", str(tree), "commit", "-qm", message],
                   check=True, capture_output=True, env=env)
    return str(tree)


@pytest.fixture
def minitree(tmp_path):
    """A copy of tests/fixtures/minitree, a tiny imitation of a kernel
    tree (a few files at kernel paths)."""
    tree = tmp_path / "mini tree"   # a space: paths are quoted everywhere
    shutil.copytree(os.path.join(FIXTURES, "minitree"), tree)
    return str(tree)


@pytest.fixture
def minigit(minitree):
    """The minitree as a git repository with one commit."""
    return git_repo(minitree)


# The walkers as a small tree declares them (the analysis reads these), in
# files shaped as a kernel's without walk_lock.
WALKERS_H = os.path.join(FIXTURES, "walkers", "pagewalk.h")
WALKERS_C = os.path.join(FIXTURES, "walkers", "pagewalk.c")


def walker_tree(tree):
    """tree (a pathlib.Path, made here) with the fixture walker core at a
    kernel's paths: include/linux/pagewalk.h, mm/pagewalk.c and a stub
    include/linux/mm.h.  Returns tree."""
    (tree / "mm").mkdir(parents=True)
    (tree / "include" / "linux").mkdir(parents=True)
    (tree / "include" / "linux" / "mm.h").write_text("struct mm_struct;\n")
    shutil.copy(WALKERS_H, tree / "include" / "linux" / "pagewalk.h")
    shutil.copy(WALKERS_C, tree / "mm" / "pagewalk.c")
    return tree


@pytest.fixture(scope="session")
def fixture_facts(tmp_path_factory):
    """The facts of every C fixture of tests/fixtures/constructs/ and
    analysis/, read ahead into the cache the tests' analyses use: each
    rule in one spatch run for all of them.

    A test's analysis of a small tree read its fixture's facts and its
    calls of the walkers with two spatch processes of its own: 60 of the
    245 spatch runs of test_constructs.py and test_analysis.py from an
    empty cache, as on a new machine.  The cache is keyed by a file's
    bytes and the rule's text, so what is read here is what the test
    would have read itself; a test whose tree asks for something else
    (other walkers, a lock helper, a rule taken out, another name) still
    reads that itself.  The files read together here are not those of
    any test's tree, so a rule whose facts about one file depend on the
    others read with it makes a test fail (it did: facts.cocci's
    if-else positions once crossed files).
    """
    from pgwalk.analysis import contract, facts
    lock = None
    if os.environ.get("PYTEST_XDIST_WORKER"):
        # One worker reads; the other waits and finds it all cached.
        lock = open(str(tmp_path_factory.getbasetemp().parent /
                        "fixture-facts.lock"), "w")
        fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        tree = walker_tree(tmp_path_factory.mktemp("fixture-facts") / "t")
        git_repo(str(tree))
        # The walkers of a tree with only the fixture core: those of a
        # test's tree unless its fixture declares more (it is left out).
        walkers = sorted(contract.derive(str(tree)).ops_args())
        files = []
        for kind in ("constructs", "analysis"):
            for name in os.listdir(os.path.join(FIXTURES, kind)):
                if name.endswith(".c"):
                    files.append("mm/%s-%s" % (kind, name))
                    shutil.copy(os.path.join(FIXTURES, kind, name),
                                tree / files[-1])
        git(str(tree), "add", "-A")
        git(str(tree), "commit", "-qm", "fixtures")
        files = sorted(set(files) - set(contract.core_files(str(tree))))
        ex = facts.Extractor(str(tree), walkers, jobs=2)
        ex.collect_base(files)
        ex.collect_calls({rel: set(walkers) for rel in files})
    finally:
        if lock:
            lock.close()


def need_real_tree():
    """The 6.1 tree (PGWALK_TREE); skips when it is missing."""
    return _kernel_tree(REAL_TREE, "the real kernel tree (PGWALK_TREE)")


def need_new_tree():
    """The converted 6.12 tree (PGWALK_TREE_NEW); skips when missing."""
    return _kernel_tree(NEW_TREE, "the converted tree (PGWALK_TREE_NEW)")


# Kernel tree copies made by the module running now (copy_plain_tree).
_COPIES = []


def copy_plain_tree(src, dst, keep=False):
    """Copy a kernel tree without its .git: a plain unpacked tree.  The
    copy is removed when the test module that made it ends, unless keep
    (a session fixture shared by several modules)."""
    os.makedirs(dst, exist_ok=True)
    subprocess.run("tar -C '%s' --exclude=./.git -cf - . | tar -C '%s' -xf -"
                   % (src, dst), shell=True, check=True)
    if not keep:
        _COPIES.append(dst)
    return dst


@pytest.fixture(scope="module", autouse=True)
def _remove_tree_copies():
    """A copy of a kernel tree takes 1.5 to 3 GB: with every copy of the
    tree tier kept to the end, /tmp filled up on a 17 GB machine.  A
    module's copies go when it ends; the tier needs a few at a time."""
    yield
    while _COPIES:
        shutil.rmtree(_COPIES.pop(), ignore_errors=True)


# The C text of a table and of its walk_lock initializer.  Tests only:
# they set up a tree as it was before the conversion, and count what it
# declares independently of the analysis under test.
WALK_LOCK = re.compile(r"^[ \t]*\.walk_lock[ \t]*=[ \t]*([^,\n]+),?[ \t]*\n",
                       re.M)
TABLE = re.compile(r"^[ \t]*(?:static\s+)?(?:const\s+)?struct\s+mm_walk_ops"
                   r"\s+(\w+)\s*=\s*\{(.*?)^[ \t]*\};", re.M | re.S)


def declared_modes(tree):
    """{(file, table): mode or None} straight from the source text."""
    out = {}
    for root, dirs, files in os.walk(tree):
        rel = os.path.relpath(root, tree)
        if rel.split(os.sep)[0] in (".git", "tools", "scripts", "samples",
                                    "Documentation"):
            dirs[:] = []
            continue
        for name in files:
            if not name.endswith(".c"):
                continue
            path = os.path.join(root, name)
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            if "mm_walk_ops" not in text:
                continue
            for m in TABLE.finditer(text):
                mode = WALK_LOCK.search(m.group(2))
                out[(os.path.normpath(os.path.join(rel, name)),
                     m.group(1))] = mode and mode.group(1).strip()
    return out


def spatch_in_place(tree, rule, files, define=("patch",)):
    """Change files (paths in tree) in place with a semantic patch of
    tests/cocci/, run as the toolkit runs its own (pgwalk.cocci.argv:
    the rule's `// Options:` line, -D for each of define)."""
    from pgwalk import cocci, runner
    r = runner.run(cocci.argv(rule, "--in-place", *files, define=define),
                   cwd=str(tree))
    assert r.returncode == 0, "%s: %s" % (rule, r.stderr[-2000:])


def strip_walk_locks(tree, files):
    """Remove every `.walk_lock = ...` initializer of files (paths in
    tree) with tests/cocci/strip-walk-lock.cocci: the tree as it was
    before the conversion.  Returns how many went."""
    files = sorted(files)
    before = sum(count_walk_locks(tree, f) for f in files)
    spatch_in_place(tree, STRIP_WALK_LOCK, files)
    return before - sum(count_walk_locks(tree, f) for f in files)


def count_walk_locks(tree, relpath):
    with open(os.path.join(tree, relpath), encoding="utf-8") as f:
        return f.read().count(".walk_lock")


@pytest.fixture(scope="session")
def real_series(tmp_path_factory):
    """One apply.sh run on a plain copy of the real tree, shared by the
    tests that read the series and those that build or boot it.  A test
    that regenerates the series in this tree puts the branch back."""
    import glob
    import json
    src = need_real_tree()
    work = tmp_path_factory.mktemp("series")
    tree = copy_plain_tree(src, str(work / "linux"), keep=True)
    out = str(work / "out")
    r = run_apply(tree, out)
    assert r.returncode == 0, r.stderr[-3000:]
    with open(os.path.join(out, "decisions.json")) as f:
        decided = json.load(f)
    patches = sorted(glob.glob(os.path.join(out, "0*.patch")))
    return {"tree": tree, "out": out, "work": work, "stderr": r.stderr,
            "decisions": decided, "patches": patches}


@pytest.fixture(scope="session")
def posted_minitree(tmp_path_factory):
    """The minitree posted once from an empty cache and once with the
    caches off (tests/posted.py), for the cache tests to compare with.
    Its tests are one xdist group (make check-fast runs --dist loadgroup):
    one worker makes it."""
    import posted
    return posted.post(tmp_path_factory.mktemp("posted"))


def run_apply(*args, env=None, **kw):
    return subprocess.run([APPLY, *args], capture_output=True, text=True,
                          env=env, **kw)


def checkpatch_of(src, new_texts, tmp_path):
    """checkpatch.pl's output on the diff from src's files to new_texts."""
    work = tmp_path / "checkpatch"
    for relpath, text in new_texts.items():
        (work / "a" / relpath).parent.mkdir(parents=True, exist_ok=True)
        (work / "b" / relpath).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(os.path.join(src, relpath), work / "a" / relpath)
        (work / "b" / relpath).write_text(text)
    diff = subprocess.run(["git", "diff", "--no-index", "a", "b"], cwd=work,
                          capture_output=True, text=True).stdout
    patch = work / "x.patch"
    patch.write_text(diff.replace("a/a/", "a/").replace("b/b/", "b/"))
    return subprocess.run(["perl", "scripts/checkpatch.pl", "--no-signoff",
                           "--no-color", str(patch)], cwd=src,
                          capture_output=True, text=True).stdout
