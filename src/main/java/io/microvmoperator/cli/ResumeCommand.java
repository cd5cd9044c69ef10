package io.microvmoperator.cli;

import io.microvmoperator.api.MicroVM;
import picocli.CommandLine.Command;

/** {@code kubectl microvm resume}: {@code spec.suspend: false}. */
@Command(name = "resume", description = "Resume reconciliation (spec.suspend: false).")
final class ResumeCommand extends ActionCommand {

  @Override
  Change changeFor(Session session, MicroVM vm) {
    return Change.suspend(false);
  }

  @Override
  String done() {
    return "resumed";
  }
}
