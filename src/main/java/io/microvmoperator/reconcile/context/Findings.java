package io.microvmoperator.reconcile.context;

import io.microvmoperator.api.MicroVMStatus.RunnerSource;
import io.microvmoperator.host.Ownership;
import io.microvmoperator.host.VmObservation;
import io.microvmoperator.nix.StorePath;
import java.util.Optional;

/** What the steps of one reconcile found, for the steps after them. */
public final class Findings {

  /** The desired runner, in the host's store; {@code reused}: taken from the last status. */
  public record DesiredRunner(StorePath runner, boolean reused, RunnerSource source) {}

  private Optional<VmObservation> observed = Optional.empty();
  private Ownership ownership;
  private boolean changedOnHost;
  private DesiredRunner desired;
  private Rollout rollout;
  private Optional<String> drift = Optional.empty();
  private boolean startFailed;

  /** The VM as the host showed it last (a probe, or the converge's own look afterwards). */
  public Optional<VmObservation> observed() {
    return observed;
  }

  public void observed(Optional<VmObservation> vm) {
    this.observed = vm;
  }

  /** The owner marker the VM folder gets, and the one it may take over. */
  public Ownership ownership() {
    return ownership;
  }

  public void ownership(Ownership ownership) {
    this.ownership = ownership;
  }

  /** Whether someone else changed {@code current} on the host since the last reconcile. */
  public boolean changedOnHost() {
    return changedOnHost;
  }

  public void changedOnHost(boolean changed) {
    this.changedOnHost = changed;
  }

  public DesiredRunner desired() {
    return desired;
  }

  public void desired(DesiredRunner desired) {
    this.desired = desired;
  }

  public Rollout rollout() {
    return rollout;
  }

  public void rollout(Rollout rollout) {
    this.rollout = rollout;
  }

  /** What differs between the host and the rollout, or empty when nothing does. */
  public Optional<String> drift() {
    return drift;
  }

  public void drift(Optional<String> drift) {
    this.drift = drift;
  }

  /** Whether systemd reported the start or restart of this reconcile's deploy as failed. */
  public boolean startFailed() {
    return startFailed;
  }

  public void startFailed(boolean failed) {
    this.startFailed = failed;
  }
}
