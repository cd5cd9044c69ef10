package io.microvmoperator.cli;

import io.microvmoperator.api.MicroVM;
import picocli.CommandLine.Command;

/** {@code kubectl microvm suspend}: {@code spec.suspend: true}. */
@Command(
    name = "suspend",
    description =
        "Pause reconciliation (spec.suspend: true): the operator leaves the VM as it is on the"
            + " host until resume.")
final class SuspendCommand extends ActionCommand {

  @Override
  Change changeFor(Session session, MicroVM vm) {
    return Change.suspend(true);
  }

  @Override
  String done() {
    return "suspended";
  }
}
