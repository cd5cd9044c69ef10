#!/usr/bin/env bash
# Regenerates the CRD YAML from the API classes and copies it, unchanged, where it is committed: crds/
# and the Helm chart's files/crds/ (templates/crds.yaml renders them, adding the release's labels and
# the keep policy, so that helm upgrade upgrades them). CrdDriftTest fails whenever a committed copy
# differs from what the build generates.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -Dspotless.check.skip=true process-test-classes
for crd in target/classes/META-INF/fabric8/*-v1.yml; do
  name="$(basename "$crd" -v1.yml)"
  cp "$crd" "crds/$name.yaml"
  cp "$crd" "helm/microvm-operator/files/crds/$name.yaml"
done
echo "updated: $(ls crds) (also in helm/microvm-operator/files/crds)"
