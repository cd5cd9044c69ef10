package io.microvmoperator.bench;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The benchmark's knobs, from system properties ({@code hack/bench.sh} passes them on).
 *
 * @param hosts H, test hosts per fleet ({@code bench.hosts}, 10)
 * @param vms N, MicroVMs spread round-robin over the hosts ({@code bench.vms}, 200)
 * @param syncVms MicroVMs that exist when the cache-sync time is measured ({@code bench.syncVms},
 *     1000; the ones beyond N are suspended)
 * @param largeVms MicroVMs for the second memory figure ({@code bench.largeVms}, 10000; suspended
 *     beyond N)
 * @param quietIntervals how many drift-check intervals (the hosts' probeInterval, 5 s, as in the
 *     tests) the quiet fleet is watched ({@code bench.quietIntervals}, 6)
 * @param operatorJvmFlags JVM flags of the operator process ({@code bench.operatorJvmFlags})
 * @param baseline whether to run the scripted baseline ({@code bench.baseline}, true)
 * @param sharedEvaluation the length of a list every configuration of the fleet's flake sums once
 *     per evaluation ({@code bench.sharedEvaluation}, 0: none), standing for what real NixOS
 *     configurations share and evaluate once per Nix process (nixpkgs, the module system); 300000
 *     costs about 0.6 s and 70 MiB per evaluation here
 * @param out folder for the table and the chart ({@code bench.out}, target/bench)
 */
record BenchSettings(
    int hosts,
    int vms,
    int syncVms,
    int largeVms,
    int quietIntervals,
    List<String> operatorJvmFlags,
    boolean baseline,
    int sharedEvaluation,
    Path out) {

  static final String DEFAULT_JVM_FLAGS =
      "-XX:+UseSerialGC -Xms16m -Xmx64m -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30"
          + " -Xss256k -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=24m";

  static BenchSettings fromSystemProperties() {
    return new BenchSettings(
        Integer.getInteger("bench.hosts", 10),
        Integer.getInteger("bench.vms", 200),
        Integer.getInteger("bench.syncVms", 1000),
        Integer.getInteger("bench.largeVms", 10_000),
        Integer.getInteger("bench.quietIntervals", 6),
        Arrays.stream(System.getProperty("bench.operatorJvmFlags", DEFAULT_JVM_FLAGS).split(" "))
            .filter(flag -> !flag.isBlank())
            .toList(),
        Boolean.parseBoolean(System.getProperty("bench.baseline", "true")),
        Integer.getInteger("bench.sharedEvaluation", 0),
        Path.of(System.getProperty("bench.out", "target/bench")));
  }
}
