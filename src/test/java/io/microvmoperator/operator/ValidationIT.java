package io.microvmoperator.operator;

import static io.microvmoperator.testenv.OperatorHarness.microVM;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMSpec;
import io.microvmoperator.testenv.MicroVMSpecBuilder;
import io.microvmoperator.testenv.OperatorHarness;
import io.microvmoperator.testenv.TestFlake;
import io.microvmoperator.testenv.TestHost;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Bad specs stop with a reason a person understands and touch nothing on the host. */
class ValidationIT {

  @RegisterExtension static OperatorHarness env = OperatorHarness.withHosts(1);

  private static final String NS = "validation";
  private static final String HOST = "validation-host";
  private static final Path CANARY = Path.of("/tmp/microvm-operator-canary");
  private static TestFlake flake;
  private static TestHost host;

  @BeforeAll
  static void setUp() throws Exception {
    env.ensureNamespace(NS);
    env.ensureNamespace("intruder");
    host = env.host(0);
    env.registerHost(HOST, host, List.of(NS));
    flake = TestFlake.create(env.hosts().root().resolve("flake")).runner("app", "v1");
    Files.deleteIfExists(CANARY);
  }

  @Test
  void aNamespaceThatTheHostDoesNotAllowStalls() {
    env.apply(microVM("intruder", "app", HOST, flake.pathRef(), "app"));

    MicroVM vm = env.awaitCondition("intruder", "app", "Stalled", "True");

    assertThat(env.condition(vm, "Stalled").orElseThrow().getReason())
        .isEqualTo("NamespaceNotAllowed");
    assertThat(host.realPath("/var/lib/microvms/app")).doesNotExist();
  }

  /**
   * A tenant's flakeref that reaches the host's own file system: {@code path:../../etc} resolved
   * against the login's home once copied the host's /etc (shadow included) into the world-readable
   * store. A relative or dotted one is refused by the API server; an absolute one outside the
   * host's allowedLocalFlakePaths stalls, and nothing runs on the host.
   */
  @Test
  void aLocalFlakeOutsideTheHostsAllowedFoldersNeverReachesTheHost() {
    for (String sneaky :
        List.of(
            "path:../../etc",
            "path:/tmp/../etc",
            "git+file://../etc",
            "path:%2e%2e/etc",
            "file:/tmp/%2e%2e/etc/shadow")) {
      assertThatThrownBy(() -> env.apply(microVM(NS, "sneaky", HOST, sneaky, "app")))
          .as(sneaky)
          .hasMessageContaining("a local flake");
    }
    host.logs().resetLogs();
    env.apply(microVM(NS, "etc", HOST, "path:/etc", "app"));

    MicroVM vm = env.awaitCondition(NS, "etc", "Stalled", "True");
    assertThat(env.condition(vm, "Stalled").orElseThrow().getReason())
        .isEqualTo("LocalFlakeNotAllowed");
    assertThat(env.condition(vm, "Stalled").orElseThrow().getMessage())
        .contains("allowedLocalFlakePaths")
        .contains("nothing was run on the host");
    assertThat(host.logs().auditLog()).noneMatch(command -> command.contains("path:/etc"));
    assertThat(host.realPath("/var/lib/microvms/etc")).doesNotExist();
    assertThat(env.eventsOf(NS, "etc")).anyMatch(e -> "LocalFlakeNotAllowed".equals(e.getReason()));
  }

