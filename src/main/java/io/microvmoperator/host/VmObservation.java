package io.microvmoperator.host;

/**
 * One VM folder on a host as the probe saw it. A plain value without timestamps: two probes that
 * saw the same state are equal, so only real changes trigger a reconcile.
 *
 * @param current target of {@code current} (empty when missing)
 * @param booted target of {@code booted} (empty when the VM was not started)
 * @param declaredByHost a {@code toplevel} link exists: the host's own config manages this VM
 * @param flake content of the {@code flake} file (empty when missing)
 * @param activeState systemd's ActiveState of {@code microvm@NAME}
 * @param restarts systemd's NRestarts: how often {@code Restart=always} ran the runner again since
 *     the unit was last started by hand or by the operator (0 where systemd does not say)
 * @param result systemd's Result of the unit: {@code success}, or why it last failed ({@code
 *     timeout}: its start timed out, e.g. a notify guest that did not become ready; {@code
 *     exit-code}, {@code signal}, ...); empty where systemd does not say
 * @param jobQueued systemd has a job queued or running for the unit (its {@code Job} property)
 * @param owner the folder's owner marker ({@link Ownership}): "NAMESPACE/NAME UID" of the MicroVM
 *     that manages it; empty when the folder has none
 */
public record VmObservation(
    String name,
    String current,
    String booted,
    boolean declaredByHost,
    String flake,
    String activeState,
    String subState,
    long mainPid,
    long restarts,
    String result,
    boolean jobQueued,
    String owner) {

  public boolean active() {
    return "active".equals(activeState);
  }

  /**
   * systemd runs the runner again after it ended ({@code Restart=always}): it waits {@code
   * RestartSec} ({@code activating}, {@code auto-restart}), or its restart job has stopped the unit
   * and waits to start it ({@link #startQueued}).
   */
  public boolean waitingToRunAgain() {
    return inRestartDelay() || startQueued();
  }

  /**
   * The unit is inactive or failed with a job queued for it: the moment of systemd's restart job
   * between the stop and the start, while the units the VM needs start again (MicroVM.nix's {@code
   * microvm-virtiofsd@}, tap and PCI helpers; a real host may take seconds there); or someone's
   * start waiting for them.
   */
  public boolean startQueued() {
    return jobQueued && inactiveOrFailed();
  }

  /** The unit is inactive or failed, and no job is queued that would start it again. */
  public boolean stopped() {
    return inactiveOrFailed() && !jobQueued;
  }

  private boolean inactiveOrFailed() {
    return "inactive".equals(activeState) || "failed".equals(activeState);
  }

  /**
   * How often the runner ended since the unit was last started by hand or by the operator: {@code
   * NRestarts}, which systemd counts up when it queues the restart job, plus the end it still waits
   * {@code RestartSec} after.
   */
  public long endsSinceStart() {
    return restarts + (inRestartDelay() && !jobQueued ? 1 : 0);
  }

  private boolean inRestartDelay() {
    return "activating".equals(activeState) && "auto-restart".equals(subState);
  }

  /**
   * systemd stops the unit ({@code deactivating}): someone's {@code systemctl stop} (a person,
   * {@code microvm -R}, a host shutdown) is in progress. A start now would cancel that stop job.
   */
  public boolean stopping() {
    return "deactivating".equals(activeState);
  }

  /** The unit runs its runner, starts it, or will run it again: only a stop ends that. */
  public boolean runsOrWillRun() {
    return active()
        || "activating".equals(activeState)
        || "reloading".equals(activeState)
        || startQueued();
  }
}
