package io.microvmoperator.reconcile.microvm.steps;

import io.microvmoperator.api.MicroVMStatus;
import io.microvmoperator.nix.StorePath;
import io.microvmoperator.reconcile.context.Findings.DesiredRunner;
import io.microvmoperator.reconcile.context.MicroVMContext;
import io.microvmoperator.reconcile.context.StepResult;
import io.microvmoperator.reconcile.runner.BuildOutcome;
import io.microvmoperator.reconcile.runner.Located;
import io.microvmoperator.reconcile.runner.RunnerBuilds;
import io.microvmoperator.reconcile.runner.SourceResolver;
import io.microvmoperator.reconcile.runner.SourceUnavailable;
import io.microvmoperator.reconcile.validation.RunnerOrigin;
import java.io.IOException;
import java.time.Duration;

/**
 * Decides which runner the VM should run and gets it into the host's store: the source is located
 * ({@link SourceResolver}); the runner in the status is taken when it came from the same place,
 * else it is built or fetched ({@link RunnerBuilds}).
 */
public final class ResolveRunner implements MicroVMStep {

  private final SourceResolver sources;
  private final RunnerBuilds builds;

  public ResolveRunner(SourceResolver sources, RunnerBuilds builds) {
    this.sources = sources;
    this.builds = builds;
  }

  @Override
  public StepResult run(MicroVMContext ctx) throws IOException {
    boolean specChanged = ctx.specChanged();
    if (specChanged) {
      // The resolution and runner in the status are the previous spec's: if this reconcile stops
      // before it knows the new ones, the next one (same generation) must not take them for these
      ctx.status().forgetResolution();
    }
    boolean requested = ctx.requests().newReconcile() || ctx.findings().changedOnHost();
    Located located;
    try {
      located = sources.locate(ctx, specChanged || requested);
    } catch (SourceUnavailable e) {
      ctx.status().desiredUnknown(e.problem().reason(), "the runner's source did not answer");
      return StepResult.stalled(e.problem(), sourceRetry(ctx));
    }
    MicroVMStatus prior = ctx.prior();
    if (!specChanged
        && SourceResolver.sameOrigin(prior, located.source())
        && prior.desiredStorePath() != null) {
      return known(
          ctx, new DesiredRunner(new StorePath(prior.desiredStorePath()), true, prior.source()));
    }
    // The runner in the status is an older spec's or source's: forget it before anything below can
    // stop this reconcile (a busy build slot, a failed command), or the next reconcile of this
    // generation would take it for the new one and never build.
    ctx.status().forgetDesired();
    BuildOutcome outcome = builds.realise(ctx, located, requested);
    if (outcome instanceof BuildOutcome.NotYet notYet) {
      return notYet.next();
    }
    return known(ctx, ((BuildOutcome.Built) outcome).runner());
  }

  private static StepResult known(MicroVMContext ctx, DesiredRunner runner) {
    ctx.status().desired(runner.runner());
    ctx.status().source(runner.source());
    ctx.findings().desired(runner);
    return StepResult.proceed();
  }

  private static Duration sourceRetry(MicroVMContext ctx) {
    return ctx.valid().origin() instanceof RunnerOrigin.Hydra hydra
        ? hydra.interval()
        : ctx.interval();
  }
}
