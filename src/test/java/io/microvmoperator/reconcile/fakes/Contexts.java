package io.microvmoperator.reconcile.fakes;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMHost;
import io.microvmoperator.api.MicroVMSpec;
import io.microvmoperator.api.MicroVMStatus;
import io.microvmoperator.host.Ownership;
import io.microvmoperator.host.VmObservation;
import io.microvmoperator.nix.InvalidValueException;
import io.microvmoperator.nix.StorePath;
import io.microvmoperator.reconcile.context.Findings;
import io.microvmoperator.reconcile.context.HostSession;
import io.microvmoperator.reconcile.context.MicroVMContext;
import io.microvmoperator.reconcile.context.Rollout;
import io.microvmoperator.reconcile.status.MicroVMStatusBuilder;
import io.microvmoperator.reconcile.validation.Admitted;
import io.microvmoperator.reconcile.validation.SpecValidator;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/** MicroVMs, hosts, observations and contexts for the steps' unit tests. */
public final class Contexts {

  public static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");
  public static final StorePath V1 =
      new StorePath("/nix/store/0123456789abcdfghijklmnpqrsvwxyz-microvm-web-v1");
  public static final StorePath V2 =
      new StorePath("/nix/store/zyxwvsrqpnmlkjihgfdcba9876543210-microvm-web-v2");

  private Contexts() {}

  public static MicroVM vm(MicroVMSpec spec, MicroVMStatus status) {
    MicroVM vm = new MicroVM();
    vm.setMetadata(
        new ObjectMetaBuilder()
            .withName("web")
            .withNamespace("team-a")
            .withUid("uid-1")
            .withGeneration(1L)
            .build());
    vm.setSpec(spec);
    vm.setStatus(status);
    return vm;
  }

  public static MicroVMHost host(String name, Map<String, Object> spec) {
    Map<String, Object> all = new java.util.HashMap<>(Map.of("address", "127.0.0.1"));
    all.put("sshKeySecretRef", Map.of("name", "key"));
    all.putAll(spec);
    MicroVMHost host =
        Serialization.unmarshal(
            Serialization.asJson(Map.of("metadata", Map.of("name", name), "spec", all)),
            MicroVMHost.class);
    return host;
  }

  /** A context for {@code vm} on {@code host} whose operations are {@code fake}. */
  public static MicroVMContext context(MicroVM vm, MicroVMHost host, FakeHost fake) {
    try {
      return MicroVMContext.of(
          vm,
          new Admitted(host, SpecValidator.parse(vm)),
          new MicroVMStatusBuilder(vm, NOW),
          HostSession.of(fake));
    } catch (InvalidValueException e) {
      throw new IllegalArgumentException(e);
    }
  }

  /** The VM "web" on the host: current and booted at {@code runner}, its unit in {@code state}. */
  public static VmObservation seen(StorePath runner, String flake, String state, String sub) {
    return new VmObservation(
        "web",
        runner.value(),
        runner.value(),
        false,
        flake,
        state,
        sub,
        42,
        0,
        "success",
        false,
        "");
  }

  /**
   * What ObserveHost, ResolveRunner and GateUpdate would have found: {@code observed}, a rollout.
   */
  public static void found(MicroVMContext ctx, Optional<VmObservation> observed, Rollout rollout) {
    Findings findings = ctx.findings();
    findings.observed(observed);
    findings.ownership(new Ownership(ctx.ownerMarker(), ""));
    findings.desired(new Findings.DesiredRunner(rollout.wanted(), false, null));
    findings.rollout(rollout);
  }
}
