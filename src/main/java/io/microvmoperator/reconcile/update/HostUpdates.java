package io.microvmoperator.reconcile.update;

import io.microvmoperator.api.MicroVMSpec;
import io.microvmoperator.api.MicroVMStatus;
import io.microvmoperator.api.MicroVMStatus.Deploy;
import io.microvmoperator.host.VmObservation;
import io.microvmoperator.nix.StorePath;
import java.util.List;
import java.util.Optional;

/**
 * How the operator meets what MicroVM.nix's own workflow does to {@code current}: a hand update
 * ({@code microvm -u}) and the restart a {@code Manual} restart policy waits for.
 */
public final class HostUpdates {

  private HostUpdates() {}

  /**
   * Whether {@code current} was changed on the host by someone else since the last reconcile: it is
   * neither what the last reconcile saw nor the runner it wanted.
   */
  public static boolean changedCurrent(MicroVMStatus prior, Optional<VmObservation> observed) {
    if (observed.isEmpty() || observed.get().current().isEmpty()) {
      return false;
    }
    String current = observed.get().current();
    return prior.currentStorePath() != null
        && !current.equals(prior.currentStorePath())
        && !current.equals(prior.desiredStorePath());
  }

  /**
   * Under {@code restartPolicy: Manual}, while the VM runs (or systemd will run it again) the last
   * deployed runner and {@code wanted} is another: the runner to keep in {@code current} until a
   * restart is asked for. Empty when {@code wanted} goes into {@code current} now: another policy,
   * a stopped VM (its next start is a start anyway), a first deploy, or {@code current} not being
   * the operator's last deploy (drift is corrected as usual).
   */
  public static Optional<StorePath> heldForRestart(
      MicroVMSpec spec, MicroVMStatus prior, Optional<VmObservation> observed, StorePath wanted) {
    if (spec.restartPolicy() != MicroVMSpec.RestartPolicy.Manual
        || observed.isEmpty()
        || !observed.get().runsOrWillRun()) {
      return Optional.empty();
    }
    String current = observed.get().current();
    List<Deploy> history = Optional.ofNullable(prior.history()).orElse(List.of());
    boolean lastDeployed =
        history.stream()
            .filter(d -> "Succeeded".equals(d.result()))
            .findFirst()
            .map(d -> d.storePath().equals(current))
            .orElse(false);
    if (current.equals(wanted.value()) || !lastDeployed) {
      return Optional.empty();
    }
    return Optional.ofNullable(StorePath.parseOrNull(current));
  }
}
