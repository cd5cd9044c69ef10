package io.microvmoperator.reconcile.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMStatus;
import io.microvmoperator.api.MicroVMStatus.Phase;
import io.microvmoperator.api.MicroVMStatus.RunnerSource;
import io.microvmoperator.api.MicroVMStatus.SourceType;
import io.microvmoperator.host.VmObservation;
import io.microvmoperator.nix.StorePath;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MicroVMStatusBuilderTest {

  private static final Instant NOW = Instant.parse("2026-11-25T10:00:00Z");
  private static final StorePath V1 =
      new StorePath("/nix/store/0123456789abcdfghijklmnpqrsvwxyz-microvm-web-v1");
  private static final StorePath V2 =
      new StorePath("/nix/store/zyxwvsrqpnmlkjihgfdcba9876543210-microvm-web-v2");

  @Test
  void firstSightIsUnknownAndReconciling() {
    MicroVMStatus status = new MicroVMStatusBuilder(vm(1, null), NOW).build();

    assertThat(condition(status, "Ready").getStatus()).isEqualTo("Unknown");
    assertThat(condition(status, "Reconciling").getStatus()).isEqualTo("True");
    assertThat(status.phase()).isEqualTo(Phase.Pending);
    assertThat(status.observedGeneration()).isEqualTo(1);
  }

  @Test
  void convergedIsReadyWithoutReconcilingOrStalled() {
    MicroVMStatus stalled =
        new MicroVMStatusBuilder(vm(1, null), NOW).stalled("BuildFailed", "boom").build();
    assertThat(condition(stalled, "Reconciling")).isNull();
    assertThat(stalled.phase()).isEqualTo(Phase.Failed);

    MicroVMStatus ready =
        new MicroVMStatusBuilder(vm(2, stalled), NOW).converged(running(V1, V1), V1, true).build();

    assertThat(condition(ready, "Ready").getStatus()).isEqualTo("True");
    assertThat(condition(ready, "Stalled")).isNull();
    assertThat(condition(ready, "Reconciling")).isNull();
    assertThat(condition(ready, "RestartRequired").getStatus()).isEqualTo("False");
    assertThat(ready.currentRunner()).isEqualTo("0123456-microvm-web-v1");
    assertThat(ready.observedGeneration()).isEqualTo(2);
  }

  @Test
  void aDeployIsRecordedOnceHoweverOftenItIsSeen() {
    MicroVMStatusBuilder first = new MicroVMStatusBuilder(vm(1, null), NOW);
    assertThat(first.recordDeploy(V1)).isTrue();
    MicroVMStatus deployed = first.build();

    MicroVMStatusBuilder again = new MicroVMStatusBuilder(vm(1, deployed), NOW.plusSeconds(5));
    assertThat(again.recordDeploy(V1)).isFalse();
    assertThat(again.build().history()).hasSize(1);
    assertThat(again.recordDeploy(V2)).isTrue();
    assertThat(again.build().history())
        .extracting("storePath")
        .containsExactly(V2.value(), V1.value());
  }

  @Test
  void aRunnerAboutToBeDeployedIsNotUpToDateUntilAConvergeSaysSo() {
    MicroVMStatus ready =
        new MicroVMStatusBuilder(vm(1, null), NOW).converged(running(V1, V1), V1, true).build();

    MicroVMStatus cutOff =
        new MicroVMStatusBuilder(vm(2, ready), NOW).desired(V2).deploying(V2).build();
    assertThat(condition(cutOff, "UpToDate").getStatus()).isEqualTo("False");
    assertThat(condition(cutOff, "UpToDate").getReason()).isEqualTo("Deploying");

    MicroVMStatus done =
        new MicroVMStatusBuilder(vm(2, cutOff), NOW).converged(running(V2, V2), V2, true).build();
    assertThat(condition(done, "UpToDate").getStatus()).isEqualTo("True");
  }

  @Test
  void aNewSpecForgetsTheResolutionAndRunnerOfTheOldOne() {
    MicroVMStatus old =
        new MicroVMStatusBuilder(vm(1, null), NOW)
            .resolved("path:/f?narHash=sha256-old", true)
            .desired(V1)
            .build();

    MicroVMStatus next = new MicroVMStatusBuilder(vm(2, old), NOW).forgetResolution().build();

    assertThat(next.resolvedFlake()).isNull();
    assertThat(next.desiredStorePath()).isNull();
    assertThat(next.observedGeneration()).isEqualTo(2);
  }

  @Test
  void aDeferredRestartIsAConditionNotAStaleGeneration() {
    MicroVMStatus status =
        new MicroVMStatusBuilder(vm(3, null), NOW).converged(running(V2, V1), V2, true).build();

    assertThat(condition(status, "Ready").getStatus()).isEqualTo("True");
    assertThat(condition(status, "RestartRequired").getStatus()).isEqualTo("True");
    assertThat(status.observedGeneration()).isEqualTo(3);
  }

  @Test
  void aRunnerThatSystemdRanAgainIsRunningAndSaysSo() {
    VmObservation restarted = running(V1, V1, 3);
    MicroVMStatus status =
        new MicroVMStatusBuilder(vm(1, null), NOW).converged(restarted, V1, true).build();

    assertThat(condition(status, "Running").getStatus()).isEqualTo("True");
    assertThat(condition(status, "Running").getMessage())
        .isEqualTo(
            "microvm@web is active; its runner ended and systemd ran it again 3 times since the"
                + " operator started it");
    MicroVMStatus quiet =
        new MicroVMStatusBuilder(vm(1, null), NOW).converged(running(V1, V1), V1, true).build();
    assertThat(condition(quiet, "Running").getMessage()).isEqualTo("microvm@web is active");
  }

  @Test
  void aVMStoppedOnPurposeIsReady() {
    VmObservation stopped =
        new VmObservation(
            "web", V1.value(), "", false, "", "inactive", "dead", 0, 0, "success", false, "");
    MicroVMStatus status =
        new MicroVMStatusBuilder(vm(1, null), NOW).converged(stopped, V1, false).build();

    assertThat(condition(status, "Ready").getStatus()).isEqualTo("True");
    assertThat(condition(status, "Running").getStatus()).isEqualTo("False");
    assertThat(status.phase()).isEqualTo(Phase.Stopped);
  }

  @Test
  void carriesThePriorStatusForwardAndKeepsTheLastTenDeploys() {
    MicroVMStatus status = new MicroVMStatusBuilder(vm(1, null), NOW).build();
    for (int i = 0; i < 12; i++) {
      status =
          new MicroVMStatusBuilder(vm(1, status), NOW.plusSeconds(i))
              .resolved("path:/f?rev=" + i, true)
              .source(new RunnerSource(SourceType.Flake, "path:/f?rev=" + i, null, null, null))
              .deployed(i % 2 == 0 ? V1 : V2)
              .build();
    }
    MicroVMStatus next =
        new MicroVMStatusBuilder(vm(1, status), NOW.plusSeconds(60))
            .observed(Optional.empty())
            .build();

    assertThat(next.history()).hasSize(MicroVMStatusBuilder.HISTORY_LENGTH);
    assertThat(next.history().get(0).source().flake()).isEqualTo("path:/f?rev=11");
    assertThat(next.resolvedFlake()).isEqualTo("path:/f?rev=11");
    assertThat(next.lastDeployTime()).isEqualTo(NOW.plusSeconds(11).toString());
  }

  private static VmObservation running(StorePath current, StorePath booted) {
    return running(current, booted, 0);
  }

  /** Active on {@code booted}; systemd ran its runner again {@code restarts} times. */
  private static VmObservation running(StorePath current, StorePath booted, long restarts) {
    return new VmObservation(
        "web",
        current.value(),
        booted.value(),
        false,
        "",
        "active",
        "running",
        7,
        restarts,
        "success",
        false,
        "");
  }

  private static MicroVM vm(long generation, MicroVMStatus status) {
    MicroVM vm = new MicroVM();
    vm.setMetadata(
        new ObjectMetaBuilder()
            .withName("web")
            .withNamespace("ns")
            .withGeneration(generation)
            .build());
    vm.setStatus(status);
    return vm;
  }

  private static Condition condition(MicroVMStatus status, String type) {
    return status.conditionsOrEmpty().stream()
        .filter(c -> c.getType().equals(type))
        .findFirst()
        .orElse(null);
  }
}
