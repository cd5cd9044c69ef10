package io.microvmoperator.cli;

import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;

/** Turns what went wrong into the one line the plugin prints after {@code error: }. */
final class Errors {

  private Errors() {}

  static String describe(Throwable problem, String server) {
    if (problem instanceof CliException) {
      return problem.getMessage();
    }
    if (problem instanceof KubernetesClientException k) {
      return describe(k, server);
    }
    return oneLine(problem.getMessage() == null ? problem.toString() : problem.getMessage());
  }

  private static String describe(KubernetesClientException e, String server) {
    Throwable root = ioCause(e);
    if (e.getStatus() == null && root != null) {
      return "cannot reach the Kubernetes API server"
          + (server == null ? "" : " at " + server)
          + ": "
          + whyUnreachable(e);
    }
    String message =
        e.getStatus() != null && e.getStatus().getMessage() != null
            ? e.getStatus().getMessage()
            : e.getMessage();
    if (e.getCode() == 401) {
      return "unauthorized: the API server did not accept the kubeconfig's credentials";
    }
    if (e.getCode() == 404 && message != null && message.contains("the server could not find")) {
      return "the MicroVM resource types are not installed in this cluster (apply crds/ or the"
          + " Helm chart)";
    }
    return oneLine(String.valueOf(message));
  }

  /** What the I/O errors in the chain say, in words (the JDK's often carry no message). */
  private static String whyUnreachable(Throwable t) {
    String message = null;
    for (Throwable cause = t.getCause(); cause != null; cause = cause.getCause()) {
      if (cause instanceof java.net.ConnectException) {
        return "connection refused";
      }
      if (cause instanceof java.net.UnknownHostException) {
        return "unknown host " + cause.getMessage();
      }
      if (cause instanceof java.net.SocketTimeoutException
          || cause instanceof java.net.http.HttpTimeoutException) {
        return "no answer in time";
      }
      if (message == null && cause instanceof IOException && cause.getMessage() != null) {
        message = oneLine(cause.getMessage());
      }
      if (cause.getCause() == cause) {
        break;
      }
    }
    return message == null ? "no connection" : message;
  }

  /** The innermost I/O error in the chain (no answer from the server), or null. */
  private static Throwable ioCause(Throwable t) {
    Throwable found = null;
    for (Throwable cause = t; cause != null; cause = cause.getCause()) {
      if (cause instanceof IOException) {
        found = cause;
      }
      if (cause.getCause() == cause) {
        break;
      }
    }
    return found;
  }

  static String oneLine(String text) {
    return text.replaceAll("\\s*\\R\\s*", "; ").trim();
  }
}
