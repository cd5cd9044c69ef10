package io.microvmoperator.reconcile.kube;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.microvmoperator.api.MicroVM;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class BackgroundEventsTest {

  private final CountDownLatch apiServerAnswers = new CountDownLatch(1);
  private final List<String> written = Collections.synchronizedList(new ArrayList<>());
  private final MicroVM vm = new MicroVM();

  /** Events written only once the test lets the "API server" answer. */
  private final Events slow =
      new Events() {
        @Override
        public void normal(HasMetadata about, String reason, String message) {
          write(reason);
        }

        @Override
        public void warning(HasMetadata about, String reason, String message) {
          write(reason);
        }

        private void write(String reason) {
          try {
            apiServerAnswers.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          written.add(reason);
        }
      };

  @Test
  void recordingDoesNotWaitAndFlushWaitsUntilThisThreadsEventsAreWritten() throws Exception {
    BackgroundEvents events = new BackgroundEvents(slow, 2);
    events.normal(vm, "BuildStarted", "building");
    events.warning(vm, "BuildFailed", "failed");
    assertThat(written).as("recording returned before the API server answered").isEmpty();

    Thread answer = new Thread(apiServerAnswers::countDown);
    answer.start();
    events.flush();

    assertThat(written).containsExactlyInAnyOrder("BuildStarted", "BuildFailed");
    answer.join();
    events.close();
  }

  @Test
  void closingWritesWhatWasRecorded() {
    BackgroundEvents events = new BackgroundEvents(slow, 1);
    events.normal(vm, "Deployed", "deployed");
    apiServerAnswers.countDown();

    events.close();

    assertThat(written).containsExactly("Deployed");
  }
}
