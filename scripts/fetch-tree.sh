#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# fetch-tree.sh [PACKAGE[=VERSION]]: print the path of an unpacked Debian
# kernel tree.
#
# Downloads PACKAGE (default linux-source-6.1; with =VERSION, that version
# of it, kept apart as PACKAGE-VERSION) with apt-get download (no install),
# unpacks its .tar.xz into the cache and reuses it on later runs.
# The cache is outside the repository: it holds kernel source.
set -e
spec=${1:-linux-source-6.1}
pkg=${spec%%=*}
version=
[ "$spec" = "$pkg" ] || version=${spec#*=}
cache=${PGWALK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pgwalk-series}
name=$pkg${version:+-$version}
tree="$cache/$name"
if [ -f "$tree/Makefile" ]; then
	echo "$tree"
	exit 0
fi
mkdir -p "$cache/debs"
cd "$cache/debs"
# A version's .deb is named PACKAGE_VERSION_ARCH.deb (an epoch's colon
# written %3a).
pattern="$pkg"_${version:+$(echo "$version" | sed 's/:/%3a/')_}
if ! ls "$pattern"*.deb >/dev/null 2>&1; then
	echo "fetch-tree: downloading $spec" >&2
	apt-get download "$spec" >&2 2>/dev/null ||
		{ apt-get update -qq >&2 && apt-get download "$spec" >&2; } ||
		{ echo "fetch-tree: cannot download $spec" >&2; exit 1; }
fi
deb=$(printf '%s\n' "$pattern"*.deb | sort -V | tail -n 1)
echo "fetch-tree: unpacking $deb" >&2
tmp="$cache/.unpack.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT INT TERM
dpkg-deb --fsys-tarfile "$deb" | tar -x -O --wildcards '*.tar.xz' |
	tar -xJ -C "$tmp"
# The tarball's top directory is the package name (linux-source-6.1).
mv "$tmp/$pkg" "$tree"
echo "$deb" > "$cache/$name.deb-used"
echo "$tree"
