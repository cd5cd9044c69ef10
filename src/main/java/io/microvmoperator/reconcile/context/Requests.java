package io.microvmoperator.reconcile.context;

import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMStatus;
import io.microvmoperator.reconcile.kube.Annotations;

/**
 * What the user asked for once through annotations: {@code reconcile} and {@code restart} (their
 * values, or null), each new when the status has not handled that value yet.
 */
public record Requests(String reconcile, boolean newReconcile, String restart, boolean newRestart) {

  public static final Requests NONE = new Requests(null, false, null, false);

  public static Requests of(MicroVM vm, MicroVMStatus prior) {
    String reconcile = Annotations.reconcileRequest(vm);
    String restart = Annotations.restartRequest(vm);
    return new Requests(
        reconcile,
        reconcile != null && !reconcile.equals(prior.lastHandledReconcileAt()),
        restart,
        restart != null && !restart.equals(prior.lastHandledRestartAt()));
  }
}
