package io.microvmoperator.testenv;

import java.time.Instant;
import java.util.List;

/**
 * One line of a test host's nix-store.log: when the call ended, the pid of the script that made it
 * (one converge, say), its exit code and its arguments.
 */
public record NixStoreCall(Instant time, long callerPid, int exitCode, List<String> args) {

  static NixStoreCall parse(String line) {
    String[] fields = line.split("\t", 4);
    return new NixStoreCall(
        Instant.parse(fields[0]),
        Long.parseLong(fields[1]),
        Integer.parseInt(fields[2]),
        List.of(fields[3].split(" ")));
  }

  /** The root this call registered ({@code --add-root ROOT}), or empty. */
  public String root() {
    int at = args.indexOf("--add-root");
    return at >= 0 && at + 1 < args.size() ? args.get(at + 1) : "";
  }
}
