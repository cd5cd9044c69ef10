package io.microvmoperator.operator;

import static io.microvmoperator.testenv.OperatorHarness.microVM;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMHost;
import io.microvmoperator.api.MicroVMHostStatus;
import io.microvmoperator.api.MicroVMSpec;
import io.microvmoperator.testenv.OperatorHarness;
import io.microvmoperator.testenv.TestFlake;
import io.microvmoperator.testenv.TestHost;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Hosts that present the wrong key, go down and come back, or are down during a deletion. */
class HostTrustAndFaultsIT {

  @RegisterExtension static OperatorHarness env = OperatorHarness.withHosts(5);

  private static final String NS = "faults";
  private static TestFlake flake;

  @BeforeAll
  static void setUp() {
    env.ensureNamespace(NS);
    flake = TestFlake.create(env.hosts().root().resolve("flake")).runner("svc", "v1");
  }

  @Test
  void aHostWithAnotherKeyGetsNoCommandAndTheVMStalls() {
    TestHost host = env.host(0);
    host.logs().resetLogs();
    env.registerHost("faults-wrong-key", host, env.host(1).hostKeyLine(), List.of(NS));

    env.apply(microVM(NS, "wrong-key", "faults-wrong-key", flake.pathRef(), "svc"));
    MicroVM vm = env.awaitCondition(NS, "wrong-key", "Stalled", "True");

    assertThat(env.condition(vm, "Stalled").orElseThrow().getReason()).isEqualTo("HostKeyMismatch");
    assertThat(env.condition(vm, "Stalled").orElseThrow().getMessage())
        .contains("not one of the pinned keys");
    assertThat(host.logs().auditLog()).isEmpty();
  }

  /**
   * Every condition describes the latest probe: a host that answered before and now presents a key
   * that is not pinned is not "reachable" for the operator, which sends it no command.
   */
  @Test
  void aVmOnAHostThatNowPresentsAnotherKeyIsNotShownReachable() {
    TestHost host = env.host(1);
    env.registerHost("faults-rekeyed", host, List.of(NS));
    MicroVM ready =
        env.applyAndAwaitReady(microVM(NS, "rekeyed", "faults-rekeyed", flake.pathRef(), "svc"));
    assertThat(env.condition(ready, "HostReachable").orElseThrow().getStatus()).isEqualTo("True");

    env.registerHost("faults-rekeyed", host, env.host(0).hostKeyLine(), List.of(NS));
    MicroVM vm =
        env.awaitReason(NS, "rekeyed", "Stalled", "HostKeyMismatch", Duration.ofSeconds(60));
    assertThat(env.condition(vm, "HostReachable").orElseThrow())
        .satisfies(
            c -> {
              assertThat(c.getStatus()).isEqualTo("False");
              assertThat(c.getReason()).isEqualTo("HostKeyMismatch");
            });
    assertThat(env.condition(vm, "Ready").orElseThrow().getStatus()).isEqualTo("False");
  }

  @Test
  void aMissingKeySecretIsNamedAndNothingRuns() {
    TestHost host = env.host(2);
    env.registerHost("faults-no-secret", host, List.of(NS));
    env.client()
        .secrets()
        .inNamespace(OperatorHarness.OPERATOR_NAMESPACE)
        .withName("faults-no-secret-ssh")
        .delete();

    env.apply(microVM(NS, "no-secret", "faults-no-secret", flake.pathRef(), "svc"));
    MicroVM vm =
        env.awaitReason(NS, "no-secret", "Stalled", "SecretNotFound", Duration.ofSeconds(60));

    assertThat(env.condition(vm, "Stalled").orElseThrow().getMessage())
        .contains(OperatorHarness.OPERATOR_NAMESPACE + "/faults-no-secret-ssh");
    assertThat(host.readlink("/var/lib/microvms/no-secret/current")).isEmpty();
    MicroVMHost registered =
        awaitHost(
            "faults-no-secret",
            h ->
                h.getStatus().conditions().stream()
                    .anyMatch(
                        c ->
                            c.getType().equals("Ready") && c.getReason().equals("SecretNotFound")));
    assertThat(registered.getStatus().conditions())
        .anyMatch(c -> c.getType().equals("Reachable") && c.getStatus().equals("Unknown"));
  }

