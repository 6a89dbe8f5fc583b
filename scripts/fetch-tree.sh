#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# fetch-tree.sh [PACKAGE]: print the path of an unpacked Debian kernel tree.
#
# Downloads PACKAGE (default linux-source-6.1) with apt-get download (no
# install), unpacks its .tar.xz into the cache and reuses it on later runs.
# The cache is outside the repository: it holds kernel source.
set -e
pkg=${1:-linux-source-6.1}
cache=${PGWALK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pgwalk-series}
tree="$cache/$pkg"
if [ -f "$tree/Makefile" ]; then
	echo "$tree"
	exit 0
fi
mkdir -p "$cache/debs"
cd "$cache/debs"
if ! ls "$pkg"_*.deb >/dev/null 2>&1; then
	echo "fetch-tree: downloading $pkg" >&2
	apt-get download "$pkg" >&2 2>/dev/null ||
		{ apt-get update -qq >&2 && apt-get download "$pkg" >&2; } ||
		{ echo "fetch-tree: cannot download $pkg" >&2; exit 1; }
fi
deb=$(printf '%s\n' "$pkg"_*.deb | sort -V | tail -n 1)
echo "fetch-tree: unpacking $deb" >&2
tmp="$cache/.unpack.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT INT TERM
dpkg-deb --fsys-tarfile "$deb" | tar -x -O --wildcards '*.tar.xz' |
	tar -xJ -C "$tmp"
# The tarball's top directory is the package name (linux-source-6.1).
mv "$tmp/$pkg" "$tree"
echo "$deb" > "$cache/$pkg.deb-used"
echo "$tree"
