package io.microvmoperator.reconcile.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How Secret reads meet an API server that fails, against a local HTTP server that answers each
 * request as a test scripts it: a Secret, an HTTP status, or a connection closed without an answer.
 */
class OperatorSecretsTest {

  private static final String SECRET_JSON =
      """
      {"apiVersion":"v1","kind":"Secret","metadata":{"name":"key","namespace":"ops"},
       "stringData":{"id_ed25519":"k"}}
      """;

  /** What the server does with a request: -1 closes the connection, 200 answers the Secret. */
  private final Deque<Integer> answers = new ArrayDeque<>();

  private final AtomicInteger requests = new AtomicInteger();
  private HttpServer server;
  private KubernetesClient shared;
  private OperatorSecrets secrets;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/api/v1/namespaces/ops/secrets/key", this::answer);
    server.start();
    shared =
        new KubernetesClientBuilder()
            .withConfig(
                new ConfigBuilder()
                    .withMasterUrl("http://127.0.0.1:" + server.getAddress().getPort())
                    .withNamespace("ops")
                    .build())
            .build();
    secrets = new OperatorSecrets(shared, "ops");
  }

  @AfterEach
  void stop() {
    secrets.close();
    shared.close();
    server.stop(0);
  }

  @Test
  void aConnectionClosedWithoutAnAnswerIsTriedOnceMoreByTheHttpClient() throws IOException {
    answers.add(-1);
    answers.add(200);

    assertThat(secrets.get("key")).map(s -> s.getStringData().get("id_ed25519")).contains("k");
    assertThat(requests).hasValue(2);
  }

  @Test
  void withoutAnAnswerAndNoSecretReadBeforeTheReadFailsAsAnUnreachableHostDoes() {
    answers.add(-1);
    answers.add(-1);

    assertThatThrownBy(() -> secrets.get("key"))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("cannot read Secret ops/key: the API server did not answer");
    assertThat(requests).as("the HTTP client's one more try, not a back-off").hasValue(2);
  }

  @Test
  void aServerErrorIsNotRetried() {
    answers.add(503);

    assertThatThrownBy(() -> secrets.get("key"))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("cannot read Secret ops/key: the API server did not answer");
    assertThat(requests).hasValue(1);
  }

  @Test
  void whileTheApiServerDoesNotAnswerTheSecretReadBeforeIsUsed() throws IOException {
    answers.add(200);
    answers.add(503);
    answers.add(-1);
    answers.add(-1);

    Secret first = secrets.get("key").orElseThrow();
    assertThat(secrets.get("key")).contains(first);
    assertThat(secrets.get("key")).contains(first);
    assertThat(requests).hasValue(4);
  }

  @Test
  void aRefusalIsNeverPaperedOver() throws IOException {
    answers.add(200);
    answers.add(403);

    secrets.get("key");
    assertThatThrownBy(() -> secrets.get("key"))
        .isInstanceOf(KubernetesClientException.class)
        .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(403));
  }

  private void answer(HttpExchange exchange) throws IOException {
    requests.incrementAndGet();
    Integer status = answers.poll();
    if (status == null || status < 0) {
      exchange.close();
      return;
    }
    byte[] body =
        (status == 200 ? SECRET_JSON : "{\"kind\":\"Status\",\"code\":" + status + "}")
            .getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, body.length);
    exchange.getResponseBody().write(body);
    exchange.close();
  }
}
