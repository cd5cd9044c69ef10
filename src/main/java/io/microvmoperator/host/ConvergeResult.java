package io.microvmoperator.host;

import java.util.Optional;

/**
 * What one converge step changed on a host. {@code declaredByHost}: the VM turned out to be
 * declared in the host's own configuration, so nothing was changed. {@code ownedBy}: when not null,
 * the folder's owner marker names that other MicroVM, so nothing was changed. {@code notARunner}:
 * the runner has no executable {@code bin/microvm-run}, so nothing was changed. {@code
 * startFailed}: systemd reported the start or restart as failed (the swap stays done). {@code
 * observed}: the VM's folder afterwards, as a probe reads it (empty when nothing was changed).
 */
public record ConvergeResult(
    boolean declaredByHost,
    String ownedBy,
    boolean notARunner,
    boolean startFailed,
    boolean swapped,
    boolean started,
    boolean restarted,
    boolean stopped,
    Optional<VmObservation> observed) {

  public boolean changedAnything() {
    return swapped || started || restarted || stopped;
  }
}
