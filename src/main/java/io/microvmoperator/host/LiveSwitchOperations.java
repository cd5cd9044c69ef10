package io.microvmoperator.host;

import io.microvmoperator.host.RunnerFilesParser.RunnerPair;
import io.microvmoperator.nix.StorePath;
import io.microvmoperator.nix.VmName;
import java.io.IOException;

/**
 * What a live switch does: on the host, read the booted and the new runner's files and put the new
 * system's registration into the store; in the guest (over SSH through the host), switch.
 */
public interface LiveSwitchOperations {

  /** The files of the runner the VM booted and of the new one ({@code runner-files.sh}). */
  RunnerPair readRunners(StorePath booted, StorePath next) throws IOException;

  /** The store path of {@code system}'s closure registration, rooted by the VM's folder. */
  StorePath registration(VmName vm, StorePath system) throws IOException;

  /**
   * Logs in to the guest at {@code guest} through the host, switches it as {@code request} says,
   * verifies {@code /run/current-system}, and switches it back when the activation failed. Never
   * throws for the guest's own failures: they are the outcome.
   */
  GuestSwitchOutcome switchGuest(SshTarget guest, GuestSwitch request);
}
