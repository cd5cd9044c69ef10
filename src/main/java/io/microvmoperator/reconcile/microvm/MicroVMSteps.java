package io.microvmoperator.reconcile.microvm;

import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMHost;
import io.microvmoperator.reconcile.context.HostSession;
import io.microvmoperator.reconcile.context.MicroVMContext;
import io.microvmoperator.reconcile.context.StepResult;
import io.microvmoperator.reconcile.kube.Events;
import io.microvmoperator.reconcile.microvm.steps.MicroVMStep;
import io.microvmoperator.reconcile.microvm.steps.ValidateSpec;
import io.microvmoperator.reconcile.microvm.steps.ValidateSpec.Admission;
import io.microvmoperator.reconcile.runner.RunnerBuilds;
import io.microvmoperator.reconcile.status.MicroVMStatusBuilder;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * A MicroVM's reconcile: the spec validated, then each step in order over one context until one
 * ends the reconcile. A stalled result is reported here, in status and as a Warning Event.
 */
public final class MicroVMSteps {

  private final ValidateSpec validate;
  private final List<MicroVMStep> steps;
  private final HostUse hosts;
  private final RunnerBuilds builds;
  private final Events events;

  /** The steps run in the order given, after {@code validate}. */
  MicroVMSteps(
      ValidateSpec validate,
      List<MicroVMStep> steps,
      HostUse hosts,
      RunnerBuilds builds,
      Events events) {
    this.validate = validate;
    this.steps = List.copyOf(steps);
    this.hosts = hosts;
    this.builds = builds;
    this.events = events;
  }

  public StepResult run(MicroVM vm, Optional<MicroVMHost> host, MicroVMStatusBuilder status) {
    Admission admission = validate.admit(vm, host, status);
    StepResult result =
        admission.admitted() == null ? admission.result() : runSteps(vm, admission, status);
    if (result instanceof StepResult.Stalled stalled) {
      status.stalled(stalled.problem().reason(), stalled.problem().message());
      events.warning(vm, stalled.problem().reason(), stalled.problem().message());
    }
    builds.settle(vm, status.build().phase());
    events.flush();
    return result;
  }

  private StepResult runSteps(MicroVM vm, Admission admission, MicroVMStatusBuilder status) {
    MicroVMHost host = admission.admitted().host();
    HostSession session = hosts.session(host);
    MicroVMContext ctx = MicroVMContext.of(vm, admission.admitted(), status, session);
    try {
      for (MicroVMStep step : steps) {
        StepResult result = step.run(ctx);
        if (!(result instanceof StepResult.Proceed)) {
          return result;
        }
      }
      return StepResult.done(ctx.interval());
    } catch (IOException e) {
      return hosts.failed(vm, host, status, e);
    }
  }
}
