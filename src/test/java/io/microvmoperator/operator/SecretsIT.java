package io.microvmoperator.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMHost;
import io.microvmoperator.testenv.Commands;
import io.microvmoperator.testenv.KubeControlPlane;
import io.microvmoperator.testenv.LogProblems;
import io.microvmoperator.testenv.OperatorHarness;
import io.microvmoperator.testenv.SshKeyPair;
import io.microvmoperator.testenv.TestFlake;
import io.microvmoperator.testenv.TestHost;
import io.microvmoperator.testenv.TestHosts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The SSH private key, as a user's Secret holds it: rotating the Secret takes effect without
 * restarting the operator, and the key is never written to a file or a log. The operator is the
 * runnable jar, run under strace (every file it opens for writing is recorded) with its loggers and
 * sshj's at DEBUG.
 */
class SecretsIT {

  @RegisterExtension static KubeControlPlane k8s = KubeControlPlane.shared();
  @RegisterExtension static TestHosts hosts = TestHosts.start(1);

  private static final String NS = "secrets";
  private static final String HOST = "secrets-host";
  private static final String SECRET = HOST + "-ssh";
  private static final Pattern WRITTEN =
      Pattern.compile(
          "(?:open|openat|openat2|creat)\\((?:[^\"]*)\"([^\"]+)\"(?:, ([A-Z_|]+))?|"
              + "(?:rename|renameat|renameat2|link|linkat|symlink|symlinkat)\\(.*\"([^\"]+)\"");

  private static KubernetesClient client;
  private static Process operator;
  private static Path strace;
  private static Path operatorLog;

  @BeforeAll
  static void startTheJarUnderStrace() throws Exception {
    client = k8s.client();
    OperatorHarness.ensureNamespace(client, OperatorHarness.OPERATOR_NAMESPACE);
    OperatorHarness.ensureNamespace(client, NS);
    Path root = hosts.root();
    Path kubeconfig = root.resolve("kubeconfig");
    Files.writeString(kubeconfig, k8s.kubeconfigYaml());
    Path logConfig = root.resolve("log4j2-debug.xml");
    Files.writeString(
        logConfig,
        """
        <Configuration status="WARN">
          <Appenders>
            <Console name="console" target="SYSTEM_OUT">
              <PatternLayout pattern="%d{ISO8601} %-5level [%t] %c %X %msg%n"/>
            </Console>
          </Appenders>
          <Loggers>
            <Logger name="io.microvmoperator" level="debug"/>
            <Logger name="io.javaoperatorsdk" level="debug"/>
            <Logger name="net.schmizz" level="debug"/>
            <Logger name="com.hierynomus" level="debug"/>
            <Root level="info"><AppenderRef ref="console"/></Root>
          </Loggers>
        </Configuration>
        """);
    strace = root.resolve("strace.log");
    operatorLog = root.resolve("operator.log");
    ProcessBuilder builder =
        new ProcessBuilder(
                "strace",
                "-f",
                "-qq",
                "--seccomp-bpf",
                "-e",
                "trace=open,openat,openat2,creat,rename,renameat,renameat2,link,linkat,symlink,"
                    + "symlinkat",
                "-e",
                "status=successful",
                "-o",
                strace.toString(),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // no /tmp/hsperfdata_USER/PID, which the JVM opens relative to a folder
                "-XX:-UsePerfData",
                "-Dlog4j2.configurationFile=" + logConfig,
                "-jar",
                jar().toString())
            .redirectErrorStream(true)
            .redirectOutput(operatorLog.toFile());
    builder.environment().put("KUBECONFIG", kubeconfig.toString());
    builder.environment().put("OPERATOR_NAMESPACE", OperatorHarness.OPERATOR_NAMESPACE);
    builder.environment().put("HEALTH_PORT", "-1");
    operator = builder.start();
  }

  @AfterAll
  static void stopTheJar() throws Exception {
    if (operator != null && operator.isAlive()) {
      stopOperator();
    }
    client.close();
  }

