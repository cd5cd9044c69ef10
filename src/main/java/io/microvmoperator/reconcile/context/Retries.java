package io.microvmoperator.reconcile.context;

import java.time.Duration;

/** How soon a MicroVM is looked at again while something is under way or failed. */
public final class Retries {

  /** A host that does not answer. */
  public static final Duration UNREACHABLE = Duration.ofSeconds(10);

  /** A deploy that failed on the host, or a unit that is not running yet. */
  public static final Duration DEPLOY = Duration.ofSeconds(30);

  /** A build or fetch in progress, or a deploy that must be looked at again soon. */
  public static final Duration BUILD_POLL = Duration.ofSeconds(2);

  private Retries() {}
}
