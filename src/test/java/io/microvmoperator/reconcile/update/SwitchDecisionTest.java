package io.microvmoperator.reconcile.update;

import static org.assertj.core.api.Assertions.assertThat;

import io.microvmoperator.host.RunnerFiles;
import io.microvmoperator.host.RunnerFiles.Entry;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SwitchDecisionTest {

  private static final String SYSTEM1 = "/nix/store/" + "a".repeat(32) + "-nixos-system-web-v1";
  private static final String SYSTEM2 = "/nix/store/" + "b".repeat(32) + "-nixos-system-web-v2";
  private static final String CLOSURE1 = "/nix/store/" + "c".repeat(32) + "-closure-info";
  private static final String CLOSURE2 = "/nix/store/" + "d".repeat(32) + "-closure-info";
  private static final String KERNEL1 = "/nix/store/" + "e".repeat(32) + "-linux-6.1";
  private static final String KERNEL2 = "/nix/store/" + "f".repeat(32) + "-linux-6.6";

  @Test
  void runnersThatDifferOnlyWhereTheSystemAndItsClosureInfoAppearAreSwitchedLive() {
    RunnerFiles booted = runner("r1", SYSTEM1, run(KERNEL1, SYSTEM1, CLOSURE1, 512), true);
    RunnerFiles next = runner("r2", SYSTEM2, run(KERNEL1, SYSTEM2, CLOSURE2, 512), true);

    SwitchDecision.Result result = SwitchDecision.decide(booted, next);

    assertThat(result.live()).isTrue();
    assertThat(result.reason()).isEqualTo("only the system changed: " + SYSTEM1 + " -> " + SYSTEM2);
  }

  @Test
  void aKernelMemoryOrHelperChangeIsARestartThatNamesTheFile() {
    RunnerFiles booted = runner("r1", SYSTEM1, run(KERNEL1, SYSTEM1, CLOSURE1, 512), true);

    RunnerFiles kernel = runner("r2", SYSTEM2, run(KERNEL2, SYSTEM2, CLOSURE2, 512), true);
    assertThat(SwitchDecision.decide(booted, kernel))
        .isEqualTo(
            new SwitchDecision.Result(
                false, "the runner changed beyond its system: bin/microvm-run differs"));

    RunnerFiles memory = runner("r2", SYSTEM2, run(KERNEL1, SYSTEM2, CLOSURE2, 1024), true);
    assertThat(SwitchDecision.decide(booted, memory).live()).isFalse();

    Map<String, Entry> entries = new LinkedHashMap<>(memory.entries());
    entries.put("bin/microvm-run", Entry.file(true, run(KERNEL1, SYSTEM2, CLOSURE2, 512)));
    entries.put("bin/virtiofsd-run", Entry.file(true, "#!/bin/sh\n"));
    RunnerFiles helper = new RunnerFiles("r2", true, entries, true);
    assertThat(SwitchDecision.decide(booted, helper).reason())
        .isEqualTo(
            "the runner changed beyond its system: bin/virtiofsd-run (only in the new runner) differs");
  }

  @Test
  void aModeChangeAndAFileTooLargeToCompareAreDifferences() {
    RunnerFiles booted = runner("r1", SYSTEM1, run(KERNEL1, SYSTEM1, CLOSURE1, 512), true);
    Map<String, Entry> entries = new LinkedHashMap<>(booted.entries());
    entries.put("bin/microvm-run", Entry.file(false, run(KERNEL1, SYSTEM2, CLOSURE2, 512)));
    entries.put("share/microvm/system", Entry.link(SYSTEM2));
    assertThat(SwitchDecision.decide(booted, new RunnerFiles("r2", true, entries, true)).live())
        .isFalse();

    Map<String, Entry> large = new LinkedHashMap<>(booted.entries());
    large.put("bin/big", Entry.of(RunnerFiles.Kind.LARGE));
    RunnerFiles bootedLarge = new RunnerFiles("r1", true, large, true);
    large.put("bin/microvm-run", Entry.file(true, run(KERNEL1, SYSTEM2, CLOSURE2, 512)));
    large.put("share/microvm/system", Entry.link(SYSTEM2));
    assertThat(
            SwitchDecision.decide(bootedLarge, new RunnerFiles("r2", true, large, true)).reason())
        .isEqualTo("the runner changed beyond its system: bin/big differs");
  }

  @Test
  void theSameSystemNoSystemNoSwitchScriptOrAMissingRunnerAreRestarts() {
    RunnerFiles booted = runner("r1", SYSTEM1, run(KERNEL1, SYSTEM1, CLOSURE1, 512), true);

    RunnerFiles sameSystem = runner("r2", SYSTEM1, run(KERNEL1, SYSTEM1, CLOSURE1, 768), true);
    assertThat(SwitchDecision.decide(booted, sameSystem).reason())
        .isEqualTo("the system did not change, the runner did: bin/microvm-run differs");

    RunnerFiles noSwitch = runner("r2", SYSTEM2, run(KERNEL1, SYSTEM2, CLOSURE2, 512), false);
    assertThat(SwitchDecision.decide(booted, noSwitch).reason())
        .isEqualTo(
            "the new system "
                + SYSTEM2
                + " has no bin/switch-to-configuration (system.switch.enable)");

    Map<String, Entry> entries = new LinkedHashMap<>(booted.entries());
    entries.remove("share/microvm/system");
    RunnerFiles storeOnDisk = new RunnerFiles("r2", true, entries, false);
    assertThat(SwitchDecision.decide(booted, storeOnDisk).reason())
        .isEqualTo("the runner r2 has no share/microvm/system");

    RunnerFiles relative =
        runner("r2", "../elsewhere", run(KERNEL1, "../elsewhere", CLOSURE2, 512), true);
    assertThat(SwitchDecision.decide(booted, relative).reason())
        .isEqualTo("the new runner's share/microvm/system is not a store path");

    RunnerFiles gone = new RunnerFiles("r0", false, Map.of(), false);
    assertThat(SwitchDecision.decide(gone, booted).reason())
        .isEqualTo("the runner r0 is not in the host's store");
  }

  private static String run(String kernel, String system, String closureInfo, int memory) {
    return "#!/bin/sh\nexec qemu -m "
        + memory
        + " -kernel "
        + kernel
        + "/bzImage -append 'init="
        + system
        + "/init regInfo="
        + closureInfo
        + "/registration'\n";
  }

  private static RunnerFiles runner(String path, String system, String run, boolean switchable) {
    Map<String, Entry> entries = new LinkedHashMap<>();
    entries.put("bin", Entry.of(RunnerFiles.Kind.DIR));
    entries.put("bin/microvm-run", Entry.file(true, run));
    entries.put("bin/microvm-shutdown", Entry.file(true, "#!/bin/sh\nkill qemu\n"));
    entries.put("share/microvm/hypervisor", Entry.file(false, "qemu"));
    entries.put("share/microvm/system", Entry.link(system));
    return new RunnerFiles(path, true, entries, switchable);
  }
}
