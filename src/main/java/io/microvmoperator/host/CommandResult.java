package io.microvmoperator.host;

/**
 * The outcome of one remote command. Output beyond the capture limit was drained and dropped;
 * {@code truncated} says so.
 */
public record CommandResult(int exitStatus, String stdout, String stderr, boolean truncated) {

  public boolean succeeded() {
    return exitStatus == 0;
  }
}
