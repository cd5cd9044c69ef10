package io.microvmoperator.testenv;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A folder that stands in for a machine's {@code /nix}, {@code /var/lib/microvms} and {@code
 * /etc/nix}: commands run through {@link #wrap} see it bind-mounted over those paths, in a private
 * mount namespace of their own, so each such folder is a separate Nix store. Layout: {@code nix/},
 * {@code microvms/}, {@code etc-nix/nix.conf}, {@code home/} (bound over {@code /root}), {@code
 * cache/} (XDG_CACHE_HOME) and {@code bin/} (first on PATH).
 */
public final class NixNamespace {

  /**
   * Binds the folders given as $1..$4, then runs the rest of argv. The fourth is root's home: a
   * host's sessions must not run this machine's ~/.bashrc (bash sources it for commands sent over
   * SSH, and a developer's shell set-up there can block concurrent sessions on its own locks).
   */
  private static final String MOUNT_SCRIPT =
      "mount --bind \"$1\" /nix && mount --bind \"$2\" /var/lib/microvms"
          + " && mount --bind \"$3\" /etc/nix && mount --bind \"$4\" /root"
          + " && shift 4 && exec \"$@\"";

  private static final String NIX_CONF =
      """
      experimental-features = nix-command flakes
      build-users-group =
      substituters =
      sandbox = false
      flake-registry = /etc/nix/registry.json
      """;

  private final Path dir;

  private NixNamespace(Path dir) {
    this.dir = dir;
  }

  /** Creates (or reuses) the layout under {@code dir}. */
  public static NixNamespace create(Path dir) {
    try {
      for (String mountPoint : List.of("/nix", "/var/lib/microvms", "/etc/nix")) {
        Files.createDirectories(Path.of(mountPoint));
      }
      for (String sub : List.of("nix", "microvms", "etc-nix", "cache", "bin", "home")) {
        Files.createDirectories(dir.resolve(sub));
      }
      Files.writeString(dir.resolve("etc-nix/nix.conf"), NIX_CONF);
      Files.writeString(dir.resolve("etc-nix/registry.json"), "{\"flakes\": [], \"version\": 2}\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new NixNamespace(dir);
  }

  public Path dir() {
    return dir;
  }

  public Path binDir() {
    return dir.resolve("bin");
  }

  /** The argv that runs {@code argv} inside a fresh mount namespace with this folder's binds. */
  public List<String> wrap(List<String> argv) {
    List<String> wrapped = new ArrayList<>();
    wrapped.addAll(List.of("unshare", "-m", "--propagation", "private", "/bin/sh", "-c"));
    wrapped.add(MOUNT_SCRIPT);
    wrapped.add("sh");
    wrapped.add(dir.resolve("nix").toString());
    wrapped.add(dir.resolve("microvms").toString());
    wrapped.add(dir.resolve("etc-nix").toString());
    wrapped.add(dir.resolve("home").toString());
    wrapped.addAll(argv);
    return wrapped;
  }

  /** What a command inside sees as its environment (besides the inherited one). */
  public Map<String, String> environment() {
    return Map.of(
        "PATH", binDir() + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "XDG_CACHE_HOME", dir.resolve("cache").toString(),
        "TESTHOST_DIR", dir.toString());
  }

  public ExecResult exec(Duration timeout, List<String> argv) {
    return Commands.run(wrap(argv), environment(), timeout);
  }

  /**
   * Maps a path as seen inside ({@code /nix/...}, {@code /var/lib/microvms/...}, {@code
   * /etc/nix/...}) to the real path on this machine.
   */
  public Path realPath(String inside) {
    Path path = Path.of(inside).normalize();
    if (!path.isAbsolute() || !path.toString().equals(inside.replaceAll("/+$", ""))) {
      throw new IllegalArgumentException("not a plain absolute path: " + inside);
    }
    for (var entry :
        Map.of("/nix", "nix", "/var/lib/microvms", "microvms", "/etc/nix", "etc-nix").entrySet()) {
      Path mountPoint = Path.of(entry.getKey());
      if (path.startsWith(mountPoint)) {
        return dir.resolve(entry.getValue()).resolve(mountPoint.relativize(path).toString());
      }
    }
    throw new IllegalArgumentException("not under /nix, /var/lib/microvms or /etc/nix: " + inside);
  }
}
