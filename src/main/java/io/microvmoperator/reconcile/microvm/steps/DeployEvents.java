package io.microvmoperator.reconcile.microvm.steps;

import io.microvmoperator.api.MicroVMStatus;
import io.microvmoperator.host.ConvergeResult;
import io.microvmoperator.nix.StorePath;
import io.microvmoperator.reconcile.context.MicroVMContext;
import io.microvmoperator.reconcile.kube.Events;
import io.microvmoperator.reconcile.status.ConditionTypes;
import io.microvmoperator.reconcile.validation.RunnerOrigin;
import java.util.Optional;

/** The status and Events that say what a converge did. */
final class DeployEvents {

  private final Events events;

  DeployEvents(Events events) {
    this.events = events;
  }

  void report(MicroVMContext ctx, ConvergeResult result, StorePath desired) {
    if (result.startFailed()) {
      events.warning(
          ctx.vm(),
          "StartFailed",
          "systemd could not start "
              + desired.shortName()
              + result.observed().map(o -> "; see journalctl -u microvm@" + o.name()).orElse("")
              + " on the host");
    }
    if (result.swapped()) {
      ctx.status().deployed(desired);
      events.normal(ctx.vm(), "Deployed", "current now points at " + desired);
    }
    if (result.restarted()) {
      events.normal(ctx.vm(), "Restarted", "restarted to run " + desired);
    }
    if (result.started()) {
      events.normal(ctx.vm(), "Started", "started " + desired);
    }
    if (result.stopped()) {
      events.normal(ctx.vm(), "Stopped", "stopped, as spec.running is false");
    }
    driftCorrected(ctx, result);
    if (result.swapped() && hostToolsBuildAnother(ctx)) {
      events.warning(
          ctx.vm(),
          "HostToolsMismatch",
          "vmName "
              + ctx.vmName()
              + " differs from target "
              + ctx.valid().target().value()
              + ": MicroVM.nix's microvm -u and -l on the host build"
              + " nixosConfigurations."
              + ctx.vmName()
              + ", not this VM's runner; update it through this resource");
    }
  }

  /**
   * Finishing an update that an earlier converge began (an operator stopped mid-way) is no drift.
   */
  private void driftCorrected(MicroVMContext ctx, ConvergeResult result) {
    boolean expectedChange =
        ctx.specChanged()
            || !ctx.findings().desired().reused()
            || ctx.findings().rollout().holdingBack();
    Optional<String> drift = ctx.findings().drift();
    if (!expectedChange
        && wasUpToDate(ctx.prior())
        && drift.isPresent()
        && result.changedAnything()) {
      events.warning(ctx.vm(), "DriftCorrected", drift.get() + "; corrected");
    }
  }

  private static boolean hostToolsBuildAnother(MicroVMContext ctx) {
    return ctx.valid().origin() instanceof RunnerOrigin.Flake
        && !ctx.vmName().equals(ctx.valid().target().value());
  }

  private static boolean wasUpToDate(MicroVMStatus status) {
    return status.conditionsOrEmpty().stream()
        .anyMatch(
            c -> ConditionTypes.UP_TO_DATE.equals(c.getType()) && "True".equals(c.getStatus()));
  }
}
