package io.microvmoperator.host;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import net.schmizz.keepalive.KeepAliveProvider;
import net.schmizz.sshj.DefaultConfig;
import net.schmizz.sshj.SSHClient;
import net.schmizz.sshj.common.ErrorNotifiable;
import net.schmizz.sshj.common.SSHException;
import net.schmizz.sshj.connection.channel.direct.Session;
import net.schmizz.sshj.connection.channel.direct.Signal;
import net.schmizz.sshj.transport.TransportException;
import net.schmizz.sshj.transport.verification.HostKeyVerifier;
import net.schmizz.sshj.userauth.keyprovider.KeyProvider;

/**
 * One authenticated SSH connection to a host, shared by every command sent to it. The host key is
 * verified against the pinned keys before authentication, so a mismatch sends nothing.
 */
public final class SshConnection implements CommandRunner, AutoCloseable {

  private static final ExecutorService DRAINERS =
      Executors.newCachedThreadPool(daemonThreads("ssh-drain"));
  private static final ScheduledExecutorService DEADLINES =
      Executors.newSingleThreadScheduledExecutor(daemonThreads("ssh-deadline"));

  private final SshTarget target;
  private final SshSettings settings;
  private final SSHClient client;
  private final Semaphore channels;
  private final PresentedKey hostKey;

  private SshConnection(
      SshTarget target, SshSettings settings, SSHClient client, PresentedKey hostKey) {
    this.target = target;
    this.settings = settings;
    this.client = client;
    this.channels = new Semaphore(settings.maxChannels(), true);
    this.hostKey = hostKey;
  }

  /**
   * Connects, verifies the host key against {@code target}'s pinned keys and authenticates with
   * {@code privateKey} (OpenSSH or PEM text, as held in a Secret).
   */
  public static SshConnection open(SshTarget target, String privateKey, SshSettings settings)
      throws IOException {
    if (target.pinnedHostKeys().isEmpty() && !target.trustOnFirstUse()) {
      throw new IllegalArgumentException("no pinned host key for " + target);
    }
    PinnedHostKeys verifier = new PinnedHostKeys(target.pinnedHostKeys(), target.trustOnFirstUse());
    DefaultConfig config = new DefaultConfig();
    config.setKeepAliveProvider(KeepAliveProvider.KEEP_ALIVE);
    SSHClient client = new SSHClient(config);
    try {
      connect(client, target, settings, verifier);
      KeyProvider key = client.loadKeys(privateKey, null, null);
      client.authPublickey(target.user(), key);
      return new SshConnection(target, settings, client, verifier.presented());
    } catch (IOException | RuntimeException e) {
      closeQuietly(client);
      throw e;
    }
  }

  private static void connect(
      SSHClient client, SshTarget target, SshSettings settings, HostKeyVerifier verifier)
      throws IOException {
    client.addHostKeyVerifier(verifier);
    client.setSocketFactory(new NoDelaySocketFactory());
    client.setConnectTimeout((int) settings.connectTimeout().toMillis());
    client.setTimeout((int) settings.readTimeout().toMillis());
    // Bounds how long opening or closing a channel waits for the server (sshj: 30 s).
    client.getConnection().setTimeoutMs((int) settings.connectTimeout().toMillis());
    client
        .getConnection()
        .getKeepAlive()
        .setKeepAliveInterval((int) settings.keepAliveInterval().toSeconds());
    try {
      client.connect(target.address(), target.port());
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

  /** Runs {@code command} with the default deadline and no input. */
  public CommandResult run(String command) throws IOException {
    return run(command, null, settings.defaultCommandTimeout());
  }

  /**
   * Runs {@code command} in the login user's shell on the host, writes {@code stdin} (if any) to it
   * and closes its input, drains stdout and stderr, and waits at most {@code deadline}.
   */
  @Override
  public CommandResult run(String command, byte[] stdin, Duration deadline) throws IOException {
    acquireChannel();
    try (Session session = client.startSession()) {
      Session.Command cmd = session.exec(command);
      AtomicBoolean timedOut = new AtomicBoolean();
      ScheduledFuture<?> alarm =
          DEADLINES.schedule(
              () -> {
                timedOut.set(true);
                abort(cmd);
              },
              deadline.toMillis(),
              TimeUnit.MILLISECONDS);
      try {
        Captured stdout;
        Captured err;
        try {
          CompletableFuture<Captured> stderr = drainAsync(cmd.getErrorStream());
          writeInput(cmd.getOutputStream(), stdin);
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
      channels.release();
    }
  }

  private void acquireChannel() throws IOException {
    try {
      if (!channels.tryAcquire(settings.readTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IOException("no free SSH channel to " + target + " in " + settings.readTimeout());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted waiting for an SSH channel to " + target, e);
    }
  }

  private static void writeInput(OutputStream in, byte[] stdin) throws IOException {
    try (in) {
      if (stdin != null) {
        in.write(stdin);
        in.flush();
      }
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
   * Ends a command at its deadline: asks the server to kill it, wakes up the threads reading its
   * output (sshj's streams would otherwise wait for a close that a hung process never sends) and
   * closes the channel.
   */
  private static void abort(Session.Command cmd) {
    try {
      cmd.signal(Signal.KILL);
    } catch (IOException | RuntimeException ignored) {
      // the channel may already be gone; closing it below is what matters
    }
    SSHException deadline = new SSHException("command deadline passed");
    for (InputStream stream : List.of(cmd.getInputStream(), cmd.getErrorStream())) {
      if (stream instanceof ErrorNotifiable notifiable) {
        notifiable.notifyError(deadline);
      }
    }
    try {
      cmd.close();
    } catch (IOException ignored) {
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
