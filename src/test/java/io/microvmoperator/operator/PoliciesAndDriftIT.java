package io.microvmoperator.operator;

import static io.microvmoperator.testenv.OperatorHarness.microVM;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMSpec.DeletionPolicy;
import io.microvmoperator.api.MicroVMSpec.RestartPolicy;
import io.microvmoperator.api.MicroVMStatus.Phase;
import io.microvmoperator.testenv.MicroVMSpecBuilder;
import io.microvmoperator.testenv.OperatorHarness;
import io.microvmoperator.testenv.TestFlake;
import io.microvmoperator.testenv.TestHost;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Manual restarts, suspend, drift made by hand, StopOnly, and an operator restarted mid-build. */
class PoliciesAndDriftIT {

  @RegisterExtension static OperatorHarness env = OperatorHarness.withHosts(1);

  private static final String NS = "policies";
  private static final String HOST = "policies-host";
  private static TestHost host;

  @BeforeAll
  static void setUp() {
    env.ensureNamespace(NS);
    host = env.host(0);
    env.registerHost(HOST, host, List.of(NS));
  }

  private static TestFlake flake(String name) {
    return TestFlake.create(env.hosts().root().resolve("flake-" + name));
  }

  @Test
  void manualRestartPolicyWaitsForTheRestartAnnotation() {
    TestFlake flake = flake("manual").runner("manual", "v1");
    env.apply(
        withPolicies(
            microVM(NS, "manual", HOST, flake.pathRef(), "manual"),
            RestartPolicy.Manual,
            DeletionPolicy.Delete,
            true));
    env.awaitCondition(NS, "manual", "Ready", "True");

    flake.runner("manual", "v2");
    env.annotate(NS, "manual", "microvm-operator.io/reconcile-requested-at", "v2");
    MicroVM pending = env.awaitCondition(NS, "manual", "RestartRequired", "True");
    assertThat(pending.getStatus().currentStorePath()).endsWith("-microvm-manual-v2");
    assertThat(pending.getStatus().bootedStorePath()).endsWith("-microvm-manual-v1");
    assertThat(env.condition(pending, "Ready").orElseThrow().getStatus()).isEqualTo("True");
    assertThat(host.starts("manual")).isEqualTo(1);

    env.annotate(NS, "manual", "microvm-operator.io/restart-requested-at", "now");
    MicroVM restarted = env.awaitCondition(NS, "manual", "RestartRequired", "False");
    assertThat(restarted.getStatus().bootedStorePath()).endsWith("-microvm-manual-v2");
    assertThat(restarted.getStatus().lastHandledRestartAt()).isEqualTo("now");
    assertThat(host.starts("manual")).isEqualTo(2);
  }

  @Test
  void driftMadeByHandIsCorrected() {
    TestFlake flake = flake("drift").runner("drift", "v1").runner("other", "x");
    env.apply(microVM(NS, "drift", HOST, flake.pathRef(), "drift"));
    MicroVM ready = env.awaitCondition(NS, "drift", "Ready", "True");
    String runner = ready.getStatus().currentStorePath();

    assertThat(
            host.shell(
                    "nix build -o /var/lib/microvms/drift/current '"
                        + flake.installable("other")
                        + "'")
                .exitCode())
        .isZero();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> host.readlink("/var/lib/microvms/drift/current").orElse("").equals(runner));

