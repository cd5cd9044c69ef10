package io.microvmoperator.host;

import java.util.Optional;

/**
 * What one converge step changed on a host. {@code declaredByHost}: the VM turned out to be
 * declared in the host's own configuration, so nothing was changed. {@code observed}: the VM's
 * folder afterwards, as a probe reads it (empty when it was declared by the host).
 */
public record ConvergeResult(
    boolean declaredByHost,
    boolean swapped,
    boolean started,
    boolean restarted,
    boolean stopped,
    Optional<VmObservation> observed) {

  public boolean changedAnything() {
    return swapped || started || restarted || stopped;
  }
}
