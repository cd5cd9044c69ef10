package io.microvmoperator.host;

import java.util.List;

/**
 * Where and as whom to log in, and the host keys the server must present (known_hosts key part:
 * {@code TYPE BASE64}). With no pinned key and {@code trustOnFirstUse}, any key is accepted and
 * reported, for the caller to pin from then on.
 */
public record SshTarget(
    String address, int port, String user, List<String> pinnedHostKeys, boolean trustOnFirstUse) {

  public SshTarget {
    pinnedHostKeys = List.copyOf(pinnedHostKeys);
  }

  public SshTarget(String address, int port, String user, List<String> pinnedHostKeys) {
    this(address, port, user, pinnedHostKeys, false);
  }

  @Override
  public String toString() {
    return user + "@" + address + ":" + port;
  }
}
