package io.microvmoperator.testenv;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The keys and port of a test guest with SSH ({@link TestFlake#sshGuest}) and an OpenSSH client for
 * it: the guest's host key is pinned (a known_hosts file with only that key, {@code
 * StrictHostKeyChecking=yes}); commands go to {@code 127.0.0.1:PORT}, the port the host forwards to
 * the guest (the test hosts share this machine's network namespace, so the host's loopback is this
 * machine's).
 */
public final class GuestSsh {

  private final SshKeyPair hostKey;
  private final SshKeyPair clientKey;
  private final int port;
  private final Path knownHosts;

  private GuestSsh(SshKeyPair hostKey, SshKeyPair clientKey, int port, Path knownHosts) {
    this.hostKey = hostKey;
    this.clientKey = clientKey;
    this.port = port;
    this.knownHosts = knownHosts;
  }

  /** New keys in {@code dir} and a free loopback port. */
  public static GuestSsh create(Path dir, String name) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return create(dir, name, SshKeyPair.generate(dir.resolve(name + "-client"), name + "-client"));
  }

  /**
   * A new host key in {@code dir}, a free loopback port, and {@code clientKey} authorised for root
   * (e.g. the test host's client key, which the operator logs in to guests with).
   */
  public static GuestSsh create(Path dir, String name, SshKeyPair clientKey) {
    try {
      Files.createDirectories(dir);
      SshKeyPair hostKey = SshKeyPair.generate(dir.resolve(name + "-host-key"), name + "-host");
      int port = freePort();
      Path knownHosts = dir.resolve(name + "-known-hosts");
      Files.writeString(knownHosts, "[127.0.0.1]:" + port + " " + hostKey.publicKeyLine() + "\n");
      return new GuestSsh(hostKey, clientKey, port, knownHosts);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** What TestFlake bakes into the guest's runner and system. */
  public TestFlake.GuestSsh flakeOptions() {
    return new TestFlake.GuestSsh(port, hostKey, clientKey.publicKeyLine());
  }

  public int port() {
    return port;
  }

  public SshKeyPair hostKey() {
    return hostKey;
  }

  public SshKeyPair clientKey() {
    return clientKey;
  }

  /** Runs {@code command} in the guest as root. */
  public ExecResult run(String command, Duration timeout) {
    return Commands.run(argv(command), Map.of(), timeout);
  }

  /** Runs {@code command} in the guest as root with its standard input read from {@code input}. */
  public ExecResult run(String command, Path input, Duration timeout) {
    List<String> argv =
        new ArrayList<>(List.of("/bin/sh", "-c", "exec \"$@\" <\"$0\"", input.toString()));
    argv.addAll(argv(command));
    return Commands.run(argv, Map.of(), timeout);
  }

  private List<String> argv(String command) {
    List<String> argv =
        new ArrayList<>(List.of("ssh", "-i", clientKey.privateKeyFile().toString()));
    argv.addAll(
        List.of(
            "-o",
            "UserKnownHostsFile=" + knownHosts,
            "-o",
            "GlobalKnownHostsFile=/dev/null",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            "ConnectTimeout=10",
            "-p",
            String.valueOf(port),
            "root@127.0.0.1",
            command));
    return argv;
  }

  public ExecResult run(String command) {
    return run(command, Duration.ofSeconds(60));
  }

  /** Waits (up to {@code deadline}) until a command over SSH succeeds: sshd answers. */
  public void awaitReachable(Duration deadline) throws InterruptedException {
    long end = System.nanoTime() + deadline.toNanos();
    ExecResult last = run("true", Duration.ofSeconds(30));
    while (!last.ok()) {
      if (System.nanoTime() > end) {
        throw new AssertionError(
            "the guest's sshd did not answer within " + deadline + ": " + last);
      }
      Thread.sleep(200);
      last = run("true", Duration.ofSeconds(30));
    }
  }

  /**
   * Builds {@code name}'s runner on {@code host} into its VM folder's {@code current} (the folder
   * as {@code microvm -c} makes it), starts {@code microvm@NAME} and waits until the guest answers
   * SSH; returns the runner's store path.
   */
  public String deploy(TestHost host, TestFlake flake, String name) throws InterruptedException {
    String folder = "/var/lib/microvms/" + name;
    String build =
        "install -d -g kvm -m 0775 "
            + folder
            + " && nix build -o "
            + folder
            + "/current "
            + Commands.shellQuote(flake.installable(name));
    host.ssh(build, Duration.ofMinutes(3)).orThrow("build " + name);
    host.ssh("systemctl start microvm@" + name).orThrow("start " + name);
    awaitReachable(Duration.ofSeconds(120));
    return host.readlink(folder + "/current").orElseThrow();
  }

  /** The guest's sshd lines in its console output: each login it accepted or refused. */
  public static long acceptedLogins(TestHost host, String name) {
    return host.logs().vmOutput(name).lines().filter(l -> l.contains("Accepted publickey")).count();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
