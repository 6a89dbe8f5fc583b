#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# bench-git-copy.sh TREE DIR: TREE's files (its .git left out) as the one
# commit of a new git repository in DIR, for the benches to time runs on
# a tree of their own (the copy itself is not timed).
set -e
tree=${1:?usage: bench-git-copy.sh TREE DIR}
dir=${2:?usage: bench-git-copy.sh TREE DIR}
echo "bench: copying $tree into a git repository (not timed)" >&2
mkdir -p "$dir"
tar -C "$tree" --exclude=./.git -cf - . | tar -C "$dir" -xf -
git -C "$dir" init -q
# No automatic gc: after the base commit it would pack 75,000 loose
# objects in the background, during the timed runs.
git -C "$dir" config gc.auto 0
git -C "$dir" add -f -A
git -C "$dir" -c user.name=bench -c user.email=bench@localhost \
	commit -qm base
# The copy leaves a gigabyte of dirty pages; written back during the
# first timed run, they would be counted against it.
sync
