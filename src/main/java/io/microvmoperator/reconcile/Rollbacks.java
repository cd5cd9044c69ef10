package io.microvmoperator.reconcile;

import io.microvmoperator.api.MicroVMSpec;
import io.microvmoperator.api.MicroVMStatus;
import io.microvmoperator.api.MicroVMStatus.Deploy;
import io.microvmoperator.host.VmObservation;
import io.microvmoperator.nix.StorePath;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * When a MicroVM goes back to the runner it ran before: its newly deployed runner was started and a
 * probe within {@link #WINDOW} of the deploy finds the unit not running (failed, inactive, or
 * activating again, as systemd's {@code Restart=} shows a crash loop). The failed runner is then
 * held back until the desired runner changes or a reconcile is requested.
 */
final class Rollbacks {

  /** How long after a deploy a VM that stops running is rolled back (three default probes). */
  static final Duration WINDOW = Duration.ofMinutes(3);

  private Rollbacks() {}

  /** Whether {@code desired} is the runner this VM was rolled back from, still held back. */
  static boolean holdsBack(MicroVMStatus prior, StorePath desired) {
    return prior.rollback() != null && desired.value().equals(prior.rollback().failedStorePath());
  }

  /** The runner to go back to, when the newly deployed {@code desired} does not keep running. */
  static Optional<StorePath> due(
      MicroVMSpec spec,
      MicroVMStatus prior,
      Optional<VmObservation> observed,
      StorePath desired,
      Instant now) {
    if (spec.rollback() == MicroVMSpec.RollbackPolicy.Never
        || Boolean.FALSE.equals(spec.running())
        || observed.isEmpty()) {
      return Optional.empty();
    }
    VmObservation vm = observed.get();
    boolean ranDesired = vm.booted().isEmpty() || vm.booted().equals(desired.value());
    if (vm.active() || !vm.current().equals(desired.value()) || !ranDesired) {
      return Optional.empty();
    }
    List<Deploy> history = Optional.ofNullable(prior.history()).orElse(List.of());
    if (history.isEmpty() || !isSucceededDeployOf(history.get(0), desired)) {
      return Optional.empty();
    }
    Instant deployed = Instant.parse(history.get(0).finishedAt());
    if (now.isAfter(deployed.plus(WINDOW))) {
      return Optional.empty();
    }
    return history.stream()
        .skip(1)
        .filter(d -> "Succeeded".equals(d.result()) && !d.storePath().equals(desired.value()))
        .map(d -> StorePath.parseOrNull(d.storePath()))
        .filter(path -> path != null)
        .findFirst();
  }

  private static boolean isSucceededDeployOf(Deploy deploy, StorePath runner) {
    return "Succeeded".equals(deploy.result()) && runner.value().equals(deploy.storePath());
  }
}
