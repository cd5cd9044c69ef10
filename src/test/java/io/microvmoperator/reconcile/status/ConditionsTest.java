package io.microvmoperator.reconcile.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.microvmoperator.reconcile.kube.Durations;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConditionsTest {

  private static final Instant T1 = Instant.parse("2026-11-25T10:00:00Z");
  private static final Instant T2 = Instant.parse("2026-11-25T11:00:00Z");

  @Test
  void aMessageFitsTheConditionSchema() {
    var conditions =
        new Conditions(List.of(), 1, T1)
            .set("Ready", "False", "BuildFailed", "x".repeat(40000))
            .set("Stalled", "True", "BuildFailed", null)
            .list();
    assertThat(conditions.get(0).getMessage()).hasSize(Conditions.MAX_MESSAGE).endsWith("...");
    assertThat(conditions.get(1).getMessage()).isEmpty();
  }

  @Test
  void keepsTheTransitionTimeUnlessTheStatusChanges() {
    var first = new Conditions(List.of(), 1, T1).set("Ready", "False", "Building", "a").list();

    var sameStatus = new Conditions(first, 2, T2).set("Ready", "False", "Deploying", "b");
    assertThat(sameStatus.find("Ready").orElseThrow().getLastTransitionTime())
        .isEqualTo(T1.toString());
    assertThat(sameStatus.find("Ready").orElseThrow().getObservedGeneration()).isEqualTo(2);
    assertThat(sameStatus.find("Ready").orElseThrow().getReason()).isEqualTo("Deploying");

    var flipped = new Conditions(first, 2, T2).set("Ready", "True", "Running", "c");
    assertThat(flipped.find("Ready").orElseThrow().getLastTransitionTime())
        .isEqualTo(T2.toString());
  }

  @Test
  void removesAndReportsTruth() {
    var conditions =
        new Conditions(List.of(), 1, T1)
            .set("Stalled", "True", "X", "y")
            .set("Ready", "False", "X", "y");
    assertThat(conditions.isTrue("Stalled")).isTrue();
    conditions.remove("Stalled");
    assertThat(conditions.find("Stalled")).isEmpty();
    assertThat(conditions.list()).extracting("type").containsExactly("Ready");
  }

  @Test
  void theKstatusStatesExcludeEachOther() {
    var conditions = new Conditions(List.of(), 1, T1).stalled("HostKeyMismatch", "wrong key");
    assertThat(conditions.list())
        .extracting("type", "status", "reason")
        .containsExactlyInAnyOrder(
            tuple("Stalled", "True", "HostKeyMismatch"),
            tuple("Ready", "False", "HostKeyMismatch"));

    conditions.reconciling("HostUnreachable", "timed out");
    assertThat(conditions.list())
        .extracting("type", "status", "reason")
        .containsExactlyInAnyOrder(
            tuple("Reconciling", "True", "HostUnreachable"),
            tuple("Ready", "False", "HostUnreachable"));

    conditions.stalled("HostUnreachable", "for 5m");
    assertThat(conditions.find("Reconciling")).isEmpty();

    conditions.ready("Reachable", "ok");
    assertThat(conditions.list())
        .extracting("type", "status")
        .containsExactly(tuple("Ready", "True"));
  }

  @Test
  void suspendedKeepsOnlyTheDetailConditions() {
    var conditions =
        new Conditions(List.of(), 1, T1)
            .set("Reachable", "True", "Probed", "ok")
            .reconciling("Building", "b");

    conditions.suspended();

    assertThat(conditions.list()).extracting("type").containsExactly("Reachable");
  }

  @Test
  void sinceIsTheLastTransition() {
    var first = new Conditions(List.of(), 1, T1).set("Reachable", "False", "X", "a").list();
    var later = new Conditions(first, 1, T2).set("Reachable", "False", "X", "b");
    assertThat(later.since("Reachable")).contains(T1);
    assertThat(later.since("Ready")).isEmpty();
  }

  @Test
  void parsesDurationsLikeTheApi() {
    assertThat(Durations.parse("1h30m", null)).hasMinutes(90);
    assertThat(Durations.parse("250ms", null)).hasMillis(250);
    assertThat(Durations.parse("5x", java.time.Duration.ZERO)).isZero();
  }
}
