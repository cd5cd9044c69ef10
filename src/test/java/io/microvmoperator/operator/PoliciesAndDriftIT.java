package io.microvmoperator.operator;

import static io.microvmoperator.testenv.OperatorHarness.microVM;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMSpec.DeletionPolicy;
import io.microvmoperator.api.MicroVMSpec.RestartPolicy;
import io.microvmoperator.api.MicroVMStatus.Phase;
import io.microvmoperator.testenv.ExecResult;
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
    // v2 stays out of current: Restart=always runs current again when the guest reboots or
    // crashes, and that must not switch it to v2 silently
    assertThat(pending.getStatus().currentStorePath()).endsWith("-microvm-manual-v1");
    assertThat(host.readlink("/var/lib/microvms/manual/current").orElseThrow())
        .endsWith("-microvm-manual-v1");
    assertThat(pending.getStatus().bootedStorePath()).endsWith("-microvm-manual-v1");
    String v2 = pending.getStatus().desiredStorePath();
    assertThat(v2).endsWith("-microvm-manual-v2");
    assertThat(env.condition(pending, "RestartRequired").orElseThrow().getMessage())
        .contains("microvm-manual-v2")
        .contains("restart-requested-at");
    assertThat(env.condition(pending, "Ready").orElseThrow().getStatus()).isEqualTo("True");
    assertThat(host.logs().starts("manual")).isEqualTo(1);
    assertThat(host.shell("nix-collect-garbage > /dev/null 2>&1").exitCode()).isZero();
    assertThat(host.hasStorePath(v2)).as("the held runner stays rooted").isTrue();

    env.annotate(NS, "manual", "microvm-operator.io/restart-requested-at", "now");
    MicroVM restarted = env.awaitCondition(NS, "manual", "RestartRequired", "False");
    assertThat(restarted.getStatus().bootedStorePath()).isEqualTo(v2);
    assertThat(restarted.getStatus().currentStorePath()).isEqualTo(v2);
    assertThat(host.readlink("/var/lib/microvms/manual/old").orElseThrow())
        .endsWith("-microvm-manual-v1");
    assertThat(restarted.getStatus().lastHandledRestartAt()).isEqualTo("now");
    assertThat(host.logs().starts("manual")).isEqualTo(2);
  }

  /**
   * MicroVM.nix's own hand update, {@code microvm -Ru NAME} ({@code nix build -o current} from the
   * flake file, then a restart), to the commit that the followed branch has now: the operator
   * adopts it with no restart of its own instead of undoing it and doing it again.
   */
  @Test
  void aHandUpdateToWhatTheFollowedBranchBuildsNowIsAdopted() {
    TestFlake flake =
        TestFlake.createGit(env.hosts().root().resolve("flake-hand")).runner("hand", "v1");
    MicroVM vm = microVM(NS, "hand", HOST, flake.gitRef(), "hand");
    env.apply(vm);
    String v1 =
        env.awaitRunner(NS, "hand", "-microvm-hand-v1", Duration.ofSeconds(60))
            .getStatus()
            .currentStorePath();
    host.logs().resetLogs();

    flake.runner("hand", "v2");
    ExecResult update =
        host.ssh(
            "cd /var/lib/microvms/hand && nix build -o current \"$(cat flake)#"
                + TestFlake.runnerAttribute("hand")
                + "\" && systemctl restart microvm@hand.service");
    assertThat(update.exitCode()).as(update.stderr()).isZero();

    MicroVM adopted = env.awaitRunner(NS, "hand", "-microvm-hand-v2", Duration.ofSeconds(60));
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                env.eventsOf(NS, "hand").stream()
                    .anyMatch(e -> "AdoptedHostUpdate".equals(e.getReason())));
    // a few probes more: nothing is undone later either
    await().pollDelay(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(7)).until(() -> true);
    assertThat(host.readlink("/var/lib/microvms/hand/current").orElseThrow())
        .isEqualTo(adopted.getStatus().currentStorePath())
        .isNotEqualTo(v1);
    assertThat(host.logs().starts("hand")).as("only the hand update's restart").isEqualTo(1);
    assertThat(env.eventsOf(NS, "hand"))
        .noneMatch(e -> "DriftCorrected".equals(e.getReason()))
        .noneMatch(e -> "Restarted".equals(e.getReason()));
    assertThat(env.condition(env.get(NS, "hand"), "Ready").orElseThrow().getStatus())
        .isEqualTo("True");
  }

  /** A flake attribute that builds but is not a runner is not deployed over a running VM. */
  @Test
  void aRunnerWithoutMicrovmRunIsNotDeployed() {
    TestFlake flake = flake("notarunner").runner("notarunner", "v1");
    env.apply(microVM(NS, "notarunner", HOST, flake.pathRef(), "notarunner"));
    String v1 =
        env.awaitRunner(NS, "notarunner", "-microvm-notarunner-v1", Duration.ofSeconds(60))
            .getStatus()
            .currentStorePath();
    host.logs().resetLogs();

    flake.notARunner("notarunner", "v2");
    env.annotate(NS, "notarunner", "microvm-operator.io/reconcile-requested-at", "v2");
    MicroVM stalled = env.awaitCondition(NS, "notarunner", "Stalled", "True");
    assertThat(env.condition(stalled, "Stalled").orElseThrow().getReason()).isEqualTo("NotARunner");
    assertThat(env.condition(stalled, "Stalled").orElseThrow().getMessage())
        .contains("bin/microvm-run")
        .contains("nothing was changed");
    assertThat(host.readlink("/var/lib/microvms/notarunner/current")).contains(v1);
    assertThat(host.logs().starts("notarunner")).isZero();
    assertThat(host.ssh("systemctl is-active microvm@notarunner.service").stdout().strip())
        .isEqualTo("active");
    assertThat(env.eventsOf(NS, "notarunner")).anyMatch(e -> "NotARunner".equals(e.getReason()));
  }

  @Test
  void driftMadeByHandIsCorrected() {
    TestFlake flake = flake("drift").runner("drift", "v1").runner("other", "x");
    MicroVM ready = env.applyAndAwaitReady(microVM(NS, "drift", HOST, flake.pathRef(), "drift"));
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
    MicroVM ready =
        env.applyAndAwaitReady(microVM(NS, "suspended", HOST, flake.pathRef(), "suspended"));

    MicroVM suspended = microVM(NS, "suspended", HOST, flake.pathRef(), "suspended");
    suspended.setSpec(MicroVMSpecBuilder.from(suspended.getSpec()).suspend(true).build());
    env.apply(suspended);
    env.awaitMicroVM(
        NS, "suspended", Duration.ofSeconds(30), vm -> vm.getStatus().phase() == Phase.Suspended);

    host.logs().resetLogs();
    flake.runner("suspended", "v2");
    env.annotate(NS, "suspended", "microvm-operator.io/reconcile-requested-at", "ignored");
    host.ssh("systemctl stop microvm@suspended");
    await().pollDelay(Duration.ofSeconds(12)).atMost(Duration.ofSeconds(15)).until(() -> true);

    assertThat(host.logs().auditLog())
        .noneMatch(cmd -> cmd.contains("nix build") || cmd.contains("nix flake"));
    assertThat(host.readlink("/var/lib/microvms/suspended/current"))
        .contains(ready.getStatus().currentStorePath());
    assertThat(host.logs().starts("suspended")).isZero();
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
        env.awaitReason(NS, "slot-b", "Reconciling", "WaitingForBuildSlot", Duration.ofSeconds(30));
    assertThat(env.condition(waiting, "Reconciling").orElseThrow().getMessage())
        .contains("maxConcurrentBuilds");

    env.awaitCondition(NS, "slot-a", "Ready", "True");
    env.awaitCondition(NS, "slot-b", "Ready", "True");
    env.limitBuilds(HOST, 2);
  }

  @Test
  void anOperatorStoppedDuringASlowBuildBuildsOnceAndRestartsOnce() {
    TestFlake flake = flake("slow").slowBuild("slow", "s1", 8);
    host.logs().resetLogs();
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
    assertThat(host.logs().auditLog().stream().filter(cmd -> cmd.contains("nix build")).count())
        .isEqualTo(1);
    assertThat(host.logs().starts("slow")).isEqualTo(1);
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
