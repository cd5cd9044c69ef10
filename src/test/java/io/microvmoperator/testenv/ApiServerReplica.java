package io.microvmoperator.testenv;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A second kube-apiserver on the shared control plane's etcd (as in a highly available control
 * plane), started with the shared one's flags on a port (and with an audit log) of its own. A test
 * points an operator at it and stops and starts it again on the same port, while the shared API
 * server and etcd, and with them every other test's view of the cluster, stay up.
 */
public final class ApiServerReplica implements AutoCloseable {

  private static final Pattern SERVER = Pattern.compile("server: *https://127\\.0\\.0\\.1:(\\d+)");
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

  private final List<String> argv;
  private final Path log;
  private final String kubeconfigYaml;
  private Process process;

  private ApiServerReplica(List<String> argv, Path log, String kubeconfigYaml) {
    this.argv = argv;
    this.log = log;
    this.kubeconfigYaml = kubeconfigYaml;
  }

  /** Starts a replica of {@code plane}'s API server; its output goes to {@code log}. */
  public static ApiServerReplica start(KubeControlPlane plane, Path log) {
    Matcher server = SERVER.matcher(plane.kubeconfigYaml());
    if (!server.find()) {
      throw new IllegalStateException("no server address in the control plane's kubeconfig");
    }
    String sharedPort = server.group(1);
    ProcessHandle shared =
        ProcessHandle.current()
            .descendants()
            .filter(p -> p.info().command().orElse("").endsWith("/kube-apiserver"))
            .filter(p -> List.of(p.info().arguments().orElse(new String[0])).contains(sharedPort))
            .findFirst()
            .orElseThrow(() -> new IllegalStateException("the shared kube-apiserver is not ours"));
    int port = freePort();
    List<String> argv = new ArrayList<>();
    argv.add(shared.info().command().orElseThrow());
    String[] arguments = shared.info().arguments().orElseThrow();
    Map<String, String> own =
        Map.of(
            "--secure-port", String.valueOf(port),
            "--audit-log-path", log.resolveSibling(log.getFileName() + ".audit").toString());
    for (int i = 0; i < arguments.length; i++) {
      String flag = i > 0 ? arguments[i - 1] : "";
      argv.add(own.getOrDefault(flag, arguments[i]));
    }
    ApiServerReplica replica =
        new ApiServerReplica(argv, log, server.replaceFirst("server: https://127.0.0.1:" + port));
    replica.start();
    return replica;
  }

  /** Starts it (again, on the same port) and waits until it answers. */
  public synchronized void start() {
    try {
      process =
          new ProcessBuilder(argv)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Instant deadline = Instant.now().plus(READY_TIMEOUT);
    try (KubernetesClient probe = client()) {
      while (Instant.now().isBefore(deadline)) {
        if (!process.isAlive()) {
          throw new IllegalStateException("the kube-apiserver replica exited; see " + log);
        }
        try {
          probe.namespaces().withName("default").get();
          return;
        } catch (RuntimeException notYet) {
          Sleep.millis(200);
        }
      }
    }
    throw new IllegalStateException("the kube-apiserver replica did not answer; see " + log);
  }

  /** Kills it (SIGKILL, as a crash or a lost node); {@link #start} brings it back. */
  public synchronized void stop() {
    if (process != null) {
      process.destroyForcibly();
      try {
        process.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      process = null;
    }
  }

  /** A new client of this replica, as cluster admin. The caller closes it. */
  public KubernetesClient client() {
    return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeconfigYaml)).build();
  }

  @Override
  public void close() {
    stop();
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
