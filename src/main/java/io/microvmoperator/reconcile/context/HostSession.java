package io.microvmoperator.reconcile.context;

import io.microvmoperator.host.HostOperations;
import java.io.IOException;

/**
 * The host's operations for one reconcile, opened on first use (reading the SSH key from its
 * Secret, taking the pooled connection), so that a reconcile that never needs the host never opens
 * it.
 */
public final class HostSession {

  /** Opens the host's operations. */
  @FunctionalInterface
  public interface Opener {
    HostOperations open() throws IOException;
  }

  private final Opener opener;
  private HostOperations operations;

  public HostSession(Opener opener) {
    this.opener = opener;
  }

  /** A session over operations already open (a test's fake host). */
  public static HostSession of(HostOperations operations) {
    return new HostSession(() -> operations);
  }

  public HostOperations operations() throws IOException {
    if (operations == null) {
      operations = opener.open();
    }
    return operations;
  }
}
