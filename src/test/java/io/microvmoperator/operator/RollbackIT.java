package io.microvmoperator.operator;

import static io.microvmoperator.testenv.OperatorHarness.microVM;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMSpec.RollbackPolicy;
import io.microvmoperator.api.MicroVMStatus;
import io.microvmoperator.api.MicroVMStatus.Phase;
import io.microvmoperator.testenv.MicroVMSpecBuilder;
import io.microvmoperator.testenv.OperatorHarness;
import io.microvmoperator.testenv.RunnerLinks;
import io.microvmoperator.testenv.Sleep;
import io.microvmoperator.testenv.TestFlake;
import io.microvmoperator.testenv.TestHost;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A new runner that does not keep running: the VM goes back to the runner it ran before, and the
 * failed one is held back until a new one comes; or, with {@code rollback: Never}, is kept.
 */
class RollbackIT {

  @RegisterExtension static OperatorHarness env = OperatorHarness.withHosts(4);

  private static final String NS = "rollback";
  private static final Duration CONVERGED = Duration.ofSeconds(90);
  private static final String REQUEST = "microvm-operator.io/reconcile-requested-at";

  @BeforeAll
  static void setUp() {
    env.ensureNamespace(NS);
    env.registerHost("rollback-host", env.host(0), List.of(NS));
    env.registerHost("rollback-never", env.host(1), List.of(NS));
    env.registerHost("rollback-loop", env.host(2), List.of(NS));
    env.registerHost("rollback-guest", env.host(3), List.of(NS));
  }

  @Test
  void aRunnerThatStopsRunningAfterItsDeployIsRolledBackAndHeldBackUntilANewOneComes() {
    TestHost host = env.host(0);
    TestFlake flake = TestFlake.create(env.hosts().root().resolve("app")).runner("app", "v1");
    env.apply(microVM(NS, "app", "rollback-host", flake.pathRef(), "app"));
    String v1 =
        env.awaitRunner(NS, "app", "-microvm-app-v1", CONVERGED).getStatus().currentStorePath();

    flake.crashingRunner("app", "v2");
    env.annotate(NS, "app", REQUEST, "v2");
    MicroVM rolledBack =
        env.awaitMicroVM(
            NS,
            "app",
            CONVERGED,
            vm ->
                vm.getStatus() != null
                    && vm.getStatus().phase() == Phase.RolledBack
                    && env.condition(vm, "Running")
                        .map(c -> c.getStatus().equals("True"))
                        .orElse(false));

    MicroVMStatus status = rolledBack.getStatus();
    String v2 = status.rollback().failedStorePath();
    assertThat(v2).endsWith("-microvm-app-v2");
    assertThat(status.rollback().restoredStorePath()).isEqualTo(v1);
    // Under MicroVM.nix's Restart=always the ended runner is waiting to run again (it was
    // "failed" with the old stand-in, which had no Restart=).
    assertThat(status.rollback().cause())
        .matches("(its runner ended [0-9]+ times since it was started; )?microvm@app is .*");
    assertThat(status.desiredStorePath()).isEqualTo(v2);
    assertThat(status.currentStorePath()).isEqualTo(v1);
    assertThat(status.bootedStorePath()).isEqualTo(v1);
    assertThat(env.condition(rolledBack, "Stalled").orElseThrow().getReason())
        .isEqualTo("RolledBack");
    assertThat(env.condition(rolledBack, "Ready").orElseThrow().getMessage())
        .contains("rolled back to")
        .contains(REQUEST);
    assertThat(status.history())
        .extracting(MicroVMStatus.Deploy::storePath, MicroVMStatus.Deploy::result)
        .startsWith(
            org.assertj.core.groups.Tuple.tuple(v1, "Succeeded"),
            org.assertj.core.groups.Tuple.tuple(v2, "RolledBack"),
            org.assertj.core.groups.Tuple.tuple(v1, "Succeeded"));
    assertThat(host.readlink("/var/lib/microvms/app/current")).contains(v1);
    assertThat(host.readlink("/var/lib/microvms/app/booted")).contains(v1);
    assertThat(RunnerLinks.problems(host, "app")).isEmpty();
    String output = host.logs().vmOutput("app");
    assertThat(output).contains("microvm-run app v2 crashed");
    assertThat(output.substring(output.lastIndexOf("microvm-run app v2 crashed")))
        .contains("microvm-run app v1 started");
    assertThat(host.logs().starts("app")).as("v1, v2, v1 again").isEqualTo(3);
    assertThat(events("app")).contains("RolledBack");

    // Held back: probes come and go (every 5 s), v2 is not deployed again.
    Sleep.of(Duration.ofSeconds(12));
    assertThat(host.logs().starts("app")).isEqualTo(3);
    assertThat(host.readlink("/var/lib/microvms/app/current")).contains(v1);
    assertThat(env.get(NS, "app").getStatus().phase()).isEqualTo(Phase.RolledBack);

    // A fixed runner is deployed as usual, and the rollback is forgotten.
    flake.runner("app", "v3");
    env.annotate(NS, "app", REQUEST, "v3");
    MicroVM fixed = env.awaitRunner(NS, "app", "-microvm-app-v3", CONVERGED);
    assertThat(fixed.getStatus().rollback()).isNull();
    assertThat(fixed.getStatus().phase()).isEqualTo(Phase.Running);
    assertThat(host.logs().starts("app")).isEqualTo(4);
  }

