package io.microvmoperator.reconcile.status;

import static io.microvmoperator.reconcile.status.ConditionTypes.HOST_REACHABLE;
import static io.microvmoperator.reconcile.status.ConditionTypes.READY;
import static io.microvmoperator.reconcile.status.ConditionTypes.RECONCILING;
import static io.microvmoperator.reconcile.status.ConditionTypes.RESTART_REQUIRED;
import static io.microvmoperator.reconcile.status.ConditionTypes.RUNNING;
import static io.microvmoperator.reconcile.status.ConditionTypes.STALLED;
import static io.microvmoperator.reconcile.status.ConditionTypes.UP_TO_DATE;
import static io.microvmoperator.reconcile.status.Conditions.FALSE;
import static io.microvmoperator.reconcile.status.Conditions.TRUE;
import static io.microvmoperator.reconcile.status.Conditions.UNKNOWN;

import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMStatus;
import io.microvmoperator.api.MicroVMStatus.Deploy;
import io.microvmoperator.api.MicroVMStatus.LiveSwitch;
import io.microvmoperator.api.MicroVMStatus.Phase;
import io.microvmoperator.api.MicroVMStatus.Plan;
import io.microvmoperator.api.MicroVMStatus.Rollback;
import io.microvmoperator.api.MicroVMStatus.RunnerSource;
import io.microvmoperator.host.VmObservation;
import io.microvmoperator.nix.StorePath;
import io.microvmoperator.reconcile.update.Rollbacks;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Turns what a reconcile found and did into a {@link MicroVMStatus}, carrying the prior status
 * forward. The one place where a MicroVM's conditions and phase are decided.
 */
public final class MicroVMStatusBuilder {

  static final int HISTORY_LENGTH = 10;

  private final MicroVMStatus prior;
  private final Conditions conditions;
  private final Instant now;
  private final long generation;
  private Phase phase;
  private String resolvedFlake;
  private String desiredStorePath;
  private String currentStorePath;
  private String bootedStorePath;
  private String lastResolveTime;
  private String lastDeployTime;
  private final List<Deploy> history;
  private String lastHandledReconcileAt;
  private String lastHandledRestartAt;
  private RunnerSource source;
  private Plan plan;
  private Rollback rollback;
  private LiveSwitch liveSwitch;

  public MicroVMStatusBuilder(MicroVM vm, Instant now) {
    this.prior = Optional.ofNullable(vm.getStatus()).orElse(empty());
    this.now = now.truncatedTo(ChronoUnit.SECONDS);
    this.generation = Optional.ofNullable(vm.getMetadata().getGeneration()).orElse(0L);
    this.conditions = new Conditions(prior.conditions(), generation, now);
    this.phase = Optional.ofNullable(prior.phase()).orElse(Phase.Pending);
    this.resolvedFlake = prior.resolvedFlake();
    this.desiredStorePath = prior.desiredStorePath();
    this.currentStorePath = prior.currentStorePath();
    this.bootedStorePath = prior.bootedStorePath();
    this.lastResolveTime = prior.lastResolveTime();
    this.lastDeployTime = prior.lastDeployTime();
    this.history = new ArrayList<>(Optional.ofNullable(prior.history()).orElse(List.of()));
    this.lastHandledReconcileAt = prior.lastHandledReconcileAt();
    this.lastHandledRestartAt = prior.lastHandledRestartAt();
    this.source = prior.source();
    this.plan = prior.plan();
    this.rollback = prior.rollback();
    this.liveSwitch = prior.liveSwitch();
    if (conditions.find(READY).isEmpty()) {
      conditions.set(READY, UNKNOWN, "Reconciling", "first reconcile");
      conditions.set(RECONCILING, TRUE, "Reconciling", "first reconcile");
    }
  }

  private static MicroVMStatus empty() {
    return new MicroVMStatus(
        null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
        null, null, null);
  }

  public MicroVMStatus prior() {
    return prior;
  }

  /** A terminal problem that only a change of spec (or host) can fix. */
  public MicroVMStatusBuilder stalled(String reason, String message) {
    conditions.set(STALLED, TRUE, reason, message);
    conditions.set(READY, FALSE, reason, message);
    conditions.remove(RECONCILING);
    phase = Phase.Failed;
    return this;
  }

