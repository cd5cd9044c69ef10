#!/usr/bin/env bash
# The test command: prepares the machine, runs the Go tests of hack/prometheus (the /metrics
# scrape checker, the alert rules of docs/operations.md), then every unit test (*Test, Surefire)
# and every integration test (*IT, Failsafe) against the real control plane and test hosts, and
# the Go module gitops/conformance (the GitOps tools' own status code on our fixtures). Needs root.
# Extra arguments go to Maven, e.g. hack/test.sh -Dit.test=ControlPlaneIT -Dtest=none
set -euo pipefail
cd "$(dirname "$0")/.."
hack/setup.sh
# The Prometheus scrape checker's own tests (Go; PackagedOperatorIT runs it against the jar), and
# the alert rules of docs/operations.md through Prometheus' rule parser (what promtool check rules
# runs), and through promtool itself when hack/promtool-binary.sh has built it.
status=0
echo "test: go test in hack/prometheus and hack/prometheus/rules" >&2
go -C hack/prometheus test -count=1 -v ./... || status=$?
go -C hack/prometheus/rules test -count=1 -v ./... || status=$?
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
