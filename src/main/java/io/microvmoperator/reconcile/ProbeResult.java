package io.microvmoperator.reconcile;

import io.microvmoperator.host.HostProbe;

/**
 * The last probe of a host: what it saw, or why it could not look. Equal results mean nothing
 * changed on the host.
 *
 * @param problemReason set when the probe failed: HostUnreachable, HostKeyMismatch, or a host
 *     configuration reason such as SecretNotFound
 */
public record ProbeResult(HostProbe probe, String problemReason, String problemMessage) {

  static ProbeResult seen(HostProbe probe) {
    return new ProbeResult(probe, null, null);
  }

  static ProbeResult failed(String reason, String message) {
    return new ProbeResult(null, reason, message);
  }

  public boolean reachable() {
    return probe != null;
  }

  /** Whether only a change of the host's spec, key or Secret can fix the problem. */
  public boolean isTerminal() {
    return problemReason != null && !problemReason.equals("HostUnreachable");
  }
}
