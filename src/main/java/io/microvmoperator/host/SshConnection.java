package io.microvmoperator.host;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import net.schmizz.keepalive.KeepAliveProvider;
import net.schmizz.keepalive.KeepAliveRunner;
import net.schmizz.sshj.DefaultConfig;
import net.schmizz.sshj.SSHClient;
import net.schmizz.sshj.common.ErrorNotifiable;
import net.schmizz.sshj.common.SSHException;
import net.schmizz.sshj.connection.channel.OpenFailException;
import net.schmizz.sshj.connection.channel.direct.Session;
import net.schmizz.sshj.transport.TransportException;
import net.schmizz.sshj.transport.verification.HostKeyVerifier;
import net.schmizz.sshj.userauth.UserAuthException;
import net.schmizz.sshj.userauth.keyprovider.KeyProvider;

/**
 * One authenticated SSH connection to a host, shared by every command sent to it. The host key is
 * verified against the pinned keys before authentication, so a mismatch sends nothing. Every
 * command runs as a {@link SupervisedCommand}: it ends on the host when its deadline passes or its
 * channel or connection goes away.
 */
public final class SshConnection implements CommandRunner, AutoCloseable {

  private static final ExecutorService DRAINERS =
      Executors.newCachedThreadPool(daemonThreads("ssh-drain"));
  private static final ScheduledExecutorService DEADLINES =
      Executors.newSingleThreadScheduledExecutor(daemonThreads("ssh-deadline"));

  private static final Duration FIRST_REOPEN_PAUSE = Duration.ofMillis(20);
  private static final Duration MAX_REOPEN_PAUSE = Duration.ofSeconds(1);

  private final SshTarget target;
  private final SshSettings settings;
  private final SSHClient client;
  private final ChannelLimit channels;
  private final AtomicLong refusedChannels = new AtomicLong();
  private final PresentedKey hostKey;

  private SshConnection(
      SshTarget target, SshSettings settings, SSHClient client, PresentedKey hostKey) {
    this.target = target;
    this.settings = settings;
    this.client = client;
    this.channels = new ChannelLimit(settings.maxChannels());
    this.hostKey = hostKey;
  }

  /**
   * Connects, verifies the host key against {@code target}'s pinned keys and authenticates with
   * {@code privateKey} (OpenSSH or PEM text, as held in a Secret). The whole login (TCP, version
   * and key exchange, authentication) takes at most the connect timeout: a host that accepts TCP
   * and then says nothing is given up on, its socket closed and sshj's threads ended.
   */
  public static SshConnection open(SshTarget target, String privateKey, SshSettings settings)
      throws IOException {
    return login(
        new Login(target, privateKey, settings),
        client -> client.connect(target.address(), target.port()));
  }

  /**
   * Logs in to {@code target} (a guest, as the host sees it) through a {@code direct-tcpip} channel
   * of this connection: the host's sshd opens the TCP connection to {@code target}'s address and
   * port, so the target needs no route from the operator. The target's own host keys are pinned and
   * checked before authentication, as for a host; the login's deadline is the connect timeout. The
   * host's sshd must allow TCP forwarding ({@code AllowTcpForwarding}, on by default).
   */
  public SshConnection openForwarded(SshTarget target, String privateKey) throws IOException {
    return login(
        new Login(target, privateKey, settings),
        guest -> guest.connectVia(client.newDirectConnection(target.address(), target.port())));
  }

  /** How a client reaches its server: a TCP connection, or a channel of another connection. */
  private interface Transport {
    void connect(SSHClient client) throws IOException;
  }

  /** Who logs in where, with which key and settings. */
  private record Login(SshTarget target, String privateKey, SshSettings settings) {}

  private static SshConnection login(Login login, Transport transport) throws IOException {
    SshTarget target = login.target();
    String privateKey = login.privateKey();
    SshSettings settings = login.settings();
    if (target.pinnedHostKeys().isEmpty() && !target.trustOnFirstUse()) {
      throw new IllegalArgumentException("no pinned host key for " + target);
    }
    PinnedHostKeys verifier = new PinnedHostKeys(target.pinnedHostKeys(), target.trustOnFirstUse());
    DefaultConfig config = new DefaultConfig();
    config.setKeepAliveProvider(KeepAliveProvider.KEEP_ALIVE);
    config.setLoggerFactory(SshjLogging.INSTANCE);
    SSHClient client = new SSHClient(config);
    AtomicBoolean expired = new AtomicBoolean();
    ScheduledFuture<?> watchdog =
        DEADLINES.schedule(
            () -> {
              expired.set(true);
              closeQuietly(client);
            },
            settings.connectTimeout().toMillis(),
            TimeUnit.MILLISECONDS);
    try {
      KeyProvider key = readKey(client, target, privateKey);
      connect(client, login, verifier, transport);
      try {
        client.authPublickey(target.user(), key);
      } catch (UserAuthException e) {
        throw new AuthenticationRefusedException(
            target.toString(), PinnedHostKeys.fingerprint(key.getPublic()), e);
      }
      watchdog.cancel(false);
      if (expired.get()) {
        throw loginTimedOut(target, settings);
      }
      return new SshConnection(target, settings, client, verifier.presented());
    } catch (IOException | RuntimeException e) {
      watchdog.cancel(false);
      closeQuietly(client);
      if (expired.get() && !(e instanceof LoginRefusedException)) {
        throw loginTimedOut(target, settings);
      }
      throw e;
    }
  }