    host.ssh("systemctl stop microvm@drift");
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> host.readlink("/var/lib/microvms/drift/booted").orElse("").equals(runner));
    env.awaitCondition(NS, "drift", "Ready", "True");
    assertThat(
            env.eventsOf(NS, "drift").stream().filter(e -> e.getReason().equals("DriftCorrected")))
        .isNotEmpty();
  }

  @Test
  void aSuspendedMicroVMIsLeftAlone() {
    TestFlake flake = flake("suspended").runner("suspended", "v1");
    env.apply(microVM(NS, "suspended", HOST, flake.pathRef(), "suspended"));
    MicroVM ready = env.awaitCondition(NS, "suspended", "Ready", "True");

    MicroVM suspended = microVM(NS, "suspended", HOST, flake.pathRef(), "suspended");
    suspended.setSpec(MicroVMSpecBuilder.from(suspended.getSpec()).suspend(true).build());
    env.apply(suspended);
    env.awaitMicroVM(
        NS, "suspended", Duration.ofSeconds(30), vm -> vm.getStatus().phase() == Phase.Suspended);

    host.resetLogs();
    flake.runner("suspended", "v2");
    env.annotate(NS, "suspended", "microvm-operator.io/reconcile-requested-at", "ignored");
    host.ssh("systemctl stop microvm@suspended");
    await().pollDelay(Duration.ofSeconds(12)).atMost(Duration.ofSeconds(15)).until(() -> true);

    assertThat(host.auditLog())
        .noneMatch(cmd -> cmd.contains("nix build") || cmd.contains("nix flake"));
    assertThat(host.readlink("/var/lib/microvms/suspended/current"))
        .contains(ready.getStatus().currentStorePath());
    assertThat(host.starts("suspended")).isZero();
  }

  @Test
  void stopOnlyDeletionStopsTheVMAndKeepsItsFiles() {
    TestFlake flake = flake("stoponly").runner("stoponly", "v1");
    env.apply(
        withPolicies(
            microVM(NS, "stoponly", HOST, flake.pathRef(), "stoponly"),
            RestartPolicy.OnChange,
            DeletionPolicy.StopOnly,
            true));
    env.awaitCondition(NS, "stoponly", "Ready", "True");

    env.client().resources(MicroVM.class).inNamespace(NS).withName("stoponly").delete();
    await().atMost(Duration.ofSeconds(60)).until(() -> env.get(NS, "stoponly") == null);

    assertThat(host.readlink("/var/lib/microvms/stoponly/current")).isPresent();
    assertThat(host.readlink("/var/lib/microvms/stoponly/booted")).isEmpty();
  }

  @Test
  void buildsWaitForAFreeSlotOnTheirHost() {
    env.limitBuilds(HOST, 1);
    TestFlake flake = flake("slots").slowBuild("slot-a", "a", 6).slowBuild("slot-b", "b", 6);
    env.apply(microVM(NS, "slot-a", HOST, flake.pathRef(), "slot-a"));
    env.awaitMicroVM(
        NS,
        "slot-a",
        Duration.ofSeconds(30),
        vm -> vm.getStatus() != null && vm.getStatus().phase() == Phase.Building);

    env.apply(microVM(NS, "slot-b", HOST, flake.pathRef(), "slot-b"));
    MicroVM waiting =
        env.awaitMicroVM(
            NS,
            "slot-b",
            Duration.ofSeconds(30),
            vm ->
                env.condition(vm, "Reconciling")
                    .map(c -> c.getReason().equals("WaitingForBuildSlot"))
                    .orElse(false));
    assertThat(env.condition(waiting, "Reconciling").orElseThrow().getMessage())
        .contains("maxConcurrentBuilds");

    env.awaitCondition(NS, "slot-a", "Ready", "True");
    env.awaitCondition(NS, "slot-b", "Ready", "True");
    env.limitBuilds(HOST, 2);
  }

  @Test
  void anOperatorStoppedDuringASlowBuildBuildsOnceAndRestartsOnce() {
    TestFlake flake = flake("slow").slowBuild("slow", "s1", 8);
    host.resetLogs();
    env.apply(microVM(NS, "slow", HOST, flake.pathRef(), "slow"));
    env.awaitMicroVM(
        NS,
        "slow",
        Duration.ofSeconds(30),
        vm -> vm.getStatus() != null && vm.getStatus().phase() == Phase.Building);

    env.stopOperator();
    await().pollDelay(Duration.ofSeconds(10)).atMost(Duration.ofSeconds(11)).until(() -> true);
    env.startOperator();

    MicroVM vm = env.awaitCondition(NS, "slow", "Ready", "True");
    assertThat(vm.getStatus().currentStorePath()).endsWith("-microvm-slow-s1");
    assertThat(host.auditLog().stream().filter(cmd -> cmd.contains("nix build")).count())
        .isEqualTo(1);
    assertThat(host.starts("slow")).isEqualTo(1);
  }

  private static MicroVM withPolicies(
      MicroVM vm, RestartPolicy restart, DeletionPolicy deletion, boolean running) {
    vm.setSpec(
        MicroVMSpecBuilder.from(vm.getSpec())
            .restartPolicy(restart)
            .deletionPolicy(deletion)
            .running(running)
            .build());
    return vm;
  }
}
