package io.microvmoperator.hydra;

/**
 * Hydra did not give a usable build. {@code reason} is a condition reason: {@code HydraUnavailable}
 * (no answer, or an HTTP error), {@code HydraJobNotFound} (404: no such job, or no successful build
 * yet) or {@code HydraResponseInvalid} (an answer that is not a finished, successful build with a
 * store path).
 */
public final class HydraException extends Exception {

  private final String reason;

  public HydraException(String reason, String message) {
    super(message);
    this.reason = reason;
  }

  public String reason() {
    return reason;
  }
}
