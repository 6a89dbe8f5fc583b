# SPDX-License-Identifier: GPL-2.0
"""make lint (scripts/lint.sh) on a scratch checkout with mistakes planted
in it: each checker names its finding and the run fails; without them the
same checkout is clean.

The unit test gives lint.sh a stand-in kernel tree whose checkpatch.pl
finds nothing (the shell and Python checkers are under test); the tree
test uses the real tree's checkpatch.pl on planted C.
"""

import os
import shutil
import subprocess

import pytest

from conftest import REPO, need_real_tree

LINT = os.path.join(REPO, "scripts", "lint.sh")

SPDX = "# SPDX-License-Identifier: GPL-2.0\n"
GOOD_SH = '#!/bin/sh\n' + SPDX + 'set -e\necho "$1"\n'
BAD_SH = GOOD_SH.replace('"$1"', '$1')              # SC2086: unquoted
GOOD_PY = SPDX + '"""A module."""\n\nimport os\n\nHERE = os.getcwd()\n'
BAD_PY = GOOD_PY.replace("import os\n", "import os\nimport sys\n")
GOOD_MAKEFILE = SPDX + "all:\n\ttrue\n"
GOOD_COCCI = "// SPDX-License-Identifier: GPL-2.0\n@@\n@@\n- a\n+ b\n"
GOOD_C = ("// SPDX-License-Identifier: GPL-2.0\n"
          "static int answer(void)\n{\n\treturn 42;\n}\n")
BAD_C = GOOD_C.replace("return 42;", "return 42 ;")
# Kernel imitations without a licence line are fine among the fixtures.
FIXTURE_C = GOOD_C.split("\n", 1)[1]


def checkout(tmp_path, files):
    """A scratch checkout: the repository's lint settings and `files`."""
    work = tmp_path / "checkout"
    for relpath, text in files.items():
        path = work / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    shutil.copy(os.path.join(REPO, ".flake8"), work / ".flake8")
    return work


def lint(work, tree):
    return subprocess.run([LINT, "--tree", str(tree), str(work)],
                          capture_output=True, text=True, timeout=600)


@pytest.mark.unit
def test_lint_fails_on_a_shellcheck_and_a_flake8_finding(tmp_path):
    stand_in = tmp_path / "linux"
    (stand_in / "scripts").mkdir(parents=True)
    (stand_in / "scripts" / "checkpatch.pl").write_text("exit 0;\n")
    files = {"scripts/good.sh": GOOD_SH, "scripts/pgwalk/good.py": GOOD_PY,
             "tests/test_good.py": GOOD_PY}
    work = checkout(tmp_path, files)
    r = lint(work, stand_in)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "lint: clean" in r.stderr

    (work / "scripts" / "bad.sh").write_text(BAD_SH)
    (work / "scripts" / "pgwalk" / "bad.py").write_text(BAD_PY)
    # The Python the semantic patches import (their emit()).
    (work / "semantic-patches").mkdir()
    (work / "semantic-patches" / "bad.py").write_text(BAD_PY)
    r = lint(work, stand_in)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "In scripts/bad.sh line 4:" in r.stdout
    assert "SC2086" in r.stdout
    assert "scripts/pgwalk/bad.py:5:1: F401 'sys' imported but unused" in \
        r.stdout
    assert "semantic-patches/bad.py:5:1: F401" in r.stdout
    assert "good" not in r.stdout
    assert "lint: clean" not in r.stderr


@pytest.mark.tree
def test_lint_fails_on_a_checkpatch_finding(tmp_path):
    files = {"reference/good.c": GOOD_C, "scripts/boot/good.c": GOOD_C,
             "tests/fixtures/x/mm/imitation.c": FIXTURE_C}
    work = checkout(tmp_path, files)
    tree = need_real_tree()
    r = lint(work, tree)
    assert r.returncode == 0, r.stdout + r.stderr

    (work / "reference" / "bad.c").write_text(BAD_C)
    # The licence line may be missing in fixtures only.
    (work / "scripts" / "boot" / "nolicence.c").write_text(FIXTURE_C)
    r = lint(work, tree)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "reference/bad.c:4: WARNING: space prohibited before semicolon" \
        in r.stdout
    assert "scripts/boot/nolicence.c:1: WARNING: Missing or malformed " \
        "SPDX-License-Identifier" in r.stdout
    assert "good.c" not in r.stdout and "imitation.c" not in r.stdout


@pytest.mark.unit
def test_lint_fails_on_a_source_file_without_a_licence_line(tmp_path):
    stand_in = tmp_path / "linux"
    (stand_in / "scripts").mkdir(parents=True)
    (stand_in / "scripts" / "checkpatch.pl").write_text("exit 0;\n")
    files = {"scripts/good.sh": GOOD_SH, "scripts/pgwalk/good.py": GOOD_PY,
             "tests/test_good.py": GOOD_PY, "Makefile": GOOD_MAKEFILE,
             "semantic-patches/good.cocci": GOOD_COCCI,
             # Imitations of kernel files keep the kernel's line numbers.
             "tests/fixtures/x/Makefile": "obj-y += x.o\n"}
    work = checkout(tmp_path, files)
    r = lint(work, stand_in)
    assert r.returncode == 0, r.stdout + r.stderr

    bare = {"scripts/bare.sh": GOOD_SH.replace(SPDX, ""),
            "scripts/pgwalk/bare.py": GOOD_PY.replace(SPDX, ""),
            "Makefile": GOOD_MAKEFILE.replace(SPDX, ""),
            "semantic-patches/bare.cocci": GOOD_COCCI.split("\n", 1)[1],
            # Below the first line of a script: not where it belongs.
            "scripts/late.sh": "#!/bin/sh\nset -e\n" + SPDX}
    for relpath, text in bare.items():
        (work / relpath).write_text(text)
    r = lint(work, stand_in)
    assert r.returncode == 1, r.stdout + r.stderr
    for relpath in bare:
        assert "%s:1: no SPDX-License-Identifier: GPL-2.0 line" % relpath \
            in r.stdout.splitlines(), r.stdout
    assert "good" not in r.stdout and "fixtures" not in r.stdout


@pytest.mark.unit
def test_every_environment_variable_is_in_the_readme_table():
    """The README's one table of PGWALK_* variables names every one the
    scripts and rules read (a new one added without a row fails)."""
    import glob
    import re
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    read = re.compile(r"""environ(?:\.get\(|\[)\s*["'](PGWALK_\w+)|"""
                      r"""\$\{?(PGWALK_\w+)""")
    found = set()
    for pattern in ("scripts/**/*.py", "scripts/*.sh",
                    "semantic-patches/*.cocci", "Makefile"):
        for path in glob.glob(os.path.join(root, pattern), recursive=True):
            with open(path, encoding="utf-8") as f:
                for m in read.finditer(f.read()):
                    found.add(m.group(1) or m.group(2))
    with open(os.path.join(root, "README.md"), encoding="utf-8") as f:
        rows = [line for line in f if line.startswith("| `")]
    missing = sorted(v for v in found
                     if not any("`%s" % v in row for row in rows))
    assert found and missing == [], missing
