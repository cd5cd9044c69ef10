package io.microvmoperator.gitops;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Compares a live object with the committed fixture of its state (under {@link
 * ArgoCdHealth#CUSTOMIZATIONS}), by what kstatus and the Argo CD checks read: each condition's
 * type, status and reason (for a MicroVM: Ready, Reconciling and Stalled; for a MicroVMHost: all),
 * whether the status is of the current generation, spec.suspend, whether it is being deleted, and
 * the phase. Messages, times, names and store paths are not compared. The live object is written to
 * {@code target/gitops-live/} so a stale fixture can be replaced by what the operator wrote.
 */
final class LiveFixtures {

  static final Path LIVE = Path.of("target/gitops-live");
  private static final List<String> KSTATUS = List.of("Ready", "Reconciling", "Stalled");

  private LiveFixtures() {}

  /** Removes the live objects of an earlier run. */
  static void clear() throws IOException {
    if (Files.isDirectory(LIVE)) {
      try (var files = Files.walk(LIVE)) {
        for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(file);
        }
      }
    }
  }

  /** Fails unless {@code liveYaml} (kubectl get -o yaml) is in the state of {@code fixture}. */
  static void assertMatches(String fixture, String liveYaml) {
    try {
      Path written = LIVE.resolve(fixture);
      Files.createDirectories(written.getParent());
      Files.writeString(written, liveYaml);
      String committed = Files.readString(ArgoCdHealth.CUSTOMIZATIONS.resolve(fixture));
      assertThat(shape(liveYaml))
          .as("the live object (%s) against the fixture %s", written, fixture)
          .isEqualTo(shape(committed));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> shape(String yaml) {
    Map<String, Object> object = Serialization.unmarshal(yaml, Map.class);
    Map<String, Object> metadata = child(object, "metadata");
    Map<String, Object> spec = child(object, "spec");
    Map<String, Object> status = child(object, "status");
    boolean host = "MicroVMHost".equals(object.get("kind"));
    Map<String, Object> shape = new TreeMap<>();
    shape.put("kind", object.get("kind"));
    shape.put("deleting", metadata.get("deletionTimestamp") != null);
    shape.put("suspend", Boolean.TRUE.equals(spec.get("suspend")));
    shape.put("status", status.isEmpty() ? "none" : generationRelation(metadata, status));
    shape.put("phase", Objects.toString(status.get("phase"), ""));
    TreeSet<String> conditions = new TreeSet<>();
    for (Map<String, Object> c :
        Optional.ofNullable((List<Map<String, Object>>) status.get("conditions"))
            .orElse(List.of())) {
      if (host || KSTATUS.contains(c.get("type"))) {
        conditions.add(c.get("type") + "=" + c.get("status") + " (" + c.get("reason") + ")");
      }
    }
    shape.put("conditions", conditions);
    return shape;
  }

  private static String generationRelation(
      Map<String, Object> metadata, Map<String, Object> status) {
    Object observed = status.get("observedGeneration");
    if (observed == null) {
      return "no observedGeneration";
    }
    long generation = ((Number) metadata.get("generation")).longValue();
    return ((Number) observed).longValue() == generation ? "of this generation" : "older";
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> child(Map<String, Object> object, String key) {
    return Optional.ofNullable((Map<String, Object>) object.get(key)).orElse(Map.of());
  }
}
