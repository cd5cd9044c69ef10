package io.microvmoperator.testenv;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMHost;
import io.microvmoperator.api.MicroVMHostSpec;
import io.microvmoperator.app.MicroVMOperator;
import io.microvmoperator.app.OperatorConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A whole local installation for a scenario test: the shared real control plane, N test hosts, and
 * the operator running in this JVM against both. Scenario tests read like the user's story:
 * register a host, apply a MicroVM, wait for a condition, look at the host.
 *
 * <p>After each test, and after the operator stopped, its log must hold no ERROR and no stack trace
 * but those the test declared expected with {@link #expectLogged} (see {@link OperatorLog}).
 */
public final class OperatorHarness
    implements BeforeAllCallback, AfterAllCallback, AfterEachCallback {

  public static final String OPERATOR_NAMESPACE = "microvm-operator";

  /**
   * The folder under which test flakes live ({@link TestHosts#newRoot}): what registered test hosts
   * list in {@code allowedLocalFlakePaths}.
   */
  public static final String LOCAL_FLAKES = "/tmp";

  private final KubeControlPlane k8s = KubeControlPlane.shared();
  private final int hostCount;
  private TestHosts hosts;
  private KubernetesClient client;
  private MicroVMOperator operator;
  private OperatorLog log;

  private OperatorHarness(int hostCount) {
    this.hostCount = hostCount;
  }

  public static OperatorHarness withHosts(int count) {
    return new OperatorHarness(count);
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    log = OperatorLog.attach();
    k8s.beforeAll(context);
    client = k8s.client();
    ensureNamespace(OPERATOR_NAMESPACE);
    hosts = TestHosts.start(hostCount);
    startOperator();
  }

  @Override
  public void afterEach(ExtensionContext context) {
    assertLogClean("during " + context.getDisplayName());
  }

  @Override
  public void afterAll(ExtensionContext context) {
    try {
      stopOperator();
      if (hosts != null) {
        assertNoKeyInLog();
        hosts.close();
      }
      if (client != null) {
        client.close();
      }
      assertLogClean("between tests or while stopping");
    } finally {
      log.detach();
    }
  }

  /**
   * Declares ERRORs or stack traces whose message or trace matches {@code regex} expected in the
   * operator's log, from now until the end of the test class.
   */
  public void expectLogged(String regex) {
    log.allow(regex);
  }

  /** What the operator logged so far (its loggers and its libraries'). */
  public OperatorLog log() {
    return log;
  }

  /** No line of any host's private key body, nor its header, appears in anything logged. */
  private void assertNoKeyInLog() {
    List<String> secrets = new java.util.ArrayList<>(List.of("PRIVATE KEY"));
    for (TestHost host : hosts.all()) {
      host.clientPrivateKey().lines().filter(l -> !l.startsWith("-----")).forEach(secrets::add);
    }
    for (OperatorLog.Entry entry : log.entries()) {
      for (String secret : secrets) {
        if (entry.text().contains(secret)) {
          throw new AssertionError("the operator logged SSH key material: " + entry);
        }
      }
    }
  }

  private void assertLogClean(String when) {
    List<OperatorLog.Entry> unexpected = log.unexpectedProblemsSinceLastCheck();
    if (!unexpected.isEmpty()) {
      throw new AssertionError(
          "the operator logged "
              + unexpected.size()
              + " unexpected ERROR or stack trace "
              + when
              + ":\n"
              + String.join("\n", unexpected.stream().map(OperatorLog.Entry::toString).toList()));
    }
  }

  public void startOperator() {
    startOperator(client);
  }

  /** Starts the operator with its own API client (e.g. of another API server). */
  public void startOperator(KubernetesClient operatorClient) {
    operator = MicroVMOperator.start(operatorClient, OperatorConfig.embedded(OPERATOR_NAMESPACE));
  }

  public void stopOperator() {
    if (operator != null) {
      operator.close();
      operator = null;
    }
  }

  /**
   * Starts a second operator in this JVM, with its own API client, beside the harness's own: two
   * instances that both reconcile everything (no leader election), as in a split brain. Closing the
   * returned handle stops it.
   */
  public AutoCloseable startAnotherOperator() {
    KubernetesClient own = k8s.client();
    MicroVMOperator another =
        MicroVMOperator.start(own, OperatorConfig.embedded(OPERATOR_NAMESPACE));
    return () -> {
      another.close();
      own.close();
    };
  }

  /**
   * Starts an operator for one shard in this JVM, with its own API client: it watches only the
   * MicroVMs and MicroVMHosts that match {@code selector} ({@code WATCH_LABEL_SELECTOR}).
   */
  public Shard startShard(String selector) {
    KubernetesClient own = k8s.client();
    return new Shard(
        MicroVMOperator.start(own, OperatorConfig.embedded(OPERATOR_NAMESPACE).inShard(selector)),
        own);
  }

  /** An operator of one shard, started by {@link #startShard}. */
  public record Shard(MicroVMOperator operator, KubernetesClient client) implements AutoCloseable {

    /** Its metrics, in Prometheus' text format. */
    public String metrics() {
      return operator.scrapeMetrics();
    }

    @Override
    public void close() {
      operator.close();
      client.close();
    }
  }

  /** Labels a resource as {@code kubectl label --overwrite} does (a merge patch: no conflict). */
  public <T extends io.fabric8.kubernetes.api.model.HasMetadata> void label(
      T resource, String key, String value) {
    client.resource(resource).patch(MERGE, metadataPatch("labels", key, value));
  }

  private static final io.fabric8.kubernetes.client.dsl.base.PatchContext MERGE =
      io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
          io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE);

  /**
   * A merge patch of one label or annotation: without the object's resourceVersion, so that the
   * operator's writes in between never make it fail with 409 Conflict (as with kubectl).
   */
  private static String metadataPatch(String field, String key, String value) {
    return io.fabric8.kubernetes.client.utils.Serialization.asJson(
        Map.of("metadata", Map.of(field, Map.of(key, value))));
  }

  /** The Events recorded for the object {@code name} in {@code namespace}. */
  public List<Event> eventsOf(String namespace, String name) {
    return client.v1().events().inNamespace(namespace).list().getItems().stream()
        .filter(e -> e.getInvolvedObject().getName().equals(name))
        .toList();
  }

  /** Runs the real kubectl of the same release against this control plane. */
  public ExecResult kubectl(String... args) {
    return k8s.kubectl(args);
  }

  public KubeControlPlane controlPlane() {
    return k8s;
  }

  public KubernetesClient client() {
    return client;
  }

  /** The running operator's metrics, in Prometheus' text format. */
  public String metrics() {
    return operator.scrapeMetrics();
  }

  /**
   * The value of one series of {@link #metrics()}, named with its labels as Prometheus writes them
   * ({@code name{label="value",...}}), or 0 when it is not there.
   */
  public double metric(String series) {
    return metrics()
        .lines()
        .filter(line -> line.startsWith(series + " "))
        .map(line -> Double.parseDouble(line.substring(series.length() + 1).strip()))
        .findFirst()
        .orElse(0.0);
  }

  public TestHosts hosts() {
    return hosts;
  }

  public TestHost host(int index) {
    return hosts.get(index);
  }

  public void ensureNamespace(String name) {
    ensureNamespace(client, name);
  }

  /** Creates the namespace unless it exists (server-side apply). */
  public static void ensureNamespace(KubernetesClient client, String name) {
    client
        .resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
        .serverSideApply();
  }

  /** Registers a test host as a MicroVMHost with its key Secret, pinning the given host key. */
  public MicroVMHost registerHost(
      String name, TestHost host, String pinnedKey, List<String> allowedNamespaces) {
    return registerHost(client, name, host, pinnedKey, allowedNamespaces);
  }

  /** Sets the host's maxConcurrentBuilds. */
  public void limitBuilds(String hostName, int max) {
    editHostSpec(hostName, max, null);
  }

  /** Sets the host's spec.suspend. */
  public void suspendHost(String hostName, boolean suspend) {
    editHostSpec(hostName, null, suspend);
  }

  /**
   * Changes maxConcurrentBuilds and suspend of the host's spec where given (not null); edited again
   * when the operator's status write got in between (409 Conflict).
   */
  private void editHostSpec(String hostName, Integer maxBuilds, Boolean suspend) {
    Conflicts.editAgainOnConflict(() -> replaceHostSpec(hostName, maxBuilds, suspend));
  }

  private MicroVMHost replaceHostSpec(String hostName, Integer maxBuilds, Boolean suspend) {
    return client
        .resources(MicroVMHost.class)
        .withName(hostName)
        .edit(
            h -> {
              MicroVMHostSpec s = h.getSpec();
              h.setSpec(
                  new MicroVMHostSpec(
                      s.address(),
                      s.port(),
                      s.user(),
                      s.sshKeySecretRef(),
                      s.hostKeys(),
                      s.hostKeyPolicy(),
                      s.stateDir(),
                      maxBuilds != null ? maxBuilds : s.maxConcurrentBuilds(),
                      s.probeInterval(),
                      s.allowedNamespaces(),
                      s.allowedLocalFlakePaths(),
                      suspend != null ? suspend : s.suspend()));
              return h;
            });
  }

  /** Registers a test host with no pinned key: the operator trusts the key it sees first. */
  public MicroVMHost registerHostTrustingFirstUse(
      String name, TestHost host, List<String> allowedNamespaces) {
    return registerHost(client, name, host, null, allowedNamespaces);
  }

  /** Registers a test host as a MicroVMHost, as a platform team would, pinning its own key. */
  public static MicroVMHost registerHost(
      KubernetesClient client, String name, TestHost host, List<String> allowedNamespaces) {
    return registerHost(client, name, host, host.hostKeyLine(), allowedNamespaces);
  }

  /** As {@link #registerHost}, for an operator whose namespace (for the key Secret) is another. */
  public static MicroVMHost registerHost(
      KubernetesClient client,
      String name,
      TestHost host,
      List<String> allowedNamespaces,
      String operatorNamespace) {
    return registerHost(
        client, name, host, host.hostKeyLine(), allowedNamespaces, operatorNamespace);
  }

  private static MicroVMHost registerHost(
      KubernetesClient client,
      String name,
      TestHost host,
      String pinnedKey,
      List<String> allowedNamespaces) {
    return registerHost(client, name, host, pinnedKey, allowedNamespaces, OPERATOR_NAMESPACE);
  }

  private static MicroVMHost registerHost(
      KubernetesClient client,
      String name,
      TestHost host,
      String pinnedKey,
      List<String> allowedNamespaces,
      String operatorNamespace) {
    ensureNamespace(client, operatorNamespace);
    client
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(name + "-ssh")
                .withNamespace(operatorNamespace)
                .endMetadata()
                .withStringData(Map.of("id_ed25519", host.clientPrivateKey()))
                .build())
        .serverSideApply();
    MicroVMHost resource = new MicroVMHost();
    resource.setMetadata(new ObjectMetaBuilder().withName(name).build());
    resource.setSpec(
        new MicroVMHostSpec(
            host.address(),
            host.port(),
            host.loginUser(),
            new MicroVMHostSpec.SecretKeyRef(name + "-ssh", "id_ed25519"),
            pinnedKey == null ? null : List.of(pinnedKey),
            pinnedKey == null ? MicroVMHostSpec.HostKeyPolicy.TrustOnFirstUse : null,
            null,
            null,
            "5s",
            allowedNamespaces,
            List.of(LOCAL_FLAKES),
            null));
    return client.resource(resource).serverSideApply();
  }

  public MicroVMHost registerHost(String name, TestHost host, List<String> allowedNamespaces) {
    return registerHost(name, host, host.hostKeyLine(), allowedNamespaces);
  }

  /** A MicroVM built from {@code flake}'s configuration {@code target}. */
  public static MicroVM microVM(
      String namespace, String name, String host, String flake, String target) {
    MicroVM vm = new MicroVM();
    vm.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
    vm.setSpec(MicroVMSpecBuilder.flake(host, flake, target).interval("1h").build());
    return vm;
  }

  public MicroVM apply(MicroVM vm) {
    return client.resource(vm).serverSideApply();
  }

  /**
   * The arrangement most scenarios start from: applies {@code vm} and waits until it is Ready for
   * this spec (its host registered before).
   */
  public MicroVM applyAndAwaitReady(MicroVM vm) {
    apply(vm);
    return awaitCondition(
        vm.getMetadata().getNamespace(), vm.getMetadata().getName(), "Ready", "True");
  }

  public MicroVM get(String namespace, String name) {
    return client.resources(MicroVM.class).inNamespace(namespace).withName(name).get();
  }

  public Optional<Condition> condition(MicroVM vm, String type) {
    if (vm == null || vm.getStatus() == null) {
      return Optional.empty();
    }
    return vm.getStatus().conditionsOrEmpty().stream()
        .filter(c -> c.getType().equals(type))
        .findFirst();
  }

  /** Waits until the MicroVM satisfies {@code check}, and returns it. */
  public MicroVM awaitMicroVM(
      String namespace, String name, Duration timeout, Predicate<MicroVM> check) {
    return await()
        .atMost(timeout)
        .pollInterval(Duration.ofMillis(250))
        .until(() -> get(namespace, name), vm -> vm != null && check.test(vm));
  }

  public MicroVM awaitCondition(String namespace, String name, String type, String status) {
    return awaitMicroVM(
        namespace,
        name,
        Duration.ofSeconds(90),
        vm ->
            condition(vm, type).map(c -> c.getStatus().equals(status)).orElse(false)
                && vm.getStatus().observedGeneration().equals(vm.getMetadata().getGeneration()));
  }

  /** Waits up to {@code timeout} until the MicroVM's condition {@code type} has {@code reason}. */
  public MicroVM awaitReason(
      String namespace, String name, String type, String reason, Duration timeout) {
    return awaitMicroVM(
        namespace,
        name,
        timeout,
        vm -> condition(vm, type).map(c -> c.getReason().equals(reason)).orElse(false));
  }

  /**
   * Waits until the MicroVM is Ready for its latest spec and its host has {@code current} and
   * {@code booted} at the runner whose store path ends with {@code runnerSuffix}.
   */
  public MicroVM awaitRunner(String namespace, String name, String runnerSuffix, Duration timeout) {
    return awaitMicroVM(
        namespace,
        name,
        timeout,
        vm ->
            condition(vm, "Ready").map(c -> c.getStatus().equals("True")).orElse(false)
                && vm.getStatus().observedGeneration().equals(vm.getMetadata().getGeneration())
                && String.valueOf(vm.getStatus().currentStorePath()).endsWith(runnerSuffix)
                && String.valueOf(vm.getStatus().bootedStorePath()).endsWith(runnerSuffix));
  }

  /** Changes the MicroVM's spec, as {@code kubectl edit} does (read again after a 409 Conflict). */
  public MicroVM editSpec(
      String namespace, String name, java.util.function.UnaryOperator<MicroVMSpecBuilder> change) {
    return Conflicts.editAgainOnConflict(
        () ->
            client
                .resources(MicroVM.class)
                .inNamespace(namespace)
                .withName(name)
                .edit(
                    vm -> {
                      vm.setSpec(change.apply(MicroVMSpecBuilder.from(vm.getSpec())).build());
                      return vm;
                    }));
  }

  /** Sets an annotation, as {@code kubectl annotate --overwrite} does. */
  public void annotate(String namespace, String name, String key, String value) {
    client
        .resources(MicroVM.class)
        .inNamespace(namespace)
        .withName(name)
        .patch(MERGE, metadataPatch("annotations", key, value));
  }
}
