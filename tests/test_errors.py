# SPDX-License-Identifier: GPL-2.0
"""errors.run_main(): every way a run stops is one line on stderr and an
exit status, never a traceback."""

import errno

import pytest

from pgwalk import errors
from pgwalk.errors import PgwalkError, run_main

pytestmark = pytest.mark.unit


class StageError(PgwalkError):
    pass


def stops(capsys, exc, **kw):
    def body():
        raise exc
    rc = run_main("tool.sh", body, **kw)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    return rc, err.strip()


def test_a_stage_error_is_its_message(capsys):
    assert stops(capsys, StageError("x.conf:3: unknown mode FOO")) == \
        (1, "tool.sh: error: x.conf:3: unknown mode FOO")


def test_a_full_disk_names_the_file(capsys):
    rc, line = stops(capsys, OSError(errno.ENOSPC, "No space left on device",
                                     "/out/0001.patch"))
    assert rc == 1
    assert line == "tool.sh: error: No space left on device: /out/0001.patch"


def test_ctrl_c_says_what_it_left(capsys):
    assert stops(capsys, KeyboardInterrupt(),
                 interrupted="the tree is as it was") == \
        (130, "tool.sh: interrupted; the tree is as it was")


def test_a_bug_is_one_line_naming_where(capsys, monkeypatch):
    monkeypatch.delenv("PGWALK_DEBUG", raising=False)
    rc, line = stops(capsys, KeyError("tables"))
    assert rc == errors.EX_SOFTWARE
    assert line.startswith("tool.sh: internal error: KeyError: 'tables' "
                           "(at test_errors.py:")
    assert "PGWALK_DEBUG=1" in line


def test_debug_shows_the_traceback(monkeypatch):
    monkeypatch.setenv("PGWALK_DEBUG", "1")
    with pytest.raises(KeyError):
        run_main("tool.sh", lambda: {}["tables"])


def test_the_body_status_is_returned():
    assert run_main("tool.sh", lambda: 3) == 3
