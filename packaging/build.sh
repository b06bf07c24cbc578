#!/usr/bin/env bash
# Builds the .deb and .rpm packages into dist/ (or $OUT): the static
# binary, the man pages and the completion scripts it generates from its
# own command-line definition, the README and the licence. Needs Go and
# the Go module proxy (nfpm is run at a pinned version); nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."
NFPM=github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2
COMMIT=$(git rev-parse HEAD 2>/dev/null || echo unknown)
# Without a release tag the version is a prerelease of 0.1.0 named after
# the commit's date and hash, which both dpkg and rpm order by time.
if tag=$(git describe --tags --exact-match 2>/dev/null); then
	VERSION=${VERSION:-${tag#v}}
else
	when=$(git log -1 --format=%cd --date=format:%Y%m%d%H%M%S 2>/dev/null || date -u +%Y%m%d%H%M%S)
	VERSION=${VERSION:-0.1.0-dev.$when+g${COMMIT:0:12}}
fi
DATE=$(git log -1 --format=%cd --date=format:%Y-%m-%d 2>/dev/null || date -u +%Y-%m-%d)
ARCH=${ARCH:-$(go env GOARCH)}
OUT=${OUT:-dist}
export VERSION ARCH

rm -rf build
mkdir -p build/man build/completion "$OUT"
CGO_ENABLED=0 GOARCH=$ARCH go build -trimpath -buildvcs=false \
	-ldflags "-s -w -X main.version=$VERSION -X main.commit=$COMMIT" \
	-o build/ruleshift ./cmd/ruleshift
# The generators run on the build machine's architecture.
CGO_ENABLED=0 go build -trimpath -buildvcs=false -o build/gen ./cmd/ruleshift
build/gen __man --date "$DATE" build/man
gzip -9n build/man/*.1
build/gen completion bash >build/completion/ruleshift.bash
build/gen completion zsh >build/completion/_ruleshift
build/gen completion fish >build/completion/ruleshift.fish
for p in deb rpm; do
	go run "$NFPM" package --config packaging/nfpm.yaml --packager "$p" --target "$OUT/"
done
ls -l "$OUT"
