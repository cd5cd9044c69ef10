package io.microvmoperator.cli;

import io.microvmoperator.api.MicroVMStatus;
import io.microvmoperator.reconcile.kube.Annotations;
import java.util.function.Function;
import picocli.CommandLine.Command;

/** {@code kubectl microvm reconcile}: re-resolve the flake and re-check the host now. */
@Command(
    name = "reconcile",
    description =
        "Reconcile now: the operator re-resolves a followed branch, retries a failed build of the"
            + " same revision and probes the host afresh (microvm-operator.io/reconcile-requested-at).")
final class ReconcileCommand extends RequestAnnotation {

  @Override
  String key() {
    return Annotations.RECONCILE_REQUESTED_AT;
  }

  @Override
  Function<MicroVMStatus, String> echo() {
    return MicroVMStatus::lastHandledReconcileAt;
  }

  @Override
  String done() {
    return "reconcile requested";
  }
}
