package io.microvmoperator.bench;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMHost;
import io.microvmoperator.host.SshConnection;
import io.microvmoperator.testenv.Commands;
import io.microvmoperator.testenv.KubeControlPlane;
import io.microvmoperator.testenv.MicroVMSpecBuilder;
import io.microvmoperator.testenv.OperatorHarness;
import io.microvmoperator.testenv.TestFlake;
import io.microvmoperator.testenv.TestHost;
import io.microvmoperator.testenv.TestHosts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;

/**
 * The fleet benchmark behind {@code hack/bench.sh} (not part of the tests): the scripted way (VM by
 * VM, then one job per host) and the operator, each on a fresh fleet of H test hosts with N
 * MicroVMs; then the operator's quiet-fleet cost, one update, its memory with N and with many
 * suspended MicroVMs, and its cache-sync time. Prints one table and writes a convergence chart.
 */
public final class FleetBenchmark {

  static final String NAMESPACE = "fleet";
  static final String PARKED_NAMESPACE = "fleet-parked";
  static final Duration PROBE_INTERVAL = Duration.ofSeconds(5);

  private final BenchSettings settings;
  private final Results results = new Results();
  private final Path root;
  private final List<CpuMeter> meters = new ArrayList<>();
  private TestFlake flake;

  /** Where the flakerefs point: the flake, or its clone in the operator's hosts' run folder. */
  private Path flakeDir;

  private String firstRevision;
  private String secondRevision;

  private FleetBenchmark(BenchSettings settings, Path root) {
    this.settings = settings;
    this.root = root;
  }

  public static void main(String[] args) throws Exception {
    BenchSettings settings = BenchSettings.fromSystemProperties();
    Files.createDirectories(settings.out());
    Path root = TestHosts.newRoot();
    try {
      new FleetBenchmark(settings, root).run();
    } finally {
      if (!Boolean.getBoolean("testenv.keep")) {
        new ProcessBuilder("rm", "-rf", root.toString()).inheritIO().start().waitFor();
      }
    }
    System.exit(0);
  }

  private void run() throws Exception {
    log(
        "fleet benchmark: %d hosts, %d VMs; memory with %d, cache sync with %d",
        settings.hosts(), settings.vms(), settings.largeVms(), settings.syncVms());
    flake =
        TestFlake.createGit(root.resolve("flake")).sharedEvaluation(settings.sharedEvaluation());
    for (int i = 1; i <= settings.vms(); i++) {
      flake.runner(vmName(i), "1");
    }
    flakeDir = flake.dir();
    firstRevision = flake.revision("main");
    flake.runner(vmName(1), "2");
    secondRevision = flake.revision("main");

    if (settings.baseline()) {
      ScriptedFleet scripts = ScriptedFleet.create(root.resolve("scripted"));
      results.oneByOne = runScript(scripts, "one-by-one", "127.0.1.11");
      results.perHost = runScript(scripts, "per-host", "127.0.2.11");
    }
    KubeControlPlane k8s = KubeControlPlane.start();
    Thread stopControlPlane = new Thread(k8s::close, "bench-control-plane-stop");
    Runtime.getRuntime().addShutdownHook(stopControlPlane);
    try (k8s;
        KubernetesClient client = k8s.client();
        TestHosts hosts = startHosts("127.0.3.11")) {
      Path kubeconfig = root.resolve("kubeconfig");
      Files.writeString(kubeconfig, k8s.kubeconfigYaml());
      // The hosts build the flake themselves and see only their own run folder of /tmp (their
      // /tmp is private): a clone there has the same revisions.
      flakeDir = hosts.root().resolve("flake");
      Commands.run(
              List.of("git", "clone", "-q", flake.dir().toString(), flakeDir.toString()),
              Map.of(),
              Duration.ofMinutes(2))
          .orThrow("git clone of the flake");
      results.roundTripMillis = roundTripMillis(hosts.get(0));
      OperatorHarness.ensureNamespace(client, OperatorHarness.OPERATOR_NAMESPACE);
      OperatorHarness.ensureNamespace(client, NAMESPACE);
      OperatorHarness.ensureNamespace(client, PARKED_NAMESPACE);
      new OperatorRun(settings, client, hosts, kubeconfig, root, results).run(this);
    } finally {
      Runtime.getRuntime().removeShutdownHook(stopControlPlane);
      meters.forEach(CpuMeter::close);
    }
    String table = results.table(settings);
    System.out.println();
    System.out.println(table);
    Files.writeString(settings.out().resolve("benchmark-table.md"), table);
    ConvergenceChart chart =
        new ConvergenceChart(
            String.format(
                Locale.ROOT,
                "%d MicroVMs on %d hosts: VMs Ready over time",
                settings.vms(),
                settings.hosts()));
    if (results.oneByOne != null) {
      chart.line("script, VM by VM", results.oneByOne.deployedAt());
      chart.line("script, one job per host", results.perHost.deployedAt());
    }
    chart.line("operator", results.operatorReadyAt);
    Path png = settings.out().resolve("benchmark-convergence.png");
    chart.write(png);
    log("wrote %s and %s", settings.out().resolve("benchmark-table.md"), png);
  }

