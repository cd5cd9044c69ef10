package io.microvmoperator.testenv;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** An ed25519 key pair made by ssh-keygen: the private key file and the public key line. */
public record SshKeyPair(Path privateKeyFile, String publicKeyLine) {

  /** Generates a pair into {@code privateKeyFile} and {@code privateKeyFile.pub}. */
  public static SshKeyPair generate(Path privateKeyFile, String comment) {
    Commands.run(
            "ssh-keygen",
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            comment,
            "-f",
            privateKeyFile.toString())
        .orThrow("ssh-keygen");
    try {
      String[] fields = Files.readString(Path.of(privateKeyFile + ".pub")).trim().split(" ");
      return new SshKeyPair(privateKeyFile, fields[0] + " " + fields[1]);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The private key in OpenSSH PEM form ({@code -----BEGIN OPENSSH PRIVATE KEY-----}). */
  public String privateKey() {
    try {
      return Files.readString(privateKeyFile);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
