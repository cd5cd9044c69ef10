package io.microvmoperator.reconcile.host;

import io.fabric8.kubernetes.api.model.Secret;
import io.microvmoperator.api.MicroVMHost;
import io.microvmoperator.api.MicroVMHostSpec;
import io.microvmoperator.host.HostConfigException;
import io.microvmoperator.host.HostConnections;
import io.microvmoperator.host.HostOperations;
import io.microvmoperator.host.HostProtocol;
import io.microvmoperator.host.PresentedKey;
import io.microvmoperator.host.SshConnection;
import io.microvmoperator.host.SshTarget;
import io.microvmoperator.nix.AbsolutePath;
import io.microvmoperator.nix.HostAddress;
import io.microvmoperator.nix.InvalidValueException;
import io.microvmoperator.nix.UnixUser;
import io.microvmoperator.reconcile.kube.OperatorSecrets;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Opens the host protocol for a {@link MicroVMHost}: reads its SSH key from the Secret in the
 * operator's namespace ({@link OperatorSecrets}) and takes the pooled connection. The key is held
 * only in memory.
 */
public final class HostAccess {

  /** An open protocol and the fingerprint of the host key the host presented. */
  public record Session(HostOperations protocol, PresentedKey hostKey) {}

  private final OperatorSecrets secrets;
  private final HostConnections connections;

  public HostAccess(OperatorSecrets secrets, HostConnections connections) {
    this.secrets = secrets;
    this.connections = connections;
  }

  public String operatorNamespace() {
    return secrets.namespace();
  }

  public Session open(MicroVMHost host) throws IOException {
    MicroVMHostSpec spec = host.getSpec();
    List<String> keys = Optional.ofNullable(spec.hostKeys()).orElse(List.of());
    boolean trustOnFirstUse =
        keys.isEmpty() && spec.hostKeyPolicy() == MicroVMHostSpec.HostKeyPolicy.TrustOnFirstUse;
    if (trustOnFirstUse && host.getStatus() != null && host.getStatus().trustedHostKey() != null) {
      keys = List.of(host.getStatus().trustedHostKey());
    }
    if (keys.isEmpty() && !trustOnFirstUse) {
      throw new HostConfigException(
          "NoHostKey",
          "spec.hostKeys is empty: pin the host's key (ssh-keyscan -t ed25519 "
              + spec.address()
              + ") so that the operator can verify it before running anything");
    }
    AbsolutePath stateDir =
        checked(
            "spec.stateDir",
            () ->
                new AbsolutePath(Optional.ofNullable(spec.stateDir()).orElse("/var/lib/microvms")));
    SshTarget target =
        new SshTarget(
            checked("spec.address", () -> new HostAddress(spec.address())).value(),
            Optional.ofNullable(spec.port()).orElse(22),
            checked(
                    "spec.user",
                    () -> new UnixUser(Optional.ofNullable(spec.user()).orElse("root")))
                .value(),
            keys,
            trustOnFirstUse);
    String privateKey = privateKey(spec.sshKeySecretRef());
    SshConnection connection = connections.get(host.getMetadata().getName(), target, privateKey);
    // Guests are logged in to with the host's key, through the host's connection (live switches).
    HostProtocol protocol =
        new HostProtocol(
            connection, stateDir, guest -> connection.openForwarded(guest, privateKey));
    return new Session(protocol, connection.hostKey());
  }

  /** The operator's own check of a value that reaches the host or its SSH server. */
  private static <T> T checked(String field, Supplier<T> value) throws HostConfigException {
    try {
      return value.get();
    } catch (InvalidValueException e) {
      throw new HostConfigException("InvalidSpec", field + ": " + e.getMessage());
    }
  }

  /** Drops the pooled connection after a transport failure, so the next use reconnects. */
  public void invalidate(MicroVMHost host) {
    connections.invalidate(host.getMetadata().getName());
  }

  private String privateKey(MicroVMHostSpec.SecretKeyRef ref) throws IOException {
    String key = Optional.ofNullable(ref.key()).orElse("id_ed25519");
    String operatorNamespace = secrets.namespace();
    Secret secret = secrets.get(ref.name()).orElse(null);
    if (secret == null) {
      throw new HostConfigException(
          "SecretNotFound",
          "Secret " + operatorNamespace + "/" + ref.name() + " (spec.sshKeySecretRef) not found");
    }
    String encoded = secret.getData() == null ? null : secret.getData().get(key);
    if (encoded != null) {
      return new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
    }
    String plain = secret.getStringData() == null ? null : secret.getStringData().get(key);
    if (plain != null) {
      return plain;
    }
    throw new HostConfigException(
        "SecretKeyNotFound",
        "Secret " + operatorNamespace + "/" + ref.name() + " has no key '" + key + "'");
  }
}
