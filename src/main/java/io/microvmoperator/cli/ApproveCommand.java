package io.microvmoperator.cli;

import io.microvmoperator.api.MicroVM;
import io.microvmoperator.reconcile.kube.Annotations;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kubectl microvm approve}: approve the runner a plan waits with. */
@Command(
    name = "approve",
    description =
        "With updateStrategy Plan: show the plan's closure difference and approve its runner"
            + " (microvm-operator.io/approved-runner), after asking unless --yes.")
final class ApproveCommand extends ActionCommand {

  @Option(
      names = {"-y", "--yes"},
      description = "Approve without asking.")
  boolean yes;

  @Override
  Change changeFor(Session session, MicroVM vm) {
    String ref = ManagedVerdicts.ref(vm);
    var plan = vm.getStatus() == null ? null : vm.getStatus().plan();
    if (plan == null || plan.storePath() == null) {
      if (targets.names.isEmpty()) {
        session.io().err().println("microvm " + ref + " has no plan waiting: skipped");
        return null;
      }
      throw new CliException("microvm " + ref + " has no plan waiting for approval");
    }
    var err = session.io().err();
    err.println(
        "microvm "
            + ref
            + ": "
            + Runners.shortName(plan.currentStorePath())
            + " → "
            + Runners.shortName(plan.storePath()));
    ClosureDiff.print(plan.closureDiff(), err);
    if (!yes
        && !session
            .io()
            .confirm("Approve " + plan.storePath() + "?", "pass --yes to approve without asking")) {
      err.println("microvm " + ref + " not approved");
      return null;
    }
    return Change.annotation(Annotations.APPROVED_RUNNER, plan.storePath());
  }

  @Override
  String done() {
    return "approved";
  }
}
