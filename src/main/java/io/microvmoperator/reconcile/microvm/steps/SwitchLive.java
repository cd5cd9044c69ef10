package io.microvmoperator.reconcile.microvm.steps;

import io.microvmoperator.api.MicroVMStatus.LiveSwitch;
import io.microvmoperator.host.ConvergeRequest;
import io.microvmoperator.host.ConvergeResult;
import io.microvmoperator.host.GuestSwitch;
import io.microvmoperator.host.GuestSwitchOutcome;
import io.microvmoperator.host.LiveSwitchOperations;
import io.microvmoperator.host.NixCommandException;
import io.microvmoperator.host.RunnerFilesParser.RunnerPair;
import io.microvmoperator.host.VmObservation;
import io.microvmoperator.nix.InvalidValueException;
import io.microvmoperator.nix.StorePath;
import io.microvmoperator.reconcile.context.MicroVMContext;
import io.microvmoperator.reconcile.context.StepResult;
import io.microvmoperator.reconcile.host.HostObservations;
import io.microvmoperator.reconcile.kube.Events;
import io.microvmoperator.reconcile.update.SwitchDecision;
import io.microvmoperator.reconcile.validation.GuestTargets;
import java.io.IOException;
import java.util.Optional;

/**
 * {@code update: SwitchWhenPossible}: after Deploy swapped {@code current} without a restart, a
 * running VM whose booted runner is not the new one is switched live when the two runners differ
 * only by the guest's system ({@link SwitchDecision}), in the guest over SSH through the host;
 * otherwise, or when the guest cannot be switched, it is restarted as {@code update: Restart}
 * would. A failed activation puts the guest back on the system it ran (or, if that fails too,
 * restarts it on the runner it booted) and holds the new runner back as a rollback does. The
 * decision and its reason go into {@code status.liveSwitch} and an Event.
 */
public final class SwitchLive implements MicroVMStep {

  static final String SWITCHED = "Switched";
  static final String RESTARTED = "Restarted";
  static final String ROLLED_BACK = "RolledBack";

  private final Events events;
  private final HostObservations hosts;
  private final DeployEvents deployEvents;

  public SwitchLive(Events events, HostObservations hosts) {
    this.events = events;
    this.hosts = hosts;
    this.deployEvents = new DeployEvents(events);
  }

  /** The runner the VM booted and the one current points at now, when a switch is due. */
  private record Pending(StorePath booted, StorePath next) {}

  @Override
  public StepResult run(MicroVMContext ctx) throws IOException {
    Optional<Pending> pending = pending(ctx);
    if (pending.isEmpty()) {
      return StepResult.proceed();
    }
    LiveSwitchOperations live = ctx.session().operations().liveSwitch();
    RunnerPair runners = live.readRunners(pending.get().booted(), pending.get().next());
    SwitchDecision.Result decision = SwitchDecision.decide(runners.booted(), runners.next());
    if (!decision.live()) {
      events.normal(ctx.vm(), "RestartNeeded", decision.reason());
      return restart(ctx, pending.get(), decision.reason());
    }
    StorePath system = new StorePath(runners.next().system().orElseThrow());
    GuestSwitchOutcome outcome = switchGuest(ctx, live, system);
    return switch (outcome.kind()) {
      case SWITCHED -> switched(ctx, pending.get(), system);
      case ROLLED_BACK -> rollBack(ctx, pending.get(), outcome, false);
      case ROLLBACK_FAILED -> rollBack(ctx, pending.get(), outcome, true);
      default -> cannotSwitch(ctx, pending.get(), outcome);
    };
  }

  /** A switch is due: the VM runs, booted another runner, and was not switched to this one. */
  private static Optional<Pending> pending(MicroVMContext ctx) {
    if (!ctx.switchWhenPossible() || !ctx.wantRunning()) {
      return Optional.empty();
    }
    Optional<VmObservation> observed = ctx.findings().observed();
    StorePath desired = ctx.findings().rollout().current();
    if (observed.isEmpty()
        || !observed.get().active()
        || observed.get().booted().isEmpty()
        || !observed.get().current().equals(desired.value())
        || observed.get().booted().equals(desired.value())) {
      return Optional.empty();
    }
    StorePath booted = StorePath.parseOrNull(observed.get().booted());
    if (booted == null || switchedAlready(ctx.prior().liveSwitch(), booted, desired)) {
      return Optional.empty();
    }
    return Optional.of(new Pending(booted, desired));
  }

