package io.microvmoperator.reconcile.kube;

import io.fabric8.kubernetes.api.model.HasMetadata;

/** Kubernetes Events about a resource. {@link EventRecorder} is the real one. */
public interface Events {

  void normal(HasMetadata about, String reason, String message);

  void warning(HasMetadata about, String reason, String message);

  /** Returns once the Events this thread recorded are written (they are, where not deferred). */
  default void flush() {}
}
