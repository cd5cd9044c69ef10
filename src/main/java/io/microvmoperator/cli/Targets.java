package io.microvmoperator.cli;

import io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable;
import io.microvmoperator.api.MicroVM;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The MicroVMs an action applies to: named ones, or {@code --all} in the namespace (or {@code -A}),
 * narrowed by a label selector and a host.
 */
final class Targets {

  @Parameters(
      arity = "0..*",
      paramLabel = "NAME",
      description = "NAME or NAMESPACE/NAME of a MicroVM.")
  List<String> names = new ArrayList<>();

  @Option(names = "--all", description = "Every MicroVM in the namespace (with -A: in all).")
  boolean all;

  @Option(
      names = {"-l", "--selector"},
      description = "With --all: only MicroVMs with these labels (kubectl's selector syntax).")
  String selector;

  @Option(names = "--host", description = "With --all: only MicroVMs on this MicroVMHost.")
  String host;

  @Option(
      names = {"-A", "--all-namespaces"},
      description = "With --all: in every namespace.")
  boolean allNamespaces;

  List<MicroVM> resolve(Session session) {
    boolean selecting = all || selector != null || host != null;
    if (names.isEmpty() && !selecting) {
      throw new CliException("name a MicroVM, or select some with --all, -l or --host");
    }
    if (!names.isEmpty() && selecting) {
      throw new CliException("name MicroVMs or use --all, -l or --host, not both");
    }
    if (!names.isEmpty()) {
      return names.stream().map(n -> VmRef.parse(n, session.namespace()).get(session)).toList();
    }
    var resources = session.client().resources(MicroVM.class);
    FilterWatchListDeletable<
            MicroVM, io.fabric8.kubernetes.api.model.KubernetesResourceList<MicroVM>, ?>
        scope =
            allNamespaces ? resources.inAnyNamespace() : resources.inNamespace(session.namespace());
    if (selector != null) {
      scope = scope.withLabelSelector(selector);
    }
    List<MicroVM> found =
        scope.list().getItems().stream()
            .filter(vm -> host == null || host.equals(vm.getSpec().host()))
            .toList();
    if (found.isEmpty()) {
      throw new CliException("no MicroVMs match" + where(session));
    }
    return found;
  }

  private String where(Session session) {
    String text = allNamespaces ? "" : " in namespace " + session.namespace();
    if (selector != null) {
      text += " with labels " + selector;
    }
    return host == null ? text : text + " on host " + host;
  }
}
