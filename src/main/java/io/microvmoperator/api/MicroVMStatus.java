package io.microvmoperator.api;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;

/** What the operator last did and observed for one VM. */
@JsonClassDescription(
    "What the operator last saw and did: the kstatus conditions (Ready, Reconciling,"
        + " Stalled) and the VM's own, the runners (desired, current, booted), the deploy"
        + " history, a plan awaiting approval, a rollback.")
@JsonInclude(JsonInclude.Include.NON_NULL)
public record MicroVMStatus(
    @JsonPropertyDescription(
            "The generation of the spec last processed (even when a restart is deferred).")
        Long observedGeneration,
    @JsonPropertyDescription(
            "Pending, Building, Deploying, Restarting, Running, Stopped, Failed, Suspended,"
                + " AwaitingApproval or RolledBack.")
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
    @JsonPropertyDescription(
            "When the runner's source last moved: the flake resolved to a new locked reference,"
                + " or Hydra named a new build (RFC 3339). Checks that find nothing new are not"
                + " recorded.")
        String lastResolveTime,
    @JsonPropertyDescription("When a runner was last deployed (RFC 3339).") String lastDeployTime,
    @JsonPropertyDescription("The last deploys, newest first.") List<Deploy> history,
    @JsonPropertyDescription(
            "Value of the microvm-operator.io/reconcile-requested-at annotation last handled.")
        String lastHandledReconcileAt,
    @JsonPropertyDescription(
            "Value of the microvm-operator.io/restart-requested-at annotation last handled.")
        String lastHandledRestartAt,
    @JsonPropertyDescription("Where the desired runner comes from.") RunnerSource source,
    @JsonPropertyDescription(
            "With updateStrategy Plan: the runner waiting for approval and what it changes.")
        Plan plan,
    @JsonPropertyDescription(
            "Set when a newly deployed runner did not keep running and the VM was rolled back to the"
                + " runner it ran before.")
        Rollback rollback,
    @JsonPropertyDescription(
            "With update SwitchWhenPossible: how the VM last got a new runner (switched live or"
                + " restarted) and why.")
        LiveSwitch liveSwitch) {

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
    Suspended,
    AwaitingApproval,
    RolledBack
  }

  /** The kinds of runner source. */
  public enum SourceType {
    Flake,
    StorePath,
    Hydra
  }

  /** Where a runner came from. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record RunnerSource(
      @JsonPropertyDescription("Flake (built on the host), StorePath or Hydra (prebuilt).")
          SourceType type,
      @JsonPropertyDescription("The locked flake reference the runner was built from.")
          String flake,
      @JsonPropertyDescription("The Hydra job, BASE/job/PROJECT/JOBSET/JOB.") String hydraJob,
      @JsonPropertyDescription("The Hydra build id the runner is the output of.") Long hydraBuild,
      @JsonPropertyDescription(
              "Names of the keys whose signatures the runner carries in the host's store (a"
                  + " prebuilt runner fetched from a binary cache).")
          List<String> signedBy) {}

  /** A new runner that waits for the user's approval. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Plan(
      @JsonPropertyDescription("The runner to approve (the annotation's value).") String storePath,
      @JsonPropertyDescription("The runner that current points at now.") String currentStorePath,
      @JsonPropertyDescription(
              "Summary of nix store diff-closures from the current to the new runner.")
          String closureDiff,
      @JsonPropertyDescription("When the plan was made (RFC 3339).") String createdAt) {}

  /** A rollback from a runner that did not keep running. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Rollback(
      @JsonPropertyDescription("The runner that did not keep running; not deployed again.")
          String failedStorePath,
      @JsonPropertyDescription("The runner the VM runs again instead.") String restoredStorePath,
      @JsonPropertyDescription(
              "What the probe saw: the unit's state, or how often its runner ended since it was started.")
          String cause,
      @JsonPropertyDescription("When the rollback was made (RFC 3339).") String at) {}

  /** How a running VM last got a new runner under update SwitchWhenPossible, and why. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record LiveSwitch(
      @JsonPropertyDescription(
              "Switched: the guest runs the new system, booted is still the runner it booted."
                  + " Restarted: the VM was restarted on the new runner. RolledBack: the"
                  + " activation failed and the guest went back to the system it ran.")
          String result,
      @JsonPropertyDescription("Why: what the runners' files or the guest said.") String reason,
      @JsonPropertyDescription("The runner the VM booted (its kernel and hypervisor).")
          String bootedStorePath,
      @JsonPropertyDescription("The runner whose system the guest was switched to.")
          String storePath,
      @JsonPropertyDescription("The system (toplevel) the guest runs after the switch.")
          String system,
      @JsonPropertyDescription("When (RFC 3339).") String at) {}

  /** One deploy of a runner. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Deploy(
      @JsonPropertyDescription("The runner deployed.") String storePath,
      @JsonPropertyDescription("Where it came from.") RunnerSource source,
      @JsonPropertyDescription("Succeeded, Failed or RolledBack.") String result,
      @JsonPropertyDescription("When the deploy finished (RFC 3339).") String finishedAt) {}
}
