package io.microvmoperator.reconcile.microvm.steps;

import static io.microvmoperator.reconcile.fakes.Contexts.V1;
import static io.microvmoperator.reconcile.fakes.Contexts.context;
import static io.microvmoperator.reconcile.fakes.Contexts.host;
import static io.microvmoperator.reconcile.fakes.Contexts.seen;
import static org.assertj.core.api.Assertions.assertThat;

import io.microvmoperator.api.MicroVM;
import io.microvmoperator.host.VmObservation;
import io.microvmoperator.reconcile.context.MicroVMContext;
import io.microvmoperator.reconcile.context.Retries;
import io.microvmoperator.reconcile.context.StepResult;
import io.microvmoperator.reconcile.fakes.Contexts;
import io.microvmoperator.reconcile.fakes.FakeHost;
import io.microvmoperator.reconcile.fakes.FakeObservations;
import io.microvmoperator.reconcile.host.ProbeResult;
import io.microvmoperator.reconcile.kube.Annotations;
import io.microvmoperator.testenv.MicroVMSpecBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ObserveHostTest {

  private final FakeObservations hosts = new FakeObservations();
  private final ObserveHost step = new ObserveHost(hosts);

  @Test
  void theHostsLastProbeIsWhatTheStepsAfterItSee() {
    VmObservation web = seen(V1, "github:o/r", "active", "running");
    hosts.seeing(web);
    MicroVMContext ctx = ctx(vm());

    assertThat(step.run(ctx)).isInstanceOf(StepResult.Proceed.class);
    assertThat(hosts.calls).containsExactly("latestOrProbe");
    assertThat(ctx.findings().observed()).contains(web);
    assertThat(ctx.findings().ownership().owner()).isEqualTo(ctx.ownerMarker());
    assertThat(ctx.status().build().currentStorePath()).isEqualTo(V1.value());
  }

  @Test
  void aUnitSeenStoppingTwiceIsLookedAtAgainWithAFreshProbe() {
    VmObservation stopping = seen(V1, "github:o/r", "deactivating", "stop-sigterm");
    hosts.seeing(stopping);
    VmObservation stopped = seen(V1, "github:o/r", "inactive", "dead");
    hosts.fresh = new FakeObservations().seeing(stopped).result;

    MicroVMContext first = ctx(vm());
    assertThat(step.run(first)).isInstanceOf(StepResult.Proceed.class);
    assertThat(hosts.calls)
        .as("the first sight of a stop is taken as it is")
        .containsExactly("latestOrProbe");
    assertThat(first.findings().observed()).contains(stopping);

    MicroVMContext again = ctx(vm());
    assertThat(step.run(again)).isInstanceOf(StepResult.Proceed.class);
    assertThat(hosts.calls).containsExactly("latestOrProbe", "latestOrProbe", "probe");
    assertThat(again.findings().observed()).contains(stopped);
  }

  @Test
  void aReconcileRequestProbesAgainAndIsMarkedHandled() {
    hosts.seeing();
    MicroVM vm = vm();
    vm.getMetadata().setAnnotations(Map.of(Annotations.RECONCILE_REQUESTED_AT, "now-1"));
    MicroVMContext ctx = ctx(vm);

    assertThat(step.run(ctx)).isInstanceOf(StepResult.Proceed.class);
    assertThat(hosts.calls).containsExactly("probe");
    assertThat(ctx.status().build().lastHandledReconcileAt()).isEqualTo("now-1");
  }

  @Test
  void anUnreachableHostIsTriedAgainSoonAndAMisconfiguredOneStalls() {
    hosts.result = ProbeResult.failed("HostUnreachable", "connection refused");
    assertThat(step.run(ctx(vm()))).isEqualTo(StepResult.requeueAfter(Retries.UNREACHABLE));

    hosts.result = ProbeResult.failed("SecretNotFound", "Secret operator/key not found");
    StepResult result = step.run(ctx(vm()));
    assertThat(result).isInstanceOf(StepResult.Stalled.class);
    assertThat(((StepResult.Stalled) result).problem().reason()).isEqualTo("SecretNotFound");
    assertThat(result.nextLook()).as("only a change of the host or Secret helps").isNull();
  }

  @Test
  void aVmTheHostDeclaresOrAnotherNamespaceOwnsIsNotTouched() {
    hosts.seeing(
        new VmObservation(
            "web",
            V1.value(),
            V1.value(),
            true,
            "",
            "active",
            "running",
            1,
            0,
            "success",
            false,
            ""));
    assertThat(reason(step.run(ctx(vm())))).isEqualTo("DeclaredByHost");

    hosts.seeing(
        new VmObservation(
            "web",
            V1.value(),
            V1.value(),
            false,
            "",
            "active",
            "running",
            1,
            0,
            "success",
            false,
            "team-b/web uid-9"));
    assertThat(reason(step.run(ctx(vm())))).isEqualTo("FolderNotEmpty");
  }

  private static String reason(StepResult result) {
    return ((StepResult.Stalled) result).problem().reason();
  }

  private static MicroVM vm() {
    return Contexts.vm(MicroVMSpecBuilder.flake("h1", "github:o/r", "web").build(), null);
  }

  private static MicroVMContext ctx(MicroVM vm) {
    return context(vm, host("h1", Map.of()), new FakeHost());
  }
}
