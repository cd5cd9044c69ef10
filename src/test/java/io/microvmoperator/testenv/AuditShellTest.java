package io.microvmoperator.testenv;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The test hosts' audit wrapper ({@code testenv/audit-shell}) keeps one whole record per command
 * when long commands arrive at once, as the operator's batch commands (the scripts and their input,
 * tens of KB) do beside drift checks: bash writes such a record in several writes, which another
 * record must not split. Without the wrapper's lock, a round of 64 such commands started together
 * split a record about every other round on this machine, so ten rounds show it.
 */
class AuditShellTest {

  private static final int ROUNDS = 20;
  private static final int COMMANDS = 64;
  private static final int LENGTH = 30_000;

  @TempDir Path host;

  @Test
  void longCommandsAtOnceLeaveOneWholeRecordEach() throws Exception {
    Path wrapper = Files.createDirectories(host.resolve("bin")).resolve("audit-shell");
    try (InputStream in = getClass().getResourceAsStream("/testenv/audit-shell")) {
      Files.write(wrapper, in.readAllBytes());
    }
    Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path log = Files.createDirectories(host.resolve("log")).resolve("audit.log");
    String body = "x".repeat(LENGTH);
    String together =
        "for i in $(seq 1 "
            + COMMANDS
            + "); do SSH_ORIGINAL_COMMAND=\": $i $BODY\" \"$WRAPPER\" > /dev/null & done; wait";

    for (int round = 0; round < ROUNDS; round++) {
      Files.writeString(log, "");
      Commands.run(
              List.of("bash", "-c", together),
              Map.of("BODY", body, "WRAPPER", wrapper.toString()),
              Duration.ofMinutes(2))
          .orThrow("the commands");
      List<String> records = Files.readAllLines(log);
      assertThat(records).as("round %d: records", round).hasSize(COMMANDS);
      for (String record : records) {
        String command = record.substring(record.indexOf('\t') + 1);
        assertThat(command.indexOf('\t'))
            .as("round %d: a record inside another", round)
            .isNegative();
        assertThat(command)
            .as("round %d: a whole command", round)
            .startsWith(": ")
            .hasSize(LENGTH + command.indexOf(" x") + 1);
      }
    }
  }
}
