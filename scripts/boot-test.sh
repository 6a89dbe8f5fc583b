#!/bin/sh
# boot-test.sh [--out DIR] [--jobs N] [--timeout S] [--accel auto|kvm|tcg]
#              [--no-baseline] TREE [REF]
#
# Boot REF (default: the series branch) with lockdep under QEMU, drive every
# converted walker, and check the kernel counted each walk and said nothing
# bad: see scripts/pgwalk/boottest.py.
here=$(cd "$(dirname "$0")" && pwd)
PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" exec python3 -m pgwalk.boottest "$@"
