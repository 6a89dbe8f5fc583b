# SPDX-License-Identifier: GPL-2.0
"""The command line the scripts share: each takes a kernel TREE and
--jobs the same way, and its on/off options are switches (off unless
given), declared as one table of option and help."""

import argparse
import os
import re
import sys


class Parser(argparse.ArgumentParser):
    """argparse's parser, but a bad command line is exit status 1, as
    README says of every bad input (argparse's own is 2), in one line
    after the usage."""

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(1, "%s: error: %s\n" % (self.prog, message))


def parser(prog, description=None, tree_help="kernel source tree"):
    """prog's argument parser, holding TREE and --jobs already."""
    p = Parser(prog=prog, description=description)
    p.add_argument("tree", help=tree_help)
    add_jobs(p)
    return p


def add_jobs(p, **kwargs):
    p.add_argument("--jobs", type=jobs, default=os.cpu_count() or 2,
                   help="jobs run at once (default: the cores, "
                   "%(default)s)", **kwargs)


def jobs(text):
    """--jobs N: a whole number, 1 or more (make -j0 would fail only after
    the checkouts, with make's words)."""
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError("%r: the number of jobs must be a "
                                         "whole number, 1 or more" % text)
    return n


# One DISTCC_HOSTS entry (distcc(1), "HOST SPECIFICATIONS"): localhost,
# HOST[:PORT], @HOST (ssh), with /LIMIT and ,OPTIONS (lzo, cpp) after it;
# or --randomize / --localslots[_cpp]=N.
DISTCC_HOST = re.compile(
    r"^(?:--randomize|--localslots(?:_cpp)?=\d+|"
    r"(?:localhost|(?:[\w.-]+@)?@?(?:[A-Za-z0-9][\w.-]*|\[[0-9A-Fa-f:.]+\])"
    r"(?::\d+)?)(?:/\d+)?(?:,(?:lzo|cpp|auth(?:=[\w.@/-]+)?))*)$")


def distcc_hosts(text):
    """--distcc HOSTS: DISTCC_HOSTS syntax, checked before any checkout
    (a typo is said now, not as a distcc fallback in the report)."""
    hosts = text.split()
    if not hosts:
        raise argparse.ArgumentTypeError("no hosts given")
    for host in hosts:
        if not DISTCC_HOST.match(host):
            raise argparse.ArgumentTypeError(
                "%r: not a distcc host (HOST, HOST:PORT, @HOST, with "
                "/LIMIT and ,lzo or ,cpp after it; see distcc(1))" % host)
    return text


def switches(p, helps):
    """An on/off option for each `option: help` of helps (help None: the
    option's name says it)."""
    for option, text in helps.items():
        p.add_argument(option, action="store_true", help=text)
