#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# apply.sh [--pins FILE] [--jobs N] [--no-checkpatch] TREE [OUTDIR]
#
# Turn a kernel tree into the page-walk locking series: see
# scripts/pgwalk/apply.py for the stages and README.md for the options.
# ${0%/*}, not dirname: one program less to start on every run.
case $0 in */*) here=${0%/*} ;; *) here=. ;; esac
here=$(cd "$here" && pwd)
# Debian's python3 (install-deps.sh): the one on PATH may be a pyenv
# shim, seconds of shell scripts before Python starts.
python=/usr/bin/python3
[ -x "$python" ] || python=python3
PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" exec "$python" -m pgwalk.apply "$@"
