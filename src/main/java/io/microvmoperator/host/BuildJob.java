package io.microvmoperator.host;

/**
 * The state of a build running on a host, detached from any SSH session.
 *
 * @param outPath the built runner, when it succeeded
 * @param logTail the last lines of the build log, when it failed
 * @param startedNow the command that read this state started the build
 */
public record BuildJob(State state, String outPath, String logTail, boolean startedNow) {

  public enum State {
    /** No such job on the host (never started, or cleaned up after its result was used). */
    MISSING,
    RUNNING,
    SUCCEEDED,
    FAILED
  }

  /** Whether the failure happened while evaluating (no builder ran) rather than building. */
  public boolean isEvaluationFailure() {
    return state == State.FAILED && !logTail.contains("error: builder for");
  }
}