  @Test
  void aRotatedKeyIsUsedWithoutARestartAndNoKeyIsEverWrittenOrLogged() throws Exception {
    TestHost host = hosts.get(0);
    OperatorHarness.registerHost(client, HOST, host, List.of(NS));
    TestFlake flake = TestFlake.create(hosts.root().resolve("flake")).runner("app", "v1");
    client
        .resource(OperatorHarness.microVM(NS, "app", HOST, flake.pathRef(), "app"))
        .serverSideApply();
    awaitVmReady();
    long pid = operator.pid();

    // Rotate: authorise the new key next to the old one, then put the new key in the Secret.
    SshKeyPair rotated = SshKeyPair.generate(hosts.root().resolve("rotated_ed25519"), "rotated");
    host.authorizeKeys(List.of(host.clientPublicKeyLine(), rotated.publicKeyLine()));
    int logMark = host.logs().sshdLog().length();
    long changed = System.nanoTime();
    putKey(rotated.privateKey());
    String newFingerprint = fingerprint(rotated);
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                acceptedFingerprints(host.logs().sshdLog().substring(logMark))
                    .contains(newFingerprint));
    long usedAfter = System.nanoTime() - changed;
    assertThat(acceptedFingerprints(host.logs().sshdLog().substring(logMark)))
        .as("after the change, every login uses the new key")
        .containsOnly(newFingerprint);

