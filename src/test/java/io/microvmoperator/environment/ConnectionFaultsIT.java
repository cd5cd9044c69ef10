package io.microvmoperator.environment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.microvmoperator.host.CommandResult;
import io.microvmoperator.host.CommandTimeoutException;
import io.microvmoperator.host.HostConnections;
import io.microvmoperator.host.HostUnreachableException;
import io.microvmoperator.host.SshConnection;
import io.microvmoperator.host.SshSettings;
import io.microvmoperator.host.SshTarget;
import io.microvmoperator.testenv.Commands;
import io.microvmoperator.testenv.SilentServer;
import io.microvmoperator.testenv.TestHost;
import io.microvmoperator.testenv.TestHosts;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The operator's SSH transport under connection faults, against real OpenSSH servers: hosts that
 * never answer, connections cut mid-command, hung commands, floods of output, a server that allows
 * one session, and a host that keeps going down and up. Each test prints the figures it measured.
 */
class ConnectionFaultsIT {

  @RegisterExtension static TestHosts hosts = TestHosts.start(3);

  /** How long the flapping test flaps; CI keeps it short, -Dfaults.flapSeconds=300 for minutes. */
  private static final int FLAP_SECONDS = Integer.getInteger("faults.flapSeconds", 60);

  private final TestHost host = hosts.get(0);

