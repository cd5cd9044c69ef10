package io.microvmoperator.host;

/** What one converge step changed on a host. */
public record ConvergeResult(boolean swapped, boolean started, boolean restarted, boolean stopped) {

  public boolean changedAnything() {
    return swapped || started || restarted || stopped;
  }
}
