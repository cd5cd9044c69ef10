package io.microvmoperator.reliability;

import static io.microvmoperator.testenv.OperatorHarness.microVM;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMSpec.RestartPolicy;
import io.microvmoperator.api.MicroVMStatus.Phase;
import io.microvmoperator.host.BuildJob;
import io.microvmoperator.host.BuildRequest;
import io.microvmoperator.host.ConvergeRequest;
import io.microvmoperator.host.HostProtocol;
import io.microvmoperator.host.Ownership;
import io.microvmoperator.host.RunnerGoneException;
import io.microvmoperator.host.SshConnection;
import io.microvmoperator.nix.AbsolutePath;
import io.microvmoperator.nix.FlakeRef;
import io.microvmoperator.nix.NixName;
import io.microvmoperator.nix.StorePath;
import io.microvmoperator.nix.VmName;
import io.microvmoperator.testenv.HostLoop;
import io.microvmoperator.testenv.MicroVMSpecBuilder;
import io.microvmoperator.testenv.OperatorHarness;
import io.microvmoperator.testenv.PausePoint;
import io.microvmoperator.testenv.RunnerLinks;
import io.microvmoperator.testenv.TestFlake;
import io.microvmoperator.testenv.TestHost;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Races with an update: the host's garbage collector, a person building into {@code current} by
 * hand, readers of {@code current}, and a spec that changes while its runner is still building.
 */
class UpdateRacesIT {

  /** The owner marker of the VM folders these tests converge directly (no MicroVM behind them). */
  private static final Ownership OWNER = new Ownership("races/direct test-uid", "");

  @RegisterExtension static OperatorHarness env = OperatorHarness.withHosts(4);

  private static final String NS = "races";
  private static final Duration CONVERGED = Duration.ofSeconds(120);
  private static final int SWAPS = 30;

  @BeforeAll
  static void setUp() {
    env.ensureNamespace(NS);
    for (int i = 0; i < 4; i++) {
      env.registerHost(hostName(i), env.host(i), List.of(NS));
    }
  }

  /**
   * Scenario 5: {@code nix-collect-garbage} runs over and over on the host while two VMs are
   * updated three times, one restarted on each change and one ({@code Manual}) that keeps running
   * its first runner. After every collection every link still points into the store, and whenever
   * the operator is idle {@code nix-store --gc --print-roots} lists {@code current}, {@code booted}
   * and {@code old} of both.
   */
  @Test
  void garbageCollectionDuringUpdatesNeverTakesARunnerInUse() {
    TestHost host = env.host(0);
    List<String> vms = List.of("gc-onchange", "gc-manual");
    try (HostLoop collector =
        HostLoop.start(
            host,
            """
            runs=0
            while [ ! -e "$1" ]; do
              if out=$(nix-collect-garbage 2>&1); then
                echo "$out" | grep 'store paths deleted'
              else
                echo "COLLECTION FAILED: $(echo "$out" | tail -n 1)"
              fi
              runs=$((runs + 1))
              for d in /var/lib/microvms/*/; do
                for link in current booted old; do
                  # Read once: a restart removes booted and makes it again (as MicroVM.nix does).
                  target=$(readlink "$d$link" 2>/dev/null || true)
                  if [ -n "$target" ] && [ ! -e "$target" ]; then
                    echo "COLLECTED $d$link -> $target"
                  fi
                done
              done
            done
            echo "collections: $runs"
            """)) {
      updateWhileCollecting(host, vms, collector);
    }
  }

