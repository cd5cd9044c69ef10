package io.microvmoperator.host;

import io.microvmoperator.nix.FlakeRef;
import io.microvmoperator.nix.StorePath;
import io.microvmoperator.nix.VmName;
import java.io.IOException;
import java.time.Duration;

/**
 * What the operator does on a MicroVM.nix host, each operation one remote command. {@link
 * HostProtocol} is the real one, over SSH.
 */
public interface HostOperations {

  /** Reads every VM on the host in one command: links, flake file and unit state. */
  HostProbe probe(PresentedKey hostKey) throws IOException;

  /** The flake with its inputs locked (a branch becomes a revision). */
  FlakeRef lockFlake(FlakeRef flake) throws IOException;

  /**
   * Starts realising {@code request} unless its job already runs or finished, waits up to {@code
   * maxWait} for it to end, and reads its state.
   */
  BuildJob startBuild(VmName vm, BuildRequest request, Duration maxWait) throws IOException;

  /**
   * Starts one job on the host that builds the runners of all of {@code batch}'s members (one
   * evaluation of their flake, one build), leaving out members whose own job already runs or
   * finished; each member's job then reads as that batch's until it ends. Waits up to {@code
   * maxWait} and reads the first member's job.
   */
  BuildJob startBatch(BuildBatch batch, Duration maxWait) throws IOException;

  /** Waits up to {@code maxWait} for a running job to end and reads its state; starts nothing. */
  BuildJob awaitBuild(VmName vm, BuildRequest request, Duration maxWait) throws IOException;

  /** Reads the state of the job of {@code request}. */
  BuildJob readBuild(VmName vm, BuildRequest request) throws IOException;

  /** Forgets a finished job so that it can run again (a retry). */
  void discardBuild(VmName vm, BuildRequest request) throws IOException;

  /** What changes from {@code from} to {@code to} ({@code nix store diff-closures}). */
  String diffClosures(StorePath from, StorePath to) throws IOException;

  /**
   * Brings the VM to what {@code request} says, under its lock, and reads it afterwards.
   *
   * @throws RunnerGoneException when the runner is no longer in the host's store
   */
  ConvergeResult converge(ConvergeRequest request) throws IOException;

  /**
   * What a live switch of a VM's guest needs (update SwitchWhenPossible): the runners' files and
   * the system's registration on this host, and the guest over SSH through it.
   *
   * @throws UnsupportedOperationException where this host's operations cannot reach guests
   */
  default LiveSwitchOperations liveSwitch() {
    throw new UnsupportedOperationException("no live switch through " + getClass().getSimpleName());
  }

  /** Stops the VM's unit unless another MicroVM owns its folder (then returns false). */
  boolean stop(VmName vm, String owner) throws IOException;

  /**
   * Stops the VM and removes its folder and GC roots, unless another MicroVM owns it or the host
   * declares it (then returns false).
   */
  boolean remove(VmName vm, String owner) throws IOException;
}
