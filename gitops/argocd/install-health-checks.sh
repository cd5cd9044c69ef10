#!/bin/sh
# Adds the MicroVM and MicroVMHost health checks to Argo CD: the two keys
# resource.customizations.health.microvm-operator.io_{MicroVM,MicroVMHost} of the ConfigMap
# argocd-cm, written by server-side apply, so that the ConfigMap's other keys stay as they are.
#   gitops/argocd/install-health-checks.sh [NAMESPACE]     (default: argocd; KUBECTL=kubectl)
set -eu
namespace="${1:-argocd}"
kubectl="${KUBECTL:-kubectl}"
dir="$(dirname "$0")/resource_customizations/microvm-operator.io"
"$kubectl" -n "$namespace" create configmap argocd-cm --dry-run=client -o yaml \
  --from-file=resource.customizations.health.microvm-operator.io_MicroVM="$dir/MicroVM/health.lua" \
  --from-file=resource.customizations.health.microvm-operator.io_MicroVMHost="$dir/MicroVMHost/health.lua" |
  "$kubectl" apply --server-side --field-manager=microvm-operator-health-checks -f -
