# SPDX-License-Identifier: GPL-2.0
"""The command line the scripts share: each takes a kernel TREE and
--jobs the same way, and its on/off options are switches (off unless
given), declared as one table of option and help."""

import argparse
import os


def parser(prog, description=None, tree_help="kernel source tree"):
    """prog's argument parser, holding TREE and --jobs already."""
    p = argparse.ArgumentParser(prog=prog, description=description)
    p.add_argument("tree", help=tree_help)
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 2,
                   help="jobs run at once (default: the cores, %(default)s)")
    return p


def switches(p, helps):
    """An on/off option for each `option: help` of helps (help None: the
    option's name says it)."""
    for option, text in helps.items():
        p.add_argument(option, action="store_true", help=text)
