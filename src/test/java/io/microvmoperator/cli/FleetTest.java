package io.microvmoperator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMHost;
import io.microvmoperator.api.MicroVMHostStatus;
import io.microvmoperator.api.MicroVMHostStatus.HostedVM;
import io.microvmoperator.api.MicroVMStatus;
import io.microvmoperator.api.MicroVMStatus.Phase;
import io.microvmoperator.testenv.MicroVMSpecBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rows and states of {@code kubectl microvm list}, from statuses written by hand. */
class FleetTest {

  private static final String V1 = "/nix/store/" + "a".repeat(32) + "-microvm-web-v1";
  private static final String V2 = "/nix/store/" + "b".repeat(32) + "-microvm-web-v2";

  @Test
  void aVmThatRunsItsDesiredRunnerIsCurrent() {
    FleetRow row =
        only(vm("web", status(Phase.Running, V1, V1, V1, ready("Running"))), seen(V1, V1, true));
    assertThat(row.state()).isEqualTo("current");
    assertThat(row.owner()).isEqualTo("team/web");
    assertThat(row.running()).isTrue();
    assertThat(row.hint()).isEqualTo("-");
    assertThat(Runners.chain(row.booted(), row.current(), row.desired()))
        .isEqualTo("aaaaaaa-microvm-web-v1");
  }

  @Test
  void bootedOtherThanCurrentIsStaleAndTheHintIsTheRestartCommand() {
    FleetRow row =
        only(vm("web", status(Phase.Running, V2, V2, V1, ready("Running"))), seen(V2, V1, true));
    assertThat(row.state()).isEqualTo("stale: restart due");
    assertThat(row.hint()).isEqualTo("kubectl microvm restart team/web");
    assertThat(Runners.chain(row.booted(), row.current(), row.desired()))
        .isEqualTo("aaaaaaa-microvm-web-v1 → bbbbbbb-microvm-web-v2 → bbbbbbb-microvm-web-v2");
  }

  @Test
  void aVmSwitchedLiveIsCurrentThoughItBootedAnotherRunner() {
    MicroVMStatus s =
        status(
            Phase.Running,
            V2,
            V2,
            V1,
            ready("Running"),
            cond("RestartRequired", "False", "SwitchedLive"));
    FleetRow row = only(vm("web", s), seen(V2, V1, true));
    assertThat(row.state()).isEqualTo("current: switched live, booted runner kept");
    assertThat(row.hint()).isEqualTo("-");
  }

  @Test
  void aRunnerHeldForARestartIsOutdated() {
    MicroVMStatus s =
        status(
            Phase.Running,
            V2,
            V1,
            V1,
            ready("Running"),
            cond("UpToDate", "True", "HeldForRestart"));
    FleetRow row = only(vm("web", s), seen(V1, V1, true));
    assertThat(row.state()).isEqualTo("outdated: a newer runner is built, held for a restart");
    assertThat(row.hint()).isEqualTo("kubectl microvm restart team/web");
  }

  @Test
  void aRunnerBeingBuiltIsOutdatedAndAPlanWaitsForApproval() {
    MicroVMStatus building =
        status(
            Phase.Building,
            null,
            V1,
            V1,
            cond("Ready", "False", "Building"),
            cond("UpToDate", "False", "Building"));
    assertThat(only(vm("web", building), seen(V1, V1, true)).state())
        .isEqualTo("outdated: a newer runner is being built");
    MicroVMStatus awaiting =
        status(Phase.AwaitingApproval, V2, V1, V1, cond("Ready", "False", "AwaitingApproval"));
    FleetRow row = only(vm("web", awaiting), seen(V1, V1, true));
    assertThat(row.state()).isEqualTo("outdated: a newer runner is built, awaiting approval");
    assertThat(row.hint()).isEqualTo("kubectl microvm approve team/web");
  }

  @Test
  void aStoppedVmIsNotBootedAndAStalledOneFailedWithItsReason() {
    MicroVM stopped = vm("web", status(Phase.Stopped, V1, V1, null, ready("Stopped")));
    stopped.setSpec(MicroVMSpecBuilder.flake("h1", "path:/tmp/f", "web").running(false).build());
    assertThat(only(stopped, seen(V1, null, false)).state())
        .isEqualTo("not booted: stopped on request (spec.running: false)");
    MicroVMStatus failed =
        status(
            Phase.Failed,
            null,
            V1,
            V1,
            cond("Ready", "False", "BuildFailed"),
            cond("Stalled", "True", "BuildFailed"));
    FleetRow row = only(vm("web", failed), seen(V1, V1, true));
    assertThat(row.state()).isEqualTo("failed: BuildFailed");
    assertThat(row.hint()).isEqualTo("kubectl microvm logs team/web");
  }

