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
 * The operations the operator performs on a MicroVM.nix host, each one remote command. Values reach
 * the remote shell only as validated types put into shell variables by {@link Shell#quote}; the
 * flakeref written to {@code flake} travels on stdin.
 *
 * <p>Layout per VM, as MicroVM.nix has it: {@code STATE/NAME/current}, {@code booted}, {@code
 * flake}, {@code old}; the operator's own files live in {@code STATE/NAME/.operator/} (the lock and
 * the detached build jobs).
 */
public final class HostProtocol {

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

  /**
   * Defines {@code observe FOLDER}: prints one probe line for a VM folder (links, toplevel, flake
   * file, unit state), tab-separated, as {@link ProbeParser} reads it.
   */
  private static final String OBSERVE =
      """
      observe() {
        v=$1; n=${v##*/}
        cur=$(readlink "$v/current" 2>/dev/null || true)
        boot=$(readlink "$v/booted" 2>/dev/null || true)
        top=0
        if { [ -e "$v/toplevel" ] || [ -L "$v/toplevel" ]; } && [ ! -e "$v/.operator/toplevel" ]; then top=1; fi
        if [ -e "/etc/systemd/system/install-microvm-$n.service" ]; then top=1; fi
        fl=$(base64 -w 0 < "$v/flake" 2>/dev/null || true)
        own=$(head -c 400 "$v/.operator/owner" 2>/dev/null | tr -d '\\t\\n' || true)
        st=$(systemctl show -p ActiveState,SubState,MainPID,NRestarts,Result "microvm@$n.service" 2>/dev/null \\
          | tr '\\n' ' ')
        printf 'vm\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\n' "$n" "$cur" "$boot" "$top" "$fl" "$st" "$own"
      }
      """;

  /**
   * Defines {@code declared}: whether the host's own configuration declares VM {@code $n} in {@code
   * $d}: MicroVM.nix's {@code install-microvm-NAME.service} exists, or a {@code toplevel} link that
   * this operator did not write (it writes one for prebuilt runners, and marks it in {@code
   * .operator/toplevel}).
   */
  private static final String DECLARED =
      """
      declared() {
        [ -e "/etc/systemd/system/install-microvm-$n.service" ] && return 0
        { [ -e "$d/toplevel" ] || [ -L "$d/toplevel" ]; } && [ ! -e "$d/.operator/toplevel" ]
      }
      """;

  /**
   * Defines {@code foreign}: whether the folder's owner marker ({@code .operator/owner},
   * "NAMESPACE/ NAME UID" of the MicroVM that manages it) names another MicroVM than {@code
   * $owner}; prints that owner. A folder without a marker (made by hand, or by an operator before
   * markers) is nobody's.
   */
  private static final String FOREIGN =
      """
      foreign() {
        [ -e "$d/.operator/owner" ] || return 1
        marked=$(head -c 400 "$d/.operator/owner")
        [ "$marked" != "$owner" ] && [ "$marked" != "$adopt" ] || return 1
        echo "owned-by $marked"
      }
      """;

  /** What the converge prints when the runner has no executable {@code bin/microvm-run}. */
  public static final String NOT_A_RUNNER = "not-a-runner";

  /** What the converge says when the runner to deploy is no longer in the host's store. */
  public static final String RUNNER_GONE = "the runner is not in the host's store any more";

  /**
   * Defines {@code stop_unit}: stops {@code $unit} when it runs or waits to be run again ({@code
   * Restart=always} after its runner ended), and then prints {@code stopped}.
   */
  private static final String STOP_UNIT =
      """
      stop_unit() {
        case "$(systemctl is-active "$unit" 2>/dev/null)" in
          active | activating | reloading | deactivating) systemctl stop "$unit"; echo stopped ;;
        esac
        case "$(systemctl is-active "$unit" 2>/dev/null)" in
          active | activating | reloading | deactivating)
            echo "$unit is still $(systemctl is-active "$unit" 2>/dev/null) after systemctl stop" >&2
            return 1 ;;
        esac
      }
      """;

  /**
   * Defines {@code vm_folder}: makes {@code $d} as MicroVM.nix's own tools leave a VM folder, group
   * {@code kvm} and group-writable, so that its units (which run as {@code microvm:kvm}) can create
   * {@code booted}, sockets and images there; corrects a folder an older operator made {@code
   * root:root 0755}.
   */
  private static final String VM_FOLDER =
      """
      vm_folder() {
        mkdir -p "$d" || return 1
        if [ "$(stat -c %G "$d")" != kvm ] && getent group kvm > /dev/null 2>&1; then
          chgrp kvm "$d" || return 1
        fi
        [ "$(stat -c %a "$d")" = 775 ] || chmod 0775 "$d"
      }
      """;

