package io.microvmoperator.bench;

import static io.microvmoperator.bench.FleetBenchmark.NAMESPACE;
import static io.microvmoperator.bench.FleetBenchmark.PROBE_INTERVAL;
import static io.microvmoperator.bench.FleetBenchmark.log;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMHost;
import io.microvmoperator.api.MicroVMStatus;
import io.microvmoperator.testenv.Commands;
import io.microvmoperator.testenv.OperatorHarness;
import io.microvmoperator.testenv.OperatorProcess;
import io.microvmoperator.testenv.Sleep;
import io.microvmoperator.testenv.TestHost;
import io.microvmoperator.testenv.TestHosts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;

/** The operator's side of the benchmark, on one fleet, with the packaged jar as its own process. */
final class OperatorRun {

  private static final int SYNC_RUNS = 3;

  private final BenchSettings settings;
  private final KubernetesClient client;
  private final TestHosts hosts;
  private final Path kubeconfig;
  private final Path root;
  private final Results results;

  OperatorRun(
      BenchSettings settings,
      KubernetesClient client,
      TestHosts hosts,
      Path kubeconfig,
      Path root,
      Results results) {
    this.settings = settings;
    this.client = client;
    this.hosts = hosts;
    this.kubeconfig = kubeconfig;
    this.root = root;
    this.results = results;
  }

  void run(FleetBenchmark bench) throws Exception {
    String flake = bench.flakeRef(bench.firstRevision());
    // Closed by the benchmark once the hosts and the control plane are gone (a group in use stays).
    Optional<CpuMeter> hostsCpu = bench.meter("operator-hosts");
    Optional<CpuMeter> operatorCpu = bench.meter("operator");
    Optional<CpuMeter> apiServerCpu = bench.meter("apiserver");
    hostsCpu.ifPresent(meter -> FleetBenchmark.joinHosts(meter, hosts));
    apiServerCpu.ifPresent(
        meter ->
            ProcessHandle.current()
                .descendants()
                .filter(
                    p ->
                        p.info()
                            .command()
                            .map(c -> c.endsWith("kube-apiserver") || c.endsWith("etcd"))
                            .orElse(false))
                .forEach(p -> meter.add(p.pid())));
    try (OperatorProcess operator = start("operator-fleet.log");
        ApiWatch watch = ApiWatch.start(client)) {
      operatorCpu.ifPresent(meter -> meter.add(operator.pid()));
      operator.awaitReady(Duration.ofMinutes(2));
      for (TestHost host : hosts.all()) {
        OperatorHarness.registerHost(
            client, host.name(), host, List.of(NAMESPACE, FleetBenchmark.PARKED_NAMESPACE));
      }
      Awaitility.await()
          .atMost(Duration.ofMinutes(2))
          .until(() -> FleetBenchmark.hostsReady(client, hosts.all().size()));

      double[] before = cpuSeconds(hostsCpu, operatorCpu, apiServerCpu);
      Map<String, Double> splitBefore = HostCpuSplit.read(hosts.all());
      converge(watch, flake);
      double[] after = cpuSeconds(hostsCpu, operatorCpu, apiServerCpu);
      results.operatorHostSplit = HostCpuSplit.since(splitBefore, HostCpuSplit.read(hosts.all()));
      log(
          "operator: host CPU per VM by part: all %.3f = %s",
          results.operatorHostSplit.getOrDefault(HostCpuSplit.ALL, Double.NaN) / settings.vms(),
          HostCpuSplit.perVm(results.operatorHostSplit, settings.vms()));
      results.operatorCpuSeconds =
          new double[] {after[0] - before[0], after[1] - before[1], after[2] - before[2]};
      log(
          "operator: CPU %.1f s on the hosts, %.1f s in the operator, %.1f s in the API server",
          results.operatorCpuSeconds[0],
          results.operatorCpuSeconds[1],
          results.operatorCpuSeconds[2]);
      quietFleet(watch);
      results.pluginList =
          PluginListTiming.measure(client, kubeconfig, settings.vms(), root.resolve("plugin"));
      log(
          "kubectl microvm list -A: %s s as a new process, %s s installed with its class data"
              + " archive, %.3f s in process, %.3f s its 2 LISTs",
          results.pluginList.process().summary(),
          results.pluginList.installed().summary(),
          results.pluginList.inProcess(),
          results.pluginList.lists());
      update(watch, bench);
      results.peakMiB200 = operator.peakResidentMiB();
      log("operator: peak resident %.0f MiB with %d MicroVMs", results.peakMiB200, settings.vms());
    }

    List<String> parkedOn = List.of(hosts.get(0).name(), hosts.get(1 % settings.hosts()).name());
    log("creating suspended MicroVMs up to %d", settings.syncVms());
    FleetBenchmark.applyAll(
        client, FleetBenchmark.parked(settings.vms() + 1, settings.syncVms(), parkedOn, flake), 8);
    cacheSync();

    log("creating suspended MicroVMs up to %d", settings.largeVms());
    FleetBenchmark.applyAll(
        client,
        FleetBenchmark.parked(settings.syncVms() + 1, settings.largeVms(), parkedOn, flake),
        8);
    try (OperatorProcess operator = start("operator-large.log")) {
      results.syncSecondsLarge = operator.awaitReady(Duration.ofMinutes(5));
      long start = System.nanoTime();
      Awaitility.await()
          .atMost(Duration.ofMinutes(20))
          .pollInterval(Duration.ofSeconds(5))
          .until(this::allParkedReconciled);
      results.largeSettleSeconds = Timing.secondsSince(start);
      results.peakMiBLarge = operator.peakResidentMiB();
      results.residentMiBLarge = operator.residentMiB();
      log("operator: resident now %s", operator.residentParts());
      nativeMemory(operator);
      log(
          "operator: peak resident %.0f MiB with %d MicroVMs (synced after %.2f s, all reconciled %.0f s later)",
          results.peakMiBLarge,
          settings.largeVms(),
          results.syncSecondsLarge,
          results.largeSettleSeconds);
    }
    twoShards(parkedOn);
  }

