package io.microvmoperator.bench;

/** The benchmark's clock helpers. */
final class Timing {

  private Timing() {}

  static double secondsSince(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }
}
