package io.microvmoperator.reconcile.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.microvmoperator.api.MicroVMHost;
import io.microvmoperator.api.MicroVMHostStatus;
import io.microvmoperator.reconcile.fakes.RecordingEvents;
import io.microvmoperator.reconcile.status.Conditions;
import java.time.Instant;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** One Event for each change of what a MicroVMHost's status says, none for a repeated probe. */
class HostEventsTest {

  private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");
  private final RecordingEvents recorded = new RecordingEvents();
  private final HostEvents events = new HostEvents(recorded);
  private final MicroVMHost host = new MicroVMHost();

  HostEventsTest() {
    host.setMetadata(new ObjectMetaBuilder().withName("h").build());
  }

  private static MicroVMHostStatus status(
      MicroVMHostStatus prior, UnaryOperator<Conditions> change, String trusted) {
    Conditions conditions =
        change.apply(new Conditions(prior == null ? null : prior.conditions(), 1, NOW));
    return new MicroVMHostStatus(conditions.list(), 1L, "SHA256:x", trusted, null, null, null);
  }

  @Test
  void eachChangeIsOneEventAndARepeatedProbeNone() {
    MicroVMHostStatus empty = new MicroVMHostStatus(null, null, null, null, null, null, null);
    MicroVMHostStatus probing = status(null, c -> c.reconciling("Probing", "first"), null);
    MicroVMHostStatus ready = status(probing, c -> c.ready("Reachable", "ok"), "ssh-ed25519 A");
    MicroVMHostStatus down = status(ready, c -> c.reconciling("HostUnreachable", "timed out"), "k");
    MicroVMHostStatus downLong = status(down, c -> c.stalled("HostUnreachable", "since"), "k");
    MicroVMHostStatus mismatch = status(downLong, c -> c.stalled("HostKeyMismatch", "key"), "k");
    MicroVMHostStatus suspended = status(mismatch, Conditions::suspended, "k");

    events.changed(host, empty, probing);
    events.changed(host, probing, ready);
    events.changed(host, ready, ready);
    events.changed(host, ready, down);
    events.changed(host, down, down);
    events.changed(host, down, downLong);
    events.changed(host, downLong, mismatch);
    events.changed(host, mismatch, suspended);

    assertThat(recorded.reasons())
        .containsExactly(
            "HostKeyTrusted",
            "Reachable",
            "HostUnreachable",
            "HostUnreachable",
            "HostKeyMismatch",
            "Suspended");
    assertThat(recorded.recorded.get(0)).startsWith("Normal HostKeyTrusted: trust on first use");
    assertThat(recorded.recorded.get(3)).isEqualTo("Warning HostUnreachable: since");
  }

  @Test
  void nothingForAStatusThatStaysTheSame() {
    MicroVMHostStatus stalled = status(null, c -> c.stalled("SecretNotFound", "gone"), null);
    events.changed(host, stalled, status(stalled, c -> c.stalled("SecretNotFound", "gone"), null));
    assertThat(recorded.recorded).isEmpty();
  }
}