  @Test
  void withRollbackNeverTheNewRunnerStaysDeployed() {
    TestHost host = env.host(1);
    TestFlake flake = TestFlake.create(env.hosts().root().resolve("kept")).runner("kept", "v1");
    MicroVM vm = microVM(NS, "kept", "rollback-never", flake.pathRef(), "kept");
    vm.setSpec(MicroVMSpecBuilder.from(vm.getSpec()).rollback(RollbackPolicy.Never).build());
    env.apply(vm);
    env.awaitRunner(NS, "kept", "-microvm-kept-v1", CONVERGED);

    flake.crashingRunner("kept", "v2");
    env.annotate(NS, "kept", REQUEST, "v2");
    env.awaitMicroVM(
        NS,
        "kept",
        CONVERGED,
        v ->
            v.getStatus() != null
                && String.valueOf(v.getStatus().currentStorePath()).endsWith("-microvm-kept-v2"));
    // v2 stops after a second; systemd runs it again (MicroVM.nix's Restart=always, 5 s).
    await()
        .atMost(CONVERGED)
        .untilAsserted(
            () ->
                assertThat(host.logs().vmOutput("kept").split("microvm-run kept v2 started", -1))
                    .as("v2 ran again after it stopped")
                    .hasSizeGreaterThanOrEqualTo(3));

    MicroVM kept = env.get(NS, "kept");
    assertThat(kept.getStatus().rollback()).isNull();
    assertThat(kept.getStatus().phase()).isNotEqualTo(Phase.RolledBack);
    assertThat(host.readlink("/var/lib/microvms/kept/current").orElseThrow())
        .endsWith("-microvm-kept-v2");
    assertThat(events("kept")).doesNotContain("RolledBack");
  }

