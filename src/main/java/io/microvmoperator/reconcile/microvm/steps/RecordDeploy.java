package io.microvmoperator.reconcile.microvm.steps;

import io.microvmoperator.api.MicroVMStatus.Phase;
import io.microvmoperator.host.VmObservation;
import io.microvmoperator.nix.StorePath;
import io.microvmoperator.reconcile.context.MicroVMContext;
import io.microvmoperator.reconcile.context.Retries;
import io.microvmoperator.reconcile.context.Rollout;
import io.microvmoperator.reconcile.context.StepResult;
import io.microvmoperator.reconcile.kube.Events;
import java.util.Optional;

/**
 * Checks that {@code current} is where the rollout put it and records the deploy in the status
 * (once, also when an earlier converge swapped and the operator stopped before writing it).
 */
public final class RecordDeploy implements MicroVMStep {

  private final Events events;

  public RecordDeploy(Events events) {
    this.events = events;
  }

  @Override
  public StepResult run(MicroVMContext ctx) {
    Optional<VmObservation> observed = ctx.findings().observed();
    Rollout rollout = ctx.findings().rollout();
    StorePath desired = rollout.current();
    if (observed.isEmpty()) {
      ctx.status()
          .progressing(Phase.Deploying, "Deploying", "waiting for " + ctx.vmName() + " to appear");
      return StepResult.requeueAfter(Retries.BUILD_POLL);
    }
    if (!observed.get().current().equals(desired.value())) {
      // Someone changed current on the host while this converge ran (they do not take our lock)
      String message =
          "current was changed to "
              + observed.get().current()
              + " on the host during the deploy; deploying "
              + desired
              + " again";
      ctx.status().observed(observed);
      ctx.status().progressing(Phase.Deploying, "Deploying", message);
      events.warning(ctx.vm(), "DriftCorrected", message);
      return StepResult.requeueAfter(Retries.BUILD_POLL);
    }
    if (ctx.status().recordDeploy(desired)) {
      announce(ctx, desired);
    }
    ctx.status().converged(observed.get(), desired, ctx.wantRunning());
    if (rollout.holdingBack()) {
      ctx.status().holdingBack(rollout.wanted());
    }
    if (rollout.heldForRestart()) {
      ctx.status().heldForRestart(rollout.runner());
    }
    return StepResult.proceed();
  }

  private void announce(MicroVMContext ctx, StorePath desired) {
    if (ctx.findings().changedOnHost()) {
      events.normal(
          ctx.vm(),
          "AdoptedHostUpdate",
          "current was updated on the host to "
              + desired
              + ", which is what the spec builds now; adopted with no restart of the operator's");
    } else {
      events.normal(ctx.vm(), "Deployed", "current now points at " + desired);
    }
  }
}
