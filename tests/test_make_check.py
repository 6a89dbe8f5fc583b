# SPDX-License-Identifier: GPL-2.0
"""`make check` leaves nothing behind, whether its tests pass or fail.

A run makes gigabytes of kernel tree copies: left in pytest's own
/tmp/pytest-of-$USER, three runs' worth filled a CI machine's disk.  Here
make runs a stand-in for pytest that writes into the --basetemp it is
given, with TMPDIR pointing at a directory of the test's own.
"""

import os
import subprocess

import pytest

from conftest import REPO

pytestmark = pytest.mark.unit

# Records its arguments, fills the --basetemp it was given, and exits
# with $FAKE_STATUS.
FAKE_PYTEST = r'''#!/bin/sh
printf '%s\n' "$@" > "$FAKE_ARGS"
base=
while [ $# -gt 0 ]; do
    [ "$1" = --basetemp ] && base=$2
    shift
done
[ -n "$base" ] || exit 99
mkdir -p "$base/series0/linux" && echo copy > "$base/series0/linux/Makefile"
exit "$FAKE_STATUS"
'''


def make_check(tmp_path, status):
    fake = tmp_path / "fake-pytest"
    fake.write_text(FAKE_PYTEST)
    fake.chmod(0o755)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    tree = tmp_path / "linux"
    tree.mkdir()
    env = dict(os.environ, TMPDIR=str(tmp), FAKE_STATUS=str(status),
               FAKE_ARGS=str(tmp_path / "args"))
    # -o deps: the packages are not this test's business (and a fresh
    # machine would install them).
    r = subprocess.run(["make", "-s", "-C", REPO, "-o", "deps", "check",
                        "PYTEST=%s" % fake, "TREE=%s" % tree,
                        "TREE_NEW=%s" % tree],
                       env=env, capture_output=True, text=True, timeout=60)
    args = (tmp_path / "args").read_text().splitlines()
    return r, args, tmp


@pytest.mark.parametrize("status", [0, 1])
def test_make_check_removes_its_test_files(tmp_path, status):
    r, args, tmp = make_check(tmp_path, status)
    assert (r.returncode == 0) == (status == 0), r.stderr
    base = args[args.index("--basetemp") + 1]
    assert base.startswith(str(tmp) + os.sep), args
    assert not os.path.exists(base)
    assert os.listdir(str(tmp)) == [], "left in TMPDIR: %s" % \
        os.listdir(str(tmp))
