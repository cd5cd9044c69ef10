package io.microvmoperator.host;

import java.io.IOException;

/** The host could not be reached or logged into; the operator retries with back-off. */
public class HostUnreachableException extends IOException {
  public HostUnreachableException(String message, Throwable cause) {
    super(message, cause);
  }
}
