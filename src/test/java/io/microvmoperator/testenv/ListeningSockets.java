package io.microvmoperator.testenv;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The TCP and UDP sockets that listen on this machine, with the processes that hold them, as {@code
 * ss -ltunpH} lists them; for checking that every server a test starts binds to loopback.
 */
public final class ListeningSockets {

  /** One listening socket: its local address and port, and a process that holds it. */
  public record Socket(String protocol, String address, int port, String process, long pid) {

    /** 127.0.0.0/8, ::1 or ::ffff:127.x: reachable from this machine only. */
    public boolean loopbackOnly() {
      String plain = address.replaceAll("^\\[|\\]$", "").replaceAll("%.*$", "");
      return plain.startsWith("127.") || plain.equals("::1") || plain.startsWith("::ffff:127.");
    }

    @Override
    public String toString() {
      return protocol + " " + address + ":" + port + " (" + process + ", pid " + pid + ")";
    }
  }

  private static final Pattern PROCESS = Pattern.compile("\\(\"([^\"]*)\",pid=(\\d+),fd=\\d+\\)");

  private ListeningSockets() {}

  /** Every listening socket held by this JVM or a process it started (its descendants). */
  public static List<Socket> ofThisRun() {
    Set<Long> ours =
        Stream.concat(Stream.of(ProcessHandle.current()), ProcessHandle.current().descendants())
            .map(ProcessHandle::pid)
            .collect(Collectors.toSet());
    return all().stream().filter(socket -> ours.contains(socket.pid())).toList();
  }

  /** Every listening socket on this machine that {@code ss} names a process for. */
  public static List<Socket> all() {
    ExecResult ss =
        Commands.run(List.of("ss", "-ltunpH"), Map.of(), Duration.ofSeconds(20)).orThrow("ss");
    List<Socket> sockets = new ArrayList<>();
    for (String line : ss.stdout().split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length < 7) {
        continue;
      }
      int colon = f[4].lastIndexOf(':');
      String address = f[4].substring(0, colon);
      int port = Integer.parseInt(f[4].substring(colon + 1));
      Matcher holder = PROCESS.matcher(line);
      while (holder.find()) {
        sockets.add(
            new Socket(f[0], address, port, holder.group(1), Long.parseLong(holder.group(2))));
      }
    }
    return sockets;
  }
}