  /** Defines {@code alive}: whether the build job's process lives. */
  private static final String JOB_ALIVE =
      """
      alive() { [ -e "$job/pid" ] && kill -0 "$(cat "$job/pid")" 2>/dev/null; }
      """;

  /** Waits up to $wait seconds while the build job's process lives. */
  private static final String WAIT_FOR_JOB =
      """
      if [ ! -e "$job/status" ] && alive; then
        timeout "$wait" tail --pid="$(cat "$job/pid")" -s 0.02 -f /dev/null || true
      fi
      """;

  /**
   * Prints a build job's state: its status, out.json, info.json and log tail; or running; or
   * missing.
   */
  private static final String READ_JOB =
      """
      if [ -e "$job/status" ]; then
        printf 'status %s\\n' "$(cat "$job/status")"
        tr -d '\\n' < "$job/out.json"; echo
        tr -d '\\n' < "$job/info.json" 2>/dev/null; echo
        tail -n 30 "$job/log"
      elif alive; then
        echo running
      else
        echo missing
      fi
      """;

  private final CommandRunner host;
  private final AbsolutePath stateDir;

  public HostProtocol(CommandRunner host, AbsolutePath stateDir) {
    this.host = host;
    this.stateDir = stateDir;
  }

  /** Reads every VM on the host in one command: links, flake file and unit state. */
  public HostProbe probe(PresentedKey hostKey) throws IOException {
    String script =
        vars(Map.of("d", stateDir.value()))
            + OBSERVE
            + """
            printf 'nix\\t%s\\n' "$(nix --version 2>/dev/null | head -n 1)"
            [ -d "$d" ] || exit 0
            for v in "$d"/*/; do observe "${v%/}"; done
            """;
    CommandResult result = host.run(script, null, SHORT);
    if (!result.succeeded()) {
      throw new IOException("probe failed (exit " + result.exitStatus() + "): " + result.stderr());
    }
    return ProbeParser.parse(result.stdout(), hostKey);
  }

