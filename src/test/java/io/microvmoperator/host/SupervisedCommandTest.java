package io.microvmoperator.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The host-side supervisor of every remote command, run by real shells (dash is Debian's /bin/sh,
 * bash is NixOS's) with a pipe standing in for the SSH channel's input.
 */
class SupervisedCommandTest {

  @ParameterizedTest
  @ValueSource(strings = {"/bin/dash", "/bin/bash"})
  void passesInputOutputAndExitStatusThroughByteForByte(String shell) throws Exception {
    byte[] input = new byte[3 * 256];
    for (int i = 0; i < input.length; i++) {
      input[i] = (byte) i;
    }
    Process process =
        start(shell, SupervisedCommand.of("cat; exit 7", input, Duration.ofMinutes(1)));

    byte[] output = process.getInputStream().readAllBytes();

    assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(output).isEqualTo(input);
    assertThat(process.exitValue()).isEqualTo(7);
    process.getOutputStream().close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"/bin/dash", "/bin/bash"})
  void endOfInputKillsTheWholeProcessGroupEvenWhatIgnoresSignals(String shell) throws Exception {
    Process process =
        start(
            shell,
            SupervisedCommand.of(
                "trap '' TERM HUP INT; sleep 3611 & echo $!; sleep 3612; echo never",
                null,
                Duration.ofMinutes(1)));
    long child = Long.parseLong(firstLine(process));
    // The shell prints the child's pid before it forks the second sleep.
    List<ProcessHandle> tree = awaitTree(process, 4);

    process.getOutputStream().close();

    assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).isEqualTo(137);
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> tree.stream().noneMatch(SupervisedCommandTest::running));
    assertThat(ProcessHandle.of(child).filter(SupervisedCommandTest::running)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"/bin/dash", "/bin/bash"})
  void theHostEndsTheGroupAtItsOwnDeadlineWhenTheClientCannotTellIt(String shell) throws Exception {
    Process process =
        start(
            shell,
            SupervisedCommand.withHostDeadline(
                "trap '' TERM HUP INT; sleep 3614 & sleep 3615", null, Duration.ofSeconds(1)));
    List<ProcessHandle> tree = awaitTree(process, 4);

    assertThat(process.waitFor(10, TimeUnit.SECONDS)).as("input stays open").isTrue();
    assertThat(process.exitValue()).isEqualTo(137);
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> tree.stream().noneMatch(SupervisedCommandTest::running));
    process.getOutputStream().close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"/bin/dash", "/bin/bash"})
  void aFinishedCommandLeavesNothingBehindWhileTheChannelStaysOpen(String shell) throws Exception {
    Process process =
        start(shell, SupervisedCommand.of("sleep 0.5; echo done", null, Duration.ofMinutes(1)));
    List<ProcessHandle> tree = awaitTree(process, 3);

    assertThat(firstLine(process)).isEqualTo("done");
    assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();

    assertThat(process.exitValue()).isZero();
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> tree.stream().noneMatch(SupervisedCommandTest::running));
    process.getOutputStream().close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"/bin/dash", "/bin/bash"})
  void aDetachedSessionOutlivesItsCommandAsBuildsAndVMsMust(String shell) throws Exception {
    Process process =
        start(
            shell,
            SupervisedCommand.of(
                "setsid sleep 3616 </dev/null >/dev/null 2>&1 & echo $!; sleep 3617",
                null,
                Duration.ofMinutes(1)));
    long detached = Long.parseLong(firstLine(process));
    // $! is known before the child has run setsid; until then it is still in the group.
    await().atMost(Duration.ofSeconds(5)).until(() -> leadsItsOwnSession(detached));

    process.getOutputStream().close();
    assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();

    ProcessHandle survivor = ProcessHandle.of(detached).orElseThrow();
    try {
      assertThat(survivor.isAlive()).isTrue();
    } finally {
      survivor.destroyForcibly();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"/bin/dash", "/bin/bash"})
  void noInputMeansAnEmptyInputNotTheChannel(String shell) throws Exception {
    Process process = start(shell, SupervisedCommand.of("wc -c", null, Duration.ofMinutes(1)));

    assertThat(firstLine(process).strip()).isEqualTo("0");
    assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
    process.getOutputStream().close();
  }

  @org.junit.jupiter.api.Test
  void aTestHostsAuditLogShowsTheScriptInsideTheSupervisor() {
    for (String script :
        List.of("true", "d='/x'\nflock -w 60 9", "echo 'it'\\''s' \"$(id)\"\n", "''")) {
      String command = SupervisedCommand.of(script, "input".getBytes(), Duration.ofMinutes(1));
      assertThat(io.microvmoperator.testenv.HostLogs.supervisedScript(command)).isEqualTo(script);
    }
    assertThat(io.microvmoperator.testenv.HostLogs.supervisedScript("echo plain"))
        .isEqualTo("echo plain");
  }

  @ParameterizedTest
  @ValueSource(strings = {"/bin/dash", "/bin/bash"})
  void aScriptsTitleCommentComesFirstAndChangesNothing(String shell) throws Exception {
    String script = HostScripts.HEADER + "probe\necho ran";
    String command = SupervisedCommand.of(script, null, Duration.ofMinutes(1));
    assertThat(command).startsWith(HostScripts.HEADER + "probe\nt=");
    assertThat(io.microvmoperator.testenv.HostLogs.supervisedScript(command)).isEqualTo(script);

    Process process = start(shell, command);
    assertThat(firstLine(process)).isEqualTo("ran");
    assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).isZero();
    process.getOutputStream().close();

    assertThat(SupervisedCommand.of("# no newline", null, Duration.ofMinutes(1))).startsWith("t=");
  }

  @org.junit.jupiter.api.Test
  void refusesInputTooLargeForACommandLine() {
    assertThatThrownBy(
            () ->
                SupervisedCommand.of(
                    "cat", new byte[SupervisedCommand.MAX_INPUT_BYTES + 1], Duration.ofMinutes(1)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /** Alive and not a zombie (an orphan's exit is reaped by init, later). */
  private static boolean leadsItsOwnSession(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(fields[3]) == pid;
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean running(ProcessHandle process) {
    try {
      String stat = Files.readString(Path.of("/proc/" + process.pid() + "/stat"));
      return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
    } catch (IOException e) {
      return false;
    }
  }

  private static Process start(String shell, String commandLine) throws Exception {
    return new ProcessBuilder(shell, "-c", commandLine)
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
  }

  private static String firstLine(Process process) throws Exception {
    return new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))
        .readLine();
  }

  private static List<ProcessHandle> awaitTree(Process process, int size) {
    List<ProcessHandle> tree = new ArrayList<>();
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () -> {
              tree.clear();
              tree.addAll(process.descendants().toList());
              return tree.size() >= size;
            });
    return tree;
  }
}
