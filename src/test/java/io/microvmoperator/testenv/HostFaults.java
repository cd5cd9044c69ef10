package io.microvmoperator.testenv;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Faults injected into a {@link TestHost}: it goes down or flaps, its SSH connections are cut, a
 * command is held (or killed) at a {@link PausePoint}, a program on it is slowed down.
 */
public final class HostFaults {

  private final TestHost host;
  private final NixNamespace namespace;

  HostFaults(TestHost host, NixNamespace namespace) {
    this.host = host;
    this.namespace = namespace;
  }

  /**
   * The host drops off the network: its sshd and every open SSH session end (clients see their
   * connections cut), while the VMs keep running. {@link TestHost#start()} brings it back.
   */
  public void goDown() {
    // The listener first, so that it forks no connection that the second step would miss.
    host.stop();
    connectionProcesses().forEach(ProcessHandle::destroyForcibly);
  }

  /**
   * Takes the host down for {@code down} and up again for {@code up}, over and over for {@code
   * total} (whole cycles); returns the number of cycles. Ends with the host up.
   */
  public int flap(Duration total, Duration down, Duration up) throws InterruptedException {
    int cycles = 0;
    long end = System.nanoTime() + total.toNanos();
    while (System.nanoTime() < end) {
      goDown();
      Thread.sleep(down.toMillis());
      host.start();
      Thread.sleep(up.toMillis());
      cycles++;
    }
    return cycles;
  }

  /**
   * Cuts every SSH connection to the host (kills the per-connection sshd processes), as a network
   * failure would; the host stays up and accepts new connections.
   */
  public void cutConnections() {
    connectionProcesses().forEach(ProcessHandle::destroyForcibly);
  }

  /**
   * The per-connection sshd processes (one or two per open SSH connection), also those whose
   * listener is gone: every sshd on this host but the listening one.
   */
  public List<ProcessHandle> connectionProcesses() {
    long listener = host.sshdPid().orElse(-1);
    return ProcessHandle.allProcesses()
        .filter(p -> p.pid() != listener)
        .filter(p -> p.info().command().map(c -> c.endsWith("/sshd")).orElse(false))
        .filter(p -> host.runsInside(p.pid()))
        .toList();
  }

  /**
   * Holds the next command that reaches {@code point} for a subject containing {@code subject}
   * there, until {@link #release} or {@link #killPaused}. One pause per point at a time.
   */
  public void pauseAt(PausePoint point, String subject) {
    try {
      Files.createDirectories(host.dir().resolve("run/pause"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    TestHost.write(host.dir().resolve("run/pause").resolve(point.fileName()), subject);
  }

  /** Waits until a command is held at {@code point}; returns its process group. */
  public long awaitPaused(PausePoint point, Duration timeout) {
    Path paused = host.dir().resolve("run/paused").resolve(point.fileName());
    Instant deadline = Instant.now().plus(timeout);
    while (Instant.now().isBefore(deadline)) {
      try {
        String group = Files.exists(paused) ? Files.readString(paused).trim() : "";
        if (!group.isEmpty()) {
          return Long.parseLong(group);
        }
      } catch (IOException e) {
        // renamed into place while we looked; look again
      }
      Sleep.millis(50);
    }
    throw new IllegalStateException(
        host.name() + ": nothing reached " + point + " within " + timeout);
  }

  /** Lets the command held at {@code point} go on (and lets later ones pass). */
  public void release(PausePoint point) {
    TestHost.delete(host.dir().resolve("run/pause").resolve(point.fileName()));
  }

  /**
   * Ends the command held at {@code point} where it stands: its whole process group, the remote
   * shell script with it, is killed, as when the host loses it. Later commands pass the point.
   */
  public void killPaused(PausePoint point) {
    long group = awaitPaused(point, Duration.ofSeconds(1));
    Commands.killGroup(group, "KILL");
    release(point);
    TestHost.delete(host.dir().resolve("run/paused").resolve(point.fileName()));
  }

  /**
   * Until closed, {@code command} (a program in /usr/bin) takes {@code delay} longer on this host:
   * a wrapper first on PATH sleeps, then runs it in the same process. Widens a race window that a
   * loaded machine would open only now and then.
   */
  public AutoCloseable slowDown(String command, Duration delay) {
    Path wrapper = namespace.binDir().resolve(command);
    try {
      Files.writeString(
          wrapper,
          "#!/bin/sh\nsleep "
              + delay.toMillis() / 1000.0
              + "\nexec /usr/bin/"
              + command
              + " \"$@\"\n");
      Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return () -> Files.deleteIfExists(wrapper);
  }
}
