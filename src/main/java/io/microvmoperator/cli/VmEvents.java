package io.microvmoperator.cli;

import io.fabric8.kubernetes.api.model.Event;
import java.util.Comparator;
import java.util.List;

/** The core v1 Events the operator recorded on one MicroVM, oldest first. */
final class VmEvents {

  private VmEvents() {}

  static List<Event> of(Session session, VmRef ref) {
    return session
        .client()
        .v1()
        .events()
        .inNamespace(ref.namespace())
        .withField("involvedObject.name", ref.name())
        .list()
        .getItems()
        .stream()
        .filter(e -> "MicroVM".equals(e.getInvolvedObject().getKind()))
        .sorted(Comparator.comparing(VmEvents::when).thenComparing(VmEvents::first))
        .toList();
  }

  private static String first(Event e) {
    return e.getFirstTimestamp() == null ? "" : e.getFirstTimestamp();
  }

  /** When the Event last happened (RFC 3339 strings of one form sort by time). */
  static String when(Event e) {
    if (e.getLastTimestamp() != null) {
      return e.getLastTimestamp();
    }
    if (e.getEventTime() != null && e.getEventTime().getTime() != null) {
      return e.getEventTime().getTime();
    }
    return e.getFirstTimestamp() == null ? "" : e.getFirstTimestamp();
  }
}
