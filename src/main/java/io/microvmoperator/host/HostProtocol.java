package io.microvmoperator.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.microvmoperator.nix.AbsolutePath;
import io.microvmoperator.nix.FlakeRef;
import io.microvmoperator.nix.StorePath;
import io.microvmoperator.nix.VmName;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The operations the operator performs on a MicroVM.nix host over SSH, each one remote command: a
 * script of {@link HostScripts} whose values reach the remote shell only as validated types put
 * into shell variables by {@link Shell#quote}; the flakeref written to {@code flake} travels on
 * stdin.
 *
 * <p>Layout per VM, as MicroVM.nix has it: {@code STATE/NAME/current}, {@code booted}, {@code
 * flake}, {@code old}; the operator's own files live in {@code STATE/NAME/.operator/} (the lock and
 * the detached build jobs).
 */
public final class HostProtocol implements HostOperations {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration SHORT = Duration.ofSeconds(60);
  private static final Duration NIX_METADATA = Duration.ofMinutes(5);

  /**
   * Covers what systemd may take for one unit job: MicroVM.nix's {@code TimeoutSec} (150 s by
   * default) for a graceful stop through {@code microvm-shutdown}, or for a notify unit's start
   * until its guest is ready.
   */
  private static final Duration UNIT_JOB = Duration.ofMinutes(3);

  /**
   * What Nix says when a garbage collection removed a store path it was reading (an extended
   * regular expression over the build log): the build is tried again.
   */
  static final String COLLECTED_WHILE_READ =
      "^error: (path '?/nix/store/[^ ]*'? is not valid"
          + "|(getting status of|opening file) '/nix/store/[^']*': No such file or directory)";

  /** What the converge prints when the runner has no executable {@code bin/microvm-run}. */
  public static final String NOT_A_RUNNER = "not-a-runner";

  /** What the converge says when the runner to deploy is no longer in the host's store. */
  public static final String RUNNER_GONE = "the runner is not in the host's store any more";

  private final CommandRunner host;
  private final AbsolutePath stateDir;
  private final LiveSwitchProtocol.GuestLogin guests;

  public HostProtocol(CommandRunner host, AbsolutePath stateDir) {
    this(host, stateDir, null);
  }

  /** With {@code guests}: how to log in to a VM's guest through this host (live switches). */
  public HostProtocol(
      CommandRunner host, AbsolutePath stateDir, LiveSwitchProtocol.GuestLogin guests) {
    this.host = host;
    this.stateDir = stateDir;
    this.guests = guests;
  }

  @Override
  public LiveSwitchOperations liveSwitch() {
    if (guests == null) {
      return HostOperations.super.liveSwitch();
    }
    return new LiveSwitchProtocol(host, stateDir, guests);
  }

  @Override
  public HostProbe probe(PresentedKey hostKey) throws IOException {
    CommandResult result = run("probe", Map.of("d", stateDir.value()), null, SHORT);
    if (!result.succeeded()) {
      throw new IOException("probe failed (exit " + result.exitStatus() + "): " + result.stderr());
    }
    return ProbeParser.parse(result.stdout(), hostKey);
  }

  /**
   * {@code nix flake metadata --refresh} gives the locked reference (a branch becomes a revision),
   * so a build is needed only when it moved.
   */
  @Override
  public FlakeRef lockFlake(FlakeRef flake) throws IOException {
    CommandResult result = run("lock-flake", Map.of("ref", flake.value()), null, NIX_METADATA);
    if (!result.succeeded()) {
      throw new NixCommandException("cannot resolve flake " + flake, tail(result.stderr(), 20));
    }
    JsonNode url = JSON.readTree(result.stdout()).path("url");
    if (!url.isTextual()) {
      throw new IOException("nix flake metadata printed no locked url for " + flake);
    }
    return new FlakeRef(url.asText());
  }

