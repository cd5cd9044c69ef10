package io.microvmoperator.testenv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * shellcheck finds nothing in the shell scripts that run on hosts (the operator's host scripts), on
 * test hosts and guests (the test resources: stand-ins, runners, the guest's init, the benchmark's
 * scripts) nor in hack/ and src/main/cli (the kubectl plugin's launcher). Skipped when shellcheck
 * is not installed (hack/setup.sh installs it).
 */
class ShellScriptsTest {

  private static final Pattern SHELL =
      Pattern.compile("#!\\s*(/bin/sh|/bin/bash|/usr/bin/env (ba)?sh)\\b.*");

  @Test
  void shellcheckFindsNothing() throws IOException {
    assumeTrue(
        Commands.run(List.of("sh", "-c", "command -v shellcheck"), Map.of(), Duration.ofSeconds(10))
            .ok(),
        "shellcheck is not installed");
    List<String> scripts = new ArrayList<>();
    for (Path dir :
        List.of(
            Path.of("src/main/resources"),
            Path.of("src/main/cli"),
            Path.of("src/test/resources"),
            Path.of("hack"))) {
      try (Stream<Path> files = Files.walk(dir)) {
        files
            .filter(Files::isRegularFile)
            .filter(ShellScriptsTest::isShellScript)
            .sorted()
            .map(Path::toString)
            .forEach(scripts::add);
      }
    }
    assertThat(scripts)
        .contains(
            "src/test/resources/testenv/guest/init",
            "src/test/resources/testenv/guest/microvm-run",
            "src/test/resources/testenv/guest/microvm-shutdown",
            "src/test/resources/testenv/guest/switch-to-configuration",
            "src/test/resources/testenv/guest/virtiofsd-run",
            "src/test/resources/testenv/runner/microvm-run",
            "src/test/resources/testenv/systemctl",
            "src/main/resources/io/microvmoperator/host/scripts/converge.sh",
            "src/main/resources/io/microvmoperator/host/scripts/lib.sh",
            "src/test/resources/hostscripts/systemctl",
            "hack/guest-kit.sh",
            "hack/install-kubectl-microvm.sh",
            "src/main/cli/kubectl-microvm");

    List<String> argv = new ArrayList<>(List.of("shellcheck", "--format=gcc"));
    argv.addAll(scripts);
    ExecResult result = Commands.run(argv, Map.of(), Duration.ofMinutes(2));

    assertThat(result.stdout() + result.stderr()).as("shellcheck findings").isEmpty();
    assertThat(result.exitCode()).isZero();
  }

  private static boolean isShellScript(Path file) {
    if (file.toString().endsWith(".sh")) {
      return true;
    }
    try (var reader = Files.newBufferedReader(file)) {
      String first = reader.readLine();
      return first != null && SHELL.matcher(first).matches();
    } catch (IOException | java.io.UncheckedIOException e) {
      return false; // not text
    }
  }
}