  /**
   * Locks the flake's inputs: {@code nix flake metadata --refresh} gives the locked reference (a
   * branch becomes a revision), so a build is needed only when it moved.
   */
  public FlakeRef lockFlake(FlakeRef flake) throws IOException {
    String script =
        vars(Map.of("ref", flake.value())) + "nix flake metadata --json --refresh \"$ref\"\n";
    CommandResult result = host.run(script, null, NIX_METADATA);
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
   * Starts realising {@code request} on the host (building a flake's runner, or fetching a prebuilt
   * one) unless its job already runs or finished, then waits up to {@code maxWait} for the job to
   * end, and reads its state. The job runs detached from this session: it writes its log, result
   * link (a GC root), the result's signatures and its exit status into {@code
   * NAME/.operator/build-ID/}, so a restarted operator never builds twice, and a job that outlasts
   * {@code maxWait} goes on (see {@link #waitForBuild}). Waiting here rather than polling means
   * that a job is seen to end the moment it ends, in the same round trip that started it.
   *
   * <p>Starting is done under the job's own lock, so that two operators (a split brain) never both
   * start it: the second finds it running and waits for it.
   *
   * <p>A garbage collection on the host can delete a flake's source between Nix fetching and
   * reading it (Nix checks that the path is valid without holding it); such a build fails with
   * "path ... is not valid" or "getting status of '/nix/store/...': No such file or directory"
   * ({@link #COLLECTED_WHILE_READ}) and is tried again, up to three times in all.
   */
  public BuildJob awaitBuild(VmName vm, BuildRequest request, Duration maxWait) throws IOException {
    Map<String, String> values = new LinkedHashMap<>();
    values.put("d", stateDir.resolve(vm.value()));
    values.put("job", jobDir(vm, request));
    values.put("installable", request.installable());
    values.put("subs", request.substitutersOption());
    values.put("keys", request.trustedKeysOption());
    values.put("wait", String.valueOf(Math.max(1, maxWait.toSeconds())));
    values.put("collected", COLLECTED_WHILE_READ);
    String script =
        vars(values)
            + JOB_ALIVE
            + VM_FOLDER
            + """
            vm_folder || exit 1
            mkdir -p "$job"
            exec 8> "$job/start.lock"
            flock -w 60 8 || { echo "another operator holds $job/start.lock" >&2; exit 1; }
            if [ ! -e "$job/status" ] && ! alive; then
              rm -f "$job/log" "$job/out.json" "$job/info.json"
              setsid sh -c 'for try in 1 2 3; do
                  nix build -L --json --out-link "$1/result" \\
                    --option extra-substituters "$3" --option extra-trusted-public-keys "$4" \\
                    "$2" > "$1/out.json" 2> "$1/log"
                  code=$?
                  [ $code != 0 ] && grep -qE "$5" "$1/log" || break
                done
                if [ $code = 0 ]; then nix path-info --json "$1/result" > "$1/info.json" 2>> "$1/log"; fi
                echo $code > "$1/status.tmp" && mv "$1/status.tmp" "$1/status"' \\
                sh "$job" "$installable" "$subs" "$keys" "$collected" < /dev/null > /dev/null 2>&1 8>&- &
              echo $! > "$job/pid.tmp" && mv -f "$job/pid.tmp" "$job/pid"
              echo started
            fi
            exec 8>&-
            """
            + WAIT_FOR_JOB
            + READ_JOB;
    CommandResult result = host.run(script, null, maxWait.plus(SHORT));
    if (!result.succeeded()) {
      throw new IOException("cannot build on host: " + result.stderr());
    }
    return BuildJobParser.parse(result.stdout());
  }

  /**
   * Waits up to {@code maxWait} for a job that runs already (started by an earlier {@link
   * #awaitBuild}) to end, and reads its state; starts nothing.
   */
  public BuildJob waitForBuild(VmName vm, BuildRequest request, Duration maxWait)
      throws IOException {
    Map<String, String> values = new LinkedHashMap<>();
    values.put("job", jobDir(vm, request));
    values.put("wait", String.valueOf(Math.max(1, maxWait.toSeconds())));
    String script = vars(values) + JOB_ALIVE + WAIT_FOR_JOB + READ_JOB;
    CommandResult result = host.run(script, null, maxWait.plus(SHORT));
    if (!result.succeeded()) {
      throw new IOException("cannot read build state: " + result.stderr());
    }
    return BuildJobParser.parse(result.stdout());
  }

  /** Reads the state of the job of {@code request}. */
  public BuildJob buildJob(VmName vm, BuildRequest request) throws IOException {
    String script = vars(Map.of("job", jobDir(vm, request))) + JOB_ALIVE + READ_JOB;
    CommandResult result = host.run(script, null, SHORT);
    if (!result.succeeded()) {
      throw new IOException("cannot read build state: " + result.stderr());
    }
    return BuildJobParser.parse(result.stdout());
  }

  /** Forgets a finished job so that it can run again (a retry). */
  public void discardBuild(VmName vm, BuildRequest request) throws IOException {
    String script =
        vars(Map.of("job", jobDir(vm, request)))
            + "if [ -e \"$job/status\" ]; then rm -rf \"$job\"; fi\n";
    host.run(script, null, SHORT);
  }

  /**
   * What changes from {@code from} to {@code to}: the output of {@code nix store diff-closures}
   * (package versions and sizes), both paths being in the host's store.
   */
  public String diffClosures(StorePath from, StorePath to) throws IOException {
    String script =
        vars(Map.of("from", from.value(), "to", to.value()))
            + "nix store diff-closures \"$from\" \"$to\"\n";
    CommandResult result = host.run(script, null, SHORT);
    if (!result.succeeded()) {
      throw new NixCommandException(
          "nix store diff-closures " + from + " " + to + " failed", tail(result.stderr(), 5));
    }
    return result.stdout();
  }

  /**
   * Under the VM's lock: makes MicroVM.nix's GC roots for {@code current}, {@code booted} and
   * {@code old} (so the runner a VM booted stays in the store however many updates it has not been
   * restarted for), points {@code current} at {@code runner} (keeping the previous one as {@code
   * old}; Nix writes both links atomically and registers them as GC roots), writes {@code flake}
   * (removes it when {@code flakeFileContent} is empty: a prebuilt runner has none, and a stale one
   * would let {@code microvm -u} rebuild something else), removes finished builds of other runners
   * (the build of this one stays, so that a reconcile working from an older status finds it done
   * instead of building again), then brings the unit to the wanted state: stopped; started; or
   * restarted when its booted runner differs from {@code current} and {@code restartOnChange}, or
   * when forced. Ends by reading the VM folder as a probe does, so that no second command is needed
   * to see the result.
   *
   * <p>A {@code runner} without an executable {@code bin/microvm-run} is not deployed (nothing is
   * changed; {@link ConvergeResult#notARunner()}). A start or restart that systemd reports as
   * failed does not end the converge: the swap is done and the result says so. The build of {@code
   * keep} (when not null: a runner held back for a restart) is kept with the build of {@code
   * runner}. A prebuilt runner (no flake file) gets a {@code toplevel} link to its system, as
   * MicroVM.nix's declarative VMs have, so that {@code microvm -l} lists it; the operator marks
   * that link as its own.
   */
  public ConvergeResult converge(
      VmName vm,
      StorePath runner,
      String flakeFileContent,
      boolean running,
      boolean restartOnChange,
      boolean forceRestart,
      StorePath keep,
      Ownership ownership)
      throws IOException {
    Map<String, String> values = new LinkedHashMap<>();
    values.put("d", stateDir.resolve(vm.value()));
    values.put("n", vm.value());
    values.put("unit", vm.unit());
    values.put("new", runner.value());
    values.put("want", running ? "running" : "stopped");
    values.put("onchange", restartOnChange ? "1" : "0");
    values.put("RUNNER_GONE", RUNNER_GONE);
    values.put("force", forceRestart ? "1" : "0");
    values.put("keep", keep == null ? "" : keep.value());
    values.put("owner", ownership.owner());
    values.put("adopt", ownership.adoptFrom());
    values.put("NOT_A_RUNNER", NOT_A_RUNNER);
    String script =
        vars(values)
            + OBSERVE
            + STOP_UNIT
            + DECLARED
            + FOREIGN
            + VM_FOLDER
            + """
            set -e
            if foreign; then exit 0; fi
            vm_folder
            mkdir -p "$d/.operator"
            exec 9> "$d/.operator/lock"
            flock -w 60 9
            if declared; then echo declared-by-host; exit 0; fi
            if foreign; then exit 0; fi
            if [ "$(head -c 400 "$d/.operator/owner" 2>/dev/null)" != "$owner" ]; then
              printf '%s' "$owner" > "$d/.operator/owner.tmp" && mv -f "$d/.operator/owner.tmp" "$d/.operator/owner"
            fi
            roots=/nix/var/nix/gcroots/microvm
            mkdir -p "$roots"
            root() { [ "$(readlink "$roots/$1" 2>/dev/null)" = "$d/$2" ] || ln -sfn "$d/$2" "$roots/$1"; }
            root "$n" current; root "booted-$n" booted; root "old-$n" old
            cur=$(readlink "$d/current" 2>/dev/null || true)
            if [ "$cur" != "$new" ]; then
              if ! nix-store --realise "$new" > /dev/null; then
                # Collected before it was deployed: forget the builds of it, so it is built again.
                for job in "$d"/.operator/build-*; do
                  if [ -e "$job/status" ] && [ "$(readlink "$job/result" 2>/dev/null)" = "$new" ]; then
                    rm -rf "$job"
                  fi
                done
                echo "$RUNNER_GONE" >&2; exit 1
              fi
              # MicroVM.nix's units run nothing else (ConditionPathExists=.../current/bin/microvm-run)
              if [ ! -x "$new/bin/microvm-run" ]; then echo "$NOT_A_RUNNER"; exit 0; fi
              if [ -n "$cur" ] && [ -e "$cur" ]; then
                nix-store --realise "$cur" --add-root "$d/old" --indirect > /dev/null
              fi
              nix-store --realise "$new" --add-root "$d/current" --indirect > /dev/null
              echo swapped
            fi
            cat > "$d/.operator/flake.tmp"
            if [ ! -s "$d/.operator/flake.tmp" ]; then
              # A prebuilt runner: no flake (a stale one would let microvm -u rebuild something
              # else) but a toplevel link, so that microvm -l lists it and microvm -u leaves it be.
              rm -f "$d/flake"
              sys=$(readlink "$d/current/share/microvm/system" 2>/dev/null || true)
              case "$sys" in
                /nix/store/*)
                  touch "$d/.operator/toplevel"
                  if [ "$(readlink "$d/toplevel" 2>/dev/null)" != "$sys" ]; then
                    ln -sfn "$sys" "$d/.operator/toplevel.tmp" && mv -fT "$d/.operator/toplevel.tmp" "$d/toplevel"
                  fi ;;
                *) if [ -e "$d/.operator/toplevel" ]; then rm -f "$d/toplevel" "$d/.operator/toplevel"; fi ;;
              esac
            else
              if ! cmp -s "$d/.operator/flake.tmp" "$d/flake"; then mv -f "$d/.operator/flake.tmp" "$d/flake"; fi
              if [ -e "$d/.operator/toplevel" ]; then rm -f "$d/toplevel" "$d/.operator/toplevel"; fi
            fi
            rm -f "$d/.operator/flake.tmp"
            for job in "$d"/.operator/build-*; do
              result=$(readlink "$job/result" 2>/dev/null || true)
              [ -e "$job/status" ] && [ "$result" != "$new" ] && [ "$result" != "$keep" ] && rm -rf "$job"
            done
            unit_state=$(systemctl show -p ActiveState,NRestarts,SubState "$unit" 2>/dev/null || true)
            active=${unit_state#*ActiveState=}; active=${active%%[!a-z-]*}
            sub=${unit_state#*SubState=}; sub=${sub%%[!a-z-]*}
            restarts=0
            case "$unit_state" in *NRestarts=[1-9]*) restarts=1 ;; esac
            booted=$(readlink "$d/booted" 2>/dev/null || true)
            # NRestarts must count the ends of the runner started here only: reset-failed zeroes it.
            zero_restarts() { [ "$restarts" = 0 ] || systemctl reset-failed "$unit" 2>/dev/null || true; }
            if [ "$want" = stopped ]; then
              stop_unit
            elif [ "$active" != active ]; then
              # Waiting to run its ended runner again: a start would join that restart and count it
              if [ "$sub" = auto-restart ]; then systemctl stop "$unit"; fi
              zero_restarts
              echo started
              systemctl start "$unit" || echo start-failed
            elif [ "$force" = 1 ] || { [ "$onchange" = 1 ] && [ "$booted" != "$new" ]; }; then
              zero_restarts
              echo restarted
              systemctl restart "$unit" || echo start-failed
            fi
            observe "$d"
            """;
    CommandResult result =
        host.run(
            script,
            flakeFileContent.getBytes(StandardCharsets.UTF_8),
            UNIT_JOB.multipliedBy(2).plus(SHORT));
    if (!result.succeeded()) {
      throw new NixCommandException(
          "deploying " + runner + " to " + vm.value() + " failed", tail(result.stderr(), 20));
    }
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

  /**
   * Stops the VM's unit, if it runs or waits to run again, unless its folder's owner marker names
   * another MicroVM than {@code owner} (then nothing is done, and false returned).
   */
  public boolean stop(VmName vm, String owner) throws IOException {
    Map<String, String> values = new LinkedHashMap<>();
    values.put("d", stateDir.resolve(vm.value()));
    values.put("unit", vm.unit());
    values.put("owner", owner);
    values.put("adopt", "");
    String script = vars(values) + STOP_UNIT + FOREIGN + "foreign && exit 0\nstop_unit\n";
    CommandResult result = host.run(script, null, UNIT_JOB);
    requireSuccess(result, "stopping " + vm.value());
    return !result.stdout().contains("owned-by ");
  }

  /**
   * Stops the VM and removes its folder and the GC roots MicroVM.nix's tools make for it, unless
   * the folder's owner marker names another MicroVM than {@code owner} or the host declares the VM
   * (then nothing is done, and false returned).
   */
  public boolean remove(VmName vm, String owner) throws IOException {
    Map<String, String> values = new LinkedHashMap<>();
    values.put("d", stateDir.resolve(vm.value()));
    values.put("unit", vm.unit());
    values.put("n", vm.value());
    values.put("owner", owner);
    values.put("adopt", "");
    String script =
        vars(values)
            + STOP_UNIT
            + DECLARED
            + FOREIGN
            + """
            set -e
            if declared; then echo declared-by-host; exit 0; fi
            if foreign; then exit 0; fi
            stop_unit
            rm -f "/nix/var/nix/gcroots/microvm/$n" "/nix/var/nix/gcroots/microvm/booted-$n" \\
              "/nix/var/nix/gcroots/microvm/old-$n"
            rm -rf "$d"
            """;
    CommandResult result = host.run(script, null, UNIT_JOB);
    requireSuccess(result, "removing " + vm.value());
    return !result.stdout().contains("owned-by ") && !result.stdout().contains("declared-by-host");
  }

  private String jobDir(VmName vm, BuildRequest request) {
    return stateDir.resolve(vm.value()) + "/.operator/build-" + shortHash(request.identity());
  }

  /** Shell assignments {@code name='value'} for fixed variable names and quoted values. */
  private static String vars(Map<String, String> values) {
    StringBuilder out = new StringBuilder();
    values.forEach(
        (name, value) -> out.append(name).append('=').append(Shell.quote(value)).append('\n'));
    return out.toString();
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