  /** Work in progress that the operator expects to finish by itself. */
  public MicroVMStatusBuilder progressing(Phase phase, String reason, String message) {
    conditions.remove(STALLED);
    conditions.set(RECONCILING, TRUE, reason, message);
    conditions.set(READY, FALSE, reason, message);
    this.phase = phase;
    return this;
  }

  public MicroVMStatusBuilder hostUnreachable(String message) {
    conditions.set(HOST_REACHABLE, FALSE, "HostUnreachable", message);
    conditions.remove(STALLED);
    conditions.set(RECONCILING, TRUE, "HostUnreachable", message);
    conditions.set(READY, FALSE, "HostUnreachable", message);
    return this;
  }

  /**
   * The host's last probe (or this reconcile) met a problem a person must fix, e.g. a host key that
   * is not pinned: the host was not used, so it is not "reachable" either.
   */
  public MicroVMStatusBuilder hostProblem(String reason, String message) {
    conditions.set(HOST_REACHABLE, FALSE, reason, message);
    return this;
  }

  public MicroVMStatusBuilder hostReachable() {
    conditions.set(HOST_REACHABLE, TRUE, "Probed", "the host answered its last probe");
    return this;
  }

  /** {@code spec.suspend}: no Ready, Reconciling or Stalled claim (see {@link Conditions}). */
  public MicroVMStatusBuilder suspended() {
    conditions.suspended();
    phase = Phase.Suspended;
    return this;
  }

  /**
   * The source was resolved to {@code lockedFlake} (null for Hydra); {@code moved}: to a new locked
   * reference or build, which is the only time it is recorded (a check that finds nothing new
   * writes no status).
   */
  public MicroVMStatusBuilder resolved(String lockedFlake, boolean moved) {
    this.resolvedFlake = lockedFlake;
    if (moved) {
      lastResolveTime = now.toString();
    }
    return this;
  }

  public MicroVMStatusBuilder desired(StorePath runner) {
    this.desiredStorePath = runner.value();
    return this;
  }

  /** Where the desired runner comes from. */
  public MicroVMStatusBuilder source(RunnerSource source) {
    this.source = source;
    return this;
  }

  /**
   * A new runner is ready but updateStrategy is Plan: nothing changes on the host until the user
   * approves {@code plan.storePath()}.
   */
  public MicroVMStatusBuilder awaitingApproval(Plan plan, String message) {
    this.plan = plan;
    conditions.remove(STALLED);
    conditions.remove(RECONCILING);
    conditions.set(UP_TO_DATE, FALSE, "AwaitingApproval", message);
    conditions.set(READY, FALSE, "AwaitingApproval", message);
    phase = Phase.AwaitingApproval;
    return this;
  }

  /** The runner recorded so far is not the spec's; conditions say more once it is known why. */
  public MicroVMStatusBuilder forgetDesired() {
    this.desiredStorePath = null;
    return this;
  }

  /** The spec changed: neither the locked flake nor the runner recorded so far is its. */
  public MicroVMStatusBuilder forgetResolution() {
    this.resolvedFlake = null;
    return forgetDesired();
  }

  /**
   * A runner just built or fetched is about to be deployed. Until a converge says otherwise the VM
   * is not up to date, so that a converge cut off mid-way (an operator stopped, a host gone) is
   * finished later as the update it is, not corrected as drift.
   */
  public MicroVMStatusBuilder deploying(StorePath runner) {
    conditions.set(UP_TO_DATE, FALSE, "Deploying", "deploying " + runner.shortName());
    return this;
  }

  /** The spec's runner is not known (being built, its build failed, or the spec changed). */
  public MicroVMStatusBuilder desiredUnknown(String reason, String message) {
    this.desiredStorePath = null;
    conditions.set(UP_TO_DATE, FALSE, reason, message);
    return this;
  }

  /** The unit should run but does not (yet). */
  public MicroVMStatusBuilder notRunning(String reason, String message) {
    conditions.set(RUNNING, FALSE, reason, message);
    return progressing(Phase.Deploying, reason, message);
  }

