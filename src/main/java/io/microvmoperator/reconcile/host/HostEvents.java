package io.microvmoperator.reconcile.host;

import static io.microvmoperator.reconcile.status.ConditionTypes.READY;
import static io.microvmoperator.reconcile.status.ConditionTypes.STALLED;

import io.fabric8.kubernetes.api.model.Condition;
import io.microvmoperator.api.MicroVMHost;
import io.microvmoperator.api.MicroVMHostStatus;
import io.microvmoperator.reconcile.kube.Events;
import io.microvmoperator.reconcile.status.Conditions;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The Events of a MicroVMHost: one for each change of what its status says (reachable, unreachable,
 * unreachable for long, host key mismatch, Secret missing, suspended) and one when trust on first
 * use records a host key. A status that stays the same records nothing.
 */
final class HostEvents {

  static final String TRUSTED = "HostKeyTrusted";
  static final String SUSPENDED = "Suspended";

  private final Events events;

  HostEvents(Events events) {
    this.events = events;
  }

  /** Records what changed from {@code before} to {@code after}, written before it returns. */
  void changed(MicroVMHost host, MicroVMHostStatus before, MicroVMHostStatus after) {
    record(host, before, after);
    events.flush();
  }

  private void record(MicroVMHost host, MicroVMHostStatus before, MicroVMHostStatus after) {
    if (before.trustedHostKey() == null && after.trustedHostKey() != null) {
      events.normal(
          host,
          TRUSTED,
          "trust on first use: recorded the host key "
              + after.hostKeyFingerprint()
              + " in status.trustedHostKey; only this key is accepted from now on");
    }
    Optional<Condition> ready = find(after.conditions(), READY);
    if (Objects.equals(state(before), state(after))) {
      return;
    }
    if (ready.isEmpty()) {
      if (find(before.conditions(), READY).isPresent()) {
        events.normal(host, SUSPENDED, "spec.suspend is true: not probed, not deployed to");
      }
      return;
    }
    Condition now = ready.get();
    if (Conditions.TRUE.equals(now.getStatus())) {
      events.normal(host, now.getReason(), now.getMessage());
    } else if (!"Probing".equals(now.getReason())) {
      events.warning(host, now.getReason(), now.getMessage());
    }
  }

  /** What an Event is recorded for: Ready's status and reason, and whether it is Stalled. */
  private static List<String> state(MicroVMHostStatus status) {
    Optional<Condition> ready = find(status.conditions(), READY);
    boolean stalled =
        find(status.conditions(), STALLED)
            .map(c -> Conditions.TRUE.equals(c.getStatus()))
            .orElse(false);
    return List.of(
        ready.map(Condition::getStatus).orElse(""),
        ready.map(Condition::getReason).orElse(""),
        String.valueOf(stalled));
  }

  private static Optional<Condition> find(List<Condition> conditions, String type) {
    return Optional.ofNullable(conditions).orElse(List.of()).stream()
        .filter(c -> type.equals(c.getType()))
        .findFirst();
  }
}
