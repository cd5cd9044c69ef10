package io.microvmoperator.reconcile.microvm;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMHost;
import io.microvmoperator.api.MicroVMSpec;
import io.microvmoperator.api.MicroVMStatus;
import io.microvmoperator.api.MicroVMStatus.Phase;
import io.microvmoperator.host.ConvergeResult;
import io.microvmoperator.host.HostProtocol;
import io.microvmoperator.host.NixCommandException;
import io.microvmoperator.host.Ownership;
import io.microvmoperator.host.VmObservation;
import io.microvmoperator.hydra.HydraClient;
import io.microvmoperator.nix.InvalidValueException;
import io.microvmoperator.nix.StorePath;
import io.microvmoperator.reconcile.failure.Problem;
import io.microvmoperator.reconcile.host.HostAccess;
import io.microvmoperator.reconcile.host.HostProbes;
import io.microvmoperator.reconcile.host.ProbeResult;
import io.microvmoperator.reconcile.kube.Annotations;
import io.microvmoperator.reconcile.kube.ApiServerErrors;
import io.microvmoperator.reconcile.kube.Durations;
import io.microvmoperator.reconcile.kube.EventRecorder;
import io.microvmoperator.reconcile.kube.MicroVMCacheStore;
import io.microvmoperator.reconcile.kube.MicroVMUpdateFilter;
import io.microvmoperator.reconcile.kube.VmNames;
import io.microvmoperator.reconcile.runner.DesiredRunner;
import io.microvmoperator.reconcile.runner.RunnerOrigin;
import io.microvmoperator.reconcile.status.ConditionTypes;
import io.microvmoperator.reconcile.status.MicroVMStatusBuilder;
import io.microvmoperator.reconcile.update.HostUpdates;
import io.microvmoperator.reconcile.update.PlanGate;
import io.microvmoperator.reconcile.update.Rollbacks;
import io.microvmoperator.reconcile.validation.Claims;
import io.microvmoperator.reconcile.validation.SpecValidator;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Converges one MicroVM: observe (the host's last probe), validate, act (build, swap, restart only
 * when the runner changed), report (status through {@link MicroVMStatusBuilder}).
 */
@ControllerConfiguration(
    name = "microvm",
    generationAwareEventProcessing = false,
    informer =
        @Informer(onUpdateFilter = MicroVMUpdateFilter.class, itemStore = MicroVMCacheStore.class))
public class MicroVMReconciler implements Reconciler<MicroVM>, Cleaner<MicroVM> {

  private static final Logger log = LoggerFactory.getLogger(MicroVMReconciler.class);

  public static final Duration UNREACHABLE_RETRY = Duration.ofSeconds(10);
  public static final Duration DEPLOY_RETRY = Duration.ofSeconds(30);

  private final HostProbes probes;
  private final HostAccess access;
  private final EventRecorder events;
  private final Clock clock;
  private final DesiredRunner runners;
  private final PlanGate plans;
  private final Claims claims;

  public MicroVMReconciler(
      HostProbes probes, HostAccess access, EventRecorder events, Clock clock, HydraClient hydra) {
    this.probes = probes;
    this.access = access;
    this.events = events;
    this.clock = clock;
    this.runners = new DesiredRunner(events, clock, hydra, probes::trigger);
    this.plans = new PlanGate(events, clock);
    this.claims = new Claims(clock, probes::trigger);
  }

