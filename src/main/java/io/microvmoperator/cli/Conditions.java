package io.microvmoperator.cli;

import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;
import java.util.Optional;

/** Reading {@code metav1.Condition}s. */
final class Conditions {

  private Conditions() {}

  static Optional<Condition> find(List<Condition> conditions, String type) {
    if (conditions == null) {
      return Optional.empty();
    }
    return conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
  }

  static boolean isTrue(List<Condition> conditions, String type) {
    return find(conditions, type).map(c -> "True".equals(c.getStatus())).orElse(false);
  }

  static boolean isFalse(List<Condition> conditions, String type) {
    return find(conditions, type).map(c -> "False".equals(c.getStatus())).orElse(false);
  }

  /** The condition's reason, or an empty string. */
  static String reason(List<Condition> conditions, String type) {
    return find(conditions, type).map(Condition::getReason).orElse("");
  }
}
