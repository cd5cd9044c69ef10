package io.microvmoperator.bench;

import io.microvmoperator.testenv.Sleep;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * CPU time spent by a group of processes and all their descendants (a cgroup v1 cpuacct group): the
 * test hosts' sshd with every session and command, the operator, the API server. On this machine
 * every host shares the same two cores, so CPU time per VM is what decides throughput. Absent
 * (empty) where cgroups cannot be written.
 */
final class CpuMeter implements AutoCloseable {

  private static final Path CPUACCT = Path.of("/sys/fs/cgroup/cpuacct");

  private final Path group;

  private CpuMeter(Path group) {
    this.group = group;
  }

  static Optional<CpuMeter> create(String name) {
    Path group = CPUACCT.resolve("microvm-bench-" + ProcessHandle.current().pid() + "-" + name);
    try {
      Files.createDirectories(group);
      return Optional.of(new CpuMeter(group));
    } catch (IOException | SecurityException e) {
      return Optional.empty();
    }
  }

  /** Moves {@code pid} (and so every process it starts from now on) into the group. */
  CpuMeter add(long pid) {
    try {
      Files.writeString(group.resolve("cgroup.procs"), String.valueOf(pid));
    } catch (IOException e) {
      // the process ended already; nothing to count
    }
    return this;
  }

  /** The file a process writes its pid to in order to join the group. */
  String procsFile() {
    return group.resolve("cgroup.procs").toString();
  }

  /** CPU seconds used by the group's processes so far (ended ones included). */
  double seconds() {
    try {
      return Long.parseLong(Files.readString(group.resolve("cpuacct.usage")).trim()) / 1e9;
    } catch (IOException e) {
      return Double.NaN;
    }
  }

  /** Removes the group once its processes have ended (the fleets and the operator are closed). */
  @Override
  public void close() {
    for (int i = 0; i < 50; i++) {
      try {
        Files.deleteIfExists(group);
        return;
      } catch (IOException stillInUse) {
        Sleep.millis(100);
      }
    }
  }
}