  @Test
  void aHostThatAcceptsTcpButNeverAnswersIsGivenUpAtTheConnectTimeoutWithoutLeakingThreads()
      throws Exception {
    SshSettings settings = SshSettings.defaults();
    try (SilentServer silent = SilentServer.start("127.0.0.10")) {
      SshTarget target =
          new SshTarget(silent.address(), silent.port(), "root", List.of(host.hostKeyLine()));
      failToConnect(target, host.clientPrivateKey(), settings); // warms up the shared threads
      Set<Thread> before = liveThreads();

      ExecutorService attempts = Executors.newFixedThreadPool(3);
      List<Future<Duration>> timings = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        timings.add(
            attempts.submit(() -> failToConnect(target, host.clientPrivateKey(), settings)));
      }
      List<Duration> taken = new ArrayList<>();
      for (Future<Duration> timing : timings) {
        taken.add(timing.get(60, TimeUnit.SECONDS));
      }
      attempts.shutdown();

      assertThat(silent.connections()).isEqualTo(4);
      await().atMost(Duration.ofSeconds(10)).until(() -> silent.stillOpen() == 0);
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(newThreads(before)).isEmpty());
      System.out.printf(
          "[figures] silent host: connect timeout %ss fired after %s; sockets left open: %d;"
              + " threads left: %d%n",
          settings.connectTimeout().toSeconds(),
          taken.stream().map(d -> d.toMillis() + " ms").toList(),
          silent.stillOpen(),
          newThreads(before).size());
    }
  }

  private static Duration failToConnect(SshTarget target, String privateKey, SshSettings settings) {
    long start = System.nanoTime();
    assertThatThrownBy(() -> SshConnection.open(target, privateKey, settings))
        .isInstanceOf(java.net.SocketTimeoutException.class)
        .hasMessageContaining("no SSH login to")
        .hasMessageContaining("within " + settings.connectTimeout().toSeconds() + "s");
    return Duration.ofNanos(System.nanoTime() - start);
  }

  @Test
  void aHungCommandIsEndedOnTheHostAtItsDeadlineAndItsChannelFreed() throws Exception {
    try (SshConnection ssh = host.connect()) {
      long start = System.nanoTime();
      assertThatThrownBy(
              () ->
                  ssh.run(
                      "trap '' TERM HUP INT; sleep 3621 & sleep 3622; echo never",
                      null,
                      Duration.ofSeconds(2)))
          .isInstanceOf(CommandTimeoutException.class);
      long returned = System.nanoTime();
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () ->
                  assertThat(host.logs().runningCommands())
                      .noneMatch(c -> c.contains("sleep 362")));
      long gone = System.nanoTime();

      assertThat(parallel(ssh, SshSettings.defaults().maxChannels(), "echo free"))
          .allMatch(r -> r.stdout().equals("free\n"));
      System.out.printf(
          "[figures] hung command: deadline 2 s, run() returned after %d ms, no process of it on"
              + " the host %d ms later%n",
          (returned - start) / 1_000_000, (gone - returned) / 1_000_000);
    }
  }

  @Test
  void aCommandWhoseConnectionIsCutFailsAtOnceAndEndsOnTheHost() throws Exception {
    SshConnection ssh = host.connect();
    CompletableFuture<CommandResult> running =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return ssh.run("sleep 3631; echo never", null, Duration.ofMinutes(1));
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> host.logs().runningCommands().stream().anyMatch(c -> c.contains("sleep 3631")));

    long cut = System.nanoTime();
    host.faults().cutConnections();

    assertThatThrownBy(() -> running.get(20, TimeUnit.SECONDS))
        .hasCauseInstanceOf(java.io.UncheckedIOException.class);
    long failed = System.nanoTime();
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(host.logs().runningCommands()).noneMatch(c -> c.contains("sleep 3631")));
    assertThat(ssh.isOpen()).isFalse();
    ssh.close();
    System.out.printf(
        "[figures] cut connection: the command failed %d ms after the cut%n",
        (failed - cut) / 1_000_000);
  }

  /**
   * A host that stops answering on an open connection (its sshd frozen: TCP still acknowledged,
   * nothing comes back) is declared dead by the keep-alive, with the default settings.
   */
  @Test
  void aHostThatFreezesMidCommandIsDeclaredDeadByTheKeepAlive() throws Exception {
    TestHost frozen = hosts.get(1);
    SshConnection ssh = frozen.connect();
    CompletableFuture<CommandResult> running =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return ssh.run("sleep 3641; echo never", null, Duration.ofMinutes(5));
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> frozen.logs().runningCommands().stream().anyMatch(c -> c.contains("sleep 3641")));
    List<ProcessHandle> connection = frozen.faults().connectionProcesses();
    long froze = System.nanoTime();
    signal("STOP", connection);
    try {
      assertThatThrownBy(() -> running.get(150, TimeUnit.SECONDS))
          .hasCauseInstanceOf(java.io.UncheckedIOException.class)
          .hasMessageContaining("keep-alive");
      long detected = System.nanoTime();
      await().atMost(Duration.ofSeconds(5)).until(() -> !ssh.isOpen());
      SshSettings settings = SshSettings.defaults();
      System.out.printf(
          "[figures] frozen host: the connection was declared dead %d ms after the host froze"
              + " (keep-alive every %d s, %d unanswered)%n",
          (detected - froze) / 1_000_000,
          settings.keepAliveInterval().toSeconds(),
          settings.keepAliveCountMax());
    } finally {
      connection.forEach(ProcessHandle::destroyForcibly);
      signal("CONT", connection);
      ssh.close();
    }
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(frozen.logs().runningCommands())
                    .noneMatch(c -> c.contains("sleep 3641")));
  }

  private static void signal(String signal, List<ProcessHandle> processes) {
    for (ProcessHandle process : processes) {
      Commands.run("/bin/kill", "-" + signal, String.valueOf(process.pid()));
    }
  }

  @Test
  void tenMegabytesOnStdoutAndStderrNeitherHangNorFillTheHeap() throws Exception {
    try (SshConnection ssh = host.connect()) {
      long heapBefore = usedHeapAfterGc();
      long start = System.nanoTime();
      CommandResult flood =
          ssh.run(
              "yes stdout | head -c 10485760 & yes stderr | head -c 10485760 >&2; wait",
              null,
              Duration.ofMinutes(1));
      long took = System.nanoTime() - start;
      long heapAfter = usedHeapAfterGc();

      int limit = SshSettings.defaults().maxCapturedBytes();
      assertThat(flood.exitStatus()).isZero();
      assertThat(flood.truncated()).isTrue();
      assertThat(flood.stdout()).hasSize(limit).startsWith("stdout\nstdout\n");
      assertThat(flood.stderr()).hasSize(limit).startsWith("stderr\nstderr\n");
      assertThat(ssh.run("echo next").stdout()).isEqualTo("next\n");
      System.out.printf(
          "[figures] 2 x 10 MiB of output: drained in %d ms, kept 2 x %d KiB, heap after GC %+d"
              + " KiB%n",
          took / 1_000_000, limit / 1024, (heapAfter - heapBefore) / 1024);
    }
  }

  @Test
  void aServerThatAllowsOneSessionGetsOneChannelAtATimeAndNoFailureStorm() throws Exception {
    TestHost narrow = hosts.get(1);
    narrow.setMaxSessions(1).restart();
    int logBefore = narrow.logs().sshdLog().length();
    int commands = 40;
    try (SshConnection ssh = narrow.connect()) {
      List<CommandResult> results = parallel(ssh, commands, "sleep 0.05; echo done");

      assertThat(results).hasSize(commands).allMatch(r -> r.stdout().equals("done\n"));
      assertThat(ssh.channelLimit()).isEqualTo(1);
      long refusedByServer = narrow.logs().refusedSessionsSince(logBefore);
      assertThat(refusedByServer).isEqualTo(ssh.refusedChannels());
      assertThat(ssh.refusedChannels())
          .as("refusals: the channel limit drops to the server's at once, no retry storm")
          .isLessThanOrEqualTo(SshSettings.defaults().maxChannels() - 1 + commands / 4);
      System.out.printf(
          "[figures] MaxSessions 1: %d commands from 8 threads all succeeded; channel limit %d;"
              + " channels refused by the server: %d%n",
          commands, ssh.channelLimit(), ssh.refusedChannels());
    } finally {
      narrow.setMaxSessions(10).restart();
    }
  }

  @Test
  void aFlappingHostIsReconnectedWithinTheBackOffBudget() throws Exception {
    TestHost flapping = hosts.get(2);
    Clock clock = Clock.systemUTC();
    List<Attempt> attempts = Collections.synchronizedList(new ArrayList<>());
    AtomicLong counted = new AtomicLong();
    HostConnections pool =
        new HostConnections(
            (target, key, settings) -> {
              Instant at = clock.instant();
              try {
                SshConnection connection = SshConnection.open(target, key, settings);
                attempts.add(new Attempt(at, true));
                return connection;
              } catch (IOException e) {
                attempts.add(new Attempt(at, false));
                throw e;
              }
            },
            SshSettings.defaults(),
            clock,
            Math::random,
            (host, ok) -> counted.incrementAndGet());
    SshTarget target =
        new SshTarget(flapping.address(), flapping.port(), "root", List.of(flapping.hostKeyLine()));

    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong demands = new AtomicLong();
    AtomicLong succeeded = new AtomicLong();
    // Four callers ask for the connection every 20 ms (as reconciles of many VMs would); one of
    // them also runs a command now and then, which is how a dead connection is noticed.
    ExecutorService callers = Executors.newFixedThreadPool(4);
    for (int i = 0; i < 4; i++) {
      boolean runsCommands = i == 0;
      callers.execute(
          () -> {
            long calls = 0;
            while (!stop.get()) {
              demands.incrementAndGet();
              try {
                SshConnection connection =
                    pool.get("flapping", target, flapping.clientPrivateKey());
                if (runsCommands && calls++ % 10 == 0) {
                  connection.run("true", null, Duration.ofSeconds(5));
                  succeeded.incrementAndGet();
                }
              } catch (IOException e) {
                if (!(e instanceof HostUnreachableException)) {
                  pool.invalidate("flapping");
                }
              }
              sleepQuietly(20);
            }
          });
    }
    int cycles =
        flapping
            .faults()
            .flap(Duration.ofSeconds(FLAP_SECONDS), Duration.ofSeconds(3), Duration.ofSeconds(3));
    // The host is up for good: the next login comes at most one back-off after the last failed
    // one, and a back-off can have grown to its cap (2 min) by chance during the flapping; a
    // connection made during the flapping can also be found dead only now, by a command.
    await()
        .atMost(Duration.ofMinutes(2).plusSeconds(30))
        .until(
            () -> {
              long before = succeeded.get();
              Thread.sleep(500);
              return succeeded.get() > before;
            });
    stop.set(true);
    callers.shutdown();
    assertThat(callers.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    pool.close();

    List<Attempt> seen = List.copyOf(attempts);
    assertThat(seen).isNotEmpty();
    for (int i = 1; i < seen.size(); i++) {
      Attempt previous = seen.get(i - 1);
      Duration backoff = backoffAfter(seen.subList(0, i));
      if (!previous.succeeded()) {
        assertThat(Duration.between(previous.at(), seen.get(i).at()))
            .as(
                "attempt %d came after a failure: it waits at least half the back-off %s",
                i, backoff)
            .isGreaterThanOrEqualTo(backoff.dividedBy(2));
      }
    }
    long failed = seen.stream().filter(a -> !a.succeeded()).count();
    assertThat(counted.get()).as("attempts told to the login listener").isEqualTo(seen.size());
    System.out.printf(
        "[figures] flapping host: %d s, %d down/up cycles of 3 s + 3 s; %d commands asked for"
            + " a connection; login attempts %d (%d succeeded, %d failed)%n",
        FLAP_SECONDS, cycles, demands.get(), seen.size(), seen.size() - failed, failed);
  }

  private record Attempt(Instant at, boolean succeeded) {}

  /**
   * The back-off in force after {@code attempts}, as HostConnections keeps it: 1 s after a first
   * failure, doubled after each further one up to 2 min, none (zero) after a success.
   */
  private static Duration backoffAfter(List<Attempt> attempts) {
    Duration backoff = Duration.ZERO;
    for (Attempt attempt : attempts) {
      backoff =
          attempt.succeeded()
              ? Duration.ZERO
              : backoff.isZero()
                  ? Duration.ofSeconds(1)
                  : min(backoff.multipliedBy(2), Duration.ofMinutes(2));
    }
    return backoff;
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static List<CommandResult> parallel(SshConnection ssh, int count, String command)
      throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(8);
    try {
      List<Future<CommandResult>> futures = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        futures.add(threads.submit(() -> ssh.run(command, null, Duration.ofSeconds(60))));
      }
      List<CommandResult> results = new ArrayList<>();
      for (Future<CommandResult> future : futures) {
        results.add(future.get(120, TimeUnit.SECONDS));
      }
      return results;
    } finally {
      threads.shutdown();
    }
  }

  private static Set<Thread> liveThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .collect(Collectors.toSet());
  }

  /** Threads started since {@code before} that still run, but for the JDK's idle pool workers. */
  private static List<String> newThreads(Set<Thread> before) {
    return liveThreads().stream()
        .filter(t -> !before.contains(t))
        .map(Thread::getName)
        .filter(name -> !name.startsWith("ForkJoinPool") && !name.startsWith("pool-"))
        .filter(name -> !name.startsWith("awaitility"))
        .toList();
  }

  private static long usedHeapAfterGc() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
