package io.microvmoperator.host;

/**
 * What one converge step changed on a host. {@code declaredByHost}: the VM turned out to be
 * declared in the host's own configuration, so nothing was changed.
 */
public record ConvergeResult(
    boolean declaredByHost, boolean swapped, boolean started, boolean restarted, boolean stopped) {

  public boolean changedAnything() {
    return swapped || started || restarted || stopped;
  }
}