  @Test
  void aKeyTheHostRefusesIsNamedAndNothingRunsUntilTheHostAcceptsIt() {
    TestHost host = env.host(0);
    TestHost other = env.host(3);
    env.registerHost("faults-refused-key", host, List.of(NS));
    env.client()
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("faults-refused-key-ssh")
                .withNamespace(OperatorHarness.OPERATOR_NAMESPACE)
                .endMetadata()
                .withStringData(Map.of("id_ed25519", other.clientPrivateKey()))
                .build())
        .serverSideApply();
    MicroVMHost refused =
        awaitHost("faults-refused-key", h -> reasonOf(h, "Ready").equals("AuthenticationFailed"));
    assertThat(refused.getStatus().conditions())
        .anyMatch(c -> c.getType().equals("Reachable") && c.getStatus().equals("True"))
        .anyMatch(c -> c.getType().equals("HostKeyVerified") && c.getStatus().equals("True"));
    host.logs().resetLogs();

    env.apply(microVM(NS, "refused", "faults-refused-key", flake.pathRef(), "svc"));
    MicroVM vm =
        env.awaitReason(NS, "refused", "Stalled", "AuthenticationFailed", Duration.ofSeconds(60));
    assertThat(env.condition(vm, "Stalled").orElseThrow().getMessage())
        .contains("refused the operator's key SHA256:")
        .contains("authorized_keys");
    assertThat(host.logs().auditLog()).as("commands run on the host").isEmpty();

