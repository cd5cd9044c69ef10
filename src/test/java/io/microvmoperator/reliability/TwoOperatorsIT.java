package io.microvmoperator.reliability;

import static io.microvmoperator.testenv.OperatorHarness.microVM;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.microvmoperator.host.BuildJob;
import io.microvmoperator.host.BuildRequest;
import io.microvmoperator.host.HostProtocol;
import io.microvmoperator.host.SshConnection;
import io.microvmoperator.nix.AbsolutePath;
import io.microvmoperator.nix.FlakeRef;
import io.microvmoperator.nix.NixName;
import io.microvmoperator.nix.VmName;
import io.microvmoperator.testenv.OperatorHarness;
import io.microvmoperator.testenv.OperatorProcess;
import io.microvmoperator.testenv.PausePoint;
import io.microvmoperator.testenv.RunnerLinks;
import io.microvmoperator.testenv.TestFlake;
import io.microvmoperator.testenv.TestHost;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two operators against one host: without leader election (a split brain) the host's lock keeps
 * their converges from interleaving; with leader election, the second replica takes over when the
 * leader dies.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TwoOperatorsIT {

  @RegisterExtension static OperatorHarness env = OperatorHarness.withHosts(2);

  private static final String NS = "two-operators";
  private static final Duration CONVERGED = Duration.ofSeconds(120);
  private static final String LEADING = "leading: this replica reconciles";

  @BeforeAll
  static void setUp() {
    env.ensureNamespace(NS);
    env.registerHost("split-host", env.host(0), List.of(NS));
    env.registerHost("replicas-host", env.host(1), List.of(NS));
  }

  /**
   * Both operators see the update of three VMs and converge each of them. One converge of {@code
   * split-a} is held after realising the new runner, with the lock taken; the other operator's
   * converge of the same VM starts meanwhile and waits for the lock, then finds nothing left to do.
   */
  @Test
  @Order(1)
  void twoOperatorsWithoutLeaderElectionNeverInterleaveTheirConverges() throws Exception {
    TestHost host = env.host(0);
    List<String> vms = List.of("split-a", "split-b", "split-c");
    TestFlake v1 = flake("split-v1", "v1", vms);
    vms.forEach(vm -> env.apply(microVM(NS, vm, "split-host", v1.pathRef(), vm)));
    vms.forEach(vm -> env.awaitRunner(NS, vm, "-microvm-" + vm + "-v1", CONVERGED));

    try (AutoCloseable second = env.startAnotherOperator()) {
      host.logs().resetLogs();
      host.faults().pauseAt(PausePoint.AFTER_REALISE, "-microvm-split-a-v2");
      TestFlake v2 = flake("split-v2", "v2", vms);
      vms.forEach(vm -> env.apply(microVM(NS, vm, "split-host", v2.pathRef(), vm)));
      host.faults().awaitPaused(PausePoint.AFTER_REALISE, CONVERGED);
      await().atMost(CONVERGED).until(() -> converges(host, "split-a") >= 2);
      host.faults().release(PausePoint.AFTER_REALISE);

      vms.forEach(vm -> env.awaitRunner(NS, vm, "-microvm-" + vm + "-v2", CONVERGED));
      await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(4)).until(() -> true);
    }
    for (String vm : vms) {
      assertThat(host.logs().starts(vm)).as("restarts of %s", vm).isEqualTo(1);
      assertThat(host.logs().nixStoreLog())
          .filteredOn(call -> call.root().equals("/var/lib/microvms/" + vm + "/current"))
          .as("swaps of %s", vm)
          .hasSize(1);
      assertThat(RunnerLinks.problems(host, vm)).as(vm).isEmpty();
    }
    System.out.printf(
        "split brain: converges of split-a, split-b, split-c: %d, %d, %d; one swap and one"
            + " restart each%n",
        converges(host, "split-a"), converges(host, "split-b"), converges(host, "split-c"));
  }

  /**
   * Twenty-four callers over six SSH connections (operators in a split brain) ask the host at the
   * same moment to build one slow runner, with the host's {@code setsid} slowed down so that the
   * moment between "no job runs" and "the job runs" is long: the job's lock lets exactly one of
   * them start it, every other finds it running, and all of them read the one result.
   */
  @Test
  @Order(2)
  void buildsStartedAtOnceBySeveralOperatorsStartOneJob() throws Exception {
    TestHost host = env.host(0);
    TestFlake flake =
        TestFlake.create(env.hosts().root().resolve("split-build")).slowBuild("split-job", "v1", 3);
    BuildRequest request =
        BuildRequest.ofFlake(
            new FlakeRef(flake.pathRef()), new NixName("split-job"), List.of(), List.of());
    VmName vm = new VmName("split-job");
    int callers = 24;
    CountDownLatch ready = new CountDownLatch(callers);
    ExecutorService pool = Executors.newFixedThreadPool(callers);
    List<SshConnection> connections = new ArrayList<>();
    try (AutoCloseable slowStart = host.faults().slowDown("setsid", Duration.ofMillis(300))) {
      for (int i = 0; i < callers / 4; i++) {
        connections.add(host.connect());
      }
      List<Future<BuildJob>> jobs = new ArrayList<>();
      for (int i = 0; i < callers; i++) {
        HostProtocol protocol =
            new HostProtocol(
                connections.get(i % connections.size()), new AbsolutePath("/var/lib/microvms"));
        jobs.add(
            pool.submit(
                () -> {
                  ready.countDown();
                  ready.await();
                  return protocol.startBuild(vm, request, Duration.ofSeconds(60));
                }));
      }
      List<BuildJob> results = new ArrayList<>();
      for (Future<BuildJob> job : jobs) {
        results.add(job.get(120, TimeUnit.SECONDS));
      }
      assertThat(results).filteredOn(BuildJob::startedNow).as("callers that started").hasSize(1);
      assertThat(results)
          .extracting(BuildJob::state, BuildJob::outPath)
          .containsOnly(tuple(BuildJob.State.SUCCEEDED, results.get(0).outPath()));
      assertThat(results.get(0).outPath()).endsWith("-microvm-split-job-v1");
    } finally {
      pool.shutdownNow();
      connections.forEach(SshConnection::close);
    }
  }

  /**
   * Two replicas of the packaged operator with leader election, on one machine (so with the same
   * host name, as two pods on one node with the host's network have): one leads. It is killed
   * (SIGKILL, no lease released) right before a spec change; the other takes the lease and deploys
   * the change.
   */
  @Test
  @Order(3)
  void theSecondReplicaTakesOverWhenTheLeaderDies() {
    TestHost host = env.host(1);
    env.stopOperator();
    Map<String, String> settings =
        Map.of(
            "OPERATOR_NAMESPACE", OperatorHarness.OPERATOR_NAMESPACE,
            "LEADER_ELECTION", "true",
            "HOSTNAME", "node-1");
    Path kubeconfig = env.controlPlane().kubeconfigFile();
    try (OperatorProcess a =
            OperatorProcess.start(
                kubeconfig, settings, env.hosts().root().resolve("replica-a.log"));
        OperatorProcess b =
            OperatorProcess.start(
                kubeconfig, settings, env.hosts().root().resolve("replica-b.log"))) {
      await().atMost(CONVERGED).until(() -> a.log().contains(LEADING) || b.log().contains(LEADING));
      OperatorProcess leader = a.log().contains(LEADING) ? a : b;
      OperatorProcess follower = leader == a ? b : a;
      TestFlake v1 = flake("replicas-v1", "v1", List.of("replicated"));
      env.apply(microVM(NS, "replicated", "replicas-host", v1.pathRef(), "replicated"));
      env.awaitRunner(NS, "replicated", "-microvm-replicated-v1", CONVERGED);
      assertThat(follower.log()).as("only one replica leads").doesNotContain(LEADING);
      String leaderIdentity = lease().getSpec().getHolderIdentity();

      leader.kill();
      Instant killed = Instant.now();
      TestFlake v2 = flake("replicas-v2", "v2", List.of("replicated"));
      env.apply(microVM(NS, "replicated", "replicas-host", v2.pathRef(), "replicated"));
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(100))
          .until(
              () ->
                  Optional.ofNullable(lease().getSpec().getHolderIdentity())
                      .filter(holder -> !holder.equals(leaderIdentity))
                      .isPresent());
      Duration takeover = Duration.between(killed, Instant.now());
      env.awaitRunner(NS, "replicated", "-microvm-replicated-v2", CONVERGED);
      Duration converged = Duration.between(killed, Instant.now());

      assertThat(follower.log()).contains(LEADING);
      assertThat(host.logs().starts("replicated")).isEqualTo(2);
      System.out.printf(
          "leader election: the second replica held the lease %.1f s after the leader was"
              + " killed; the change made at the kill was deployed after %.1f s%n",
          takeover.toMillis() / 1000.0, converged.toMillis() / 1000.0);
    } finally {
      env.startOperator();
    }
  }

  private static Lease lease() {
    return env.client()
        .leases()
        .inNamespace(OperatorHarness.OPERATOR_NAMESPACE)
        .withName("microvm-operator-leader")
        .get();
  }

  /** How many converge commands for {@code vm} reached the host. */
  private static long converges(TestHost host, String vm) {
    return host.logs().auditLog().stream()
        .filter(command -> command.contains("flock -w 60 9"))
        .filter(command -> command.contains("d='/var/lib/microvms/" + vm + "'"))
        .count();
  }

  private static TestFlake flake(String dir, String version, List<String> vms) {
    TestFlake flake = TestFlake.create(env.hosts().root().resolve(dir));
    vms.forEach(vm -> flake.runner(vm, version));
    return flake;
  }
}
