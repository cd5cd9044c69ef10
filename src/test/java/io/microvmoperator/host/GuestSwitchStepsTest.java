package io.microvmoperator.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.microvmoperator.host.GuestSwitchOutcome.Kind;
import io.microvmoperator.nix.StorePath;
import io.microvmoperator.nix.VmName;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How the guest scripts' output is read: each outcome, and when the rollback runs. */
class GuestSwitchStepsTest {

  private static final String S1 = "/nix/store/" + "a".repeat(32) + "-nixos-system-web-v1";
  private static final String S2 = "/nix/store/" + "b".repeat(32) + "-nixos-system-web-v2";
  private static final GuestSwitch REQUEST =
      new GuestSwitch(
          new VmName("web"),
          new StorePath(S2),
          new StorePath("/nix/store/" + "r".repeat(32) + "-registration"));

  private final List<String> commands = new ArrayList<>();
  private final Deque<CommandResult> answers = new ArrayDeque<>();
  private final CommandRunner guest =
      (command, stdin, deadline) -> {
        commands.add(command);
        return answers.removeFirst();
      };

  @Test
  void anActivationThatMadeTheNewSystemCurrentIsASwitch() throws Exception {
    answers.add(ok("host web\nprevious " + S1 + "\nactivation 0\ncurrent " + S2 + "\n"));

    GuestSwitchOutcome outcome = GuestSwitchSteps.run(guest, REQUEST);

    assertThat(outcome).isEqualTo(new GuestSwitchOutcome(Kind.SWITCHED, S1, S2, "switched"));
    assertThat(commands).hasSize(1);
    assertThat(commands.get(0))
        .startsWith(
            "# microvm-operator: guest-switch\nhostname='web'\nsystem='" + S2 + "'\nregistration='")
        .contains("switch-to-configuration\" switch");
  }

  @Test
  void anotherGuestOrAMissingSystemChangesNothingAndAFailedLoadActivatesNothing() throws Exception {
    answers.add(ok("host db\nprevious " + S1 + "\nother-host\n"));
    assertThat(GuestSwitchSteps.run(guest, REQUEST).kind()).isEqualTo(Kind.OTHER_GUEST);
    answers.add(ok("host web\nprevious " + S1 + "\nabsent\n"));
    assertThat(GuestSwitchSteps.run(guest, REQUEST).kind()).isEqualTo(Kind.NOT_IN_GUEST_STORE);
    answers.add(new CommandResult(1, "host web\nprevious " + S1 + "\n", "error: bad db\n", false));
    GuestSwitchOutcome notActivated = GuestSwitchSteps.run(guest, REQUEST);
    assertThat(notActivated.kind()).isEqualTo(Kind.NOT_ACTIVATED);
    assertThat(notActivated.detail()).contains("error: bad db");
    assertThat(commands).hasSize(3);
  }

  @Test
  void aFailedActivationIsSwitchedBackAndAFailedRollbackSaysSo() throws Exception {
    answers.add(
        new CommandResult(
            0,
            "host web\nprevious " + S1 + "\nactivation 4\ncurrent " + S2 + "\n",
            "warning: the following units failed: x.service\n",
            false));
    answers.add(ok("activation 0\ncurrent " + S1 + "\n"));
    GuestSwitchOutcome back = GuestSwitchSteps.run(guest, REQUEST);
    assertThat(back.kind()).isEqualTo(Kind.ROLLED_BACK);
    assertThat(back.current()).isEqualTo(S1);
    assertThat(back.detail())
        .startsWith("switch-to-configuration switch exited 4 and /run/current-system is " + S2)
        .contains("units failed");
    assertThat(commands.get(1))
        .startsWith("# microvm-operator: guest-rollback\nprevious='" + S1 + "'\n");

    answers.add(ok("host web\nprevious " + S1 + "\nactivation 0\ncurrent " + S1 + "\n"));
    answers.add(ok("activation 1\ncurrent " + S1 + "\n"));
    assertThat(GuestSwitchSteps.run(guest, REQUEST).kind()).isEqualTo(Kind.ROLLBACK_FAILED);
  }

  private static CommandResult ok(String stdout) {
    return new CommandResult(0, stdout, "", false);
  }
}