  /** Parses the private key completely, before anything is sent to the host. */
  private static KeyProvider readKey(SSHClient client, SshTarget target, String privateKey)
      throws PrivateKeyUnreadableException {
    try {
      KeyProvider key = client.loadKeys(privateKey, null, null);
      key.getPrivate();
      key.getPublic();
      return key;
    } catch (IOException | RuntimeException e) {
      throw new PrivateKeyUnreadableException(target.toString());
    }
  }

  private static SocketTimeoutException loginTimedOut(SshTarget target, SshSettings settings) {
    return new SocketTimeoutException(
        "no SSH login to " + target + " within " + settings.connectTimeout().toSeconds() + "s");
  }

  private static void connect(
      SSHClient client, Login login, HostKeyVerifier verifier, Transport transport)
      throws IOException {
    SshTarget target = login.target();
    SshSettings settings = login.settings();
    client.addHostKeyVerifier(verifier);
    client.setSocketFactory(new NoDelaySocketFactory());
    client.setConnectTimeout((int) settings.connectTimeout().toMillis());
    client.setTimeout((int) settings.readTimeout().toMillis());
    // Bounds how long opening or closing a channel waits for the server (sshj: 30 s).
    client.getConnection().setTimeoutMs((int) settings.connectTimeout().toMillis());
    KeepAliveRunner keepAlive = (KeepAliveRunner) client.getConnection().getKeepAlive();
    keepAlive.setKeepAliveInterval((int) settings.keepAliveInterval().toSeconds());
    keepAlive.setMaxAliveCount(settings.keepAliveCountMax());
    try {
      transport.connect(client);
    } catch (TransportException e) {
      if (e.getDisconnectReason()
          == net.schmizz.sshj.common.DisconnectReason.HOST_KEY_NOT_VERIFIABLE) {
        throw new HostKeyRejectedException(
            target.toString(), ((PinnedHostKeys) verifier).presented().fingerprint(), e);
      }
      throw e;
    }
  }

  /** The SHA256 fingerprint of the key the host presented. */
  public String hostKeyFingerprint() {
    return hostKey.fingerprint();
  }

  /** The key the host presented. */
  public PresentedKey hostKey() {
    return hostKey;
  }

  public boolean isOpen() {
    return client.isConnected() && client.isAuthenticated();
  }

  /** How many channels this connection opens at once now (fewer once the server refused some). */
  public int channelLimit() {
    return channels.limit();
  }

  /** How often the server refused to open a channel on this connection. */
  public long refusedChannels() {
    return refusedChannels.get();
  }

  /** Runs {@code command} with the default deadline and no input. */
  public CommandResult run(String command) throws IOException {
    return run(command, null, settings.defaultCommandTimeout());
  }

