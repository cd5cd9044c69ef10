package io.microvmoperator.environment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.microvmoperator.host.CommandResult;
import io.microvmoperator.host.HostKeyRejectedException;
import io.microvmoperator.host.Shell;
import io.microvmoperator.host.SshConnection;
import io.microvmoperator.host.SshSettings;
import io.microvmoperator.host.SshTarget;
import io.microvmoperator.testenv.TestFlake;
import io.microvmoperator.testenv.TestHost;
import io.microvmoperator.testenv.TestHosts;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The operator's own SSH client (sshj) against real OpenSSH servers with real Nix stores. */
class SshHostIT {

  @RegisterExtension static TestHosts hosts = TestHosts.start(2);

  private static final TestFlake flake =
      TestFlake.create(hosts.root().resolve("flake")).runner("vm1", "v1");

  private final TestHost hostA = hosts.get(0);
  private final TestHost hostB = hosts.get(1);

  @Test
  void buildsAFlakeOnOneHostOverSshWithThePinnedHostKey() throws Exception {
    try (SshConnection ssh = connect(hostA, hostA.hostKeyLine())) {
      String out = "/var/lib/microvms/vm1/current";
      CommandResult build =
          ssh.run(
              "mkdir -p /var/lib/microvms/vm1 && nix build -o "
                  + Shell.quote(out)
                  + " "
                  + Shell.quote(flake.installable("vm1"))
                  + " && readlink "
                  + Shell.quote(out),
              null,
              Duration.ofMinutes(2));

      assertThat(build.exitStatus()).as(build.stderr()).isZero();
      String runner = build.stdout().strip();
      assertThat(runner).startsWith("/nix/store/").endsWith("-microvm-vm1-v1");
      assertThat(hostA.readlink(out)).contains(runner);
      assertThat(hostA.hasStorePath(runner)).isTrue();
      assertThat(hostB.hasStorePath(runner)).as("host B has its own store").isFalse();
      assertThat(hostB.readlink(out)).isEmpty();
      assertThat(ssh.hostKeyFingerprint()).startsWith("SHA256:");
    }
  }

  @Test
  void refusesAHostThatPresentsAnotherKeyAndRunsNothingOnIt() {
    hostA.logs().resetLogs();

    assertThatThrownBy(() -> connect(hostA, hostB.hostKeyLine()))
        .isInstanceOf(HostKeyRejectedException.class)
        .hasMessageContaining("not one of the pinned keys");
    assertThat(hostA.logs().auditLog()).isEmpty();
  }

  @Test
  void passesQuotedValuesThroughTheRemoteShellByteForByte() throws Exception {
    List<String> values =
        List.of("it's", "$(touch /tmp/pwned)", "`id`", "a b\tc", "line\nbreak", "\\", "ünï", "");
    try (SshConnection ssh = connect(hostA, hostA.hostKeyLine())) {
      for (String value : values) {
        CommandResult echoed =
            ssh.run("printf %s " + Shell.quote(value), null, Duration.ofSeconds(30));
        assertThat(echoed.stdout()).isEqualTo(value);
      }
      CommandResult stdin =
          ssh.run("cat", "data on stdin ' \" $x".getBytes(), Duration.ofSeconds(30));
      assertThat(stdin.stdout()).isEqualTo("data on stdin ' \" $x");
    }
  }

  @Test
  void endsACommandThatRunsPastItsDeadline() throws Exception {
    try (SshConnection ssh = connect(hostA, hostA.hostKeyLine())) {
      assertThatThrownBy(() -> ssh.run("sleep 600", null, Duration.ofSeconds(1)))
          .hasMessageContaining("did not finish within");
      assertThat(ssh.run("echo still usable").stdout()).isEqualTo("still usable\n");
    }
  }

  private static SshConnection connect(TestHost host, String pinnedKey) throws Exception {
    return SshConnection.open(
        new SshTarget(host.address(), host.port(), "root", List.of(pinnedKey)),
        host.clientPrivateKey(),
        SshSettings.defaults());
  }
}
