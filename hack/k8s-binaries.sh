#!/usr/bin/env bash
# Provides kube-apiserver, kubectl (built from the Go modules of one pinned Kubernetes
# release) and etcd (Debian's etcd-server), cached outside the checkout and laid out where
# io.fabric8:kube-api-test finds them in offline mode:
#   $KUBE_API_TEST_DIR/k8s/<version>-linux-amd64/{etcd,kube-apiserver,kubectl}
# (etcd is hack/etcd-loopback.sh, which runs Debian's etcd on loopback only).
# Builds only what is missing. Prints the binaries' folder on stdout.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:?set K8S_VERSION (hack/setup.sh reads it from pom.xml)}"
KUBE_API_TEST_DIR="${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}"
CACHE="${MICROVM_OPERATOR_CACHE:-$HOME/.cache/microvm-operator}"
bin_dir="$KUBE_API_TEST_DIR/k8s/${K8S_VERSION}-linux-amd64"
build_dir="$CACHE/k8s-build/v${K8S_VERSION}"
# Before build() changes the working directory: $0 may be relative.
script_dir="$(cd "$(dirname "$0")" && pwd)"

log() { echo "k8s-binaries: $*" >&2; }

# Not a link to Debian's etcd: a wrapper that makes it listen on loopback only (see the script).
install_etcd() {
  local etcd wrapper
  etcd="$(command -v etcd || true)"
  [ -n "$etcd" ] || { log "etcd not found: install Debian's etcd-server"; exit 1; }
  wrapper="$script_dir/etcd-loopback.sh"
  rm -f "$bin_dir/etcd.tmp"
  sed "s|\${ETCD_BINARY:-/usr/bin/etcd}|$etcd|" "$wrapper" > "$bin_dir/etcd.tmp"
  chmod 755 "$bin_dir/etcd.tmp"
  mv -f "$bin_dir/etcd.tmp" "$bin_dir/etcd"
}

build() {
  local minor="${K8S_VERSION#*.}"
  minor="${minor%%.*}"
  local staging="v0.${K8S_VERSION#*.}"
  mkdir -p "$build_dir"
  cd "$build_dir"
  log "building kube-apiserver and kubectl v$K8S_VERSION in $build_dir (minutes on a cold cache)"
  local modfile
  modfile="$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  {
    echo "module microvm-operator.io/k8s-binaries"
    echo
    echo "go $(sed -n 's/^go //p' "$modfile")"
    echo
    echo "require k8s.io/kubernetes v$K8S_VERSION"
    echo
    echo "replace ("
    sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*#\t\1 => \1 '"$staging"'#p' "$modfile"
    echo ")"
  } >go.mod
  cat >tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  GOFLAGS=-mod=mod go mod tidy -e >/dev/null 2>&1 || true
  local pkg=k8s.io/component-base/version
  local ldflags="-s -w -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags="$ldflags -X $pkg.gitTreeState=clean"
  GOFLAGS=-mod=mod go build -trimpath -ldflags "$ldflags" -o "$bin_dir/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver
  GOFLAGS=-mod=mod go build -trimpath -ldflags "$ldflags" -o "$bin_dir/kubectl.tmp" k8s.io/kubernetes/cmd/kubectl
  mv "$bin_dir/kube-apiserver.tmp" "$bin_dir/kube-apiserver"
  mv "$bin_dir/kubectl.tmp" "$bin_dir/kubectl"
}

mkdir -p "$bin_dir"
if [ ! -x "$bin_dir/kube-apiserver" ] || [ ! -x "$bin_dir/kubectl" ]; then
  build
else
  log "using cached v$K8S_VERSION binaries in $bin_dir"
fi
install_etcd
echo "$bin_dir"
