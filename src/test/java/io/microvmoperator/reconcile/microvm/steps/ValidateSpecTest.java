package io.microvmoperator.reconcile.microvm.steps;

import static io.microvmoperator.reconcile.fakes.Contexts.NOW;
import static io.microvmoperator.reconcile.fakes.Contexts.host;
import static io.microvmoperator.reconcile.fakes.Contexts.vm;
import static org.assertj.core.api.Assertions.assertThat;

import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMHost;
import io.microvmoperator.reconcile.context.StepResult;
import io.microvmoperator.reconcile.fakes.FakeObservations;
import io.microvmoperator.reconcile.microvm.steps.ValidateSpec.Admission;
import io.microvmoperator.reconcile.status.MicroVMStatusBuilder;
import io.microvmoperator.reconcile.validation.Claims;
import io.microvmoperator.testenv.MicroVMSpecBuilder;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ValidateSpecTest {

  private final FakeObservations hosts = new FakeObservations();
  private final ValidateSpec validate =
      new ValidateSpec(
          hosts,
          new Claims(Clock.fixed(NOW, ZoneOffset.UTC), vm -> {}),
          "operator",
          Optional.empty());
  private final MicroVMHost host = host("h1", Map.of("allowedNamespaces", List.of("team-a")));

  @Test
  void aValidVmOnAHostThatAllowsItsNamespaceIsAdmitted() {
    MicroVM vm = vm(MicroVMSpecBuilder.flake("h1", "github:o/r", "web").build(), null);
    Admission admission = validate.admit(vm, Optional.of(host), status(vm));

    assertThat(admission.result()).isInstanceOf(StepResult.Proceed.class);
    assertThat(admission.admitted().valid().vmName().value()).isEqualTo("web");
    assertThat(admission.admitted().host()).isSameAs(host);
  }

  @Test
  void aSuspendedVmWaitsForAnEventAndSaysSo() {
    MicroVM vm =
        vm(MicroVMSpecBuilder.flake("h1", "github:o/r", "web").suspend(true).build(), null);
    MicroVMStatusBuilder status = status(vm);

    assertThat(validate.admit(vm, Optional.of(host), status).result())
        .isInstanceOf(StepResult.WaitForEvent.class);
    assertThat(status.build().phase()).hasToString("Suspended");
  }

  @Test
  void badInputStallsWithItsReason() {
    MicroVM shellInFlake = vm(MicroVMSpecBuilder.flake("h1", "$(reboot)", "web").build(), null);
    assertThat(reason(validate.admit(shellInFlake, Optional.of(host), status(shellInFlake))))
        .isEqualTo("InvalidSpec");

    MicroVM vm = vm(MicroVMSpecBuilder.flake("h1", "github:o/r", "web").build(), null);
    assertThat(reason(validate.admit(vm, Optional.empty(), status(vm)))).isEqualTo("HostNotFound");

    MicroVMHost closed = host("h1", Map.of());
    assertThat(reason(validate.admit(vm, Optional.of(closed), status(vm))))
        .as("team-a is not allowed on a host without allowedNamespaces")
        .isEqualTo("NamespaceNotAllowed");
  }

  @Test
  void aShardThatDoesNotSeeTheHostSaysHowToPlaceTheVm() {
    ValidateSpec shard =
        new ValidateSpec(
            hosts,
            new Claims(Clock.fixed(NOW, ZoneOffset.UTC), vm -> {}),
            "operator",
            Optional.of("sharding.microvm-operator.io/key=a"));
    MicroVM vm = vm(MicroVMSpecBuilder.flake("h1", "github:o/r", "web").build(), null);
    StepResult result = shard.admit(vm, Optional.empty(), status(vm)).result();
    assertThat(((StepResult.Stalled) result).problem().message())
        .contains("not in this operator's shard (sharding.microvm-operator.io/key=a)");
  }

  @Test
  void aSuspendedHostLeavesTheVmPending() {
    MicroVM vm = vm(MicroVMSpecBuilder.flake("h1", "github:o/r", "web").build(), null);
    MicroVMHost suspended =
        host("h1", Map.of("allowedNamespaces", List.of("team-a"), "suspend", true));
    MicroVMStatusBuilder status = status(vm);

    assertThat(validate.admit(vm, Optional.of(suspended), status).result())
        .isInstanceOf(StepResult.WaitForEvent.class);
    assertThat(status.build().phase()).hasToString("Pending");
  }

  private static String reason(Admission admission) {
    assertThat(admission.admitted()).isNull();
    return ((StepResult.Stalled) admission.result()).problem().reason();
  }

  private static MicroVMStatusBuilder status(MicroVM vm) {
    return new MicroVMStatusBuilder(vm, NOW);
  }
}