  @Test
  void aRollbackIsAFailureAnUnreachableHostUnknownAndARetriedDeployFailed() {
    MicroVMStatus rolledBack =
        status(
            Phase.RolledBack,
            V2,
            V1,
            V1,
            cond("Ready", "False", "RolledBack"),
            cond("Stalled", "True", "RolledBack"));
    FleetRow row = only(vm("web", rolledBack), seen(V1, V1, true));
    assertThat(row.state()).isEqualTo("failed: RolledBack");
    assertThat(row.hint()).isEqualTo("kubectl microvm status team/web");
    MicroVMStatus unreachable =
        status(Phase.Running, V1, V1, V1, cond("Ready", "False", "HostUnreachable"));
    assertThat(only(vm("web", unreachable), seen(V1, V1, true)).state())
        .isEqualTo("unknown: host unreachable");
    MicroVMStatus deployFailed =
        status(Phase.Failed, V2, V1, V1, cond("Ready", "False", "DeployFailed"));
    assertThat(only(vm("web", deployFailed), seen(V1, V1, true)).state())
        .isEqualTo("failed: DeployFailed (retried)");
  }

  @Test
  void aVmWaitingToRestartIsNotBootedWithTheReason() {
    MicroVMStatus waiting =
        status(
            Phase.Deploying,
            V1,
            V1,
            V1,
            cond("Ready", "False", "WaitingToRestart"),
            cond("Running", "False", "WaitingToRestart"));
    FleetRow row = only(vm("web", waiting), seen(V1, V1, false));
    assertThat(row.state()).isEqualTo("not booted: WaitingToRestart");
    assertThat(row.running()).isFalse();
  }

  @Test
  void suspendedBeforeAnythingElse() {
    MicroVM vm = vm("web", status(Phase.Suspended, V1, V1, V1, ready("Running")));
    vm.setSpec(MicroVMSpecBuilder.flake("h1", "path:/tmp/f", "web").suspend(true).build());
    FleetRow row = only(vm, seen(V1, V1, true));
    assertThat(row.state()).isEqualTo("suspended");
    assertThat(row.hint()).isEqualTo("kubectl microvm resume team/web");
  }

  @Test
  void withTheWholeFleetVmsNoMicroVmOwnsAreRowsToo() {
    MicroVMHost host =
        host(
            new HostedVM("web", V1, V1, true, null, "team/web"),
            new HostedVM("declared", V1, V2, true, true, null),
            new HostedVM("hand-made", V1, null, false, null, null));
    MicroVM web = vm("web", status(Phase.Running, V1, V1, V1, ready("Running")));
    List<FleetRow> rows = new Fleet(List.of(host), List.of(web), true).rows();
    assertThat(rows).extracting(FleetRow::vm).containsExactly("declared", "hand-made", "web");
    assertThat(rows.get(0).owner()).isEqualTo(FleetRow.DECLARED_BY_HOST);
    assertThat(rows.get(0).state()).isEqualTo("stale: restart due");
    assertThat(rows.get(1).owner()).isEqualTo(FleetRow.UNMANAGED);
    assertThat(rows.get(1).state()).isEqualTo("not booted");
    assertThat(new Fleet(List.of(host), List.of(web), false).rows()).hasSize(1);
  }

  @Test
  void withoutTheHostsTheMicroVmsOwnStatusTells() {
    MicroVM web =
        vm(
            "web",
            status(
                Phase.Running,
                V1,
                V1,
                V1,
                ready("Running"),
                cond("Running", "True", "UnitActive")));
    FleetRow row = new Fleet(List.of(), List.of(web), false).rows().get(0);
    assertThat(row.state()).isEqualTo("current");
    assertThat(row.running()).isTrue();
  }

  private static FleetRow only(MicroVM vm, HostedVM seen) {
    return new Fleet(List.of(host(seen)), List.of(vm), false).rows().get(0);
  }

  private static HostedVM seen(String current, String booted, boolean active) {
    return new HostedVM("web", current, booted, active, null, "team/web");
  }

  private static MicroVMHost host(HostedVM... vms) {
    MicroVMHost host = new MicroVMHost();
    host.setMetadata(new ObjectMetaBuilder().withName("h1").build());
    host.setStatus(
        new MicroVMHostStatus(
            List.of(cond("Ready", "True", "Reachable")),
            1L,
            null,
            null,
            "2.8",
            List.of(vms),
            null));
    return host;
  }

  private static MicroVM vm(String name, MicroVMStatus status) {
    MicroVM vm = new MicroVM();
    vm.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("team").build());
    vm.setSpec(MicroVMSpecBuilder.flake("h1", "path:/tmp/f", name).build());
    vm.setStatus(status);
    return vm;
  }

  private static MicroVMStatus status(
      Phase phase, String desired, String current, String booted, Condition... conditions) {
    MicroVMStatus.Plan plan =
        phase == Phase.AwaitingApproval
            ? new MicroVMStatus.Plan(desired, current, "x: +1 KiB", null)
            : null;
    return new MicroVMStatus(
        1L,
        phase,
        List.of(conditions),
        null,
        desired,
        current,
        booted,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        plan,
        null,
        null);
  }

  private static Condition ready(String reason) {
    return cond("Ready", "True", reason);
  }

  private static Condition cond(String type, String status, String reason) {
    return new ConditionBuilder()
        .withType(type)
        .withStatus(status)
        .withReason(reason)
        .withMessage("m")
        .build();
  }
}
