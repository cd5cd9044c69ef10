package io.microvmoperator.reconcile.fakes;

import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMHost;
import io.microvmoperator.host.HostProbe;
import io.microvmoperator.host.PresentedKey;
import io.microvmoperator.host.VmObservation;
import io.microvmoperator.reconcile.host.HostObservations;
import io.microvmoperator.reconcile.host.ProbeResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Probe results a test sets; records which kind of probe was asked for. */
public final class FakeObservations implements HostObservations {

  public ProbeResult result;

  /** What a fresh probe finds, when it differs from the last one ({@link #result}). */
  public ProbeResult fresh;

  public final List<String> calls = new ArrayList<>();
  public final List<MicroVM> onHost = new ArrayList<>();

  /** The host answers and shows {@code vms}. */
  public FakeObservations seeing(VmObservation... vms) {
    Map<String, VmObservation> byName = new java.util.LinkedHashMap<>();
    for (VmObservation vm : vms) {
      byName.put(vm.name(), vm);
    }
    result = ProbeResult.seen(new HostProbe("nix (Nix) 2.8.0", new PresentedKey("k", "f"), byName));
    return this;
  }

  @Override
  public ProbeResult latestOrProbe(MicroVMHost host) {
    calls.add("latestOrProbe");
    return result;
  }

  @Override
  public ProbeResult probe(MicroVMHost host) {
    calls.add("probe");
    return fresh != null ? fresh : result;
  }

  @Override
  public void record(String host, ProbeResult probe) {
    calls.add("record");
    result = probe;
  }

  @Override
  public void recordVm(String host, VmObservation vm) {
    calls.add("recordVm");
  }

  @Override
  public List<MicroVM> microVMsOn(String host) {
    return onHost;
  }
}
