package io.microvmoperator.api;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;

/** What the operator last observed on a host. */
@JsonClassDescription(
    "What the last probe found: the kstatus conditions (Ready, Reconciling, Stalled),"
        + " the host key, the Nix version and every VM folder on the host.")
@JsonInclude(JsonInclude.Include.NON_NULL)
public record MicroVMHostStatus(
    @JsonPropertyDescription(
            "Ready, Reconciling and Stalled (kstatus), Reachable, HostKeyVerified"
                + " (metav1.Condition).")
        List<Condition> conditions,
    @JsonPropertyDescription("The generation of the spec this status was computed from.")
        Long observedGeneration,
    @JsonPropertyDescription("SHA256 fingerprint of the host key the host presented.")
        String hostKeyFingerprint,
    @JsonPropertyDescription(
            "With hostKeyPolicy TrustOnFirstUse: the host key recorded on first contact.")
        String trustedHostKey,
    @JsonPropertyDescription("Nix version on the host.") String nixVersion,
    @JsonPropertyDescription(
            "Every VM found in the host's state directory, managed by the operator or not.")
        List<HostedVM> microvms,
    @JsonPropertyDescription("When the host was last probed (RFC 3339).") String lastProbeTime) {

  /** One VM folder on a host, like a line of {@code microvm -l}. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record HostedVM(
      @JsonPropertyDescription("Name of the VM on the host.") String name,
      @JsonPropertyDescription("Target of the 'current' link: the runner to run.") String current,
      @JsonPropertyDescription("Target of the 'booted' link: the runner that runs.") String booted,
      @JsonPropertyDescription("Whether microvm@NAME.service is active.") Boolean active,
      @JsonPropertyDescription(
              "True when declared in the host's own NixOS configuration (a 'toplevel' link):"
                  + " the host's rebuilds manage it, never the operator.")
          Boolean declaredByHost,
      @JsonPropertyDescription("NAMESPACE/NAME of the MicroVM that manages it, if any.")
          String managedBy) {}
}