  private static void updateWhileCollecting(TestHost host, List<String> vms, HostLoop collector) {
    for (String version : List.of("v1", "v2", "v3", "v4")) {
      TestFlake flake = flake("gc-" + version, version, vms);
      env.apply(microVM(NS, "gc-onchange", hostName(0), flake.pathRef(), "gc-onchange"));
      MicroVM manual = microVM(NS, "gc-manual", hostName(0), flake.pathRef(), "gc-manual");
      manual.setSpec(
          MicroVMSpecBuilder.from(manual.getSpec()).restartPolicy(RestartPolicy.Manual).build());
      env.apply(manual);
      env.awaitRunner(NS, "gc-onchange", "-microvm-gc-onchange-" + version, CONVERGED);
      // Manual: the new runner is built and held out of current (v1 keeps running), rooted by
      // its build, so the collections must not take it either
      MicroVM held =
          env.awaitMicroVM(
              NS,
              "gc-manual",
              CONVERGED,
              vm ->
                  vm.getStatus() != null
                      && String.valueOf(vm.getStatus().desiredStorePath())
                          .endsWith("-microvm-gc-manual-" + version)
                      && env.condition(vm, "Ready")
                          .map(c -> c.getStatus().equals("True"))
                          .orElse(false));
      assertThat(held.getStatus().currentStorePath()).endsWith("-microvm-gc-manual-v1");
      for (String vm : vms) {
        assertThat(RunnerLinks.problems(host, vm)).as("%s at %s", vm, version).isEmpty();
      }
      assertThat(host.hasStorePath(held.getStatus().desiredStorePath()))
          .as("the held runner %s", version)
          .isTrue();
    }
    String log = collector.stop();

    assertThat(linesStartingWith(log, "COLLECTED ")).isEmpty();
    List<String> failed = linesStartingWith(log, "COLLECTION FAILED");
    failed.forEach(System.out::println);
    // Nix 2.8's collector can fail on races of its own (one known: a process that ends while it
    // reads /proc, NixOS/nix#8020, fixed in 2.15). The links are checked after a failed collection
    // as after any other, so a failure hides nothing; it only means one collection fewer.
    assertThat(failed).as("collections that failed").hasSizeLessThanOrEqualTo(2);
    assertThat(host.readlink("/var/lib/microvms/gc-manual/booted").orElseThrow())
        .endsWith("-microvm-gc-manual-v1");
    Matcher runs = Pattern.compile("collections: (\\d+)").matcher(log);
    assertThat(runs.find()).isTrue();
    long deleted =
        Pattern.compile("(\\d+) store paths deleted")
            .matcher(log)
            .results()
            .mapToLong(m -> Long.parseLong(m.group(1)))
            .sum();
    System.out.printf(
        "GC race: %s collections (%d failed) during 3 updates of 2 VMs deleted %d store paths%n",
        runs.group(1), failed.size(), deleted);
    assertThat(deleted).as("the collector removed garbage while it ran").isPositive();
  }

  private static List<String> linesStartingWith(String text, String prefix) {
    return text.lines().filter(line -> line.startsWith(prefix)).toList();
  }

  /**
   * Scenario 6: while the operator's update is held (before the swap on one VM, before the restart
   * on another), a person builds another runner into {@code current} by hand. The operator's next
   * look sees it and converges both VMs to the spec.
   */
  @Test
  void aBuildIntoCurrentByHandDuringAnUpdateIsCorrected() {
    TestHost host = env.host(1);
    List<String> vms = List.of("hand-swap", "hand-restart");
    TestFlake v1 = flake("hand-v1", "v1", vms);
    TestFlake byHand = flake("hand-other", "by-hand", vms);
    for (String vm : vms) {
      env.apply(microVM(NS, vm, hostName(1), v1.pathRef(), vm));
    }
    for (String vm : vms) {
      env.awaitRunner(NS, vm, "-microvm-" + vm + "-v1", CONVERGED);
    }
    host.faults().pauseAt(PausePoint.AFTER_REALISE, "-microvm-hand-swap-v2");
    host.faults().pauseAt(PausePoint.BEFORE_RESTART, "microvm@hand-restart");
    TestFlake v2 = flake("hand-v2", "v2", vms);
    for (String vm : vms) {
      env.apply(microVM(NS, vm, hostName(1), v2.pathRef(), vm));
    }
    host.faults().awaitPaused(PausePoint.AFTER_REALISE, CONVERGED);
    host.faults().awaitPaused(PausePoint.BEFORE_RESTART, CONVERGED);
    for (String vm : vms) {
      host.shell(
              "nix build -o /var/lib/microvms/" + vm + "/current '" + byHand.installable(vm) + "'")
          .orThrow("building into current by hand");
    }
    host.faults().release(PausePoint.AFTER_REALISE);
    host.faults().release(PausePoint.BEFORE_RESTART);

    for (String vm : vms) {
      env.awaitRunner(NS, vm, "-microvm-" + vm + "-v2", CONVERGED);
      assertThat(RunnerLinks.problems(host, vm)).as(vm).isEmpty();
      assertThat(host.logs().vmOutput(vm)).contains("microvm-run " + vm + " v2 started");
    }
    assertThat(host.readlink("/var/lib/microvms/hand-swap/old").orElseThrow())
        .as("old is the runner the operator found when its converge began")
        .endsWith("-microvm-hand-swap-v1");
    assertThat(
            env.eventsOf(NS, "hand-restart").stream()
                .filter(e -> e.getReason().equals("DriftCorrected")))
        .as("the hand-made change after the swap is reported")
        .isNotEmpty();
  }

