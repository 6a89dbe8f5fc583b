# SPDX-License-Identifier: GPL-2.0
"""Every child process (git, spatch, perl, make, qemu) starts here.

One place that logs each command line: `-v` on a script (or
PGWALK_VERBOSE=1) shows them on stderr, as b4 does, so that a maintainer
can re-run by hand whatever step surprised them.
"""

import logging
import os
import shlex
import subprocess

LOG = logging.getLogger("pgwalk.run")

# spatch asks `python3` on PATH where its Python lives: under pyenv or a
# virtualenv that is a chain of shell scripts (some 80 processes, 2 s of
# CPU for each spatch run, most of a small file's cost).  Debian's spatch
# embeds Debian's libpython, whose interpreter is this one.
SPATCH_PYTHON = "/usr/bin/python3"


def verbose(on=True):
    """Show every command line on stderr (the scripts' -v)."""
    if not on and os.environ.get("PGWALK_VERBOSE") != "1":
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("+ %(message)s"))
    LOG.addHandler(handler)
    LOG.setLevel(logging.DEBUG)


def _said(argv, cwd):
    if LOG.isEnabledFor(logging.DEBUG):
        LOG.debug("%s%s", "cd %s && " % shlex.quote(cwd) if cwd else "",
                  argv if isinstance(argv, str) else
                  shlex.join(str(a) for a in argv))


def _argv(argv):
    """argv, with spatch told its Python (see SPATCH_PYTHON).  A string
    is a shell command line (kbuild's recorded commands) and is left
    as it is."""
    if isinstance(argv, str):
        return argv
    argv = list(argv)
    if argv and argv[0] == "spatch" and "--python" not in argv and \
            os.path.exists(SPATCH_PYTHON):
        argv[1:1] = ["--python", SPATCH_PYTHON]
    return argv


def run(argv, cwd=None, env=None, input=None, **kwargs):
    """Run argv to its end (a CompletedProcess); its output captured as
    text unless kwargs send it elsewhere (stdout=..., text=False)."""
    argv = _argv(argv)
    _said(argv, cwd)
    opts = {"text": True}
    if "stdout" not in kwargs and "stderr" not in kwargs:
        opts["capture_output"] = True
    opts.update(kwargs)
    return subprocess.run(argv, cwd=cwd, env=env, input=input, **opts)


def start(argv, cwd=None, env=None, **kwargs):
    """Start argv and return its Popen, for output read as it comes
    (kbuild's progress, a booting kernel's console)."""
    argv = _argv(argv)
    _said(argv, cwd)
    return subprocess.Popen(argv, cwd=cwd, env=env, **kwargs)
