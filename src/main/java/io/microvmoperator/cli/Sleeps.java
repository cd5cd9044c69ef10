package io.microvmoperator.cli;

import java.time.Duration;

/** Waiting between polls of the API server. */
final class Sleeps {

  private Sleeps() {}

  static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException("interrupted");
    }
  }
}
