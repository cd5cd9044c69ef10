#!/usr/bin/env bash
# The test command: prepares the machine, runs the Go tests of hack/prometheus (the /metrics
# scrape checker, the alert rules of docs/operations.md), then every unit test
# (*Test, Surefire) and every integration test (*IT, Failsafe) against the real control plane and test hosts. Needs root.
# Extra arguments go to Maven, e.g. hack/test.sh -Dit.test=ControlPlaneIT -Dtest=none
set -euo pipefail
cd "$(dirname "$0")/.."
hack/setup.sh
# The Prometheus scrape checker's own tests (Go; PackagedOperatorIT runs it against the jar), and
# the alert rules of docs/operations.md through Prometheus' rule parser (what promtool check rules
# runs), and through promtool itself when hack/promtool-binary.sh has built it.
echo "test: go test in hack/prometheus and hack/prometheus/rules" >&2
go -C hack/prometheus test -count=1 -v ./...
go -C hack/prometheus/rules test -count=1 -v ./...
status=0
mvn -B verify "$@" || status=$?
if [ "$status" -ne 0 ]; then
  hack/failure-digest.sh
fi
exit "$status"