  public MicroVMStatusBuilder observed(Optional<VmObservation> vm) {
    currentStorePath = vm.map(VmObservation::current).filter(s -> !s.isEmpty()).orElse(null);
    bootedStorePath = vm.map(VmObservation::booted).filter(s -> !s.isEmpty()).orElse(null);
    return this;
  }

  public MicroVMStatusBuilder deployed(StorePath runner) {
    lastDeployTime = now.toString();
    history.add(0, new Deploy(runner.value(), source, "Succeeded", now.toString()));
    trimHistory();
    return this;
  }

  /**
   * Records the deploy of {@code runner} unless it is the newest one recorded; returns whether it
   * recorded it.
   */
  public boolean recordDeploy(StorePath runner) {
    boolean recorded =
        !history.isEmpty()
            && history.get(0).storePath().equals(runner.value())
            && "Succeeded".equals(history.get(0).result());
    if (!recorded) {
      deployed(runner);
    }
    return !recorded;
  }

  /** Records a failed attempt once, however often it is retried. */
  public MicroVMStatusBuilder deployFailed(String runnerOrInstallable, RunnerSource attempted) {
    boolean repeated =
        !history.isEmpty()
            && history.get(0).result().equals("Failed")
            && history.get(0).storePath().equals(runnerOrInstallable);
    if (!repeated) {
      history.add(0, new Deploy(runnerOrInstallable, attempted, "Failed", now.toString()));
      trimHistory();
    }
    return this;
  }

  /**
   * The newly deployed {@code failed} did not keep running: the VM goes back to {@code restored}.
   * Its deploy in the history is marked RolledBack.
   */
  public MicroVMStatusBuilder rolledBack(StorePath failed, StorePath restored, String cause) {
    rollback = new Rollback(failed.value(), restored.value(), cause, now.toString());
    if (!history.isEmpty() && history.get(0).storePath().equals(failed.value())) {
      Deploy deploy = history.remove(0);
      history.add(
          0, new Deploy(deploy.storePath(), deploy.source(), "RolledBack", deploy.finishedAt()));
    }
    return this;
  }

  /**
   * How the running VM got {@code runner} under update SwitchWhenPossible: {@code result} Switched,
   * Restarted or RolledBack, with the reason; {@code system} is the system the guest runs after a
   * switch (null otherwise).
   */
  public MicroVMStatusBuilder liveSwitch(
      String result, String reason, StorePath booted, StorePath runner, String system) {
    liveSwitch =
        new LiveSwitch(result, reason, booted.value(), runner.value(), system, now.toString());
    return this;
  }

  /** The desired runner is not the one rolled back from (any more): deploy as usual. */
  public MicroVMStatusBuilder clearRollback() {
    rollback = null;
    return this;
  }

  /**
   * After {@link #converged}: the VM runs the runner it was rolled back to, not {@code desired},
   * which stays held back. Stalled until the desired runner changes or a reconcile is requested.
   */
  public MicroVMStatusBuilder holdingBack(StorePath desired) {
    desiredStorePath = desired.value();
    String message =
        desired.shortName()
            + " did not keep running ("
            + rollback.cause()
            + ") within "
            + Rollbacks.WINDOW.toMinutes()
            + "m of its deploy; the VM was rolled back to "
            + shortName(rollback.restoredStorePath())
            + " and runs it. "
            + desired.shortName()
            + " is not deployed again: push a fix, or set the"
            + " microvm-operator.io/reconcile-requested-at annotation to try it again";
    conditions.set(UP_TO_DATE, FALSE, "RolledBack", message);
    conditions.set(STALLED, TRUE, "RolledBack", message);
    conditions.set(READY, FALSE, "RolledBack", message);
    conditions.remove(RECONCILING);
    phase = Phase.RolledBack;
    return this;
  }

  /**
   * After {@link #converged}: {@code pending} is built and held out of {@code current} until the VM
   * is restarted ({@code restartPolicy: Manual}).
   */
  public MicroVMStatusBuilder heldForRestart(StorePath pending) {
    desiredStorePath = pending.value();
    conditions.set(
        UP_TO_DATE,
        TRUE,
        "HeldForRestart",
        pending.shortName()
            + " is built and kept out of current until the VM is restarted (restartPolicy"
            + " Manual)");
    conditions.set(
        RESTART_REQUIRED,
        TRUE,
        "RunnerChanged",
        "the VM runs "
            + shortName(bootedStorePath)
            + "; "
            + pending.shortName()
            + " waits for a restart (restartPolicy Manual): set the"
            + " microvm-operator.io/restart-requested-at annotation to deploy and start it");
    return this;
  }

