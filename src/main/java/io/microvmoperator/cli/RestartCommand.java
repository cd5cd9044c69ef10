package io.microvmoperator.cli;

import io.microvmoperator.api.MicroVMStatus;
import io.microvmoperator.reconcile.kube.Annotations;
import java.util.function.Function;
import picocli.CommandLine.Command;

/** {@code kubectl microvm restart}: restart the VM once, on its desired runner. */
@Command(
    name = "restart",
    description =
        "Restart the VM once (systemctl restart microvm@NAME), on the desired runner: a runner"
            + " held for a restart is deployed first (microvm-operator.io/restart-requested-at).")
final class RestartCommand extends RequestAnnotation {

  @Override
  String key() {
    return Annotations.RESTART_REQUESTED_AT;
  }

  @Override
  Function<MicroVMStatus, String> echo() {
    return MicroVMStatus::lastHandledRestartAt;
  }

  @Override
  String done() {
    return "restart requested";
  }
}
