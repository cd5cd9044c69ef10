package io.microvmoperator.reconcile.microvm.steps;

import static io.microvmoperator.reconcile.fakes.Contexts.V1;
import static io.microvmoperator.reconcile.fakes.Contexts.V2;
import static io.microvmoperator.reconcile.fakes.Contexts.context;
import static io.microvmoperator.reconcile.fakes.Contexts.found;
import static io.microvmoperator.reconcile.fakes.Contexts.host;
import static io.microvmoperator.reconcile.fakes.Contexts.vm;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.microvmoperator.api.MicroVMSpec;
import io.microvmoperator.api.MicroVMStatus;
import io.microvmoperator.host.ConvergeRequest;
import io.microvmoperator.host.ConvergeResult;
import io.microvmoperator.host.GuestSwitchOutcome;
import io.microvmoperator.host.GuestSwitchOutcome.Kind;
import io.microvmoperator.host.NixCommandException;
import io.microvmoperator.host.RunnerFiles;
import io.microvmoperator.host.RunnerFilesParser.RunnerPair;
import io.microvmoperator.host.VmObservation;
import io.microvmoperator.nix.InvalidValueException;
import io.microvmoperator.reconcile.context.MicroVMContext;
import io.microvmoperator.reconcile.context.Rollout;
import io.microvmoperator.reconcile.context.StepResult;
import io.microvmoperator.reconcile.fakes.FakeHost;
import io.microvmoperator.reconcile.fakes.FakeLiveSwitch;
import io.microvmoperator.reconcile.fakes.FakeObservations;
import io.microvmoperator.reconcile.fakes.RecordingEvents;
import io.microvmoperator.reconcile.validation.SpecValidator;
import io.microvmoperator.testenv.MicroVMSpecBuilder;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SwitchLiveTest {

  private static final String FLAKE = "github:o/r";
  private static final String S1 = "/nix/store/" + "a".repeat(32) + "-nixos-system-web-v1";
  private static final String S2 = "/nix/store/" + "b".repeat(32) + "-nixos-system-web-v2";
  private static final MicroVMSpec.GuestSsh GUEST =
      new MicroVMSpec.GuestSsh(
          "127.0.0.1", 2222, "root", List.of("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGuest"));

  private final RecordingEvents events = new RecordingEvents();
  private final FakeObservations hosts = new FakeObservations();
  private final FakeHost host = new FakeHost();
  private final FakeLiveSwitch live = new FakeLiveSwitch();
  private final SwitchLive step = new SwitchLive(events, hosts);

  SwitchLiveTest() {
    host.liveSwitch = live;
    host.convergeResult =
        new ConvergeResult(
            false, null, false, false, false, false, true, false, Optional.of(booted(V2, V2)));
  }

  @Test
  void aSystemOnlyChangeIsSwitchedLiveWithNoConverge() throws Exception {
    live.runners = runners("-m 512", "-m 512");
    live.outcome = new GuestSwitchOutcome(Kind.SWITCHED, S1, S2, "switched");
    MicroVMContext ctx = ctx(MicroVMSpec.UpdateMode.SwitchWhenPossible, null);

    assertThat(step.run(ctx)).isInstanceOf(StepResult.Proceed.class);

    assertThat(live.calls).containsExactly("readRunners", "registration", "switchGuest");
    assertThat(live.requests.get(0).system().value()).isEqualTo(S2);
    assertThat(live.requests.get(0).hostname().value()).isEqualTo("web");
    assertThat(live.requests.get(0).registration()).isEqualTo(FakeLiveSwitch.REGISTRATION);
    assertThat(live.guests.get(0).port()).isEqualTo(2222);
    assertThat(live.guests.get(0).pinnedHostKeys()).isEqualTo(GUEST.hostKeys());
    assertThat(host.converges).isEmpty();
    MicroVMStatus.LiveSwitch status = ctx.status().build().liveSwitch();
    assertThat(status.result()).isEqualTo("Switched");
    assertThat(status.bootedStorePath()).isEqualTo(V1.value());
    assertThat(status.storePath()).isEqualTo(V2.value());
    assertThat(status.system()).isEqualTo(S2);
    assertThat(events.reasons()).containsExactly("SwitchedLive");
  }

  @Test
  void aRunnerChangedBeyondItsSystemIsRestartedWithTheReason() throws Exception {
    live.runners = runners("-m 512", "-m 1024");
    MicroVMContext ctx = ctx(MicroVMSpec.UpdateMode.SwitchWhenPossible, null);

    step.run(ctx);

    assertThat(live.calls).containsExactly("readRunners");
    ConvergeRequest restart = host.converges.get(0);
    assertThat(restart.runner()).isEqualTo(V2);
    assertThat(restart.forceRestart()).isTrue();
    assertThat(ctx.status().build().liveSwitch().reason())
        .isEqualTo("the runner changed beyond its system: bin/microvm-run differs");
    assertThat(events.reasons()).containsExactly("RestartNeeded", "Restarted");
    assertThat(ctx.findings().observed()).contains(booted(V2, V2));
  }

  @Test
  void aGuestThatCannotBeSwitchedIsRestartedAndAFailedActivationRolledBack() throws Exception {
    live.runners = runners("-m 512", "-m 512");
    live.outcome = new GuestSwitchOutcome(Kind.HOST_KEY_REJECTED, "", "", "host key of x is y");
    MicroVMContext rejected = ctx(MicroVMSpec.UpdateMode.SwitchWhenPossible, null);
    step.run(rejected);
    assertThat(host.converges.get(0).forceRestart()).isTrue();
    assertThat(rejected.status().build().liveSwitch().reason())
        .isEqualTo("no live switch (HOST_KEY_REJECTED): host key of x is y");
    assertThat(events.reasons()).containsExactly("LiveSwitchFailed", "Restarted");

    live.outcome = new GuestSwitchOutcome(Kind.ROLLED_BACK, S1, S1, "exited 4");
    host.convergeResult =
        new ConvergeResult(
            false, null, false, false, true, false, false, false, Optional.of(booted(V1, V1)));
    MicroVMContext failed = ctx(MicroVMSpec.UpdateMode.SwitchWhenPossible, null);
    step.run(failed);
    ConvergeRequest back = host.converges.get(1);
    assertThat(back.runner()).isEqualTo(V1);
    assertThat(back.forceRestart()).as("the guest runs its old system again").isFalse();
    assertThat(failed.findings().rollout().runner()).isEqualTo(V1);
    MicroVMStatus status = failed.status().build();
    assertThat(status.rollback().failedStorePath()).isEqualTo(V2.value());
    assertThat(status.rollback().restoredStorePath()).isEqualTo(V1.value());
    assertThat(status.liveSwitch().result()).isEqualTo("RolledBack");
  }

  @Test
  void aRegistrationThatCannotBeMadeIsARestartWithNothingSentToTheGuest() throws Exception {
    live.runners = runners("-m 512", "-m 512");
    live.registrationFailure = new NixCommandException("cannot register", "error: no db");
    MicroVMContext ctx = ctx(MicroVMSpec.UpdateMode.SwitchWhenPossible, null);

    step.run(ctx);

    assertThat(live.calls).containsExactly("readRunners", "registration");
    assertThat(host.converges.get(0).forceRestart()).isTrue();
    assertThat(ctx.status().build().liveSwitch().reason())
        .isEqualTo("no live switch (NOT_ACTIVATED): cannot register: error: no db");
  }

  @Test
  void nothingHappensUnderRestartOrWhenThisSwitchWasDone() throws Exception {
    assertThat(step.run(ctx(MicroVMSpec.UpdateMode.Restart, null)))
        .isInstanceOf(StepResult.Proceed.class);
    MicroVMStatus.LiveSwitch done =
        new MicroVMStatus.LiveSwitch("Switched", "r", V1.value(), V2.value(), S2, "t");
    step.run(ctx(MicroVMSpec.UpdateMode.SwitchWhenPossible, done));
    assertThat(host.calls).isEmpty();
    assertThat(live.calls).isEmpty();
  }

  @Test
  void underSwitchWhenPossibleABootedRunnerOtherThanCurrentIsNoDriftForDeploy() {
    MicroVMContext ctx = ctx(MicroVMSpec.UpdateMode.SwitchWhenPossible, null);
    assertThat(Drift.of(ctx, V2)).isEmpty();
    assertThat(Drift.of(ctx(MicroVMSpec.UpdateMode.Restart, null), V2))
        .hasValue("the VM runs " + V1 + ", not " + V2);
  }

  @Test
  void switchWhenPossibleWithoutOrWithABadGuestSshIsAnInvalidSpec() {
    MicroVMSpec without =
        MicroVMSpecBuilder.flake("h1", FLAKE, "web")
            .update(MicroVMSpec.UpdateMode.SwitchWhenPossible)
            .build();
    assertThatThrownBy(() -> SpecValidator.parse(vm(without, null)))
        .isInstanceOf(InvalidValueException.class)
        .hasMessageContaining("needs spec.guestSsh");
    MicroVMSpec.GuestSsh hostile =
        new MicroVMSpec.GuestSsh("127.0.0.1; rm -rf /", 22, "root", GUEST.hostKeys());
    MicroVMSpec bad = MicroVMSpecBuilder.from(without).guestSsh(hostile).build();
    assertThatThrownBy(() -> SpecValidator.parse(vm(bad, null)))
        .isInstanceOf(InvalidValueException.class);
  }

  private MicroVMContext ctx(MicroVMSpec.UpdateMode update, MicroVMStatus.LiveSwitch last) {
    MicroVMSpec spec =
        MicroVMSpecBuilder.flake("h1", FLAKE, "web").update(update).guestSsh(GUEST).build();
    MicroVMStatus prior =
        last == null
            ? null
            : new MicroVMStatus(
                null, null, null, null, null, null, null, null, null, null, null, null, null, null,
                null, null, null, last);
    MicroVMContext ctx = context(vm(spec, prior), host("h1", Map.of()), host);
    found(ctx, Optional.of(booted(V2, V1)), Rollout.of(V2));
    return ctx;
  }

  private static VmObservation booted(
      io.microvmoperator.nix.StorePath current, io.microvmoperator.nix.StorePath booted) {
    return new VmObservation(
        "web",
        current.value(),
        booted.value(),
        false,
        FLAKE,
        "active",
        "running",
        42,
        0,
        "success",
        false,
        "");
  }

  private static RunnerPair runners(String bootedArgs, String nextArgs) {
    return new RunnerPair(runner(V1.value(), S1, bootedArgs), runner(V2.value(), S2, nextArgs));
  }

  private static RunnerFiles runner(String path, String system, String args) {
    return new RunnerFiles(
        path,
        true,
        Map.of(
            "bin/microvm-run",
            RunnerFiles.Entry.file(true, "exec qemu " + args + " init=" + system + "/init\n"),
            RunnerFiles.SYSTEM_LINK,
            RunnerFiles.Entry.link(system)),
        true);
  }
}
