# SPDX-License-Identifier: GPL-2.0
"""The test tiers of tests/conftest.py: a test without exactly one fails,
and a unit test that reaches for a kernel tree fails, naming itself.

Each case runs pytest on a scratch directory holding a copy of conftest.py
and a few mis-marked tests, with PGWALK_TREE pointing at a fake tree (so
that a tree test has one and would pass: only the tier makes it fail).
"""

import os
import shutil
import subprocess
import sys

import pytest

from conftest import REPO

pytestmark = pytest.mark.unit

CONFTEST = os.path.join(REPO, "tests", "conftest.py")

TESTS = '''
import pytest

from conftest import need_new_tree, need_real_tree


@pytest.fixture(scope="module")
def kernel(request):
    return need_real_tree()


@pytest.mark.tree
def test_tree_asks(kernel):
    assert kernel


@pytest.mark.unit
def test_unit_uses_the_fixture_already_set_up(kernel):
    pass


@pytest.mark.unit
def test_unit_asks_for_the_tree():
    need_real_tree()


@pytest.mark.unit
def test_unit_asks_for_the_new_tree():
    need_new_tree()


@pytest.mark.unit
def test_unit_asks_nothing():
    pass
'''


def pytest_on(tmp_path, text, *options):
    work = tmp_path / "suite"
    work.mkdir()
    shutil.copy(CONFTEST, work / "conftest.py")
    (work / "test_x.py").write_text(text)
    fake = tmp_path / "linux"
    (fake / "mm").mkdir(parents=True)
    (fake / "mm" / "pagewalk.c").write_text("")
    env = dict(os.environ, PGWALK_TREE=str(fake), PGWALK_TREE_NEW=str(fake))
    xdist = [] if "-n" in options else ["-p", "no:xdist"]
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rA",
                           "-p", "no:cacheprovider", *xdist, *options,
                           "--basetemp", str(tmp_path / "basetemp"),
                           str(work)], cwd=str(work), env=env,
                          capture_output=True, text=True, timeout=60)


def outcome(out, name):
    for line in out.splitlines():
        if line.startswith(("PASSED", "FAILED", "ERROR", "SKIPPED")) and \
                "::%s" % name in line:
            return line.split()[0]
    return None


def test_unit_test_asking_for_a_kernel_tree_fails_loudly(tmp_path):
    r = pytest_on(tmp_path, TESTS)
    out = r.stdout
    assert r.returncode == 1, out
    assert outcome(out, "test_tree_asks") == "PASSED", out
    assert outcome(out, "test_unit_asks_nothing") == "PASSED", out
    assert outcome(out, "test_unit_asks_for_the_tree") == "FAILED", out
    assert "test_x.py::test_unit_asks_for_the_tree is marked unit but " \
        "asks for the real kernel tree (PGWALK_TREE)" in out
    assert outcome(out, "test_unit_asks_for_the_new_tree") == "FAILED", out
    assert "asks for the converted tree (PGWALK_TREE_NEW)" in out
    # Set up by the tree test first: the unit test asks nothing itself.
    assert outcome(out, "test_unit_uses_the_fixture_already_set_up") == \
        "ERROR", out
    assert "test_unit_uses_the_fixture_already_set_up is marked unit but " \
        "uses kernel, which needs a kernel tree" in out
    assert "Traceback" not in out


@pytest.mark.parametrize("options", [[], ["-m", "unit"],
                                     ["-m", "unit", "-n", "2"]],
                         ids=["all", "check-fast", "xdist"])
def test_a_test_without_a_tier_or_with_two_fails(tmp_path, options):
    if "-n" in options:
        pytest.importorskip("xdist")
    r = pytest_on(tmp_path, "import pytest\n\n\n"
                  "def test_none():\n    pass\n\n\n"
                  "@pytest.mark.tree\n@pytest.mark.boot\n"
                  "def test_two():\n    pass\n\n\n"
                  "@pytest.mark.unit\ndef test_one():\n    pass\n",
                  *options)
    out = r.stdout
    assert r.returncode == 1, out + r.stderr
    assert outcome(out, "test_none") == "ERROR", out
    assert "test_x.py::test_none has no tier: each test needs exactly " \
        "one tier marker (unit, tree, build, boot)" in out
    assert outcome(out, "test_two") == "ERROR", out
    assert "test_x.py::test_two has tiers boot, tree" in out
    assert outcome(out, "test_one") == "PASSED", out