  /** A name that fails only later (as a VM folder or a flake attribute) is refused at apply. */
  @Test
  void aNameThatCannotNameTheVmIsRefusedAtApplyWithTheFieldToSet() {
    assertThatThrownBy(
            () -> env.apply(microVM(NS, "web.example.org", HOST, flake.pathRef(), "app")))
        .hasMessageContaining("set spec.vmName");
    MicroVM digitFirst = microVM(NS, "9lives", HOST, flake.pathRef(), "app");
    digitFirst.setSpec(MicroVMSpecBuilder.from(digitFirst.getSpec()).target(null).build());
    assertThatThrownBy(() -> env.apply(digitFirst)).hasMessageContaining("set spec.target");

    MicroVM named = microVM(NS, "web.example.org", HOST, flake.pathRef(), "app");
    named.setSpec(MicroVMSpecBuilder.from(named.getSpec()).vmName("web-example").build());
    env.apply(named);
    env.awaitCondition(NS, "web.example.org", "Ready", "True");
    assertThat(host.readlink("/var/lib/microvms/web-example/current")).isPresent();
    assertThat(env.eventsOf(NS, "web.example.org"))
        .as("microvm -u on the host would build nixosConfigurations.web-example, not app")
        .anyMatch(e -> "HostToolsMismatch".equals(e.getReason()));
  }

  @Test
  void anUnknownHostStallsAndAppearsWhenItIsRegistered() {
    env.apply(microVM(NS, "early", "validation-later", flake.pathRef(), "app"));
    MicroVM vm = env.awaitCondition(NS, "early", "Stalled", "True");
    assertThat(env.condition(vm, "Stalled").orElseThrow().getReason()).isEqualTo("HostNotFound");

    env.registerHost("validation-later", host, List.of(NS));
    env.awaitCondition(NS, "early", "Ready", "True");
  }

