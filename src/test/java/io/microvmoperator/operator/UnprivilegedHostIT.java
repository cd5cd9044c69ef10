package io.microvmoperator.operator;

import static io.microvmoperator.testenv.OperatorHarness.microVM;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.microvmoperator.api.MicroVM;
import io.microvmoperator.testenv.ExecResult;
import io.microvmoperator.testenv.OperatorHarness;
import io.microvmoperator.testenv.RunnerLinks;
import io.microvmoperator.testenv.TestFlake;
import io.microvmoperator.testenv.TestHost;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A host that lets the operator in only as MicroVM.nix's own unprivileged {@code microvm} user, set
 * up as docs/hosts.md describes (the store belongs to the host's nix-daemon, the state directory
 * and MicroVM.nix's GC root folder to the user, a polkit rule lets it manage {@code microvm@}
 * units): the operator deploys, updates and deletes a VM there as it does as root.
 */
class UnprivilegedHostIT {

  @RegisterExtension static OperatorHarness env = OperatorHarness.withHosts(1);

  private static final String NS = "unprivileged";
  private static final Duration CONVERGED = Duration.ofSeconds(90);
  private static final String REQUEST = "microvm-operator.io/reconcile-requested-at";

  @BeforeAll
  static void setUp() {
    env.ensureNamespace(NS);
    env.host(0).serveUnprivileged("microvm");
    env.registerHost("unprivileged", env.host(0), List.of(NS));
  }

  @Test
  void theOperatorDeploysUpdatesAndDeletesAsTheMicrovmUser() throws Exception {
    TestHost host = env.host(0);
    TestFlake flake = TestFlake.create(env.hosts().root().resolve("flake")).runner("web", "v1");
    env.apply(microVM(NS, "web", "unprivileged", flake.pathRef(), "web"));
    String v1 =
        env.awaitRunner(NS, "web", "-microvm-web-v1", CONVERGED).getStatus().currentStorePath();

    assertThat(host.logs().sshdLog())
        .contains("Accepted publickey for microvm")
        .doesNotContain("Accepted publickey for root");
    assertThat(vmProcessOwner(host)).isEqualTo("microvm");
    assertThat(Files.getOwner(host.realPath(v1)).getName())
        .as("the store path was written by the nix-daemon")
        .isEqualTo("root");
    assertThat(Files.getOwner(host.realPath("/var/lib/microvms/web/current"), noFollow()).getName())
        .isEqualTo("microvm");
    assertThat(RunnerLinks.problems(host, "web")).isEmpty();
    assertThat(host.shell("stat -c '%U:%G %a' /var/lib/microvms/web").stdout().strip())
        .isEqualTo("microvm:kvm 775");
    assertThat(host.readlink("/nix/var/nix/gcroots/microvm/web"))
        .contains("/var/lib/microvms/web/current");

    flake.runner("web", "v2");
    env.annotate(NS, "web", REQUEST, "v2");
    MicroVM updated = env.awaitRunner(NS, "web", "-microvm-web-v2", CONVERGED);
    assertThat(updated.getStatus().bootedStorePath()).endsWith("-microvm-web-v2");
    assertThat(host.readlink("/var/lib/microvms/web/old")).contains(v1);
    assertThat(RunnerLinks.problems(host, "web")).isEmpty();
    assertThat(host.logs().starts("web")).isEqualTo(2);
    assertThat(host.logs().vmOutput("web")).contains("microvm-run web v2 started");

    env.client().resources(MicroVM.class).inNamespace(NS).withName("web").delete();
    await().atMost(CONVERGED).until(() -> env.get(NS, "web") == null);
    assertThat(host.readlink("/var/lib/microvms/web/current")).isEmpty();
    assertThat(host.readlink("/nix/var/nix/gcroots/microvm/web")).isEmpty();
    assertThat(host.logs().systemctlLog())
        .extracting(call -> call.verb())
        .contains("start", "restart", "stop");
  }

  /**
   * The host's real polkit (with docs/hosts.md's rule) lets the user start, stop, restart and
   * reset-failed {@code microvm@} units, and nothing else.
   */
  @Test
  void polkitLetsTheUserManageMicrovmUnitsOnly() {
    TestHost host = env.host(0);
    host.shell("install -d -o root -g kvm -m 0775 /var/lib/microvms/probe").orThrow("folder");
    for (String verb : List.of("start", "restart", "stop", "reset-failed")) {
      assertThat(asMicrovm(host, verb, "microvm@probe.service").stderr())
          .as("%s microvm@probe", verb)
          .doesNotContain("authentication required", "Access denied");
    }
    ExecResult other = asMicrovm(host, "restart", "testhost-sshd.service");
    assertThat(other.exitCode()).isNotZero();
    assertThat(other.stderr()).contains("Interactive authentication required");
    ExecResult otherVerb = asMicrovm(host, "mask", "microvm@probe.service");
    assertThat(otherVerb.exitCode()).isNotZero();
    assertThat(host.shell("id -gn microvm").stdout()).isEqualTo("kvm\n");
  }

  private static ExecResult asMicrovm(TestHost host, String verb, String unit) {
    return host.exec(
        "runuser", "-u", "microvm", "--", "/bin/systemctl", "--no-ask-password", verb, unit);
  }

  private static String vmProcessOwner(TestHost host) throws Exception {
    String show = host.ssh("systemctl show -p MainPID microvm@web").orThrow("show").stdout();
    long pidInsideHost = Long.parseLong(show.trim().substring("MainPID=".length()));
    long pid = host.outerPid(pidInsideHost).orElseThrow();
    return Files.getOwner(Path.of("/proc/" + pid)).getName();
  }

  private static java.nio.file.LinkOption noFollow() {
    return java.nio.file.LinkOption.NOFOLLOW_LINKS;
  }
}
