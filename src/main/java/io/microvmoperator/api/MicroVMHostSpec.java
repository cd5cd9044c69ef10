package io.microvmoperator.api;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.List;

/** How to reach a MicroVM.nix host and who may use it. */
@JsonClassDescription(
    "How to reach the host (address, port, user, the SSH key Secret, pinned host"
        + " keys), where MicroVM.nix keeps its VMs, how often it is probed, and who may"
        + " place VMs on it.")
@JsonInclude(JsonInclude.Include.NON_NULL)
public record MicroVMHostSpec(
    @Required
        @Pattern(ApiPatterns.HOST_ADDRESS)
        @Size(max = 253)
        @JsonPropertyDescription("DNS name or IP address of the host's SSH server.")
        String address,
    @Default("22") @Min(1) @Max(65535) @JsonPropertyDescription("SSH port.") Integer port,
    @Default("root")
        @Pattern(ApiPatterns.UNIX_USER)
        @JsonPropertyDescription(
            "User the operator logs in as; root, or a user allowed to run nix and systemctl.")
        String user,
    @Required
        @JsonPropertyDescription(
            "Secret in the operator's namespace that holds the SSH private key (OpenSSH format).")
        SecretKeyRef sshKeySecretRef,
    @Size(max = 16)
        @JsonPropertyDescription(
            "Pinned public host keys, as the key part of a known_hosts line ('ssh-ed25519"
                + " AAAA...', e.g. from ssh-keyscan). The host must present one of them before"
                + " any command runs.")
        List<@Pattern(ApiPatterns.SSH_PUBLIC_KEY) String> hostKeys,
    @Default("Pinned")
        @JsonPropertyDescription(
            "Pinned: only the keys in hostKeys are accepted. TrustOnFirstUse: with no hostKeys,"
                + " the first key seen is recorded in status and pinned from then on.")
        HostKeyPolicy hostKeyPolicy,
    @Default("/var/lib/microvms")
        @Pattern(ApiPatterns.ABSOLUTE_PATH)
        @Size(max = 1024)
        @JsonPropertyDescription("MicroVM.nix state directory on the host (microvm.stateDir).")
        String stateDir,
    @Default("2")
        @Min(1)
        @Max(64)
        @JsonPropertyDescription("How many builds or copies run on this host at once.")
        Integer maxConcurrentBuilds,
    @Default("1m")
        @Pattern(ApiPatterns.DURATION)
        @JsonPropertyDescription(
            "How often the host is probed (one SSH command reads every VM on it).")
        String probeInterval,
    @Size(max = 256)
        @JsonPropertyDescription(
            "Namespaces whose MicroVMs may be placed on this host. Empty: only the operator's"
                + " own namespace.")
        List<@Pattern(ApiPatterns.OBJECT_NAME) String> allowedNamespaces,
    @Size(max = 16)
        @JsonPropertyDescription(
            "Folders on the host from which MicroVMs may build local flakes (path:, git+file:,"
                + " file: and other +file: flakerefs), e.g. /etc/nixos or /srv/flakes. A local"
                + " flake anywhere else is refused (LocalFlakeNotAllowed): Nix would copy that"
                + " folder into the world-readable store. Empty (the default): no local flakes.")
        List<@Pattern(ApiPatterns.ABSOLUTE_PATH) @Size(max = 1024) String> allowedLocalFlakePaths,
    @Default("false")
        @JsonPropertyDescription("Stop probing and deploying to this host until set to false.")
        Boolean suspend) {

  /** A key of a Secret. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record SecretKeyRef(
      @Required @Pattern(ApiPatterns.OBJECT_NAME) @JsonPropertyDescription("Secret name.")
          String name,
      @Default("id_ed25519")
          @Pattern("^[-._a-zA-Z0-9]{1,253}$")
          @JsonPropertyDescription("Key in the Secret's data.")
          String key) {}

  /** How the host's SSH key is trusted. */
  public enum HostKeyPolicy {
    Pinned,
    TrustOnFirstUse
  }
}
