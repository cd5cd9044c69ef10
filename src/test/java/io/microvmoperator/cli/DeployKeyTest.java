package io.microvmoperator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.microvmoperator.testenv.Commands;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import net.schmizz.sshj.SSHClient;
import net.schmizz.sshj.userauth.keyprovider.KeyProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The deploy key {@code host add} makes is read by sshj (the operator) and by OpenSSH alike. */
class DeployKeyTest {

  @Test
  void sshjAndSshKeygenReadThePrivateKeyAndDeriveThePrintedPublicKey(@TempDir Path dir)
      throws Exception {
    DeployKey key = DeployKey.generate("microvm-operator@h1");
    assertThat(key.publicKeyLine()).startsWith("ssh-ed25519 ").endsWith(" microvm-operator@h1");

    // As the operator reads the Secret (SshConnection.readKey).
    KeyProvider sshj;
    try (SSHClient client = new SSHClient()) {
      sshj = client.loadKeys(key.privateKeyOpenSsh(), null, null);
    }
    assertThat(HostKeyScan.describe(sshj.getPublic()).line())
        .isEqualTo(key.publicKeyLine().substring(0, key.publicKeyLine().lastIndexOf(' ')));

    Path file = dir.resolve("id_ed25519");
    Files.writeString(file, key.privateKeyOpenSsh());
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    String derived =
        Commands.run("ssh-keygen", "-y", "-f", file.toString()).orThrow("ssh-keygen").stdout();
    assertThat(derived.trim()).isEqualTo(key.publicKeyLine());
  }

  @Test
  void aGivenHostKeyGetsOpenSshsFingerprint(@TempDir Path dir) {
    DeployKey key = DeployKey.generate("c");
    Path pub = dir.resolve("k.pub");
    Commands.run(
        "sh", "-c", "printf '%s\\n' " + Commands.shellQuote(key.publicKeyLine()) + " > " + pub);
    String keygen =
        Commands.run("ssh-keygen", "-lf", pub.toString()).orThrow("ssh-keygen").stdout();
    String fingerprint = HostKeyScan.given(key.publicKeyLine()).fingerprint();
    assertThat(keygen).contains(fingerprint);
  }
}
