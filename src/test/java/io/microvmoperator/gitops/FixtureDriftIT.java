package io.microvmoperator.gitops;

import static io.microvmoperator.testenv.OperatorHarness.microVM;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMHost;
import io.microvmoperator.api.MicroVMSpec.UpdateStrategy;
import io.microvmoperator.api.MicroVMStatus.Phase;
import io.microvmoperator.testenv.MicroVMSpecBuilder;
import io.microvmoperator.testenv.OperatorHarness;
import io.microvmoperator.testenv.TestFlake;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The fixtures of the Argo CD checks and of gitops/conformance are what the operator really writes:
 * each test drives a real operator, host and API server into one state, writes the live object to
 * target/gitops-live/ and fails when the committed fixture of that state no longer matches it
 * ({@link LiveFixtures}). It also checks the Events a MicroVMHost gets for each change.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FixtureDriftIT {

  @RegisterExtension static OperatorHarness env = OperatorHarness.withHosts(2);

  private static final String NS = "drift";
  private static final String HOST = "drift-host";
  private static final Duration WAIT = Duration.ofSeconds(120);
  private static TestFlake flake;

  @BeforeAll
  static void setUp() throws IOException {
    LiveFixtures.clear();
    env.ensureNamespace(NS);
    flake =
        TestFlake.create(env.hosts().root().resolve("flake"))
            .runner("web", "v1")
            .crashingRunner("crash", "v2")
            .slowBuild("slow", "v1", 6)
            .buildFailure("broken", "deliberate build failure for the test")
            .runner("planned", "v1")
            .runner("stopped", "v1")
            .runner("stranded", "v1");
  }

  @Test
  @Order(1)
  void aReachableHost() {
    env.registerHost(HOST, env.host(0), List.of(NS));
    awaitHost(HOST, h -> hasCondition(h, "Ready", "True"));
    LiveFixtures.assertMatches(
        "MicroVMHost/testdata/healthy_reachable.yaml", live("microvmhost", HOST));
    assertThat(hostEvents(HOST)).contains("Normal Reachable");
  }

  @Test
  @Order(2)
  void aRunningVm() {
    env.apply(microVM(NS, "web", HOST, flake.pathRef(), "web"));
    env.awaitCondition(NS, "web", "Ready", "True");
    LiveFixtures.assertMatches("MicroVM/testdata/healthy_running.yaml", live("microvm", "web"));
  }

  @Test
  @Order(3)
  void aRolledBackVm() {
    edit("web", spec -> spec.target("crash"));
    env.awaitMicroVM(
        NS,
        "web",
        WAIT,
        vm -> vm.getStatus() != null && vm.getStatus().phase() == Phase.RolledBack);
    LiveFixtures.assertMatches(
        "MicroVM/testdata/degraded_rolled_back.yaml", live("microvm", "web"));
  }

  @Test
  @Order(4)
  void aBuildingVm() {
    edit("web", spec -> spec.target("slow"));
    env.awaitMicroVM(
        NS, "web", WAIT, vm -> vm.getStatus() != null && vm.getStatus().phase() == Phase.Building);
    LiveFixtures.assertMatches(
        "MicroVM/testdata/progressing_building.yaml", live("microvm", "web"));
  }

  @Test
  @Order(5)
  void aVmWhoseBuildFailed() {
    edit("web", spec -> spec.target("broken"));
    env.awaitReason(NS, "web", "Stalled", "BuildFailed", WAIT);
    LiveFixtures.assertMatches(
        "MicroVM/testdata/degraded_build_failed.yaml", live("microvm", "web"));
  }

  /** Suspended after a failure: Current for kstatus whatever Ready was before. */
  @Test
  @Order(6)
  void aSuspendedVm() {
    MicroVM edited = edit("web", spec -> spec.suspend(true));
    long generation = edited.getMetadata().getGeneration();
    env.awaitMicroVM(
        NS,
        "web",
        WAIT,
        vm ->
            vm.getStatus().observedGeneration() == generation
                && vm.getStatus().phase() == Phase.Suspended);
    LiveFixtures.assertMatches("MicroVM/testdata/suspended.yaml", live("microvm", "web"));
  }

  @Test
  @Order(6)
  void aVmStoppedOnPurpose() {
    MicroVM stopped = microVM(NS, "stopped", HOST, flake.pathRef(), "stopped");
    stopped.setSpec(MicroVMSpecBuilder.from(stopped.getSpec()).running(false).build());
    env.apply(stopped);
    env.awaitReason(NS, "stopped", "Ready", "Stopped", WAIT);
    LiveFixtures.assertMatches("MicroVM/testdata/healthy_stopped.yaml", live("microvm", "stopped"));
  }

  @Test
  @Order(6)
  void aVmInANamespaceTheHostDoesNotAllow() {
    env.ensureNamespace(NS + "-other");
    env.apply(microVM(NS + "-other", "web", HOST, flake.pathRef(), "web"));
    env.awaitMicroVM(
        NS + "-other",
        "web",
        WAIT,
        vm ->
            env.condition(vm, "Stalled")
                .map(c -> c.getReason().equals("NamespaceNotAllowed"))
                .orElse(false));
    String live =
        env.kubectl("get", "microvm", "web", "-n", NS + "-other", "-o", "yaml")
            .orThrow("kubectl get")
            .stdout();
    LiveFixtures.assertMatches("MicroVM/testdata/degraded_namespace_not_allowed.yaml", live);
  }

  @Test
  @Order(7)
  void aPlanAwaitingApproval() {
    MicroVM planned = microVM(NS, "planned", HOST, flake.pathRef(), "planned");
    planned.setSpec(
        MicroVMSpecBuilder.from(planned.getSpec()).updateStrategy(UpdateStrategy.Plan).build());
    env.apply(planned);
    env.awaitMicroVM(
        NS,
        "planned",
        WAIT,
        vm -> vm.getStatus() != null && vm.getStatus().phase() == Phase.AwaitingApproval);
    LiveFixtures.assertMatches(
        "MicroVM/testdata/suspended_awaiting_approval.yaml", live("microvm", "planned"));
  }

  @Test
  @Order(8)
  void aSuspendedHost() {
    env.suspendHost(HOST, true);
    awaitHost(
        HOST,
        h ->
            Boolean.TRUE.equals(h.getSpec().suspend())
                && h.getStatus().observedGeneration() == h.getMetadata().getGeneration());
    LiveFixtures.assertMatches("MicroVMHost/testdata/suspended.yaml", live("microvmhost", HOST));
    env.suspendHost(HOST, false);
    awaitHost(
        HOST,
        h ->
            hasCondition(h, "Ready", "True")
                && h.getStatus().observedGeneration() == h.getMetadata().getGeneration());
  }

  @Test
  @Order(9)
  void aHostPresentingAnotherKey() {
    env.registerHost("drift-wrong-key", env.host(0), env.host(1).hostKeyLine(), List.of(NS));
    awaitHost("drift-wrong-key", h -> hasCondition(h, "Stalled", "True"));
    LiveFixtures.assertMatches(
        "MicroVMHost/testdata/degraded_host_key_mismatch.yaml",
        live("microvmhost", "drift-wrong-key"));
    assertThat(hostEvents("drift-wrong-key")).contains("Warning HostKeyMismatch");
  }

  @Test
  @Order(10)
  void aHostWhoseKeySecretIsMissing() {
    env.registerHost("drift-no-secret", env.host(1), List.of(NS));
    env.client()
        .secrets()
        .inNamespace(OperatorHarness.OPERATOR_NAMESPACE)
        .withName("drift-no-secret-ssh")
        .delete();
    awaitHost("drift-no-secret", h -> hasCondition(h, "Stalled", "True"));
    LiveFixtures.assertMatches(
        "MicroVMHost/testdata/degraded_secret_not_found.yaml",
        live("microvmhost", "drift-no-secret"));
    assertThat(hostEvents("drift-no-secret")).contains("Warning SecretNotFound");
  }

  /**
   * A host that goes down: Reconciling, its VM Reconciling, a deletion of that VM waiting (with an
   * Event), then Stalled once down for 5 probe intervals (the harness probes every 5 s); Ready
   * again when it is back.
   */
  @Test
  @Order(11)
  void aHostThatIsDownForLong() {
    String down = "drift-down";
    env.registerHost(down, env.host(1), List.of(NS));
    env.apply(microVM(NS, "stranded", down, flake.pathRef(), "stranded"));
    env.awaitCondition(NS, "stranded", "Ready", "True");

    env.host(1).faults().goDown();
    awaitHost(down, h -> hasCondition(h, "Reconciling", "True"));
    LiveFixtures.assertMatches(
        "MicroVMHost/testdata/progressing_unreachable.yaml", live("microvmhost", down));
    env.awaitReason(NS, "stranded", "Ready", "HostUnreachable", WAIT);
    LiveFixtures.assertMatches(
        "MicroVM/testdata/progressing_host_unreachable.yaml", live("microvm", "stranded"));

    env.client().resources(MicroVM.class).inNamespace(NS).withName("stranded").delete();
    env.awaitMicroVM(
        NS,
        "stranded",
        WAIT,
        vm ->
            env.condition(vm, "Ready")
                .map(c -> c.getMessage().contains("deletion (Delete) waits for host"))
                .orElse(false));
    LiveFixtures.assertMatches(
        "MicroVM/testdata/deleting_host_down.yaml", live("microvm", "stranded"));
    assertThat(env.eventsOf(NS, "stranded"))
        .extracting(Event::getReason)
        .contains("DeletionWaitsForHost");

    awaitHost(down, h -> hasCondition(h, "Stalled", "True"));
    LiveFixtures.assertMatches(
        "MicroVMHost/testdata/degraded_unreachable_for_long.yaml", live("microvmhost", down));
    assertThat(hostEvents(down)).contains("Warning HostUnreachable");

    env.host(1).start();
    awaitHost(down, h -> hasCondition(h, "Ready", "True"));
    await().atMost(WAIT).until(() -> env.get(NS, "stranded") == null);
  }

  private static boolean hasCondition(MicroVMHost host, String type, String status) {
    return host.getStatus().conditions() != null
        && host.getStatus().conditions().stream()
            .anyMatch(c -> c.getType().equals(type) && c.getStatus().equals(status));
  }

  private static MicroVMHost awaitHost(String name, Predicate<MicroVMHost> check) {
    return await()
        .atMost(WAIT)
        .until(
            () -> env.client().resources(MicroVMHost.class).withName(name).get(),
            h -> h != null && h.getStatus() != null && check.test(h));
  }

  /**
   * "TYPE REASON" of each Event of a MicroVMHost, as {@code kubectl describe microvmhost} finds
   * them (Events of cluster-scoped objects are in "default").
   */
  private static List<String> hostEvents(String host) {
    List<String> seen = new ArrayList<>();
    for (Event e : env.eventsOf("default", host)) {
      if ("MicroVMHost".equals(e.getInvolvedObject().getKind())) {
        seen.add(e.getType() + " " + e.getReason());
      }
    }
    return seen;
  }

  private static String live(String kind, String name) {
    List<String> args = new ArrayList<>(List.of("get", kind, name, "-o", "yaml"));
    if (kind.equals("microvm")) {
      args.addAll(List.of("-n", NS));
    }
    return env.kubectl(args.toArray(String[]::new)).orThrow("kubectl get").stdout();
  }

  private static MicroVM edit(String name, UnaryOperator<MicroVMSpecBuilder> change) {
    return env.editSpec(NS, name, change);
  }
}
