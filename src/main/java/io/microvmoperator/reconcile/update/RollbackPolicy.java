package io.microvmoperator.reconcile.update;

import io.microvmoperator.nix.StorePath;
import io.microvmoperator.reconcile.context.MicroVMContext;
import io.microvmoperator.reconcile.context.Rollout;
import io.microvmoperator.reconcile.kube.Events;
import io.microvmoperator.reconcile.metrics.DomainMetrics;
import java.time.Clock;
import java.util.Optional;

/**
 * {@code spec.rollback}: a newly deployed runner that did not keep running is replaced by the one
 * the VM ran before, and held back while it stays the wanted one ({@link Rollbacks} says when).
 */
public final class RollbackPolicy implements UpdatePolicy {

  private final Events events;
  private final Clock clock;
  private final DomainMetrics metrics;

  public RollbackPolicy(Events events, Clock clock) {
    this(events, clock, DomainMetrics.NONE);
  }

  public RollbackPolicy(Events events, Clock clock, DomainMetrics metrics) {
    this.events = events;
    this.clock = clock;
    this.metrics = metrics;
  }

  @Override
  public Verdict review(MicroVMContext ctx, Rollout rollout) {
    StorePath wanted = rollout.wanted();
    if (Rollbacks.holdsBack(ctx.prior(), wanted) && !ctx.requests().newReconcile()) {
      return new Verdict.Go(
          rollout.running(new StorePath(ctx.prior().rollback().restoredStorePath())));
    }
    ctx.status().clearRollback();
    Optional<Rollbacks.Rollback> due =
        Rollbacks.of(ctx.spec(), ctx.prior(), ctx.findings().observed())
            .due(wanted, clock.instant());
    if (due.isEmpty()) {
      return new Verdict.Go(rollout);
    }
    StorePath back = due.get().runner();
    ctx.status().rolledBack(wanted, back, due.get().cause());
    metrics.rolledBack(ctx.findings().observed().map(Rollbacks::causeKind).orElse("Unknown"));
    events.warning(
        ctx.vm(),
        "RolledBack",
        wanted.shortName()
            + " did not keep running after its deploy ("
            + due.get().cause()
            + "); going back to "
            + back.shortName());
    return new Verdict.Go(rollout.running(back));
  }
}