  private void trimHistory() {
    while (history.size() > HISTORY_LENGTH) {
      history.remove(history.size() - 1);
    }
  }

  public MicroVMStatusBuilder handledReconcileRequest(String value) {
    lastHandledReconcileAt = value;
    return this;
  }

  public MicroVMStatusBuilder handledRestartRequest(String value) {
    lastHandledRestartAt = value;
    return this;
  }

  /** The host runs what the spec asks for (or is as close as the restart policy allows): Ready. */
  public MicroVMStatusBuilder converged(VmObservation vm, StorePath desired, boolean wantRunning) {
    observed(Optional.of(vm));
    desired(desired);
    plan = null;
    conditions.remove(STALLED);
    conditions.remove(RECONCILING);
    hostReachable();
    conditions.set(
        UP_TO_DATE, TRUE, "CurrentIsDesired", "current points at " + desired.shortName());
    restartRequired(vm, desired, wantRunning);
    if (wantRunning) {
      running(vm);
    } else {
      conditions.set(RUNNING, FALSE, "StoppedOnRequest", "spec.running is false");
      conditions.set(READY, TRUE, "Stopped", "the VM is deployed and stopped, as asked");
      phase = Phase.Stopped;
    }
    return this;
  }

  private void restartRequired(VmObservation vm, StorePath desired, boolean wantRunning) {
    boolean restartPending =
        wantRunning && vm.active() && !vm.booted().isEmpty() && !vm.booted().equals(vm.current());
    if (!restartPending) {
      conditions.set(RESTART_REQUIRED, FALSE, "BootedIsCurrent", "the VM runs its current runner");
      return;
    }
    if (switchedLiveTo(vm)) {
      conditions.set(
          RESTART_REQUIRED,
          FALSE,
          "SwitchedLive",
          "the guest runs the system of "
              + desired.shortName()
              + ", switched live; it booted "
              + shortName(vm.booted())
              + " (its kernel and hypervisor)");
      return;
    }
    conditions.set(
        RESTART_REQUIRED,
        TRUE,
        "RunnerChanged",
        "the VM runs "
            + shortName(vm.booted())
            + " but current is "
            + desired.shortName()
            + "; restartPolicy is Manual: set the microvm-operator.io/restart-requested-at"
            + " annotation to restart it");
  }

  /** Whether the VM's guest was switched live from its booted runner to its current one. */
  private boolean switchedLiveTo(VmObservation vm) {
    return liveSwitch != null
        && "Switched".equals(liveSwitch.result())
        && vm.booted().equals(liveSwitch.bootedStorePath())
        && vm.current().equals(liveSwitch.storePath());
  }

  private void running(VmObservation vm) {
    String restarted =
        vm.restarts() == 0
            ? ""
            : "; its runner ended and systemd ran it again "
                + (vm.restarts() == 1 ? "once" : vm.restarts() + " times")
                + " since the operator started it";
    conditions.set(RUNNING, TRUE, "UnitActive", "microvm@" + vm.name() + " is active" + restarted);
    conditions.set(READY, TRUE, "Running", "the VM runs " + shortName(vm.booted()));
    phase = Phase.Running;
  }

  private static String shortName(String path) {
    StorePath parsed = StorePath.parseOrNull(path);
    return parsed == null ? path : parsed.shortName();
  }

  public MicroVMStatus build() {
    return new MicroVMStatus(
        generation,
        phase,
        conditions.list(),
        resolvedFlake,
        desiredStorePath,
        currentStorePath,
        bootedStorePath,
        shortOrNull(currentStorePath),
        shortOrNull(desiredStorePath),
        lastResolveTime,
        lastDeployTime,
        history.isEmpty() ? null : List.copyOf(history),
        lastHandledReconcileAt,
        lastHandledRestartAt,
        source,
        plan,
        rollback,
        liveSwitch);
  }

  private static String shortOrNull(String path) {
    StorePath parsed = StorePath.parseOrNull(path);
    return parsed == null ? null : parsed.shortName();
  }
}
