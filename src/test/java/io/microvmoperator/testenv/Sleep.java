package io.microvmoperator.testenv;

import java.time.Duration;

/** Sleeping in tests and the benchmark: an interrupt ends the test rather than being lost. */
public final class Sleep {

  private Sleep() {}

  public static void millis(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public static void of(Duration duration) {
    millis(duration.toMillis());
  }
}
