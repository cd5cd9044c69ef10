package io.microvmoperator.reconcile.update;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMSpec;
import io.microvmoperator.api.MicroVMSpec.RollbackPolicy;
import io.microvmoperator.api.MicroVMStatus;
import io.microvmoperator.host.VmObservation;
import io.microvmoperator.nix.StorePath;
import io.microvmoperator.reconcile.status.MicroVMStatusBuilder;
import io.microvmoperator.testenv.MicroVMSpecBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RollbacksTest {

  private static final Instant DEPLOYED = Instant.parse("2026-11-25T10:00:00Z");
  private static final Instant SOON = DEPLOYED.plusSeconds(30);
  private static final StorePath V1 =
      new StorePath("/nix/store/0123456789abcdfghijklmnpqrsvwxyz-microvm-web-v1");
  private static final StorePath V2 =
      new StorePath("/nix/store/zyxwvsrqpnmlkjihgfdcba9876543210-microvm-web-v2");
  private static final MicroVMSpec SPEC = MicroVMSpecBuilder.flake("h", "path:/f", "web").build();

  @Test
  void aNewRunnerThatStoppedSoonAfterItsDeployGoesBackToThePreviousOne() {
    assertThat(Rollbacks.of(SPEC, v1ThenV2(), stopped(V2, V2)).due(V2, SOON))
        .contains(new Rollbacks.Rollback(V1, "microvm@web is failed (failed)"));
    assertThat(Rollbacks.of(SPEC, v1ThenV2(), stopped(V2, "")).due(V2, SOON).map(r -> r.runner()))
        .as("booted removed on stop")
        .contains(V1);
  }

  @Test
  void aCrashLoopUnderRestartAlwaysIsSeenByHowOftenTheRunnerEnded() {
    assertThat(
            Rollbacks.of(SPEC, v1ThenV2(), observed(V2, V2, "activating", "auto-restart", 1))
                .due(V2, SOON))
        .contains(
            new Rollbacks.Rollback(
                V1,
                "its runner ended 2 times since it was started; microvm@web is activating"
                    + " (auto-restart) with NRestarts=1"));
    assertThat(
            Rollbacks.of(SPEC, v1ThenV2(), observed(V2, V2, "active", "running", 2))
                .due(V2, SOON)
                .map(r -> r.runner()))
        .as("active between two crashes")
        .contains(V1);
  }

  @Test
  void aRunnerThatEndedOnceOrIsStillStartingIsNotJudged() {
    assertThat(notKeptRunning("activating", "auto-restart", 0))
        .as("a guest that rebooted, waiting to run again")
        .isEmpty();
    assertThat(notKeptRunning("active", "running", 1)).as("a guest that rebooted").isEmpty();
    assertThat(notKeptRunning("activating", "start", 0))
        .as("a notify unit whose guest boots")
        .isEmpty();
    assertThat(notKeptRunning("active", "running", 0)).isEmpty();
    assertThat(Rollbacks.notKeptRunning(between(1)))
        .as("a guest that rebooted, seen while systemd's restart job waits to start it")
        .isEmpty();
  }

  /**
   * systemd's restart job leaves the unit inactive, with its start queued, until the units it needs
   * have started again: that is the loop going on, not a stopped unit.
   */
  @Test
  void aRestartJobSeenBetweenItsStopAndItsStartIsPartOfTheLoop() {
    assertThat(Rollbacks.notKeptRunning(between(2)))
        .contains(
            "its runner ended 2 times since it was started; microvm@web is inactive (dead) with"
                + " NRestarts=2");
    assertThat(Rollbacks.causeKind(between(2))).isEqualTo("CrashLoop");
    assertThat(Rollbacks.notKeptRunning(observed(V2, V2, "inactive", "dead", 2).orElseThrow()))
        .as("nothing queued: stopped")
        .contains("microvm@web is inactive (dead)");
  }

  @Test
  void noRollbackWhenTheVmRunsOrWasNotStartedOnTheNewRunner() {
    assertThat(
            Rollbacks.of(SPEC, v1ThenV2(), observed(V2, V2, "active", "running", 0)).due(V2, SOON))
        .isEmpty();
    assertThat(Rollbacks.of(SPEC, v1ThenV2(), stopped(V2, V1)).due(V2, SOON))
        .as("restartPolicy Manual: it still ran v1")
        .isEmpty();
    assertThat(Rollbacks.of(SPEC, v1ThenV2(), stopped(V1, V1)).due(V2, SOON))
        .as("current is not the new runner")
        .isEmpty();
    assertThat(Rollbacks.of(SPEC, v1ThenV2(), Optional.empty()).due(V2, SOON)).isEmpty();
  }

  @Test
  void noRollbackLateOrWithoutAnythingToGoBackToOrWhenTurnedOff() {
    assertThat(
            Rollbacks.of(SPEC, v1ThenV2(), stopped(V2, V2))
                .due(V2, DEPLOYED.plus(Rollbacks.WINDOW).plusSeconds(1)))
        .isEmpty();
    MicroVMStatus firstDeploy = new MicroVMStatusBuilder(vm(null), DEPLOYED).deployed(V2).build();
    assertThat(Rollbacks.of(SPEC, firstDeploy, stopped(V2, V2)).due(V2, SOON)).isEmpty();
    MicroVMSpec never = MicroVMSpecBuilder.from(SPEC).rollback(RollbackPolicy.Never).build();
    assertThat(Rollbacks.of(never, v1ThenV2(), stopped(V2, V2)).due(V2, SOON)).isEmpty();
    MicroVMSpec stoppedOnPurpose = MicroVMSpecBuilder.from(SPEC).running(false).build();
    assertThat(Rollbacks.of(stoppedOnPurpose, v1ThenV2(), stopped(V2, V2)).due(V2, SOON)).isEmpty();
  }

  @Test
  void theFailedRunnerIsHeldBackAndMarkedInTheHistory() {
    MicroVMStatusBuilder builder = new MicroVMStatusBuilder(vm(v1ThenV2()), SOON);
    builder.rolledBack(V2, V1, "microvm@web is failed");
    MicroVMStatus rolledBack = builder.build();

    assertThat(rolledBack.history().get(0).storePath()).isEqualTo(V2.value());
    assertThat(rolledBack.history().get(0).result()).isEqualTo("RolledBack");
    assertThat(rolledBack.history().get(1).result()).isEqualTo("Succeeded");
    assertThat(Rollbacks.holdsBack(rolledBack, V2)).isTrue();
    assertThat(Rollbacks.holdsBack(rolledBack, V1)).isFalse();
    assertThat(
            Rollbacks.of(SPEC, rolledBack, stopped(V2, V2))
                .due(V2, SOON.plus(Duration.ofSeconds(5))))
        .as("a RolledBack deploy is not rolled back twice")
        .isEmpty();
  }

  @Test
  void aFirstDeployThatDoesNotKeepRunningIsStuckNotRolledBack() {
    MicroVMStatus onlyV2 = new MicroVMStatusBuilder(vm(null), DEPLOYED).deployed(V2).build();
    Optional<VmObservation> looping = observed(V2, V2, "activating", "auto-restart", 1);

    assertThat(Rollbacks.of(SPEC, onlyV2, looping).due(V2, SOON)).isEmpty();
    assertThat(Rollbacks.of(SPEC, onlyV2, looping).stuckWithoutRollback(V2, SOON))
        .hasValueSatisfying(cause -> assertThat(cause).contains("ended 2 times"));
    assertThat(Rollbacks.of(SPEC, v1ThenV2(), looping).stuckWithoutRollback(V2, SOON))
        .as("a rollback is due instead")
        .isEmpty();
    assertThat(
            Rollbacks.of(SPEC, onlyV2, observed(V2, V2, "active", "running", 0))
                .stuckWithoutRollback(V2, SOON))
        .as("it runs")
        .isEmpty();
    assertThat(
            Rollbacks.of(
                    MicroVMSpecBuilder.from(SPEC).rollback(RollbackPolicy.Never).build(),
                    onlyV2,
                    looping)
                .stuckWithoutRollback(V2, SOON))
        .isEmpty();
  }

  @Test
  void aNotifyGuestThatDidNotBecomeReadyDidNotKeepRunning() {
    VmObservation timedOut =
        new VmObservation(
            "web",
            V2.value(),
            V2.value(),
            false,
            "",
            "activating",
            "auto-restart",
            0,
            0,
            "timeout",
            false,
            "");
    assertThat(Rollbacks.notKeptRunning(timedOut))
        .hasValueSatisfying(cause -> assertThat(cause).contains("Result=timeout"));
    assertThat(Rollbacks.causeKind(timedOut)).isEqualTo("StartFailed");
    assertThat(
            Rollbacks.of(SPEC, v1ThenV2(), Optional.of(timedOut))
                .due(V2, SOON)
                .map(r -> r.runner()))
        .contains(V1);
  }

  /** The metric's label for each cause notKeptRunning reports. */
  @Test
  void everyCauseHasItsKind() {
    assertThat(Rollbacks.causeKind(stopped(V2, V2).orElseThrow())).isEqualTo("UnitFailed");
    assertThat(Rollbacks.causeKind(observed(V2, V2, "inactive", "dead", 0).orElseThrow()))
        .isEqualTo("UnitFailed");
    assertThat(Rollbacks.causeKind(observed(V2, V2, "activating", "auto-restart", 1).orElseThrow()))
        .isEqualTo("CrashLoop");
    assertThat(Rollbacks.causeKind(observed(V2, V2, "active", "running", 3).orElseThrow()))
        .isEqualTo("CrashLoop");
  }

  private static MicroVMStatus v1ThenV2() {
    MicroVMStatus v1 =
        new MicroVMStatusBuilder(vm(null), DEPLOYED.minusSeconds(600)).deployed(V1).build();
    return new MicroVMStatusBuilder(vm(v1), DEPLOYED).deployed(V2).build();
  }

  private static Optional<String> notKeptRunning(String activeState, String subState, long n) {
    return Rollbacks.notKeptRunning(observed(V2, V2, activeState, subState, n).orElseThrow());
  }

  private static VmObservation between(long restarts) {
    return new VmObservation(
        "web", V2.value(), V2.value(), false, "", "inactive", "dead", 0, restarts, "", true, "");
  }

  private static Optional<VmObservation> stopped(StorePath current, Object booted) {
    return observed(current, booted, "failed", "failed", 0);
  }

  private static Optional<VmObservation> observed(
      StorePath current, Object booted, String activeState, String subState, long restarts) {
    String bootedPath = booted instanceof StorePath path ? path.value() : String.valueOf(booted);
    return Optional.of(
        new VmObservation(
            "web",
            current.value(),
            bootedPath,
            false,
            "",
            activeState,
            subState,
            0,
            restarts,
            "",
            false,
            ""));
  }

  private static MicroVM vm(MicroVMStatus status) {
    MicroVM vm = new MicroVM();
    vm.setMetadata(
        new ObjectMetaBuilder().withName("web").withNamespace("ns").withGeneration(1L).build());
    vm.setSpec(SPEC);
    vm.setStatus(status);
    return vm;
  }
}
