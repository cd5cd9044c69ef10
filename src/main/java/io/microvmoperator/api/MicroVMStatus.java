package io.microvmoperator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;

/** What the operator last did and observed for one VM. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record MicroVMStatus(
    @JsonPropertyDescription(
            "The generation of the spec last processed (even when a restart is deferred).")
        Long observedGeneration,
    @JsonPropertyDescription(
            "Pending, Building, Deploying, Restarting, Running, Stopped, Failed or Suspended.")
        Phase phase,
    @JsonPropertyDescription(
            "Ready, Reconciling, Stalled (kstatus) and HostReachable, UpToDate,"
                + " RestartRequired, Running (metav1.Condition).")
        List<Condition> conditions,
    @JsonPropertyDescription("The locked flake reference the desired runner was built from.")
        String resolvedFlake,
    @JsonPropertyDescription("The runner the spec asks for.") String desiredStorePath,
    @JsonPropertyDescription("Target of the host's 'current' link.") String currentStorePath,
    @JsonPropertyDescription("Target of the host's 'booted' link: the running runner.")
        String bootedStorePath,
    @JsonPropertyDescription("Short form of currentStorePath (hash prefix and name).")
        String currentRunner,
    @JsonPropertyDescription("Short form of desiredStorePath (hash prefix and name).")
        String desiredRunner,
    @JsonPropertyDescription("When the flake was last resolved to a locked reference (RFC 3339).")
        String lastResolveTime,
    @JsonPropertyDescription("When a runner was last deployed (RFC 3339).") String lastDeployTime,
    @JsonPropertyDescription("The last deploys, newest first.") List<Deploy> history,
    @JsonPropertyDescription(
            "Value of the microvm-operator.io/reconcile-requested-at annotation last handled.")
        String lastHandledReconcileAt,
    @JsonPropertyDescription(
            "Value of the microvm-operator.io/restart-requested-at annotation last handled.")
        String lastHandledRestartAt) {

  /** The conditions, or an empty list when there are none yet. */
  public List<Condition> conditionsOrEmpty() {
    return conditions == null ? List.of() : conditions;
  }

  /** The lifecycle stage shown in {@code kubectl get microvms}. */
  public enum Phase {
    Pending,
    Building,
    Deploying,
    Restarting,
    Running,
    Stopped,
    Failed,
    Suspended
  }

  /** One deploy of a runner. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Deploy(
      @JsonPropertyDescription("The runner deployed.") String storePath,
      @JsonPropertyDescription("The locked flake reference it was built from, if any.")
          String resolvedFlake,
      @JsonPropertyDescription("Succeeded or Failed.") String result,
      @JsonPropertyDescription("When the deploy finished (RFC 3339).") String finishedAt) {}
}
