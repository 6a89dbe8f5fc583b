#!/bin/sh
# verify-build.sh [--arch LIST] [--jobs N] [--out DIR] [--full] TREE [RANGE]
#
# Compile what each commit of the series can affect, per architecture,
# and compare its warnings with the base: see scripts/pgwalk/build.py.
here=$(cd "$(dirname "$0")" && pwd)
PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" exec python3 -m pgwalk.build "$@"
