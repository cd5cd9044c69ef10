package io.microvmoperator.testenv;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.app.MicroVMOperator;
import io.microvmoperator.app.OperatorConfig;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/**
 * The local default behind {@code hack/demo.sh}: a real control plane (etcd and kube-apiserver,
 * CRDs applied), a demo host (sshd with its own Nix store and state dir, registered as the
 * MicroVMHost {@code demo-host}), the operator, and the MicroVMs of {@code examples/demo/}, whose
 * runners are real Linux guests booted by qemu under TCG ({@code app} a guest with SSH whose system
 * is switched live). It prints {@code kubectl get microvms} until they are Ready, shows a live
 * switch of {@code app}'s system from 1.0 to 1.1, then runs until Ctrl-C.
 */
public final class LocalDemo {

  /**
   * The flakeref the examples name. The demo writes its flake into the run's folder instead (the
   * only folder of /tmp a test host sees: its own /tmp is private) and points them there.
   */
  private static final String EXAMPLE_FLAKE = "path:/tmp/microvm-operator-demo/flake";

  private static final String NAMESPACE = "demo";

  /** What examples/demo/app.yaml holds where the demo puts the guest's port and host key. */
  private static final String EXAMPLE_GUEST_PORT = "port: 2222";

  private static final String EXAMPLE_GUEST_KEY =
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDemoGuestHostKeyPutInByHackDemo";

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
      // MicroVM.nix's notify units: a start ends when the guest says it booted, so Running means
      // booted
      AutoCloseable notify = host.useNotifySockets();
      // Real Linux guests (qemu under TCG): Running means the guest booted
      TestFlake flake =
          TestFlake.create(hosts.root().resolve("flake")).guest("web", "1.0").guest("db", "1.0");
      // A guest with SSH, switched live: the operator logs in with the host's key.
      GuestSsh app =
          GuestSsh.create(
              hosts.root().resolve("guest-keys"),
              "app",
              new SshKeyPair(host.clientPrivateKeyFile(), host.clientPublicKeyLine()));
      flake.sshGuest("app", "1.0", app.flakeOptions());

      OperatorHarness.registerHost(client, "demo-host", host, List.of(NAMESPACE));
      OperatorHarness.ensureNamespace(client, NAMESPACE);
      try (MicroVMOperator operator =
          MicroVMOperator.start(
              client, OperatorConfig.embedded(OperatorHarness.OPERATOR_NAMESPACE))) {
        applyExamples(client, flake.pathRef(), app);
        String kubectl = k8s.kubectl().toString();
        waitUntilReady(client, kubectl, kubeconfig);
        LiveSwitchDemo.show(
            client, flake, app, List.of(kubectl, "--kubeconfig", kubeconfig.toString()));

        System.out.println();
        System.out.println("The demo runs. In another shell:");
        System.out.println("  export KUBECONFIG=" + kubeconfig);
        System.out.println("  alias kubectl=" + kubectl);
        System.out.println("  kubectl get microvms -A -o wide; kubectl get microvmhosts");
        System.out.println(
            "  export PATH="
                + Path.of("target").toAbsolutePath()
                + ":$PATH   # the kubectl microvm plugin (docs/cli.md)");
        System.out.println("  kubectl microvm list -A; kubectl microvm status demo/web");
        System.out.println("Demo host " + host.address() + ":" + host.port() + ":");
        System.out.println("  ssh " + host.sshOptions() + " root@" + host.address());
        System.out.println("A guest's console (its serial output, in the host's journal):");
        System.out.println(
            "  ssh "
                + host.sshOptions()
                + " root@"
                + host.address()
                + " journalctl -u microvm@web");
        System.out.println("Change a VM: edit " + flake.dir().resolve("flake.nix") + ", then");
        System.out.println("  kubectl microvm reconcile demo/web");
        System.out.println("Press Ctrl-C to stop everything.");
        stopped.await();
      }
      notify.close();
    } finally {
      closed.countDown();
    }
  }

  private static void applyExamples(KubernetesClient client, String flakeRef, GuestSsh app)
      throws IOException {
    try (Stream<Path> files = Files.list(Path.of("examples/demo"))) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
        String yaml =
            Files.readString(file)
                .replace(EXAMPLE_FLAKE, flakeRef)
                .replace(EXAMPLE_GUEST_PORT, "port: " + app.port())
                .replace(EXAMPLE_GUEST_KEY, app.hostKey().publicKeyLine());
        try (InputStream in = new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))) {
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
