package io.microvmoperator.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMSpec;
import io.microvmoperator.api.MicroVMSpec.HydraSource;
import io.microvmoperator.api.MicroVMSpec.UpdateStrategy;
import io.microvmoperator.api.MicroVMStatus;
import io.microvmoperator.api.MicroVMStatus.SourceType;
import io.microvmoperator.testenv.BinaryCache;
import io.microvmoperator.testenv.HydraStandIn;
import io.microvmoperator.testenv.MicroVMSpecBuilder;
import io.microvmoperator.testenv.OperatorHarness;
import io.microvmoperator.testenv.Sleep;
import io.microvmoperator.testenv.TestFlake;
import io.microvmoperator.testenv.TestHost;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Prebuilt runners on a real host: a store path fetched from a signed binary cache with no
 * evaluation on the host, a path signed by an untrusted key refused, a Hydra job followed by itself
 * (and Hydra's outages reported without touching the host), a git branch followed, and plan mode
 * waiting for approval.
 */
class PrebuiltRunnersIT {

  @RegisterExtension static OperatorHarness env = OperatorHarness.withHosts(3);

  private static final String NS = "prebuilt";
  private static final String CACHE_HOST = "prebuilt-cache";
  private static final String HYDRA_HOST = "prebuilt-hydra";
  private static final String FLAKE_HOST = "prebuilt-flake";
  private static final Duration WAIT = Duration.ofSeconds(90);

  /** Each test's audit log must show only its own VMs' commands: one host per kind of source. */
  private static TestHost cacheHost;

  private static TestHost hydraHost;
  private static TestHost flakeHost;
  private static TestFlake flake;
  private static BinaryCache cache;
  private static HydraStandIn hydra;

  @BeforeAll
  static void setUp() {
    env.ensureNamespace(NS);
    cacheHost = env.host(0);
    hydraHost = env.host(1);
    flakeHost = env.host(2);
    env.registerHost(CACHE_HOST, cacheHost, List.of(NS));
    env.registerHost(HYDRA_HOST, hydraHost, List.of(NS));
    env.registerHost(FLAKE_HOST, flakeHost, List.of(NS));
    flake = TestFlake.create(env.hosts().root().resolve("ci-flake"));
    cache = BinaryCache.start(env.hosts().root().resolve("cache"));
    hydra = HydraStandIn.start();
  }

  @AfterAll
  static void tearDown() {
    hydra.close();
    cache.close();
  }

  @Test
  void aStorePathFromTheSignedCacheIsDeployedWithoutEvaluatingAnything() {
    String path = publish("pre", "1.0");
    assertThat(cacheHost.hasStorePath(path)).isFalse();

    apply(
        "pre",
        MicroVMSpecBuilder.storePath(CACHE_HOST, path, cache.url(), cache.publicKey()).build());
    MicroVM vm = env.awaitCondition(NS, "pre", "Ready", "True");

    assertThat(cacheHost.readlink("/var/lib/microvms/pre/current")).contains(path);
    assertThat(cacheHost.logs().starts("pre")).isEqualTo(1);
    assertThat(cacheHost.realPath("/var/lib/microvms/pre/flake")).doesNotExist();
    assertNothingEvaluated(cacheHost);
    assertThat(cache.requestCount()).isPositive();
    MicroVMStatus status = vm.getStatus();
    assertThat(status.source().type()).isEqualTo(SourceType.StorePath);
    assertThat(status.source().signedBy()).containsExactly("testenv-cache-1");
    assertThat(status.history().get(0).source().signedBy()).containsExactly("testenv-cache-1");
    assertThat(status.desiredStorePath()).isEqualTo(path);

    // MicroVM.nix's tools: no flake to name, so the toplevel link its declarative VMs have
    // (marked as the operator's own, so the VM is not taken for one the host declares)
    String system = cacheHost.readlink(path + "/share/microvm/system").orElseThrow();
    assertThat(cacheHost.readlink("/var/lib/microvms/pre/toplevel")).contains(system);
    assertThat(cacheHost.realPath("/var/lib/microvms/pre/.operator/toplevel")).exists();
    assertThat(cacheHost.shell("microvm-list").stdout())
        .contains("pre: current(" + system.substring(system.indexOf('-') + 1) + ")");
    assertThat(env.condition(env.get(NS, "pre"), "Stalled")).isEmpty();
  }

  @Test
  void aPathSignedByAnUntrustedKeyIsRefusedAndCurrentIsUntouched() {
    String first = publish("untrusted", "1.0");
    apply(
        "untrusted",
        MicroVMSpecBuilder.storePath(CACHE_HOST, first, cache.url(), cache.publicKey()).build());
    env.awaitCondition(NS, "untrusted", "Ready", "True");
    cacheHost.logs().resetLogs();

    String second = publish("untrusted", "2.0");
    MicroVMSpec untrusted =
        MicroVMSpecBuilder.storePath(CACHE_HOST, second, cache.url(), cache.untrustedPublicKey())
            .build();
    apply("untrusted", untrusted);
    MicroVM refused = env.awaitCondition(NS, "untrusted", "Stalled", "True");

    assertThat(env.condition(refused, "Stalled").orElseThrow().getReason())
        .isEqualTo("SignatureNotTrusted");
    assertThat(env.condition(refused, "Stalled").orElseThrow().getMessage())
        .contains(second)
        .contains("not signed by any of the keys");
    assertThat(cacheHost.readlink("/var/lib/microvms/untrusted/current")).contains(first);
    assertThat(cacheHost.hasStorePath(second)).isFalse();
    assertThat(cacheHost.logs().starts("untrusted")).isZero();
    assertThat(refused.getStatus().history().get(0).result()).isEqualTo("Failed");

    apply(
        "untrusted",
        MicroVMSpecBuilder.from(untrusted).trustedPublicKeys(cache.publicKey()).build());
    env.awaitMicroVM(
        NS, "untrusted", WAIT, vm -> second.equals(vm.getStatus().currentStorePath()) && ready(vm));
    assertThat(cacheHost.readlink("/var/lib/microvms/untrusted/current")).contains(second);
    assertThat(cacheHost.logs().starts("untrusted")).isEqualTo(1);
  }

  @Test
  void aHydraJobIsFollowedByItselfAndItsOutagesChangeNothing() {
    String build1 = publish("hy", "1.0");
    hydra.publish("infra", "main", "hy", 1, build1);
    HydraSource job = new HydraSource(hydra.url(), "infra", "main", null, "2s");
    apply("hy", MicroVMSpecBuilder.hydra(HYDRA_HOST, job, cache.url(), cache.publicKey()).build());
    MicroVM first = env.awaitCondition(NS, "hy", "Ready", "True");
    assertThat(first.getStatus().currentStorePath()).isEqualTo(build1);
    assertThat(first.getStatus().source().type()).isEqualTo(SourceType.Hydra);
    assertThat(first.getStatus().source().hydraBuild()).isEqualTo(1L);
    assertThat(first.getStatus().source().hydraJob()).endsWith("/job/infra/main/hy");

    hydraHost.logs().resetLogs();
    String build2 = publish("hy", "2.0");
    hydra.publish("infra", "main", "hy", 2, build2);
    MicroVM second =
        env.awaitMicroVM(
            NS,
            "hy",
            Duration.ofSeconds(30),
            vm -> build2.equals(vm.getStatus().currentStorePath()) && ready(vm));
    assertThat(second.getStatus().source().hydraBuild()).isEqualTo(2L);
    assertThat(second.getStatus().history().get(0).source().hydraBuild()).isEqualTo(2L);
    Sleep.of(Duration.ofSeconds(5));
    assertThat(hydraHost.logs().starts("hy")).isEqualTo(1);
    assertNothingEvaluated(hydraHost);

    hydraHost.logs().resetLogs();
    hydra.goDown();
    assertStalledWith("HydraUnavailable");
    hydra.comeBack();
    hydra.serveMalformed();
    assertStalledWith("HydraResponseInvalid");
    assertThat(hydraHost.readlink("/var/lib/microvms/hy/current")).contains(build2);
    assertThat(hydraHost.logs().starts("hy")).isZero();
    assertThat(hydraHost.logs().auditLog()).noneMatch(cmd -> cmd.contains("nix build"));
    assertThat(hydraHost.logs().auditLog()).noneMatch(cmd -> cmd.contains("--add-root"));

    hydra.serveNormally();
    env.awaitMicroVM(NS, "hy", WAIT, PrebuiltRunnersIT::ready);
    assertThat(hydraHost.logs().starts("hy")).isZero();
  }

  @Test
  void aFollowedBranchBuildsOnceForANewCommitAndNothingOtherwise() {
    TestFlake git =
        TestFlake.createGit(env.hosts().root().resolve("git-flake"))
            .onBranch("flake-update")
            .runner("br", "1.0");
    apply(
        "br",
        MicroVMSpecBuilder.flake(FLAKE_HOST, git.gitRef("flake-update"), "br")
            .interval("2s")
            .build());
    MicroVM first = env.awaitCondition(NS, "br", "Ready", "True");
    assertThat(first.getStatus().source().flake()).contains(git.revision("flake-update"));

    flakeHost.logs().resetLogs();
    git.runner("br", "2.0");
    MicroVM second =
        env.awaitMicroVM(
            NS,
            "br",
            Duration.ofSeconds(30),
            vm ->
                Optional.ofNullable(vm.getStatus().currentStorePath())
                        .orElse("")
                        .endsWith("-microvm-br-2.0")
                    && ready(vm));
    assertThat(second.getStatus().resolvedFlake()).contains(git.revision("flake-update"));
    Sleep.of(Duration.ofSeconds(5));
    assertThat(builds(flakeHost)).isEqualTo(1);
    assertThat(flakeHost.logs().starts("br")).isEqualTo(1);

    // A second VM follows the same branch on the same host: checks are shared, and a check that
    // finds nothing new writes no status.
    apply(
        "br-twin",
        MicroVMSpecBuilder.flake(FLAKE_HOST, git.gitRef("flake-update"), "br")
            .vmName("br-twin")
            .interval("2s")
            .build());
    env.awaitCondition(NS, "br-twin", "Ready", "True");
    Sleep.of(Duration.ofSeconds(3));
    String version = env.get(NS, "br").getMetadata().getResourceVersion();
    String twinVersion = env.get(NS, "br-twin").getMetadata().getResourceVersion();
    flakeHost.logs().resetLogs();
    Sleep.of(Duration.ofSeconds(7));
    long checks =
        flakeHost.logs().auditLog().stream()
            .filter(cmd -> cmd.contains("nix flake metadata"))
            .count();
    System.out.printf(
        "[figures] two VMs following one branch, interval 2 s: %d checks on the host in 7 s%n",
        checks);
    assertThat(checks).as("one check per interval for both VMs").isBetween(1L, 5L);
    assertThat(builds(flakeHost)).isZero();
    assertThat(flakeHost.logs().starts("br")).isZero();
    assertThat(env.get(NS, "br").getMetadata().getResourceVersion())
        .as("no status write for checks that find nothing new")
        .isEqualTo(version);
    assertThat(env.get(NS, "br-twin").getMetadata().getResourceVersion()).isEqualTo(twinVersion);
  }

  @Test
  void planModeShowsTheClosureDifferenceAndWaitsForApproval() {
    flake.runner("pl", "1.0");
    MicroVMSpec spec =
        MicroVMSpecBuilder.flake(FLAKE_HOST, flake.pathRef(), "pl")
            .interval("1h")
            .updateStrategy(UpdateStrategy.Plan)
            .build();
    apply("pl", spec);
    MicroVM firstPlan = awaitPlan("1.0");
    assertThat(firstPlan.getStatus().plan().closureDiff()).contains("nothing is deployed yet");
    assertThat(flakeHost.readlink("/var/lib/microvms/pl/current")).isEmpty();
    approve(firstPlan);
    MicroVM deployed = env.awaitCondition(NS, "pl", "Ready", "True");
    String v1 = deployed.getStatus().currentStorePath();
    assertThat(deployed.getStatus().plan()).isNull();

    flakeHost.logs().resetLogs();
    flake.runner("pl", "2.0");
    env.annotate(NS, "pl", "microvm-operator.io/reconcile-requested-at", "new-version");
    MicroVM plan = awaitPlan("2.0");
    assertThat(plan.getStatus().plan().closureDiff()).contains("1.0").contains("2.0");
    assertThat(plan.getStatus().plan().currentStorePath()).isEqualTo(v1);
    assertThat(env.condition(plan, "Ready").orElseThrow().getMessage())
        .contains("microvm-operator.io/approved-runner=" + plan.getStatus().plan().storePath());
    assertThat(
            env.client().v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> e.getReason().equals("PlanReady"))
                .filter(e -> e.getMessage().contains("2.0")))
        .isNotEmpty();
    Sleep.of(Duration.ofSeconds(3));
    assertThat(flakeHost.readlink("/var/lib/microvms/pl/current")).contains(v1);
    assertThat(flakeHost.logs().starts("pl")).isZero();

    approve(plan);
    MicroVM updated =
        env.awaitMicroVM(
            NS,
            "pl",
            WAIT,
            vm ->
                plan.getStatus().plan().storePath().equals(vm.getStatus().currentStorePath())
                    && ready(vm));
    assertThat(updated.getStatus().plan()).isNull();
    assertThat(flakeHost.logs().starts("pl")).isEqualTo(1);
  }

  // ---- helpers --------------------------------------------------------------------------------

  private static String publish(String vm, String version) {
    flake.runner(vm, version);
    return cache.publish(flake, vm);
  }

  private static void apply(String name, MicroVMSpec spec) {
    MicroVM vm = new MicroVM();
    vm.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
    vm.setSpec(spec);
    env.apply(vm);
  }

  private static MicroVM awaitPlan(String version) {
    return env.awaitMicroVM(
        NS,
        "pl",
        WAIT,
        vm ->
            vm.getStatus() != null
                && vm.getStatus().phase() == MicroVMStatus.Phase.AwaitingApproval
                && vm.getStatus().plan() != null
                && vm.getStatus().plan().storePath().endsWith("-microvm-pl-" + version));
  }

  private static void approve(MicroVM planned) {
    env.annotate(
        NS,
        planned.getMetadata().getName(),
        "microvm-operator.io/approved-runner",
        planned.getStatus().plan().storePath());
  }

  private static void assertStalledWith(String reason) {
    MicroVM stalled =
        env.awaitMicroVM(
            NS,
            "hy",
            Duration.ofSeconds(30),
            vm ->
                env.condition(vm, "Stalled")
                    .map(c -> c.getStatus().equals("True") && c.getReason().equals(reason))
                    .orElse(false));
    assertThat(env.condition(stalled, "Stalled").orElseThrow().getMessage())
        .contains("nothing was changed on the host");
  }

  private static boolean ready(MicroVM vm) {
    return env.condition(vm, "Ready").map(c -> c.getStatus().equals("True")).orElse(false);
  }

  private static void assertNothingEvaluated(TestHost host) {
    assertThat(host.logs().auditLog())
        .noneMatch(cmd -> cmd.contains("#nixosConfigurations"))
        .noneMatch(cmd -> cmd.contains("nix eval"))
        .noneMatch(cmd -> cmd.contains("nix flake"));
  }

  /** Builds of a flake's runner started on the host (each is one detached job). */
  private static long builds(TestHost host) {
    return host.logs().auditLog().stream().filter(cmd -> cmd.contains("setsid sh -c")).count();
  }
}
