package io.microvmoperator.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMHost;
import io.microvmoperator.api.MicroVMSpec.RestartPolicy;
import io.microvmoperator.api.MicroVMSpec.UpdateStrategy;
import io.microvmoperator.api.MicroVMStatus;
import io.microvmoperator.reconcile.kube.Annotations;
import io.microvmoperator.testenv.Commands;
import io.microvmoperator.testenv.ExecResult;
import io.microvmoperator.testenv.MicroVMSpecBuilder;
import io.microvmoperator.testenv.OperatorHarness;
import io.microvmoperator.testenv.TestFlake;
import io.microvmoperator.testenv.TestHost;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The packaged plugin ({@code target/kubectl-microvm}) against the real control plane, the operator
 * and a test host with a small fleet in every state {@code microvm -l} knows, plus a VM made by
 * hand and one the host declares; then its actions, its errors, and {@code host add} bringing a
 * second test host to Ready.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KubectlMicrovmIT {

  @RegisterExtension static OperatorHarness env = OperatorHarness.withHosts(2);

  private static final String A = "cli-a";
  private static final String B = "cli-b";
  private static final String HOST = "cli-h1";
  private static final Duration WAIT = Duration.ofSeconds(120);
  private static final ObjectMapper JSON = new ObjectMapper();

  private static PackagedPlugin plugin;
  private static TestHost host;
  private static TestFlake flake;

  @BeforeAll
  static void aFleetInEveryState() {
    env.ensureNamespace(A);
    env.ensureNamespace(B);
    host = env.host(0);
    env.registerHost(HOST, host, List.of(A, B));
    plugin = new PackagedPlugin(env.controlPlane().kubeconfigFile());
    flake =
        TestFlake.create(env.hosts().root().resolve("cli-flake"))
            .runner("web", "v1")
            .runner("held", "v1")
            .runner("stopped", "v1")
            .runner("planned", "v1")
            .runner("handmade", "v1")
            .buildFailure("broken", "no such package");
    env.apply(vm(A, "web", b -> b));
    env.apply(vm(A, "held", b -> b.restartPolicy(RestartPolicy.Manual)));
    env.apply(vm(A, "stopped", b -> b.running(false)));
    env.apply(vm(A, "planned", b -> b.updateStrategy(UpdateStrategy.Plan)));
    env.apply(vm(B, "broken", b -> b));
    handmade("v1", true);
    assertThat(
            host.shell(
                    "mkdir -p /var/lib/microvms/hostvm && ln -s /nix/store/"
                        + "0123456789abcdfghijklmnpqrsvwxyz-nixos /var/lib/microvms/hostvm/toplevel")
                .exitCode())
        .isZero();

    env.awaitCondition(A, "web", "Ready", "True");
    env.awaitCondition(A, "stopped", "Ready", "True");
    env.awaitCondition(A, "held", "Ready", "True");
    env.awaitMicroVM(A, "planned", WAIT, vm -> phase(vm) == MicroVMStatus.Phase.AwaitingApproval);
    env.awaitReason(B, "broken", "Stalled", "BuildFailed", WAIT);
    flake.runner("held", "v2");
    env.annotate(A, "held", Annotations.RECONCILE_REQUESTED_AT, "v2");
    env.awaitCondition(A, "held", "RestartRequired", "True");
    handmade("v2", false);
    await()
        .atMost(WAIT)
        .until(
            () ->
                hostedVm("handmade")
                        .map(h -> h.booted() != null && !h.booted().equals(h.current()))
                        .orElse(false)
                    && hostedVm("hostvm").isPresent());
  }

  @Test
  @Order(1)
  void listShowsEveryVmOfTheFleetInMicrovmLsWords() throws Exception {
    ExecResult all = plugin.run("list", "-A", "-o", "json");
    assertThat(all.exitCode()).as(all.stderr()).isZero();
    Map<String, JsonNode> rows = rowsByVm(all.stdout());
    assertThat(rows.keySet())
        .containsExactlyInAnyOrder(
            "web", "held", "stopped", "planned", "broken", "handmade", "hostvm");
    assertRow(rows.get("web"), A + "/web", "current", true, "-");
    assertRow(
        rows.get("held"),
        A + "/held",
        "outdated: a newer runner is built, held for a restart",
        true,
        "kubectl microvm restart cli-a/held");
    assertThat(rows.get("held").get("desired").asText()).endsWith("-microvm-held-v2");
    assertThat(rows.get("held").get("current").asText()).endsWith("-microvm-held-v1");
    assertRow(
        rows.get("stopped"),
        A + "/stopped",
        "not booted: stopped on request (spec.running: false)",
        false,
        "-");
    assertRow(
        rows.get("planned"),
        A + "/planned",
        "not booted: its first runner is built, awaiting approval",
        false,
        "kubectl microvm approve cli-a/planned");
    assertRow(
        rows.get("broken"),
        B + "/broken",
        "failed: BuildFailed",
        null,
        "kubectl microvm logs cli-b/broken");
    assertRow(rows.get("handmade"), FleetRow.UNMANAGED, "stale: restart due", true, null);
    assertThat(rows.get("handmade").get("booted").asText()).endsWith("-microvm-handmade-v1");
    assertThat(rows.get("handmade").get("current").asText()).endsWith("-microvm-handmade-v2");
    assertRow(
        rows.get("hostvm"),
        FleetRow.DECLARED_BY_HOST,
        "not booted: no current runner",
        false,
        null);
    for (JsonNode row : rows.values()) {
      assertThat(row.get("host").asText()).isEqualTo(HOST);
    }

    ExecResult table = plugin.run("list", "-A");
    assertThat(table.exitCode()).isZero();
    List<String> lines = table.stdout().lines().toList();
    assertThat(lines.get(0)).matches("HOST +VM +OWNER +STATE +RUNNING +RUNNER +HINT");
    assertThat(lines).hasSize(8);
    assertThat(line(lines, " held "))
        .contains("cli-a/held")
        .contains("outdated: a newer runner is built, held for a restart")
        .contains("-microvm-held-v1 → ")
        .contains("-microvm-held-v2")
        .endsWith("kubectl microvm restart cli-a/held");
    assertThat(line(lines, " handmade ")).contains("unmanaged").contains("stale: restart due");
    assertThat(table.stderr()).as("nothing but the table, no log lines").isEmpty();
    assertThat(table.stdout()).doesNotContain("\u001b[");
    System.out.println("[output] kubectl microvm list -A\n" + table.stdout());
    System.out.println(
        "[output] kubectl microvm list -A -o wide\n"
            + plugin.run("list", "-A", "-o", "wide").stdout());

    ExecResult teamA = plugin.run("list", "-n", A, "-o", "json");
    assertThat(rowsByVm(teamA.stdout()).keySet())
        .as("a namespace's MicroVMs only, without -A")
        .containsExactlyInAnyOrder("web", "held", "stopped", "planned");
    ExecResult before = plugin.run("-n", A, "list", "-o", "yaml");
    assertThat(before.stdout()).contains("owner: \"cli-a/web\"").doesNotContain("handmade");

    ExecResult none = plugin.run("list", "-A", "--host", "no-such-host");
    assertThat(none.exitCode()).isZero();
    assertThat(none.stdout()).isEmpty();
    assertThat(none.stderr().trim()).isEqualTo("No MicroVMs found on host no-such-host.");

    ExecResult viaKubectl = plugin.throughKubectl(env.controlPlane().kubectl(), "list", "-A");
    assertThat(viaKubectl.exitCode()).as(viaKubectl.stderr()).isZero();
    assertThat(viaKubectl.stdout()).isEqualTo(table.stdout());

    PackagedPlugin elsewhere = new PackagedPlugin(kubeconfigWhoseCurrentContextIsNowhere());
    ExecResult nowhere = elsewhere.run("list", "-A");
    assertThat(nowhere.exitCode()).isEqualTo(1);
    assertThat(nowhere.stderr()).contains("https://127.0.0.1:1/");
    ExecResult inContext = elsewhere.run("list", "-A", "--context", contextName());
    assertThat(inContext.exitCode()).as(inContext.stderr()).isZero();
    assertThat(inContext.stdout()).isEqualTo(table.stdout());
  }

  @Test
  @Order(2)
  void statusAndLogsTellWhatRunsWhyAndWhatHappened() throws Exception {
    ExecResult held = plugin.run("status", A + "/held");
    assertThat(held.exitCode()).as(held.stderr()).isZero();
    assertThat(held.stdout())
        .contains("MicroVM cli-a/held on host cli-h1 (VM held, phase Running)")
        .contains("State:    outdated: a newer runner is built, held for a restart")
        .contains("Next:     kubectl microvm restart cli-a/held")
        .containsPattern("RestartRequired +True +RunnerChanged")
        .containsPattern("Succeeded +\\S+ +[0-9a-z]{7}-microvm-held-v1")
        .contains("Deployed");
    System.out.println("[output] kubectl microvm status cli-a/held\n" + held.stdout());

    ExecResult json = plugin.run("status", A + "/held", "-o", "json");
    assertThat(json.exitCode()).as(json.stderr()).isZero();
    JsonNode status = JSON.readTree(json.stdout());
    assertThat(status.at("/microvm/metadata/name").asText()).isEqualTo("held");
    assertThat(status.at("/microvm/status/conditions").findValuesAsText("type"))
        .contains("Ready", "RestartRequired");
    assertThat(status.get("events").findValuesAsText("reason")).contains("Deployed");

    ExecResult planned = plugin.run("status", "planned", "-n", A);
    assertThat(planned.stdout())
        .contains("Plan (waits for approval since")
        .contains("closure difference:")
        .contains("nothing is deployed yet")
        .contains("approve with: kubectl microvm approve cli-a/planned");
    System.out.println("[output] kubectl microvm status planned -n cli-a\n" + planned.stdout());

    ExecResult logs = plugin.run("logs", B + "/broken");
    assertThat(logs.exitCode()).isZero();
    assertThat(logs.stdout())
        .contains("Normal BuildStarted")
        .contains("Warning BuildFailed")
        .contains("now Stalled (BuildFailed")
        .contains(TestFlake.BUILD_FAILURE_MARKER + " no such package");
    System.out.println("[output] kubectl microvm logs cli-b/broken\n" + logs.stdout());
  }

  @Test
  @Order(3)
  void reconcileSuspendAndResumeChangeTheirFieldAndNothingElse() {
    MicroVM before = env.get(A, "web");
    ExecResult reconcile = plugin.run("reconcile", "web", "-n", A, "--wait");
    print("kubectl microvm reconcile web -n cli-a --wait", reconcile);
    assertThat(reconcile.exitCode()).as(reconcile.stderr()).isZero();
    assertThat(reconcile.stdout())
        .isEqualTo(
            "microvm cli-a/web reconcile requested\nmicrovm cli-a/web handled by the operator\n");
    MicroVM after = env.get(A, "web");
    String requested = annotations(after).get(Annotations.RECONCILE_REQUESTED_AT);
    assertThat(after.getStatus().lastHandledReconcileAt()).isEqualTo(requested);
    assertOnlyAnnotationAdded(before, after, Annotations.RECONCILE_REQUESTED_AT);
    assertThat(after.getSpec()).isEqualTo(before.getSpec());
    assertThat(after.getMetadata().getGeneration()).isEqualTo(before.getMetadata().getGeneration());
    assertThat(after.getMetadata().getManagedFields())
        .anyMatch(m -> isPluginApply(m) && m.getFieldsV1().toString().contains("reconcile"));

    assertThat(plugin.run("suspend", A + "/web").stdout())
        .isEqualTo("microvm cli-a/web suspended\n");
    MicroVM suspended = env.get(A, "web");
    assertThat(suspended.getSpec().suspend()).isTrue();
    assertThat(MicroVMSpecBuilder.from(suspended.getSpec()).suspend(false).build())
        .isEqualTo(MicroVMSpecBuilder.from(before.getSpec()).suspend(false).build());
    assertThat(annotations(suspended)).isEqualTo(annotations(after));
    await().atMost(WAIT).until(() -> listState("web").equals("suspended"));

    // a later apply of the plugin's keeps what its earlier applies set
    assertThat(plugin.run("reconcile", A + "/web").exitCode()).isZero();
    assertThat(env.get(A, "web").getSpec().suspend()).isTrue();

    assertThat(plugin.run("resume", A + "/web").stdout()).isEqualTo("microvm cli-a/web resumed\n");
    assertThat(env.get(A, "web").getSpec().suspend()).isFalse();
    env.awaitCondition(A, "web", "Ready", "True");
    await().atMost(WAIT).until(() -> listState("web").equals("current"));
  }

  @Test
  @Order(4)
  void restartDeploysTheHeldRunnerAndTheVmIsCurrent() {
    long startsBefore = host.logs().starts("held");
    ExecResult restart = plugin.run("restart", A + "/held", "--wait");
    assertThat(restart.exitCode()).as(restart.stderr()).isZero();
    env.awaitRunner(A, "held", "-microvm-held-v2", WAIT);
    assertThat(host.logs().starts("held")).isEqualTo(startsBefore + 1);
    await().atMost(WAIT).until(() -> listState("held").equals("current"));
    assertThat(host.readlink("/var/lib/microvms/web/current").orElseThrow())
        .as("other VMs untouched")
        .endsWith("-microvm-web-v1");
  }

  @Test
  @Order(5)
  void approveAsksAndWithoutAnAnswerApprovesNothing() {
    ExecResult refused = plugin.run("approve", A + "/planned");
    print("kubectl microvm approve cli-a/planned </dev/null", refused);
    assertThat(refused.exitCode()).isEqualTo(1);
    assertThat(refused.stderr())
        .contains("closure difference:")
        .endsWith("error: no answer on standard input: pass --yes to approve without asking\n");
    assertThat(annotations(env.get(A, "planned"))).doesNotContainKey(Annotations.APPROVED_RUNNER);

    String plan = env.get(A, "planned").getStatus().plan().storePath();
    ExecResult declined = plugin.typing("n\n", "approve", A + "/planned");
    assertThat(declined.exitCode()).as(declined.stderr()).isZero();
    assertThat(declined.stderr())
        .contains("Approve " + plan + "? [y/N] ")
        .endsWith("microvm cli-a/planned not approved\n");
    assertThat(annotations(env.get(A, "planned"))).doesNotContainKey(Annotations.APPROVED_RUNNER);

    ExecResult approved = plugin.typing("y\n", "approve", A + "/planned");
    print("kubectl microvm approve cli-a/planned, answered y", approved);
    assertThat(approved.exitCode()).as(approved.stderr()).isZero();
    assertThat(approved.stdout()).isEqualTo("microvm cli-a/planned approved\n");
    assertThat(annotations(env.get(A, "planned")).get(Annotations.APPROVED_RUNNER)).isEqualTo(plan);
    env.awaitRunner(A, "planned", "-microvm-planned-v1", WAIT);
    await().atMost(WAIT).until(() -> listState("planned").equals("current"));

    ExecResult nothing = plugin.run("approve", A + "/web", "--yes");
    assertThat(nothing.exitCode()).isEqualTo(1);
    assertThat(nothing.stderr())
        .isEqualTo("error: microvm cli-a/web has no plan waiting for approval\n");
  }

  @Test
  @Order(6)
  void allWithAHostOrASelectorActsOnEachMatchingMicroVm() {
    ExecResult all = plugin.run("reconcile", "--all", "-n", A, "--host", HOST);
    assertThat(all.exitCode()).as(all.stderr()).isZero();
    assertThat(all.stdout().lines())
        .containsExactlyInAnyOrder(
            "microvm cli-a/held reconcile requested",
            "microvm cli-a/planned reconcile requested",
            "microvm cli-a/stopped reconcile requested",
            "microvm cli-a/web reconcile requested");
    assertThat(annotations(env.get(B, "broken")))
        .doesNotContainKey(Annotations.RECONCILE_REQUESTED_AT);

    ExecResult noMatch = plugin.run("suspend", "--all", "-A", "-l", "tier=none");
    assertThat(noMatch.exitCode()).isEqualTo(1);
    assertThat(noMatch.stderr()).isEqualTo("error: no MicroVMs match with labels tier=none\n");
  }

  @Test
  @Order(7)
  void errorsAreOneLineWithExitCodeOne() throws Exception {
    assertOneLineError(
        plugin.run("status", "nope", "-n", A),
        "error: microvm \"nope\" not found in namespace \"cli-a\"");
    assertOneLineError(
        plugin.run("list", "-o", "table"),
        "error: unknown output format \"table\": use wide, json or yaml");

    PackagedPlugin tenant = new PackagedPlugin(readOnlyTenantKubeconfig());
    ExecResult ownVms = tenant.run("list", "-n", A, "-o", "json");
    assertThat(ownVms.exitCode())
        .as("a tenant who may not read hosts still lists its VMs")
        .isZero();
    assertThat(rowsByVm(ownVms.stdout()).get("web").get("state").asText()).isEqualTo("current");
    ExecResult forbidden = tenant.run("reconcile", "web", "-n", A);
    print("kubectl microvm reconcile web -n cli-a   # as a reader", forbidden);
    assertThat(forbidden.exitCode()).isEqualTo(1);
    assertThat(forbidden.stderr()).startsWith("error: ").contains("forbidden").hasLineCount(1);
    ExecResult forbiddenFleet = tenant.run("list", "-A");
    assertThat(forbiddenFleet.exitCode()).isEqualTo(1);
    assertThat(forbiddenFleet.stderr()).contains("forbidden").hasLineCount(1);

    Path nowhere = env.hosts().root().resolve("nowhere-kubeconfig");
    Files.writeString(
        nowhere,
        Files.readString(env.controlPlane().kubeconfigFile())
            .replaceAll("server: *\\S+", "server: https://127.0.0.1:1"));
    ExecResult unreachable = new PackagedPlugin(nowhere).run("list");
    print("kubectl microvm list   # no API server", unreachable);
    assertThat(unreachable.exitCode()).isEqualTo(1);
    assertThat(unreachable.stderr())
        .startsWith("error: cannot reach the Kubernetes API server at https://127.0.0.1:1")
        .hasLineCount(1);

    env.stopOperator();
    try {
      ExecResult noOperator = plugin.run("reconcile", A + "/web", "--wait", "--timeout", "5");
      print("kubectl microvm reconcile cli-a/web --wait --timeout 5   # no operator", noOperator);
      assertThat(noOperator.stdout()).isEqualTo("microvm cli-a/web reconcile requested\n");
      assertOneLineError(
          noOperator,
          "error: the operator did not handle the request on cli-a/web within 5s: is it running?"
              + " (kubectl -n microvm-operator get pods)");
    } finally {
      env.startOperator();
    }
  }

  @Test
  @Order(8)
  void hostAddBringsANewHostToReady() throws Exception {
    TestHost second = env.host(1);
    ExecResult unconfirmed =
        plugin.run(
            "host",
            "add",
            "cli-h2",
            "--address",
            second.address(),
            "--port",
            String.valueOf(second.port()));
    assertThat(unconfirmed.exitCode()).isEqualTo(1);
    assertThat(unconfirmed.stderr())
        .contains(second.hostKeyLine())
        .endsWith("error: no answer on standard input: pass --yes or --host-key to pin a key\n");
    assertThat(env.client().resources(MicroVMHost.class).withName("cli-h2").get()).isNull();

    Process add =
        plugin.start(
            "y\n",
            "host",
            "add",
            "cli-h2",
            "--address",
            second.address(),
            "--port",
            String.valueOf(second.port()),
            "--allow-namespace",
            A,
            "--probe-interval",
            "2s",
            "--timeout",
            "120");
    BufferedReader out =
        new BufferedReader(new InputStreamReader(add.getInputStream(), StandardCharsets.UTF_8));
    String publicKey = out.readLine();
    assertThat(publicKey).startsWith("ssh-ed25519 ").endsWith(" microvm-operator@cli-h2");
    second.authorizeKeys(List.of(publicKey));
    assertThat(add.waitFor(3, TimeUnit.MINUTES)).isTrue();
    String rest = new String(add.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(add.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(add.exitValue()).as(err).isZero();
    assertThat(rest).contains("microvmhost cli-h2 is Ready");
    System.out.println(
        "[output] kubectl microvm host add\n[stdout]\n"
            + publicKey
            + "\n"
            + rest
            + "[stderr]\n"
            + err);

    MicroVMHost added = env.client().resources(MicroVMHost.class).withName("cli-h2").get();
    assertThat(added.getSpec().hostKeys()).containsExactly(second.hostKeyLine());
    assertThat(err)
        .contains("Pin this host key? [y/N] ")
        .contains(added.getStatus().hostKeyFingerprint());
    assertThat(
            env.client()
                .secrets()
                .inNamespace(OperatorHarness.OPERATOR_NAMESPACE)
                .withName("cli-h2-ssh")
                .get()
                .getData())
        .containsOnlyKeys("id_ed25519");
  }

  @Test
  @Order(9)
  void hostAddSaysWhyAHostIsNotReadyAndRefusesAnExistingName() {
    ExecResult unreachable =
        plugin.run(
            "host",
            "add",
            "cli-h3",
            "--address",
            "127.0.0.1",
            "--port",
            "1",
            "--host-key",
            env.host(1).hostKeyLine(),
            "--timeout",
            "10");
    print("kubectl microvm host add cli-h3 --address 127.0.0.1 --port 1 ...", unreachable);
    assertThat(unreachable.exitCode()).isEqualTo(1);
    assertThat(unreachable.stderr())
        .contains("waiting: HostUnreachable")
        .containsPattern(
            "\\nerror: microvmhost cli-h3 is not Ready after 10s: HostUnreachable: .+\\n$");
    assertThat(unreachable.stderr().lines().filter(l -> l.startsWith("error: "))).hasSize(1);
    assertThat(
            env.client().resources(MicroVMHost.class).withName("cli-h3").get().getSpec().hostKeys())
        .containsExactly(env.host(1).hostKeyLine());

    assertOneLineError(
        plugin.run(
            "host",
            "add",
            "cli-h3",
            "--address",
            "127.0.0.1",
            "--host-key",
            env.host(1).hostKeyLine()),
        "error: microvmhost \"cli-h3\" already exists");
    env.client().resources(MicroVMHost.class).withName("cli-h3").delete();
    env.client()
        .secrets()
        .inNamespace(OperatorHarness.OPERATOR_NAMESPACE)
        .withName("cli-h3-ssh")
        .delete();
  }

  // --- helpers

  private static MicroVM vm(String ns, String name, UnaryOperator<MicroVMSpecBuilder> spec) {
    MicroVM vm = new MicroVM();
    vm.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
    vm.setSpec(
        spec.apply(MicroVMSpecBuilder.flake(HOST, flake.pathRef(), name).interval("1h")).build());
    return vm;
  }

  /** A VM folder made by hand, as microvm -c would: built, and started when asked. */
  @Test
  @Order(10)
  void theInstallScriptInstallsAPluginThatMapsItsClassDataArchive() throws Exception {
    Path prefix = env.hosts().root().resolve("cli-prefix");
    ExecResult install =
        Commands.run(
            List.of("hack/install-kubectl-microvm.sh", prefix.toString()),
            Map.of(),
            Duration.ofMinutes(5));
    assertThat(install.exitCode()).as(install.stderr()).isZero();
    assertThat(prefix.resolve("lib/kubectl-microvm/kubectl-microvm.jsa")).isNotEmptyFile();

    // -Xshare:on: the JVM refuses to start unless it maps the archive.
    Map<String, String> shareOn =
        Map.of(
            "KUBECONFIG",
            env.controlPlane().kubeconfigFile().toString(),
            "JAVA_TOOL_OPTIONS",
            "-Xshare:on",
            "PATH",
            prefix.resolve("bin") + ":" + System.getenv("PATH"));
    ExecResult installed =
        Commands.run(
            List.of(env.controlPlane().kubectl().toString(), "microvm", "list", "-A"),
            shareOn,
            Duration.ofMinutes(3));
    assertThat(installed.exitCode()).as(installed.stderr()).isZero();
    assertThat(installed.stdout()).isEqualTo(plugin.run("list", "-A").stdout());
  }

  private static void handmade(String version, boolean start) {
    if (!start) {
      flake.runner("handmade", version);
    }
    String script =
        "install -d -o microvm -g kvm -m 0775 /var/lib/microvms/handmade"
            + " && cd /var/lib/microvms/handmade && nix build -o current "
            + Commands.shellQuote(flake.installable("handmade"))
            + (start ? " && systemctl start microvm@handmade.service" : "");
    ExecResult made = host.ssh(script);
    assertThat(made.exitCode()).as(made.stderr()).isZero();
  }

  private static java.util.Optional<io.microvmoperator.api.MicroVMHostStatus.HostedVM> hostedVm(
      String name) {
    MicroVMHost h = env.client().resources(MicroVMHost.class).withName(HOST).get();
    if (h.getStatus() == null || h.getStatus().microvms() == null) {
      return java.util.Optional.empty();
    }
    return h.getStatus().microvms().stream().filter(v -> v.name().equals(name)).findFirst();
  }

  private static MicroVMStatus.Phase phase(MicroVM vm) {
    return vm.getStatus() == null ? null : vm.getStatus().phase();
  }

  /** The test's kubeconfig with a second context, current, whose server is not there. */
  private static Path kubeconfigWhoseCurrentContextIsNowhere() throws Exception {
    Path copy = env.hosts().root().resolve("cli-two-contexts.kubeconfig");
    Files.copy(env.controlPlane().kubeconfigFile(), copy, StandardCopyOption.REPLACE_EXISTING);
    String user = kubectlConfig(copy, "view", "-o", "jsonpath={.contexts[0].context.user}").trim();
    kubectlConfig(copy, "set-cluster", "nowhere", "--server=https://127.0.0.1:1");
    kubectlConfig(copy, "set-context", "nowhere", "--cluster=nowhere", "--user=" + user);
    kubectlConfig(copy, "use-context", "nowhere");
    return copy;
  }

  private static String contextName() {
    return kubectlConfig(env.controlPlane().kubeconfigFile(), "current-context").trim();
  }

  private static String kubectlConfig(Path kubeconfig, String... args) {
    List<String> argv =
        new ArrayList<>(
            List.of(
                env.controlPlane().kubectl().toString(),
                "--kubeconfig",
                kubeconfig.toString(),
                "config"));
    argv.addAll(List.of(args));
    return Commands.run(argv, Map.of(), Duration.ofSeconds(30)).orThrow("kubectl config").stdout();
  }

  private static Map<String, JsonNode> rowsByVm(String json) throws Exception {
    Map<String, JsonNode> rows = new HashMap<>();
    JSON.readTree(json).get("items").forEach(r -> rows.put(r.get("vm").asText(), r));
    return rows;
  }

  private static String listState(String vm) throws Exception {
    return rowsByVm(plugin.run("list", "-n", A, "-o", "json").stdout())
        .get(vm)
        .get("state")
        .asText();
  }

  private static void assertRow(
      JsonNode row, String owner, String state, Boolean running, String hint) {
    assertThat(row.get("owner").asText()).isEqualTo(owner);
    assertThat(row.get("state").asText()).as(row.toString()).isEqualTo(state);
    if (running != null) {
      assertThat(row.get("running").asBoolean()).as(row.toString()).isEqualTo(running);
    }
    if (hint != null) {
      assertThat(row.get("hint").asText()).isEqualTo(hint);
    }
  }

  private static String line(List<String> lines, String containing) {
    return lines.stream().filter(l -> l.contains(containing)).findFirst().orElseThrow();
  }

  private static Map<String, String> annotations(MicroVM vm) {
    Map<String, String> a = vm.getMetadata().getAnnotations();
    return a == null ? Map.of() : a;
  }

  private static void assertOnlyAnnotationAdded(MicroVM before, MicroVM after, String key) {
    Map<String, String> expected = new HashMap<>(annotations(before));
    expected.put(key, annotations(after).get(key));
    assertThat(annotations(after)).isEqualTo(expected);
    assertThat(after.getMetadata().getLabels()).isEqualTo(before.getMetadata().getLabels());
  }

  private static boolean isPluginApply(ManagedFieldsEntry m) {
    return Session.FIELD_MANAGER.equals(m.getManager()) && "Apply".equals(m.getOperation());
  }

  private static void print(String command, ExecResult result) {
    System.out.println(
        "[output] "
            + command
            + " (exit "
            + result.exitCode()
            + ")\n[stdout]\n"
            + result.stdout()
            + "[stderr]\n"
            + result.stderr());
  }

  private static void assertOneLineError(ExecResult result, String line) {
    assertThat(result.exitCode()).as(result.stdout() + result.stderr()).isEqualTo(1);
    assertThat(result.stderr()).endsWith(line + "\n");
    assertThat(result.stderr().lines().filter(l -> l.startsWith("error: "))).hasSize(1);
  }

  /** A ServiceAccount that may read the MicroVMs of namespace A, and nothing else. */
  private static Path readOnlyTenantKubeconfig() throws Exception {
    var client = env.client();
    client
        .resource(
            new ServiceAccountBuilder()
                .withNewMetadata()
                .withName("reader")
                .withNamespace(A)
                .endMetadata()
                .build())
        .serverSideApply();
    client
        .resource(
            new RoleBuilder()
                .withNewMetadata()
                .withName("microvm-reader")
                .withNamespace(A)
                .endMetadata()
                .withRules(
                    new PolicyRuleBuilder()
                        .withApiGroups("microvm-operator.io")
                        .withResources("microvms")
                        .withVerbs("get", "list")
                        .build())
                .build())
        .serverSideApply();
    client
        .resource(
            new RoleBindingBuilder()
                .withNewMetadata()
                .withName("microvm-reader")
                .withNamespace(A)
                .endMetadata()
                .withNewRoleRef("rbac.authorization.k8s.io", "Role", "microvm-reader")
                .addNewSubject()
                .withKind("ServiceAccount")
                .withName("reader")
                .withNamespace(A)
                .endSubject()
                .build())
        .serverSideApply();
    return env.controlPlane()
        .serviceAccountKubeconfig(A, "reader", env.hosts().root().resolve("reader-kubeconfig"));
  }
}
