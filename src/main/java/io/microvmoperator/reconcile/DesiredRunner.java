package io.microvmoperator.reconcile;

import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMHost;
import io.microvmoperator.api.MicroVMStatus;
import io.microvmoperator.api.MicroVMStatus.Phase;
import io.microvmoperator.host.BuildJob;
import io.microvmoperator.host.HostProtocol;
import io.microvmoperator.host.NixCommandException;
import io.microvmoperator.nix.FlakeRef;
import io.microvmoperator.nix.StorePath;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Decides which runner a MicroVM should run: locks its flake (a branch is re-resolved every {@code
 * interval}, a pinned revision never), and builds on the host only when the locked reference moved.
 * Builds run detached on the host; this class starts them, waits for them (a bounded wait on the
 * host, in the reconcile) and limits them per host.
 */
final class DesiredRunner {

  static final Duration BUILD_POLL = Duration.ofSeconds(2);

  /**
   * How long one reconcile waits on the host for a build to end. Most builds of a runner whose
   * inputs are in the store end within it, so the VM is deployed in the same reconcile; a longer
   * build shows as Building and is waited for again every {@link #BUILD_POLL}.
   */
  static final Duration BUILD_WAIT = Duration.ofSeconds(2);

  /** A VM waiting for a build slot is woken when one frees; this is only the fallback. */
  static final Duration SLOT_RETRY = Duration.ofSeconds(30);

  /** What the resolution came to. */
  sealed interface Outcome permits Known, Pending, Failed {}

  /** The runner is known; {@code reused}: from the last status, nothing was evaluated. */
  record Known(StorePath runner, boolean reused) implements Outcome {}

  /** Work in progress on the host (status says which); look again after {@code next}. */
  record Pending(Duration next) implements Outcome {}

  /** The flake cannot give a runner until something changes; retried after {@code retry}. */
  record Failed(Problem problem, Duration retry) implements Outcome {}

  private final EventRecorder events;
  private final Clock clock;
  private final Consumer<ResourceID> wake;
  private final BuildSlots buildSlots = new BuildSlots();

  /** {@code wake} triggers a reconcile of a MicroVM whose build slot has freed. */
  DesiredRunner(EventRecorder events, Clock clock, Consumer<ResourceID> wake) {
    this.events = events;
    this.clock = clock;
    this.wake = wake;
  }

  Outcome resolve(
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
    FlakeRef locked;
    if (valid.flake().isPinned()) {
      locked = valid.flake();
      status.resolved(locked.value(), !locked.value().equals(prior.resolvedFlake()));
    } else if (prior.resolvedFlake() == null
        || specChanged
        || reconcileRequested
        || resolveDue(prior.lastResolveTime(), interval)) {
      try {
        locked = protocol.lockFlake(valid.flake());
      } catch (NixCommandException e) {
        status.desiredUnknown("FlakeResolutionFailed", "the flake could not be resolved");
        return new Failed(new Problem("FlakeResolutionFailed", e.getMessage()), interval);
      }
      status.resolved(locked.value(), true);
    } else {
      locked = new FlakeRef(prior.resolvedFlake());
    }

    if (!specChanged
        && locked.value().equals(prior.resolvedFlake())
        && prior.desiredStorePath() != null) {
      return new Known(new StorePath(prior.desiredStorePath()), true);
    }
    return build(vm, host, valid, locked, protocol, status, reconcileRequested, interval);
  }

  private Outcome build(
      MicroVM vm,
      MicroVMHost host,
      SpecValidator.ValidSpec valid,
      FlakeRef locked,
      HostProtocol protocol,
      MicroVMStatusBuilder status,
      boolean reconcileRequested,
      Duration interval)
      throws IOException {
    String hostName = host.getMetadata().getName();
    String installable = locked.runnerInstallable(valid.target());
    String slotKey = VmNames.key(vm);
    int max = Optional.ofNullable(host.getSpec().maxConcurrentBuilds()).orElse(2);
    BuildJob job;
    if (buildSlots.tryAcquire(hostName, slotKey, max)) {
      // A build this MicroVM showed as Building is only waited for: nothing is started again.
      boolean startedBefore = status.prior().phase() == Phase.Building;
      job =
          startedBefore
              ? protocol.waitForBuild(valid.vmName(), locked, valid.target(), BUILD_WAIT)
              : protocol.awaitBuild(valid.vmName(), locked, valid.target(), BUILD_WAIT);
      if (job.state() == BuildJob.State.MISSING) {
        job = protocol.awaitBuild(valid.vmName(), locked, valid.target(), BUILD_WAIT);
      }
      if (job.state() == BuildJob.State.FAILED && reconcileRequested) {
        protocol.discardBuild(valid.vmName(), locked, valid.target());
        job = protocol.awaitBuild(valid.vmName(), locked, valid.target(), BUILD_WAIT);
      }
    } else {
      // No slot: a build of this runner may still have run or be running (an operator restart);
      // a VM already queued looked before, and being woken with the others costs no command.
      job =
          buildSlots.isWaiting(hostName, slotKey)
              ? new BuildJob(BuildJob.State.MISSING, null, "", false)
              : protocol.buildJob(valid.vmName(), locked, valid.target());
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
      events.normal(vm, "BuildStarted", "building " + installable + " on " + hostName);
    }
    switch (job.state()) {
      case MISSING, RUNNING -> {
        building(status, installable);
        return new Pending(BUILD_POLL);
      }
      case FAILED -> {
        buildSlots.release(hostName, slotKey);
        String reason = job.isEvaluationFailure() ? "EvaluationFailed" : "BuildFailed";
        boolean firstSeen =
            status.prior().conditionsOrEmpty().stream()
                .noneMatch(
                    c ->
                        c.getType().equals(ConditionTypes.STALLED) && reason.equals(c.getReason()));
        if (firstSeen) {
          status.deployFailed(installable);
        }
        status.desiredUnknown(reason, "the runner could not be built");
        String message =
            (job.isEvaluationFailure() ? "evaluating " : "building ")
                + installable
                + " failed; the VM keeps running its current runner:\n"
                + job.logTail();
        return new Failed(new Problem(reason, message), interval);
      }
      case SUCCEEDED -> {
        buildSlots.release(hostName, slotKey);
        StorePath built = new StorePath(job.outPath());
        events.normal(vm, "BuildSucceeded", "built " + built);
        return new Known(built, false);
      }
      default -> throw new IllegalStateException("unknown build state " + job.state());
    }
  }

  /** Frees the build slot a deleted MicroVM may hold. */
  void forget(MicroVM vm) {
    buildSlots.forget(vm.getSpec().host(), VmNames.key(vm));
  }

  private static void building(MicroVMStatusBuilder status, String installable) {
    status.desiredUnknown("Building", "building " + installable);
    status.progressing(Phase.Building, "Building", "building " + installable);
  }

  private boolean resolveDue(String lastResolveTime, Duration interval) {
    return lastResolveTime == null
        || !Instant.parse(lastResolveTime).plus(interval).isAfter(clock.instant());
  }
}