  private ScriptedFleet.Run runScript(ScriptedFleet scripts, String mode, String firstAddress) {
    Optional<CpuMeter> cpu = CpuMeter.create("script-" + mode);
    try (TestHosts hosts = startHosts(firstAddress)) {
      cpu.ifPresent(meter -> joinHosts(meter, hosts));
      List<ScriptedFleet.Placement> placements = new ArrayList<>();
      for (int i = 1; i <= settings.vms(); i++) {
        placements.add(new ScriptedFleet.Placement(hostOf(hosts, i), vmName(i)));
      }
      log("script %s: deploying %d VMs", mode, settings.vms());
      Map<String, Double> splitBefore = HostCpuSplit.read(hosts.all());
      ScriptedFleet.Run run = scripts.deploy(mode, placements, flakeRef(firstRevision), cpu);
      results.scriptHostSplit.put(
          mode, HostCpuSplit.since(splitBefore, HostCpuSplit.read(hosts.all())));
      HostCounters counters = HostCounters.sum(hosts.all());
      results.scriptCounters.put(mode, counters);
      cpu.ifPresent(meter -> results.scriptCpuSeconds.put(mode, meter.seconds()));
      log(
          "script %s: %.1f s, %s, CPU %.1f s",
          mode, run.seconds(), counters, results.scriptCpuSeconds.getOrDefault(mode, Double.NaN));
      return run;
    } finally {
      cpu.ifPresent(CpuMeter::close);
    }
  }

  /** H fresh hosts whose Nix stores are initialised, as a NixOS host's always is. */
  TestHosts startHosts(String firstAddress) {
    TestHosts hosts = TestHosts.start(settings.hosts(), firstAddress);
    for (TestHost host : hosts.all()) {
      host.exec("nix-store", "--init").orThrow("nix-store --init on " + host);
    }
    return hosts;
  }

  /** Counts every host's sshd, its sessions and all they start in {@code meter}. */
  static void joinHosts(CpuMeter meter, TestHosts hosts) {
    hosts.all().forEach(host -> host.sshdPid().ifPresent(meter::add));
  }

  /** A CPU meter that is removed at the end of the run, after every process in it ended. */
  Optional<CpuMeter> meter(String name) {
    Optional<CpuMeter> meter = CpuMeter.create(name);
    meter.ifPresent(meters::add);
    return meter;
  }

  // ---- shared helpers -------------------------------------------------------------------------

  static String vmName(int i) {
    return String.format(Locale.ROOT, "vm%03d", i);
  }

  static TestHost hostOf(TestHosts hosts, int vmIndex) {
    return hosts.get((vmIndex - 1) % hosts.all().size());
  }

  String flakeRef(String revision) {
    return "git+file://" + flakeDir + "?ref=main&rev=" + revision;
  }

  String firstRevision() {
    return firstRevision;
  }

  String secondRevision() {
    return secondRevision;
  }

  static MicroVM microVM(String namespace, String name, String host, String flake, boolean parked) {
    MicroVM vm = OperatorHarness.microVM(namespace, name, host, flake, name);
    if (parked) {
      vm.setSpec(MicroVMSpecBuilder.from(vm.getSpec()).suspend(true).build());
    }
    return vm;
  }

  /** Applies MicroVMs from a few threads, as a GitOps tool would. */
  static void applyAll(KubernetesClient client, List<MicroVM> vms, int threads) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (MicroVM vm : vms) {
        done.add(pool.submit(() -> client.resource(vm).serverSideApply()));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** The label of the benchmark's two shards ({@code a}: odd parked VMs; {@code b}: even). */
  static final String SHARD_LABEL = "sharding.microvm-operator.io/key";

  /**
   * Suspended MicroVMs {@code parkedFROM..parkedTO}: the odd ones on {@code hosts[0]} in shard
   * {@code a}, the even ones on {@code hosts[1]} in shard {@code b} (the labels matter only to the
   * two-shard phase; an operator without a selector sees them all).
   */
  static List<MicroVM> parked(int from, int toInclusive, List<String> hosts, String flake) {
    return IntStream.rangeClosed(from, toInclusive)
        .mapToObj(
            i -> {
              MicroVM vm =
                  microVM(
                      PARKED_NAMESPACE, "parked" + i, hosts.get(i % 2 == 1 ? 0 : 1), flake, true);
              vm.getMetadata().setLabels(Map.of(SHARD_LABEL, i % 2 == 1 ? "a" : "b"));
              return vm;
            })
        .toList();
  }

  /** The median time of a trivial command over an open SSH connection to {@code host}. */
  private static double roundTripMillis(TestHost host) throws IOException {
    try (SshConnection connection = host.connect()) {
      List<Double> millis = new ArrayList<>();
      for (int i = 0; i < 21; i++) {
        long start = System.nanoTime();
        connection.run("true");
        millis.add((System.nanoTime() - start) / 1e6);
      }
      host.logs().resetLogs();
      return millis.stream().sorted().toList().get(millis.size() / 2);
    }
  }

  static boolean hostsReady(KubernetesClient client, int count) {
    List<MicroVMHost> hosts = client.resources(MicroVMHost.class).list().getItems();
    return hosts.size() == count
        && hosts.stream()
            .allMatch(
                h ->
                    h.getStatus() != null
                        && h.getStatus().conditions() != null
                        && h.getStatus().conditions().stream()
                            .anyMatch(
                                c ->
                                    Objects.equals(c.getType(), "Ready")
                                        && Objects.equals(c.getStatus(), "True")));
  }

  static void log(String format, Object... args) {
    System.out.println(
        "["
            + Instant.now().toString().substring(11, 19)
            + "] "
            + String.format(Locale.ROOT, format, args));
  }
}
