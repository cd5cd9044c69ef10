package io.microvmoperator.reliability;

import static io.microvmoperator.testenv.OperatorHarness.microVM;
import static org.assertj.core.api.Assertions.assertThat;

import io.microvmoperator.api.MicroVM;
import io.microvmoperator.testenv.NixStoreCall;
import io.microvmoperator.testenv.OperatorHarness;
import io.microvmoperator.testenv.PausePoint;
import io.microvmoperator.testenv.RunnerLinks;
import io.microvmoperator.testenv.TestFlake;
import io.microvmoperator.testenv.TestHost;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The operator dies at each step boundary of an update (after realising the new runner, after
 * swapping {@code current}, after writing {@code flake}, before and after the restart). One VM per
 * boundary, each on its own host, all held there at once; then the operator is stopped and its SSH
 * sessions are cut, and a new operator converges every VM with at most one extra restart and no
 * second build. The held host-side command either dies where it stands (a host that loses it) or
 * goes on without its session (what sshd does to a command whose client vanished).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperatorRestartIT {

  private static final String NS = "restarts";

  /** VM name -> where its update is held. */
  private static final Map<String, PausePoint> BOUNDARIES =
      Map.of(
          "at-realise", PausePoint.AFTER_REALISE,
          "at-swap", PausePoint.AFTER_ADD_ROOT,
          "at-flake", PausePoint.BEFORE_UNIT_STATE,
          "at-restart", PausePoint.BEFORE_RESTART,
          "restarted", PausePoint.AFTER_RESTART);

  private static final List<String> VMS = BOUNDARIES.keySet().stream().sorted().toList();

  @RegisterExtension static OperatorHarness env = OperatorHarness.withHosts(VMS.size());

  @BeforeAll
  static void deployVersion1() {
    env.ensureNamespace(NS);
    for (int i = 0; i < VMS.size(); i++) {
      env.registerHost(hostName(i), env.host(i), List.of(NS));
    }
    TestFlake flake = flake("v1");
    for (int i = 0; i < VMS.size(); i++) {
      env.apply(microVM(NS, VMS.get(i), hostName(i), flake.pathRef(), VMS.get(i)));
    }
    for (String vm : VMS) {
      awaitRunning(vm, "v1");
    }
  }

  @Test
  @Order(1)
  void heldCommandsThatDieWhereTheyStandAreFinishedByTheNextOperator() {
    updateAndKillTheOperatorAtEveryBoundary("v2", true);
  }

  @Test
  @Order(2)
  void heldCommandsWhoseSessionDiedAreEndedByTheHostAndFinishedByTheNextOperator() {
    updateAndKillTheOperatorAtEveryBoundary("v3", false);
  }

  private void updateAndKillTheOperatorAtEveryBoundary(String version, boolean killHeldCommands) {
    TestFlake flake = flake(version);
    for (int i = 0; i < VMS.size(); i++) {
      String vm = VMS.get(i);
      TestHost host = env.host(i);
      host.logs().resetLogs();
      host.faults().pauseAt(BOUNDARIES.get(vm), subject(vm, BOUNDARIES.get(vm), version));
      env.apply(microVM(NS, vm, hostName(i), flake.pathRef(), vm));
    }
    for (int i = 0; i < VMS.size(); i++) {
      env.host(i).faults().awaitPaused(BOUNDARIES.get(VMS.get(i)), Duration.ofSeconds(90));
      assertThat(RunnerLinks.problems(env.host(i), VMS.get(i)))
          .as("links of %s held at %s", VMS.get(i), BOUNDARIES.get(VMS.get(i)))
          .isEmpty();
    }

    env.hosts().all().forEach(host -> host.faults().goDown());
    env.stopOperator();
    env.hosts().all().forEach(TestHost::start);
    for (int i = 0; i < VMS.size(); i++) {
      PausePoint point = BOUNDARIES.get(VMS.get(i));
      if (killHeldCommands) {
        env.host(i).faults().killPaused(point);
      } else {
        env.host(i).faults().release(point);
      }
    }
    env.startOperator();

    for (int i = 0; i < VMS.size(); i++) {
      String vm = VMS.get(i);
      TestHost host = env.host(i);
      awaitRunning(vm, version);
      assertThat(RunnerLinks.problems(host, vm)).as("links of %s", vm).isEmpty();
      assertThat(host.readlink("/var/lib/microvms/" + vm + "/old").orElseThrow())
          .as("old of %s", vm)
          .endsWith("-microvm-" + vm + "-" + previous(version));
      assertThat(host.logs().auditLog().stream().filter(command -> command.contains("nix build")))
          .as("builds of %s", vm)
          .hasSize(1);
      assertThat(host.logs().starts(vm)).as("restarts of %s", vm).isBetween(1L, 2L);
      MicroVM done = env.get(NS, vm);
      assertThat(done.getStatus().history().get(0).storePath())
          .as("the deploy of %s is in its history", vm)
          .isEqualTo(done.getStatus().currentStorePath());
    }
    if (!killHeldCommands) {
      // The command held after realising lost its session: the host ended it where it stood
      // (SupervisedCommand), so it did not swap by itself even when let go; the next operator did.
      List<NixStoreCall> calls = env.host(VMS.indexOf("at-realise")).logs().nixStoreLog();
      long held =
          calls.stream()
              .filter(c -> c.root().isEmpty() && c.args().get(1).endsWith("at-realise-" + version))
              .findFirst()
              .orElseThrow()
              .callerPid();
      assertThat(calls)
          .noneMatch(c -> c.callerPid() == held && c.root().endsWith("/at-realise/current"));
      assertThat(calls).anyMatch(c -> c.root().endsWith("/at-realise/current"));
    }
    assertThat(
            env.client().v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> e.getReason().equals("DriftCorrected"))
                .map(e -> e.getInvolvedObject().getName() + ": " + e.getMessage()))
        .as("finishing an interrupted update is no drift")
        .isEmpty();
  }

  /** What the pause of {@code vm} at {@code point} is narrowed to, for the update to version. */
  private static String subject(String vm, PausePoint point, String version) {
    return switch (point) {
      case AFTER_REALISE -> "-microvm-" + vm + "-" + version;
      case AFTER_ADD_ROOT -> "/var/lib/microvms/" + vm + "/current";
      case BEFORE_UNIT_STATE -> "microvm@" + vm + ".service ActiveState NRestarts";
      default -> "microvm@" + vm;
    };
  }

  private static MicroVM awaitRunning(String vm, String version) {
    return env.awaitRunner(NS, vm, "-microvm-" + vm + "-" + version, Duration.ofSeconds(120));
  }

  private static TestFlake flake(String version) {
    TestFlake flake = TestFlake.create(env.hosts().root().resolve("flake-" + version));
    VMS.forEach(vm -> flake.runner(vm, version));
    return flake;
  }

  private static String previous(String version) {
    return "v" + (Integer.parseInt(version.substring(1)) - 1);
  }

  private static String hostName(int index) {
    return "restarts-host" + (index + 1);
  }
}
