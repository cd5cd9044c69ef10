package io.microvmoperator.install;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMHost;
import io.microvmoperator.testenv.Commands;
import io.microvmoperator.testenv.Conflicts;
import io.microvmoperator.testenv.ExecResult;
import io.microvmoperator.testenv.Helm;
import io.microvmoperator.testenv.KubeControlPlane;
import io.microvmoperator.testenv.OperatorHarness;
import io.microvmoperator.testenv.OperatorProcess;
import io.microvmoperator.testenv.TestFlake;
import io.microvmoperator.testenv.TestHost;
import io.microvmoperator.testenv.TestHosts;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Helm chart: it lints, its rendered manifests pass the real API server's server-side dry run,
 * and the operator running as the chart's ServiceAccount with exactly the chart's RBAC (two
 * replicas of the jar, with a token of that ServiceAccount and the Deployment's environment)
 * converges and deletes MicroVMs on a real test host. The API server enforces RBAC and audits the
 * ServiceAccount's requests: none is refused, and every permission the chart grants is used, except
 * the ones named in {@link #NOT_EXERCISED}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HelmChartIT {

  @RegisterExtension static KubeControlPlane k8s = KubeControlPlane.shared();
  @RegisterExtension static TestHosts hosts = TestHosts.start(1);

  private static final String RELEASE = "mvo";
  private static final String NS = "mvo-system";
  private static final String SERVICE_ACCOUNT = "mvo-microvm-operator";
  private static final String USER = "system:serviceaccount:" + NS + ":" + SERVICE_ACCOUNT;
  private static final String VM_NS = "helm-vms";
  private static final String HOST = "helm-host";
  private static final String LEASE = "microvm-operator-leader";

  /**
   * A permission: {@code SCOPE GROUP RESOURCE[/SUBRESOURCE] NAME VERB}; scope {@code cluster}
   * (ClusterRole) or {@code release} (Role in the release's namespace), group {@code core} for "",
   * name {@code *} for any.
   */
  record Permission(String scope, String group, String resource, String name, String verb) {
    static Permission parse(String text) {
      String[] p = text.split(" ");
      return new Permission(p[0], p[1].equals("core") ? "" : p[1], p[2], p[3], p[4]);
    }

    boolean allows(AuditedRequest request) {
      return group.equals(request.group())
          && resource.equals(request.resource())
          && verb.equals(request.verb())
          && (name.equals("*") || name.equals(request.name()))
          && (scope.equals("cluster") || NS.equals(request.namespace()));
    }

    @Override
    public String toString() {
      return String.join(" ", scope, group.isEmpty() ? "core" : group, resource, name, verb);
    }
  }

  /** Exactly what the operator needs (docs/security.md says why for each). */
  static final Set<Permission> EXPECTED =
      permissions(
          "cluster microvm-operator.io microvms * list",
          "cluster microvm-operator.io microvms * watch",
          "cluster microvm-operator.io microvms * patch",
          "cluster microvm-operator.io microvms * get",
          "cluster microvm-operator.io microvmhosts * list",
          "cluster microvm-operator.io microvmhosts * watch",
          "cluster microvm-operator.io microvmhosts * patch",
          "cluster microvm-operator.io microvmhosts * get",
          "cluster microvm-operator.io microvms/status * patch",
          "cluster microvm-operator.io microvmhosts/status * patch",
          "cluster core events * get",
          "cluster core events * create",
          "cluster core events * update",
          "release core secrets * get",
          "release coordination.k8s.io leases * create",
          "release coordination.k8s.io leases " + LEASE + " get",
          "release coordination.k8s.io leases " + LEASE + " patch",
          "release coordination.k8s.io leases " + LEASE + " update");

  /**
   * Granted, but not used in this scenario: JOSDK re-reads a resource (get) only when removing a
   * finalizer met a conflicting write; and it refuses to start leader election unless the Lease may
   * be updated, although the lock renews it with a patch.
   */
  static final Set<Permission> NOT_EXERCISED =
      permissions(
          "cluster microvm-operator.io microvms * get",
          "cluster microvm-operator.io microvmhosts * get",
          "release coordination.k8s.io leases " + LEASE + " update");

  /**
   * What Kubernetes' default ClusterRole system:basic-user allows every authenticated user: JOSDK
   * asks which permissions it has on Leases before leader election starts.
   */
  static final Set<Permission> EVERY_USER_MAY =
      permissions("cluster authorization.k8s.io selfsubjectrulesreviews * create");

  private static KubernetesClient admin;
  private static String rendered;
  private static final List<OperatorProcess> replicas = new ArrayList<>();

  @BeforeAll
  static void render() {
    admin = k8s.client();
    rendered = Helm.template(RELEASE, NS);
  }

  @AfterAll
  static void stopReplicas() {
    replicas.forEach(OperatorProcess::close);
    admin.close();
  }

  @Test
  @Order(1)
  void theChartLints() {
    ExecResult lint = Helm.run("lint", "--strict", Helm.CHART.toString());
    assertThat(lint.exitCode()).as(lint.stdout() + lint.stderr()).isZero();

    ExecResult single =
        Helm.run(
            "lint",
            "--strict",
            Helm.CHART.toString(),
            "--set",
            "replicaCount=1",
            "--set",
            "leaderElection.enabled=false");
    assertThat(single.exitCode()).as(single.stdout() + single.stderr()).isZero();

    ExecResult unsafe =
        Helm.run(
            "template", RELEASE, Helm.CHART.toString(), "--set", "leaderElection.enabled=false");
    assertThat(unsafe.exitCode()).isNotZero();
    assertThat(unsafe.stderr()).contains("replicaCount > 1 needs leaderElection.enabled");

    String monitored = Helm.template(RELEASE, NS, "--set", "metrics.serviceMonitor.enabled=true");
    assertThat(monitored).contains("kind: ServiceMonitor").contains("port: http-metrics");
  }

  @Test
  @Order(1)
  void theSchemaRefusesValuesOfTheWrongType() {
    Map<String, String> refused =
        Map.of(
            "replicaCount=two", "/replicaCount': got string, want integer",
            "logLevel=loud", "/logLevel'",
            "logFormat=xml", "/logFormat'",
            "image.digest=latest", "/image/digest'",
            "healthPort=70000", "/healthPort'",
            "resyncInterval=often", "/resyncInterval'",
            "crds.enabled=maybe", "/crds/enabled'",
            "podDisruptionBudget.maxUnavailable=all", "/podDisruptionBudget/maxUnavailable'",
            "replicaCont=2", "additional properties 'replicaCont' not allowed");
    refused.forEach(
        (value, message) -> {
          ExecResult lint = Helm.run("lint", "--strict", Helm.CHART.toString(), "--set", value);
          assertThat(lint.exitCode()).as("helm lint --set %s", value).isNotZero();
          assertThat(lint.stdout() + lint.stderr())
              .as("helm lint --set %s", value)
              .contains(message);
          ExecResult template =
              Helm.run("template", RELEASE, Helm.CHART.toString(), "--set", value);
          assertThat(template.exitCode()).as("helm template --set %s", value).isNotZero();
          assertThat(template.stderr()).as("helm template --set %s", value).contains(message);
        });
    ExecResult both =
        Helm.run(
            "template",
            RELEASE,
            Helm.CHART.toString(),
            "--set",
            "metrics.serviceMonitor.enabled=true",
            "--set",
            "metrics.podMonitor.enabled=true");
    assertThat(both.stderr())
        .contains("enable one of metrics.serviceMonitor and metrics.podMonitor");
  }

  @Test
  @Order(1)
  void theNewValuesRenderAsDocumented() throws IOException {
    String digest = "sha256:" + "0123456789abcdef".repeat(4);
    Path values = hosts.root().resolve("extra-values.yaml");
    Files.writeString(
        values,
        """
        image:
          repository: registry.example.org/platform/microvm-operator
          tag: ignored
          digest: %s
        logLevel: debug
        extraEnv:
          - name: HTTPS_PROXY
            value: http://proxy.example.org:3128
        extraVolumes:
          - name: hydra-ca
            configMap:
              name: hydra-ca
        extraVolumeMounts:
          - name: hydra-ca
            mountPath: /etc/hydra-ca
            readOnly: true
        podDisruptionBudget:
          maxUnavailable: null
          minAvailable: 1
        topologySpreadConstraints:
          - maxSkew: 1
            topologyKey: topology.kubernetes.io/zone
            whenUnsatisfiable: DoNotSchedule
        metrics:
          podMonitor:
            enabled: true
            labels:
              release: prometheus
        """
            .formatted(digest));
    String manifests = Helm.template(RELEASE, NS, "-f", values.toString());
    Deployment deployment = all(Deployment.class, manifests).get(0);
    var pod = deployment.getSpec().getTemplate().getSpec();
    Container container = pod.getContainers().get(0);

    assertThat(container.getImage())
        .as("a digest pins the image; the tag is not used")
        .isEqualTo("registry.example.org/platform/microvm-operator@" + digest);
    assertThat(env(container))
        .containsEntry("LOG_LEVEL", "debug")
        .containsEntry("HTTPS_PROXY", "http://proxy.example.org:3128");
    assertThat(container.getVolumeMounts())
        .anyMatch(m -> m.getName().equals("hydra-ca") && m.getMountPath().equals("/etc/hydra-ca"))
        .anyMatch(m -> m.getMountPath().equals("/tmp"));
    assertThat(pod.getVolumes())
        .anyMatch(v -> v.getName().equals("hydra-ca") && v.getConfigMap() != null);
    assertThat(pod.getTopologySpreadConstraints()).hasSize(1);
    var spread = pod.getTopologySpreadConstraints().get(0);
    assertThat(spread.getTopologyKey()).isEqualTo("topology.kubernetes.io/zone");
    assertThat(spread.getLabelSelector().getMatchLabels())
        .as("the chart's pod labels, filled in")
        .containsEntry("app.kubernetes.io/instance", RELEASE);
    var pdb = all(io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget.class, manifests);
    assertThat(pdb).hasSize(1);
    assertThat(pdb.get(0).getSpec().getMinAvailable().getIntVal()).isEqualTo(1);
    assertThat(pdb.get(0).getSpec().getMaxUnavailable()).isNull();
    assertThat(manifests)
        .contains("kind: PodMonitor")
        .contains("release: prometheus")
        .doesNotContain("kind: ServiceMonitor");

    // The default: one replica may be disrupted at a time, spread over nodes.
    Deployment defaults = only(Deployment.class);
    assertThat(env(defaults.getSpec().getTemplate().getSpec().getContainers().get(0)))
        .containsEntry("LOG_LEVEL", "info");
    assertThat(defaults.getSpec().getTemplate().getSpec().getTopologySpreadConstraints())
        .singleElement()
        .satisfies(c -> assertThat(c.getTopologyKey()).isEqualTo("kubernetes.io/hostname"));
    assertThat(
            only(io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget.class)
                .getSpec()
                .getMaxUnavailable()
                .getIntVal())
        .isEqualTo(1);
  }

  /**
   * The CRDs are templates: exactly the generated files (CrdDriftTest checks those) plus the
   * release's labels and the keep policy, each of which can be turned off.
   */
  @Test
  @Order(1)
  void theCrdsAreTheGeneratedOnesWithTheReleasesLabels() throws IOException {
    List<CustomResourceDefinition> crds = all(CustomResourceDefinition.class, rendered);
    assertThat(crds).hasSize(2);
    for (CustomResourceDefinition crd : crds) {
      String name = crd.getMetadata().getName();
      CustomResourceDefinition generated =
          admin
              .getKubernetesSerialization()
              .unmarshal(
                  Files.readString(Path.of("target/classes/META-INF/fabric8", name + "-v1.yml")),
                  CustomResourceDefinition.class);
      assertThat(crd.getSpec()).as(name).isEqualTo(generated.getSpec());
      assertThat(crd.getMetadata().getLabels())
          .containsEntry("app.kubernetes.io/managed-by", "Helm")
          .containsEntry("app.kubernetes.io/instance", RELEASE);
      assertThat(crd.getMetadata().getAnnotations())
          .containsEntry("helm.sh/resource-policy", "keep");
    }
    String notKept = Helm.template(RELEASE, NS, "--set", "crds.keep=false");
    assertThat(all(CustomResourceDefinition.class, notKept))
        .hasSize(2)
        .allSatisfy(crd -> assertThat(crd.getMetadata().getAnnotations()).isNullOrEmpty());
    assertThat(
            all(
                CustomResourceDefinition.class,
                Helm.template(RELEASE, NS, "--set", "crds.enabled=false")))
        .isEmpty();
  }

  @Test
  @Order(3)
  void shardsRenderOneDeploymentEachThatTheApiServerAccepts() throws IOException {
    Path sharded = hosts.root().resolve("chart-sharded.yaml");
    Files.writeString(
        sharded,
        Helm.run(
                "template",
                RELEASE,
                Helm.CHART.toString(),
                "-n",
                NS,
                "--set",
                "sharding.shards={eu1,us1}")
            .orThrow("helm template with shards")
            .stdout());
    String text = Files.readString(sharded);
    assertThat(text)
        .contains("name: " + SERVICE_ACCOUNT + "-shard-eu1")
        .contains("name: " + SERVICE_ACCOUNT + "-shard-us1")
        .contains("value: \"sharding.microvm-operator.io/key=eu1\"")
        .contains("value: \"microvm-operator-leader-us1\"")
        .contains("value: \"!sharding.microvm-operator.io/key\"")
        .contains("- microvm-operator-leader-eu1");

    ExecResult dryRun =
        k8s.kubectl(
            "apply",
            "--server-side",
            "--force-conflicts",
            "--dry-run=server",
            "-f",
            sharded.toString());
    assertThat(dryRun.exitCode()).as(dryRun.stderr()).isZero();
    assertThat(dryRun.stdout())
        .contains("deployment.apps/" + SERVICE_ACCOUNT + "-shard-eu1")
        .contains("deployment.apps/" + SERVICE_ACCOUNT + "-shard-us1");

    ExecResult badName =
        Helm.run("template", RELEASE, Helm.CHART.toString(), "--set", "sharding.shards={EU_1}");
    assertThat(badName.exitCode()).isNotZero();
    assertThat(badName.stderr()).contains("/sharding/shards/0");
  }

  @Test
  @Order(2)
  void theRenderedChartPassesTheApiServersDryRun() throws IOException {
    // The namespace enforces the restricted Pod Security Standard, as a hardened cluster would.
    admin
        .resource(
            new NamespaceBuilder()
                .withNewMetadata()
                .withName(NS)
                .addToLabels("pod-security.kubernetes.io/enforce", "restricted")
                .addToLabels("pod-security.kubernetes.io/warn", "restricted")
                .endMetadata()
                .build())
        .serverSideApply();
    Path all = hosts.root().resolve("chart-with-crds.yaml");
    Files.writeString(
        all,
        Helm.run("template", RELEASE, Helm.CHART.toString(), "-n", NS)
            .orThrow("helm template")
            .stdout());

    // The CRDs are templates (no --include-crds); the control plane applied the same CRDs
    // already, as another field manager.
    ExecResult dryRun =
        k8s.kubectl(
            "apply",
            "--server-side",
            "--force-conflicts",
            "--dry-run=server",
            "-f",
            all.toString());

    assertThat(dryRun.exitCode()).as(dryRun.stderr()).isZero();
    assertThat(dryRun.stderr()).doesNotContain("would violate PodSecurity");
    assertThat(dryRun.stdout())
        .contains("customresourcedefinition.apiextensions.k8s.io/microvms.microvm-operator.io")
        .contains("deployment.apps/" + SERVICE_ACCOUNT)
        .contains("clusterrole.rbac.authorization.k8s.io/" + SERVICE_ACCOUNT)
        .contains("service/" + SERVICE_ACCOUNT + "-metrics");
  }

  @Test
  @Order(3)
  void aPodThatIsNotHardenedWouldBeRefused() throws IOException {
    Path weakened = hosts.root().resolve("weakened.yaml");
    Files.writeString(
        weakened,
        Helm.template(
            RELEASE,
            NS,
            "--show-only",
            "templates/deployment.yaml",
            "--set",
            "securityContext.allowPrivilegeEscalation=true"));

    ExecResult dryRun =
        k8s.kubectl("apply", "--server-side", "--dry-run=server", "-f", weakened.toString());

    assertThat(dryRun.stderr()).contains("would violate PodSecurity \"restricted");
  }

  @Test
  @Order(4)
  void thePodIsHardenedAndRunsTheImageOfThisVersion() {
    Deployment deployment = only(Deployment.class);
    var pod = deployment.getSpec().getTemplate().getSpec();
    Container container = pod.getContainers().get(0);

    assertThat(deployment.getSpec().getReplicas()).isEqualTo(2);
    assertThat(env(container)).containsEntry("LEADER_ELECTION", "true");
    assertThat(pod.getServiceAccountName()).isEqualTo(SERVICE_ACCOUNT);
    assertThat(container.getImage())
        .isEqualTo("microvm-operator:" + System.getProperty("project.version"));
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    var security = container.getSecurityContext();
    assertThat(security.getReadOnlyRootFilesystem()).isTrue();
    assertThat(security.getAllowPrivilegeEscalation()).isFalse();
    assertThat(security.getRunAsNonRoot()).isTrue();
    assertThat(security.getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(security.getCapabilities().getAdd()).isNullOrEmpty();
    assertThat(security.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    assertThat(container.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
    assertThat(container.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
    assertThat(container.getVolumeMounts()).anyMatch(m -> m.getMountPath().equals("/tmp"));
    assertThat(env(container))
        .containsEntry("LOG4J_CONFIGURATION_FILE", "classpath:log4j2-json.xml")
        .containsEntry("RESYNC_INTERVAL", "10h");
    assertThat(container.getEnv())
        .anyMatch(
            e ->
                e.getName().equals("OPERATOR_NAMESPACE")
                    && e.getValueFrom().getFieldRef().getFieldPath().equals("metadata.namespace"));
  }

  @Test
  @Order(5)
  void theChartGrantsExactlyTheExpectedPermissions() {
    Set<Permission> granted = new HashSet<>();
    named(ClusterRole.class, SERVICE_ACCOUNT)
        .getRules()
        .forEach(rule -> granted.addAll(expand("cluster", rule)));
    only(Role.class).getRules().forEach(rule -> granted.addAll(expand("release", rule)));

    assertThat(granted).containsExactlyInAnyOrderElementsOf(EXPECTED);
  }

  @Test
  @Order(6)
  void twoReplicasWithTheChartsIdentityConvergeAndDeleteMicroVMs() throws Exception {
    apply(rendered);
    Path kubeconfig = serviceAccountKubeconfig();
    Map<String, String> env =
        env(only(Deployment.class).getSpec().getTemplate().getSpec().getContainers().get(0));
    env.put("OPERATOR_NAMESPACE", NS);
    for (String pod : List.of("mvo-0", "mvo-1")) {
      Map<String, String> podEnv = new HashMap<>(env);
      podEnv.put("HOSTNAME", pod);
      replicas.add(OperatorProcess.start(kubeconfig, podEnv, hosts.root().resolve(pod + ".log")));
    }

    for (OperatorProcess replica : replicas) {
      await("/readyz of every replica, the standby's too")
          .atMost(Duration.ofSeconds(90))
          .ignoreExceptions()
          .failFast("the replica ended:\n" + replica.log(), () -> !replica.isAlive())
          .until(() -> replica.get("/readyz").statusCode() == 200);
    }
    String leader = leaseHolder();
    // A replica's identity is its pod's name with a random suffix
    String leaderPod = leader.substring(0, leader.lastIndexOf('_'));
    assertThat(leaderPod).isIn("mvo-0", "mvo-1");

    OperatorHarness.ensureNamespace(admin, VM_NS);
    // The deploy key as docs/hosts.md authorises it: no forwarding, no pty, from known sources.
    TestHost host = hosts.get(0).authorizeClientKeyWith("restrict,from=\"127.0.0.0/8\"");
    OperatorHarness.registerHost(admin, HOST, host, List.of(VM_NS), NS);
    TestFlake flake = TestFlake.create(hosts.root().resolve("flake")).runner("web", "v1");
    admin
        .resource(OperatorHarness.microVM(VM_NS, "web", HOST, flake.pathRef(), "web"))
        .serverSideApply();
    awaitReady("web");
    assertThat(host.readlink("/var/lib/microvms/web/current")).isPresent();
    // The metrics docs/operations.md names, from the replica that reconciles.
    assertThat(replicas.get(leaderPod.equals("mvo-0") ? 0 : 1).get("/metrics").body())
        .contains("operator_sdk_reconciliations_started_total{")
        .contains("operator_sdk_reconciliations_success_total{")
        .contains("operator_sdk_controllers_execution_reconcile_seconds_bucket{")
        .contains("operator_sdk_controllers_execution_reconcile_success_total{")
        .contains("operator_sdk_reconciliations_executions_microvm{")
        .contains("operator_sdk_reconciliations_queue_size_microvmhost{")
        .contains("operator_sdk_events_received_total{")
        .contains("jvm_memory_used_bytes{");

    assertThat(replicas.get(0).log())
        .as("logLevel info (the chart's default): no DEBUG lines")
        .contains("\"log.level\":\"INFO\"")
        .doesNotContain("\"log.level\":\"DEBUG\"");

    // A stalled MicroVM: its Warning Event is recorded, then counted up on the next reconcile.
    admin
        .resource(OperatorHarness.microVM(VM_NS, "lost", "no-such-host", flake.pathRef(), "web"))
        .serverSideApply();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> hostNotFoundEvent().map(Event::getCount).orElse(0) >= 1);
    for (int i = 1; hostNotFoundEvent().map(Event::getCount).orElse(0) < 2; i++) {
      annotate("lost", "retry-" + i);
      Thread.sleep(1000);
      assertThat(i).as("the repeated Event is counted up").isLessThan(30);
    }

    // The leader goes away (a pod deleted): the standby takes over and does the deletions.
    OperatorProcess leading = replicas.get(leaderPod.equals("mvo-0") ? 0 : 1);
    leading.close();
    replicas.remove(leading);
    await("the standby takes the lease")
        .atMost(Duration.ofSeconds(90))
        .until(() -> !leader.equals(leaseHolder()));

    admin.resources(MicroVM.class).inNamespace(VM_NS).withName("web").delete();
    admin.resources(MicroVM.class).inNamespace(VM_NS).withName("lost").delete();
    await("finalizers removed, VM removed from the host")
        .atMost(Duration.ofSeconds(90))
        .until(
            () ->
                admin.resources(MicroVM.class).inNamespace(VM_NS).list().getItems().isEmpty()
                    && !Files.exists(host.realPath("/var/lib/microvms/web")));
    admin.resources(MicroVMHost.class).withName(HOST).delete();
    await("the host's finalizer removed")
        .atMost(Duration.ofSeconds(60))
        .until(() -> admin.resources(MicroVMHost.class).withName(HOST).get() == null);
  }

  @Test
  @Order(7)
  void theServiceAccountCanDoNothingElse() {
    // Things the operator must never be able to do, checked by the real authorizer.
    for (String denied :
        List.of(
            "get secrets -n default",
            "get secrets -n " + VM_NS,
            "list secrets -n " + NS,
            "watch secrets -n " + NS,
            "create secrets -n " + NS,
            "update secrets -n " + NS,
            "patch secrets -n " + NS,
            "delete secrets -n " + NS,
            "create microvms.microvm-operator.io -n " + VM_NS,
            "update microvms.microvm-operator.io -n " + VM_NS,
            "delete microvms.microvm-operator.io -n " + VM_NS,
            "create microvmhosts.microvm-operator.io",
            "delete microvmhosts.microvm-operator.io",
            "update microvmhosts.microvm-operator.io",
            "delete events -n " + VM_NS,
            "get leases.coordination.k8s.io/another-lease -n " + NS,
            "patch leases.coordination.k8s.io/" + LEASE + " -n default",
            "create leases.coordination.k8s.io -n default",
            "get pods -n " + NS,
            "create pods -n " + NS,
            "list configmaps -n " + NS,
            "get nodes",
            "create serviceaccounts/token -n " + NS,
            "impersonate users",
            "escalate clusterroles.rbac.authorization.k8s.io",
            "bind clusterroles.rbac.authorization.k8s.io",
            "update customresourcedefinitions.apiextensions.k8s.io")) {
      assertThat(canI(denied)).as("can the operator " + denied + "?").isEqualTo("no");
    }
    // And the RBAC check itself answers yes where the chart grants (so "no" above means no).
    for (String allowed :
        List.of(
            "get secrets -n " + NS,
            "patch microvms.microvm-operator.io --subresource=status -n " + VM_NS,
            "watch microvmhosts.microvm-operator.io",
            "create events -n " + VM_NS,
            "patch leases.coordination.k8s.io/" + LEASE + " -n " + NS)) {
      assertThat(canI(allowed)).as("can the operator " + allowed + "?").isEqualTo("yes");
    }
  }

  @Test
  @Order(8)
  void theAuditLogShowsNoRefusalAndEveryPermissionInUse() throws IOException {
    List<AuditedRequest> requests = auditedRequests();
    assertThat(requests).as("the operator's requests in the audit log").isNotEmpty();

    assertThat(requests.stream().filter(r -> r.code() == 403).map(AuditedRequest::toString))
        .as("requests the API server refused")
        .isEmpty();
    assertThat(
            requests.stream()
                .filter(r -> r.resource() != null)
                .filter(r -> EXPECTED.stream().noneMatch(p -> p.allows(r)))
                .filter(r -> EVERY_USER_MAY.stream().noneMatch(p -> p.allows(r)))
                .map(AuditedRequest::toString))
        .as("requests that no granted permission covers")
        .isEmpty();
    Set<Permission> unused =
        EXPECTED.stream()
            .filter(p -> requests.stream().noneMatch(p::allows))
            .collect(Collectors.toSet());
    assertThat(unused).as("granted but never used").isSubsetOf(NOT_EXERCISED);
  }

  /**
   * The aggregated ClusterRoles, with the real authorizer: a namespace's edit user may create
   * MicroVMs and patch them (the annotations that approve a plan or request a restart), not write
   * their status or touch MicroVMHosts; a view user may only read. Kubernetes' controller-manager,
   * which merges them into the built-in view/edit/admin, does not run in the test control plane:
   * the users are bound to the chart's roles directly, and the labels that make the merge are
   * checked.
   */
  @Test
  @Order(9)
  void tenantsGetViewAndEditOnMicroVMsThroughTheAggregatedRoles() throws IOException {
    apply(rendered);
    ClusterRole view = named(ClusterRole.class, SERVICE_ACCOUNT + "-view");
    ClusterRole edit = named(ClusterRole.class, SERVICE_ACCOUNT + "-edit");
    assertThat(view.getMetadata().getLabels())
        .containsEntry("rbac.authorization.k8s.io/aggregate-to-view", "true")
        .containsEntry("rbac.authorization.k8s.io/aggregate-to-edit", "true")
        .containsEntry("rbac.authorization.k8s.io/aggregate-to-admin", "true");
    assertThat(edit.getMetadata().getLabels())
        .containsEntry("rbac.authorization.k8s.io/aggregate-to-edit", "true")
        .containsEntry("rbac.authorization.k8s.io/aggregate-to-admin", "true")
        .doesNotContainKey("rbac.authorization.k8s.io/aggregate-to-view");

    String tenant = "tenant-a";
    OperatorHarness.ensureNamespace(admin, tenant);
    for (String[] binding :
        List.of(
            new String[] {"alice", SERVICE_ACCOUNT + "-view"},
            new String[] {"alice", SERVICE_ACCOUNT + "-edit"},
            new String[] {"bob", SERVICE_ACCOUNT + "-view"})) {
      k8s.kubectl(
              "create",
              "rolebinding",
              binding[0] + "-" + binding[1],
              "-n",
              tenant,
              "--clusterrole=" + binding[1],
              "--user=" + binding[0])
          .orThrow("kubectl create rolebinding");
    }
    Map<String, String> expected = new java.util.LinkedHashMap<>();
    expected.put("alice create microvms.microvm-operator.io", "yes");
    expected.put("alice patch microvms.microvm-operator.io", "yes");
    expected.put("alice update microvms.microvm-operator.io", "yes");
    expected.put("alice delete microvms.microvm-operator.io", "yes");
    expected.put("alice list microvms.microvm-operator.io", "yes");
    expected.put("alice patch microvms.microvm-operator.io --subresource=status", "no");
    expected.put("alice create microvmhosts.microvm-operator.io", "no");
    expected.put("alice get secrets", "no");
    expected.put("bob get microvms.microvm-operator.io", "yes");
    expected.put("bob watch microvms.microvm-operator.io", "yes");
    expected.put("bob get microvms.microvm-operator.io --subresource=status", "yes");
    expected.put("bob create microvms.microvm-operator.io", "no");
    expected.put("bob patch microvms.microvm-operator.io", "no");
    expected.forEach(
        (question, answer) -> {
          String[] words = question.split(" ");
          List<String> args = new ArrayList<>(List.of("auth", "can-i"));
          args.addAll(List.of(words).subList(1, words.length));
          args.addAll(List.of("-n", tenant, "--as=" + words[0]));
          assertThat(k8s.kubectl(args.toArray(String[]::new)).stdout().strip())
              .as("can %s?", question)
              .isEqualTo(answer);
        });

    // A real request as alice, through admission and validation (server-side dry run).
    Path vm = hosts.root().resolve("tenant-vm.yaml");
    Files.writeString(
        vm,
        admin
            .getKubernetesSerialization()
            .asYaml(OperatorHarness.microVM(tenant, "web", HOST, "github:example/flake", "web")));
    ExecResult asAlice =
        k8s.kubectl("create", "--dry-run=server", "-f", vm.toString(), "--as=alice");
    assertThat(asAlice.exitCode()).as(asAlice.stderr()).isZero();
    ExecResult asBob = k8s.kubectl("create", "--dry-run=server", "-f", vm.toString(), "--as=bob");
    assertThat(asBob.stderr()).contains("forbidden");
  }

  /**
   * {@code helm upgrade} from the previous chart (git commit dc28d24, CRDs in crds/, which Helm
   * never upgrades) to this one, on the real API server: the CRDs become the release's and are
   * upgraded, then upgraded again by a plain {@code helm upgrade}, and kept by {@code helm
   * uninstall}.
   */
  @Test
  @Order(10)
  void helmUpgradeFromThePreviousChartUpgradesTheCrds() throws IOException {
    Path previous = hosts.root().resolve("previous-chart");
    Files.createDirectories(previous);
    ExecResult archive =
        Commands.run(
            List.of(
                "sh",
                "-c",
                "git archive "
                    + PREVIOUS_CHART_COMMIT
                    + " helm/microvm-operator | tar -x -C "
                    + Commands.shellQuote(previous.toString())),
            Map.of(),
            Duration.ofMinutes(1));
    assertThat(archive.exitCode()).as(archive.stderr()).isZero();
    Path previousChart = previous.resolve("helm/microvm-operator");
    assertThat(previousChart.resolve("crds")).isDirectory();
    Path kubeconfig = hosts.root().resolve("helm-kubeconfig");
    Files.writeString(kubeconfig, k8s.kubeconfigYaml());
    String release = "upg";
    String namespace = "upg-system";
    String crd = "microvms.microvm-operator.io";

    helm(
            kubeconfig,
            "install",
            release,
            previousChart.toString(),
            "-n",
            namespace,
            "--create-namespace",
            "--set",
            "reconcileThreads=8")
        .orThrow("helm install of the previous chart");
    // Make sure the live CRD differs from this chart's whatever the two versions hold: without
    // printer columns.
    removePrinterColumns(crd);
    assertThat(printerColumns(crd)).isEmpty();

    // The previous chart's CRDs are no release's: Helm refuses to take them over silently.
    ExecResult refused =
        helm(kubeconfig, "upgrade", release, Helm.CHART.toString(), "-n", namespace);
    assertThat(refused.exitCode()).isNotZero();
    assertThat(refused.stderr())
        .contains("invalid ownership metadata")
        .contains(".microvm-operator.io\" in namespace \"\" exists");

    // As docs/install.md says: --take-ownership (Helm 3.17 and later).
    // --reuse-values would render with the previous chart's values.yaml, which has no crds.*: it
    // fails (docs/install.md says to use --reset-then-reuse-values).
    ExecResult reused =
        helm(
            kubeconfig,
            "upgrade",
            release,
            Helm.CHART.toString(),
            "-n",
            namespace,
            "--take-ownership",
            "--reuse-values");
    assertThat(reused.exitCode()).isNotZero();
    assertThat(reused.stderr()).contains("nil pointer");

    helm(
            kubeconfig,
            "upgrade",
            release,
            Helm.CHART.toString(),
            "-n",
            namespace,
            "--take-ownership",
            "--reset-then-reuse-values")
        .orThrow("helm upgrade --take-ownership --reset-then-reuse-values");
    Container upgradedOperator =
        admin
            .apps()
            .deployments()
            .inNamespace(namespace)
            .withName(release + "-microvm-operator")
            .get()
            .getSpec()
            .getTemplate()
            .getSpec()
            .getContainers()
            .get(0);
    assertThat(env(upgradedOperator))
        .as("the value set at install is kept; the new ones take their defaults")
        .containsEntry("RECONCILE_THREADS", "8")
        .containsEntry("LOG_LEVEL", "info");
    CustomResourceDefinition upgraded = liveCrd(crd);
    assertThat(upgraded.getMetadata().getLabels())
        .containsEntry("app.kubernetes.io/managed-by", "Helm");
    assertThat(upgraded.getMetadata().getAnnotations())
        .containsEntry("meta.helm.sh/release-name", release)
        .containsEntry("meta.helm.sh/release-namespace", namespace)
        .containsEntry("helm.sh/resource-policy", "keep");
    assertThat(printerColumns(crd)).as("the CRD is upgraded").isNotEmpty();
    assertThat(upgraded.getSpec().getVersions().get(0).getSchema())
        .isEqualTo(generatedCrd(crd).getSpec().getVersions().get(0).getSchema());

    // From now on a plain helm upgrade upgrades them.
    removePrinterColumns(crd);
    helm(
            kubeconfig,
            "upgrade",
            release,
            Helm.CHART.toString(),
            "-n",
            namespace,
            "--reset-then-reuse-values")
        .orThrow("helm upgrade");
    // (the API server leaves out a priority of 0)
    assertThat(columns(liveCrd(crd))).isNotEmpty().isEqualTo(columns(generatedCrd(crd)));

    // helm uninstall keeps them (and so every MicroVM), and removes the rest of the release.
    helm(kubeconfig, "uninstall", release, "-n", namespace).orThrow("helm uninstall");
    assertThat(liveCrd(crd)).isNotNull();
    assertThat(admin.rbac().clusterRoles().withName(release + "-microvm-operator").get()).isNull();
  }

  private static final String PREVIOUS_CHART_COMMIT = "dc28d24";

  private static ExecResult helm(Path kubeconfig, String... args) {
    List<String> argv = new ArrayList<>(List.of(args));
    argv.addAll(List.of("--kubeconfig", kubeconfig.toString()));
    return Helm.run(argv.toArray(String[]::new));
  }

  private static CustomResourceDefinition liveCrd(String name) {
    return admin.apiextensions().v1().customResourceDefinitions().withName(name).get();
  }

  private static List<String> columns(CustomResourceDefinition crd) {
    return crd.getSpec().getVersions().get(0).getAdditionalPrinterColumns().stream()
        .map(c -> c.getName() + " " + c.getJsonPath() + " " + c.getType())
        .toList();
  }

  private static List<?> printerColumns(String name) {
    return Optional.ofNullable(
            liveCrd(name).getSpec().getVersions().get(0).getAdditionalPrinterColumns())
        .orElse(List.of());
  }

  private static CustomResourceDefinition generatedCrd(String name) throws IOException {
    return admin
        .getKubernetesSerialization()
        .unmarshal(
            Files.readString(Path.of("target/classes/META-INF/fabric8", name + "-v1.yml")),
            CustomResourceDefinition.class);
  }

  /** One request of the ServiceAccount, from the API server's audit log. */
  record AuditedRequest(
      String verb, String group, String resource, String namespace, String name, int code) {}

  private static List<AuditedRequest> auditedRequests() throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<AuditedRequest> requests = new ArrayList<>();
    for (String line : Files.readAllLines(k8s.auditLog())) {
      JsonNode event = json.readTree(line);
      if (!USER.equals(event.path("user").path("username").asText())) {
        continue;
      }
      JsonNode ref = event.path("objectRef");
      String resource =
          ref.has("resource")
              ? ref.path("resource").asText()
                  + (ref.has("subresource") ? "/" + ref.path("subresource").asText() : "")
              : null;
      requests.add(
          new AuditedRequest(
              event.path("verb").asText(),
              ref.path("apiGroup").asText(""),
              resource,
              ref.path("namespace").asText(null),
              ref.path("name").asText(null),
              event.path("responseStatus").path("code").asInt()));
    }
    return requests;
  }

  private static String canI(String request) {
    List<String> args = new ArrayList<>(List.of("auth", "can-i"));
    args.addAll(List.of(request.split(" ")));
    args.add("--as=" + USER);
    ExecResult result = k8s.kubectl(args.toArray(String[]::new));
    return result.stdout().strip();
  }

  /** A kubeconfig with only a token of the chart's ServiceAccount, as the pod would have. */
  private static Path serviceAccountKubeconfig() {
    return k8s.serviceAccountKubeconfig(
        NS, SERVICE_ACCOUNT, hosts.root().resolve("service-account-kubeconfig"));
  }

  private static void removePrinterColumns(String crd) {
    k8s.kubectl(
            "patch",
            "crd",
            crd,
            "--type=json",
            "-p",
            "[{\"op\":\"remove\",\"path\":\"/spec/versions/0/additionalPrinterColumns\"}]")
        .orThrow("kubectl patch crd");
  }

  private static void apply(String manifests) throws IOException {
    Path file = hosts.root().resolve("chart.yaml");
    Files.writeString(file, manifests);
    // The control plane applied the CRDs already, as another field manager (fabric8).
    k8s.kubectl("apply", "--server-side", "--force-conflicts", "-f", file.toString())
        .orThrow("kubectl apply");
  }

  private static <T extends HasMetadata> T named(Class<T> kind, String name) {
    return all(kind, rendered).stream()
        .filter(o -> o.getMetadata().getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind.getSimpleName() + " " + name));
  }

  private static <T extends HasMetadata> List<T> all(Class<T> kind, String manifests) {
    return admin
        .load(new ByteArrayInputStream(manifests.getBytes(StandardCharsets.UTF_8)))
        .items()
        .stream()
        .filter(kind::isInstance)
        .map(kind::cast)
        .toList();
  }

  private static <T extends HasMetadata> T only(Class<T> kind) {
    List<T> found =
        admin
            .load(new ByteArrayInputStream(rendered.getBytes(StandardCharsets.UTF_8)))
            .items()
            .stream()
            .filter(kind::isInstance)
            .map(kind::cast)
            .toList();
    assertThat(found).as("rendered %s", kind.getSimpleName()).hasSize(1);
    return found.get(0);
  }

  private static Set<Permission> expand(String scope, PolicyRule rule) {
    Set<Permission> expanded = new HashSet<>();
    List<String> names =
        rule.getResourceNames() == null || rule.getResourceNames().isEmpty()
            ? List.of("*")
            : rule.getResourceNames();
    for (String group : rule.getApiGroups()) {
      for (String resource : rule.getResources()) {
        for (String name : names) {
          for (String verb : rule.getVerbs()) {
            expanded.add(new Permission(scope, group, resource, name, verb));
          }
        }
      }
    }
    return expanded;
  }

  private static Set<Permission> permissions(String... lines) {
    return java.util.Arrays.stream(lines).map(Permission::parse).collect(Collectors.toSet());
  }

  private static Map<String, String> env(Container container) {
    Map<String, String> env = new HashMap<>();
    for (EnvVar var : container.getEnv()) {
      if (var.getValue() != null) {
        env.put(var.getName(), var.getValue());
      }
    }
    return env;
  }

  private static String leaseHolder() {
    var lease = admin.leases().inNamespace(NS).withName(LEASE).get();
    return lease == null ? null : lease.getSpec().getHolderIdentity();
  }

  private static void awaitReady(String name) {
    await()
        .atMost(Duration.ofSeconds(90))
        .until(
            () -> {
              MicroVM vm = admin.resources(MicroVM.class).inNamespace(VM_NS).withName(name).get();
              return vm.getStatus() != null
                  && vm.getStatus().conditionsOrEmpty().stream()
                      .anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"));
            });
  }

  private static Optional<Event> hostNotFoundEvent() {
    return admin.v1().events().inNamespace(VM_NS).list().getItems().stream()
        .filter(e -> "lost".equals(e.getInvolvedObject().getName()))
        .filter(e -> "HostNotFound".equals(e.getReason()))
        .findFirst();
  }

  private static void annotate(String name, String value) {
    Conflicts.editAgainOnConflict(
        () ->
            admin
                .resources(MicroVM.class)
                .inNamespace(VM_NS)
                .withName(name)
                .edit(
                    vm -> {
                      Map<String, String> annotations = new HashMap<>();
                      Optional.ofNullable(vm.getMetadata().getAnnotations())
                          .ifPresent(annotations::putAll);
                      annotations.put("microvm-operator.io/reconcile-requested-at", value);
                      vm.getMetadata().setAnnotations(annotations);
                      return vm;
                    }));
  }
}