    host.authorizeKeys(List.of(host.clientPublicKeyLine(), other.clientPublicKeyLine()));
    env.awaitCondition(NS, "refused", "Ready", "True");
    assertThat(host.logs().starts("refused")).isEqualTo(1);
  }

  /**
   * A reconcile that works from the last probe logs in afresh when that probe's connection is gone;
   * a refusal there is named as in a probe (not "unreachable", which waiting would mend).
   */
  @Test
  void aLoginRefusedInTheMiddleOfAReconcileIsNamedNotCalledUnreachable() {
    TestHost host = env.host(4);
    env.registerHost("faults-revoked", host, List.of(NS));
    env.applyAndAwaitReady(microVM(NS, "revoked", "faults-revoked", flake.pathRef(), "svc"));

    host.authorizeKeys(List.of(env.host(3).clientPublicKeyLine()));
    host.faults().cutConnections();
    env.editSpec(NS, "revoked", spec -> spec.interval("7m"));
    MicroVM vm =
        env.awaitReason(NS, "revoked", "Stalled", "AuthenticationFailed", Duration.ofSeconds(60));
    assertThat(env.condition(vm, "Stalled").orElseThrow().getMessage())
        .contains("refused the operator's key SHA256:");
    assertThat(env.eventsOf(NS, "revoked").stream().map(e -> e.getReason()))
        .contains("AuthenticationFailed")
        .doesNotContain("HostUnreachable");

    host.authorizeKeys(List.of(host.clientPublicKeyLine()));
    env.awaitCondition(NS, "revoked", "Ready", "True");
    assertThat(host.logs().starts("revoked")).isEqualTo(1);
  }

  /**
   * One classification of host errors: a host configuration problem (here its key Secret is gone)
   * met while a reconcile opens a new connection stalls with its reason, as when a probe meets it,
   * and is not called "unreachable, retry in 10 s".
   */
  @Test
  void aSecretGoneInTheMiddleOfAReconcileIsNamedNotCalledUnreachable() {
    TestHost host = env.host(3);
    env.registerHost("faults-secret-gone", host, List.of(NS));
    env.applyAndAwaitReady(
        microVM(NS, "secret-gone", "faults-secret-gone", flake.pathRef(), "svc"));

    env.client()
        .secrets()
        .inNamespace(OperatorHarness.OPERATOR_NAMESPACE)
        .withName("faults-secret-gone-ssh")
        .delete();
    host.faults().cutConnections();
    env.editSpec(NS, "secret-gone", spec -> spec.interval("7m"));
    MicroVM vm =
        env.awaitReason(NS, "secret-gone", "Stalled", "SecretNotFound", Duration.ofSeconds(60));
    assertThat(env.condition(vm, "HostReachable").orElseThrow().getReason())
        .isEqualTo("SecretNotFound");
    assertThat(env.eventsOf(NS, "secret-gone").stream().map(e -> e.getReason()))
        .contains("SecretNotFound")
        .doesNotContain("HostUnreachable");

    env.registerHost("faults-secret-gone", host, List.of(NS));
    env.awaitCondition(NS, "secret-gone", "Ready", "True");
  }

  private static String reasonOf(MicroVMHost host, String type) {
    return host.getStatus().conditions().stream()
        .filter(c -> c.getType().equals(type))
        .map(c -> c.getReason())
        .findFirst()
        .orElse("");
  }

  @Test
  void trustOnFirstUseRecordsTheFirstKeyAndPinsItFromThenOn() {
    TestHost host = env.host(3);
    env.registerHostTrustingFirstUse("faults-tofu", host, List.of(NS));

    MicroVMHost trusted = awaitHost("faults-tofu", h -> h.getStatus().trustedHostKey() != null);
    assertThat(trusted.getStatus().trustedHostKey()).isEqualTo(host.hostKeyLine());
    env.applyAndAwaitReady(microVM(NS, "tofu", "faults-tofu", flake.pathRef(), "svc"));

    // The host now presents a key other than the one trusted first: nothing runs on it.
    MicroVMHost forged = new MicroVMHost();
    forged.setMetadata(new ObjectMetaBuilder().withName("faults-tofu").build());
    forged.setStatus(
        new MicroVMHostStatus(null, null, null, env.host(1).hostKeyLine(), null, null, null));
    env.client()
        .resource(forged)
        .subresource("status")
        .patch(
            new PatchContext.Builder()
                .withPatchType(PatchType.SERVER_SIDE_APPLY)
                .withFieldManager("a-key-change")
                .withForce(true)
                .build());
    MicroVMHost mismatch =
        awaitHost(
            "faults-tofu",
            h ->
                h.getStatus().conditions().stream()
                    .anyMatch(
                        c ->
                            c.getType().equals("Ready")
                                && c.getReason().equals("HostKeyMismatch")));
    assertThat(mismatch.getStatus().trustedHostKey()).isEqualTo(env.host(1).hostKeyLine());
  }

  private static MicroVMHost awaitHost(
      String name, java.util.function.Predicate<MicroVMHost> check) {
    return await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> env.client().resources(MicroVMHost.class).withName(name).get(),
            h -> h != null && h.getStatus() != null && check.test(h));
  }

  @Test
  void aHostThatGoesDownIsReportedAndRecoveredWithoutAnotherRestart() {
    TestHost host = env.host(1);
    env.registerHost("faults-flaky", host, List.of(NS));
    env.applyAndAwaitReady(microVM(NS, "flaky", "faults-flaky", flake.pathRef(), "svc"));

    host.faults().goDown();
    MicroVM down = env.awaitCondition(NS, "flaky", "HostReachable", "False");
    assertThat(env.condition(down, "Ready").orElseThrow().getStatus()).isEqualTo("False");

    host.start();
    env.awaitCondition(NS, "flaky", "Ready", "True");
    assertThat(host.logs().starts("flaky")).isEqualTo(1);
  }

  @Test
  void aDeletionWaitsForAnUnreachableHostUntilTheUserChoosesOrphan() {
    TestHost host = env.host(2);
    env.registerHost("faults-gone", host, List.of(NS));
    env.applyAndAwaitReady(microVM(NS, "stranded", "faults-gone", flake.pathRef(), "svc"));

    host.faults().goDown();
    env.client().resources(MicroVM.class).inNamespace(NS).withName("stranded").delete();
    MicroVM waiting =
        env.awaitMicroVM(
            NS,
            "stranded",
            Duration.ofSeconds(60),
            vm ->
                env.condition(vm, "HostReachable")
                    .map(c -> c.getMessage().contains("deletion (Delete) waits for host"))
                    .orElse(false));
    assertThat(waiting.getMetadata().getDeletionTimestamp()).isNotNull();

    env.editSpec(NS, "stranded", spec -> spec.deletionPolicy(MicroVMSpec.DeletionPolicy.Orphan));
    await().atMost(Duration.ofSeconds(60)).until(() -> env.get(NS, "stranded") == null);
    assertThat(host.readlink("/var/lib/microvms/svc/current")).isEmpty();
    assertThat(host.readlink("/var/lib/microvms/stranded/current"))
        .as("Orphan leaves the VM on its host")
        .isPresent();
  }
}
