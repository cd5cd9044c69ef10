package io.microvmoperator.host;

import java.io.IOException;
import java.time.Duration;

/** A remote command ran past its deadline; its channel was signalled and closed. */
public class CommandTimeoutException extends IOException {
  public CommandTimeoutException(String target, Duration deadline) {
    super("command on " + target + " did not finish within " + deadline);
  }
}
