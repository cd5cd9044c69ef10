package io.microvmoperator.reconcile.runner;

import io.microvmoperator.api.MicroVMStatus;
import io.microvmoperator.api.MicroVMStatus.RunnerSource;
import io.microvmoperator.api.MicroVMStatus.SourceType;
import io.microvmoperator.host.BuildRequest;
import io.microvmoperator.host.NixCommandException;
import io.microvmoperator.hydra.HydraBuild;
import io.microvmoperator.hydra.HydraClient;
import io.microvmoperator.hydra.HydraException;
import io.microvmoperator.nix.FlakeRef;
import io.microvmoperator.nix.StorePath;
import io.microvmoperator.reconcile.context.MicroVMContext;
import io.microvmoperator.reconcile.failure.Problem;
import io.microvmoperator.reconcile.kube.VmNames;
import io.microvmoperator.reconcile.validation.RunnerOrigin;
import io.microvmoperator.reconcile.validation.SpecValidator.ValidSpec;
import java.io.IOException;
import java.time.Clock;
import java.util.Objects;

/**
 * Where a MicroVM's runner comes from now. A flake is locked (a branch re-resolved every {@code
 * interval}, a pinned revision never); a Hydra job is asked for its latest successful build every
 * {@code hydra.interval}; a prebuilt runner is its store path. Checks of a source are shared and
 * remembered by {@link SourceChecks}.
 */
public final class SourceResolver {

  private final HydraClient hydra;
  private final SourceChecks checks;

  public SourceResolver(Clock clock, HydraClient hydra) {
    this.hydra = hydra;
    this.checks = new SourceChecks(clock);
  }

  /** What to realise for the VM; its source is asked again when {@code due}. */
  public Located locate(MicroVMContext ctx, boolean due) throws IOException, SourceUnavailable {
    ValidSpec valid = ctx.valid();
    RunnerOrigin origin = valid.origin();
    if (origin instanceof RunnerOrigin.Flake flake) {
      FlakeRef locked = lock(ctx, flake.ref(), due);
      return new Located(
          BuildRequest.ofFlake(locked, valid.target(), valid.substituters(), valid.trustedKeys()),
          new RunnerSource(SourceType.Flake, locked.value(), null, null, null));
    }
    if (origin instanceof RunnerOrigin.Prebuilt prebuilt) {
      return new Located(
          BuildRequest.ofStorePath(prebuilt.path(), valid.substituters(), valid.trustedKeys()),
          new RunnerSource(SourceType.StorePath, null, null, null, null));
    }
    RunnerOrigin.Hydra job = (RunnerOrigin.Hydra) origin;
    HydraBuild build = latestHydraBuild(ctx, job, due);
    return new Located(
        BuildRequest.ofStorePath(build.outPath(), valid.substituters(), valid.trustedKeys()),
        new RunnerSource(SourceType.Hydra, null, job.job().toString(), build.id(), null));
  }

  /**
   * The locked flake: resolved on the host when due (or taken from another MicroVM's resolution of
   * the same flake on the same host within the interval), else the one in status.
   */
  private FlakeRef lock(MicroVMContext ctx, FlakeRef flake, boolean due)
      throws IOException, SourceUnavailable {
    MicroVMStatus prior = ctx.prior();
    String vm = VmNames.key(ctx.vm());
    if (flake.isPinned()) {
      ctx.status().resolved(flake.value(), !flake.value().equals(prior.resolvedFlake()));
      return flake;
    }
    if (!due
        && prior.resolvedFlake() != null
        && !checks.due(vm, prior.lastResolveTime(), ctx.interval())) {
      return new FlakeRef(prior.resolvedFlake());
    }
    FlakeRef locked =
        checks.answer(
            new SourceChecks.Question(
                vm, "flake\n" + ctx.hostName() + "\n" + flake.value(), ctx.interval(), due),
            () -> {
              try {
                return ctx.session().operations().lockFlake(flake);
              } catch (NixCommandException e) {
                throw new SourceUnavailable(new Problem("FlakeResolutionFailed", e.getMessage()));
              }
            });
    ctx.status().resolved(locked.value(), !locked.value().equals(prior.resolvedFlake()));
    return locked;
  }

  /**
   * Hydra's latest successful build of the job: asked for when due (or taken from another MicroVM's
   * question about the same job within the interval), or while the runner of the last answer is not
   * known yet; otherwise the build in status.
   */
  private HydraBuild latestHydraBuild(MicroVMContext ctx, RunnerOrigin.Hydra origin, boolean due)
      throws IOException, SourceUnavailable {
    MicroVMStatus prior = ctx.prior();
    String vm = VmNames.key(ctx.vm());
    RunnerSource last = prior.source();
    boolean known =
        last != null
            && last.type() == SourceType.Hydra
            && origin.job().toString().equals(last.hydraJob())
            && last.hydraBuild() != null
            && prior.desiredStorePath() != null;
    if (known && !due && !checks.due(vm, prior.lastResolveTime(), origin.interval())) {
      return new HydraBuild(last.hydraBuild(), new StorePath(prior.desiredStorePath()));
    }
    HydraBuild build =
        checks.answer(
            new SourceChecks.Question(vm, "hydra\n" + origin.job(), origin.interval(), due),
            () -> ask(origin));
    ctx.status().resolved(null, !known || build.id() != last.hydraBuild());
    return build;
  }

  private HydraBuild ask(RunnerOrigin.Hydra origin) throws IOException, SourceUnavailable {
    try {
      return hydra.latest(origin.job());
    } catch (HydraException e) {
      throw new SourceUnavailable(
          new Problem(e.reason(), e.getMessage() + "; nothing was changed on the host"));
    }
  }

  /** Whether the status' runner came from the same place (flake revision, Hydra build, path). */
  public static boolean sameOrigin(MicroVMStatus prior, RunnerSource source) {
    RunnerSource last = prior.source();
    return switch (source.type()) {
      case Flake -> source.flake().equals(prior.resolvedFlake());
      case StorePath -> last != null && last.type() == SourceType.StorePath;
      case Hydra ->
          last != null
              && last.type() == SourceType.Hydra
              && Objects.equals(last.hydraJob(), source.hydraJob())
              && Objects.equals(last.hydraBuild(), source.hydraBuild());
    };
  }

  /** Forgets what a deleted MicroVM checked. */
  public void forget(String vmKey) {
    checks.forget(vmKey);
  }
}
