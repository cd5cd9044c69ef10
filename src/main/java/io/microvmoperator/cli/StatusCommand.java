package io.microvmoperator.cli;

import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMHost;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code kubectl microvm status NAME}: one VM in a form a person reads in five seconds. */
@Command(
    name = "status",
    description =
        "One MicroVM: its state and runners, conditions, last deploys and rollbacks, the plan"
            + " that waits for approval, and its last Events.")
final class StatusCommand implements Callable<Integer> {

  @ParentCommand KubectlMicrovm root;

  @Parameters(paramLabel = "NAME", description = "NAME or NAMESPACE/NAME of the MicroVM.")
  String name;

  @Option(
      names = {"-o", "--output"},
      description = "json or yaml: the MicroVM and its Events.")
  String output;

  @Option(names = "--events", defaultValue = "8", description = "How many Events to show.")
  int events;

  @Override
  public Integer call() {
    Session session = root.session();
    VmRef ref = VmRef.parse(name, session.namespace());
    MicroVM vm = ref.get(session);
    var vmEvents = VmEvents.of(session, ref);
    if (output != null) {
      OutputFormat format = OutputFormat.parse(output);
      if (format == OutputFormat.WIDE) {
        throw new CliException("status prints json or yaml, not wide");
      }
      Printing.print(Map.of("microvm", vm, "events", vmEvents), format, session.io().out());
      return 0;
    }
    FleetRow row = rowOf(session, vm);
    new StatusReport(vm, row, vmEvents, events, Instant.now()).print(session.io().out());
    return 0;
  }

  /** The VM's row as {@code list} shows it, with its host's probe when it can be read. */
  private static FleetRow rowOf(Session session, MicroVM vm) {
    List<MicroVMHost> hosts = List.of();
    try {
      MicroVMHost host =
          session.client().resources(MicroVMHost.class).withName(vm.getSpec().host()).get();
      hosts = host == null ? List.of() : List.of(host);
    } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
      if (e.getCode() != 403) {
        throw e;
      }
    }
    List<FleetRow> rows = new Fleet(hosts, List.of(vm), false).rows();
    return rows.get(0);
  }
}
