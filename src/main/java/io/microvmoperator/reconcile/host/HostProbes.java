package io.microvmoperator.reconcile.host;

import io.javaoperatorsdk.operator.processing.event.Event;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.AbstractEventSource;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMHost;
import io.microvmoperator.host.HostProbe;
import io.microvmoperator.host.VmObservation;
import io.microvmoperator.reconcile.kube.VmNames;
import io.microvmoperator.reconcile.metrics.DomainMetrics;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Probes hosts (one SSH command reads every VM on a host) and keeps the last result per host. As
 * the MicroVM controller's event source it triggers a reconcile of exactly the MicroVMs whose
 * observation changed, so a quiet fleet costs one command per host per probe and nothing else.
 */
public final class HostProbes extends AbstractEventSource<ProbeResult, MicroVM>
    implements HostObservations {

  public static final String BY_HOST = "byHost";

  private final HostAccess access;
  private final DomainMetrics metrics;
  private final Map<String, ProbeResult> latest = new ConcurrentHashMap<>();
  private final Map<String, CompletableFuture<ProbeResult>> firstProbes = new ConcurrentHashMap<>();
  private volatile IndexerResourceCache<MicroVM> microVMs;

  public HostProbes(HostAccess access) {
    this(access, DomainMetrics.NONE);
  }

  public HostProbes(HostAccess access, DomainMetrics metrics) {
    super(ProbeResult.class, "host-probes");
    this.access = access;
    this.metrics = metrics;
  }

  /** Indexes the MicroVM cache by host so that a probe finds the VMs it concerns. */
  public void attach(IndexerResourceCache<MicroVM> cache) {
    cache.addIndexer(BY_HOST, vm -> List.of(vm.getSpec().host()));
    this.microVMs = cache;
  }

  /** The MicroVMs that name {@code host}, from the informer's cache. */
  @Override
  public List<MicroVM> microVMsOn(String host) {
    return microVMs == null ? List.of() : microVMs.byIndex(BY_HOST, host);
  }

  /** Every MicroVM in the informer's cache (empty before the controller started). */
  public List<MicroVM> allMicroVMs() {
    return microVMs == null ? List.of() : microVMs.list().toList();
  }

  public Optional<ProbeResult> latest(String host) {
    return Optional.ofNullable(latest.get(host));
  }

  /**
   * The host's last probe, or a probe now when there is none; a burst of reconciles of a host that
   * was not probed yet (an operator start, many new MicroVMs) shares one probe.
   */
  @Override
  public ProbeResult latestOrProbe(MicroVMHost host) {
    String name = host.getMetadata().getName();
    ProbeResult last = latest.get(name);
    if (last != null) {
      return last;
    }
    CompletableFuture<ProbeResult> mine = new CompletableFuture<>();
    CompletableFuture<ProbeResult> running = firstProbes.putIfAbsent(name, mine);
    if (running != null) {
      return running.join();
    }
    try {
      ProbeResult result = probe(host);
      mine.complete(result);
      return result;
    } catch (RuntimeException e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      firstProbes.remove(name, mine);
    }
  }

  /** Probes {@code host} now, records the result and triggers the MicroVMs it changed. */
  @Override
  public ProbeResult probe(MicroVMHost host) {
    String name = host.getMetadata().getName();
    ProbeResult result;
    try {
      HostAccess.Session session = access.open(host);
      HostProbe probe = session.protocol().probe(session.hostKey());
      result = ProbeResult.seen(probe);
    } catch (IOException e) {
      result = ProbeResult.failure(name, e);
      if (!result.isTerminal()) {
        access.invalidate(host);
      }
    }
    metrics.hostProbed(name, result.probe() != null);
    record(name, result);
    return result;
  }

  @Override
  public void record(String host, ProbeResult result) {
    ProbeResult previous = latest.put(host, result);
    if (Objects.equals(previous, result) || !isRunning()) {
      return;
    }
    for (MicroVM vm : microVMsOn(host)) {
      if (changedFor(vm, previous, result)) {
        getEventHandler().handleEvent(new Event(ResourceID.fromResource(vm)));
      }
    }
  }

  /**
   * Records one VM as a converge just saw it, without triggering anything: the next probe then
   * finds no change for it, and no second command is needed to look at the host after a deploy.
   */
  @Override
  public void recordVm(String host, VmObservation vm) {
    latest.computeIfPresent(
        host, (name, last) -> last.reachable() ? ProbeResult.seen(last.probe().withVm(vm)) : last);
  }

  /** Triggers a reconcile of one MicroVM (e.g. a build slot it waits for has freed). */
  public void trigger(ResourceID microVM) {
    if (isRunning()) {
      getEventHandler().handleEvent(new Event(microVM));
    }
  }

  /** Forgets a deleted host. */
  public void forget(String host) {
    latest.remove(host);
    metrics.hostForgotten(host);
  }

  /** {@code host} is suspended: it is not probed, so its probe metrics go until it is again. */
  public void suspended(String host) {
    metrics.hostForgotten(host);
  }

  private static boolean changedFor(MicroVM vm, ProbeResult before, ProbeResult after) {
    if (before == null || before.reachable() != after.reachable() || !after.reachable()) {
      return true;
    }
    String name = VmNames.vmName(vm);
    return !Objects.equals(before.probe().vm(name), after.probe().vm(name));
  }

  @Override
  public Set<ProbeResult> getSecondaryResources(MicroVM vm) {
    return latest(vm.getSpec().host()).map(Set::of).orElse(Set.of());
  }
}
