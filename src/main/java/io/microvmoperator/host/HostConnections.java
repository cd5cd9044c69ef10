package io.microvmoperator.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.DoubleSupplier;

/**
 * One SSH connection per host, reused by every command to it. A connection is replaced when the
 * host's address, keys or private key change (the key is compared by its SHA-256 digest at every
 * use, so a rotated Secret takes effect at the next command without a restart), and dropped when it
 * breaks; reconnecting after a failure waits an exponentially growing back-off, so a host that is
 * down (or an sshd that penalises failed logins) is not hammered. Each wait is drawn between half
 * and all of the back-off: without that spread, fixed waits can fall into step with a host that
 * fails periodically and miss every moment it is up.
 */
public final class HostConnections implements AutoCloseable {

  /** Opens a connection; {@link SshConnection#open} in production. */
  public interface Connector {
    SshConnection open(SshTarget target, String privateKey, SshSettings settings)
        throws IOException;
  }

  /** Told of every login attempt, per host (the operator counts them in its metrics). */
  public interface LoginListener {
    LoginListener NONE = (host, succeeded) -> {};

    void attempted(String host, boolean succeeded);

    /** The host is gone: its counts may be dropped. */
    default void forget(String host) {}
  }

  private static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
  private static final Duration MAX_BACKOFF = Duration.ofMinutes(2);

  private final Connector connector;
  private final SshSettings settings;
  private final Clock clock;
  private final DoubleSupplier random;
  private final LoginListener logins;
  private final Map<String, Entry> entries = new ConcurrentHashMap<>();

  /**
   * @param random uniform numbers in [0, 1) that spread the reconnect waits ({@code Math::random};
   *     a test may fix it)
   */
  public HostConnections(
      Connector connector,
      SshSettings settings,
      Clock clock,
      DoubleSupplier random,
      LoginListener logins) {
    this.connector = connector;
    this.settings = settings;
    this.clock = clock;
    this.random = random;
    this.logins = logins;
  }

  /** The open connection to {@code host}, connecting (or reconnecting) when needed. */
  public SshConnection get(String host, SshTarget target, String privateKey) throws IOException {
    Entry entry = entries.computeIfAbsent(host, h -> new Entry());
    synchronized (entry) {
      Credentials credentials = new Credentials(target, digest(privateKey));
      boolean changed = !credentials.equals(entry.credentials);
      if (entry.connection != null && (changed || !entry.connection.isOpen())) {
        entry.connection.close();
        entry.connection = null;
      }
      if (entry.connection != null) {
        return entry.connection;
      }
      Instant now = clock.instant();
      if (!changed && entry.retryAt != null && now.isBefore(entry.retryAt)) {
        if (entry.lastFailure instanceof LoginRefusedException refused) {
          throw refused;
        }
        throw new HostUnreachableException(
            "cannot reach "
                + target
                + ": "
                + entry.lastError
                + " (next attempt in "
                + Duration.between(now, entry.retryAt).toSeconds()
                + "s)",
            null);
      }
      entry.credentials = credentials;
      try {
        entry.connection = connector.open(target, privateKey, settings);
        logins.attempted(host, true);
        entry.backoff = null;
        entry.retryAt = null;
        return entry.connection;
      } catch (LoginRefusedException e) {
        recordFailure(host, entry, e, now);
        throw e;
      } catch (IOException e) {
        recordFailure(host, entry, e, now);
        throw new HostUnreachableException("cannot reach " + target + ": " + describe(e), e);
      }
    }
  }

  /** Forgets the connection to {@code host} after a command on it failed at the transport. */
  public void invalidate(String host) {
    Entry entry = entries.get(host);
    if (entry != null) {
      synchronized (entry) {
        if (entry.connection != null) {
          entry.connection.close();
          entry.connection = null;
        }
      }
    }
  }

  /** Closes and forgets the connection to a host that is gone. */
  public void remove(String host) {
    invalidate(host);
    entries.remove(host);
    logins.forget(host);
  }

  private void recordFailure(String host, Entry entry, IOException e, Instant now) {
    logins.attempted(host, false);
    entry.backoff =
        entry.backoff == null ? FIRST_BACKOFF : min(entry.backoff.multipliedBy(2), MAX_BACKOFF);
    long waitMillis = (long) (entry.backoff.toMillis() * (0.5 + 0.5 * random.getAsDouble()));
    entry.retryAt = now.plus(Duration.ofMillis(waitMillis));
    entry.lastError = describe(e);
    entry.lastFailure = e;
  }

  static String describe(Throwable e) {
    String message = e.getMessage();
    return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  @Override
  public void close() {
    entries.keySet().forEach(this::invalidate);
    entries.clear();
  }

  private static byte[] digest(String privateKey) {
    try {
      return MessageDigest.getInstance("SHA-256")
          .digest(privateKey.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** What a connection logged in with; the private key only as its digest. */
  private record Credentials(SshTarget target, byte[] keyDigest) {
    @Override
    public boolean equals(Object other) {
      return other instanceof Credentials that
          && target.equals(that.target)
          && MessageDigest.isEqual(keyDigest, that.keyDigest);
    }

    @Override
    public int hashCode() {
      return target.hashCode() * 31 + Arrays.hashCode(keyDigest);
    }
  }

  private static final class Entry {
    private SshConnection connection;
    private Credentials credentials;
    private Duration backoff;
    private Instant retryAt;
    private String lastError = "";
    private IOException lastFailure;
  }
}
