#!/bin/sh
# Runs the test suite the way the README says: installs the Debian or
# Ubuntu packages the tests compare against (only those missing), then runs
# go test as root, because the kernel tests create their own network
# namespaces (they never touch the host's firewall). It elevates with sudo
# only when it is not already root, so it works in a root shell of a fresh
# container (no sudo there) and as a user with sudo alike. Without root and
# without sudo it runs the tests unprivileged, and those needing root skip
# with a message (or fail under CI=true).
#
# Arguments go to go test; the default is ./... (for example
# ./test.sh -run TestApply ./backends/nftables).
set -eu
cd "$(dirname "$0")"

# The packages the tests use: iptables, nftables, iproute2 and ufw are
# compared against in scratch network namespaces; util-linux (unshare,
# nsenter) and tar build and enter test roots; debootstrap,
# systemd-container and systemd build Debian root filesystems and boot them
# with systemd-nspawn --private-network; time is for the benchmark scripts.
packages="iptables nftables iproute2 ufw util-linux tar debootstrap systemd systemd-container time nfacct rpm man-db git ansible-core"

if [ "$(id -u)" -eq 0 ]; then
	mode=root
elif command -v sudo >/dev/null 2>&1; then
	mode=sudo
else
	mode=none
fi

# as_root runs a command as root. With sudo, env keeps PATH (sudo resets
# it, and go is often outside its secure path), CI, and the calling user's
# module cache, which root then only reads (go mod download below fills it
# as the user), so no root-owned file lands in the user's cache; HOME stays
# root's, so the build cache is root's own.
as_root() {
	if [ "$mode" = root ]; then
		"$@"
	else
		sudo env "PATH=$PATH" "CI=${CI:-}" "GOMODCACHE=$(go env GOMODCACHE)" "$@"
	fi
}

missing=""
for p in $packages; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done

if [ $# -eq 0 ]; then
	set -- ./...
fi

if [ "$mode" = none ]; then
	echo "test.sh: not root and no sudo: running the tests unprivileged; the kernel tests will skip${missing:+, and these packages are missing:$missing}" >&2
	exec go test "$@"
fi

if [ -n "$missing" ]; then
	echo "test.sh: installing$missing" >&2
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	# shellcheck disable=SC2086 # one word per package
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if [ "$mode" = sudo ]; then
	go mod download
fi
as_root go test "$@"
