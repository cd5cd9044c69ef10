package io.microvmoperator.host;

import java.util.List;

/**
 * Where and as whom to log in, and the host keys the server must present (known_hosts key part:
 * {@code TYPE BASE64}).
 */
public record SshTarget(String address, int port, String user, List<String> pinnedHostKeys) {

  public SshTarget {
    pinnedHostKeys = List.copyOf(pinnedHostKeys);
  }

  @Override
  public String toString() {
    return user + "@" + address + ":" + port;
  }
}
