package io.microvmoperator.testenv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.concurrent.atomic.AtomicInteger;
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
    assertThatThrownBy(
            () ->
                Conflicts.editAgainOnConflict(
                    () -> {
                      calls.incrementAndGet();
                      throw new KubernetesClientException("forbidden", 403, null);
                    }))
        .hasMessageContaining("forbidden");
    assertThat(calls).hasValue(1);

    calls.set(0);
    assertThatThrownBy(
            () ->
                Conflicts.editAgainOnConflict(
                    () -> {
                      calls.incrementAndGet();
                      throw new KubernetesClientException("modified", 409, null);
                    }))
        .hasMessageContaining("modified");
    assertThat(calls).hasValue(10);
  }
}
