package io.microvmoperator.bench;

import io.microvmoperator.testenv.TestHost;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The hosts' CPU time split by what spent it, from each host's own cgroup (v2) tree, which its
 * systemd keeps: every process of the host, systemd included. Operator commands run in a cgroup per
 * host script below sshd's unit ({@code cmd-NAME}, placed by the test hosts' audit wrapper from the
 * command's first line), so a detached build job counts for the script that started it. Parts, in
 * CPU seconds summed over the hosts:
 *
 * <ul>
 *   <li>{@code cmd-NAME}: the operator's host script NAME and all it started;
 *   <li>{@code sshd and other commands}: sshd, the wrapper, commands that name no script;
 *   <li>{@code VMs}: the VMs' units (system-microvm.slice: the runners);
 *   <li>{@code systemd and the rest}: PID 1, journald, MicroVM.nix's helper units, the rest.
 * </ul>
 */
final class HostCpuSplit {

  static final String ALL = "all of the host";
  static final String SSHD_OTHER = "sshd and other commands";
  static final String VMS = "VMs";
  static final String SYSTEMD = "systemd and the rest";

  private static final Path SSHD = Path.of("system.slice", "testhost-sshd.service");
  private static final Path MICROVMS = Path.of("system.slice", "system-microvm.slice");

  private HostCpuSplit() {}

  /** CPU seconds so far by part, summed over {@code hosts}. */
  static Map<String, Double> read(List<TestHost> hosts) {
    Map<String, Double> parts = new TreeMap<>();
    for (TestHost host : hosts) {
      host.cgroup().ifPresent(root -> add(parts, root));
    }
    return parts;
  }

  /** {@code after} minus {@code before}, part by part. */
  static Map<String, Double> since(Map<String, Double> before, Map<String, Double> after) {
    Map<String, Double> spent = new TreeMap<>();
    after.forEach((part, seconds) -> spent.put(part, seconds - before.getOrDefault(part, 0.0)));
    return spent;
  }

  /** Each part per VM, the largest first, e.g. {@code cmd-converge 0.061, VMs 0.020, ...}. */
  static String perVm(Map<String, Double> spent, int vms) {
    return spent.entrySet().stream()
        .filter(e -> !e.getKey().equals(ALL))
        .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
        .map(e -> String.format(Locale.ROOT, "%s %.3f", e.getKey(), e.getValue() / vms))
        .collect(Collectors.joining(", "));
  }

  private static void add(Map<String, Double> parts, Path root) {
    double all = seconds(root);
    double sshd = seconds(root.resolve(SSHD));
    double vms = seconds(root.resolve(MICROVMS));
    double commands = 0;
    try (Stream<Path> children = Files.list(root.resolve(SSHD))) {
      for (Path child : children.filter(HostCpuSplit::isCommandGroup).toList()) {
        double spent = seconds(child);
        parts.merge(child.getFileName().toString(), spent, Double::sum);
        commands += spent;
      }
    } catch (IOException e) {
      // sshd's unit has no cgroup (not started yet): nothing of it to count
    }
    parts.merge(ALL, all, Double::sum);
    parts.merge(SSHD_OTHER, sshd - commands, Double::sum);
    parts.merge(VMS, vms, Double::sum);
    parts.merge(SYSTEMD, all - sshd - vms, Double::sum);
  }

  private static boolean isCommandGroup(Path path) {
    return Files.isDirectory(path) && path.getFileName().toString().startsWith("cmd-");
  }

  /**
   * The group's {@code usage_usec} (its processes and its child groups'), in seconds; 0 if none.
   */
  private static double seconds(Path group) {
    try {
      return Files.readAllLines(group.resolve("cpu.stat")).stream()
              .filter(line -> line.startsWith("usage_usec "))
              .mapToLong(line -> Long.parseLong(line.substring("usage_usec ".length()).trim()))
              .findFirst()
              .orElse(0)
          / 1e6;
    } catch (IOException e) {
      return 0;
    }
  }
}
