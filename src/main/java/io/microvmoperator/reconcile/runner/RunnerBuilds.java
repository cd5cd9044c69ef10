package io.microvmoperator.reconcile.runner;

import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMStatus.Phase;
import io.microvmoperator.api.MicroVMStatus.RunnerSource;
import io.microvmoperator.host.BuildBatch;
import io.microvmoperator.host.BuildJob;
import io.microvmoperator.host.BuildRequest;
import io.microvmoperator.host.HostOperations;
import io.microvmoperator.nix.StorePath;
import io.microvmoperator.nix.VmName;
import io.microvmoperator.reconcile.context.Findings.DesiredRunner;
import io.microvmoperator.reconcile.context.MicroVMContext;
import io.microvmoperator.reconcile.context.Retries;
import io.microvmoperator.reconcile.context.StepResult;
import io.microvmoperator.reconcile.failure.Problem;
import io.microvmoperator.reconcile.kube.Events;
import io.microvmoperator.reconcile.kube.VmNames;
import io.microvmoperator.reconcile.metrics.DomainMetrics;
import io.microvmoperator.reconcile.status.MicroVMStatusBuilder;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gets a located runner into the host's store: builds a flake's runner, or fetches a prebuilt one
 * from the binary caches with its signature checked. Builds and fetches run detached on the host
 * (one job per runner, or one batch for the runners of several VMs from the same flake); this class
 * starts them, waits for them (a bounded wait on the host, in the reconcile) and limits them per
 * host ({@link BuildSlots}, {@code maxConcurrentBuilds}).
 */
public final class RunnerBuilds {

  /**
   * How long one reconcile waits on the host for a build or fetch to end. Most builds of a runner
   * whose inputs are in the store end within it, so the VM is deployed in the same reconcile; a
   * longer one shows as Building and is waited for again every {@link Retries#BUILD_POLL}.
   */
  public static final Duration BUILD_WAIT = Duration.ofSeconds(2);

  /** A VM waiting for a build slot is woken when one frees; this is only the fallback. */
  public static final Duration SLOT_RETRY = Duration.ofSeconds(30);

  private static final Logger log = LoggerFactory.getLogger(RunnerBuilds.class);

  private final Events events;
  private final Consumer<ResourceID> wake;
  private final DomainMetrics metrics;
  private final BuildSlots buildSlots = new BuildSlots();

  /** {@code wake} triggers a reconcile of a MicroVM whose build slot has freed. */
  public RunnerBuilds(Events events, Consumer<ResourceID> wake) {
    this(events, wake, DomainMetrics.NONE);
  }

  public RunnerBuilds(Events events, Consumer<ResourceID> wake, DomainMetrics metrics) {
    this.events = events;
    this.wake = wake;
    this.metrics = metrics;
  }

  /**
   * After a reconcile of {@code vm} that left it in {@code phase}: a VM holds a build slot only
   * while it is Building. Whatever else ended its reconcile (a stall, a suspension, a runner known
   * after all) frees the slot it took, so that no slot stays taken by a VM that no longer polls its
   * build.
   */
  public void settle(MicroVM vm, Phase phase) {
    if (phase != Phase.Building) {
      buildSlots.release(vm.getSpec().host(), VmNames.key(vm));
    }
  }

  /** Realises {@code located}; a failed job is started again when {@code retry} (a request). */
  public BuildOutcome realise(MicroVMContext ctx, Located located, boolean retry)
      throws IOException {
    BuildRequest request = located.request();
    Optional<BuildJob> job =
        buildSlots.tryAcquire(ctx.hostName(), slotKey(ctx), maxBuilds(ctx))
            ? Optional.of(inSlot(ctx, request, retry))
            : withoutSlot(ctx, request, retry);
    if (job.isEmpty()) {
      ctx.status()
          .progressing(
              Phase.Pending,
              "WaitingForBuildSlot",
              ctx.hostName() + " already runs " + maxBuilds(ctx) + " builds (maxConcurrentBuilds)");
      return new BuildOutcome.NotYet(StepResult.requeueAfter(SLOT_RETRY));
    }
    return outcome(ctx, located, job.get());
  }

  /**
   * With a slot: a job this MicroVM showed as Building, or that a batch started for it, is only
   * waited for, not started again. A VM taken into a batch runs no command until the batch's start
   * ended (it reads as running: it is woken then), and announces the build at its first look.
   */
  private BuildJob inSlot(MicroVMContext ctx, BuildRequest request, boolean retry)
      throws IOException {
    HostOperations host = ctx.session().operations();
    VmName vm = ctx.valid().vmName();
    BuildSlots.Joined joined = buildSlots.takeJoined(ctx.hostName(), slotKey(ctx));
    if (joined == BuildSlots.Joined.STARTING) {
      return new BuildJob(BuildJob.State.RUNNING, null, "", List.of());
    }
    boolean startedBefore =
        joined == BuildSlots.Joined.STARTED || ctx.prior().phase() == Phase.Building;
    BuildJob job = startedBefore ? host.awaitBuild(vm, request, BUILD_WAIT) : start(ctx, request);
    if (job.state() == BuildJob.State.MISSING) {
      job = host.startBuild(vm, request, BUILD_WAIT);
    }
    if (job.state() == BuildJob.State.FAILED && retry) {
      host.discardBuild(vm, request);
      job = host.startBuild(vm, request, BUILD_WAIT);
    }
    return joined == BuildSlots.Joined.STARTED ? job.asStartedNow() : job;
  }

