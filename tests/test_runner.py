# SPDX-License-Identifier: GPL-2.0
"""runner: every child process starts there, and --verbose shows its
command line."""

import logging

import pytest

from pgwalk import runner

pytestmark = pytest.mark.unit


@pytest.fixture
def quiet_again():
    yield
    runner.LOG.handlers.clear()
    runner.LOG.setLevel(logging.NOTSET)


def test_verbose_shows_each_command_line(capfd, quiet_again):
    runner.verbose(True)
    proc = runner.run(["echo", "a b"], cwd="/")
    assert proc.stdout == "a b\n"
    assert capfd.readouterr().err == "+ cd / && echo 'a b'\n"


def test_silent_unless_asked(capfd, monkeypatch, quiet_again):
    monkeypatch.delenv("PGWALK_VERBOSE", raising=False)
    runner.verbose(False)
    runner.run(["true"])
    assert capfd.readouterr().err == ""


def test_the_environment_asks_too(capfd, monkeypatch, quiet_again):
    monkeypatch.setenv("PGWALK_VERBOSE", "1")
    runner.verbose(False)
    runner.start(["true"]).wait()
    assert capfd.readouterr().err == "+ true\n"


def test_spatch_is_told_its_python(capfd, quiet_again):
    runner.verbose(True)
    proc = runner.run(["spatch", "--version"])
    runner.run(["spatch", "--python", "/usr/bin/python3", "--version"])
    runner.run(["git", "--version"])
    assert proc.returncode == 0 and "spatch version" in proc.stdout
    assert capfd.readouterr().err == (
        "+ spatch --python /usr/bin/python3 --version\n" * 2 +
        "+ git --version\n")
