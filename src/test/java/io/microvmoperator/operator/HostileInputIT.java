package io.microvmoperator.operator;

import static io.microvmoperator.testenv.OperatorHarness.microVM;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMHost;
import io.microvmoperator.api.MicroVMHostSpec;
import io.microvmoperator.api.MicroVMSpec;
import io.microvmoperator.testenv.HostileInput;
import io.microvmoperator.testenv.HostileInput.Field;
import io.microvmoperator.testenv.MicroVMSpecBuilder;
import io.microvmoperator.testenv.OperatorHarness;
import io.microvmoperator.testenv.TestFlake;
import io.microvmoperator.testenv.TestHost;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BiFunction;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The injection corpus against the real API server and the operator: the API server accepts exactly
 * what each field's rule in {@link HostileInput} accepts (the operator's value types are held to
 * the same rules in {@code HostileValuesTest}), and values that are legal but full of shell syntax
 * reach the host as data, byte for byte, while a canary proves that nothing ran.
 */
class HostileInputIT {

  @RegisterExtension static OperatorHarness env = OperatorHarness.withHosts(1);

  private static final String NS = "hostile";
  private static final String HOST = "hostile-host";
  private static final String STORE_PATH =
      "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-microvm-app";
  private static TestHost host;

  @BeforeAll
  static void setUp() {
    env.ensureNamespace(NS);
    host = env.host(0);
    env.registerHost(HOST, host, List.of(NS));
  }

  @Test
  void theApiServerAcceptsExactlyWhatEachFieldAllows() throws Exception {
    Map<String, BiFunction<String, String, HasMetadata>> resources = new ConcurrentHashMap<>();
    for (Field field : HostileInput.microVMFields()) {
      resources.put(field.name(), (name, value) -> microVMWith(name, field.name(), value));
    }
    for (Field field : HostileInput.hostFields()) {
      resources.put(field.name(), (name, value) -> hostWith(name, field.name(), value));
    }
    List<Field> fields = new ArrayList<>(HostileInput.microVMFields());
    fields.addAll(HostileInput.hostFields());

    ExecutorService requests = Executors.newFixedThreadPool(4);
    List<Future<String>> verdicts = new ArrayList<>();
    int cases = 0;
    for (Field field : fields) {
      for (String fragment : HostileInput.fragments()) {
        String value = field.embed().apply(fragment);
        String name = "case-" + cases++;
        verdicts.add(
            requests.submit(
                () -> {
                  boolean accepted =
                      acceptedByApiServer(resources.get(field.name()).apply(name, value));
                  return accepted == field.accepts().test(value)
                      ? null
                      : field
                          + " "
                          + HostileInput.printable(value)
                          + (accepted ? " accepted" : " rejected");
                }));
      }
    }
    List<String> disagreements = new ArrayList<>();
    for (Future<String> verdict : verdicts) {
      String disagreement = verdict.get();
      if (disagreement != null) {
        disagreements.add(disagreement);
      }
    }
    requests.shutdown();

    assertThat(disagreements).isEmpty();
    assertThat(cases).isGreaterThanOrEqualTo(100 * fields.size());
    System.out.printf(
        "[figures] hostile input: %d cases (%d fragments x %d fields) judged by the API server as"
            + " the field rules say%n",
        cases, HostileInput.fragments().size(), fields.size());
  }

