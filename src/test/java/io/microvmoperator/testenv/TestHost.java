package io.microvmoperator.testenv;

import io.microvmoperator.host.SshConnection;
import io.microvmoperator.host.SshSettings;
import io.microvmoperator.host.SshTarget;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A NixOS-like test host: real systemd as PID 1 of its own namespaces ({@link SystemdRoot}, started
 * by {@code testenv/host-init}) on a private overlay root where {@code /nix}, {@code
 * /var/lib/microvms}, {@code /etc/nix} and {@code /root} are folders of this host, so it has its
 * own Nix store; MicroVM.nix's {@code microvm@} and {@code microvm-set-booted@} units ({@code
 * testenv/units}); an sshd unit on its own loopback address. SSH commands run through an audit
 * wrapper (log/audit.log) with a thin {@code systemctl} wrapper first on PATH that logs each call
 * (log/systemctl.log) before it runs the host's real systemctl, and a nix-store that traces each
 * call (log/nix-store.log). Tests can hold a command at a {@link PausePoint}.
 *
 * <p>Folder layout: {@code nix/ microvms/ etc-nix/ home/ ssh/ bin/ log/ run/ cache/ units/ polkit/
 * root/} (root/: the mount point of the host's overlay, empty on this machine).
 */
public final class TestHost implements AutoCloseable {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(15);
  private static final String SSHD_UNIT = "testhost-sshd.service";
  private static final List<String> UNITS =
      List.of(
          "microvm@.service",
          "microvm-set-booted@.service",
          "microvm-virtiofsd@.service",
          "microvm-testhost.target",
          "testhost-sshd.service",
          "nix-daemon.service");

  private final String name;
  private final String address;
  private final Path dir;
  private final NixNamespace namespace;
  private final SshKeyPair hostKey;
  private final SshKeyPair clientKey;
  private int port;
  private int maxSessions = 10;
  // Read without the lock by exec (commands run concurrently, some for minutes).
  private volatile SystemdRoot root;
  private Path pidNamespace;
  private String loginUser = "root";
  private final HostLogs logs;
  private final HostFaults faults;

  private TestHost(String name, String address, Path dir) {
    this.name = name;
    this.address = address;
    this.dir = dir;
    this.namespace = NixNamespace.create(dir);
    try {
      for (String sub : List.of("ssh", "log", "run", "units", "polkit", "root")) {
        Files.createDirectories(dir.resolve(sub));
      }
      installScript("audit-shell");
      installScript("systemctl");
      installScript("nix-store");
      installScript("pause-point");
      installScript("microvm-list");
      installScript("host-init");
      for (String unit : UNITS) {
        copyResource("units/" + unit, dir.resolve("units").resolve(unit));
      }
      copyResource("polkit-50-microvm.rules", dir.resolve("polkit/50-microvm.rules"));
      for (String log :
          List.of("audit.log", "systemctl.log", "nix-store.log", "sshd.log", "host-init.log")) {
        Files.writeString(dir.resolve("log").resolve(log), "");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.hostKey = SshKeyPair.generate(dir.resolve("ssh/ssh_host_ed25519_key"), name + "-host");
    this.clientKey = SshKeyPair.generate(dir.resolve("ssh/client_ed25519"), "operator@" + name);
    write(dir.resolve("ssh/authorized_keys"), clientKey.publicKeyLine() + "\n");
    this.logs = new HostLogs(this);
    this.faults = new HostFaults(this, namespace);
  }

  /**
   * Authorises the operator's key with OpenSSH key options, e.g. {@code restrict,from="..."}, as
   * the docs recommend for a real host (sshd reads authorized_keys on every login).
   */
  public TestHost authorizeClientKeyWith(String options) {
    write(dir.resolve("ssh/authorized_keys"), options + " " + clientKey.publicKeyLine() + "\n");
    return this;
  }

  /** Prepares a host in {@code dir} (created if needed) that will listen on {@code address}. */
  public static TestHost create(String name, String address, Path dir) {
    return new TestHost(name, address, dir);
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  /**
   * Starts sshd (same port as before after a stop) and waits until it listens; boots the host's
   * systemd first when it does not run (the first start, or after {@link #close}).
   */
  public synchronized TestHost start() {
    try {
      if (port == 0) {
        port = freePort();
      }
      write(dir.resolve("ssh/sshd_config"), sshdConfig());
      Path log = dir.resolve("log/sshd.log");
      long logOffset = Files.size(log);
      if (root == null || !root.isAlive()) {
        writeSshdDropIn();
        root =
            SystemdRoot.boot(name, namespace.binDir().resolve("host-init"), dir, dir.getParent());
        pidNamespace = SystemdRoot.namespaceOf(root.pid1());
      } else if (isRunning()) {
        return this;
      } else {
        root.systemctl("start", SSHD_UNIT).orThrow(name + ": systemctl start " + SSHD_UNIT);
      }
      awaitListening(log, logOffset);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return this;
  }

  private void writeSshdDropIn() throws IOException {
    Path dropIn = dir.resolve("units/" + SSHD_UNIT + ".d");
    Files.createDirectories(dropIn);
    write(
        dropIn.resolve("host.conf"),
        String.join(
            "\n",
            "[Service]",
            "ExecStart=/usr/sbin/sshd -D -f "
                + dir.resolve("ssh/sshd_config")
                + " -E "
                + dir.resolve("log/sshd.log"),
            ""));
  }

  /**
   * Makes this host take the operator as the unprivileged {@code user} instead of root, set up as
   * docs/hosts.md says for MicroVM.nix's own {@code microvm} user: the host's nix-daemon unit owns
   * the store (as on NixOS), the user owns the state directory and MicroVM.nix's GC root folder
   * {@code /nix/var/nix/gcroots/microvm}, and the host's polkit rule (docs/hosts.md's, in every
   * host) lets it manage {@code microvm@} units. The user must exist on this machine ({@code
   * hack/setup.sh} makes {@code microvm}); this host's logs and run folder become its too, as its
   * commands write them.
   */
  public synchronized TestHost serveUnprivileged(String user) {
    try {
      Path nixState = dir.resolve("nix/var/nix");
      for (Path owned :
          List.of(
              nixState.resolve("gcroots/microvm"),
              nixState.resolve("gcroots/per-user").resolve(user),
              nixState.resolve("profiles/per-user").resolve(user))) {
        Files.createDirectories(owned);
      }
      // Inside the host, so that the user's group is the host's (kvm, as on NixOS).
      for (String owned :
          List.of(
              "/var/lib/microvms",
              dir.resolve("run").toString(),
              dir.resolve("log").toString(),
              dir.resolve("cache").toString(),
              "/nix/var/nix/gcroots/microvm",
              "/nix/var/nix/gcroots/per-user/" + user,
              "/nix/var/nix/profiles/per-user/" + user)) {
        exec("chown", "-R", user + ":", owned).orThrow("chown " + owned);
      }
      for (Path folder = dir; folder != null; folder = folder.getParent()) {
        Commands.run("chmod", "o+x", folder.toString()).orThrow("chmod o+x " + folder);
      }
      Path socket = nixState.resolve("daemon-socket/socket");
      Files.createDirectories(socket.getParent());
      root.systemctl("start", "nix-daemon.service").orThrow(name + ": start nix-daemon");
      Instant deadline = Instant.now().plus(START_TIMEOUT);
      while (!Files.exists(socket)) {
        if (Instant.now().isAfter(deadline)) {
          throw new IllegalStateException(
              name
                  + ": nix-daemon did not start:\n"
                  + exec("journalctl", "--no-pager", "-u", "nix-daemon").stdout());
        }
        Sleep.millis(20);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    loginUser = user;
    return this;
  }

  /** The user the operator logs in as: root, or the one {@link #serveUnprivileged} set up. */
  public String loginUser() {
    return loginUser;
  }

  /**
   * Stops the sshd unit only (its listener: {@code KillMode=process}); sessions in progress and the
   * VMs keep running, and so does the host's systemd.
   */
  public synchronized void stop() {
    if (root == null || !root.isAlive()) {
      return;
    }
    root.systemctl("stop", SSHD_UNIT).orThrow(name + ": systemctl stop " + SSHD_UNIT);
  }

  public TestHost restart() {
    stop();
    return start();
  }

  /** Whether the host's sshd unit is active (its systemd runs and sshd listens). */
  public synchronized boolean isRunning() {
    return root != null && root.isAlive() && root.systemctl("is-active", "-q", SSHD_UNIT).ok();
  }

  /** The listening sshd's pid (this machine's view), when it runs. */
  public synchronized OptionalLong sshdPid() {
    if (root == null || !root.isAlive()) {
      return OptionalLong.empty();
    }
    return root.outerPid(mainPid(SSHD_UNIT));
  }

  /**
   * The host's cgroup (v2) as this machine sees it: its systemd's tree (init.scope, system.slice
   * with sshd's and the VMs' units), whose {@code cpu.stat} counts every process of the host.
   */
  public synchronized Optional<Path> cgroup() {
    return root == null || !root.isAlive() ? Optional.empty() : Optional.of(root.cgroup());
  }

  /** The MainPID that the host's systemd reports for {@code unit} (its own view), or 0. */
  public long mainPid(String unit) {
    ExecResult show = root.systemctl("show", "-p", "MainPID", "--value", unit);
    try {
      return show.ok() ? Long.parseLong(show.stdout().trim()) : 0;
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /**
   * This machine's pid of the host's process {@code pidInsideHost} (a MainPID that systemctl shows
   * inside the host), if it runs.
   */
  public OptionalLong outerPid(long pidInsideHost) {
    return root == null ? OptionalLong.empty() : root.outerPid(pidInsideHost);
  }

  /** The host's PID 1 (its systemd) as this machine sees it, while it runs. */
  public OptionalLong pid1() {
    return root != null && root.isAlive() ? OptionalLong.of(root.pid1()) : OptionalLong.empty();
  }

  /** The host's launcher ({@code unshare}, PID 1's parent) as this machine sees it. */
  public OptionalLong launcherPid() {
    return root != null && root.isAlive()
        ? OptionalLong.of(root.launcherPid())
        : OptionalLong.empty();
  }

  /**
   * Kills the host's PID 1 with SIGKILL, as a crash would: every process of the host ends at once,
   * no unit stops. {@link #start()} boots it afresh.
   */
  public synchronized void crash() {
    if (root != null) {
      root.kill();
    }
  }

  /** Takes effect at the next start/restart. */
  public TestHost setMaxSessions(int maxSessions) {
    this.maxSessions = maxSessions;
    return this;
  }

  /**
   * Halts the host's systemd (every unit stops, guests shut down gracefully), kills what is left of
   * its PID namespace and removes its cgroup.
   */
  @Override
  public synchronized void close() {
    if (root != null) {
      root.halt();
    }
  }

  /**
   * Whether a process runs on this host: in its PID namespace. The kernel reuses the number of a
   * namespace that ended, so the process must also see this host's store mounted over /nix: the
   * number alone could name another run's host on this machine.
   */
  boolean runsInside(long pid) {
    if (pidNamespace == null || !pidNamespace.equals(SystemdRoot.namespaceOf(pid))) {
      return false;
    }
    try {
      return Files.readString(Path.of("/proc/" + pid + "/mountinfo"))
          .contains(" " + dir.resolve("nix") + " /nix ");
    } catch (IOException e) {
      return false;
    }
  }

  // ---- how to reach it ------------------------------------------------------------------------

  public String name() {
    return name;
  }

  public String address() {
    return address;
  }

  public int port() {
    return port;
  }

  /** The pinned host key, {@code ssh-ed25519 AAAA...} (no comment). */
  public String hostKeyLine() {
    return hostKey.publicKeyLine();
  }

  /** The known_hosts line for this host: {@code [ADDRESS]:PORT ssh-ed25519 AAAA...}. */
  public String knownHostsLine() {
    return "[" + address + "]:" + port + " " + hostKey.publicKeyLine();
  }

  /** A known_hosts file that holds only this host's key. */
  public Path knownHostsFile() {
    Path file = dir.resolve("ssh/known_hosts");
    write(file, knownHostsLine() + "\n");
    return file;
  }

  /** The private key authorised for root, OpenSSH PEM text. */
  public String clientPrivateKey() {
    return clientKey.privateKey();
  }

  public Path clientPrivateKeyFile() {
    return clientKey.privateKeyFile();
  }

  /** {@code ssh://root@ADDRESS}, for {@code nix copy --to}; pair it with {@link #sshOptions}. */
  public String sshStoreUrl() {
    return "ssh://root@" + address;
  }

  /** ssh options (for NIX_SSHOPTS) that reach this host as root with the pinned host key. */
  public String sshOptions() {
    return String.join(" ", sshOptionList());
  }

  /** Runs {@code command} on the host over SSH with the system ssh client (audited). */
  public ExecResult ssh(String command) {
    return ssh(command, Commands.DEFAULT_TIMEOUT);
  }

  public ExecResult ssh(String command, Duration timeout) {
    List<String> argv = new ArrayList<>(List.of("ssh"));
    argv.addAll(sshOptionList());
    argv.add("root@" + address);
    argv.add(command);
    return Commands.run(argv, Map.of(), timeout);
  }

  private List<String> sshOptionList() {
    return List.of(
        "-F", "/dev/null",
        "-p", String.valueOf(port),
        "-i", clientKey.privateKeyFile().toString(),
        "-o", "IdentitiesOnly=yes",
        "-o", "BatchMode=yes",
        "-o", "UserKnownHostsFile=" + knownHostsFile(),
        "-o", "GlobalKnownHostsFile=/dev/null",
        "-o", "StrictHostKeyChecking=yes",
        "-o", "LogLevel=ERROR");
  }

  /** An SSH connection to this host as root, with its own host key pinned and its client key. */
  public SshConnection connect() throws IOException {
    return SshConnection.open(
        new SshTarget(address, port, "root", List.of(hostKeyLine())),
        clientPrivateKey(),
        SshSettings.defaults());
  }

  /** Replaces the keys authorised for root with these public key lines. */
  public void authorizeKeys(List<String> publicKeyLines) {
    write(
        dir.resolve("ssh/authorized_keys"),
        publicKeyLines.stream().map(line -> line + "\n").reduce("", String::concat));
  }

  /** The public key line of the client key this host was created with. */
  public String clientPublicKeyLine() {
    return clientKey.publicKeyLine();
  }

  // ---- what happened on it, and faults ------------------------------------------------------

  /** What happened on this host: the commands, systemctl and nix-store calls, sshd's log. */
  public HostLogs logs() {
    return logs;
  }

  /** Faults to inject: going down, cut connections, commands held at a pause point. */
  public HostFaults faults() {
    return faults;
  }

  // ---- its files ------------------------------------------------------------------------------

  /** This host's folder on the real file system. */
  public Path dir() {
    return dir;
  }

  /** The real folder that the host sees as /var/lib/microvms. */
  public Path stateDir() {
    return dir.resolve("microvms");
  }

  /** Maps a path as the host sees it (/nix/..., /var/lib/microvms/..., /etc/nix/...). */
  public Path realPath(String pathAsHostSeesIt) {
    return namespace.realPath(pathAsHostSeesIt);
  }

  /** The target of a symlink as the host sees it, or empty when it is not a symlink. */
  public Optional<String> readlink(String pathAsHostSeesIt) {
    Path real = realPath(pathAsHostSeesIt);
    try {
      return Files.isSymbolicLink(real)
          ? Optional.of(Files.readSymbolicLink(real).toString())
          : Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Whether {@code storePath} is a valid path in this host's Nix store. */
  public boolean hasStorePath(String storePath) {
    return exec("nix-store", "--check-validity", storePath).ok();
  }

  // ---- local commands (not over SSH, not audited) ---------------------------------------------

  /**
   * Runs argv locally inside this host (nsenter into its systemd's namespaces and root, with the
   * test wrappers first on PATH); works while sshd is stopped, not after {@link #close}.
   */
  public ExecResult exec(String... argv) {
    return exec(Commands.DEFAULT_TIMEOUT, List.of(argv));
  }

  public ExecResult exec(Duration timeout, List<String> argv) {
    SystemdRoot running = root;
    if (running == null || !running.isAlive()) {
      throw new IllegalStateException(name + " is not running");
    }
    return Commands.run(running.enter(argv), namespace.environment(), timeout);
  }

  /** Runs a /bin/sh script locally inside this host. */
  public ExecResult shell(String script) {
    return exec("/bin/sh", "-c", script);
  }

  @Override
  public String toString() {
    return name + "(" + address + ":" + port + ")";
  }

  // ---- internals ------------------------------------------------------------------------------

  private String sshdConfig() {
    return String.join(
        "\n",
        "ListenAddress " + address + ":" + port,
        "HostKey " + hostKey.privateKeyFile(),
        "AuthorizedKeysFile " + dir.resolve("ssh/authorized_keys"),
        "PidFile none",
        "UsePAM no",
        "StrictModes no",
        "PermitRootLogin prohibit-password",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UseDNS no",
        "PrintMotd no",
        "LogLevel VERBOSE",
        "MaxSessions " + maxSessions,
        "SetEnv PATH=" + namespace.environment().get("PATH"),
        "ForceCommand " + namespace.binDir().resolve("audit-shell"),
        "");
  }

  private void awaitListening(Path log, long offset) throws IOException {
    Instant deadline = Instant.now().plus(START_TIMEOUT);
    while (Instant.now().isBefore(deadline)) {
      String text = Files.readString(log);
      String fresh = text.substring((int) Math.min(offset, text.length()));
      if (fresh.contains("Server listening on")) {
        return;
      }
      if (!root.isAlive()) {
        throw new IllegalStateException(name + ": the host's systemd ended:\n" + fresh);
      }
      Sleep.millis(50);
    }
    throw new IllegalStateException(
        name
            + ": sshd did not start within "
            + START_TIMEOUT
            + ":\n"
            + root.systemctl("status", "--no-pager", SSHD_UNIT).stdout());
  }

  private int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(InetAddress.getByName(address), 0));
      return socket.getLocalPort();
    }
  }

  /**
   * Until closed, {@code microvm@} units on this host restart after {@code restartSec} instead of
   * MicroVM.nix's 5 s (a runtime drop-in and a daemon-reload): a runner that ends is run again
   * sooner. Restart=always itself is MicroVM.nix's and always on.
   */
  public AutoCloseable restartAlways(Duration restartSec) {
    return dropIn("restart-sec.conf", "[Service]\nRestartSec=" + restartSec.toMillis() + "ms\n");
  }

  /**
   * Until closed, {@code microvm@} units are {@code Type=notify} ({@code useNotifySockets} in
   * MicroVM.nix): start and restart return once the runner reported ready.
   */
  public AutoCloseable useNotifySockets() {
    return dropIn("notify.conf", "[Service]\nType=notify\nNotifyAccess=all\n");
  }

  /**
   * Until closed, {@code microvm@} units give a start {@code timeout} instead of MicroVM.nix's
   * {@code TimeoutSec=150} ({@code microvm.host.startupTimeout}): a notify guest that does not
   * become ready fails sooner.
   */
  public AutoCloseable startTimeout(Duration timeout) {
    return dropIn(
        "start-timeout.conf", "[Service]\nTimeoutStartSec=" + timeout.toSeconds() + "s\n");
  }

  /**
   * Until closed, {@code microvm-set-booted@} takes {@code delay} longer to start, as the units
   * MicroVM.nix starts before {@code microvm@} (its virtiofsd, tap and PCI helpers) can on a real
   * host: a restart of {@code microvm@} stops it, then waits that long, inactive with its start
   * queued.
   */
  public AutoCloseable slowVmHelpers(Duration delay) {
    return dropIn(
        "microvm-set-booted@.service",
        "slow-start.conf",
        "[Service]\nExecStartPre=/bin/sleep " + delay.toMillis() / 1000.0 + "\n");
  }

  private AutoCloseable dropIn(String fileName, String text) {
    return dropIn("microvm@.service", fileName, text);
  }

  private AutoCloseable dropIn(String unit, String fileName, String text) {
    String folder = "/run/systemd/system/" + unit + ".d";
    String file = folder + "/" + fileName;
    shell(
            "mkdir -p "
                + folder
                + " && printf '%s' "
                + Commands.shellQuote(text)
                + " >"
                + file
                + " && /bin/systemctl daemon-reload")
        .orThrow(name + ": drop-in " + file);
    return () -> {
      if (root != null && root.isAlive()) {
        shell("rm -f " + file + " && /bin/systemctl daemon-reload").orThrow("remove " + file);
      }
    };
  }

  private void installScript(String script) throws IOException {
    Path target = namespace.binDir().resolve(script);
    copyResource(script, target);
    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private static void copyResource(String resource, Path target) throws IOException {
    try (InputStream in = TestHost.class.getResourceAsStream("/testenv/" + resource)) {
      if (in == null) {
        throw new IllegalStateException("missing resource /testenv/" + resource);
      }
      Files.write(target, in.readAllBytes());
    }
  }

  static List<String> readLines(Path file) {
    try {
      return Files.readAllLines(file, StandardCharsets.UTF_8).stream()
          .filter(line -> !line.isEmpty())
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void delete(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void write(Path file, String text) {
    try {
      Files.writeString(file, text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
