package io.microvmoperator.testenv;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMStatus;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The demo's live switch ({@link LocalDemo}): {@code app}'s system goes from 1.0 to 1.1 in the
 * flake, a reconcile is asked for, and the demo prints what the operator decided and what the guest
 * runs (same boot: its uptime goes on).
 */
final class LiveSwitchDemo {

  private static final String NAMESPACE = "demo";

  private LiveSwitchDemo() {}

  static void show(KubernetesClient client, TestFlake flake, GuestSsh app, List<String> kubectl)
      throws IOException, InterruptedException {
    System.out.println();
    System.out.println("A live switch: app's system 1.0 -> 1.1 (update: SwitchWhenPossible)");
    app.awaitReachable(java.time.Duration.ofMinutes(2));
    System.out.println("  in the guest before: " + guest(app));
    flake.sshGuest("app", "1.1", app.flakeOptions());
    client
        .resources(MicroVM.class)
        .inNamespace(NAMESPACE)
        .withName("app")
        .edit(
            vm -> {
              Map<String, String> annotations = new HashMap<>();
              if (vm.getMetadata().getAnnotations() != null) {
                annotations.putAll(vm.getMetadata().getAnnotations());
              }
              annotations.put(
                  "microvm-operator.io/reconcile-requested-at", Instant.now().toString());
              vm.getMetadata().setAnnotations(annotations);
              return vm;
            });
    MicroVMStatus.LiveSwitch result = awaitSwitch(client);
    if (result == null) {
      System.out.println(
          "  no live switch within 2 minutes; see kubectl describe microvm -n demo app");
      return;
    }
    System.out.println("  " + result.result() + ": " + result.reason());
    System.out.println("  in the guest after:  " + guest(app));
    List<String> get = new ArrayList<>(kubectl);
    get.addAll(
        List.of(
            "get",
            "microvm",
            "-n",
            NAMESPACE,
            "app",
            "-o",
            "jsonpath={.status.liveSwitch.result}: {.status.liveSwitch.system}{'\\n'}"));
    System.out.println("$ kubectl get microvm -n demo app -o jsonpath='{.status.liveSwitch...}'");
    new ProcessBuilder(get).inheritIO().start().waitFor();
  }

  private static MicroVMStatus.LiveSwitch awaitSwitch(KubernetesClient client)
      throws InterruptedException {
    for (int i = 0; i < 120; i++) {
      MicroVM vm = client.resources(MicroVM.class).inNamespace(NAMESPACE).withName("app").get();
      MicroVMStatus status = vm == null ? null : vm.getStatus();
      if (status != null
          && status.liveSwitch() != null
          && String.valueOf(status.liveSwitch().storePath()).endsWith("-microvm-app-1.1")) {
        return status.liveSwitch();
      }
      Thread.sleep(1000);
    }
    return null;
  }

  /** What the guest says of itself: its system's version and how long it has been up. */
  private static String guest(GuestSsh app) {
    ExecResult result =
        app.run(
            "echo \"system $(cat /run/current-system/nixos-version), up $(cut -d' ' -f1 /proc/uptime) s\"");
    return result.ok() ? result.stdout().strip() : "(no answer: " + result.stderr().strip() + ")";
  }
}