    // The old key goes; connections are cut; the operator logs in again with the new one.
    host.authorizeKeys(List.of(rotated.publicKeyLine()));
    int cutMark = host.logs().sshdLog().length();
    host.faults().cutConnections();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                acceptedFingerprints(host.logs().sshdLog().substring(cutMark))
                    .contains(newFingerprint));
    awaitHostReady(true);
    awaitVmReady();
    assertThat(operator.pid()).as("the same operator process").isEqualTo(pid);
    assertThat(operator.isAlive()).isTrue();
    assertThat(host.logs().starts("app")).as("rotation restarts no VM").isEqualTo(1);

    // A damaged key in the Secret: the host is reported, and nothing of the key is shown.
    String damaged = damage(rotated.privateKey());
    putKey(damaged);
    host.faults().cutConnections();
    MicroVMHost broken = awaitHostReady(false);
    Condition ready = readyCondition(broken).orElseThrow();
    assertThat(ready.getReason()).isEqualTo("InvalidPrivateKey");
    assertThat(keyMaterial(damaged)).noneMatch(ready.getMessage()::contains);
    String brokenReason = ready.getReason() + ": " + ready.getMessage();
    putKey(rotated.privateKey());
    awaitHostReady(true);

    stopOperator();
    assertThat(Files.readString(strace))
        .as("strace saw the JVM open its jar")
        .contains(jar().toString());
    List<Path> written = writtenFiles();
    assertThat(written).as("paths strace recorded").allMatch(Path::isAbsolute);
    List<String> secrets = new ArrayList<>(keyMaterial(host.clientPrivateKey()));
    secrets.addAll(keyMaterial(rotated.privateKey()));
    for (Path file : written) {
      String content = read(file);
      assertThat(secrets).as("key material in %s", file).noneMatch(content::contains);
    }
    String log = Files.readString(operatorLog);
    assertThat(log).contains("DEBUG").doesNotContain("PRIVATE KEY");
    assertThat(secrets).as("key material in the operator's log").noneMatch(log::contains);
    assertThat(LogProblems.in(log)).as("ERRORs and stack traces in the operator's log").isEmpty();
    System.out.printf(
        "[figures] secrets: rotated key used %d ms after the Secret changed (probe interval 5"
            + " s); damaged key reported as %s; the operator wrote %d files, none with key"
            + " material: %s; log lines scanned: %d%n",
        usedAfter / 1_000_000, brokenReason, written.size(), written, log.lines().count());
  }

  private static void putKey(String privateKey) {
    client
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(SECRET)
                .withNamespace(OperatorHarness.OPERATOR_NAMESPACE)
                .endMetadata()
                .withStringData(Map.of("id_ed25519", privateKey))
                .build())
        .serverSideApply();
  }

  /** The key with its body cut short: still PEM, no longer a key. */
  private static String damage(String pem) {
    List<String> lines = pem.lines().toList();
    return lines.get(0) + "\n" + lines.get(1) + "\n" + lines.get(lines.size() - 1) + "\n";
  }

  /** What would give the key away: each line of its body, and the Secret's base64 of it. */
  private static List<String> keyMaterial(String pem) {
    List<String> material = new ArrayList<>();
    pem.lines().filter(l -> !l.startsWith("-----") && l.length() >= 16).forEach(material::add);
    String encoded = Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.UTF_8));
    material.add(encoded.substring(40, 100));
    return material;
  }

  private static String fingerprint(SshKeyPair key) {
    String out =
        Commands.run("ssh-keygen", "-l", "-f", key.privateKeyFile() + ".pub")
            .orThrow("ssh-keygen -l")
            .stdout();
    return out.split(" ")[1];
  }

  private static Set<String> acceptedFingerprints(String sshdLog) {
    Set<String> fingerprints = new LinkedHashSet<>();
    Matcher m =
        Pattern.compile("Accepted publickey for \\S+ from .* (SHA256:\\S+)").matcher(sshdLog);
    while (m.find()) {
      fingerprints.add(m.group(1));
    }
    return fingerprints;
  }

  /** Files the operator created, opened for writing, renamed or linked (strace's record). */
  private static List<Path> writtenFiles() throws IOException {
    Set<Path> files = new LinkedHashSet<>();
    for (String line : Files.readAllLines(strace, StandardCharsets.ISO_8859_1)) {
      Matcher m = WRITTEN.matcher(line);
      if (!m.find()) {
        continue;
      }
      if (m.group(3) != null) {
        files.add(Path.of(m.group(3)));
      } else if (line.contains("creat(")
          || m.group(2) != null && m.group(2).matches(".*(O_WRONLY|O_RDWR|O_CREAT).*")) {
        files.add(Path.of(m.group(1)));
      }
    }
    return files.stream()
        .filter(p -> !p.startsWith("/dev") && !p.startsWith("/proc") && !p.startsWith("/sys"))
        .toList();
  }

  private static String read(Path file) throws IOException {
    if (!Files.isRegularFile(file) || Files.size(file) > 64 << 20) {
      return "";
    }
    return new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
  }

  private static void awaitVmReady() {
    await()
        .atMost(Duration.ofSeconds(120))
        .until(
            () -> client.resources(MicroVM.class).inNamespace(NS).withName("app").get(),
            vm ->
                vm != null
                    && vm.getStatus() != null
                    && vm.getStatus().conditionsOrEmpty().stream()
                        .anyMatch(
                            c -> c.getType().equals("Ready") && c.getStatus().equals("True")));
  }

  private static MicroVMHost awaitHostReady(boolean ready) {
    return await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> client.resources(MicroVMHost.class).withName(HOST).get(),
            h ->
                h != null
                    && readyCondition(h)
                        .map(c -> c.getStatus().equals(ready ? "True" : "False"))
                        .orElse(false));
  }

  private static Optional<Condition> readyCondition(MicroVMHost host) {
    if (host.getStatus() == null || host.getStatus().conditions() == null) {
      return Optional.empty();
    }
    return host.getStatus().conditions().stream()
        .filter(c -> c.getType().equals("Ready"))
        .findFirst();
  }

  /** SIGTERM to the JVM (strace, its parent, would only detach); strace ends with it. */
  private static void stopOperator() throws Exception {
    List<ProcessHandle> jvm = operator.children().toList();
    jvm.forEach(ProcessHandle::destroy);
    if (!operator.waitFor(30, TimeUnit.SECONDS)) {
      jvm.forEach(ProcessHandle::destroyForcibly);
      operator.destroyForcibly();
      throw new AssertionError("the operator did not stop within 30 s of SIGTERM");
    }
  }

  private static Path jar() throws IOException {
    try (var files = Files.list(Path.of("target"))) {
      return files
          .filter(p -> p.getFileName().toString().matches("microvm-operator-.*\\.jar"))
          .findFirst()
          .orElseThrow();
    }
  }
}
