#!/usr/bin/env bash
# The test command: prepares the machine, then runs every unit test (*Test, Surefire) and every
# integration test (*IT, Failsafe) against the real control plane and test hosts, and the Go
# module gitops/conformance (the GitOps tools' own status code on our fixtures). Needs root.
# Extra arguments go to Maven, e.g. hack/test.sh -Dit.test=ControlPlaneIT -Dtest=none
set -euo pipefail
cd "$(dirname "$0")/.."
hack/setup.sh
status=0
mvn -B verify "$@" || status=$?
# How kstatus, Flux's kstatus and Argo CD's Lua VM read every fixture and every live object
# FixtureDriftIT wrote into target/gitops-live (docs/gitops.md); Go modules come from the Go
# module proxy.
echo "gitops/conformance: go test"
(cd gitops/conformance && go test -count=1 -v ./...) || status=$?
if [ "$status" -ne 0 ]; then
  hack/failure-digest.sh
fi
exit "$status"
