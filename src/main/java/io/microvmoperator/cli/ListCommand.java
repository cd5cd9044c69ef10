package io.microvmoperator.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMHost;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code kubectl microvm list}: one row per VM on every host, like {@code microvm -l}. */
@Command(
    name = "list",
    aliases = "ls",
    description =
        "One row per VM: its host, owner, state in microvm -l's words, whether it runs, its"
            + " runners (booted → current → desired) and what to do next.")
final class ListCommand implements Callable<Integer> {

  @ParentCommand KubectlMicrovm root;

  @Option(
      names = {"-A", "--all-namespaces"},
      description =
          "Every MicroVM, and every VM on every host that no MicroVM manages (declared by the"
              + " host, or unmanaged).")
  boolean allNamespaces;

  @Option(names = "--host", description = "Only the VMs on this MicroVMHost.")
  String host;

  @Option(
      names = {"-o", "--output"},
      description = "wide, json or yaml.")
  String output;

  @Override
  public Integer call() {
    Session session = root.session();
    OutputFormat format = output == null ? OutputFormat.TABLE : OutputFormat.parse(output);
    KubernetesClient client = session.client();
    List<MicroVM> microvms =
        allNamespaces
            ? client.resources(MicroVM.class).inAnyNamespace().list().getItems()
            : client.resources(MicroVM.class).inNamespace(session.namespace()).list().getItems();
    List<MicroVMHost> hosts = hostsIfAllowed(client);
    List<FleetRow> rows =
        new Fleet(hosts, microvms, allNamespaces)
            .rows().stream().filter(r -> host == null || host.equals(r.host())).toList();
    if (format == OutputFormat.JSON || format == OutputFormat.YAML) {
      Printing.print(Map.of("items", rows), format, session.io().out());
    } else if (rows.isEmpty()) {
      session.io().err().println(nothingFound(session));
    } else {
      FleetTable.print(rows, format == OutputFormat.WIDE, session.io().out());
    }
    return 0;
  }

  /**
   * The MicroVMHosts (one LIST), or none when this user may not read them: a team that may only
   * read its own MicroVMs still gets their rows, from the MicroVMs' status.
   */
  private List<MicroVMHost> hostsIfAllowed(KubernetesClient client) {
    try {
      return client.resources(MicroVMHost.class).list().getItems();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 403 && !allNamespaces) {
        return List.of();
      }
      throw e;
    }
  }

  private String nothingFound(Session session) {
    String where = allNamespaces ? "" : " in namespace " + session.namespace();
    return "No MicroVMs found" + where + (host == null ? "" : " on host " + host) + ".";
  }
}
