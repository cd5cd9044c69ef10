package io.microvmoperator.reconcile.status;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The one place that builds conditions ({@code metav1.Condition}): setting one keeps its {@code
 * lastTransitionTime} unless its status really changed, and stamps {@code observedGeneration}.
 */
public final class Conditions {

  public static final String TRUE = "True";
  public static final String FALSE = "False";
  public static final String UNKNOWN = "Unknown";

  private final List<Condition> conditions;
  private final long generation;
  private final Instant now;

  public Conditions(List<Condition> prior, long generation, Instant now) {
    this.conditions = new ArrayList<>(prior == null ? List.of() : prior);
    this.generation = generation;
    this.now = now.truncatedTo(ChronoUnit.SECONDS);
  }

  public Conditions set(String type, String status, String reason, String message) {
    Optional<Condition> old = find(type);
    String transition =
        old.filter(c -> status.equals(c.getStatus()))
            .map(Condition::getLastTransitionTime)
            .orElse(now.toString());
    Condition updated =
        new ConditionBuilder()
            .withType(type)
            .withStatus(status)
            .withReason(reason)
            .withMessage(message)
            .withObservedGeneration(generation)
            .withLastTransitionTime(transition)
            .build();
    old.ifPresentOrElse(
        c -> conditions.set(conditions.indexOf(c), updated), () -> conditions.add(updated));
    return this;
  }

  public Conditions remove(String type) {
    conditions.removeIf(c -> type.equals(c.getType()));
    return this;
  }

  public Optional<Condition> find(String type) {
    return conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
  }

  public boolean isTrue(String type) {
    return find(type).map(c -> TRUE.equals(c.getStatus())).orElse(false);
  }

  public List<Condition> list() {
    return List.copyOf(conditions);
  }
}
