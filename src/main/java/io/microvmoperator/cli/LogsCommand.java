package io.microvmoperator.cli;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.microvmoperator.api.MicroVM;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code kubectl microvm logs NAME}: what the cluster keeps of the VM's builds and deploys, the
 * operator's Events in time order and the log tail of a failed build, evaluation or deploy that the
 * operator put into the condition's message. It does not read the host: the full build log stays in
 * {@code <stateDir>/<vmName>/.operator/build-ID/log} there.
 */
@Command(
    name = "logs",
    description =
        "The VM's build and deploy log as the cluster keeps it: the operator's Events in time"
            + " order, and the log tail of a failed build or deploy (from the status). The full"
            + " build log stays on the host.")
final class LogsCommand implements Callable<Integer> {

  @ParentCommand KubectlMicrovm root;

  @Parameters(paramLabel = "NAME", description = "NAME or NAMESPACE/NAME of the MicroVM.")
  String name;

  @Override
  public Integer call() {
    Session session = root.session();
    VmRef ref = VmRef.parse(name, session.namespace());
    MicroVM vm = ref.get(session);
    PrintStream out = session.io().out();
    for (Event e : VmEvents.of(session, ref)) {
      String count = e.getCount() != null && e.getCount() > 1 ? " (x" + e.getCount() + ")" : "";
      out.println(
          VmEvents.when(e)
              + " "
              + e.getType()
              + " "
              + e.getReason()
              + count
              + ": "
              + e.getMessage());
    }
    if (vm.getStatus() != null) {
      for (String type : new String[] {"Stalled", "Reconciling"}) {
        Conditions.find(vm.getStatus().conditions(), type)
            .filter(c -> "True".equals(c.getStatus()))
            .ifPresent(c -> printTail(c, out));
      }
    }
    return 0;
  }

  private static void printTail(Condition c, PrintStream out) {
    out.println();
    out.println(
        "now "
            + c.getType()
            + " ("
            + c.getReason()
            + ", since "
            + c.getLastTransitionTime()
            + "):");
    String.valueOf(c.getMessage()).lines().forEach(line -> out.println("  " + line));
  }
}