  /**
   * Runs {@code command} in the login user's shell on the host with {@code stdin} (if any) as its
   * input, drains stdout and stderr, and waits at most {@code deadline}; then the command is ended
   * on the host too (see {@link SupervisedCommand}).
   */
  @Override
  public CommandResult run(String command, byte[] stdin, Duration deadline) throws IOException {
    String supervised = SupervisedCommand.of(command, stdin, deadline);
    Session session = openSession();
    try (session) {
      Session.Command cmd = session.exec(supervised);
      AtomicBoolean timedOut = new AtomicBoolean();
      ScheduledFuture<?> alarm =
          DEADLINES.schedule(
              () -> {
                timedOut.set(true);
                DRAINERS.execute(() -> abort(cmd));
              },
              deadline.toMillis(),
              TimeUnit.MILLISECONDS);
      try {
        Captured stdout;
        Captured err;
        try {
          CompletableFuture<Captured> stderr = drainAsync(cmd.getErrorStream());
          stdout = drain(cmd.getInputStream(), settings.maxCapturedBytes());
          err = stderr.join();
          cmd.join(settings.readTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (IOException e) {
          if (timedOut.get()) {
            throw new CommandTimeoutException(target.toString(), deadline);
          }
          throw e;
        }
        if (timedOut.get()) {
          throw new CommandTimeoutException(target.toString(), deadline);
        }
        Integer exit = cmd.getExitStatus();
        return new CommandResult(
            exit == null ? -1 : exit, stdout.text(), err.text(), stdout.truncated || err.truncated);
      } finally {
        alarm.cancel(false);
      }
    } finally {
      channels.release(true);
    }
  }

  /**
   * Opens a session channel in a free slot. A refusal (sshd's {@code MaxSessions}, or a slot the
   * server frees a moment after the client) lowers this connection's channel limit and is retried
   * with a growing pause, for at most the read timeout.
   */
  private Session openSession() throws IOException {
    long giveUpAt = System.nanoTime() + settings.readTimeout().toNanos();
    Duration pause = FIRST_REOPEN_PAUSE;
    while (true) {
      acquireChannel(Duration.ofNanos(Math.max(0, giveUpAt - System.nanoTime())));
      try {
        Session session = client.startSession();
        channels.opened();
        return session;
      } catch (OpenFailException e) {
        channels.release(false);
        channels.refused();
        refusedChannels.incrementAndGet();
        if (System.nanoTime() + pause.toNanos() > giveUpAt) {
          throw new IOException(
              target + " refused SSH channels for " + settings.readTimeout().toSeconds() + "s", e);
        }
        sleep(pause);
        pause = pause.multipliedBy(2);
        if (pause.compareTo(MAX_REOPEN_PAUSE) > 0) {
          pause = MAX_REOPEN_PAUSE;
        }
      } catch (IOException | RuntimeException e) {
        channels.release(false);
        throw e;
      }
    }
  }

  private void acquireChannel(Duration wait) throws IOException {
    try {
      if (!channels.acquire(wait)) {
        throw new IOException("no free SSH channel to " + target + " in " + settings.readTimeout());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted waiting for an SSH channel to " + target, e);
    }
  }

  private void sleep(Duration pause) throws IOException {
    try {
      Thread.sleep(pause.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted waiting for an SSH channel to " + target, e);
    }
  }

  private CompletableFuture<Captured> drainAsync(InputStream stream) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return drain(stream, settings.maxCapturedBytes());
          } catch (IOException e) {
            return new Captured(new byte[0], false);
          }
        },
        DRAINERS);
  }

  /** Reads a stream to its end, keeping at most {@code limit} bytes. */
  private static Captured drain(InputStream stream, int limit) throws IOException {
    ByteArrayOutputStream kept = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    boolean truncated = false;
    int n;
    while ((n = stream.read(buffer)) != -1) {
      int room = limit - kept.size();
      if (room > 0) {
        kept.write(buffer, 0, Math.min(n, room));
      }
      truncated |= n > room;
    }
    return new Captured(kept.toByteArray(), truncated);
  }

  /**
   * Ends a command at its deadline: end-of-file on its input tells the host-side supervisor to kill
   * the command's process group; the threads reading its output are woken up (sshj's streams would
   * otherwise wait for a close that a hung process never sends) and the channel is closed.
   */
  private static void abort(Session.Command cmd) {
    try {
      cmd.getOutputStream().close();
    } catch (IOException | RuntimeException ignored) {
      // the channel may already be gone, and with it the command (its supervisor saw end-of-file)
    }
    SSHException deadline = new SSHException("command deadline passed");
    for (InputStream stream : List.of(cmd.getInputStream(), cmd.getErrorStream())) {
      if (stream instanceof ErrorNotifiable notifiable) {
        notifiable.notifyError(deadline);
      }
    }
    try {
      cmd.close();
    } catch (IOException | RuntimeException ignored) {
      // closing a channel that the server already closed
    }
  }

  @Override
  public void close() {
    closeQuietly(client);
  }

  private static void closeQuietly(SSHClient client) {
    try {
      client.disconnect();
    } catch (IOException ignored) {
      // the connection is being dropped anyway
    }
  }

  private static java.util.concurrent.ThreadFactory daemonThreads(String name) {
    return runnable -> {
      Thread thread = new Thread(runnable, name);
      thread.setDaemon(true);
      return thread;
    };
  }

  private record Captured(byte[] bytes, boolean truncated) {
    String text() {
      return new String(bytes, StandardCharsets.UTF_8);
    }
  }
}
