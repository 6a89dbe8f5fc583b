#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# verify-build.sh [--arch LIST] [--jobs N] [--out DIR] [--full] TREE [RANGE]
#
# Compile what each commit of the series can affect, per architecture,
# and compare its warnings with the base: see scripts/pgwalk/proofs/build.py.
# ${0%/*}, not dirname: one program less to start on every run.
case $0 in */*) here=${0%/*} ;; *) here=. ;; esac
here=$(cd "$here" && pwd)
# Debian's python3 (install-deps.sh): the one on PATH may be a pyenv
# shim, seconds of shell scripts before Python starts.
python=/usr/bin/python3
[ -x "$python" ] || python=python3
PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" exec "$python" -m pgwalk.proofs.build "$@"
