package io.microvmoperator.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The build log patterns, run by {@code grep -E} as the host runs them. */
class HostProtocolTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "error: path '/nix/store/sg0hpd5chzc5g0yqlapcgk85ik4cxsd6-source' is not valid",
        "error: getting status of '/nix/store/sg0hpd5chzc5g0yqlapcgk85ik4cxsd6-source': No such"
            + " file or directory",
        "error: opening file '/nix/store/sg0hpd5chzc5g0yqlapcgk85ik4cxsd6-source/flake.nix': No"
            + " such file or directory"
      })
  void aSourceCollectedWhileNixReadItIsRecognised(String line) throws Exception {
    assertThat(grep(HostProtocol.COLLECTED_WHILE_READ, "building...\n" + line + "\n")).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "error: undefined variable 'pkgs'",
        "error: builder for '/nix/store/5k4j3h2g1f0d9s8a7p6o5i4u3y2t1r0e-microvm-web.drv' failed",
        "error: getting status of '/home/me/flake': No such file or directory",
        "note: path '/nix/store/sg0hpd5chzc5g0yqlapcgk85ik4cxsd6-source' is not valid"
      })
  void otherErrorsAreNot(String line) throws Exception {
    assertThat(grep(HostProtocol.COLLECTED_WHILE_READ, line + "\n")).isFalse();
  }

  private static boolean grep(String pattern, String input) throws Exception {
    Process grep = new ProcessBuilder("grep", "-qE", pattern).start();
    try (OutputStream in = grep.getOutputStream()) {
      in.write(input.getBytes(StandardCharsets.UTF_8));
    }
    assertThat(grep.waitFor(10, TimeUnit.SECONDS)).isTrue();
    return grep.exitValue() == 0;
  }
}
