#!/bin/sh
# apply.sh [--pins FILE] [--jobs N] [--no-checkpatch] TREE [OUTDIR]
#
# Turn a kernel tree into the page-walk locking series: see
# scripts/pgwalk/apply.py for the stages and README.md for the options.
here=$(cd "$(dirname "$0")" && pwd)
PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" exec python3 -m pgwalk.apply "$@"
