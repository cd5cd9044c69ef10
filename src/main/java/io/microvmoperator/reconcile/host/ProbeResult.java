package io.microvmoperator.reconcile.host;

import io.microvmoperator.host.HostProbe;
import io.microvmoperator.host.HostUnreachableException;
import io.microvmoperator.host.LoginRefusedException;
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

  /**
   * Why using {@code host} failed with {@code e}: the one classification of host errors, the same
   * whether a probe or a MicroVM's reconcile met it. A host configuration problem (its spec or
   * Secret) and a refused login need a person (terminal); anything else is the host or the network
   * not answering, tried again.
   */
  public static ProbeResult failure(String host, IOException e) {
    if (e instanceof HostAccess.HostConfigException config) {
      return failed(config.reason(), config.getMessage());
    }
    if (e instanceof LoginRefusedException refused) {
      return failed(refused.reason(), refused.getMessage());
    }
    if (e instanceof HostUnreachableException) {
      return failed("HostUnreachable", e.getMessage());
    }
    String message = e.getMessage() != null ? e.getMessage() : e.getClass().getName();
    return failed("HostUnreachable", "using " + host + " failed: " + message);
  }

  public boolean reachable() {
    return probe != null;
  }

  /** Whether only a change of the host's spec, key or Secret can fix the problem. */
  public boolean isTerminal() {
    return problemReason != null && !problemReason.equals("HostUnreachable");
  }
}
