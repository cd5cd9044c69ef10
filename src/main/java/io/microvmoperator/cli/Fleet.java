package io.microvmoperator.cli;

import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMHost;
import io.microvmoperator.api.MicroVMHostStatus.HostedVM;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The rows of {@code kubectl microvm list}: one per MicroVM (with what its host's probe saw of it),
 * and, for the whole fleet, one per VM folder on a host that no listed MicroVM owns (declared by
 * the host, or unmanaged).
 *
 * @param hosts every MicroVMHost (empty when they cannot be read)
 * @param microvms the MicroVMs in scope
 * @param wholeFleet whether VMs that no listed MicroVM owns are rows too ({@code -A})
 */
public record Fleet(List<MicroVMHost> hosts, List<MicroVM> microvms, boolean wholeFleet) {

  public List<FleetRow> rows() {
    Map<String, MicroVMHost> byName =
        hosts.stream()
            .collect(Collectors.toMap(h -> h.getMetadata().getName(), Function.identity()));
    Set<String> claimed = new HashSet<>();
    List<FleetRow> rows = new ArrayList<>();
    for (MicroVM vm : microvms) {
      Optional<HostedVM> seen = seenOn(byName.get(vm.getSpec().host()), vm);
      seen.ifPresent(s -> claimed.add(vm.getSpec().host() + "/" + s.name()));
      rows.add(managedRow(vm, seen));
    }
    if (wholeFleet) {
      for (MicroVMHost host : hosts) {
        for (HostedVM hosted : hostedVMs(host)) {
          if (!claimed.contains(host.getMetadata().getName() + "/" + hosted.name())) {
            rows.add(hostedRow(host, hosted));
          }
        }
      }
    }
    rows.sort(Comparator.comparing(FleetRow::host).thenComparing(FleetRow::vm));
    return rows;
  }

  /** The VM folder on the MicroVM's host that the host's probe attributes to this MicroVM. */
  private static Optional<HostedVM> seenOn(MicroVMHost host, MicroVM vm) {
    if (host == null) {
      return Optional.empty();
    }
    String name = vmName(vm);
    String ref = ManagedVerdicts.ref(vm);
    return hostedVMs(host).stream()
        .filter(h -> h.name().equals(name) && ref.equals(h.managedBy()))
        .findFirst();
  }

  private static FleetRow managedRow(MicroVM vm, Optional<HostedVM> seen) {
    HostFacts facts = seen.map(HostFacts::of).orElseGet(() -> HostFacts.of(vm));
    Verdict verdict = ManagedVerdicts.of(vm, facts);
    var status = vm.getStatus();
    return new FleetRow(
        vm.getSpec().host(),
        vmName(vm),
        ManagedVerdicts.ref(vm),
        verdict.state(),
        facts.active(),
        facts.booted(),
        facts.current(),
        status == null ? null : status.desiredStorePath(),
        status == null || status.phase() == null ? null : status.phase().name(),
        verdict.hint());
  }

  private static FleetRow hostedRow(MicroVMHost host, HostedVM hosted) {
    Verdict verdict = HostedVerdicts.of(hosted, notReadyReason(host));
    String owner =
        Boolean.TRUE.equals(hosted.declaredByHost())
            ? FleetRow.DECLARED_BY_HOST
            : FleetRow.UNMANAGED;
    return new FleetRow(
        host.getMetadata().getName(),
        hosted.name(),
        owner,
        verdict.state(),
        hosted.active(),
        hosted.booted(),
        hosted.current(),
        null,
        null,
        verdict.hint());
  }

  /** Why the host is not Ready (its probe is old), or null when it is. */
  private static String notReadyReason(MicroVMHost host) {
    var status = host.getStatus();
    if (status == null || Conditions.isTrue(status.conditions(), "Ready")) {
      return null;
    }
    String reason = Conditions.reason(status.conditions(), "Ready");
    return reason.isEmpty() ? "not probed yet" : reason;
  }

  private static List<HostedVM> hostedVMs(MicroVMHost host) {
    if (host.getStatus() == null || host.getStatus().microvms() == null) {
      return List.of();
    }
    return host.getStatus().microvms();
  }

  static String vmName(MicroVM vm) {
    String name = vm.getSpec().vmName();
    return name == null ? vm.getMetadata().getName() : name;
  }
}
