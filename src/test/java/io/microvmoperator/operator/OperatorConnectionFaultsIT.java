package io.microvmoperator.operator;

import static io.microvmoperator.testenv.OperatorHarness.microVM;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMHost;
import io.microvmoperator.api.MicroVMHostSpec;
import io.microvmoperator.testenv.OperatorHarness;
import io.microvmoperator.testenv.PausePoint;
import io.microvmoperator.testenv.SilentServer;
import io.microvmoperator.testenv.TestFlake;
import io.microvmoperator.testenv.TestHost;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The operator under connection faults: a host that never answers, a connection cut in the middle
 * of a deploy, a server that allows one session, and a host that keeps going down and up.
 */
class OperatorConnectionFaultsIT {

  @RegisterExtension static OperatorHarness env = OperatorHarness.withHosts(3);

  /** How long the host flaps; -Dfaults.operatorFlapSeconds=300 for minutes. */
  private static final int FLAP_SECONDS = Integer.getInteger("faults.operatorFlapSeconds", 30);

  private static final String NS = "connfaults";

  @BeforeAll
  static void setUp() {
    env.ensureNamespace(NS);
  }

  @Test
  void aHostThatAcceptsTcpButNeverAnswersIsReportedUnreachableAtTheConnectTimeout() {
    try (SilentServer silent = SilentServer.start("127.0.0.10")) {
      long registered = System.nanoTime();
      register("connfaults-silent", silent.address(), silent.port(), env.host(0));
      env.apply(microVM(NS, "silent", "connfaults-silent", "path:/tmp/x", "app"));

      MicroVMHost host = awaitHostReady("connfaults-silent", "False");
      long reported = System.nanoTime();
      Condition ready = ready(host).orElseThrow();
      assertThat(ready.getReason()).isEqualTo("HostUnreachable");
      assertThat(ready.getMessage()).contains("no SSH login to").contains("within 10s");
      MicroVM vm = env.awaitCondition(NS, "silent", "HostReachable", "False");
      assertThat(env.condition(vm, "Ready").orElseThrow().getStatus()).isEqualTo("False");
      System.out.printf(
          "[figures] operator, silent host: reported HostUnreachable %d ms after registration%n",
          (reported - registered) / 1_000_000);
      env.client().resource(vm).delete();
      env.client().resources(MicroVMHost.class).withName("connfaults-silent").delete();
      await().atMost(Duration.ofSeconds(60)).until(() -> env.get(NS, "silent") == null);
    }
  }

  @Test
  void aConnectionCutInTheMiddleOfADeployIsFinishedByTheNextReconcile() throws Exception {
    TestHost host = env.host(0);
    TestFlake flake = TestFlake.create(env.hosts().root().resolve("cut")).runner("cut", "v1");
    env.registerHost("connfaults-cut", host, List.of(NS));
    MicroVM v1 =
        env.applyAndAwaitReady(microVM(NS, "cut", "connfaults-cut", flake.pathRef(), "cut"));
    String first = v1.getStatus().currentStorePath();

    // Catch the deploy of v2 after it swapped current and wrote flake, just before the restart.
    host.faults().pauseAt(PausePoint.BEFORE_RESTART, "microvm@cut");
    try {
      flake.runner("cut", "v2");
      env.annotate(NS, "cut", "microvm-operator.io/reconcile-requested-at", "v2");
      long deploy = host.faults().awaitPaused(PausePoint.BEFORE_RESTART, Duration.ofSeconds(90));
      assertThat(host.readlink("/var/lib/microvms/cut/current").orElseThrow()).endsWith("-cut-v2");
      assertThat(host.readlink("/var/lib/microvms/cut/booted")).contains(first);
      assertThat(host.readlink("/var/lib/microvms/cut/old")).contains(first);

      host.faults().cutConnections();

      await()
          .atMost(Duration.ofSeconds(10))
          .alias("the cut deploy (process group " + deploy + ") ends on the host")
          .until(() -> !processGroupRuns(deploy));
      assertThat(host.readlink("/var/lib/microvms/cut/booted"))
          .as("not restarted yet")
          .contains(first);
    } finally {
      host.faults().release(PausePoint.BEFORE_RESTART);
    }

    MicroVM done =
        env.awaitMicroVM(
            NS,
            "cut",
            Duration.ofSeconds(90),
            vm ->
                vm.getStatus() != null
                    && vm.getStatus().bootedStorePath() != null
                    && vm.getStatus().bootedStorePath().endsWith("-cut-v2")
                    && env.condition(vm, "Ready")
                        .map(c -> c.getStatus().equals("True"))
                        .orElse(false));
    assertThat(host.readlink("/var/lib/microvms/cut/current"))
        .contains(done.getStatus().currentStorePath());
    assertThat(host.readlink("/var/lib/microvms/cut/booted"))
        .contains(done.getStatus().currentStorePath());
    assertThat(host.logs().starts("cut")).as("one start, then one restart to v2").isEqualTo(2);
  }