  /**
   * The job runs detached from this session: it writes its log, result link (a GC root), the
   * result's signatures and its exit status into {@code NAME/.operator/build-ID/}, so a restarted
   * operator never builds twice, and a job that outlasts {@code maxWait} goes on (see {@link
   * #awaitBuild}). Waiting here rather than polling means that a job is seen to end the moment it
   * ends, in the same round trip that started it.
   *
   * <p>Starting is done under the job's own lock, so that two operators (a split brain) never both
   * start it: the second finds it running and waits for it.
   *
   * <p>A garbage collection on the host can delete a flake's source between Nix fetching and
   * reading it (Nix checks that the path is valid without holding it); such a build fails with
   * "path ... is not valid" or "getting status of '/nix/store/...': No such file or directory"
   * ({@link #COLLECTED_WHILE_READ}) and is tried again, up to three times in all.
   */
  @Override
  public BuildJob startBuild(VmName vm, BuildRequest request, Duration maxWait) throws IOException {
    Map<String, String> values = new LinkedHashMap<>();
    values.put("d", stateDir.resolve(vm.value()));
    values.put("job", jobDir(vm, request));
    values.put("installable", request.installable());
    values.put("subs", request.substitutersOption());
    values.put("keys", request.trustedKeysOption());
    values.put("wait", waitSeconds(maxWait));
    values.put("collected", COLLECTED_WHILE_READ);
    values.put("build_job", HostScripts.source("build-job"));
    CommandResult result = run("start-build", values, null, maxWait.plus(SHORT));
    if (!result.succeeded()) {
      throw new IOException("cannot build on host: " + result.stderr());
    }
    return BuildJobParser.parse(result.stdout());
  }

  /**
   * The batch runs detached in {@code STATE/.operator/batch-ID/} (a folder that MicroVM.nix's tools
   * and the probe do not list), which holds its log and the GC roots of its runners until each
   * member's job is forgotten; every member's job folder is the one {@link #startBuild} would use,
   * so that reading, waiting for, discarding and converging a member's build are unchanged. The
   * members are passed on standard input, one line each.
   */
  @Override
  public BuildJob startBatch(BuildBatch batch, Duration maxWait) throws IOException {
    BuildRequest common = batch.common();
    BuildBatch.Member first = batch.members().get(0);
    Map<String, String> values = new LinkedHashMap<>();
    values.put("batch", stateDir.resolve(".operator/batch-" + batch.id()));
    values.put("job", jobDir(first.vm(), first.request()));
    values.put("flake", common.flake().value());
    values.put("subs", common.substitutersOption());
    values.put("keys", common.trustedKeysOption());
    values.put("wait", waitSeconds(maxWait));
    values.put("collected", COLLECTED_WHILE_READ);
    values.put("build_job", HostScripts.source("build-job"));
    values.put("build_batch", HostScripts.source("build-batch"));
    StringBuilder members = new StringBuilder();
    for (BuildBatch.Member member : batch.members()) {
      members
          .append(jobDir(member.vm(), member.request()))
          .append('\t')
          .append(stateDir.resolve(member.vm().value()))
          .append('\t')
          .append(member.request().target().value())
          .append('\t')
          .append(member.request().installable())
          .append('\n');
    }
    byte[] stdin = members.toString().getBytes(StandardCharsets.UTF_8);
    CommandResult result = run("start-batch", values, stdin, maxWait.plus(SHORT));
    if (!result.succeeded()) {
      throw new IOException("cannot build on host: " + result.stderr());
    }
    return BuildJobParser.parse(BuildJobParser.withoutMembers(result.stdout()));
  }

  @Override
  public BuildJob awaitBuild(VmName vm, BuildRequest request, Duration maxWait) throws IOException {
    Map<String, String> values = new LinkedHashMap<>();
    values.put("job", jobDir(vm, request));
    values.put("wait", waitSeconds(maxWait));
    return readJob(run("await-build", values, null, maxWait.plus(SHORT)));
  }

  @Override
  public BuildJob readBuild(VmName vm, BuildRequest request) throws IOException {
    return readJob(run("read-build", Map.of("job", jobDir(vm, request)), null, SHORT));
  }

  @Override
  public void discardBuild(VmName vm, BuildRequest request) throws IOException {
    run("discard-build", Map.of("job", jobDir(vm, request)), null, SHORT);
  }

  @Override
  public String diffClosures(StorePath from, StorePath to) throws IOException {
    CommandResult result =
        run("diff-closures", Map.of("from", from.value(), "to", to.value()), null, SHORT);
    if (!result.succeeded()) {
      throw new NixCommandException(
          "nix store diff-closures " + from + " " + to + " failed", tail(result.stderr(), 5));
    }
    return result.stdout();
  }

