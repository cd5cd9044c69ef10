package io.microvmoperator.reconcile.host;

import io.microvmoperator.host.HostProbe;
import io.microvmoperator.reconcile.failure.Failure;
import io.microvmoperator.reconcile.failure.Problem;
import java.io.IOException;

/**
 * The last probe of a host: what it saw, or why it could not look. Equal results mean nothing
 * changed on the host.
 *
 * @param problemReason set when the probe failed: HostUnreachable, HostKeyMismatch, or a host
 *     configuration reason such as SecretNotFound
 */
public record ProbeResult(HostProbe probe, String problemReason, String problemMessage) {

  public static ProbeResult seen(HostProbe probe) {
    return new ProbeResult(probe, null, null);
  }

  public static ProbeResult failed(String reason, String message) {
    return new ProbeResult(null, reason, message);
  }

  /** Why using {@code host} failed with {@code e}, as {@link Failure#ofHost} classifies it. */
  public static ProbeResult failure(String host, IOException e) {
    Failure failure = Failure.ofHost(host, e);
    return failed(failure.reason(), failure.message());
  }

  /** The failure this result records, or null when the host was seen. */
  public Failure asFailure() {
    if (problemReason == null) {
      return null;
    }
    return isTerminal()
        ? new Failure.Stalled(new Problem(problemReason, problemMessage))
        : new Failure.Transient(problemReason, problemMessage);
  }

  public boolean reachable() {
    return probe != null;
  }

  /** Whether only a change of the host's spec, key or Secret can fix the problem. */
  public boolean isTerminal() {
    return problemReason != null && !problemReason.equals(Failure.HOST_UNREACHABLE);
  }
}