  @Override
  public List<EventSource<?, MicroVM>> prepareEventSources(EventSourceContext<MicroVM> context) {
    probes.attach(context.getPrimaryCache());
    InformerEventSource<MicroVMHost, MicroVM> hosts =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(MicroVMHost.class, MicroVM.class)
                .withSecondaryToPrimaryMapper(
                    host ->
                        probes.microVMsOn(host.getMetadata().getName()).stream()
                            .map(ResourceID::fromResource)
                            .collect(Collectors.toSet()))
                .<MicroVM>withPrimaryToSecondaryMapper(
                    vm -> Set.of(new ResourceID(vm.getSpec().host())))
                .withOnUpdateFilter(
                    (updated, old) ->
                        !Objects.equals(
                            updated.getMetadata().getGeneration(),
                            old.getMetadata().getGeneration()))
                .build(),
            context);
    return List.of(probes, hosts);
  }

  @Override
  public UpdateControl<MicroVM> reconcile(MicroVM vm, Context<MicroVM> context) {
    MicroVMStatusBuilder status = new MicroVMStatusBuilder(vm, clock.instant());
    Duration next;
    try {
      next = converge(vm, context.getSecondaryResource(MicroVMHost.class), status);
    } catch (IOException e) {
      Optional<MicroVMHost> host = context.getSecondaryResource(MicroVMHost.class);
      host.ifPresent(access::invalidate);
      ProbeResult failure = ProbeResult.failure(vm.getSpec().host(), e);
      if (failure.isTerminal()) {
        // Met in the middle of a reconcile (a new login, a Secret read again), the same problem as
        // when a probe meets it: waiting does not help, a person must act. It becomes the host's
        // latest probe result, so that the host's next successful probe is a change, which
        // reconciles this VM again.
        host.ifPresent(h -> probes.record(h.getMetadata().getName(), failure));
        status.hostProblem(failure.problemReason(), failure.problemMessage());
        next = stall(vm, status, new Problem(failure.problemReason(), failure.problemMessage()));
      } else {
        String message = messageOf(e);
        status.hostUnreachable(message);
        events.warning(vm, "HostUnreachable", message);
        next = UNREACHABLE_RETRY;
      }
    }
    return finish(vm, status.build(), next, context);
  }

  /** An exception's message, or its type when it has none (a cut SSH transport may give none). */
  private static String messageOf(Exception e) {
    return e.getMessage() != null ? e.getMessage() : e.getClass().getName();
  }

  /** Returns when to look again, or null to wait for the next event. */
  private Duration converge(
      MicroVM vm, Optional<MicroVMHost> maybeHost, MicroVMStatusBuilder status) throws IOException {
    MicroVMSpec spec = vm.getSpec();
    MicroVMStatus prior = status.prior();
    if (Boolean.TRUE.equals(spec.suspend())) {
      status.suspended();
      return null;
    }
    SpecValidator.ValidSpec valid;
    try {
      valid = SpecValidator.parse(vm);
    } catch (InvalidValueException e) {
      return stall(vm, status, new Problem("InvalidSpec", e.getMessage()));
    }
    if (maybeHost.isEmpty()) {
      return stall(
          vm,
          status,
          new Problem("HostNotFound", "MicroVMHost " + spec.host() + " does not exist"));
    }
    MicroVMHost host = maybeHost.get();
    String hostName = host.getMetadata().getName();
    Optional<Problem> placement =
        SpecValidator.checkPlacement(
            vm, host, access.operatorNamespace(), claims.counting(probes.microVMsOn(hostName)));
    if (placement.isPresent()) {
      return stall(vm, status, placement.get());
    }
    Optional<Problem> localFlake = SpecValidator.checkLocalFlake(valid, host);
    if (localFlake.isPresent()) {
      return stall(vm, status, localFlake.get());
    }
    if (Boolean.TRUE.equals(host.getSpec().suspend())) {
      status.progressing(
          Phase.Pending, "HostSuspended", "MicroVMHost " + hostName + " is suspended");
      return null;
    }

    // Observe: the host's last probe, or a fresh one when there is none or the user asked
    String reconcileRequest = Annotations.reconcileRequest(vm);
    boolean newReconcileRequest =
        reconcileRequest != null && !reconcileRequest.equals(prior.lastHandledReconcileAt());
    if (newReconcileRequest) {
      status.handledReconcileRequest(reconcileRequest);
    }
    ProbeResult probe = newReconcileRequest ? probes.probe(host) : probes.latestOrProbe(host);
    if (!probe.reachable()) {
      if (probe.isTerminal()) {
        status.hostProblem(probe.problemReason(), probe.problemMessage());
        return stall(vm, status, new Problem(probe.problemReason(), probe.problemMessage()));
      }
      status.hostUnreachable(probe.problemMessage());
      return UNREACHABLE_RETRY;
    }
    status.hostReachable();
    String vmName = valid.vmName().value();
    Optional<VmObservation> observed = probe.probe().vm(vmName);
    Optional<Problem> declared = SpecValidator.checkObservation(observed, hostName);
    if (declared.isPresent()) {
      return stall(vm, status, declared.get());
    }
    SpecValidator.OwnershipCheck ownership =
        SpecValidator.checkOwner(
            observed, ownerMarker(vm), vm.getMetadata().getNamespace(), hostName);
    if (ownership.problem().isPresent()) {
      return stall(vm, status, ownership.problem().get());
    }
    status.observed(observed);

    // Desired runner
    HostProtocol protocol = access.open(host).protocol();
    long generation = Optional.ofNullable(vm.getMetadata().getGeneration()).orElse(0L);
    boolean specChanged = !Objects.equals(prior.observedGeneration(), generation);
    Duration interval = Durations.parse(spec.interval(), Duration.ofMinutes(5));
    if (valid.origin() instanceof RunnerOrigin.Hydra hydra
        && hydra.interval().compareTo(interval) < 0) {
      interval = hydra.interval();
    }

    // current changed on the host by someone else (microvm -u, a script): before calling that
    // drift,
    // look whether the source moved there too, so that an update that ends where the spec wants is
    // adopted rather than undone and done again.
    boolean changedOnHost = HostUpdates.changedCurrent(prior, observed);
    DesiredRunner.Outcome outcome =
        runners.resolve(
            vm,
            host,
            valid,
            protocol,
            status,
            specChanged,
            newReconcileRequest || changedOnHost,
            interval);
    if (outcome instanceof DesiredRunner.Pending pending) {
      return pending.next();
    }
    if (outcome instanceof DesiredRunner.Failed failed) {
      return stall(vm, status, failed.problem(), failed.retry());
    }
    DesiredRunner.Known known = (DesiredRunner.Known) outcome;
    StorePath wanted = known.runner();
    status.desired(wanted);
    status.source(known.source());

    StorePath toRun = runnerToRun(vm, status, observed, wanted, newReconcileRequest);
    boolean holdingBack = !toRun.equals(wanted);

    // Act: only when the host differs from the spec
    boolean wantRunning = !Boolean.FALSE.equals(spec.running());
    boolean restartOnChange = spec.restartPolicy() != MicroVMSpec.RestartPolicy.Manual;
    String restartRequest = Annotations.restartRequest(vm);
    boolean newRestartRequest =
        restartRequest != null && !restartRequest.equals(prior.lastHandledRestartAt());
    // restartPolicy Manual: a new runner stays out of current until the restart, so that a guest
    // that reboots or crashes (Restart=always runs current again) does not switch to it silently
    Optional<StorePath> heldForRestart =
        HostUpdates.heldForRestart(
            spec, prior, observed, toRun, wantRunning && !newRestartRequest && !holdingBack);
    StorePath desired = heldForRestart.orElse(toRun);
    Optional<String> drift =
        differences(observed, desired, valid.flakeFileContent(), wantRunning, restartOnChange);
    // Going back to a runner that ran before needs no approval
    if (drift.isPresent() && !holdingBack && plans.mustWait(vm, observed, desired)) {
      plans.awaitApproval(vm, status, protocol, observed, desired);
      return interval;
    }
    boolean startFailed = false;
    if (drift.isPresent() || (newRestartRequest && wantRunning)) {
      if (!known.reused()) {
        status.deploying(desired);
      }
      ConvergeResult result;
      try {
        result =
            protocol.converge(
                valid.vmName(),
                desired,
                valid.flakeFileContent(),
                wantRunning,
                restartOnChange,
                newRestartRequest && wantRunning,
                heldForRestart.isPresent() ? toRun : null,
                ownership.ownership());
      } catch (NixCommandException e) {
        if (e.getMessage().contains(HostProtocol.RUNNER_GONE)) {
          // Collected on the host before it was deployed: built again at the next reconcile.
          status.desiredUnknown("DeployFailed", e.getMessage());
        }
        status.progressing(Phase.Failed, "DeployFailed", e.getMessage());
        events.warning(vm, "DeployFailed", e.getMessage());
        return DEPLOY_RETRY;
      }
      if (result.declaredByHost()) {
        return stall(vm, status, SpecValidator.declaredByHost(vmName, hostName));
      }
      if (result.ownedBy() != null) {
        return stall(vm, status, SpecValidator.folderNotEmpty(vmName, result.ownedBy(), hostName));
      }
      if (result.notARunner()) {
        status.desiredUnknown("NotARunner", desired + " is not a runner");
        return stall(
            vm,
            status,
            new Problem(
                "NotARunner",
                desired
                    + " has no executable bin/microvm-run, so it is not a MicroVM.nix runner"
                    + " (is the flake's attribute microvm.declaredRunner?); nothing was changed on"
                    + " the host"),
            interval);
      }
      report(vm, status, result, desired, drift, specChanged || !known.reused() || holdingBack);
      startFailed = result.startFailed();
      if (result.swapped()
          && valid.origin() instanceof RunnerOrigin.Flake
          && !vmName.equals(valid.target().value())) {
        events.warning(
            vm,
            "HostToolsMismatch",
            "vmName "
                + vmName
                + " differs from target "
                + valid.target().value()
                + ": MicroVM.nix's microvm -u and -l on the host build"
                + " nixosConfigurations."
                + vmName
                + ", not this VM's runner; update it through this resource");
      }
      observed = result.observed();
      observed.ifPresent(seen -> probes.recordVm(hostName, seen));
    }
    if (newRestartRequest) {
      status.handledRestartRequest(restartRequest);
    }
    if (observed.isEmpty()) {
      status.progressing(Phase.Deploying, "Deploying", "waiting for " + vmName + " to appear");
      return DesiredRunner.BUILD_POLL;
    }
    if (!observed.get().current().equals(desired.value())) {
      // Someone changed current on the host while this converge ran (they do not take our lock)
      String message =
          "current was changed to "
              + observed.get().current()
              + " on the host during the deploy; deploying "
              + desired
              + " again";
      status.observed(observed);
      status.progressing(Phase.Deploying, "Deploying", message);
      events.warning(vm, "DriftCorrected", message);
      return DesiredRunner.BUILD_POLL;
    }
    // A converge that swapped and then died before writing the status (an operator stopped
    // mid-way) leaves the deploy unrecorded: record it once current is seen at the runner
    if (status.recordDeploy(desired)) {
      if (changedOnHost) {
        events.normal(
            vm,
            "AdoptedHostUpdate",
            "current was updated on the host to "
                + desired
                + ", which is what the spec builds now; adopted with no restart of the operator's");
      } else {
        events.normal(vm, "Deployed", "current now points at " + desired);
      }
    }
    status.converged(observed.get(), desired, wantRunning);
    if (holdingBack) {
      status.holdingBack(wanted);
    }
    heldForRestart.ifPresent(kept -> status.heldForRestart(toRun));
    Optional<String> stuck =
        holdingBack
            ? Optional.empty()
            : Rollbacks.stuckWithoutRollback(spec, prior, observed, desired, clock.instant());
    if (stuck.isPresent()) {
      // Not a retry loop of the operator's: systemd runs the runner again (Restart=always) and
      // the next probe that sees it running, or a new runner, reconciles the VM again.
      status.notRunning("NotKeptRunning", stuck.get());
      return stall(
          vm,
          status,
          new Problem(
              "NotKeptRunning",
              desired.shortName()
                  + " did not keep running since its deploy and there is no earlier runner to go"
                  + " back to; systemd keeps running it again (Restart=always): fix the flake and"
                  + " push, or set spec.running to false"));
    }
    if (wantRunning && observed.get().waitingToRunAgain()) {
      status.notRunning(
          "WaitingToRestart",
          "the runner of microvm@"
              + vmName
              + " ended; systemd runs it again (Restart=always; NRestarts="
              + observed.get().restarts()
              + ")");
      // after a failed start, soon: Rollbacks judges the unit while systemd waits to run it again
      return startFailed ? DesiredRunner.BUILD_POLL : DEPLOY_RETRY;
    }
    if (wantRunning && !observed.get().active()) {
      status.notRunning(
          "Starting", "microvm@" + vmName + " is " + observed.get().activeState() + " after start");
      return startFailed ? DesiredRunner.BUILD_POLL : DEPLOY_RETRY;
    }
    return interval;
  }

  /**
   * The runner the VM should run: the desired one; or, while a runner that did not keep running is
   * held back, the one the VM was rolled back to (rolling back now, when {@link Rollbacks} says
   * so).
   */
  private StorePath runnerToRun(
      MicroVM vm,
      MicroVMStatusBuilder status,
      Optional<VmObservation> observed,
      StorePath wanted,
      boolean newReconcileRequest) {
    MicroVMStatus prior = status.prior();
    if (Rollbacks.holdsBack(prior, wanted) && !newReconcileRequest) {
      return new StorePath(prior.rollback().restoredStorePath());
    }
    status.clearRollback();
    Optional<Rollbacks.Rollback> due =
        Rollbacks.due(vm.getSpec(), prior, observed, wanted, clock.instant());
    if (due.isEmpty()) {
      return wanted;
    }
    StorePath back = due.get().runner();
    status.rolledBack(wanted, back, due.get().cause());
    events.warning(
        vm,
        "RolledBack",
        wanted.shortName()
            + " did not keep running after its deploy ("
            + due.get().cause()
            + "); going back to "
            + back.shortName());
    return back;
  }

  /** What differs between the host and the spec, or empty when nothing does. */
  private static Optional<String> differences(
      Optional<VmObservation> observed,
      StorePath desired,
      String flakeFile,
      boolean wantRunning,
      boolean restartOnChange) {
    if (observed.isEmpty()) {
      return Optional.of("not deployed");
    }
    VmObservation vm = observed.get();
    if (!vm.current().equals(desired.value())) {
      return Optional.of(
          "current is " + (vm.current().isEmpty() ? "missing" : vm.current()) + ", not " + desired);
    }
    if (!vm.flake().equals(flakeFile)) {
      return Optional.of(
          flakeFile.isEmpty() ? "a flake file is left over" : "flake file differs from spec.flake");
    }
    // A unit waiting to run its ended runner again is left to systemd (Restart=always): starting
    // it would zero the restart count that tells a crash loop (Rollbacks).
    if (wantRunning && !vm.active() && !vm.waitingToRunAgain()) {
      return Optional.of("microvm@" + vm.name() + " is " + vm.activeState());
    }
    if (!wantRunning && vm.runsOrWillRun()) {
      return Optional.of("microvm@" + vm.name() + " runs but spec.running is false");
    }
    if (wantRunning && restartOnChange && !vm.booted().equals(desired.value())) {
      return Optional.of("the VM runs " + vm.booted() + ", not " + desired);
    }
    return Optional.empty();
  }

  private void report(
      MicroVM vm,
      MicroVMStatusBuilder status,
      ConvergeResult result,
      StorePath desired,
      Optional<String> drift,
      boolean expectedChange) {
    if (result.startFailed()) {
      events.warning(
          vm,
          "StartFailed",
          "systemd could not start "
              + desired.shortName()
              + result.observed().map(o -> "; see journalctl -u microvm@" + o.name()).orElse("")
              + " on the host");
    }
    if (result.swapped()) {
      status.deployed(desired);
      events.normal(vm, "Deployed", "current now points at " + desired);
    }
    if (result.restarted()) {
      events.normal(vm, "Restarted", "restarted to run " + desired);
    }
    if (result.started()) {
      events.normal(vm, "Started", "started " + desired);
    }
    if (result.stopped()) {
      events.normal(vm, "Stopped", "stopped, as spec.running is false");
    }
    // Finishing an update that an earlier converge began (an operator stopped mid-way) is no drift
    if (!expectedChange
        && wasUpToDate(status.prior())
        && drift.isPresent()
        && result.changedAnything()) {
      events.warning(vm, "DriftCorrected", drift.get() + "; corrected");
    }
  }

  private static boolean wasUpToDate(MicroVMStatus status) {
    return status.conditionsOrEmpty().stream()
        .anyMatch(
            c -> ConditionTypes.UP_TO_DATE.equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private Duration stall(MicroVM vm, MicroVMStatusBuilder status, Problem problem) {
    return stall(vm, status, problem, null);
  }

  private Duration stall(
      MicroVM vm, MicroVMStatusBuilder status, Problem problem, Duration retryAfter) {
    status.stalled(problem.reason(), problem.message());
    events.warning(vm, problem.reason(), problem.message());
    return retryAfter;
  }

  /**
   * Writes the status only when it changed, and so that the next reconcile reads it back even when
   * the informer has not seen the write yet (a probe this reconcile triggered can start the next
   * one at once; building on a stale status would forget what was just deployed).
   */
  private static UpdateControl<MicroVM> finish(
      MicroVM vm, MicroVMStatus status, Duration next, Context<MicroVM> context) {
    writeStatus(context, vm, status);
    UpdateControl<MicroVM> control = UpdateControl.noUpdate();
    return next == null ? control : control.rescheduleAfter(next);
  }

  private static void writeStatus(Context<MicroVM> context, MicroVM vm, MicroVMStatus status) {
    if (!status.equals(vm.getStatus())) {
      PrimaryUpdateAndCacheUtils.ssaPatchStatusAndCacheResource(
          vm, statusOnly(vm, status), context);
    }
  }

  private static MicroVM statusOnly(MicroVM vm, MicroVMStatus status) {
    MicroVM fresh = new MicroVM();
    fresh.setMetadata(
        new ObjectMetaBuilder()
            .withName(vm.getMetadata().getName())
            .withNamespace(vm.getMetadata().getNamespace())
            .build());
    fresh.setStatus(status);
    return fresh;
  }

  @Override
  public ErrorStatusUpdateControl<MicroVM> updateErrorStatus(
      MicroVM vm, Context<MicroVM> context, Exception e) {
    if (causedByInterruption(e)) {
      // The operator is stopping and interrupted this reconcile; the next leader picks it up.
      log.info("reconcile of {} interrupted by shutdown", VmNames.key(vm));
      return ErrorStatusUpdateControl.noStatusUpdate();
    }
    Optional<KubernetesClientException> noAnswer = ApiServerErrors.unavailableIn(e);
    if (noAnswer.isPresent()) {
      // The API server is down or overloaded: nothing to fix here, and a status write would fail
      // as well. JOSDK tries the reconcile again.
      log.warn(
          "reconcile of {} could not use the API server, tried again later: {}",
          VmNames.key(vm),
          noAnswer.get().getMessage());
      return ErrorStatusUpdateControl.noStatusUpdate();
    }
    log.error("reconcile of {} failed", VmNames.key(vm), e);
    MicroVMStatusBuilder status = new MicroVMStatusBuilder(vm, clock.instant());
    status.progressing(Phase.Failed, "ReconcileError", String.valueOf(e.getMessage()));
    return ErrorStatusUpdateControl.patchStatus(statusOnly(vm, status.build()));
  }

  private static boolean causedByInterruption(Throwable e) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause instanceof InterruptedException || cause instanceof InterruptedIOException) {
        return true;
      }
    }
    return false;
  }

  @Override
  public DeleteControl cleanup(MicroVM vm, Context<MicroVM> context) {
    MicroVMSpec.DeletionPolicy policy =
        Optional.ofNullable(vm.getSpec().deletionPolicy())
            .orElse(MicroVMSpec.DeletionPolicy.Delete);
    runners.forget(vm);
    List<MicroVM> onHost = probes.microVMsOn(vm.getSpec().host());
    if (policy == MicroVMSpec.DeletionPolicy.Orphan) {
      return released(vm, onHost);
    }
    Optional<MicroVMHost> host = context.getSecondaryResource(MicroVMHost.class);
    SpecValidator.ValidSpec valid;
    try {
      valid = SpecValidator.parse(vm);
    } catch (InvalidValueException e) {
      return released(vm, onHost);
    }
    // The host is acted on exactly when this MicroVM owns the folder: the same claim rule as in
    // reconcile, and on the host the folder's owner marker (checked again by the script itself)
    if (host.isEmpty()
        || SpecValidator.checkPlacement(
                vm, host.get(), access.operatorNamespace(), claims.counting(onHost))
            .isPresent()
        || probes
            .latest(vm.getSpec().host())
            .filter(ProbeResult::reachable)
            .flatMap(p -> p.probe().vm(valid.vmName().value()))
            .map(seen -> seen.declaredByHost() || isForeign(seen.owner(), vm))
            .orElse(false)) {
      return released(vm, onHost);
    }
    try {
      HostProtocol protocol = access.open(host.get()).protocol();
      if (policy == MicroVMSpec.DeletionPolicy.Delete) {
        protocol.remove(valid.vmName(), ownerMarker(vm));
      } else {
        protocol.stop(valid.vmName(), ownerMarker(vm));
      }
      probes.probe(host.get());
      return released(vm, onHost);
    } catch (IOException e) {
      access.invalidate(host.get());
      MicroVMStatusBuilder status = new MicroVMStatusBuilder(vm, clock.instant());
      String message =
          "deletion ("
              + policy
              + ") waits for host "
              + vm.getSpec().host()
              + ": "
              + messageOf(e)
              + "; set spec.deletionPolicy to Orphan to release the resource without it";
      status.hostUnreachable(message);
      events.warning(vm, "DeletionWaitsForHost", message);
      writeStatus(context, vm, status.build());
      return DeleteControl.noFinalizerRemoval().rescheduleAfter(UNREACHABLE_RETRY);
    }
  }

  /** Ends {@code vm}'s claim of its VM name: the claims waiting for it are reconciled now. */
  private DeleteControl released(MicroVM vm, List<MicroVM> onHost) {
    claims.release(vm, onHost);
    return DeleteControl.defaultDelete();
  }

  /** The owner marker this MicroVM writes into its VM folder on the host. */
  private static String ownerMarker(MicroVM vm) {
    return Ownership.marker(
        vm.getMetadata().getNamespace(), vm.getMetadata().getName(), vm.getMetadata().getUid());
  }

  /** Whether a folder's owner marker names a MicroVM other than {@code vm}. */
  private static boolean isForeign(String marker, MicroVM vm) {
    return !marker.isEmpty() && !marker.equals(ownerMarker(vm));
  }
}
