package io.microvmoperator.bench;

import io.microvmoperator.testenv.SystemctlCall;
import io.microvmoperator.testenv.TestHost;
import java.util.List;

/**
 * What one host's own logs say happened on it, at one moment: SSH commands (audit log), new SSH
 * connections (sshd log), Nix evaluations and builds among the commands, and VM (re)starts
 * (systemctl log). Subtract two snapshots to get what happened in between.
 */
record HostCounters(
    long commands, long probes, long connections, long nixEvaluations, long restarts) {

  static HostCounters of(TestHost host) {
    List<String> commands = host.logs().auditLog();
    return new HostCounters(
        commands.size(),
        commands.stream().filter(HostCounters::isProbe).count(),
        host.logs().acceptedConnections(),
        commands.stream().filter(HostCounters::evaluatesOrBuilds).count(),
        host.logs().systemctlLog().stream().filter(HostCounters::startsAVm).count());
  }

  static HostCounters sum(List<TestHost> hosts) {
    return hosts.stream()
        .map(HostCounters::of)
        .reduce(new HostCounters(0, 0, 0, 0, 0), HostCounters::plus);
  }

  HostCounters plus(HostCounters other) {
    return new HostCounters(
        commands + other.commands,
        probes + other.probes,
        connections + other.connections,
        nixEvaluations + other.nixEvaluations,
        restarts + other.restarts);
  }

  HostCounters minus(HostCounters earlier) {
    return new HostCounters(
        commands - earlier.commands,
        probes - earlier.probes,
        connections - earlier.connections,
        nixEvaluations - earlier.nixEvaluations,
        restarts - earlier.restarts);
  }

  /** The operator's drift check: the one command that reads every VM folder on the host. */
  static boolean isProbe(String command) {
    return command.contains("nix --version");
  }

  /** A command that evaluates a flake or builds (a store path copied in is neither). */
  static boolean evaluatesOrBuilds(String command) {
    return command.contains("nix build")
        || command.contains("nix eval")
        || command.contains("nix flake metadata")
        || command.contains("nix-build")
        || command.contains("nix-instantiate");
  }

  private static boolean startsAVm(SystemctlCall call) {
    return call.unit().startsWith("microvm@")
        && (call.verb().equals("start") || call.verb().equals("restart"));
  }
}
