package io.microvmoperator.reconcile.microvm.steps;

import io.microvmoperator.host.VmObservation;
import io.microvmoperator.nix.StorePath;
import io.microvmoperator.reconcile.context.MicroVMContext;
import io.microvmoperator.reconcile.context.Retries;
import io.microvmoperator.reconcile.context.StepResult;
import io.microvmoperator.reconcile.failure.Problem;
import io.microvmoperator.reconcile.update.Rollbacks;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * The last step: whether the VM keeps running its runner. A first deploy that does not keep running
 * (nothing to roll back to) stalls; a unit that waits to run its runner again, or is still
 * starting, is looked at again soon; otherwise the VM is done until the next drift check.
 */
public final class VerifyRunning implements MicroVMStep {

  private final Clock clock;

  public VerifyRunning(Clock clock) {
    this.clock = clock;
  }

  @Override
  public StepResult run(MicroVMContext ctx) {
    StorePath desired = ctx.findings().rollout().current();
    Optional<String> stuck = stuck(ctx, desired);
    if (stuck.isPresent()) {
      // Not a retry loop of the operator's: systemd runs the runner again (Restart=always) and
      // the next probe that sees it running, or a new runner, reconciles the VM again.
      ctx.status().notRunning("NotKeptRunning", stuck.get());
      return StepResult.stalled(
          new Problem(
              "NotKeptRunning",
              desired.shortName()
                  + " did not keep running since its deploy and there is no earlier runner to go"
                  + " back to; systemd keeps running it again (Restart=always): fix the flake and"
                  + " push, or set spec.running to false"));
    }
    VmObservation vm = ctx.findings().observed().orElseThrow();
    if (!ctx.wantRunning() || vm.active()) {
      return StepResult.done(ctx.interval());
    }
    ctx.status().notRunning(notRunningReason(vm), notRunningMessage(ctx, vm));
    // A unit being stopped is looked at again soon (with a fresh probe, ObserveHost): it is
    // started once stopped.
    return StepResult.requeueAfter(vm.stopping() ? Retries.BUILD_POLL : soon(ctx));
  }

  private Optional<String> stuck(MicroVMContext ctx, StorePath desired) {
    if (ctx.findings().rollout().holdingBack()) {
      return Optional.empty();
    }
    return Rollbacks.of(ctx.spec(), ctx.prior(), ctx.findings().observed())
        .stuckWithoutRollback(desired, clock.instant());
  }

  private static String notRunningReason(VmObservation vm) {
    if (vm.waitingToRunAgain()) {
      return "WaitingToRestart";
    }
    return vm.stopping() ? "Stopping" : "Starting";
  }

  private static String notRunningMessage(MicroVMContext ctx, VmObservation vm) {
    String unit = "microvm@" + ctx.vmName();
    if (vm.waitingToRunAgain()) {
      return "the runner of "
          + unit
          + " ended; systemd runs it again (Restart=always; NRestarts="
          + vm.restarts()
          + ")";
    }
    if (vm.stopping()) {
      return unit + " is being stopped; it is started again once stopped";
    }
    return unit + " is " + vm.activeState() + " after start";
  }

  /** After a failed start, soon: Rollbacks judges the unit while systemd waits to run it again. */
  private static Duration soon(MicroVMContext ctx) {
    return ctx.findings().startFailed() ? Retries.BUILD_POLL : Retries.DEPLOY;
  }
}
