package io.microvmoperator.reconcile.kube;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.Map;

/** The annotations a user sets to ask for something once. */
public final class Annotations {

  /**
   * Reconcile now: re-resolve the flake and re-check the host (like Flux's reconcile.fluxcd.io).
   */
  public static final String RECONCILE_REQUESTED_AT = "microvm-operator.io/reconcile-requested-at";

  /** Restart once, like {@code kubectl rollout restart}. */
  public static final String RESTART_REQUESTED_AT = "microvm-operator.io/restart-requested-at";

  /**
   * With updateStrategy Plan: the runner (store path, as in status.plan.storePath) the user
   * approves for deployment.
   */
  public static final String APPROVED_RUNNER = "microvm-operator.io/approved-runner";

  private Annotations() {}

  public static String reconcileRequest(HasMetadata resource) {
    return get(resource, RECONCILE_REQUESTED_AT);
  }

  public static String restartRequest(HasMetadata resource) {
    return get(resource, RESTART_REQUESTED_AT);
  }

  public static String approvedRunner(HasMetadata resource) {
    return get(resource, APPROVED_RUNNER);
  }

  private static String get(HasMetadata resource, String key) {
    Map<String, String> annotations = resource.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(key);
  }
}