  /**
   * Scenario 7: a loop on the host resolves {@code current/bin/microvm-run} (a shell builtin, so
   * the loop is tight) while the operator's converge step swaps {@code current} back and forth.
   */
  @Test
  void readersOfCurrentNeverSeeAGap() throws Exception {
    TestHost host = env.host(2);
    String vm = "readers";
    TestFlake flake = flake("readers", "r1", List.of(vm));
    StorePath r1 = build(host, flake.installable(vm));
    flake.runner(vm, "r2");
    StorePath r2 = build(host, flake.installable(vm));
    try (SshConnection ssh = host.connect()) {
      HostProtocol protocol = new HostProtocol(ssh, new AbsolutePath("/var/lib/microvms"));
      VmName name = new VmName(vm);
      protocol.converge(
          new ConvergeRequest(name, r1, flake.pathRef(), false, true, false, null, OWNER));
      try (HostLoop readers =
          HostLoop.start(
              host,
              """
              d=/var/lib/microvms/$2; reads=0; gaps=0
              while [ ! -e "$1" ]; do
                [ -x "$d/current/bin/microvm-run" ] || gaps=$((gaps + 1))
                reads=$((reads + 1))
              done
              echo "reads $reads gaps $gaps"
              """,
              vm)) {
        int swaps = 0;
        for (int i = 0; i < SWAPS; i++) {
          if (protocol
              .converge(
                  new ConvergeRequest(
                      name, i % 2 == 0 ? r2 : r1, flake.pathRef(), false, true, false, null, OWNER))
              .swapped()) {
            swaps++;
          }
        }
        String counts = readers.stop().strip();
        System.out.println("readers during " + swaps + " swaps: " + counts);
        assertThat(swaps).isEqualTo(SWAPS);
        assertThat(counts).matches("reads [1-9]\\d* gaps 0");
      }
    }
  }

  /**
   * Scenario 8: the spec changes twice while its runner is still building (slowly); the VM ends up
   * running the runner of the latest spec, and the runners of the older specs are never deployed.
   */
  @Test
  void aSpecChangedDuringASlowBuildEndsAtTheLatestSpec() {
    TestHost host = env.host(3);
    String vm = "respec";
    TestFlake first = TestFlake.create(env.hosts().root().resolve("respec-1"));
    first.slowBuild(vm, "first", 8);
    TestFlake second = TestFlake.create(env.hosts().root().resolve("respec-2"));
    second.slowBuild(vm, "second", 8);
    TestFlake latest = flake("respec-3", "latest", List.of(vm));

    env.apply(microVM(NS, vm, hostName(3), first.pathRef(), vm));
    awaitBuilding(vm);
    env.apply(microVM(NS, vm, hostName(3), second.pathRef(), vm));
    env.awaitMicroVM(
        NS,
        vm,
        CONVERGED,
        m ->
            m.getStatus() != null
                && m.getStatus().phase() == Phase.Building
                && m.getStatus().observedGeneration().equals(m.getMetadata().getGeneration()));
    env.apply(microVM(NS, vm, hostName(3), latest.pathRef(), vm));

    MicroVM done = env.awaitRunner(NS, vm, "-microvm-" + vm + "-latest", CONVERGED);
    assertThat(host.logs().starts(vm)).isEqualTo(1);
    assertThat(done.getStatus().history()).hasSize(1);
    assertThat(host.logs().nixStoreLog())
        .filteredOn(call -> call.root().endsWith("/" + vm + "/current"))
        .allMatch(call -> call.args().get(1).endsWith("-microvm-" + vm + "-latest"));
    assertThat(host.readlink("/var/lib/microvms/" + vm + "/flake")).isEmpty();
  }

