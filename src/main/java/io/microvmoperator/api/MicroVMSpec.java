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
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/** The guest the user wants on a host, and where its runner comes from. */
@ValidationRule(
    value = "[has(self.flake), has(self.storePath), has(self.hydra)].filter(x, x).size() == 1",
    message = "set exactly one runner source: flake, storePath or hydra")
@ValidationRule(
    value =
        "!has(self.flake) || !self.flake.matches('"
            + ApiPatterns.LOCAL_FLAKE_REF
            + "') || (self.flake.matches('"
            + ApiPatterns.LOCAL_FLAKE_ABSOLUTE
            + "') && !self.flake.matches('"
            + ApiPatterns.DOT_SEGMENT
            + "') && !self.flake.matches('"
            + ApiPatterns.ESCAPED_PATH
            + "'))",
    message =
        "a local flake (path:, file:, git+file:, ...) must be an absolute path with no . or .."
            + " segments and no percent-escapes; the MicroVMHost must also list its folder in"
            + " spec.allowedLocalFlakePaths")
@ValidationRule(
    value =
        "has(self.vmName) == has(oldSelf.vmName) && (!has(self.vmName) || self.vmName =="
            + " oldSelf.vmName)",
    message = "vmName cannot be changed: it names the VM's folder and unit on the host")
@ValidationRule(
    value = "!has(self.update) || self.update != 'SwitchWhenPossible' || has(self.guestSsh)",
    message = "update SwitchWhenPossible needs guestSsh: how the guest's SSH server is reached")
@JsonClassDescription(
    "What runs on the host: which host, which runner (built from spec.flake on the"
        + " host, or a prebuilt spec.storePath, or the latest build of a Hydra job), whether"
        + " it runs, and how updates, restarts, rollbacks and deletion happen.")
