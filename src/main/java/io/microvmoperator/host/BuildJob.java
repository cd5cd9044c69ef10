package io.microvmoperator.host;

import java.util.List;

/**
 * The state of a build running on a host, detached from any SSH session.
 *
 * @param outPath the built runner, when it succeeded
 * @param logTail the last lines of the build log, when it failed
 * @param signatures the runner's signatures in the host's store ({@code KEYNAME:SIG}), when it
 *     succeeded; a runner built on the host has none
 * @param startedNow the command that read this state started the build
 */
public record BuildJob(
    State state, String outPath, String logTail, List<String> signatures, boolean startedNow) {

  public BuildJob {
    signatures = signatures == null ? List.of() : List.copyOf(signatures);
  }

  public BuildJob(State state, String outPath, String logTail, List<String> signatures) {
    this(state, outPath, logTail, signatures, false);
  }

  /** This state, as read by the command that started the job. */
  public BuildJob asStartedNow() {
    return new BuildJob(state, outPath, logTail, signatures, true);
  }

  public static BuildJob missing() {
    return new BuildJob(State.MISSING, null, "", List.of());
  }

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

  /** Whether Nix refused a substitute because no trusted key signed it. */
  public boolean isUntrustedSignature() {
    return state == State.FAILED && logTail.contains("is not signed by any of the keys");
  }

  /** The names of the keys that signed the runner, in order, without duplicates. */
  public List<String> signerNames() {
    return signatures.stream()
        .filter(s -> s.indexOf(':') > 0)
        .map(s -> s.substring(0, s.indexOf(':')))
        .distinct()
        .toList();
  }
}
