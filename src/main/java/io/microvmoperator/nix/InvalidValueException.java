package io.microvmoperator.nix;

/** A user-supplied value that must not reach a host. The message says which and why. */
public class InvalidValueException extends IllegalArgumentException {
  public InvalidValueException(String message) {
    super(message);
  }
}
