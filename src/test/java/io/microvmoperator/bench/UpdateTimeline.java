package io.microvmoperator.bench;

import io.microvmoperator.testenv.AuditEntry;
import io.microvmoperator.testenv.SystemctlCall;
import io.microvmoperator.testenv.TestHost;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Where the time of one update went, from the host's own records: the first command for the VM
 * (audit log), the build job's start and end (its pid and status files), the converge command
 * (audit log) and the last thing it did, reading the unit (systemctl log), then Ready as the API
 * server's watch delivered it. All clocks are this machine's.
 *
 * @param reaction from the apply to the first command on the host (watch, reconcile, SSH)
 * @param build the host's own nix build
 * @param notice from the build's end to the converge command (the wait's end, one round trip)
 * @param deploy the converge on the host (swap the links, write flake, restart, read back)
 * @param report from the converge's end to Ready seen (status write, watch)
 */
record UpdateTimeline(
    Duration reaction, Duration build, Duration notice, Duration deploy, Duration report) {

  static UpdateTimeline read(TestHost host, String vm, Instant appliedAt, Instant readySeenAt)
      throws IOException {
    List<AuditEntry> commands =
        host.logs().auditEntries().stream()
            .filter(e -> e.time().isAfter(appliedAt.minusMillis(1)))
            .filter(e -> e.command().contains("/" + vm + "/") || e.command().contains("@" + vm))
            .toList();
    Instant firstCommand = commands.get(0).time();
    Instant converge =
        commands.stream()
            .filter(e -> e.command().contains("unit='microvm@" + vm))
            .reduce((a, b) -> b)
            .orElseThrow()
            .time();
    // The converge's last step reads the unit back (systemctl show): its first show after the
    // restart (an earlier show reads the unit's state before it).
    List<SystemctlCall> calls =
        host.logs().systemctlLog().stream()
            .filter(c -> c.unit().equals("microvm@" + vm) && c.time().isAfter(converge))
            .toList();
    Instant restart =
        calls.stream()
            .filter(c -> c.verb().equals("restart") || c.verb().equals("start"))
            .map(SystemctlCall::time)
            .findFirst()
            .orElse(converge);
    Instant convergeEnd =
        calls.stream()
            .filter(c -> c.verb().equals("show") && !c.time().isBefore(restart))
            .map(SystemctlCall::time)
            .findFirst()
            .orElse(converge);
    Path job = buildJob(host, vm);
    Instant buildStart = Files.getLastModifiedTime(job.resolve("pid")).toInstant();
    Instant buildEnd = Files.getLastModifiedTime(job.resolve("status")).toInstant();
    return new UpdateTimeline(
        Duration.between(appliedAt, firstCommand),
        Duration.between(buildStart, buildEnd),
        Duration.between(buildEnd, converge),
        Duration.between(converge, convergeEnd),
        Duration.between(convergeEnd, readySeenAt));
  }

  private static Path buildJob(TestHost host, String vm) throws IOException {
    String current = host.readlink("/var/lib/microvms/" + vm + "/current").orElseThrow();
    try (Stream<Path> dirs = Files.list(host.realPath("/var/lib/microvms/" + vm + "/.operator"))) {
      return dirs.filter(d -> d.getFileName().toString().startsWith("build-"))
          .filter(d -> current.equals(readlink(d.resolve("result"))))
          .findFirst()
          .orElseThrow();
    }
  }

  private static String readlink(Path link) {
    try {
      return Files.readSymbolicLink(link).toString();
    } catch (IOException e) {
      return null;
    }
  }

  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "apply to first command %d ms, build %d ms, build end to converge %d ms, converge on the"
            + " host %d ms, converge end to Ready seen %d ms",
        reaction.toMillis(),
        build.toMillis(),
        notice.toMillis(),
        deploy.toMillis(),
        report.toMillis());
  }
}
