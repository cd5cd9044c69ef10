package io.microvmoperator.reconcile.microvm.steps;

import io.microvmoperator.api.MicroVMStatus.Phase;
import io.microvmoperator.host.ConvergeRequest;
import io.microvmoperator.host.ConvergeResult;
import io.microvmoperator.host.NixCommandException;
import io.microvmoperator.host.RunnerGoneException;
import io.microvmoperator.nix.StorePath;
import io.microvmoperator.reconcile.context.MicroVMContext;
import io.microvmoperator.reconcile.context.Retries;
import io.microvmoperator.reconcile.context.Rollout;
import io.microvmoperator.reconcile.context.StepResult;
import io.microvmoperator.reconcile.failure.Problem;
import io.microvmoperator.reconcile.host.HostObservations;
import io.microvmoperator.reconcile.kube.Events;
import io.microvmoperator.reconcile.validation.SpecValidator;
import java.io.IOException;

/**
 * The only step that changes a host, and only when it differs from the rollout (or a restart was
 * asked for): one converge swaps {@code current}, writes the flake file and brings the unit to the
 * wanted state, and reads the VM afterwards.
 */
public final class Deploy implements MicroVMStep {

  private final Events events;
  private final HostObservations hosts;
  private final DeployEvents deployEvents;

  public Deploy(Events events, HostObservations hosts) {
    this.events = events;
    this.hosts = hosts;
    this.deployEvents = new DeployEvents(events);
  }

  @Override
  public StepResult run(MicroVMContext ctx) throws IOException {
    boolean restart = ctx.requests().newRestart() && ctx.wantRunning();
    if (ctx.findings().drift().isPresent() || restart) {
      StepResult converged = converge(ctx, restart);
      if (!(converged instanceof StepResult.Proceed)) {
        return converged;
      }
    }
    if (ctx.requests().newRestart()) {
      ctx.status().handledRestartRequest(ctx.requests().restart());
    }
    return StepResult.proceed();
  }

  private StepResult converge(MicroVMContext ctx, boolean restart) throws IOException {
    Rollout rollout = ctx.findings().rollout();
    StorePath desired = rollout.current();
    if (!ctx.findings().desired().reused()) {
      ctx.status().deploying(desired);
    }
    ConvergeResult result;
    try {
      result = ctx.session().operations().converge(request(ctx, restart));
    } catch (RunnerGoneException e) {
      // Collected on the host before it was deployed: built again at the next reconcile.
      ctx.status().desiredUnknown("DeployFailed", e.getMessage());
      return deployFailed(ctx, e);
    } catch (NixCommandException e) {
      return deployFailed(ctx, e);
    }
    StepResult refused = refusal(ctx, result, desired);
    if (refused != null) {
      return refused;
    }
    deployEvents.report(ctx, result, desired);
    ctx.findings().startFailed(result.startFailed());
    ctx.findings().observed(result.observed());
    result.observed().ifPresent(seen -> hosts.recordVm(ctx.hostName(), seen));
    return StepResult.proceed();
  }

  private static ConvergeRequest request(MicroVMContext ctx, boolean restart) {
    Rollout rollout = ctx.findings().rollout();
    return new ConvergeRequest(
        ctx.valid().vmName(),
        rollout.current(),
        ctx.valid().flakeFileContent(),
        ctx.wantRunning(),
        ctx.restartInConverge(),
        restart,
        rollout.heldForRestart() ? rollout.runner() : null,
        ctx.findings().ownership());
  }

  /** Why the host refused the converge and changed nothing, or null when it did not. */
  private static StepResult refusal(MicroVMContext ctx, ConvergeResult result, StorePath desired) {
    if (result.declaredByHost()) {
      return StepResult.stalled(SpecValidator.declaredByHost(ctx.vmName(), ctx.hostName()));
    }
    if (result.ownedBy() != null) {
      return StepResult.stalled(
          SpecValidator.folderNotEmpty(ctx.vmName(), result.ownedBy(), ctx.hostName()));
    }
    if (result.notARunner()) {
      ctx.status().desiredUnknown("NotARunner", desired + " is not a runner");
      return StepResult.stalled(
          new Problem(
              "NotARunner",
              desired
                  + " has no executable bin/microvm-run, so it is not a MicroVM.nix runner"
                  + " (is the flake's attribute microvm.declaredRunner?); nothing was changed on"
                  + " the host"),
          ctx.interval());
    }
    return null;
  }

  private StepResult deployFailed(MicroVMContext ctx, NixCommandException e) {
    ctx.status().progressing(Phase.Failed, "DeployFailed", e.getMessage());
    events.warning(ctx.vm(), "DeployFailed", e.getMessage());
    return StepResult.requeueAfter(Retries.DEPLOY);
  }
}
