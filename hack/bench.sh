#!/usr/bin/env bash
# The fleet benchmark (not part of the tests): the scripted way against the operator on H test
# hosts with N MicroVMs; prints one table and writes a convergence chart. Needs root.
# usage: hack/bench.sh [H] [N]   e.g. hack/bench.sh 10 200 (the default); more knobs as -D
# properties in BENCH_OPTS (see src/test/java/io/microvmoperator/bench/BenchSettings.java), e.g.
#   BENCH_OPTS="-Dbench.largeVms=2000 -Dbench.out=docs" hack/bench.sh 2 10
set -euo pipefail
cd "$(dirname "$0")/.."
hosts=${1:-10}
vms=${2:-200}
hack/setup.sh
mvn -B -q -Dspotless.check.skip=true package -DskipTests
# shellcheck disable=SC2086 # BENCH_OPTS holds several -D options
exec mvn -B -q -Dspotless.check.skip=true exec:java -Dexec.classpathScope=test \
  -Dexec.mainClass=io.microvmoperator.bench.FleetBenchmark \
  -Dbench.hosts="$hosts" -Dbench.vms="$vms" ${BENCH_OPTS:-}
