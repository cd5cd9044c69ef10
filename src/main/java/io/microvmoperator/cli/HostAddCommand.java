package io.microvmoperator.cli;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.microvmoperator.api.ApiPatterns;
import io.microvmoperator.api.MicroVMHost;
import io.microvmoperator.api.MicroVMHostSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code kubectl microvm host add}: a new deploy key, the host's key pinned, the Secret and the
 * MicroVMHost created, and a wait until the operator reaches the host.
 */
@Command(
    name = "add",
    description =
        "Register a host: generate an ed25519 deploy key and print its public line for the host's"
            + " authorized_keys, pin the host key (scanned and confirmed, or --host-key), create"
            + " the key's Secret in the operator's namespace and the MicroVMHost, and wait until it"
            + " is Ready.")
final class HostAddCommand implements Callable<Integer> {

  @ParentCommand HostCommand host;

  @Parameters(paramLabel = "NAME", description = "Name of the MicroVMHost.")
  String name;

  @Option(names = "--address", required = true, description = "DNS name or IP of its SSH server.")
  String address;

  @Option(names = "--port", description = "SSH port (default 22).")
  Integer port;

  @Option(names = "--user", description = "User the operator logs in as (default root).")
  String user;

  @Option(
      names = "--host-key",
      description = "The host's key (TYPE BASE64, e.g. from its console); scanned when absent.")
  String hostKey;

  @Option(
      names = "--allow-namespace",
      description = "A namespace whose MicroVMs may use the host (repeat for several).")
  List<String> allowedNamespaces = new ArrayList<>();

  @Option(
      names = "--probe-interval",
      description = "How often the operator probes the host (default 1m).")
  String probeInterval;

  @Option(
      names = "--operator-namespace",
      defaultValue = "microvm-operator",
      description =
          "The operator's namespace, where the key's Secret goes (default: ${DEFAULT-VALUE}).")
  String operatorNamespace;

  @Option(
      names = {"-y", "--yes"},
      description = "Pin the scanned host key without asking.")
  boolean yes;

  @Option(
      names = "--timeout",
      defaultValue = "120",
      description =
          "Seconds to wait until the host is Ready; 0: do not wait (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  @Override
  public Integer call() {
    Session session = host.root.session();
    checkValues();
    if (session.client().resources(MicroVMHost.class).withName(name).get() != null) {
      throw new CliException("microvmhost \"" + name + "\" already exists");
    }
    HostKeyScan.ScannedKey key = pinnedKey(session);
    DeployKey deployKey = DeployKey.generate("microvm-operator@" + name);
    var err = session.io().err();
    err.println(
        "Add this deploy key to ~"
            + (user == null ? "root" : user)
            + "/.ssh/authorized_keys on the host (or users.users."
            + (user == null ? "root" : user)
            + ".openssh.authorizedKeys.keys), best with 'restrict,from=\"CLUSTER-EGRESS\" ' in"
            + " front:");
    session.io().out().println(deployKey.publicKeyLine());
    session.io().out().flush();
    createSecret(session, deployKey);
    createHost(session, key);
    err.println(
        "microvmhost " + name + " created (Secret " + operatorNamespace + "/" + secretName() + ")");
    if (timeoutSeconds > 0) {
      new HostReadiness(session, name).await(timeoutSeconds);
    }
    return 0;
  }

  private void checkValues() {
    if (!name.matches(ApiPatterns.OBJECT_NAME)) {
      throw new CliException("\"" + name + "\" is not a valid object name (RFC 1123 label)");
    }
    if (!address.matches(ApiPatterns.HOST_ADDRESS)) {
      throw new CliException("\"" + address + "\" is not a DNS name or IP address");
    }
    if (user != null && !user.matches(ApiPatterns.UNIX_USER)) {
      throw new CliException("\"" + user + "\" is not a Unix user name");
    }
  }

  private HostKeyScan.ScannedKey pinnedKey(Session session) {
    if (hostKey != null) {
      return HostKeyScan.given(hostKey);
    }
    HostKeyScan.ScannedKey scanned = HostKeyScan.scan(address, port == null ? 22 : port);
    var err = session.io().err();
    err.println("The host at " + address + ":" + (port == null ? 22 : port) + " presents:");
    err.println("  " + scanned.line());
    err.println(
        "  "
            + scanned.fingerprint()
            + "   (compare: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the host)");
    if (!yes
        && !session.io().confirm("Pin this host key?", "pass --yes or --host-key to pin a key")) {
      throw new CliException("host key not confirmed: nothing was created");
    }
    return scanned;
  }

  private String secretName() {
    return name + "-ssh";
  }

  private void createSecret(Session session, DeployKey key) {
    session
        .client()
        .secrets()
        .inNamespace(operatorNamespace)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(secretName())
                .withNamespace(operatorNamespace)
                .withLabels(Map.of("app.kubernetes.io/managed-by", Session.FIELD_MANAGER))
                .endMetadata()
                .withStringData(Map.of("id_ed25519", key.privateKeyOpenSsh()))
                .build())
        .create();
  }

  private void createHost(Session session, HostKeyScan.ScannedKey key) {
    MicroVMHost resource = new MicroVMHost();
    resource.setMetadata(new ObjectMetaBuilder().withName(name).build());
    resource.setSpec(
        new MicroVMHostSpec(
            address,
            port,
            user,
            new MicroVMHostSpec.SecretKeyRef(secretName(), "id_ed25519"),
            List.of(key.line()),
            null,
            null,
            null,
            probeInterval,
            allowedNamespaces.isEmpty() ? null : allowedNamespaces,
            null,
            null));
    session.client().resource(resource).create();
  }
}
