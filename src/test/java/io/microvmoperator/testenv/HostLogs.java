package io.microvmoperator.testenv;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What happened on a {@link TestHost}: the commands run over SSH (its audit wrapper's log), the
 * systemctl and nix-store calls, what sshd logged, what the VMs printed, what runs there now.
 */
public final class HostLogs {

  private final TestHost host;

  HostLogs(TestHost host) {
    this.host = host;
  }

  /**
   * The commands run over SSH, oldest first (an interactive login shows as ""). The operator's
   * commands arrive wrapped in its supervisor ({@code SupervisedCommand}); they are listed as the
   * script the supervisor ran.
   */
  public List<String> auditLog() {
    return auditEntries().stream().map(AuditEntry::command).toList();
  }

  /** The commands run over SSH with the time each started, oldest first. */
  public List<AuditEntry> auditEntries() {
    List<AuditEntry> entries = new ArrayList<>();
    for (String line : TestHost.readLines(host.dir().resolve("log/audit.log"))) {
      int tab = line.indexOf('\t');
      if (tab < 0) {
        continue; // the audit wrapper is writing this line right now
      }
      entries.add(
          new AuditEntry(
              Instant.parse(line.substring(0, tab)),
              supervisedScript(unescape(line.substring(tab + 1)))));
    }
    return entries;
  }

  /**
   * The script inside a supervised command (the script's title comment if it has one, {@code
   * t=SECONDS}, then {@code s='SCRIPT'}, then the supervisor), or the command itself when it is not
   * one.
   */
  public static String supervisedScript(String command) {
    int start = command.indexOf("\ns='");
    String afterTitle =
        command.startsWith("#") ? command.substring(command.indexOf('\n') + 1) : command;
    if (!afterTitle.startsWith("t=") || start < 0) {
      return command;
    }
    StringBuilder script = new StringBuilder();
    for (int i = start + 4; i < command.length(); ) {
      if (command.startsWith("'\\''", i)) {
        script.append('\'');
        i += 4;
      } else if (command.charAt(i) == '\'') {
        return script.toString();
      } else {
        script.append(command.charAt(i++));
      }
    }
    return command;
  }

  /** The systemctl calls, one per unit named, oldest first. */
  public List<SystemctlCall> systemctlLog() {
    return TestHost.readLines(host.dir().resolve("log/systemctl.log")).stream()
        .map(SystemctlCall::parse)
        .toList();
  }

  /**
   * How many SSH connections the host accepted (authenticated) since it was created: sshd logs one
   * "Accepted publickey" line per new connection at LogLevel VERBOSE, however many commands the
   * connection then runs.
   */
  public long acceptedConnections() {
    return TestHost.readLines(host.dir().resolve("log/sshd.log")).stream()
        .filter(line -> line.contains("Accepted publickey"))
        .count();
  }

  /**
   * How often microvm@VM was started or restarted with systemctl (its log since the last reset).
   */
  public long starts(String vmName) {
    return systemctlLog().stream()
        .filter(call -> call.unit().equals("microvm@" + vmName))
        .filter(call -> call.verb().equals("start") || call.verb().equals("restart"))
        .count();
  }

  /** What sshd logged (LogLevel VERBOSE: connections, accepted keys, refused sessions). */
  public String sshdLog() {
    try {
      return Files.readString(host.dir().resolve("log/sshd.log"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Channels sshd refused since {@code logMark} (a length of {@link #sshdLog()}): its "no more
   * sessions" lines, one per refused open when MaxSessions is reached.
   */
  public long refusedSessionsSince(int logMark) {
    return sshdLog().substring(logMark).lines().filter(l -> l.contains("no more sessions")).count();
  }

  /** The nix-store calls (the real ones, not this machine's), oldest first. */
  public List<NixStoreCall> nixStoreLog() {
    return TestHost.readLines(host.dir().resolve("log/nix-store.log")).stream()
        .map(NixStoreCall::parse)
        .toList();
  }

  public void resetLogs() {
    TestHost.write(host.dir().resolve("log/audit.log"), "");
    TestHost.write(host.dir().resolve("log/systemctl.log"), "");
    TestHost.write(host.dir().resolve("log/nix-store.log"), "");
  }

  /**
   * What microvm-run of VM {@code vmName} printed (its stdout and stderr): the journal of {@code
   * microvm@VM} inside the host, messages only.
   */
  public String vmOutput(String vmName) {
    ExecResult journal =
        host.exec("journalctl", "--no-pager", "-q", "-o", "cat", "-t", "microvm@" + vmName);
    return journal.ok() ? journal.stdout() : "";
  }

  /**
   * The command lines of the processes running on the host (in its mount namespaces), sshd and
   * zombies left out: what an administrator would see with {@code ps} there.
   */
  public List<String> runningCommands() {
    return ProcessHandle.allProcesses()
        .filter(process -> host.runsInside(process.pid()))
        .filter(process -> !isZombie(process.pid()))
        .map(process -> process.info().commandLine().orElse(""))
        .filter(line -> !line.startsWith("/usr/sbin/sshd") && !line.startsWith("sshd:"))
        .toList();
  }

  private static boolean isZombie(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      return stat.charAt(stat.lastIndexOf(')') + 2) == 'Z';
    } catch (IOException e) {
      return true;
    }
  }

  private static String unescape(String escaped) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < escaped.length(); i++) {
      char c = escaped.charAt(i);
      if (c == '\\' && i + 1 < escaped.length()) {
        char next = escaped.charAt(++i);
        out.append(next == 'n' ? '\n' : next == 'r' ? '\r' : next);
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }
}