@JsonInclude(JsonInclude.Include.NON_NULL)
public record MicroVMSpec(
    @Required
        @Pattern(ApiPatterns.OBJECT_NAME)
        @JsonPropertyDescription("The MicroVMHost this VM runs on.")
        String host,
    @Pattern(ApiPatterns.FLAKE_REF)
        @Size(max = ApiPatterns.MAX_URL_LENGTH)
        @JsonPropertyDescription(
            "Flake reference the runner is built from on the host, e.g."
                + " git+https://git.example.org/infra?ref=main. A branch is followed (re-resolved"
                + " every interval); a pinned rev is evaluated once.")
        String flake,
    @Pattern(ApiPatterns.NIX_ATTRIBUTE)
        @JsonPropertyDescription(
            "nixosConfigurations.<target> in the flake. Default: metadata.name.")
        String target,
    @Pattern(ApiPatterns.VM_NAME)
        @JsonPropertyDescription(
            "Name on the host: the folder <stateDir>/<vmName> and the unit microvm@<vmName>."
                + " Immutable. Default: metadata.name.")
        String vmName,
    @Pattern(ApiPatterns.STORE_PATH)
        @JsonPropertyDescription(
            "A prebuilt runner to deploy instead of building from a flake; realised from the"
                + " substituters and checked against trustedPublicKeys.")
        String storePath,
    @JsonPropertyDescription(
            "Deploy the latest successful build of a Hydra job instead of building from a flake.")
        HydraSource hydra,
    @Size(max = 16) @JsonPropertyDescription("Binary caches to realise prebuilt runners from.")
        List<@Pattern(ApiPatterns.HTTP_URL) @Size(max = ApiPatterns.MAX_URL_LENGTH) String>
            substituters,
    @Size(max = 16)
        @JsonPropertyDescription("Public keys (NAME:BASE64) a prebuilt runner must be signed by.")
        List<@Pattern(ApiPatterns.NIX_PUBLIC_KEY) @Size(max = 1024) String> trustedPublicKeys,
    @Default("true")
        @JsonPropertyDescription(
            "false: stop the VM (systemctl stop) and keep it deployed. A VM stopped on purpose"
                + " is Ready.")
        Boolean running,
    @Default("OnChange")
        @JsonPropertyDescription(
            "OnChange: restart when the runner changed. Manual: never restart by itself; the"
                + " RestartRequired condition shows a pending restart.")
        RestartPolicy restartPolicy,
    @Default("Delete")
        @JsonPropertyDescription(
            "On deletion of this resource. Delete: stop the VM and remove its state directory."
                + " Orphan: leave it running. StopOnly: stop it and keep its files.")
        DeletionPolicy deletionPolicy,
    @Default("5m")
        @Pattern(ApiPatterns.DURATION)
        @JsonPropertyDescription(
            "How often the flake's branch is re-resolved and drift is corrected at the latest.")
        String interval,
    @Default("false")
        @JsonPropertyDescription("Pause reconciliation of this VM until set to false.")
        Boolean suspend,
    @Default("Automatic")
        @JsonPropertyDescription(
            "Automatic: deploy a new runner as soon as it is built or fetched. Plan: build or"
                + " fetch it, show the closure difference in status.plan and wait until the"
                + " microvm-operator.io/approved-runner annotation names it.")
        UpdateStrategy updateStrategy,
    @Default("Automatic")
        @JsonPropertyDescription(
            "Automatic: when the VM stops running within 2 minutes of being started on a newly"
                + " deployed runner, point current back at the runner it ran before and start"
                + " that one; the failed runner is not deployed again until the desired runner"
                + " changes or a reconcile is requested. Never: keep starting the new runner.")
        RollbackPolicy rollback,
    @Default("Restart")
        @JsonPropertyDescription(
            "How a running VM gets a new runner. Restart: restart it (restartPolicy decides"
                + " when). SwitchWhenPossible: when the booted and the new runner differ only by"
                + " the guest's system (decided from the runners' own files), switch the"
                + " running guest to the new system over SSH (switch-to-configuration switch,"
                + " through the host: guestSsh), without a reboot; otherwise, or when the guest"
                + " cannot be reached, restart. Needs a guest with sshd, the host's /nix/store"
                + " shared into it and system.switch.enable, and restartPolicy OnChange.")
        UpdateMode update,
    @JsonPropertyDescription(
            "The guest's SSH server as the host reaches it (update SwitchWhenPossible). The"
                + " operator logs in through its connection to the host, with the host's key"
                + " (spec.sshKeySecretRef of the MicroVMHost): authorise its public key for"
                + " the user in the guest.")
        GuestSsh guestSsh) {

  /** The guest's SSH server, as seen from the host, and its pinned host keys. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record GuestSsh(
      @Default("127.0.0.1")
          @Pattern(ApiPatterns.HOST_ADDRESS)
          @Size(max = 253)
          @JsonPropertyDescription(
              "Address of the guest's SSH server as the host sees it: the guest's address on"
                  + " the host's network (tap, bridge), or a loopback address of the host that"
                  + " forwards to the guest (qemu user networking's forwardPorts).")
          String address,
      @Default("22") @Min(1) @Max(65535) @JsonPropertyDescription("SSH port.") Integer port,
      @Default("root")
          @Pattern(ApiPatterns.UNIX_USER)
          @JsonPropertyDescription(
              "User the operator logs in as in the guest; root, or a user allowed to run"
                  + " nix-env on the system profile and switch-to-configuration.")
          String user,
      @Required
          @Size(min = 1, max = 16)
          @JsonPropertyDescription(
              "Pinned public host keys of the guest ('ssh-ed25519 AAAA...'). The guest must"
                  + " present one of them before anything runs in it.")
          List<@Pattern(ApiPatterns.SSH_PUBLIC_KEY) String> hostKeys) {}

  /** How a running VM gets a new runner. */
  public enum UpdateMode {
    Restart,
    SwitchWhenPossible
  }

  /** A Hydra job whose latest successful build is deployed. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record HydraSource(
      @Required
          @Pattern(ApiPatterns.HTTP_URL)
          @Size(max = ApiPatterns.MAX_URL_LENGTH)
          @JsonPropertyDescription("Hydra's base URL.")
          String url,
      @Required @Pattern(ApiPatterns.NIX_ATTRIBUTE) @JsonPropertyDescription("Hydra project.")
          String project,
      @Required @Pattern(ApiPatterns.NIX_ATTRIBUTE) @JsonPropertyDescription("Hydra jobset.")
          String jobset,
      @Pattern(ApiPatterns.HYDRA_JOB) @JsonPropertyDescription("Hydra job. Default: the target.")
          String job,
      @Default("5m")
          @Pattern(ApiPatterns.DURATION)
          @JsonPropertyDescription("How often Hydra is asked for a new build.")
          String interval) {}

  /** Whether a new runner is deployed by itself or after approval. */
  public enum UpdateStrategy {
    Automatic,
    Plan
  }

  /** What happens when a newly deployed runner does not keep running. */
  public enum RollbackPolicy {
    Automatic,
    Never
  }

  /** When a changed runner is started. */
  public enum RestartPolicy {
    OnChange,
    Manual
  }

  /** What deleting the resource does on the host. */
  public enum DeletionPolicy {
    Delete,
    Orphan,
    StopOnly
  }
}
