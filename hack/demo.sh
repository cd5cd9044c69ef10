#!/usr/bin/env bash
# The local default: prepares the machine, then starts a real control plane and a demo host and
# keeps them running until Ctrl-C. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
hack/setup.sh
# package: the jar and target/kubectl-microvm, the plugin the demo's hints use
mvn -B -q -Dspotless.check.skip=true -DskipTests package
exec mvn -B -q -Dspotless.check.skip=true exec:java -Dexec.classpathScope=test \
  -Dexec.mainClass=io.microvmoperator.testenv.LocalDemo
