package io.microvmoperator.cli;

import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMStatus;
import io.microvmoperator.api.MicroVMStatus.Phase;
import java.util.Objects;
import java.util.Set;

/**
 * The state of a VM that a MicroVM manages: {@code microvm -l}'s comparison of booted, current and
 * desired runner, after what the operator reports that a host cannot show (suspended, failed,
 * waiting for approval, being built).
 */
final class ManagedVerdicts {

  /** Ready reasons of a retried failure: not Stalled, but failed all the same. */
  private static final Set<String> RETRIED_FAILURES = Set.of("DeployFailed", "ReconcileError");

  /** Reasons of a runner that is being made. */
  private static final Set<String> BUILDING = Set.of("Building", "Fetching", "WaitingForBuildSlot");

  /** Stalled reasons whose explanation is in a build's log tail. */
  private static final Set<String> BUILD_FAILURES =
      Set.of("FlakeResolutionFailed", "EvaluationFailed", "BuildFailed", "FetchFailed");

  private ManagedVerdicts() {}

  /**
   * @param vm the MicroVM
   * @param runners what the host shows for it (from the host's probe or the MicroVM's status)
   */
  static Verdict of(MicroVM vm, HostFacts runners) {
    String ref = ref(vm);
    MicroVMStatus status = vm.getStatus();
    if (Boolean.TRUE.equals(vm.getSpec().suspend())) {
      return new Verdict("suspended", "kubectl microvm resume " + ref);
    }
    if (status == null) {
      return new Verdict(
          "not booted: the operator has not seen it yet", "kubectl microvm status " + ref);
    }
    var conditions = status.conditions();
    if (Conditions.isTrue(conditions, "Stalled")) {
      String reason = Conditions.reason(conditions, "Stalled");
      String command = BUILD_FAILURES.contains(reason) ? "logs " : "status ";
      return new Verdict("failed: " + reason, "kubectl microvm " + command + ref);
    }
    String ready = Conditions.isFalse(conditions, "Ready") ? reason(status, "Ready") : "";
    if (RETRIED_FAILURES.contains(ready)) {
      return new Verdict("failed: " + ready + " (retried)", "kubectl microvm status " + ref);
    }
    if (ready.equals("HostUnreachable")) {
      return new Verdict(
          "unknown: host unreachable", "kubectl get microvmhost " + vm.getSpec().host());
    }
    if (ready.equals("HostSuspended")) {
      return new Verdict("suspended: its host is suspended", Verdict.NO_HINT);
    }
    return fromRunners(vm, status, runners, ref);
  }

  private static Verdict fromRunners(MicroVM vm, MicroVMStatus status, HostFacts host, String ref) {
    String upToDate = reason(status, "UpToDate");
    if (status.phase() == Phase.AwaitingApproval || status.plan() != null) {
      String what =
          host.current() == null
              ? "not booted: its first runner is built, awaiting approval"
              : "outdated: a newer runner is built, awaiting approval";
      return new Verdict(what, "kubectl microvm approve " + ref);
    }
    boolean building =
        BUILDING.contains(upToDate) || BUILDING.contains(reason(status, "Reconciling"));
    if (host.current() == null) {
      String why = building ? "its first runner is being built" : "not deployed yet";
      return new Verdict("not booted: " + why, "kubectl microvm status " + ref);
    }
    if (building) {
      return new Verdict(
          "outdated: a newer runner is being built", "kubectl microvm status " + ref);
    }
    String desired = status.desiredStorePath();
    if (desired != null && !desired.equals(host.current())) {
      return upToDate.equals("HeldForRestart")
          ? new Verdict(
              "outdated: a newer runner is built, held for a restart",
              "kubectl microvm restart " + ref)
          : new Verdict(
              "outdated: a newer runner is being deployed", "kubectl microvm status " + ref);
    }
    if (!Boolean.TRUE.equals(host.active())) {
      return Boolean.FALSE.equals(vm.getSpec().running())
          ? new Verdict("not booted: stopped on request (spec.running: false)", Verdict.NO_HINT)
          : new Verdict(
              "not booted: " + orElse(reason(status, "Running"), "not running"),
              "kubectl microvm status " + ref);
    }
    if (host.booted() != null && !Objects.equals(host.booted(), host.current())) {
      if (reason(status, "RestartRequired").equals("SwitchedLive")) {
        // update SwitchWhenPossible: the guest runs current's system; it booted another runner.
        return new Verdict("current: switched live, booted runner kept", Verdict.NO_HINT);
      }
      return new Verdict("stale: restart due", "kubectl microvm restart " + ref);
    }
    return new Verdict("current", Verdict.NO_HINT);
  }

  static String ref(MicroVM vm) {
    return vm.getMetadata().getNamespace() + "/" + vm.getMetadata().getName();
  }

  private static String reason(MicroVMStatus status, String type) {
    return Conditions.reason(status.conditions(), type);
  }

  private static String orElse(String value, String fallback) {
    return value == null || value.isEmpty() ? fallback : value;
  }
}
