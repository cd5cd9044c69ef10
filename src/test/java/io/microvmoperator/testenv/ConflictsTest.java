package io.microvmoperator.testenv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class ConflictsTest {

  @Test
  void anEditThatMetAConflictIsMadeAgain() {
    AtomicInteger calls = new AtomicInteger();
    String result =
        Conflicts.editAgainOnConflict(
            () -> {
              if (calls.incrementAndGet() < 3) {
                throw new KubernetesClientException("the object has been modified", 409, null);
              }
              return "edited";
            });
    assertThat(result).isEqualTo("edited");
    assertThat(calls).hasValue(3);
  }

  @Test
  void otherErrorsAndEndlessConflictsAreThrown() {
    AtomicInteger calls = new AtomicInteger();
    assertThatThrownBy(() -> Conflicts.editAgainOnConflict(failing(403, "forbidden", calls)))
        .hasMessageContaining("forbidden");
    assertThat(calls).hasValue(1);

    calls.set(0);
    assertThatThrownBy(() -> Conflicts.editAgainOnConflict(failing(409, "modified", calls)))
        .hasMessageContaining("modified");
    assertThat(calls).hasValue(10);
  }

  private static Supplier<String> failing(int code, String message, AtomicInteger calls) {
    return () -> {
      calls.incrementAndGet();
      throw new KubernetesClientException(message, code, null);
    };
  }
}
