package io.microvmoperator.host;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class VmObservationTest {

  @Test
  void aUnitWaitingToRunItsRunnerAgainIsNeitherActiveNorStopped() {
    VmObservation waiting = unit("activating", "auto-restart");
    assertThat(waiting.active()).isFalse();
    assertThat(waiting.waitingToRunAgain()).isTrue();
    assertThat(waiting.runsOrWillRun()).as("a stop is needed to end it").isTrue();

    VmObservation booting = unit("activating", "start");
    assertThat(booting.waitingToRunAgain()).isFalse();
    assertThat(booting.runsOrWillRun()).isTrue();

    assertThat(unit("active", "running").runsOrWillRun()).isTrue();
    assertThat(unit("failed", "failed").runsOrWillRun()).isFalse();
    assertThat(unit("inactive", "dead").runsOrWillRun()).isFalse();
    assertThat(unit("inactive", "dead").waitingToRunAgain()).isFalse();
  }

  /**
   * systemd's restart job (Restart=always) stops the unit, then waits with it inactive and the job
   * queued until the units it needs have started again; NRestarts already counts that run.
   */
  @Test
  void aRestartJobBetweenItsStopAndItsStartWillRunTheRunnerAgain() {
    VmObservation between = unit("inactive", "dead", 1, true);
    assertThat(between.startQueued()).isTrue();
    assertThat(between.waitingToRunAgain()).isTrue();
    assertThat(between.runsOrWillRun()).as("a stop is needed to end it").isTrue();
    assertThat(between.endsSinceStart()).as("NRestarts counts it already").isEqualTo(1);
    assertThat(unit("failed", "failed", 1, true).startQueued()).isTrue();

    assertThat(unit("activating", "auto-restart", 1, false).endsSinceStart())
        .as("waiting RestartSec: this end is not counted yet")
        .isEqualTo(2);
    assertThat(unit("activating", "auto-restart", 1, true).endsSinceStart())
        .as("RestartSec over, the restart job queued: counted")
        .isEqualTo(1);
    assertThat(unit("activating", "start", 0, true).startQueued())
        .as("a start in progress")
        .isFalse();
    assertThat(unit("inactive", "dead", 1, false).runsOrWillRun()).isFalse();
    assertThat(unit("inactive", "dead", 1, false).stopped()).isTrue();
    assertThat(between.stopped()).as("the restart job will start it").isFalse();
  }

  private static VmObservation unit(String activeState, String subState) {
    return unit(activeState, subState, 0, false);
  }

  private static VmObservation unit(
      String activeState, String subState, long restarts, boolean jobQueued) {
    return new VmObservation(
        "web", "", "", false, "", activeState, subState, 0, restarts, "", jobQueued, "");
  }
}
