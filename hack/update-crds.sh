#!/usr/bin/env bash
# Regenerates the CRD YAML from the API classes and copies it where it is committed.
# CrdDriftTest fails whenever the committed copies differ from what the build generates.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -Dspotless.check.skip=true process-classes
for crd in target/classes/META-INF/fabric8/*-v1.yml; do
  name="$(basename "$crd" -v1.yml)"
  cp "$crd" "crds/$name.yaml"
done
echo "updated: $(ls crds)"