  /**
   * Starts this VM's build, with the VMs waiting for a slot whose runners come from the same flake
   * as one batch ({@link BuildSlots#joinBatch}); they are woken to wait for their part of it.
   */
  private BuildJob start(MicroVMContext ctx, BuildRequest request) throws IOException {
    HostOperations host = ctx.session().operations();
    VmName vm = ctx.valid().vmName();
    List<BuildSlots.Waiter> joined = buildSlots.joinBatch(ctx.hostName(), slotKey(ctx), request);
    if (joined.isEmpty()) {
      return host.startBuild(vm, request, BUILD_WAIT);
    }
    List<BuildBatch.Member> members = new ArrayList<>();
    members.add(new BuildBatch.Member(vm, request));
    joined.forEach(waiter -> members.add(waiter.build()));
    BuildBatch batch = BuildBatch.of(members);
    log.info(
        "{}: batch {} builds the runners of {} and {}",
        ctx.hostName(),
        batch.id(),
        slotKey(ctx),
        joined.stream().map(BuildSlots.Waiter::vm).toList());
    try {
      return host.startBatch(batch, BUILD_WAIT);
    } finally {
      buildSlots.batchStarted(ctx.hostName(), joined);
      joined.forEach(waiter -> waiter.wake().run());
    }
  }

  /**
   * Without a slot: a job of this runner may still have run or be running (an operator restart); a
   * VM already queued looked before, and being woken with the others costs it no command. Empty
   * when the VM waits for a slot.
   */
  private Optional<BuildJob> withoutSlot(MicroVMContext ctx, BuildRequest request, boolean retry)
      throws IOException {
    String host = ctx.hostName();
    BuildJob job =
        buildSlots.isWaiting(host, slotKey(ctx))
            ? BuildJob.missing()
            : ctx.session().operations().readBuild(ctx.valid().vmName(), request);
    if (job.state() == BuildJob.State.MISSING || (job.state() == BuildJob.State.FAILED && retry)) {
      buildSlots.waitFor(
          host,
          slotKey(ctx),
          () -> wake.accept(ResourceID.fromResource(ctx.vm())),
          new BuildBatch.Member(ctx.valid().vmName(), request));
      return Optional.empty();
    }
    if (job.state() == BuildJob.State.RUNNING) {
      buildSlots.tryAcquire(host, slotKey(ctx), Integer.MAX_VALUE);
    }
    return Optional.of(job);
  }

  private BuildOutcome outcome(MicroVMContext ctx, Located located, BuildJob job)
      throws IOException {
    BuildRequest request = located.request();
    boolean prebuilt = request.isPrebuilt();
    String doing = (prebuilt ? "fetching " : "building ") + request.installable();
    if (job.startedNow()) {
      metrics.buildStarted(slotKey(ctx), prebuilt);
      events.normal(
          ctx.vm(), prebuilt ? "FetchStarted" : "BuildStarted", doing + " on " + ctx.hostName());
    }
    switch (job.state()) {
      case MISSING, RUNNING -> {
        inProgress(ctx.status(), prebuilt, doing);
        return new BuildOutcome.NotYet(StepResult.requeueAfter(Retries.BUILD_POLL));
      }
      case FAILED -> {
        return failed(ctx, located, job);
      }
      case SUCCEEDED -> {
        buildSlots.release(ctx.hostName(), slotKey(ctx));
        return new BuildOutcome.Built(succeeded(ctx, located, job));
      }
      default -> throw new IllegalStateException("unknown build state " + job.state());
    }
  }

  private BuildOutcome failed(MicroVMContext ctx, Located located, BuildJob job)
      throws IOException {
    BuildRequest request = located.request();
    boolean prebuilt = request.isPrebuilt();
    buildSlots.release(ctx.hostName(), slotKey(ctx));
    if (prebuilt) {
      // a cache may be back, or a key trusted, at the next attempt: let it fetch again
      ctx.session().operations().discardBuild(ctx.valid().vmName(), request);
    }
    String reason = failureReason(job, prebuilt);
    metrics.buildEnded(slotKey(ctx), prebuilt, reason);
    ctx.status().deployFailed(request.installable(), located.source());
    ctx.status()
        .desiredUnknown(reason, "the runner could not be " + (prebuilt ? "fetched" : "built"));
    Problem problem = new Problem(reason, failureMessage(reason, request, job));
    return new BuildOutcome.NotYet(StepResult.stalled(problem, ctx.interval()));
  }

  private DesiredRunner succeeded(MicroVMContext ctx, Located located, BuildJob job) {
    boolean prebuilt = located.request().isPrebuilt();
    metrics.buildEnded(slotKey(ctx), prebuilt, "Succeeded");
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
        ctx.vm(),
        prebuilt ? "Fetched" : "BuildSucceeded",
        (prebuilt ? "fetched " : "built ")
            + runner
            + (signed.signedBy() == null ? "" : ", signed by " + signed.signedBy()));
    return new DesiredRunner(runner, false, signed);
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
  public void forget(String host, String vmKey) {
    buildSlots.forget(host, vmKey);
    metrics.microVMForgotten(vmKey);
  }

  private static void inProgress(MicroVMStatusBuilder status, boolean prebuilt, String doing) {
    String reason = prebuilt ? "Fetching" : "Building";
    status.desiredUnknown(reason, doing);
    status.progressing(Phase.Building, reason, doing);
  }

  private static String slotKey(MicroVMContext ctx) {
    return VmNames.key(ctx.vm());
  }

  private static int maxBuilds(MicroVMContext ctx) {
    return Optional.ofNullable(ctx.host().getSpec().maxConcurrentBuilds()).orElse(2);
  }
}
