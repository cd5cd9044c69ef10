package io.microvmoperator.testenv;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.app.MicroVMOperator;
import io.microvmoperator.app.OperatorConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/**
 * The local default behind {@code hack/demo.sh}: a real control plane (etcd and kube-apiserver,
 * CRDs applied), a demo host (sshd with its own Nix store and state dir, registered as the
 * MicroVMHost {@code demo-host}), the operator, and the MicroVMs of {@code examples/demo/}, whose
 * runners are real Linux guests booted by qemu under TCG. It prints {@code kubectl get microvms}
 * until they are Ready, then runs until Ctrl-C.
 */
public final class LocalDemo {

  private static final Path FLAKE = Path.of("/tmp/microvm-operator-demo/flake");
  private static final String NAMESPACE = "demo";

  private LocalDemo() {}

  public static void main(String[] args) throws Exception {
    Path workDir = Path.of(System.getProperty("user.home"), ".cache/microvm-operator/demo");
    Files.createDirectories(workDir);
    CountDownLatch stopped = new CountDownLatch(1);
    CountDownLatch closed = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  // Ctrl-C: let main close the control plane, the operator and the host first.
                  stopped.countDown();
                  try {
                    closed.await(60, java.util.concurrent.TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                }));
    try (KubeControlPlane k8s = KubeControlPlane.start();
        TestHosts hosts = TestHosts.start(1);
        KubernetesClient client = k8s.client()) {
      Path kubeconfig = workDir.resolve("kubeconfig");
      Files.writeString(kubeconfig, k8s.kubeconfigYaml());
      TestHost host = hosts.get(0);
      // Real Linux guests (qemu under TCG): Running means the guest booted
      TestFlake.create(FLAKE).guest("web", "1.0").guest("db", "1.0");

      OperatorHarness.registerHost(client, "demo-host", host, List.of(NAMESPACE));
      OperatorHarness.ensureNamespace(client, NAMESPACE);
      try (MicroVMOperator operator =
          MicroVMOperator.start(
              client, OperatorConfig.embedded(OperatorHarness.OPERATOR_NAMESPACE))) {
        applyExamples(client);
        String kubectl = k8s.kubectl().toString();
        waitUntilReady(client, kubectl, kubeconfig);

        System.out.println();
        System.out.println("The demo runs. In another shell:");
        System.out.println("  export KUBECONFIG=" + kubeconfig);
        System.out.println("  alias kubectl=" + kubectl);
        System.out.println("  kubectl get microvms -A -o wide; kubectl get microvmhosts");
        System.out.println("Demo host " + host.address() + ":" + host.port() + ":");
        System.out.println("  ssh " + host.sshOptions() + " root@" + host.address());
        System.out.println("A guest's console (its serial output, in the host's journal):");
        System.out.println(
            "  ssh "
                + host.sshOptions()
                + " root@"
                + host.address()
                + " journalctl -u microvm@web");
        System.out.println("Change a VM: edit " + FLAKE + "/flake.nix, then");
        System.out.println(
            "  kubectl -n demo annotate --overwrite microvm web"
                + " microvm-operator.io/reconcile-requested-at=\"$(date +%s)\"");
        System.out.println("Press Ctrl-C to stop everything.");
        stopped.await();
      }
    } finally {
      closed.countDown();
    }
  }

  private static void applyExamples(KubernetesClient client) throws IOException {
    try (Stream<Path> files = Files.list(Path.of("examples/demo"))) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
        try (InputStream in = Files.newInputStream(file)) {
          for (HasMetadata resource : client.load(in).items()) {
            client.resource(resource).serverSideApply();
          }
        }
        System.out.println("applied " + file);
      }
    }
  }

  private static void waitUntilReady(KubernetesClient client, String kubectl, Path kubeconfig)
      throws IOException, InterruptedException {
    for (int i = 0; i < 60; i++) {
      List<MicroVM> vms = client.resources(MicroVM.class).inNamespace(NAMESPACE).list().getItems();
      boolean allReady =
          !vms.isEmpty()
              && vms.stream()
                  .allMatch(
                      vm ->
                          vm.getStatus() != null
                              && vm.getStatus().conditionsOrEmpty().stream()
                                  .anyMatch(
                                      c ->
                                          c.getType().equals("Ready")
                                              && c.getStatus().equals("True")));
      System.out.println("$ kubectl get microvms -n " + NAMESPACE);
      new ProcessBuilder(
              kubectl, "--kubeconfig", kubeconfig.toString(), "get", "microvms", "-n", NAMESPACE)
          .inheritIO()
          .start()
          .waitFor();
      if (allReady) {
        return;
      }
      Thread.sleep(2000);
    }
    System.out.println("not all MicroVMs became Ready within 2 minutes; see kubectl describe");
  }
}
