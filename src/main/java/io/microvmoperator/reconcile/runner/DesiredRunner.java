package io.microvmoperator.reconcile.runner;

import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMHost;
import io.microvmoperator.api.MicroVMStatus;
import io.microvmoperator.api.MicroVMStatus.Phase;
import io.microvmoperator.api.MicroVMStatus.RunnerSource;
import io.microvmoperator.api.MicroVMStatus.SourceType;
import io.microvmoperator.host.BuildJob;
import io.microvmoperator.host.BuildRequest;
import io.microvmoperator.host.HostProtocol;
import io.microvmoperator.host.NixCommandException;
import io.microvmoperator.hydra.HydraBuild;
import io.microvmoperator.hydra.HydraClient;
import io.microvmoperator.hydra.HydraException;
import io.microvmoperator.nix.FlakeRef;
import io.microvmoperator.nix.StorePath;
import io.microvmoperator.reconcile.failure.Problem;
import io.microvmoperator.reconcile.kube.EventRecorder;
import io.microvmoperator.reconcile.kube.VmNames;
import io.microvmoperator.reconcile.status.MicroVMStatusBuilder;
import io.microvmoperator.reconcile.validation.SpecValidator;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Decides which runner a MicroVM should run and gets it into the host's store. A flake is locked (a
 * branch re-resolved every {@code interval}, a pinned revision never) and built on the host only
 * when the locked reference moved; a Hydra job is asked for its latest successful build every
 * {@code hydra.interval}; a prebuilt runner (a store path, or Hydra's build) is fetched from the
 * binary caches with its signature checked. Builds and fetches run detached on the host; this class
 * starts them, waits for them (a bounded wait on the host, in the reconcile) and limits them per
 * host.
 */
public final class DesiredRunner {

  public static final Duration BUILD_POLL = Duration.ofSeconds(2);

  /**
   * How long one reconcile waits on the host for a build or fetch to end. Most builds of a runner
   * whose inputs are in the store end within it, so the VM is deployed in the same reconcile; a
   * longer one shows as Building and is waited for again every {@link #BUILD_POLL}.
   */
  public static final Duration BUILD_WAIT = Duration.ofSeconds(2);

  /** A VM waiting for a build slot is woken when one frees; this is only the fallback. */
  public static final Duration SLOT_RETRY = Duration.ofSeconds(30);

  /** What the resolution came to. */
  public sealed interface Outcome permits Known, Pending, Failed {}

  /**
   * The runner is in the host's store; {@code reused}: taken from the last status, nothing was
   * built or fetched.
   */
  public record Known(StorePath runner, boolean reused, RunnerSource source) implements Outcome {}

  /** Work in progress on the host (status says which); look again after {@code next}. */
  public record Pending(Duration next) implements Outcome {}

  /** The source cannot give a runner until something changes; retried after {@code retry}. */
  public record Failed(Problem problem, Duration retry) implements Outcome {}

  /** What to realise on the host, and where it comes from. */
  private record Located(BuildRequest request, RunnerSource source) {}

  /** The runner's source did not answer usefully (the flake, or Hydra). */
  public static final class SourceUnavailable extends Exception {
    final Problem problem;

    SourceUnavailable(Problem problem) {
      super(problem.message());
      this.problem = problem;
    }
  }

  private final EventRecorder events;
  private final Clock clock;
  private final HydraClient hydra;
  private final Consumer<ResourceID> wake;
  private final BuildSlots buildSlots = new BuildSlots();
  private final SourceChecks checks;

  /** {@code wake} triggers a reconcile of a MicroVM whose build slot has freed. */
  public DesiredRunner(
      EventRecorder events, Clock clock, HydraClient hydra, Consumer<ResourceID> wake) {
    this.events = events;
    this.clock = clock;
    this.hydra = hydra;
    this.wake = wake;
    this.checks = new SourceChecks(clock);
  }

  public Outcome resolve(
      MicroVM vm,
      MicroVMHost host,
      SpecValidator.ValidSpec valid,
      HostProtocol protocol,
      MicroVMStatusBuilder status,
      boolean specChanged,
      boolean reconcileRequested,
      Duration interval)
      throws IOException {
    MicroVMStatus prior = status.prior();
    if (specChanged) {
      // The resolution and runner in the status are the previous spec's: if this reconcile stops
      // before it knows the new ones, the next one (same generation) must not take them for these
      status.forgetResolution();
    }
    boolean due = specChanged || reconcileRequested;
    Located located;
    try {
      located = locate(vm, host, valid, protocol, status, due, interval);
    } catch (SourceUnavailable e) {
      status.desiredUnknown(e.problem.reason(), "the runner's source did not answer");
      Duration retry =
          valid.origin() instanceof RunnerOrigin.Hydra hydraOrigin
              ? hydraOrigin.interval()
              : interval;
      return new Failed(e.problem, retry);
    }
    if (!specChanged && sameOrigin(prior, located.source()) && prior.desiredStorePath() != null) {
      return new Known(new StorePath(prior.desiredStorePath()), true, prior.source());
    }
    // The runner in the status is an older spec's or source's: forget it before anything below can
    // stop this reconcile (a busy build slot, a failed command), or the next reconcile of this
    // generation would take it for the new one and never build.
    status.forgetDesired();
    return realise(vm, host, valid, located, protocol, status, reconcileRequested, interval);
  }

  private Located locate(
      MicroVM vm,
      MicroVMHost host,
      SpecValidator.ValidSpec valid,
      HostProtocol protocol,
      MicroVMStatusBuilder status,
      boolean due,
      Duration interval)
      throws IOException, SourceUnavailable {
    RunnerOrigin origin = valid.origin();
    String vmKey = VmNames.key(vm);
    if (origin instanceof RunnerOrigin.Flake flake) {
      FlakeRef locked =
          lock(vmKey, host.getMetadata().getName(), flake.ref(), protocol, status, due, interval);
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
    HydraBuild build = latestHydraBuild(vmKey, job, status, due);
    return new Located(
        BuildRequest.ofStorePath(build.outPath(), valid.substituters(), valid.trustedKeys()),
        new RunnerSource(SourceType.Hydra, null, job.job().toString(), build.id(), null));
  }

  /**
   * The locked flake: resolved on the host when due (or taken from another MicroVM's resolution of
   * the same flake on the same host within the interval), else the one in status.
   */
  private FlakeRef lock(
      String vm,
      String hostName,
      FlakeRef flake,
      HostProtocol protocol,
      MicroVMStatusBuilder status,
      boolean due,
      Duration interval)
      throws IOException, SourceUnavailable {
    MicroVMStatus prior = status.prior();
    if (flake.isPinned()) {
      status.resolved(flake.value(), !flake.value().equals(prior.resolvedFlake()));
      return flake;
    }
    if (!due
        && prior.resolvedFlake() != null
        && !checks.due(vm, prior.lastResolveTime(), interval)) {
      return new FlakeRef(prior.resolvedFlake());
    }
    FlakeRef locked =
        checks.answer(
            vm,
            "flake\n" + hostName + "\n" + flake.value(),
            interval,
            due,
            () -> {
              try {
                return protocol.lockFlake(flake);
              } catch (NixCommandException e) {
                throw new SourceUnavailable(new Problem("FlakeResolutionFailed", e.getMessage()));
              }
            });
    status.resolved(locked.value(), !locked.value().equals(prior.resolvedFlake()));
    return locked;
  }

  /**
   * Hydra's latest successful build of the job: asked for when due (or taken from another MicroVM's
   * question about the same job within the interval), or while the runner of the last answer is not
   * known yet; otherwise the build in status.
   */
  private HydraBuild latestHydraBuild(
      String vm, RunnerOrigin.Hydra origin, MicroVMStatusBuilder status, boolean due)
      throws IOException, SourceUnavailable {
    MicroVMStatus prior = status.prior();
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
            vm,
            "hydra\n" + origin.job(),
            origin.interval(),
            due,
            () -> {
              try {
                return hydra.latest(origin.job());
              } catch (HydraException e) {
                throw new SourceUnavailable(
                    new Problem(e.reason(), e.getMessage() + "; nothing was changed on the host"));
              }
            });
    status.resolved(null, !known || build.id() != last.hydraBuild());
    return build;
  }

  /** Whether the status' runner came from the same place (flake revision, Hydra build, path). */
  private static boolean sameOrigin(MicroVMStatus prior, RunnerSource source) {
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

  private Outcome realise(
      MicroVM vm,
      MicroVMHost host,
      SpecValidator.ValidSpec valid,
      Located located,
      HostProtocol protocol,
      MicroVMStatusBuilder status,
      boolean reconcileRequested,
      Duration interval)
      throws IOException {
    String hostName = host.getMetadata().getName();
    BuildRequest request = located.request();
    boolean prebuilt = request.isPrebuilt();
    String doing = (prebuilt ? "fetching " : "building ") + request.installable();
    String slotKey = VmNames.key(vm);
    int max = Optional.ofNullable(host.getSpec().maxConcurrentBuilds()).orElse(2);
    BuildJob job;
    if (buildSlots.tryAcquire(hostName, slotKey, max)) {
      // A job this MicroVM showed as Building is only waited for: nothing is started again.
      boolean startedBefore = status.prior().phase() == Phase.Building;
      job =
          startedBefore
              ? protocol.waitForBuild(valid.vmName(), request, BUILD_WAIT)
              : protocol.awaitBuild(valid.vmName(), request, BUILD_WAIT);
      if (job.state() == BuildJob.State.MISSING) {
        job = protocol.awaitBuild(valid.vmName(), request, BUILD_WAIT);
      }
      if (job.state() == BuildJob.State.FAILED && reconcileRequested) {
        protocol.discardBuild(valid.vmName(), request);
        job = protocol.awaitBuild(valid.vmName(), request, BUILD_WAIT);
      }
    } else {
      // No slot: a job of this runner may still have run or be running (an operator restart);
      // a VM already queued looked before, and being woken with the others costs it no command.
      job =
          buildSlots.isWaiting(hostName, slotKey)
              ? BuildJob.missing()
              : protocol.buildJob(valid.vmName(), request);
      if (job.state() == BuildJob.State.MISSING
          || (job.state() == BuildJob.State.FAILED && reconcileRequested)) {
        buildSlots.waitFor(hostName, slotKey, () -> wake.accept(ResourceID.fromResource(vm)));
        status.progressing(
            Phase.Pending,
            "WaitingForBuildSlot",
            hostName + " already runs " + max + " builds (maxConcurrentBuilds)");
        return new Pending(SLOT_RETRY);
      }
      if (job.state() == BuildJob.State.RUNNING) {
        buildSlots.tryAcquire(hostName, slotKey, Integer.MAX_VALUE);
      }
    }
    if (job.startedNow()) {
      events.normal(vm, prebuilt ? "FetchStarted" : "BuildStarted", doing + " on " + hostName);
    }
    switch (job.state()) {
      case MISSING, RUNNING -> {
        inProgress(status, prebuilt, doing);
        return new Pending(BUILD_POLL);
      }
      case FAILED -> {
        buildSlots.release(hostName, slotKey);
        if (prebuilt) {
          // a cache may be back, or a key trusted, at the next attempt: let it fetch again
          protocol.discardBuild(valid.vmName(), request);
        }
        String reason = failureReason(job, prebuilt);
        status.deployFailed(request.installable(), located.source());
        status.desiredUnknown(
            reason, "the runner could not be " + (prebuilt ? "fetched" : "built"));
        return new Failed(new Problem(reason, failureMessage(reason, request, job)), interval);
      }
      case SUCCEEDED -> {
        buildSlots.release(hostName, slotKey);
        StorePath runner = new StorePath(job.outPath());
        RunnerSource source = located.source();
        RunnerSource signed =
            job.signerNames().isEmpty()
                ? source
                : new RunnerSource(
                    source.type(),
                    source.flake(),
                    source.hydraJob(),
                    source.hydraBuild(),
                    job.signerNames());
        events.normal(
            vm,
            prebuilt ? "Fetched" : "BuildSucceeded",
            (prebuilt ? "fetched " : "built ")
                + runner
                + (signed.signedBy() == null ? "" : ", signed by " + signed.signedBy()));
        return new Known(runner, false, signed);
      }
      default -> throw new IllegalStateException("unknown build state " + job.state());
    }
  }

  private static String failureReason(BuildJob job, boolean prebuilt) {
    if (prebuilt) {
      return job.isUntrustedSignature() ? "SignatureNotTrusted" : "FetchFailed";
    }
    return job.isEvaluationFailure() ? "EvaluationFailed" : "BuildFailed";
  }

  private static String failureMessage(String reason, BuildRequest request, BuildJob job) {
    String what =
        switch (reason) {
          case "SignatureNotTrusted" ->
              request.installable()
                  + " is not signed by a key in spec.trustedPublicKeys or the host's"
                  + " trusted-public-keys; it was not deployed";
          case "FetchFailed" ->
              "fetching "
                  + request.installable()
                  + " from spec.substituters and the host's substituters failed";
          case "EvaluationFailed" -> "evaluating " + request.installable() + " failed";
          default -> "building " + request.installable() + " failed";
        };
    return what + "; the VM keeps running its current runner:\n" + job.logTail();
  }

  /** Frees the build slot a deleted MicroVM may hold. */
  public void forget(MicroVM vm) {
    buildSlots.forget(vm.getSpec().host(), VmNames.key(vm));
    checks.forget(VmNames.key(vm));
  }

  private static void inProgress(MicroVMStatusBuilder status, boolean prebuilt, String doing) {
    String reason = prebuilt ? "Fetching" : "Building";
    status.desiredUnknown(reason, doing);
    status.progressing(Phase.Building, reason, doing);
  }
}
