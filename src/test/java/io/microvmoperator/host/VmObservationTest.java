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

  private static VmObservation unit(String activeState, String subState) {
    return new VmObservation("web", "", "", false, "", activeState, subState, 0, 0, "", "");
  }
}
