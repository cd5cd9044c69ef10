package io.microvmoperator.app;

import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the operator against the current kubeconfig (or the in-cluster config), with {@code
 * /healthz}, {@code /readyz} and Prometheus' {@code /metrics}, and runs until stopped.
 */
public final class Main {

  private static final Logger log = LoggerFactory.getLogger(Main.class);

  /** The Prometheus text exposition format the registry writes, version 0.0.4. */
  static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  private Main() {}

  public static void main(String[] args) throws IOException, InterruptedException {
    OperatorConfig config = OperatorConfig.fromEnvironment(System.getenv());
    KubernetesClient client = new KubernetesClientBuilder().build();
    MicroVMOperator operator = MicroVMOperator.start(client, config);
    HttpServer health =
        config.healthPort() >= 0 ? healthServer(healthSocket(config), operator) : null;
    log.info("microvm-operator started; secrets are read from namespace {}", config.namespace());

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  if (health != null) {
                    health.stop(0);
                  }
                  operator.close();
                  client.close();
                  stopped.countDown();
                }));
    stopped.await();
  }

  static InetSocketAddress healthSocket(OperatorConfig config) throws IOException {
    return config.healthAddress().isPresent()
        ? new InetSocketAddress(
            InetAddress.getByName(config.healthAddress().get()), config.healthPort())
        : new InetSocketAddress(config.healthPort());
  }

  static HttpServer healthServer(InetSocketAddress socket, MicroVMOperator operator)
      throws IOException {
    HttpServer server = HttpServer.create(socket, 0);
    server.createContext("/healthz", exchange -> respond(exchange, 200, "ok"));
    server.createContext(
        "/metrics",
        exchange -> {
          // Prometheus 3 refuses a scrape whose Content-Type is missing (no fallback protocol).
          exchange.getResponseHeaders().set("Content-Type", PROMETHEUS_TEXT);
          respond(exchange, 200, operator.scrapeMetrics());
        });
    server.createContext(
        "/readyz",
        exchange ->
            respond(
                exchange, operator.isReady() ? 200 : 503, operator.isReady() ? "ok" : "not ready"));
    server.start();
    return server;
  }

  private static void respond(com.sun.net.httpserver.HttpExchange exchange, int code, String body)
      throws IOException {
    if (!exchange.getResponseHeaders().containsKey("Content-Type")) {
      exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    }
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(code, bytes.length);
    try (var out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
