package io.microvmoperator.reconcile.microvm.steps;

import io.microvmoperator.reconcile.context.MicroVMContext;
import io.microvmoperator.reconcile.context.Rollout;
import io.microvmoperator.reconcile.context.StepResult;
import io.microvmoperator.reconcile.update.UpdatePolicy;
import io.microvmoperator.reconcile.update.UpdatePolicy.Verdict;
import java.io.IOException;
import java.util.List;

/**
 * Decides where the update goes: the update policies, in order (rollback, manual restart, plan),
 * review the rollout of the desired runner; then what differs on the host is noted for the deploy.
 */
public final class GateUpdate implements MicroVMStep {

  private final List<UpdatePolicy> policies;

  public GateUpdate(List<UpdatePolicy> policies) {
    this.policies = List.copyOf(policies);
  }

  @Override
  public StepResult run(MicroVMContext ctx) throws IOException {
    Rollout rollout = Rollout.of(ctx.findings().desired().runner());
    for (UpdatePolicy policy : policies) {
      Verdict verdict = policy.review(ctx, rollout);
      if (verdict instanceof Verdict.Hold hold) {
        return hold.next();
      }
      rollout = ((Verdict.Go) verdict).rollout();
    }
    ctx.findings().rollout(rollout);
    ctx.findings().drift(Drift.of(ctx, rollout.current()));
    return StepResult.proceed();
  }
}
