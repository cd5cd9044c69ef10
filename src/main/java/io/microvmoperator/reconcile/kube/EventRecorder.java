package io.microvmoperator.reconcile.kube;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records Kubernetes Events about a resource, in its namespace ("default" for a cluster-scoped
 * one). A repeated reason and message for the same object increments the existing Event's count
 * instead of creating another one.
 */
public final class EventRecorder implements Events {

  private static final Logger log = LoggerFactory.getLogger(EventRecorder.class);
  private static final String COMPONENT = "microvm-operator";

  private final KubernetesClient client;
  private final Clock clock;

  /**
   * Where Events about cluster-scoped objects (MicroVMHosts) go: the API server accepts them only
   * in "default" (with an empty involvedObject.namespace), as for Nodes; {@code kubectl describe}
   * finds them there.
   */
  static final String CLUSTER_SCOPED_NAMESPACE = "default";

  public EventRecorder(KubernetesClient client, Clock clock) {
    this.client = client;
    this.clock = clock;
  }

  @Override
  public void normal(HasMetadata about, String reason, String message) {
    record(about, "Normal", reason, message);
  }

  @Override
  public void warning(HasMetadata about, String reason, String message) {
    record(about, "Warning", reason, message);
  }

  private void record(HasMetadata about, String type, String reason, String message) {
    String namespace =
        Optional.ofNullable(about.getMetadata().getNamespace()).orElse(CLUSTER_SCOPED_NAMESPACE);
    String name = about.getMetadata().getName() + "." + hash(type, reason, message);
    String now = clock.instant().toString();
    try {
      var events = client.v1().events().inNamespace(namespace);
      ObjectMeta meta = new ObjectMetaBuilder().withName(name).withNamespace(namespace).build();
      try {
        events.resource(newEvent(about, meta, new Said(type, reason, message), now)).create();
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
          throw e;
        }
      }
      // Said before: one more of the same, counted (first asked: most Events are new)
      Event existing = events.withName(name).get();
      if (existing != null) {
        existing.setCount(Optional.ofNullable(existing.getCount()).orElse(1) + 1);
        existing.setLastTimestamp(now);
        events.resource(existing).update();
      }
    } catch (KubernetesClientException e) {
      log.warn("cannot record event {} for {}: {}", reason, name, e.getMessage());
    }
  }

  /** What an Event says: its type, reason and message. */
  private record Said(String type, String reason, String message) {}

  private static Event newEvent(HasMetadata about, ObjectMeta meta, Said said, String now) {
    String message = said.message();
    return new EventBuilder()
        .withMetadata(meta)
        .withNewInvolvedObject()
        .withApiVersion(about.getApiVersion())
        .withKind(about.getKind())
        .withName(about.getMetadata().getName())
        .withNamespace(about.getMetadata().getNamespace())
        .withUid(about.getMetadata().getUid())
        .endInvolvedObject()
        .withType(said.type())
        .withReason(said.reason())
        .withMessage(message.length() > 1000 ? message.substring(0, 1000) : message)
        .withCount(1)
        .withFirstTimestamp(now)
        .withLastTimestamp(now)
        .withNewSource()
        .withComponent(COMPONENT)
        .endSource()
        .withReportingComponent(COMPONENT)
        .build();
  }

  private static String hash(String... parts) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      for (String part : parts) {
        digest.update(part.getBytes(StandardCharsets.UTF_8));
        digest.update((byte) 0);
      }
      return HexFormat.of().formatHex(digest.digest(), 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