  /**
   * Scenario 8, with a queue: three VMs are updated at once on a host that builds one runner at a
   * time; the two that wait for a build slot are not left at their old runner.
   */
  @Test
  void updatesWaitingForABuildSlotAreNotLost() {
    List<String> vms = List.of("queued-1", "queued-2", "queued-3");
    TestFlake v1 = flake("queued-v1", "v1", vms);
    vms.forEach(vm -> env.apply(microVM(NS, vm, hostName(3), v1.pathRef(), vm)));
    vms.forEach(vm -> env.awaitRunner(NS, vm, "-microvm-" + vm + "-v1", CONVERGED));
    env.limitBuilds(hostName(3), 1);
    try {
      TestFlake v2 = flake("queued-v2", "v2", vms);
      vms.forEach(vm -> env.apply(microVM(NS, vm, hostName(3), v2.pathRef(), vm)));
      vms.forEach(vm -> env.awaitRunner(NS, vm, "-microvm-" + vm + "-v2", CONVERGED));
    } finally {
      env.limitBuilds(hostName(3), 2);
    }
  }

  private static void awaitBuilding(String vm) {
    env.awaitMicroVM(
        NS, vm, CONVERGED, m -> m.getStatus() != null && m.getStatus().phase() == Phase.Building);
  }

  /** Builds {@code installable} on the host (unrooted) and returns the runner's store path. */
  /**
   * A runner collected on the host after its build and before its deploy (its build's result link
   * left dangling): the converge says so and forgets that build, so that it is built again.
   */
  @Test
  void aRunnerCollectedBeforeItsDeployIsBuiltAgain() throws Exception {
    TestHost host = env.host(3);
    String vm = "collected";
    TestFlake flake = flake("collected", "c1", List.of(vm));
    try (SshConnection ssh = host.connect()) {
      HostProtocol protocol = new HostProtocol(ssh, new AbsolutePath("/var/lib/microvms"));
      VmName name = new VmName(vm);
      BuildRequest request =
          BuildRequest.ofFlake(
              new FlakeRef(flake.pathRef()), new NixName(vm), List.of(), List.of());
      BuildJob built = protocol.startBuild(name, request, Duration.ofSeconds(60));
      assertThat(built.state()).isEqualTo(BuildJob.State.SUCCEEDED);
      StorePath runner = new StorePath(built.outPath());
      host.exec("nix-store", "--delete", "--ignore-liveness", runner.value())
          .orThrow("delete the runner");

      assertThatThrownBy(
              () ->
                  protocol.converge(
                      new ConvergeRequest(
                          name, runner, flake.pathRef(), true, true, false, null, OWNER)))
          .isInstanceOf(RunnerGoneException.class)
          .hasMessageContaining(HostProtocol.RUNNER_GONE);
      BuildJob again = protocol.startBuild(name, request, Duration.ofSeconds(60));
      assertThat(again.startedNow()).as("built again").isTrue();
      assertThat(again.outPath()).isEqualTo(runner.value());
      protocol.converge(
          new ConvergeRequest(name, runner, flake.pathRef(), true, true, false, null, OWNER));
      assertThat(RunnerLinks.problems(host, vm)).isEmpty();
    }
  }

  private static StorePath build(TestHost host, String installable) {
    String json =
        host.exec("nix", "build", "--no-link", "--json", installable).orThrow("nix build").stdout();
    Matcher out = Pattern.compile("\"out\":\"([^\"]+)\"").matcher(json);
    assertThat(out.find()).as(json).isTrue();
    return new StorePath(out.group(1));
  }

  private static TestFlake flake(String dir, String version, List<String> vms) {
    TestFlake flake = TestFlake.create(env.hosts().root().resolve(dir));
    vms.forEach(vm -> flake.runner(vm, version));
    return flake;
  }

  private static String hostName(int index) {
    return "races-host" + (index + 1);
  }
}
