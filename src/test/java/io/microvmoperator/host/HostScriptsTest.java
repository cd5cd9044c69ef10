package io.microvmoperator.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host scripts as the operator sends them ({@link HostScripts#command}), run under dash against
 * a temporary state folder, with small stand-ins for {@code systemctl}, {@code nix-store} and
 * {@code nix} (src/test/resources/hostscripts): a change to a script is caught here in seconds.
 */
class HostScriptsTest {

  private static final String OWNER = "team-a/web uid-1";

  @TempDir Path tmp;
  private Path state;
  private Path units;
  private Path gcRoots;
  private Path v1;
  private Path v2;

  @BeforeEach
  void layOut() throws IOException {
    Path bin = Files.createDirectories(tmp.resolve("bin"));
    for (String tool : List.of("systemctl", "nix-store", "nix")) {
      try (InputStream in = getClass().getResourceAsStream("/hostscripts/" + tool)) {
        Files.write(bin.resolve(tool), in.readAllBytes());
      }
      Files.setPosixFilePermissions(
          bin.resolve(tool), PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    state = Files.createDirectories(tmp.resolve("microvms"));
    units = Files.createDirectories(tmp.resolve("units"));
    gcRoots = tmp.resolve("gcroots");
    Files.createDirectories(tmp.resolve("unit-state"));
    v1 = runner("aaa-microvm-web-v1");
    v2 = runner("bbb-microvm-web-v2");
  }

  @Test
  void aFirstConvergeLaysOutTheFolderAsMicroVmNixDoesAndStartsTheUnit() throws Exception {
    Result result = converge(v1, "github:o/r", "running", Map.of());

    assertThat(result.exit()).as(result.stderr()).isZero();
    assertThat(result.lines()).contains("swapped", "started");
    Path vm = state.resolve("web");
    assertThat(Files.readSymbolicLink(vm.resolve("current"))).isEqualTo(v1);
    assertThat(Files.readString(vm.resolve("flake"))).isEqualTo("github:o/r");
    assertThat(Files.readString(vm.resolve(".operator/owner"))).isEqualTo(OWNER);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(vm)))
        .isEqualTo("rwxrwxr-x");
    assertThat(Files.readSymbolicLink(gcRoots.resolve("web"))).isEqualTo(vm.resolve("current"));
    assertThat(Files.readSymbolicLink(gcRoots.resolve("booted-web")))
        .isEqualTo(vm.resolve("booted"));
    assertThat(unitState()).isEqualTo("active running");
    assertThat(result.lines().get(result.lines().size() - 1))
        .startsWith("vm\tweb\t" + v1 + "\t")
        .contains("ActiveState=active");
  }

  @Test
  void aHostThatMatchesIsLeftAloneAndANewRunnerIsSwappedKeepingTheOldOne() throws Exception {
    converge(v1, "github:o/r", "running", Map.of());
    Files.writeString(tmp.resolve("unit-state/calls"), "");

    Result same = converge(v1, "github:o/r", "running", Map.of());
    assertThat(same.lines()).doesNotContain("swapped", "started", "restarted");
    assertThat(Files.readAllLines(tmp.resolve("unit-state/calls")))
        .as("systemctl only read")
        .allMatch(call -> call.startsWith("show "));

    Result update = converge(v2, "github:o/r", "running", Map.of("onchange", "1"));
    assertThat(update.lines()).contains("swapped", "restarted");
    assertThat(Files.readSymbolicLink(state.resolve("web/current"))).isEqualTo(v2);
    assertThat(Files.readSymbolicLink(state.resolve("web/old"))).isEqualTo(v1);
  }

  @Test
  void aRunnerGoneFromTheStoreOrNotARunnerChangesNothing() throws Exception {
    converge(v1, "github:o/r", "running", Map.of());

    Result gone = converge(tmp.resolve("store/ccc-gone"), "github:o/r", "running", Map.of());
    assertThat(gone.exit()).isEqualTo(HostScripts.EXIT_RUNNER_GONE);

    Path notARunner = Files.createDirectories(tmp.resolve("store/ddd-plain"));
    Result plain = converge(notARunner, "github:o/r", "running", Map.of());
    assertThat(plain.lines()).contains("not-a-runner");
    assertThat(Files.readSymbolicLink(state.resolve("web/current"))).isEqualTo(v1);
  }

  @Test
  void aFolderOfAnotherMicroVmOrDeclaredByTheHostIsNotTouched() throws Exception {
    converge(v1, "github:o/r", "running", Map.of("owner", "team-b/web uid-9"));

    Result foreign = converge(v2, "github:o/r", "running", Map.of());
    assertThat(foreign.lines()).containsExactly("owned-by team-b/web uid-9");
    assertThat(Files.readSymbolicLink(state.resolve("web/current"))).isEqualTo(v1);

    Files.writeString(units.resolve("install-microvm-db.service"), "");
    Result declared = converge(v2, "", "running", Map.of("d", dir("db"), "n", "db"));
    assertThat(declared.lines()).containsExactly("declared-by-host");
    assertThat(state.resolve("db/current")).doesNotExist();
    Result removed = run("remove", unitVariables("db"), "");
    assertThat(removed.lines()).containsExactly("declared-by-host");
    assertThat(state.resolve("db")).exists();
  }

  @Test
  void theProbeReadsEveryFolderAndRemoveLeavesNothing() throws Exception {
    converge(v1, "github:o/r", "running", Map.of());
    converge(v2, "", "stopped", Map.of("d", dir("db"), "n", "db", "unit", "microvm@db.service"));

    Files.writeString(tmp.resolve("unit-state/calls"), "");
    Result probe = run("probe", Map.of("d", state.toString()), "");
    assertThat(probe.lines()).hasSize(3);
    assertThat(probe.lines().get(0)).isEqualTo("nix\tnix (Nix) 2.18.1");
    assertThat(probe.lines().get(1))
        .startsWith("vm\tdb\t" + v2)
        .contains(
            "\tActiveState=inactive SubState=dead NRestarts=0 MainPID=0 Result=success Job= \t");
    assertThat(probe.lines().get(2))
        .startsWith("vm\tweb\t" + v1)
        .contains(
            "\tActiveState=active SubState=running NRestarts=0 MainPID=0 Result=success Job= \t");
    assertThat(Files.readAllLines(tmp.resolve("unit-state/calls")))
        .as("one systemctl for every VM's unit")
        .containsExactly(
            "show -p Id,ActiveState,SubState,MainPID,NRestarts,Result,Job microvm@db.service"
                + " microvm@web.service");

    Result removed = run("remove", unitVariables("web"), "");
    assertThat(removed.exit()).as(removed.stderr()).isZero();
    assertThat(state.resolve("web")).doesNotExist();
    assertThat(gcRoots.resolve("web")).doesNotExist();
    assertThat(unitState()).isEqualTo("inactive dead");
  }

  @Test
  void aBatchBuildsItsMembersOnceAndRootsEachRunnerUntilItsJobIsForgotten() throws Exception {
    Path web = runner("web");
    Path db = runner("db");
    Path batch = state.resolve(".operator/batch-0123456789ab");

    Result started = startBatch(batch, "web", "db");

    assertThat(started.exit()).as(started.stderr()).isZero();
    assertThat(started.lines())
        .startsWith("joined " + job("web"), "joined " + job("db"), "started", "status 0");
    assertThat(Files.readSymbolicLink(Path.of(job("web"), "result"))).isEqualTo(web);
    assertThat(Files.readSymbolicLink(Path.of(job("db"), "result"))).isEqualTo(db);
    assertThat(Files.readSymbolicLink(batch.resolve("root"))).isEqualTo(web);
    assertThat(Files.readSymbolicLink(batch.resolve("root-2"))).isEqualTo(db);
    assertThat(Files.readString(Path.of(job("db"), "out.json"))).contains("\"out\":\"" + db + "\"");
    Result again = startBatch(state.resolve(".operator/batch-0123456789ac"), "web", "db");
    assertThat(again.lines()).as("finished jobs are not started again").startsWith("status 0");
    assertThat(state.resolve(".operator/batch-0123456789ac")).doesNotExist();
    assertThat(startBatch(batch, "web").exit()).as("a batch's folder is never reused").isOne();

    run("discard-build", Map.of("job", job("web")), "");
    assertThat(batch.resolve("root")).doesNotExist();
    assertThat(batch.resolve("root-2")).exists();
    run("discard-build", Map.of("job", job("db")), "");
    assertThat(batch).as("the batch goes with its last root").doesNotExist();
  }

  @Test
  void aBatchWithABadMemberBuildsEachOnItsOwnAndOnlyTheBadOneFails() throws Exception {
    Path web = runner("web");
    Path batch = state.resolve(".operator/batch-ba0ba0ba0ba0");

    Result started = startBatch(batch, "bad", "web");

    assertThat(started.lines()).contains("started").anyMatch(l -> l.startsWith("status 1"));
    assertThat(started.stdout()).contains("evaluation of bad broke");
    assertThat(Files.readString(Path.of(job("web"), "status")).strip()).isEqualTo("0");
    assertThat(Files.readSymbolicLink(Path.of(job("web"), "result"))).isEqualTo(web);
    assertThat(Files.readString(Path.of(job("web"), "log"))).doesNotContain("bad");
    assertThat(batch).as("no root was made in the batch").doesNotExist();
  }

  /** Starts a batch of the targets' runners from one flake; the first target is the caller's. */
  private Result startBatch(Path batch, String... targets) throws Exception {
    StringBuilder members = new StringBuilder();
    for (String target : targets) {
      members.append(
          String.join(
                  "\t",
                  job(target),
                  dir(target),
                  target,
                  "path:/f?narHash=x#nixosConfigurations."
                      + target
                      + ".config.microvm.declaredRunner")
              + "\n");
    }
    Map<String, String> values = new LinkedHashMap<>();
    values.put("batch", batch.toString());
    values.put("job", job(targets[0]));
    values.put("flake", "path:/f?narHash=x");
    values.put("subs", "");
    values.put("keys", "");
    values.put("wait", "10");
    values.put("collected", "never matches");
    values.put("build_job", HostScripts.source("build-job"));
    values.put("build_batch", HostScripts.source("build-batch"));
    // as sent over SSH, whose input may end without its last newline
    return run("start-batch", values, members.toString().strip());
  }

  private String job(String vm) {
    return dir(vm) + "/.operator/build-" + vm;
  }

  private Path runner(String name) throws IOException {
    Path runner = Files.createDirectories(tmp.resolve("store").resolve(name).resolve("bin"));
    Path run = Files.writeString(runner.resolve("microvm-run"), "#!/bin/sh\n");
    Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwxr-xr-x"));
    return runner.getParent();
  }

  private String dir(String vm) {
    return state.resolve(vm).toString();
  }

  private String unitState() throws IOException {
    return Files.readString(tmp.resolve("unit-state/microvm@web.service")).strip();
  }

  private Map<String, String> unitVariables(String vm) {
    return Map.of("d", dir(vm), "n", vm, "unit", "microvm@" + vm + ".service", "owner", OWNER);
  }

  private Result converge(Path runner, String flake, String want, Map<String, String> overrides)
      throws Exception {
    Map<String, String> values = new LinkedHashMap<>();
    values.put("d", dir("web"));
    values.put("n", "web");
    values.put("unit", "microvm@web.service");
    values.put("new", runner.toString());
    values.put("want", want);
    values.put("onchange", "0");
    values.put("force", "0");
    values.put("keep", "");
    values.put("owner", OWNER);
    values.put("adopt", "");
    values.putAll(overrides);
    return run("converge", values, flake);
  }

  private Result run(String script, Map<String, String> variables, String stdin) throws Exception {
    Map<String, String> all = new LinkedHashMap<>(variables);
    all.putIfAbsent("adopt", "");
    ProcessBuilder dash = new ProcessBuilder("dash", "-c", HostScripts.command(script, all));
    dash.environment().put("PATH", tmp.resolve("bin") + ":/usr/bin:/bin");
    dash.environment().put("gc_roots", gcRoots.toString());
    dash.environment().put("units_dir", units.toString());
    dash.environment().put("UNITS_STATE", tmp.resolve("unit-state").toString());
    dash.environment().put("STORE", tmp.resolve("store").toString());
    // From a file: a script that ends before it reads its input (a foreign folder) breaks no pipe.
    Path input = Files.writeString(Files.createTempFile(tmp, "stdin", ""), stdin);
    dash.redirectInput(input.toFile());
    Process process = dash.start();
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).as(script + " ends").isTrue();
    return new Result(
        process.exitValue(),
        new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
        new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
  }

  private record Result(int exit, String stdout, String stderr) {
    List<String> lines() {
      return stdout.lines().toList();
    }
  }
}
