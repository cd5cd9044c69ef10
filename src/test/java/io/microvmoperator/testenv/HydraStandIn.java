package io.microvmoperator.testenv;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Hydra stand-in on 127.0.0.1 that answers {@code GET /job/PROJECT/JOBSET/JOB/latest} (and {@code
 * GET /build/ID}) with the JSON of the last build {@link #publish}ed for that job, like Hydra does
 * for {@code Accept: application/json}; 404 for an unknown job. It can be made to fail ({@link
 * #failWith}), to answer malformed JSON ({@link #serveMalformed}), or to go away and come back on
 * the same port ({@link #goDown}, {@link #comeBack}).
 */
public final class HydraStandIn implements AutoCloseable {

  private enum Mode {
    NORMAL,
    FAILING,
    MALFORMED
  }

  private final Map<String, String> latestByJob = new ConcurrentHashMap<>();
  private final Map<String, String> buildsById = new ConcurrentHashMap<>();
  private final AtomicInteger requests = new AtomicInteger();
  private final int port;
  private volatile Mode mode = Mode.NORMAL;
  private volatile int failureStatus = 500;
  private HttpServer server;

  private HydraStandIn() {
    server = listen(0);
    port = server.getAddress().getPort();
  }

  public static HydraStandIn start() {
    return new HydraStandIn();
  }

  /** Makes build {@code buildId} with output {@code storePath} the job's latest finished build. */
  public void publish(String project, String jobset, String job, long buildId, String storePath) {
    String json =
        "{\"id\": "
            + buildId
            + ", \"buildstatus\": 0, \"finished\": 1"
            + ", \"project\": "
            + json(project)
            + ", \"jobset\": "
            + json(jobset)
            + ", \"job\": "
            + json(job)
            + ", \"nixname\": "
            + json(job)
            + ", \"system\": \"x86_64-linux\""
            + ", \"timestamp\": "
            + System.currentTimeMillis() / 1000
            + ", \"buildoutputs\": {\"out\": {\"path\": "
            + json(storePath)
            + "}}}";
    latestByJob.put(project + "/" + jobset + "/" + job, json);
    buildsById.put(String.valueOf(buildId), json);
  }

  /** From now on every request gets {@code status} (e.g. 500, 503). */
  public void failWith(int status) {
    failureStatus = status;
    mode = Mode.FAILING;
  }

  /** From now on known jobs get a 200 with a body that is not valid JSON. */
  public void serveMalformed() {
    mode = Mode.MALFORMED;
  }

  /** Back to normal answers after {@link #failWith} or {@link #serveMalformed}. */
  public void serveNormally() {
    mode = Mode.NORMAL;
  }

  /** Stops listening: connections are refused until {@link #comeBack}. */
  public synchronized void goDown() {
    if (server != null) {
      server.stop(0);
      server = null;
    }
  }

  /** Listens again on the same port. */
  public synchronized void comeBack() {
    if (server == null) {
      server = listen(port);
    }
  }

  /** {@code http://127.0.0.1:PORT} (no trailing slash). */
  public String url() {
    return "http://127.0.0.1:" + port;
  }

  public int requestCount() {
    return requests.get();
  }

  @Override
  public void close() {
    goDown();
  }

  private HttpServer listen(int port) {
    try {
      HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
      http.createContext("/", this::serve);
      http.start();
      return http;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void serve(HttpExchange exchange) throws IOException {
    requests.incrementAndGet();
    try (exchange) {
      if (mode == Mode.FAILING) {
        respond(exchange, failureStatus, "{\"error\": \"stand-in failure\"}");
        return;
      }
      String path = exchange.getRequestURI().getPath();
      String body = null;
      if (path.startsWith("/job/") && path.endsWith("/latest")) {
        body = latestByJob.get(path.substring(5, path.length() - 7));
      } else if (path.startsWith("/build/")) {
        body = buildsById.get(path.substring(7));
      }
      if (body == null || !exchange.getRequestMethod().equals("GET")) {
        respond(exchange, 404, "{\"error\": \"no such build\"}");
      } else if (mode == Mode.MALFORMED) {
        respond(exchange, 200, body.substring(0, body.length() / 2) + "<html>oops");
      } else {
        respond(exchange, 200, body);
      }
    }
  }

  private static void respond(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static String json(String s) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }
}
