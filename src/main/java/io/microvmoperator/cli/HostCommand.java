package io.microvmoperator.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code kubectl microvm host ...}: MicroVMHosts. */
@Command(
    name = "host",
    description = "Register hosts.",
    subcommands = {HostAddCommand.class})
final class HostCommand implements Runnable {

  @ParentCommand KubectlMicrovm root;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(root.session().io().out());
  }
}
