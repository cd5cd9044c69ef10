package io.microvmoperator.reconcile.status;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
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

  /** The longest message the CRDs' metav1.Condition schema accepts. */
  static final int MAX_MESSAGE = 32768;

  public Conditions set(String type, String status, String reason, String message) {
    Objects.requireNonNull(reason, "a condition's reason");
    String said = message == null ? "" : message;
    if (said.length() > MAX_MESSAGE) {
      said = said.substring(0, MAX_MESSAGE - 3) + "...";
    }
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
            .withMessage(said)
            .withObservedGeneration(generation)
            .withLastTransitionTime(transition)
            .build();
    old.ifPresentOrElse(
        c -> conditions.set(conditions.indexOf(c), updated), () -> conditions.add(updated));
    return this;
  }

  /**
   * kstatus's "in progress": {@code Reconciling=True}, {@code Ready=False}, no {@code Stalled}
   * (Flux's markReconciling). kstatus and Flux read it as InProgress with this message.
   */
  public Conditions reconciling(String reason, String message) {
    remove(ConditionTypes.STALLED);
    set(ConditionTypes.RECONCILING, TRUE, reason, message);
    return set(ConditionTypes.READY, FALSE, reason, message);
  }

  /**
   * kstatus's "failed": {@code Stalled=True}, {@code Ready=False}, no {@code Reconciling}: only a
   * person can fix it (a change of spec, host, key or Secret).
   */
  public Conditions stalled(String reason, String message) {
    remove(ConditionTypes.RECONCILING);
    set(ConditionTypes.STALLED, TRUE, reason, message);
    return set(ConditionTypes.READY, FALSE, reason, message);
  }

  /** kstatus's "current": {@code Ready=True}, neither {@code Reconciling} nor {@code Stalled}. */
  public Conditions ready(String reason, String message) {
    remove(ConditionTypes.RECONCILING);
    remove(ConditionTypes.STALLED);
    return set(ConditionTypes.READY, TRUE, reason, message);
  }

  /**
   * {@code spec.suspend}: the operator makes no claim, so none of Ready, Reconciling and Stalled is
   * kept; kstatus reads that as Current (a suspended object does not hold up a Flux sync), Argo CD
   * reads {@code spec.suspend} as Suspended. The detail conditions stay as last seen.
   */
  public Conditions suspended() {
    remove(ConditionTypes.RECONCILING);
    remove(ConditionTypes.STALLED);
    return remove(ConditionTypes.READY);
  }

  /** When {@code type} last changed its status, if it is set. */
  public Optional<Instant> since(String type) {
    return find(type).map(Condition::getLastTransitionTime).map(Instant::parse);
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

  /** The generation the conditions are stamped with. */
  public long generation() {
    return generation;
  }

  /** The time the conditions are set at (whole seconds). */
  public Instant now() {
    return now;
  }

  public List<Condition> list() {
    return List.copyOf(conditions);
  }
}
