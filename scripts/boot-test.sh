#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# boot-test.sh [--out DIR] [--jobs N] [--timeout S] [--accel auto|kvm|tcg]
#              [--no-baseline] TREE [REF]
#
# Boot REF (default: the series branch) with lockdep under QEMU, drive every
# converted walker, and check the kernel counted each walk and said nothing
# bad: see scripts/pgwalk/proofs/boottest.py.
# ${0%/*}, not dirname: one program less to start on every run.
case $0 in */*) here=${0%/*} ;; *) here=. ;; esac
here=$(cd "$here" && pwd)
# Debian's python3 (install-deps.sh): the one on PATH may be a pyenv
# shim, seconds of shell scripts before Python starts.
python=/usr/bin/python3
[ -x "$python" ] || python=python3
PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" exec "$python" -m pgwalk.proofs.boottest "$@"
