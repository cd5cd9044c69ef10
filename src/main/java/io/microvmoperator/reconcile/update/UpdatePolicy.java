package io.microvmoperator.reconcile.update;

import io.microvmoperator.reconcile.context.MicroVMContext;
import io.microvmoperator.reconcile.context.Rollout;
import io.microvmoperator.reconcile.context.StepResult;
import java.io.IOException;

/**
 * One rule that decides whether and how a new runner goes live: it may let the rollout go on as it
 * is, change it (go back to an earlier runner, keep the booted one in {@code current}), or hold it
 * (a plan waits for approval). The policies are applied in order by the gate step.
 */
public interface UpdatePolicy {

  /** The verdict on {@code rollout} for the VM of {@code ctx}. */
  Verdict review(MicroVMContext ctx, Rollout rollout) throws IOException;

  /** Go on with a rollout, or hold it and end the reconcile with {@code next}. */
  sealed interface Verdict {
    record Go(Rollout rollout) implements Verdict {}

    record Hold(StepResult next) implements Verdict {}
  }
}
