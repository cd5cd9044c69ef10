package io.microvmoperator.cli;

/** A problem the user can act on, reported as one line on stderr with exit code 1. */
public final class CliException extends RuntimeException {

  public CliException(String message) {
    super(message);
  }
}
