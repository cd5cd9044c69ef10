package io.microvmoperator.reconcile.host;

import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMHost;
import io.microvmoperator.host.VmObservation;
import java.util.List;

/** What the MicroVM reconcile knows of hosts from their probes. {@link HostProbes} keeps it. */
public interface HostObservations {

  /** The host's last probe, or a probe now when there is none. */
  ProbeResult latestOrProbe(MicroVMHost host);

  /** Probes {@code host} now and records the result. */
  ProbeResult probe(MicroVMHost host);

  /** Records {@code result} as the host's latest probe (a reconcile met a host problem). */
  void record(String host, ProbeResult result);

  /** Records one VM as a converge just saw it, without triggering anything. */
  void recordVm(String host, VmObservation vm);

  /** The MicroVMs that name {@code host}. */
  List<MicroVM> microVMsOn(String host);
}
