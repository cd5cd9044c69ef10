package io.microvmoperator.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.microvmoperator.testenv.GuestSsh;
import io.microvmoperator.testenv.TestFlake;
import io.microvmoperator.testenv.TestHost;
import io.microvmoperator.testenv.TestHosts;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The operator reaches a guest through its host: a {@code direct-tcpip} channel of the host's own
 * SSH connection to the port the host forwards to the guest's sshd (a real guest with SSH under
 * qemu, {@link TestFlake#sshGuest}), with the guest's host key pinned. A guest that presents
 * another key is refused before any authentication (its sshd accepts no login), and a guest that
 * does not answer fails the login, not the host's connection.
 */
class ForwardedGuestConnectionIT {

  @RegisterExtension static TestHosts hosts = TestHosts.start(1);

  private static GuestSsh guest;

  @BeforeAll
  static void bootGuest() throws Exception {
    guest = GuestSsh.create(hosts.root().resolve("guest-keys"), "g");
    TestFlake flake = TestFlake.create(hosts.root().resolve("flake"));
    flake.sshGuest("g", "v1", guest.flakeOptions());
    guest.deploy(hosts.get(0), flake, "g");
  }

  @AfterAll
  static void stopAll() {
    hosts.close();
  }

  @Test
  void commandsRunInTheGuestThroughTheHostsConnection() throws Exception {
    TestHost host = hosts.get(0);
    long accepted = GuestSsh.acceptedLogins(host, "g");
    try (SshConnection hostConnection = host.connect();
        SshConnection guestConnection =
            hostConnection.openForwarded(target(guest.hostKey().publicKeyLine()), key())) {
      CommandResult hostname = guestConnection.run("cat /etc/hostname");
      assertThat(hostname.exitStatus()).isZero();
      assertThat(hostname.stdout()).isEqualTo("g\n");
      assertThat(guestConnection.hostKeyFingerprint()).startsWith("SHA256:");
      CommandResult withInput =
          guestConnection.run("cat", "from the operator".getBytes(), Duration.ofSeconds(30));
      assertThat(withInput.stdout()).isEqualTo("from the operator");
      assertThat(hostConnection.run("hostname").exitStatus())
          .as("the host's connection goes on")
          .isZero();
    }
    awaitAcceptedLogins(host, accepted + 1);
  }

  /** Waits until the guest's sshd has logged {@code count} accepted logins (its console output). */
  private static void awaitAcceptedLogins(TestHost host, long count) throws InterruptedException {
    long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (GuestSsh.acceptedLogins(host, "g") < count) {
      if (System.nanoTime() > end) {
        throw new AssertionError(
            "the guest's sshd logged no accepted login: " + host.logs().vmOutput("g"));
      }
      Thread.sleep(100);
    }
  }

  @Test
  void aGuestWithAnotherHostKeyIsRefusedBeforeAnyLogin() throws Exception {
    TestHost host = hosts.get(0);
    long accepted = GuestSsh.acceptedLogins(host, "g");
    String otherKey = host.hostKeyLine();
    try (SshConnection hostConnection = host.connect()) {
      assertThatThrownBy(() -> hostConnection.openForwarded(target(otherKey), key()))
          .isInstanceOf(HostKeyRejectedException.class);
      assertThat(hostConnection.run("true").exitStatus()).isZero();
    }
    assertThat(GuestSsh.acceptedLogins(host, "g"))
        .as("logins the guest accepted")
        .isEqualTo(accepted);
  }

  @Test
  void aPortNobodyListensOnFailsTheLoginOnly() throws Exception {
    TestHost host = hosts.get(0);
    try (SshConnection hostConnection = host.connect()) {
      SshTarget nobody =
          new SshTarget("127.0.0.1", 9, "root", List.of(guest.hostKey().publicKeyLine()));
      assertThatThrownBy(() -> hostConnection.openForwarded(nobody, key()))
          .isInstanceOf(java.io.IOException.class);
      assertThat(hostConnection.isOpen()).isTrue();
      assertThat(hostConnection.run("true").exitStatus()).isZero();
    }
  }

  private static SshTarget target(String pinnedKey) {
    return new SshTarget("127.0.0.1", guest.port(), "root", List.of(pinnedKey));
  }

  private static String key() {
    return guest.clientKey().privateKey();
  }
}
