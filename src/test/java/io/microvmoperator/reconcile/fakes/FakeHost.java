package io.microvmoperator.reconcile.fakes;

import io.microvmoperator.host.BuildBatch;
import io.microvmoperator.host.BuildJob;
import io.microvmoperator.host.BuildRequest;
import io.microvmoperator.host.ConvergeRequest;
import io.microvmoperator.host.ConvergeResult;
import io.microvmoperator.host.HostOperations;
import io.microvmoperator.host.HostProbe;
import io.microvmoperator.host.LiveSwitchOperations;
import io.microvmoperator.host.PresentedKey;
import io.microvmoperator.nix.FlakeRef;
import io.microvmoperator.nix.StorePath;
import io.microvmoperator.nix.VmName;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * An in-memory host for the steps' unit tests: answers what a test sets and records every call (by
 * operation name) and every converge request.
 */
public final class FakeHost implements HostOperations {

  public final List<String> calls = new ArrayList<>();
  public final List<ConvergeRequest> converges = new ArrayList<>();
  public BuildJob build = BuildJob.missing();
  public ConvergeResult convergeResult;
  public IOException convergeFailure;
  public FlakeRef locked;
  public String closureDiff = "";
  public FakeLiveSwitch liveSwitch;

  @Override
  public HostProbe probe(PresentedKey hostKey) {
    calls.add("probe");
    throw new UnsupportedOperationException("probes come from HostObservations in these tests");
  }

  @Override
  public FlakeRef lockFlake(FlakeRef flake) {
    calls.add("lockFlake");
    return locked != null ? locked : flake;
  }

  @Override
  public BuildJob startBuild(VmName vm, BuildRequest request, Duration maxWait) {
    calls.add("startBuild");
    return build;
  }

  /** The batches started, in order. */
  public final List<BuildBatch> batches = new ArrayList<>();

  @Override
  public BuildJob startBatch(BuildBatch batch, Duration maxWait) {
    calls.add("startBatch");
    batches.add(batch);
    return build;
  }

  @Override
  public BuildJob awaitBuild(VmName vm, BuildRequest request, Duration maxWait) {
    calls.add("awaitBuild");
    return build;
  }

  @Override
  public BuildJob readBuild(VmName vm, BuildRequest request) {
    calls.add("readBuild");
    return build;
  }

  @Override
  public void discardBuild(VmName vm, BuildRequest request) {
    calls.add("discardBuild");
  }

  @Override
  public String diffClosures(StorePath from, StorePath to) {
    calls.add("diffClosures");
    return closureDiff;
  }

  @Override
  public ConvergeResult converge(ConvergeRequest request) throws IOException {
    calls.add("converge");
    converges.add(request);
    if (convergeFailure != null) {
      throw convergeFailure;
    }
    return convergeResult;
  }

  @Override
  public LiveSwitchOperations liveSwitch() {
    calls.add("liveSwitch");
    return liveSwitch != null ? liveSwitch : HostOperations.super.liveSwitch();
  }

  @Override
  public boolean stop(VmName vm, String owner) {
    calls.add("stop");
    return true;
  }

  @Override
  public boolean remove(VmName vm, String owner) {
    calls.add("remove");
    return true;
  }
}
