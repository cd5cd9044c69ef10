package io.microvmoperator.reconcile.kube;

import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Optional;

/** Tells a Kubernetes API server that did not answer from one that refused a request. */
public final class ApiServerErrors {

  private ApiServerErrors() {}

  /**
   * No answer at all (connection refused, timed out: no HTTP status), throttled, or a server error;
   * not a refusal such as 403 or 409.
   */
  public static boolean unavailable(KubernetesClientException e) {
    return e.getCode() <= 0 || e.getCode() == 429 || e.getCode() >= 500;
  }

  /**
   * The first {@link KubernetesClientException} in {@code e}'s causes, when the server was
   * unavailable.
   */
  public static Optional<KubernetesClientException> unavailableIn(Throwable e) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause instanceof KubernetesClientException k) {
        return unavailable(k) ? Optional.of(k) : Optional.empty();
      }
    }
    return Optional.empty();
  }
}
