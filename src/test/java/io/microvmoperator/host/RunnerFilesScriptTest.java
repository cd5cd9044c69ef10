package io.microvmoperator.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.microvmoperator.host.RunnerFilesParser.RunnerPair;
import io.microvmoperator.reconcile.update.SwitchDecision;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code runner-files.sh} as the operator sends it, under dash, on runners laid out as
 * MicroVM.nix's in a temporary folder, read back by {@link RunnerFilesParser} and judged by {@link
 * SwitchDecision}: names, contents, modes and links survive the trip whatever they hold.
 */
class RunnerFilesScriptTest {

  @TempDir Path store;

  @Test
  void twoRunnersThatDifferOnlyByTheirSystemAreReadAndJudgedSwitchable() throws Exception {
    Path system1 = system("s1-nixos-system-web-v1", true);
    Path system2 = system("s2-nixos-system-web-v2", true);
    Path booted = runner("r1-microvm-web", system1, "-m 512");
    Path next = runner("r2-microvm-web", system2, "-m 512");

    RunnerPair pair = run(booted, next);

    assertThat(pair.booted().present()).isTrue();
    assertThat(pair.booted().system()).contains(system1.toString());
    assertThat(pair.next().switchable()).isTrue();
    assertThat(pair.next().entries().get("bin/microvm-run"))
        .isEqualTo(
            RunnerFiles.Entry.file(
                true,
                "#!/bin/sh\n# it's \"quoted\" \\ $x\nexec qemu -m 512 init="
                    + system2
                    + "/init\n"));
    assertThat(pair.next().entries().get("share/microvm/empty"))
        .isEqualTo(RunnerFiles.Entry.file(false, ""));
    assertThat(pair.next().entries().get("share/microvm"))
        .isEqualTo(RunnerFiles.Entry.of(RunnerFiles.Kind.DIR));
    // Only the system's path differs (the folders here are not /nix/store paths, which the
    // decision requires of the system as well).
    assertThat(SwitchDecision.differences(pair.booted(), pair.next())).isEmpty();
  }

  @Test
  void aMemoryChangeOrAMissingRunnerIsARestart() throws Exception {
    Path system1 = system("s1-nixos-system-web-v1", true);
    Path system2 = system("s2-nixos-system-web-v2", true);
    Path booted = runner("r1-microvm-web", system1, "-m 512");
    Path next = runner("r2-microvm-web", system2, "-m 1024");

    SwitchDecision.Result decision = decide(run(booted, next));
    assertThat(decision.live()).isFalse();
    assertThat(decision.reason()).contains("bin/microvm-run differs");

    RunnerPair gone = run(store.resolve("r9-microvm-gone"), next);
    assertThat(gone.booted().present()).isFalse();
    assertThat(decide(gone).reason()).contains("is not in the host's store");
  }

  @Test
  void aSystemWithoutSwitchToConfigurationIsReadAsNotSwitchable() throws Exception {
    Path booted = runner("r1-microvm-web", system("s1-nixos-system-web-v1", true), "");
    Path next = runner("r2-microvm-web", system("s2-nixos-system-web-v2", false), "");

    RunnerPair pair = run(booted, next);

    assertThat(pair.booted().switchable()).isTrue();
    assertThat(pair.next().switchable()).isFalse();
  }

  private static SwitchDecision.Result decide(RunnerPair pair) {
    return SwitchDecision.decide(pair.booted(), pair.next());
  }

  private Path system(String name, boolean switchable) throws IOException {
    Path system = Files.createDirectories(store.resolve(name).resolve("bin")).getParent();
    if (switchable) {
      executable(system.resolve("bin/switch-to-configuration"), "#!/bin/sh\n");
    }
    return system;
  }

  private Path runner(String name, Path system, String qemuArgs) throws IOException {
    Path runner = store.resolve(name);
    Files.createDirectories(runner.resolve("bin"));
    Files.createDirectories(runner.resolve("share/microvm"));
    executable(
        runner.resolve("bin/microvm-run"),
        "#!/bin/sh\n# it's \"quoted\" \\ $x\nexec qemu "
            + qemuArgs
            + " init="
            + system
            + "/init\n");
    Files.writeString(runner.resolve("share/microvm/empty"), "");
    Files.writeString(runner.resolve("share/microvm/hypervisor"), "qemu");
    Files.createSymbolicLink(runner.resolve("share/microvm/system"), system);
    return runner;
  }

  private static void executable(Path file, String content) throws IOException {
    Files.writeString(file, content);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private RunnerPair run(Path booted, Path next) throws Exception {
    String command =
        HostScripts.command(
            "runner-files", Map.of("booted", booted.toString(), "new", next.toString()));
    Process dash = new ProcessBuilder("dash", "-c", command).redirectErrorStream(true).start();
    dash.getOutputStream().close();
    String out = new String(dash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(dash.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(dash.exitValue()).as(out).isZero();
    return RunnerFilesParser.parse(out);
  }
}
