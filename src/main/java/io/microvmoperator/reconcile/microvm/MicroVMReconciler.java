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
import io.microvmoperator.api.MicroVMStatus;
import io.microvmoperator.api.MicroVMStatus.Phase;
import io.microvmoperator.reconcile.context.StepResult;
import io.microvmoperator.reconcile.host.HostProbes;
import io.microvmoperator.reconcile.kube.ApiServerErrors;
import io.microvmoperator.reconcile.kube.MicroVMCacheStore;
import io.microvmoperator.reconcile.kube.MicroVMUpdateFilter;
import io.microvmoperator.reconcile.kube.VmNames;
import io.microvmoperator.reconcile.status.MicroVMStatusBuilder;
import java.io.InterruptedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles one MicroVM: runs its steps ({@link MicroVMSteps}: validate, observe the host, resolve
 * the runner, gate the update, deploy, record, verify) and turns the result into JOSDK's {@link
 * UpdateControl}, writing the status only when it changed.
 */
@ControllerConfiguration(
    name = "microvm",
    generationAwareEventProcessing = false,
    informer =
        @Informer(
            onUpdateFilter = MicroVMUpdateFilter.class,
            itemStore = MicroVMCacheStore.class,
            // the first LIST in pages: 10,000 MicroVMs in one answer took tens of MiB at once
            informerListLimit = MicroVMReconciler.LIST_PAGE))
public class MicroVMReconciler implements Reconciler<MicroVM>, Cleaner<MicroVM> {

  private static final Logger log = LoggerFactory.getLogger(MicroVMReconciler.class);

  /** MicroVMs per page of the informer's LIST (at start, and after its watch expired). */
  static final long LIST_PAGE = 500;

  private final HostProbes probes;
  private final MicroVMSteps steps;
  private final MicroVMCleanup cleanup;
  private final Clock clock;

  MicroVMReconciler(HostProbes probes, MicroVMSteps steps, MicroVMCleanup cleanup, Clock clock) {
    this.probes = probes;
    this.steps = steps;
    this.cleanup = cleanup;
    this.clock = clock;
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
                // A shard sees only its own hosts, as it sees only its own MicroVMs.
                .withLabelSelector(
                    context.getControllerConfiguration().getInformerConfig().getLabelSelector())
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
    StepResult result = steps.run(vm, context.getSecondaryResource(MicroVMHost.class), status);
    writeStatus(context, vm, status.build());
    return toUpdateControl(result);
  }

  /** The one place a reconcile's result becomes what JOSDK does next. */
  static UpdateControl<MicroVM> toUpdateControl(StepResult result) {
    UpdateControl<MicroVM> control = UpdateControl.noUpdate();
    Duration next = result.nextLook();
    return next == null ? control : control.rescheduleAfter(next);
  }

  /**
   * Writes the status only when it changed, and so that the next reconcile reads it back even when
   * the informer has not seen the write yet (a probe this reconcile triggered can start the next
   * one at once; building on a stale status would forget what was just deployed).
   */
  private static void writeStatus(Context<MicroVM> context, MicroVM vm, MicroVMStatus status) {
    if (status.equals(vm.getStatus())) {
      return;
    }
    try {
      PrimaryUpdateAndCacheUtils.ssaPatchStatusAndCacheResource(
          vm, statusOnly(vm, status), context);
    } catch (NoSuchElementException e) {
      // Written, but gone from this operator's cache meanwhile: deleted, or relabelled into
      // another shard. Nothing of this operator's reconciles it again.
      log.info("status of {} written; it has left this operator's watch", VmNames.key(vm));
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

  /**
   * The operator is stopping: the reconcile was interrupted, or its API client was closed under it
   * (a reconcile still running after the grace period of {@code Operator.stop}).
   */
  private static boolean causedByInterruption(Throwable e) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause instanceof InterruptedException
          || cause instanceof InterruptedIOException
          || (cause instanceof IllegalStateException
              && "Client already closed".equals(cause.getMessage()))) {
        return true;
      }
    }
    return false;
  }

  @Override
  public DeleteControl cleanup(MicroVM vm, Context<MicroVM> context) {
    MicroVMCleanup.Outcome outcome =
        cleanup.delete(vm, context.getSecondaryResource(MicroVMHost.class), clock.instant());
    if (outcome.status() != null) {
      writeStatus(context, vm, outcome.status().build());
    }
    return outcome.control();
  }
}
