package io.microvmoperator.reconcile.update;

import io.microvmoperator.reconcile.context.MicroVMContext;
import io.microvmoperator.reconcile.context.Rollout;

/**
 * {@code restartPolicy: Manual}: a new runner stays out of {@code current} until the restart, so
 * that a guest that reboots or crashes ({@code Restart=always} runs {@code current} again) does not
 * switch to it silently ({@link HostUpdates#heldForRestart}).
 */
public final class ManualRestartPolicy implements UpdatePolicy {

  @Override
  public Verdict review(MicroVMContext ctx, Rollout rollout) {
    boolean mayHold = ctx.wantRunning() && !ctx.requests().newRestart() && !rollout.holdingBack();
    if (!mayHold) {
      return new Verdict.Go(rollout);
    }
    return new Verdict.Go(
        HostUpdates.heldForRestart(
                ctx.spec(), ctx.prior(), ctx.findings().observed(), rollout.runner())
            .map(rollout::keeping)
            .orElse(rollout));
  }
}
