package io.microvmoperator.reconcile.metrics;

/**
 * The domain events behind the operator's own metrics. Every label value passed here comes from a
 * small fixed set (a reason, a kind), never a MicroVM's name, so the number of series does not grow
 * with the fleet; only host metrics carry the MicroVMHost's name. {@link #NONE} ignores them all.
 */
public interface DomainMetrics {

  DomainMetrics NONE = new DomainMetrics() {};

  /** This replica probed {@code host}; {@code succeeded} when it answered with a pinned key. */
  default void hostProbed(String host, boolean succeeded) {}

  /** {@code host} is deleted or suspended: its series go away. */
  default void hostForgotten(String host) {}

  /**
   * A deploy ended, by the reason of the Event that announced it: {@code Deployed}, {@code
   * DeployFailed}, {@code StartFailed}.
   */
  default void deployed(String reason) {}

  /**
   * A newly deployed runner did not keep running and the VM went back to the one before; {@code
   * cause} is {@code UnitFailed}, {@code StartFailed} or {@code CrashLoop}.
   */
  default void rolledBack(String cause) {}

  /**
   * A build (or fetch, when {@code prebuilt}) of a runner was started on the host for the MicroVM
   * {@code vmKey}.
   */
  default void buildStarted(String vmKey, boolean prebuilt) {}

  /**
   * The build (or fetch) of {@code vmKey} this replica saw start has ended with {@code result}:
   * {@code Succeeded}, {@code BuildFailed}, {@code EvaluationFailed}, {@code FetchFailed} or {@code
   * SignatureNotTrusted}.
   */
  default void buildEnded(String vmKey, boolean prebuilt, String result) {}

  /** The MicroVM {@code vmKey} is deleted: a build it started is no longer waited for. */
  default void microVMForgotten(String vmKey) {}
}