  @Test
  void legalFlakerefsFullOfShellSyntaxReachTheHostByteForByteAndRunNothing() throws Exception {
    Path canary = Path.of("/tmp/microvm-operator-canary-" + UUID.randomUUID());
    String touch = "touch$IFS" + canary;
    // Folders whose names Nix accepts in a path: flakeref and a shell would execute.
    List<String> folders =
        List.of(
            "a$(" + touch + ")",
            "b';" + touch + ";'",
            "c\";" + touch + ";\"",
            "d&" + touch + "&",
            "e$IFS*!~@:=,+'\"(x)",
            "f;$((1+1));$HOME;'\"'\"'");
    List<String> refs = new ArrayList<>();
    for (int i = 0; i < folders.size(); i++) {
      TestFlake flake =
          TestFlake.create(env.hosts().root().resolve("nasty").resolve(folders.get(i)))
              .runner("app", "v" + i);
      refs.add(flake.pathRef());
      MicroVM vm = microVM(NS, "nasty-" + i, HOST, flake.pathRef(), "app");
      env.apply(vm);
    }

    for (int i = 0; i < refs.size(); i++) {
      env.awaitCondition(NS, "nasty-" + i, "Ready", "True");
      byte[] written = Files.readAllBytes(host.realPath("/var/lib/microvms/nasty-" + i + "/flake"));
      assertThat(written)
          .as("the flake file of nasty-%d", i)
          .isEqualTo(refs.get(i).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    assertThat(canary).doesNotExist();
    assertThat(host.logs().auditLog()).anyMatch(c -> c.contains(folders.get(0)));
  }

  @Test
  void namesAtTheLimitsOfTheirRulesArriveAsGiven() {
    TestFlake flake = TestFlake.create(env.hosts().root().resolve("limits")).runner("_T-9", "v1");
    String longest = "Z" + "a1_-".repeat(15) + "xyz";
    MicroVM vm = microVM(NS, "limits", HOST, flake.pathRef(), "_T-9");
    vm.setSpec(MicroVMSpecBuilder.from(vm.getSpec()).vmName(longest).build());
    env.apply(vm);

    env.awaitCondition(NS, "limits", "Ready", "True");

    assertThat(longest).hasSize(64);
    assertThat(host.readlink("/var/lib/microvms/" + longest + "/current")).isPresent();
    assertThat(host.logs().starts(longest)).isEqualTo(1);
  }

  private static boolean acceptedByApiServer(HasMetadata resource) {
    Throwable error = catchThrowable(() -> env.client().resource(resource).dryRun().create());
    if (error == null) {
      return true;
    }
    if (error instanceof KubernetesClientException e && e.getCode() == 422) {
      return false;
    }
    throw new AssertionError("unexpected answer for " + resource.getMetadata().getName(), error);
  }

  private static MicroVM microVMWith(String name, String field, String value) {
    MicroVMSpecBuilder spec =
        MicroVMSpecBuilder.from(microVM(NS, name, HOST, "path:/tmp/x", "app").getSpec());
    switch (field) {
      case "vmName" -> spec.vmName(value);
      case "target" -> spec.target(value);
      case "flake" -> spec.useFlake(value);
      case "storePath" -> spec.useStorePath(value);
      case "substituters" -> spec.useStorePath(STORE_PATH).substituters(value);
      case "trustedPublicKeys" -> spec.useStorePath(STORE_PATH).trustedPublicKeys(value);
      case "hydra.url" -> spec.useHydra(hydra(value, "p", "j", "job"));
      case "hydra.project" -> spec.useHydra(hydra("http://h", value, "j", "job"));
      case "hydra.jobset" -> spec.useHydra(hydra("http://h", "p", value, "job"));
      case "hydra.job" -> spec.useHydra(hydra("http://h", "p", "j", value));
      default -> throw new IllegalArgumentException(field);
    }
    MicroVM vm = new MicroVM();
    vm.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
    vm.setSpec(spec.build());
    return vm;
  }

  private static MicroVMSpec.HydraSource hydra(
      String url, String project, String jobset, String job) {
    return new MicroVMSpec.HydraSource(url, project, jobset, job, null);
  }

  private static MicroVMHost hostWith(String name, String field, String value) {
    MicroVMHost resource = new MicroVMHost();
    resource.setMetadata(new ObjectMetaBuilder().withName("hostile-" + name).build());
    resource.setSpec(
        new MicroVMHostSpec(
            field.equals("address") ? value : "127.0.0.1",
            22,
            field.equals("user") ? value : "root",
            new MicroVMHostSpec.SecretKeyRef("hostile-ssh", null),
            List.of(host.hostKeyLine()),
            null,
            field.equals("stateDir") ? value : "/var/lib/microvms",
            null,
            null,
            List.of(NS),
            null,
            null));
    return resource;
  }
}
