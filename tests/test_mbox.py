# SPDX-License-Identifier: GPL-2.0
"""series.mbox is mboxrd: a body line that starts with "From " (after
any ">") gets one more ">", so it cannot start a message of its own, and
`git am --patch-format=mboxrd` gives the commit message back as it was."""

import mailbox
import os

import pytest

from conftest import git
from pgwalk.series import mail

pytestmark = pytest.mark.unit

MESSAGE = ("mm: one change\n\n"
           "From here on the walk holds the lock for write.\n"
           ">From a quoted mail.\n"
           "Nothing From the middle of a line.\n\n"
           "Signed-off-by: A B <a@b.org>\n")


def test_from_lines_in_a_body_are_escaped(minigit, tmp_path):
    for n, message in enumerate(("mm: a first change\n", MESSAGE)):
        with open(os.path.join(minigit, "mm", "mincore.c"), "a") as f:
            f.write("/* line %d */\n" % n)
        git(minigit, "commit", "-qam", message)
    out = tmp_path / "out"
    git(minigit, "format-patch", "-q", "-o", str(out), "HEAD~2")
    paths = sorted(str(out / n) for n in os.listdir(out))
    assert len(paths) == 2, paths
    text = open(mail.write_mbox(paths, str(out))).read()
    assert "\n>From here on the walk" in text
    assert "\n>>From a quoted mail." in text
    assert "\nNothing From the middle" in text
    # The separators themselves are left alone.
    assert text.startswith("From ") and text.count("\nFrom ") == 1
    assert len(mailbox.mbox(str(out / mail.MBOX))) == 2

    git(minigit, "reset", "-q", "--hard", "HEAD~2")
    git(minigit, "am", "-q", "--patch-format=mboxrd", str(out / mail.MBOX))
    assert git(minigit, "log", "-1", "--format=%B").rstrip("\n") == \
        MESSAGE.rstrip("\n")
