package io.microvmoperator.testenv;

import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.function.Supplier;

/**
 * A test's edit of an object the operator writes too: fabric8's {@code edit} sends the
 * resourceVersion it read, so a status write in between fails it with 409 Conflict. It is then read
 * and edited again, as a person does after kubectl's "the object has been modified".
 */
public final class Conflicts {

  private static final int ATTEMPTS = 10;

  private Conflicts() {}

  /** Runs {@code edit}, again after each 409 Conflict, up to {@value #ATTEMPTS} times. */
  public static <T> T editAgainOnConflict(Supplier<T> edit) {
    for (int attempt = 1; ; attempt++) {
      try {
        return edit.get();
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 || attempt == ATTEMPTS) {
          throw e;
        }
      }
    }
  }
}
