#!/usr/bin/env bash
# Regenerates the CRD YAML from the API classes and copies it where it is committed: crds/ and
# the Helm chart's crds/. CrdDriftTest fails whenever a committed copy differs from what the build
# generates.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -Dspotless.check.skip=true process-test-classes
for crd in target/classes/META-INF/fabric8/*-v1.yml; do
  name="$(basename "$crd" -v1.yml)"
  cp "$crd" "crds/$name.yaml"
  cp "$crd" "helm/microvm-operator/crds/$name.yaml"
done
echo "updated: $(ls crds) (also in helm/microvm-operator/crds)"
