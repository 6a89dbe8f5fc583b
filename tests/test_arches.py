# SPDX-License-Identifier: GPL-2.0
"""scripts/arches.conf: each row names the arch/ directory (SRCARCH) its
kbuild ARCH builds from, and that column is what picks an architecture's
arch/ files; a row without it is one line that names the row."""

import os

import pytest

from conftest import need_real_tree
from pgwalk import errors
from pgwalk.proofs import affected, build

SHIPPED = build.load_arches()
FILES = ["mm/a.c", "arch/s390/mm/gmap.c", "arch/x86/mm/pat.c",
         "arch/sparc/mm/x.c"]


@pytest.mark.unit
def test_shipped_rows_name_the_kernels_source_directories():
    """The kernel's top Makefile: x86_64 and i386 build from arch/x86,
    sparc64 from arch/sparc; the other names are their directories."""
    assert {n: a["srcarch"] for n, a in SHIPPED.items()
            if a["srcarch"] != n} == {"x86_64": "x86", "i386": "x86",
                                      "sparc64": "sparc"}


@pytest.mark.unit
def test_srcarch_picks_the_arch_files():
    assert affected.for_arch(FILES, SHIPPED["x86_64"]["srcarch"]) == \
        ["mm/a.c", "arch/x86/mm/pat.c"]
    assert affected.for_arch(FILES, SHIPPED["sparc64"]["srcarch"]) == \
        ["mm/a.c", "arch/sparc/mm/x.c"]


@pytest.mark.unit
def test_the_column_is_read_not_derived(tmp_path):
    """A row whose SRCARCH is not derivable from its name: the column's
    value is the one used."""
    conf = tmp_path / "arches.conf"
    conf.write_text("# name ARCH SRCARCH CROSS package\n"
                    "x86_64  x86_64  s390  -  gcc\n")
    arches = build.load_arches(str(conf))
    assert arches["x86_64"]["srcarch"] == "s390"
    assert affected.for_arch(FILES, arches["x86_64"]["srcarch"]) == \
        ["mm/a.c", "arch/s390/mm/gmap.c"]


@pytest.mark.unit
def test_a_row_without_srcarch_is_one_line(tmp_path, capsys):
    """A row in the old four-column form: one line naming the file, the
    row and the columns, exit status 1, no traceback."""
    conf = tmp_path / "arches.conf"
    conf.write_text("# a comment\nx86_64  x86_64  x86  -  gcc\n"
                    "arm64   arm64   aarch64-linux-gnu-  "
                    "gcc-aarch64-linux-gnu\n")
    status = errors.run_main("verify-build.sh",
                             lambda: build.load_arches(str(conf)))
    err = capsys.readouterr().err
    assert status == 1
    assert err == ("verify-build.sh: error: %s:3: 4 columns, expected 5 "
                   "(name, kbuild ARCH, SRCARCH, CROSS_COMPILE prefix, "
                   "Debian compiler package): arm64   arm64   "
                   "aarch64-linux-gnu-  gcc-aarch64-linux-gnu\n" % conf)


@pytest.mark.tree
def test_every_srcarch_is_a_directory_of_the_tree():
    tree = need_real_tree()
    missing = [n for n, a in SHIPPED.items()
               if not os.path.isdir(os.path.join(tree, "arch", a["srcarch"]))]
    assert not missing
