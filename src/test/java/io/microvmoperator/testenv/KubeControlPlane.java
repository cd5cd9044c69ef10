package io.microvmoperator.testenv;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMHost;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real kube-apiserver with etcd, started offline by fabric8's kube-api-test from the binaries
 * that {@code hack/k8s-binaries.sh} provides, with the project's CRDs applied. Authorization is
 * RBAC (kube-api-test's default; the test client is in {@code system:masters}), and every request
 * made by a service account is written to an audit log ({@link #auditLog()}), so that a test can
 * see what the operator's identity asked for and was allowed.
 *
 * <p>As a JUnit extension, one control plane serves every test class of the JVM and stops when the
 * JVM's tests end; {@link #start()} gives one to a plain {@code main} (the local demo).
 */
public final class KubeControlPlane implements BeforeAllCallback, AutoCloseable {

  private static final Path CRD_DIR = Path.of("crds");

  private KubeAPIServer server;
  private String kubeconfigYaml;
  private Path workDir;

  /** The extension form: {@code @RegisterExtension static KubeControlPlane k8s = ...}. */
  public static KubeControlPlane shared() {
    return new KubeControlPlane();
  }

  /** Starts a control plane owned by the caller, who closes it. */
  public static KubeControlPlane start() {
    KubeControlPlane plane = new KubeControlPlane();
    plane.startServer();
    return plane;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    KubeControlPlane running =
        context
            .getRoot()
            .getStore(ExtensionContext.Namespace.GLOBAL)
            .getOrComputeIfAbsent(KubeControlPlane.class, k -> start(), KubeControlPlane.class);
    this.server = running.server;
    this.kubeconfigYaml = running.kubeconfigYaml;
    this.workDir = running.workDir;
    try (KubernetesClient client = client()) {
      removeLeftovers(client);
    }
  }

  /**
   * Removes the MicroVMs and MicroVMHosts that earlier test classes left on the shared control
   * plane (their operators and hosts are gone, so their finalizers are dropped), so that a test
   * class's operator reconciles its own resources only.
   */
  private static void removeLeftovers(KubernetesClient client) {
    for (MicroVM vm : client.resources(MicroVM.class).inAnyNamespace().list().getItems()) {
      dropFinalizersAndDelete(
          client
              .resources(MicroVM.class)
              .inNamespace(vm.getMetadata().getNamespace())
              .withName(vm.getMetadata().getName()));
    }
    for (MicroVMHost host : client.resources(MicroVMHost.class).list().getItems()) {
      dropFinalizersAndDelete(
          client.resources(MicroVMHost.class).withName(host.getMetadata().getName()));
    }
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                client.resources(MicroVM.class).inAnyNamespace().list().getItems().isEmpty()
                    && client.resources(MicroVMHost.class).list().getItems().isEmpty());
  }

  private static <T extends HasMetadata> void dropFinalizersAndDelete(Resource<T> resource) {
    resource.edit(
        r -> {
          r.getMetadata().setFinalizers(List.of());
          return r;
        });
    resource.delete();
  }

  private void startServer() {
    String version = System.getProperty("kubernetes.version");
    if (version == null) {
      throw new IllegalStateException(
          "system property kubernetes.version is not set (the pom passes it to tests)");
    }
    workDir = newWorkDir();
    server =
        new KubeAPIServer(
            KubeAPIServerConfigBuilder.anAPIServerConfig()
                .withApiServerVersion(version)
                .withOfflineMode(true)
                .withApiServerFlag("--bind-address", "127.0.0.1")
                .withApiServerFlag("--audit-policy-file", workDir.resolve("policy.yaml").toString())
                .withApiServerFlag("--audit-log-path", auditLog().toString())
                .withApiServerFlag("--audit-log-format", "json")
                .withStartupTimeout(120_000)
                .build());
    server.start();
    kubeconfigYaml = server.getKubeConfigYaml();
    try (KubernetesClient client = client()) {
      applyCrds(client);
    } catch (RuntimeException e) {
      server.stop();
      throw e;
    }
  }

  /**
   * A folder for the audit policy, the audit log and a kubeconfig file. The audit log records only
   * service accounts' requests (the operator's identity), at Metadata level.
   */
  private static Path newWorkDir() {
    try {
      Path dir = Files.createTempDirectory("kube-control-plane-");
      Files.writeString(
          dir.resolve("policy.yaml"),
          """
          apiVersion: audit.k8s.io/v1
          kind: Policy
          omitStages: ["RequestReceived"]
          rules:
            - level: Metadata
              userGroups: ["system:serviceaccounts"]
            - level: None
          """);
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The API server's audit log: one JSON object per line for each request a service account made
   * (its user, verb, resource, namespace and response code).
   */
  public Path auditLog() {
    return workDir.resolve("audit.log");
  }

  /** A new client for this control plane, as cluster admin. The caller closes it. */
  public KubernetesClient client() {
    return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeconfigYaml)).build();
  }

  /** Runs the real kubectl of the same release against this control plane, as cluster admin. */
  public ExecResult kubectl(String... args) {
    List<String> argv = new java.util.ArrayList<>();
    argv.add(kubectl().toString());
    argv.add("--kubeconfig=" + kubeconfigFile());
    argv.addAll(List.of(args));
    return Commands.run(argv, java.util.Map.of(), java.time.Duration.ofMinutes(2));
  }

  /** A kubeconfig file for this control plane, as cluster admin (for kubectl and scripts). */
  public Path kubeconfigFile() {
    try {
      Path kubeconfig = workDir.resolve("kubeconfig");
      Files.writeString(kubeconfig, kubeconfigYaml);
      return kubeconfig;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The kubectl binary of the same Kubernetes release. */
  public Path kubectl() {
    return Path.of(
        System.getProperty("user.home"),
        ".kubeapitest/k8s",
        System.getProperty("kubernetes.version") + "-linux-amd64",
        "kubectl");
  }

  public String kubeconfigYaml() {
    return kubeconfigYaml;
  }

  /**
   * Writes to {@code file} a kubeconfig that authenticates only with a token of the ServiceAccount
   * {@code namespace}/{@code name} (as a pod, or a tenant's CI, would), with {@code namespace} as
   * its default namespace.
   */
  public Path serviceAccountKubeconfig(String namespace, String name, Path file) {
    try (KubernetesClient admin = client()) {
      String token =
          admin
              .serviceAccounts()
              .inNamespace(namespace)
              .withName(name)
              .tokenRequest(
                  new TokenRequestBuilder()
                      .withNewSpec()
                      .withExpirationSeconds(3600L)
                      .endSpec()
                      .build())
              .getStatus()
              .getToken();
      Config config = Config.fromKubeconfig(kubeconfigYaml);
      String ca =
          config.getCaCertFile() != null
              ? "certificate-authority: " + config.getCaCertFile()
              : "certificate-authority-data: " + config.getCaCertData();
      Files.writeString(
          file,
          """
          apiVersion: v1
          kind: Config
          clusters:
            - name: test
              cluster:
                server: %s
                %s
          users:
            - name: %s
              user:
                token: %s
          contexts:
            - name: %s
              context: {cluster: test, user: %s, namespace: %s}
          current-context: %s
          """
              .formatted(config.getMasterUrl(), ca, name, token, name, name, namespace, name));
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void applyCrds(KubernetesClient client) {
    for (Path file : crdFiles()) {
      try (InputStream in = Files.newInputStream(file)) {
        CustomResourceDefinition crd =
            client.apiextensions().v1().customResourceDefinitions().load(in).item();
        client.resource(crd).forceConflicts().serverSideApply();
        client
            .apiextensions()
            .v1()
            .customResourceDefinitions()
            .withName(crd.getMetadata().getName())
            .waitUntilCondition(KubeControlPlane::established, 60, TimeUnit.SECONDS);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private static List<Path> crdFiles() {
    try (Stream<Path> files = Files.list(CRD_DIR)) {
      return files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean established(CustomResourceDefinition crd) {
    return crd != null
        && crd.getStatus() != null
        && crd.getStatus().getConditions() != null
        && crd.getStatus().getConditions().stream()
            .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  @Override
  public void close() {
    if (server != null) {
      server.stop();
    }
    if (workDir != null) {
      try (Stream<Path> files = Files.list(workDir)) {
        for (Path file : files.toList()) {
          Files.delete(file);
        }
        Files.delete(workDir);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
