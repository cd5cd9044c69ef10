package io.microvmoperator.reconcile.metrics;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.microvmoperator.reconcile.kube.Events;
import java.util.Set;

/**
 * Events that also count the deploys they announce. A deploy's outcome is announced by exactly one
 * Event ({@code Deployed}, {@code DeployFailed}, {@code StartFailed}), wherever in the reconcile it
 * is decided, so counting those Events counts each deploy once.
 */
public final class CountingEvents implements Events {

  /** The reasons of the Events that end a deploy. */
  public static final Set<String> DEPLOY_REASONS =
      Set.of("Deployed", "DeployFailed", "StartFailed");

  private final Events events;
  private final DomainMetrics metrics;

  public CountingEvents(Events events, DomainMetrics metrics) {
    this.events = events;
    this.metrics = metrics;
  }

  @Override
  public void normal(HasMetadata about, String reason, String message) {
    count(reason);
    events.normal(about, reason, message);
  }

  @Override
  public void warning(HasMetadata about, String reason, String message) {
    count(reason);
    events.warning(about, reason, message);
  }

  @Override
  public void flush() {
    events.flush();
  }

  private void count(String reason) {
    if (DEPLOY_REASONS.contains(reason)) {
      metrics.deployed(reason);
    }
  }
}
