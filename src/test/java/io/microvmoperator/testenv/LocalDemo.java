package io.microvmoperator.testenv;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * The local default behind {@code hack/demo.sh}: a real control plane (etcd and kube-apiserver,
 * CRDs applied) and a demo host (sshd with its own Nix store and state dir), running until Ctrl-C.
 * It prints how to reach both.
 */
public final class LocalDemo {

  private LocalDemo() {}

  public static void main(String[] args) throws IOException, InterruptedException {
    Path workDir = Path.of(System.getProperty("user.home"), ".cache/microvm-operator/demo");
    Files.createDirectories(workDir);
    CountDownLatch stopped = new CountDownLatch(1);
    try (KubeControlPlane k8s = KubeControlPlane.start();
        TestHosts hosts = TestHosts.start(1)) {
      Path kubeconfig = workDir.resolve("kubeconfig");
      Files.writeString(kubeconfig, k8s.kubeconfigYaml());
      TestHost host = hosts.get(0);
      String kubectl = k8s.kubectl().toString();

      System.out.println();
      System.out.println("Local control plane and demo host are up. In another shell:");
      System.out.println("  export KUBECONFIG=" + kubeconfig);
      System.out.println("  alias kubectl=" + kubectl);
      System.out.println("  kubectl get crds");
      System.out.println("Demo host " + host.address() + ":" + host.port() + ":");
      System.out.println("  ssh " + host.sshOptions() + " root@" + host.address());
      System.out.println("Press Ctrl-C to stop everything.");
      Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown));
      stopped.await();
    }
  }
}
