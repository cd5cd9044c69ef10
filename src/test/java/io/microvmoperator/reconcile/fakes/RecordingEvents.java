package io.microvmoperator.reconcile.fakes;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.microvmoperator.reconcile.kube.Events;
import java.util.ArrayList;
import java.util.List;

/** Events kept in a list as "Normal Reason: message" or "Warning Reason: message". */
public final class RecordingEvents implements Events {

  public final List<String> recorded = new ArrayList<>();

  @Override
  public void normal(HasMetadata about, String reason, String message) {
    recorded.add("Normal " + reason + ": " + message);
  }

  @Override
  public void warning(HasMetadata about, String reason, String message) {
    recorded.add("Warning " + reason + ": " + message);
  }

  /** The reasons, in order. */
  public List<String> reasons() {
    return recorded.stream().map(e -> e.substring(e.indexOf(' ') + 1, e.indexOf(':'))).toList();
  }
}