  /**
   * The parked MicroVMs split between two operator processes by their shard label (their two hosts
   * labelled alike), as the chart's {@code sharding.shards} runs them: each shard's peak resident
   * memory once it has reconciled its half.
   */
  private void twoShards(List<String> parkedOn) throws Exception {
    if (parkedOn.get(0).equals(parkedOn.get(1))) {
      return; // one host: no second shard to give it to
    }
    for (int i = 0; i < 2; i++) {
      String shard = i == 0 ? "a" : "b";
      client
          .resources(MicroVMHost.class)
          .withName(parkedOn.get(i))
          .edit(
              host -> {
                Map<String, String> labels = new HashMap<>();
                Optional.ofNullable(host.getMetadata().getLabels()).ifPresent(labels::putAll);
                labels.put(FleetBenchmark.SHARD_LABEL, shard);
                host.getMetadata().setLabels(labels);
                return host;
              });
    }
    long parked = settings.largeVms() - settings.vms();
    try (OperatorProcess a = startShard("a");
        OperatorProcess b = startShard("b")) {
      for (OperatorProcess shard : List.of(a, b)) {
        shard.awaitReady(Duration.ofMinutes(5));
        Awaitility.await()
            .atMost(Duration.ofMinutes(10))
            .pollInterval(Duration.ofSeconds(5))
            .until(() -> microVMReconcilesStarted(shard) >= parked / 2);
      }
      results.shardVms = parked / 2;
      results.shardPeakMiB = List.of(a.peakResidentMiB(), b.peakResidentMiB());
      log(
          "two shards: peak resident %s MiB with %d MicroVMs each",
          results.shardPeakMiB, parked / 2);
    }
  }

  /**
   * With -XX:NativeMemoryTracking in the flags: the JVM's own account of its memory and the largest
   * classes on its heap, into the output folder.
   */
  private void nativeMemory(OperatorProcess operator) throws Exception {
    if (settings.operatorJvmFlags().stream().noneMatch(f -> f.startsWith("-XX:NativeMemory"))) {
      return;
    }
    String summary =
        Commands.run(
                List.of("jcmd", String.valueOf(operator.pid()), "VM.native_memory", "summary"),
                Map.of(),
                Duration.ofMinutes(1))
            .orThrow("jcmd VM.native_memory")
            .stdout();
    String histogram =
        Commands.run(
                List.of("jcmd", String.valueOf(operator.pid()), "GC.class_histogram"),
                Map.of(),
                Duration.ofMinutes(1))
            .orThrow("jcmd GC.class_histogram")
            .stdout();
    Path out = settings.out().resolve("native-memory.txt");
    Files.writeString(
        out, summary + "\n" + histogram.lines().limit(45).collect(Collectors.joining("\n")));
    log("operator: native memory summary in %s", out);
  }