  @Test
  void aServerThatAllowsOneSessionGetsItsVMsDeployedWithoutAFailureStorm() {
    TestHost narrow = env.host(1);
    narrow.setMaxSessions(1).restart();
    int logMark = narrow.logs().sshdLog().length();
    narrow.logs().resetLogs();
    TestFlake flake = TestFlake.create(env.hosts().root().resolve("narrow"));
    for (int i = 0; i < 4; i++) {
      flake.runner("narrow" + i, "v1");
    }
    env.registerHost("connfaults-narrow", narrow, List.of(NS));
    for (int i = 0; i < 4; i++) {
      env.apply(microVM(NS, "narrow" + i, "connfaults-narrow", flake.pathRef(), "narrow" + i));
    }
    for (int i = 0; i < 4; i++) {
      env.awaitCondition(NS, "narrow" + i, "Ready", "True");
    }

    long commands = narrow.logs().auditLog().size();
    long refused = narrow.logs().refusedSessionsSince(logMark);
    // Four channels at once would have most opens refused, again and again; the operator drops
    // to one channel after the first refusals and pauses before reusing a freed one.
    assertThat(refused)
        .as("refused channels, out of %d commands", commands)
        .isLessThanOrEqualTo(3 + commands / 2);
    System.out.printf(
        "[figures] operator, MaxSessions 1: 4 VMs deployed with %d commands; channels refused"
            + " by the server: %d%n",
        commands, refused);
  }

  @Test
  void aFlappingHostConvergesWithoutExtraRestartsAndWithinTheLoginBudget() throws Exception {
    TestHost flapping = env.host(2);
    TestFlake flake = TestFlake.create(env.hosts().root().resolve("flap")).runner("flap", "v1");
    env.registerHost("connfaults-flap", flapping, List.of(NS));
    env.applyAndAwaitReady(microVM(NS, "flap", "connfaults-flap", flake.pathRef(), "flap"));
    long loginsBefore = logins("connfaults-flap", "succeeded");
    long failedBefore = logins("connfaults-flap", "failed");

    int cycles =
        flapping
            .faults()
            .flap(Duration.ofSeconds(FLAP_SECONDS), Duration.ofSeconds(3), Duration.ofSeconds(3));
    env.awaitCondition(NS, "flap", "Ready", "True");
    awaitHostReady("connfaults-flap", "True");

    long logins = logins("connfaults-flap", "succeeded") - loginsBefore;
    long failed = logins("connfaults-flap", "failed") - failedBefore;
    assertThat(flapping.logs().starts("flap")).as("flapping restarts no VM").isEqualTo(1);
    System.out.printf(
        "[figures] operator, flapping host: %d s, %d cycles of 3 s down + 3 s up; logins %d,"
            + " failed login attempts %d (probes every 5 s); all hosts: %s%n",
        FLAP_SECONDS,
        cycles,
        logins,
        failed,
        env.metrics()
            .lines()
            .filter(l -> l.startsWith("microvm_operator_ssh_logins_total"))
            .toList());
    // The model: per cycle a login cut by the host going down, at most 3 attempts in 3 s of down
    // time (waits of at least 0.5 s and 1 s) and one login when up, so 5; a caller that ignores
    // the back-off makes hundreds.
    assertThat(logins + failed).isLessThanOrEqualTo(5L * cycles + 2);
  }

  private static boolean processGroupRuns(long group) {
    return ProcessHandle.allProcesses()
        .anyMatch(
            p -> {
              try {
                String stat = Files.readString(Path.of("/proc/" + p.pid() + "/stat"));
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                return !fields[0].equals("Z") && Long.parseLong(fields[2]) == group;
              } catch (IOException | RuntimeException e) {
                return false;
              }
            });
  }

  /** The operator's count of SSH login attempts to {@code host} with {@code result}. */
  private static long logins(String host, String result) {
    Matcher m =
        Pattern.compile(
                "microvm_operator_ssh_logins_total\\{host=\""
                    + host
                    + "\",result=\""
                    + result
                    + "\"} ([0-9.E]+)")
            .matcher(env.metrics());
    return m.find() ? (long) Double.parseDouble(m.group(1)) : 0;
  }

  private static void register(String name, String address, int port, TestHost keysFrom) {
    env.client()
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(name + "-ssh")
                .withNamespace(OperatorHarness.OPERATOR_NAMESPACE)
                .endMetadata()
                .withStringData(Map.of("id_ed25519", keysFrom.clientPrivateKey()))
                .build())
        .serverSideApply();
    MicroVMHost host = new MicroVMHost();
    host.setMetadata(new ObjectMetaBuilder().withName(name).build());
    host.setSpec(
        new MicroVMHostSpec(
            address,
            port,
            "root",
            new MicroVMHostSpec.SecretKeyRef(name + "-ssh", "id_ed25519"),
            List.of(keysFrom.hostKeyLine()),
            null,
            null,
            null,
            "5s",
            List.of(NS),
            List.of(OperatorHarness.LOCAL_FLAKES),
            null));
    env.client().resource(host).serverSideApply();
  }

  private static MicroVMHost awaitHostReady(String name, String status) {
    return await()
        .atMost(Duration.ofSeconds(90))
        .until(
            () -> env.client().resources(MicroVMHost.class).withName(name).get(),
            h ->
                h != null
                    && ready(h)
                        // "Probing" is written before the first probe: not its result yet.
                        .filter(c -> !c.getReason().equals("Probing"))
                        .map(c -> c.getStatus().equals(status))
                        .orElse(false));
  }

  private static Optional<Condition> ready(MicroVMHost host) {
    if (host.getStatus() == null || host.getStatus().conditions() == null) {
      return Optional.empty();
    }
    return host.getStatus().conditions().stream()
        .filter(c -> c.getType().equals("Ready"))
        .findFirst();
  }
}
