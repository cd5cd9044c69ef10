package io.microvmoperator.reconcile.failure;

import io.microvmoperator.host.HostConfigException;
import io.microvmoperator.host.HostUnreachableException;
import io.microvmoperator.host.LoginRefusedException;
import java.io.IOException;

/**
 * The one classification of what goes wrong while using a host, the same whether a probe or a
 * MicroVM's reconcile met it. {@link Stalled}: only a person can fix it (the host's spec, its
 * Secret, a refused login), so it is not retried until something changes. {@link Transient}: the
 * host or the network did not answer; tried again soon. (Waiting for work in progress is no
 * failure: a step returns {@code StepResult.RequeueAfter}.)
 */
public sealed interface Failure {

  /** The reason a host that does not answer gets, in status and Events. */
  String HOST_UNREACHABLE = "HostUnreachable";

  String reason();

  String message();

  record Stalled(Problem problem) implements Failure {
    @Override
    public String reason() {
      return problem.reason();
    }

    @Override
    public String message() {
      return problem.message();
    }
  }

  record Transient(String reason, String message) implements Failure {}

  /** What using {@code host} failing with {@code e} is. */
  static Failure ofHost(String host, IOException e) {
    if (e instanceof HostConfigException config) {
      return new Stalled(new Problem(config.reason(), config.getMessage()));
    }
    if (e instanceof LoginRefusedException refused) {
      return new Stalled(new Problem(refused.reason(), refused.getMessage()));
    }
    if (e instanceof HostUnreachableException) {
      return new Transient(HOST_UNREACHABLE, e.getMessage());
    }
    return new Transient(HOST_UNREACHABLE, "using " + host + " failed: " + messageOf(e));
  }

  /** An exception's message, or its type when it has none (a cut SSH transport may give none). */
  static String messageOf(Exception e) {
    return e.getMessage() != null ? e.getMessage() : e.getClass().getName();
  }
}
