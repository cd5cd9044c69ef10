package io.microvmoperator.testenv;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A fleet of started {@link TestHost}s in one temporary root folder ({@code
 * /tmp/microvm-testenv-*}). Use it as a JUnit 5 extension, closed after all tests of the class:
 *
 * <pre>{@code @RegisterExtension static TestHosts hosts = TestHosts.start(2);}</pre>
 *
 * <p>or with try-with-resources from a plain {@code main}. A shutdown hook closes it too, so a
 * killed demo leaves no sshd or VM behind. The first address is {@code 127.0.0.11}, or the system
 * property {@code testenv.firstAddress}; set {@code testenv.keep=true} to keep the folder.
 */
public final class TestHosts implements AutoCloseable, AfterAllCallback {

  private final Path root;
  private final List<TestHost> hosts = new ArrayList<>();
  private final Thread shutdownHook = new Thread(this::closeQuietly, "testenv-shutdown");
  private boolean closed;

  private TestHosts(Path root) {
    this.root = root;
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  public static TestHosts start(int count) {
    return start(count, System.getProperty("testenv.firstAddress", "127.0.0.11"));
  }

  /**
   * Starts {@code count} hosts named host1.. on consecutive addresses from {@code firstAddress}.
   */
  public static TestHosts start(int count, String firstAddress) {
    TestHosts fleet = new TestHosts(newRoot());
    try {
      byte[] address = InetAddress.getByName(firstAddress).getAddress();
      for (int i = 0; i < count; i++) {
        String name = "host" + (i + 1);
        TestHost host =
            TestHost.create(
                name, InetAddress.getByAddress(address).getHostAddress(), fleet.root.resolve(name));
        fleet.hosts.add(host);
        host.start();
        address[3]++;
      }
    } catch (UnknownHostException | RuntimeException e) {
      fleet.close();
      throw new IllegalStateException("could not start test hosts", e);
    }
    return fleet;
  }

  /** A fresh, empty per-run folder that other fixtures (flakes, caches) may use too. */
  public static Path newRoot() {
    try {
      return Files.createTempDirectory(Path.of("/tmp"), "microvm-testenv-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public TestHost get(int index) {
    return hosts.get(index);
  }

  public List<TestHost> all() {
    return List.copyOf(hosts);
  }

  /** The root folder of this run; put test flakes and caches under it. */
  public Path root() {
    return root;
  }

  @Override
  public void afterAll(ExtensionContext context) {
    close();
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    RuntimeException failure = null;
    for (TestHost host : hosts) {
      try {
        host.close();
      } catch (RuntimeException e) {
        failure = e;
      }
    }
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException alreadyShuttingDown) {
      // closing from the hook itself
    }
    if (!Boolean.getBoolean("testenv.keep")) {
      deleteRecursively(root);
    }
    if (failure != null) {
      throw failure;
    }
  }

  private void closeQuietly() {
    try {
      close();
    } catch (RuntimeException ignored) {
      // nothing left to do on JVM exit
    }
  }

  /** Deletes a tree; as root this works on read-only Nix store folders too. */
  static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try {
      Files.walkFileTree(
          dir,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              Files.delete(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
              Files.delete(d);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
