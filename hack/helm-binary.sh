#!/usr/bin/env bash
# Provides the helm binary of the release pinned in pom.xml (helm.version), built once from the Go
# module helm.sh/helm/v3 through the Go module proxy and cached outside the checkout:
#   $MICROVM_OPERATOR_CACHE/helm/<version>/helm   (default ~/.cache/microvm-operator)
# Builds only when it is missing. Prints the binary's path on stdout.
set -euo pipefail

HELM_VERSION="${HELM_VERSION:?set HELM_VERSION (hack/setup.sh reads it from pom.xml)}"
CACHE="${MICROVM_OPERATOR_CACHE:-$HOME/.cache/microvm-operator}"
bin_dir="$CACHE/helm/$HELM_VERSION"

log() { echo "helm-binary: $*" >&2; }

build() {
  log "building helm $HELM_VERSION into $bin_dir (a minute or two on a cold cache)"
  local modfile client_go major minor
  modfile="$(go mod download -json "helm.sh/helm/v3@$HELM_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  # As helm's Makefile does: the Kubernetes version helm assumes by default (helm template,
  # helm lint) follows the client-go it is built with (v0.34.x -> 1.34).
  client_go="$(sed -n 's#^\s*k8s.io/client-go v0\.\([0-9]*\)\..*#\1#p' "$modfile")"
  major=1
  minor="${client_go:?cannot read the client-go version of helm $HELM_VERSION}"
  local ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
  ldflags="$ldflags -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
    ldflags="$ldflags -X $pkg.k8sVersionMajor=$major -X $pkg.k8sVersionMinor=$minor"
  done
  mkdir -p "$bin_dir"
  CGO_ENABLED=0 GOBIN="$bin_dir/.build" go install -trimpath -ldflags "$ldflags" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  mv "$bin_dir/.build/helm" "$bin_dir/helm"
  rmdir "$bin_dir/.build"
}

if [ ! -x "$bin_dir/helm" ]; then
  build
else
  log "using cached helm $HELM_VERSION in $bin_dir"
fi
echo "$bin_dir/helm"