  private OperatorProcess startShard(String shard) {
    return OperatorProcess.start(
        kubeconfig,
        Map.of(
            "OPERATOR_NAMESPACE",
            OperatorHarness.OPERATOR_NAMESPACE,
            "MALLOC_ARENA_MAX",
            "2",
            "WATCH_LABEL_SELECTOR",
            FleetBenchmark.SHARD_LABEL + "=" + shard),
        settings.operatorJvmFlags(),
        root.resolve("operator-shard-" + shard + ".log"));
  }

  /** How many reconciles of MicroVMs {@code operator} started, from its /metrics. */
  private static double microVMReconcilesStarted(OperatorProcess operator) throws Exception {
    return operator
        .get("/metrics")
        .body()
        .lines()
        .filter(line -> line.startsWith("operator_sdk_reconciliations_started_total{"))
        .filter(line -> line.contains("kind=\"MicroVM\""))
        .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
        .sum();
  }

  @SafeVarargs
  private static double[] cpuSeconds(Optional<CpuMeter>... meters) {
    double[] seconds = new double[meters.length];
    for (int i = 0; i < meters.length; i++) {
      seconds[i] = meters[i].map(CpuMeter::seconds).orElse(Double.NaN);
    }
    return seconds;
  }

  /**
   * Start until caches synced with {@code syncVms} MicroVMs, {@value #SYNC_RUNS} times without and
   * as often with a class data archive of the operator's start-up classes, trained as the
   * Dockerfile trains the image's (hack/class-data-archive.sh), the two alternating.
   */
  private void cacheSync() throws Exception {
    Path archive = root.resolve("operator.jsa");
    List<String> argv =
        new ArrayList<>(
            List.of(
                "hack/class-data-archive.sh",
                archive.toString(),
                "20",
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    argv.addAll(settings.operatorJvmFlags());
    argv.addAll(List.of("-jar", OperatorProcess.jar().toString()));
    Commands.run(argv, Map.of(), Duration.ofMinutes(2)).orThrow("hack/class-data-archive.sh");
    List<Double> plain = new ArrayList<>();
    List<Double> archived = new ArrayList<>();
    for (int i = 0; i < SYNC_RUNS; i++) {
      try (OperatorProcess operator = start("operator-sync.log", List.of())) {
        plain.add(operator.awaitReady(Duration.ofMinutes(2)));
      }
      try (OperatorProcess operator =
          start("operator-sync.log", List.of("-XX:SharedArchiveFile=" + archive))) {
        archived.add(operator.awaitReady(Duration.ofMinutes(2)));
      }
    }
    results.sync = new Samples(plain);
    results.syncArchived = new Samples(archived);
    log(
        "operator: caches synced %s s after start with %d MicroVMs; with the class data archive %s s",
        results.sync.summary(), settings.syncVms(), results.syncArchived.summary());
  }

  private OperatorProcess start(String logName) {
    return start(logName, List.of());
  }

  private OperatorProcess start(String logName, List<String> moreJvmFlags) {
    List<String> flags = new ArrayList<>(settings.operatorJvmFlags());
    flags.addAll(moreJvmFlags);
    // glibc's default of 8 malloc arenas per core only adds resident memory to a JVM.
    return OperatorProcess.start(
        kubeconfig,
        Map.of("OPERATOR_NAMESPACE", OperatorHarness.OPERATOR_NAMESPACE, "MALLOC_ARENA_MAX", "2"),
        flags,
        root.resolve(logName));
  }

  /** Applies N MicroVMs and waits until all are Ready. */
  private void converge(ApiWatch watch, String flake) throws Exception {
    List<MicroVM> vms = new ArrayList<>();
    for (int i = 1; i <= settings.vms(); i++) {
      String name = FleetBenchmark.vmName(i);
      vms.add(
          FleetBenchmark.microVM(
              NAMESPACE, name, FleetBenchmark.hostOf(hosts, i).name(), flake, false));
    }
    HostCounters before = HostCounters.sum(hosts.all());
    log("operator: applying %d MicroVMs", vms.size());
    long start = System.nanoTime();
    FleetBenchmark.applyAll(client, vms, 4);
    log("operator: applied in %.2f s", Timing.secondsSince(start));
    List<Long> ready = watch.awaitReady(vms.size(), Duration.ofMinutes(20));
    results.operatorReadyAt = ready.stream().map(t -> (t - start) / 1e9).toList();
    results.operatorSeconds = results.operatorReadyAt.get(results.operatorReadyAt.size() - 1);
    results.operatorCounters = HostCounters.sum(hosts.all()).minus(before);
    log(
        "operator: all %d Ready after %.1f s, %s",
        vms.size(), results.operatorSeconds, results.operatorCounters);
  }

  /** Watches the fleet with nothing changing for a number of drift-check intervals. */
  private void quietFleet(ApiWatch watch) {
    // Let the last deploys' probes and status writes pass first.
    Sleep.millis(3 * PROBE_INTERVAL.toMillis());
    HostCounters before = HostCounters.sum(hosts.all());
    ApiWatch.Writes writesBefore = watch.writes();
    log("quiet fleet: watching %d drift-check intervals", settings.quietIntervals());
    Sleep.millis(settings.quietIntervals() * PROBE_INTERVAL.toMillis());
    results.quiet = HostCounters.sum(hosts.all()).minus(before);
    results.quietWrites = watch.writes().minus(writesBefore);
    log("quiet fleet: %s, writes %s", results.quiet, results.quietWrites);
  }

  /** A new revision for one VM: time to Ready, SSH commands, restarts, the host's build time. */
  private void update(ApiWatch watch, FleetBenchmark bench) throws IOException {
    String name = FleetBenchmark.vmName(1);
    TestHost host = FleetBenchmark.hostOf(hosts, 1);
    MicroVM vm = client.resources(MicroVM.class).inNamespace(NAMESPACE).withName(name).get();
    String oldRunner = vm.getStatus().currentStorePath();
    long generation = vm.getMetadata().getGeneration() + 1;
    CompletableFuture<Long> updated =
        watch.when(
            seen ->
                seen.getMetadata().getName().equals(name)
                    && ApiWatch.isReady(seen)
                    && Objects.equals(seen.getMetadata().getGeneration(), generation)
                    && seen.getStatus().currentStorePath() != null
                    && !seen.getStatus().currentStorePath().equals(oldRunner)
                    && Objects.equals(
                        seen.getStatus().currentStorePath(), seen.getStatus().bootedStorePath()));
    List<String> commandsBefore = host.logs().auditLog();
    HostCounters before = HostCounters.of(host);
    MicroVM changed =
        FleetBenchmark.microVM(
            NAMESPACE, name, host.name(), bench.flakeRef(bench.secondRevision()), false);
    Instant appliedAt = Instant.now();
    long start = System.nanoTime();
    client.resource(changed).serverSideApply();
    long readyAt = ApiWatch.await(updated, Duration.ofMinutes(2));
    results.updateSeconds = (readyAt - start) / 1e9;
    Instant readySeenAt = appliedAt.plusNanos(readyAt - start);
    Sleep.millis(500);
    HostCounters after = HostCounters.of(host);
    results.update = after.minus(before);
    List<String> commands = host.logs().auditLog();
    results.updateCommands =
        commands.subList(commandsBefore.size(), commands.size()).stream()
            .filter(c -> !HostCounters.isProbe(c))
            .count();
    results.updateCommandsWithProbes = commands.size() - commandsBefore.size();
    results.updateTimeline = UpdateTimeline.read(host, name, appliedAt, readySeenAt);
    results.updateBuildSeconds = results.updateTimeline.build().toMillis() / 1000.0;
    log(
        "update: Ready after %.3f s, host build %.3f s, %d commands (%d with drift checks), %s; %s",
        results.updateSeconds,
        results.updateBuildSeconds,
        results.updateCommands,
        results.updateCommandsWithProbes,
        results.update,
        results.updateTimeline);
  }

  private boolean allParkedReconciled() {
    List<MicroVM> parked =
        client
            .resources(MicroVM.class)
            .inNamespace(FleetBenchmark.PARKED_NAMESPACE)
            .list()
            .getItems();
    return parked.stream()
        .allMatch(
            vm ->
                vm.getStatus() != null
                    && vm.getStatus().phase() == MicroVMStatus.Phase.Suspended
                    && Objects.equals(
                        vm.getStatus().observedGeneration(), vm.getMetadata().getGeneration()));
  }
}
