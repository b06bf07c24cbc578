#!/bin/sh
# Builds the ruleshift.firewall Ansible collection. Its one module is the
# ruleshift binary itself, which speaks Ansible's binary-module protocol:
# this script builds it static (CGO_ENABLED=0, -trimpath) as
# plugins/modules/ruleshift. The binary is never committed (.gitignore).
#
#   ansible/build.sh          build in place, in ansible/ansible_collections
#   ansible/build.sh DIR      copy the collection to
#                             DIR/ansible_collections/ruleshift/firewall and
#                             build there (ANSIBLE_COLLECTIONS_PATH=DIR)
#
# GOOS and GOARCH pass through to go build: GOARCH=arm64 ansible/build.sh
# builds for arm64 managed hosts. A tarball for ansible-galaxy collection
# install: ansible-galaxy collection build --output-path dist
# ansible/ansible_collections/ruleshift/firewall (after this script).
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
src="$here/ansible_collections/ruleshift/firewall"
dest="$src"
if [ $# -gt 0 ]; then
	dest="$1/ansible_collections/ruleshift/firewall"
	mkdir -p "$dest"
	# cp -R src/. copies the tree's contents, dotfiles included.
	cp -R "$src/." "$dest/"
fi
cd "$here/.."
CGO_ENABLED=0 go build -trimpath -o "$dest/plugins/modules/ruleshift" ./cmd/ruleshift
echo "built $dest/plugins/modules/ruleshift"
