#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages the toolkit needs, and only those missing.
#
# Coccinelle's python rules need libpython3.11, which the coccinelle
# package does not pull in.  ccache makes re-runs of the build check cheap;
# distcc serves --distcc and its test; b4 checks that the series mbox is
# what `b4 am` takes; shellcheck and flake8 serve make lint, pytest-xdist
# runs make check-fast on every core; sparse is verify-build's C=1 check
# (what a commit adds to its parent's diagnostics); the cross compilers
# are those of verify-build.sh's default architectures (it installs
# nothing itself:
# another architecture's compiler is `scripts/install-deps.sh PACKAGE`).
# As non-root, print the exact command and stop.
set -e
PACKAGES="coccinelle libpython3.11 python3 python3-pytest git make gcc perl b4
	  xz-utils flex bison bc libssl-dev libelf-dev ccache distcc sparse
	  qemu-system-x86 busybox-static shellcheck flake8 python3-pytest-xdist
	  gcc-aarch64-linux-gnu gcc-powerpc64-linux-gnu gcc-riscv64-linux-gnu
	  gcc-s390x-linux-gnu"
[ -n "$1" ] && PACKAGES="$PACKAGES $*"

missing=
for p in $PACKAGES; do
	status=$(dpkg-query -W -f '${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*"install ok installed") ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages; run as root:" >&2
	echo "  apt-get install -y$missing" >&2
	exit 1
fi
echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
