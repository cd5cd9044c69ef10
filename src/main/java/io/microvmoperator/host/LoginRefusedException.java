package io.microvmoperator.host;

import java.io.IOException;

/**
 * A login that cannot succeed until a person changes something (the pinned keys, the Secret or the
 * host's authorized keys); unlike an unreachable host, waiting does not help. Nothing was run on
 * the host.
 */
public abstract class LoginRefusedException extends IOException {

  protected LoginRefusedException(String message, Throwable cause) {
    super(message, cause);
  }

  /** The condition reason that names the problem, such as {@code HostKeyMismatch}. */
  public abstract String reason();
}
