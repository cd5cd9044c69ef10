package io.microvmoperator.host;

import java.io.IOException;

/** A command ran on the host and failed; {@code output} holds the last lines it printed. */
public class NixCommandException extends IOException {

  private final String output;

  public NixCommandException(String message, String output) {
    super(output.isBlank() ? message : message + ": " + output);
    this.output = output;
  }

  public String output() {
    return output;
  }
}