  /**
   * Under the VM's lock: makes MicroVM.nix's GC roots for {@code current}, {@code booted} and
   * {@code old} (so the runner a VM booted stays in the store however many updates it has not been
   * restarted for), points {@code current} at the runner (keeping the previous one as {@code old};
   * Nix writes both links atomically and registers them as GC roots), writes {@code flake} (removes
   * it when the content is empty: a prebuilt runner has none, and a stale one would let {@code
   * microvm -u} rebuild something else), removes finished builds of other runners (the build of
   * this one stays, so that a reconcile working from an older status finds it done instead of
   * building again), then brings the unit to the wanted state. Ends by reading the VM folder as a
   * probe does, so that no second command is needed to see the result.
   *
   * <p>A runner without an executable {@code bin/microvm-run} is not deployed (nothing is changed;
   * {@link ConvergeResult#notARunner()}). A start or restart that systemd reports as failed does
   * not end the converge: the swap is done and the result says so. A prebuilt runner (no flake
   * file) gets a {@code toplevel} link to its system, as MicroVM.nix's declarative VMs have, so
   * that {@code microvm -l} lists it; the operator marks that link as its own.
   */
  @Override
  public ConvergeResult converge(ConvergeRequest request) throws IOException {
    VmName vm = request.vm();
    CommandResult result =
        run(
            "converge",
            convergeVariables(request),
            request.flakeFileContent().getBytes(StandardCharsets.UTF_8),
            UNIT_JOB.multipliedBy(2).plus(SHORT));
    String what = "deploying " + request.runner() + " to " + vm.value();
    if (result.exitStatus() == HostScripts.EXIT_RUNNER_GONE) {
      throw new RunnerGoneException(what + " failed", RUNNER_GONE);
    }
    requireSuccess(result, what);
    List<String> done = result.stdout().lines().map(String::strip).toList();
    String ownedBy =
        done.stream()
            .filter(line -> line.startsWith("owned-by "))
            .map(line -> line.substring("owned-by ".length()))
            .findFirst()
            .orElse(null);
    return new ConvergeResult(
        done.contains("declared-by-host"),
        ownedBy,
        done.contains(NOT_A_RUNNER),
        done.contains("start-failed"),
        done.contains("swapped"),
        done.contains("started"),
        done.contains("restarted"),
        done.contains("stopped"),
        ProbeParser.parse(result.stdout(), null).vm(vm.value()));
  }

  private Map<String, String> convergeVariables(ConvergeRequest request) {
    Map<String, String> values = new LinkedHashMap<>();
    values.put("d", stateDir.resolve(request.vm().value()));
    values.put("n", request.vm().value());
    values.put("unit", request.vm().unit());
    values.put("new", request.runner().value());
    values.put("want", request.running() ? "running" : "stopped");
    values.put("onchange", request.restartOnChange() ? "1" : "0");
    values.put("force", request.forceRestart() ? "1" : "0");
    values.put("keep", request.keep() == null ? "" : request.keep().value());
    values.put("owner", request.ownership().owner());
    values.put("adopt", request.ownership().adoptFrom());
    return values;
  }

  @Override
  public boolean stop(VmName vm, String owner) throws IOException {
    CommandResult result = run("stop", unitVariables(vm, owner), null, UNIT_JOB);
    requireSuccess(result, "stopping " + vm.value());
    return !result.stdout().contains("owned-by ");
  }

  @Override
  public boolean remove(VmName vm, String owner) throws IOException {
    CommandResult result = run("remove", unitVariables(vm, owner), null, UNIT_JOB);
    requireSuccess(result, "removing " + vm.value());
    return !result.stdout().contains("owned-by ") && !result.stdout().contains("declared-by-host");
  }

  private Map<String, String> unitVariables(VmName vm, String owner) {
    Map<String, String> values = new LinkedHashMap<>();
    values.put("d", stateDir.resolve(vm.value()));
    values.put("n", vm.value());
    values.put("unit", vm.unit());
    values.put("owner", owner);
    values.put("adopt", "");
    return values;
  }

  private CommandResult run(
      String script, Map<String, String> variables, byte[] stdin, Duration deadline)
      throws IOException {
    return host.run(HostScripts.command(script, variables), stdin, deadline);
  }

  private static BuildJob readJob(CommandResult result) throws IOException {
    if (!result.succeeded()) {
      throw new IOException("cannot read build state: " + result.stderr());
    }
    return BuildJobParser.parse(result.stdout());
  }

  private String jobDir(VmName vm, BuildRequest request) {
    return stateDir.resolve(vm.value()) + "/.operator/build-" + shortHash(request.identity());
  }

  private static String waitSeconds(Duration maxWait) {
    return String.valueOf(Math.max(1, maxWait.toSeconds()));
  }

  private static void requireSuccess(CommandResult result, String what) throws IOException {
    if (!result.succeeded()) {
      throw new NixCommandException(what + " failed", tail(result.stderr(), 20));
    }
  }

  static String tail(String text, int lines) {
    String[] all = text.strip().split("\n");
    int from = Math.max(0, all.length - lines);
    return String.join("\n", java.util.Arrays.copyOfRange(all, from, all.length));
  }

  private static String shortHash(String text) {
    try {
      byte[] hash =
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(hash, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String decodeBase64(String text) {
    return new String(Base64.getDecoder().decode(text), StandardCharsets.UTF_8);
  }
}
