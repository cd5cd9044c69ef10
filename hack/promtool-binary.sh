#!/usr/bin/env bash
# Provides promtool of the Prometheus release hack/prometheus/rules/go.mod pins, built once from the
# Go module github.com/prometheus/prometheus through the Go module proxy and cached outside the
# checkout:
#   $MICROVM_OPERATOR_CACHE/promtool/<version>/promtool   (default ~/.cache/microvm-operator)
# Optional: hack/setup.sh does not call it, because a cold build compiles every service discovery
# of Prometheus (cloud SDKs): 9 CPU-minutes, 21 minutes on the shared 2-core test machine. When the
# binary is there, the rules test (hack/prometheus/rules) runs `promtool check rules` too.
# Prints the binary's path on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

version="$(sed -n 's#^\s*github.com/prometheus/prometheus \(v[0-9.]*\).*#\1#p' hack/prometheus/rules/go.mod)"
CACHE="${MICROVM_OPERATOR_CACHE:-$HOME/.cache/microvm-operator}"
bin_dir="$CACHE/promtool/${version:?cannot read the prometheus version of hack/prometheus/rules/go.mod}"

if [ ! -x "$bin_dir/promtool" ]; then
  echo "promtool-binary: building promtool $version into $bin_dir (10 CPU-minutes on a cold cache)" >&2
  mkdir -p "$bin_dir"
  CGO_ENABLED=0 GOBIN="$bin_dir/.build" go install -trimpath \
    "github.com/prometheus/prometheus/cmd/promtool@$version"
  mv "$bin_dir/.build/promtool" "$bin_dir/promtool"
  rmdir "$bin_dir/.build"
else
  echo "promtool-binary: using cached promtool $version in $bin_dir" >&2
fi
echo "$bin_dir/promtool"
