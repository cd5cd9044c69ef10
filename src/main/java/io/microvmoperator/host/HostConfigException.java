package io.microvmoperator.host;

import java.io.IOException;

/**
 * A host that cannot be used as configured (its spec, its Secret or the key in it): a person must
 * fix it; {@code reason} says what, in CamelCase.
 */
public final class HostConfigException extends IOException {

  private final String reason;

  public HostConfigException(String reason, String message) {
    super(message);
    this.reason = reason;
  }

  public String reason() {
    return reason;
  }
}
