package io.microvmoperator.gitops;

import static io.microvmoperator.testenv.OperatorHarness.microVM;
import static org.assertj.core.api.Assertions.assertThat;

import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMStatus;
import io.microvmoperator.gitops.ArgoCdHealth.Health;
import io.microvmoperator.testenv.MicroVMSpecBuilder;
import io.microvmoperator.testenv.OperatorHarness;
import io.microvmoperator.testenv.TestFlake;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What GitOps tools see while a MicroVM converges: {@code kubectl wait --for=condition=Ready}
 * returns only once the host runs what the current spec asks for, never on a Ready condition left
 * from an older generation (it compares the condition's observedGeneration, as Flux's kstatus
 * compares status.observedGeneration); and the Argo CD health check, run on the live objects, says
 * Progressing until then, Healthy after, Healthy for a VM stopped on purpose, Suspended for a
 * suspended one and Degraded for a stalled one.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GitOpsReadinessIT {

  @RegisterExtension static OperatorHarness env = OperatorHarness.withHosts(1);

  private static final String NS = "gitops";
  private static final String HOST = "gitops-host";
  private static TestFlake flake;

  @BeforeAll
  static void registerHost() {
    env.ensureNamespace(NS);
    env.registerHost(HOST, env.host(0), List.of(NS));
    flake =
        TestFlake.create(env.hosts().root().resolve("flake"))
            .slowBuild("web", "v1", 4)
            .slowBuild("web-b", "v1", 4)
            .evalError("broken", "deliberate evaluation error for the test");
  }

  @Test
  @Order(1)
  void kubectlWaitReturnsOnceTheBuiltRunnerRunsAndArgoSaysProgressingUntilThen() throws Exception {
    env.apply(microVM(NS, "web", HOST, flake.pathRef(), "web"));
    Process wait = kubectlWait("Ready");

    List<Health> whileWaiting = new ArrayList<>();
    List<MicroVMStatus.Phase> phasesWhileWaiting = new ArrayList<>();
    while (wait.isAlive()) {
      String yaml = liveYaml("microvm", "web");
      MicroVM seen = env.get(NS, "web");
      Health health = ArgoCdHealth.check("MicroVM", yaml);
      if (wait.isAlive()) {
        whileWaiting.add(health);
        phasesWhileWaiting.add(seen.getStatus() == null ? null : seen.getStatus().phase());
      }
    }

    assertThat(wait.exitValue()).as(output(wait)).isZero();
    MicroVM vm = env.get(NS, "web");
    assertThat(vm.getStatus().currentStorePath()).endsWith("-microvm-web-v1");
    assertThat(env.host(0).readlink("/var/lib/microvms/web/booted"))
        .contains(vm.getStatus().currentStorePath());
    assertThat(phasesWhileWaiting)
        .as("kubectl wait was still waiting while the runner was built")
        .contains(MicroVMStatus.Phase.Building);
    assertThat(whileWaiting).anyMatch(h -> h.status().equals("Progressing"));
    assertThat(ArgoCdHealth.check("MicroVM", liveYaml("microvm", "web")))
        .isEqualTo(new Health("Healthy", "Running: the VM runs " + vm.getStatus().currentRunner()));
    assertThat(ArgoCdHealth.check("MicroVMHost", liveYaml("microvmhost", HOST)).status())
        .isEqualTo("Healthy");
  }

  @Test
  @Order(2)
  void aReadyConditionOfAnOlderGenerationDoesNotEndTheWait() throws Exception {
    env.stopOperator();
    MicroVM changed = edit(spec -> spec.target("web-b"));
    assertThat(env.condition(changed, "Ready").orElseThrow().getStatus()).isEqualTo("True");

    Process wait = kubectlWait("Ready");
    // With no operator running, nothing can satisfy the wait: Ready=True is of generation 1.
    assertThat(wait.waitFor(3, TimeUnit.SECONDS)).as("kubectl wait returned early").isFalse();
    assertThat(ArgoCdHealth.check("MicroVM", liveYaml("microvm", "web")))
        .isEqualTo(
            new Health(
                "Progressing",
                "Waiting for the operator to process generation 2 (the status is of generation"
                    + " 1)"));

    env.startOperator();
    assertThat(wait.waitFor(90, TimeUnit.SECONDS)).as("kubectl wait returned").isTrue();
    assertThat(wait.exitValue()).as(output(wait)).isZero();
    MicroVM vm = env.get(NS, "web");
    assertThat(vm.getStatus().currentStorePath()).endsWith("-microvm-web-b-v1");
    assertThat(vm.getStatus().observedGeneration()).isEqualTo(2L);
    assertThat(ArgoCdHealth.check("MicroVM", liveYaml("microvm", "web")).status())
        .isEqualTo("Healthy");
  }

  @Test
  @Order(3)
  void aVmStoppedOnPurposeIsReadyAndHealthy() throws Exception {
    edit(spec -> spec.running(false));

    Process wait = kubectlWait("Ready");
    assertThat(wait.waitFor(90, TimeUnit.SECONDS)).isTrue();

    assertThat(wait.exitValue()).as(output(wait)).isZero();
    assertThat(env.get(NS, "web").getStatus().phase()).isEqualTo(MicroVMStatus.Phase.Stopped);
    assertThat(ArgoCdHealth.check("MicroVM", liveYaml("microvm", "web")))
        .isEqualTo(new Health("Healthy", "Stopped: the VM is deployed and stopped, as asked"));
  }

  @Test
  @Order(4)
  void aSuspendedVmIsSuspended() throws Exception {
    MicroVM suspended = edit(spec -> spec.suspend(true));
    long generation = suspended.getMetadata().getGeneration();
    env.awaitMicroVM(
        NS, "web", Duration.ofSeconds(60), vm -> vm.getStatus().observedGeneration() == generation);

    assertThat(ArgoCdHealth.check("MicroVM", liveYaml("microvm", "web")).status())
        .isEqualTo("Suspended");
  }

  @Test
  @Order(5)
  void aStalledVmIsDegradedAndKubectlWaitSeesStalled() throws Exception {
    edit(spec -> spec.suspend(false).running(true).target("broken"));

    Process wait = kubectlWait("Stalled");
    assertThat(wait.waitFor(90, TimeUnit.SECONDS)).isTrue();

    assertThat(wait.exitValue()).as(output(wait)).isZero();
    Health health = ArgoCdHealth.check("MicroVM", liveYaml("microvm", "web"));
    assertThat(health.status()).isEqualTo("Degraded");
    assertThat(health.message()).startsWith("EvaluationFailed: evaluating ");
  }

  /** {@code kubectl wait --for=condition=TYPE microvm/web}, started in the background. */
  private static Process kubectlWait(String condition) throws IOException {
    return new ProcessBuilder(
            env.controlPlane().kubectl().toString(),
            "--kubeconfig=" + env.controlPlane().kubeconfigFile(),
            "wait",
            "--for=condition=" + condition,
            "microvm/web",
            "-n",
            NS,
            "--timeout=120s")
        .redirectErrorStream(true)
        .start();
  }

  private static String output(Process process) throws IOException {
    return new String(process.getInputStream().readAllBytes());
  }

  /** The object as the API server returns it, as Argo CD reads it. */
  private static String liveYaml(String kind, String name) {
    List<String> args = new ArrayList<>(List.of("get", kind, name, "-o", "yaml"));
    if (kind.equals("microvm")) {
      args.addAll(List.of("-n", NS));
    }
    return env.kubectl(args.toArray(String[]::new)).orThrow("kubectl get").stdout();
  }

  private static MicroVM edit(UnaryOperator<MicroVMSpecBuilder> change) {
    return env.editSpec(NS, "web", change);
  }
}