  /**
   * Under MicroVM.nix's {@code Restart=always} a crashing runner is run again and again, and looks
   * active most of the time (here 3 s of every 3.5 s): systemd's restart count shows the loop.
   */
  @Test
  void aCrashLoopUnderRestartAlwaysIsRolledBack() throws Exception {
    TestHost host = env.host(2);
    try (AutoCloseable restartAlways = host.restartAlways(Duration.ofMillis(500))) {
      TestFlake flake = TestFlake.create(env.hosts().root().resolve("loop")).runner("loop", "v1");
      env.apply(microVM(NS, "loop", "rollback-loop", flake.pathRef(), "loop"));
      String v1 =
          env.awaitRunner(NS, "loop", "-microvm-loop-v1", CONVERGED).getStatus().currentStorePath();

      flake.crashingRunner("loop", "v2", Duration.ofSeconds(3));
      env.annotate(NS, "loop", REQUEST, "v2");
      MicroVM rolledBack =
          env.awaitMicroVM(
              NS,
              "loop",
              CONVERGED,
              vm -> vm.getStatus() != null && vm.getStatus().phase() == Phase.RolledBack);

      MicroVMStatus status = rolledBack.getStatus();
      assertThat(status.rollback().failedStorePath()).endsWith("-microvm-loop-v2");
      assertThat(status.rollback().restoredStorePath()).isEqualTo(v1);
      assertThat(status.rollback().cause())
          .matches("its runner ended [2-9] times since it was started; microvm@loop is .*");
      assertThat(env.metric("microvm_operator_rollbacks_total{cause=\"CrashLoop\"}"))
          .as("the rollback, counted by its cause")
          .isGreaterThanOrEqualTo(1.0);
      assertThat(host.readlink("/var/lib/microvms/loop/current")).contains(v1);
      assertThat(host.logs().starts("loop"))
          .as("v1, v2, v1 again: systemd ran v2 again, the operator did not start it")
          .isEqualTo(3);
      String output = host.logs().vmOutput("loop");
      assertThat(output.split("microvm-run loop v2 crashed", -1)).hasSizeGreaterThanOrEqualTo(3);
      assertThat(output.substring(output.lastIndexOf("microvm-run loop v2 crashed")))
          .contains("microvm-run loop v1 started");
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () ->
                  assertThat(
                          host.ssh("systemctl show -p ActiveState,NRestarts microvm@loop").stdout())
                      .as("v1 runs, and the count was zeroed when it was started")
                      .isEqualTo("NRestarts=0\nActiveState=active\n"));
    }
  }

  /**
   * A runner that crash-loops under {@code Restart=always} with nothing to go back to is left to
   * systemd (the operator does not start it between crashes), stalls with {@code NotKeptRunning}
   * (no retry loop of the operator's), and is stopped when {@code running} becomes false even while
   * it waits to run again.
   */
  @Test
  void aCrashLoopWithNothingToGoBackToIsLeftToSystemdAndStopsWhenAsked() throws Exception {
    TestHost host = env.host(2);
    try (AutoCloseable restartAlways = host.restartAlways(Duration.ofSeconds(2))) {
      TestFlake flake =
          TestFlake.create(env.hosts().root().resolve("first-loop"))
              .crashingRunner("first", "v1", Duration.ofMillis(500));
      env.apply(microVM(NS, "first", "rollback-loop", flake.pathRef(), "first"));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> host.logs().vmOutput("first").split("v1 crashed", -1).length > 3);
      assertThat(host.logs().starts("first"))
          .as("only the first start is the operator's")
          .isEqualTo(1);
      MicroVM stuck = env.awaitReason(NS, "first", "Stalled", "NotKeptRunning", CONVERGED);
      assertThat(env.condition(stuck, "Stalled").orElseThrow().getMessage())
          .contains("no earlier runner to go back to");
      assertThat(env.condition(stuck, "Running").orElseThrow().getMessage())
          .containsPattern("ended \\d+ times");
      assertThat(stuck.getStatus().rollback()).isNull();
      assertThat(host.logs().starts("first"))
          .as("stalled, not retried by the operator")
          .isEqualTo(1);

      // A fixed runner deployed onto the loop counts its own ends only: it is not rolled back.
      flake.runner("first", "v2");
      env.annotate(NS, "first", REQUEST, "v2");
      MicroVM fixed = env.awaitRunner(NS, "first", "-microvm-first-v2", CONVERGED);
      Sleep.of(Duration.ofSeconds(6));
      assertThat(env.get(NS, "first").getStatus().rollback()).isNull();
      assertThat(env.get(NS, "first").getStatus().currentStorePath())
          .isEqualTo(fixed.getStatus().currentStorePath());
      assertThat(host.ssh("systemctl show -p ActiveState,NRestarts microvm@first").stdout())
          .isEqualTo("NRestarts=0\nActiveState=active\n");

      MicroVM stop = microVM(NS, "first", "rollback-loop", flake.pathRef(), "first");
      stop.setSpec(MicroVMSpecBuilder.from(stop.getSpec()).running(false).build());
      env.apply(stop);
      env.awaitCondition(NS, "first", "Ready", "True");
      assertThat(host.ssh("systemctl is-active microvm@first").stdout()).isEqualTo("inactive\n");
    }
  }

  /**
   * Real guests under MicroVM.nix's notify units ({@code useNotifySockets}): a guest that never
   * becomes ready within the start timeout, and one that panics at boot, are rolled back to the
   * guest that ran before, which boots again and is Running.
   */
  @Test
  void aGuestThatNeverBecomesReadyOrPanicsAtBootIsRolledBack() throws Exception {
    TestHost host = env.host(3);
    try (AutoCloseable notify = host.useNotifySockets();
        AutoCloseable timeout = host.startTimeout(Duration.ofSeconds(25))) {
      TestFlake flake = TestFlake.create(env.hosts().root().resolve("guest")).guest("g", "v1");
      env.apply(microVM(NS, "g", "rollback-guest", flake.pathRef(), "g"));
      String v1 =
          env.awaitRunner(NS, "g", "-microvm-g-v1", CONVERGED).getStatus().currentStorePath();
      assertThat(host.logs().vmOutput("g")).contains(TestFlake.guestReadyLine("g", "v1"));

      flake.guestNeverReady("g", "v2");
      env.annotate(NS, "g", REQUEST, "v2");
      MicroVM back = awaitRolledBack("g", "-microvm-g-v2");
      assertThat(back.getStatus().rollback().cause()).contains("Result=timeout");
      assertThat(events("g")).contains("StartFailed", "RolledBack");
      env.awaitCondition(NS, "g", "Running", "True");
      assertThat(host.readlink("/var/lib/microvms/g/current")).contains(v1);

      flake.guestPanicsAtBoot("g", "v3");
      env.annotate(NS, "g", REQUEST, "v3");
      MicroVM again = awaitRolledBack("g", "-microvm-g-v3");
      assertThat(again.getStatus().rollback().cause()).contains("did not start");
      env.awaitCondition(NS, "g", "Running", "True");
      assertThat(host.readlink("/var/lib/microvms/g/booted")).contains(v1);
    }
  }

  private static MicroVM awaitRolledBack(String name, String failedSuffix) {
    return env.awaitMicroVM(
        NS,
        name,
        Duration.ofSeconds(150),
        vm ->
            vm.getStatus() != null
                && vm.getStatus().rollback() != null
                && vm.getStatus().rollback().failedStorePath().endsWith(failedSuffix));
  }

  private static List<String> events(String vm) {
    return env.eventsOf(NS, vm).stream().map(Event::getReason).toList();
  }
}