  static boolean switchedAlready(LiveSwitch last, StorePath booted, StorePath next) {
    return last != null
        && SWITCHED.equals(last.result())
        && booted.value().equals(last.bootedStorePath())
        && next.value().equals(last.storePath());
  }

  private static GuestSwitchOutcome switchGuest(
      MicroVMContext ctx, LiveSwitchOperations live, StorePath system) throws IOException {
    StorePath registration;
    try {
      registration = live.registration(ctx.valid().vmName(), system);
    } catch (NixCommandException e) {
      // Nothing reached the guest: restart instead, as for any switch that cannot be done.
      return new GuestSwitchOutcome(GuestSwitchOutcome.Kind.NOT_ACTIVATED, "", "", e.getMessage());
    }
    GuestSwitch request = new GuestSwitch(ctx.valid().vmName(), system, registration);
    try {
      return live.switchGuest(GuestTargets.of(ctx.spec().guestSsh()), request);
    } catch (InvalidValueException e) {
      // ValidateSpec checked it: only a spec changed since then gets here.
      return new GuestSwitchOutcome(
          GuestSwitchOutcome.Kind.UNREACHABLE, "", "", "spec.guestSsh: " + e.getMessage());
    }
  }

  private StepResult switched(MicroVMContext ctx, Pending pending, StorePath system) {
    String reason = "switched live to " + system + ": only the system changed";
    ctx.status().liveSwitch(SWITCHED, reason, pending.booted(), pending.next(), system.value());
    events.normal(
        ctx.vm(),
        "SwitchedLive",
        "the guest runs "
            + system.shortName()
            + " without a restart; its kernel and hypervisor are still "
            + pending.booted().shortName()
            + "'s");
    return StepResult.proceed();
  }

  /** The guest could not be switched (nothing was activated): restart instead. */
  private StepResult cannotSwitch(MicroVMContext ctx, Pending pending, GuestSwitchOutcome outcome)
      throws IOException {
    String reason = "no live switch (" + outcome.kind() + "): " + outcome.detail();
    events.warning(ctx.vm(), "LiveSwitchFailed", reason + "; restarting instead");
    return restart(ctx, pending, reason);
  }

  private StepResult restart(MicroVMContext ctx, Pending pending, String reason)
      throws IOException {
    ctx.status().liveSwitch(RESTARTED, reason, pending.booted(), pending.next(), null);
    return converge(ctx, pending.next(), true);
  }

  /**
   * The activation failed: current goes back to the runner the VM booted (restarted on it when the
   * guest could not be switched back), and the new runner is held back as a rollback does.
   */
  private StepResult rollBack(
      MicroVMContext ctx, Pending pending, GuestSwitchOutcome outcome, boolean restart)
      throws IOException {
    String cause = "its live switch failed: " + outcome.detail();
    ctx.status()
        .liveSwitch(ROLLED_BACK, cause, pending.booted(), pending.next(), outcome.current());
    ctx.status().rolledBack(pending.next(), pending.booted(), cause);
    events.warning(
        ctx.vm(),
        "RolledBack",
        pending.next().shortName()
            + " was not activated ("
            + outcome.detail()
            + "); going back to "
            + pending.booted().shortName()
            + (restart ? " with a restart" : " without a restart"));
    ctx.findings().rollout(ctx.findings().rollout().running(pending.booted()));
    return converge(ctx, pending.booted(), restart);
  }

  private StepResult converge(MicroVMContext ctx, StorePath runner, boolean restart)
      throws IOException {
    ConvergeRequest request =
        new ConvergeRequest(
            ctx.valid().vmName(),
            runner,
            ctx.valid().flakeFileContent(),
            true,
            true,
            restart,
            null,
            ctx.findings().ownership());
    ConvergeResult result = ctx.session().operations().converge(request);
    deployEvents.report(ctx, result, runner);
    ctx.findings().startFailed(result.startFailed());
    ctx.findings().observed(result.observed());
    result.observed().ifPresent(seen -> hosts.recordVm(ctx.hostName(), seen));
    return StepResult.proceed();
  }
}