  @Test
  void aVMDeclaredInTheHostsOwnConfigIsLeftAlone() {
    assertThat(
            host.shell(
                    "mkdir -p /var/lib/microvms/hostvm && ln -s /nix/store/"
                        + "0123456789abcdfghijklmnpqrsvwxyz-nixos /var/lib/microvms/hostvm/toplevel")
                .exitCode())
        .isZero();
    MicroVM claim = microVM(NS, "claim", HOST, flake.pathRef(), "app");
    claim.setSpec(withVmName(claim.getSpec(), "hostvm"));
    env.apply(claim);

    MicroVM vm = env.awaitCondition(NS, "claim", "Stalled", "True");

    assertThat(env.condition(vm, "Stalled").orElseThrow().getReason()).isEqualTo("DeclaredByHost");
    assertThat(host.readlink("/var/lib/microvms/hostvm/current")).isEmpty();
    env.client().resource(vm).delete();
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(30))
        .until(() -> env.get(NS, "claim") == null);
    assertThat(host.readlink("/var/lib/microvms/hostvm/toplevel")).isPresent();
  }

  /**
   * A VM the host declares with {@code microvm.vms.NAME.flake} has no toplevel link, only an {@code
   * install-microvm-NAME.service} in the host's units; the operator leaves it alone too (it would
   * fight the host's own rebuilds otherwise).
   */
  @Test
  void aVMDeclaredThroughMicrovmVmsFlakeIsLeftAlone() {
    assertThat(
            host.shell(
                    "mkdir -p /var/lib/microvms/hostflake && printf %s path:/etc/nixos >"
                        + " /var/lib/microvms/hostflake/flake && printf '[Service]\\nType=oneshot\\n"
                        + "ExecStart=/bin/true\\n' > /etc/systemd/system/install-microvm-hostflake.service")
                .exitCode())
        .isZero();
    MicroVM claim = microVM(NS, "claim-flake", HOST, flake.pathRef(), "app");
    claim.setSpec(withVmName(claim.getSpec(), "hostflake"));
    env.apply(claim);

    MicroVM vm = env.awaitCondition(NS, "claim-flake", "Stalled", "True");
    assertThat(env.condition(vm, "Stalled").orElseThrow().getReason()).isEqualTo("DeclaredByHost");
    assertThat(host.readlink("/var/lib/microvms/hostflake/current")).isEmpty();
    assertThat(host.realPath("/var/lib/microvms/hostflake/flake")).hasContent("path:/etc/nixos");
    env.client().resource(vm).delete();
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(30))
        .until(() -> env.get(NS, "claim-flake") == null);
    assertThat(host.realPath("/var/lib/microvms/hostflake/flake")).exists();
  }

  @Test
  void aSecondClaimOnTheSameVmNameStallsAndTheFirstKeepsIt() {
    env.applyAndAwaitReady(microVM(NS, "first", HOST, flake.pathRef(), "app"));

    MicroVM second = microVM(NS, "second", HOST, flake.pathRef(), "app");
    second.setSpec(withVmName(second.getSpec(), "first"));
    env.apply(second);
    MicroVM vm = env.awaitCondition(NS, "second", "Stalled", "True");

    assertThat(env.condition(vm, "Stalled").orElseThrow().getReason()).isEqualTo("VmNameConflict");
    assertThat(env.condition(vm, "Stalled").orElseThrow().getMessage())
        .contains("validation/first");
  }

  @Test
  void hostileNamesAndFlakerefsNeverRunOnAHost() {
    String touch = "touch${IFS}" + CANARY;
    List<String> hostileNames =
        List.of(
            "a;b",
            "$(id)",
            "`id`",
            "a b",
            "a\nb",
            "..",
            "../etc",
            "a/b",
            "a'b",
            "a\"b",
            "a$b",
            "a|b",
            "a&b",
            "a>b",
            "-rf",
            "a".repeat(200),
            "ünïcode",
            "a\tb",
            "a\\b",
            "a@b",
            "a.b",
            "*",
            "a?b",
            "a#b",
            "");
    List<String> rejectedFlakes =
        List.of(
            "path:/x y",
            "path:/x\nrm",
            "path:/x#evil",
            "-Lfoo:bar",
            "/no/scheme",
            "path:/x\u0000y",
            "path:/x\tz",
            "",
            "path:" + "a".repeat(2100));
    int rejected = 0;
    List<String> accepted = new ArrayList<>();
    for (String name : hostileNames) {
      MicroVM vm = microVM(NS, "hostile-" + rejected, HOST, flake.pathRef(), "app");
      vm.setSpec(withVmName(vm.getSpec(), name));
      if (rejectedByApiServer(vm)) {
        rejected++;
      } else {
        accepted.add(name);
      }
    }
    for (String ref : rejectedFlakes) {
      MicroVM vm = microVM(NS, "hostile-" + rejected, HOST, ref, "app");
      if (rejectedByApiServer(vm)) {
        rejected++;
      } else {
        accepted.add(ref);
      }
    }
    assertThat(accepted).isEmpty();
    assertThat(rejected).isGreaterThanOrEqualTo(30);

    // Legal flakerefs may carry shell syntax: it reaches the host as data, never as code.
    List<String> legalButNasty =
        List.of(
            "path:/tmp/$(" + touch + ")",
            "path:/tmp/`" + touch + "`",
            "path:/tmp/x';" + touch + ";'",
            "git+file:///tmp/x?ref=a&" + touch);
    int i = 0;
    for (String ref : legalButNasty) {
      env.apply(microVM(NS, "nasty-" + i++, HOST, ref, "app"));
    }
    for (int j = 0; j < legalButNasty.size(); j++) {
      MicroVM vm = env.awaitCondition(NS, "nasty-" + j, "Stalled", "True");
      assertThat(env.condition(vm, "Stalled").orElseThrow().getReason())
          .isEqualTo("FlakeResolutionFailed");
    }
    assertThat(CANARY).doesNotExist();
  }

  private static boolean rejectedByApiServer(MicroVM vm) {
    Throwable error = catchThrowable(() -> env.client().resource(vm).create());
    return error instanceof KubernetesClientException e && e.getCode() == 422;
  }

  private static MicroVMSpec withVmName(MicroVMSpec spec, String vmName) {
    return MicroVMSpecBuilder.from(spec).vmName(vmName).build();
  }
}
