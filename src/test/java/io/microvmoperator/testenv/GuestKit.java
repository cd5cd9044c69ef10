package io.microvmoperator.testenv;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What the tests' real guests boot from: Debian's cloud kernel, its evdev and button modules and a
 * static busybox, prepared by {@code hack/guest-kit.sh} (run by {@code hack/setup.sh}) in {@code
 * ~/.cache/microvm-operator/guest/current}, or where {@code -Dtestenv.guestKit=DIR} or {@code
 * MICROVM_GUEST_KIT} say. The initramfs is made here, once per JVM, with busybox's cpio: the kit's
 * busybox, {@code testenv/guest/init} from the test resources and the two modules; a guest with SSH
 * gets a second, larger one ({@link #sshInitrd()}).
 */
public final class GuestKit {

  private static GuestKit instance;

  /** The kit's layout that this class needs ({@code format} in the kit, from guest-kit.sh). */
  static final String FORMAT = "2";

  private final Path dir;
  private final Path initrd;
  private Path sshInitrd;

  private GuestKit(Path dir, Path initrd) {
    this.dir = dir;
    this.initrd = initrd;
  }

  /** The kit, with its initramfs made on first use; fails when the kit is missing. */
  public static synchronized GuestKit get() {
    if (instance == null) {
      Path dir = location();
      if (!Files.isRegularFile(dir.resolve("complete"))) {
        throw new IllegalStateException(
            "no guest kit in " + dir + ": run hack/setup.sh (or hack/guest-kit.sh)");
      }
      instance = new GuestKit(dir, makeInitrd(dir, false));
    }
    return instance;
  }

  /** The folder of the kit in use. */
  public static Path location() {
    String configured = System.getProperty("testenv.guestKit", System.getenv("MICROVM_GUEST_KIT"));
    if (configured != null && !configured.isBlank()) {
      return Path.of(configured);
    }
    String cache = System.getenv("XDG_CACHE_HOME");
    Path cacheDir =
        cache != null && !cache.isBlank()
            ? Path.of(cache)
            : Path.of(System.getProperty("user.home"), ".cache");
    return cacheDir.resolve("microvm-operator/guest/current");
  }

  public Path kernel() {
    return dir.resolve("vmlinuz");
  }

  /** An uncompressed newc cpio archive: /init, /bin/busybox, /bin/sh, /lib/modules/*.ko. */
  public Path initrd() {
    return initrd;
  }

  /**
   * The initramfs of a guest with SSH ({@code guest_ssh=1}): {@link #initrd()}'s files, the
   * virtio-mmio, virtio-net and virtiofs modules, and the kit's userland (OpenSSH's sshd and Nix
   * with their libraries, about 76 MB). Made on first use.
   */
  public synchronized Path sshInitrd() {
    if (sshInitrd == null) {
      String format = "";
      try {
        format = Files.readString(dir.resolve("format")).trim();
      } catch (IOException e) {
        // an older kit: no format file
      }
      if (!FORMAT.equals(format)) {
        throw new IllegalStateException(
            "the guest kit in "
                + dir
                + " is older than format "
                + FORMAT
                + ": run hack/guest-kit.sh");
      }
      sshInitrd = makeInitrd(dir, true);
    }
    return sshInitrd;
  }

  /** The kernel's Debian package and version, e.g. {@code linux-image-6.1.0-57-cloud-amd64}. */
  public String kernelPackage() {
    try {
      return Files.readString(dir.resolve("kernel-package")).trim().replace("\n", " ");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static final List<String> POWER_BUTTON_MODULES = List.of("evdev.ko", "button.ko");

  /** The virtio-mmio, virtio-net and virtiofs stack, in the order insmod needs them. */
  private static final List<String> SSH_MODULES =
      List.of(
          "virtio_ring.ko",
          "virtio.ko",
          "virtio_mmio.ko",
          "failover.ko",
          "net_failover.ko",
          "virtio_net.ko",
          "fuse.ko",
          "virtiofs.ko");

  private static Path makeInitrd(Path kit, boolean ssh) {
    try {
      Path work = Files.createTempDirectory("microvm-guest-initrd-");
      work.toFile().deleteOnExit();
      Path root = Files.createDirectories(work.resolve("root"));
      Files.createDirectories(root.resolve("bin"));
      Files.createDirectories(root.resolve("lib/modules"));
      Files.copy(kit.resolve("busybox"), root.resolve("bin/busybox"));
      Files.createSymbolicLink(root.resolve("bin/sh"), Path.of("busybox"));
      try (InputStream init = GuestKit.class.getResourceAsStream("/testenv/guest/init")) {
        if (init == null) {
          throw new IllegalStateException("no testenv/guest/init among the test resources");
        }
        Files.copy(init, root.resolve("init"));
      }
      List<String> modules = new ArrayList<>(POWER_BUTTON_MODULES);
      if (ssh) {
        modules.addAll(SSH_MODULES);
        addUserland(kit.resolve("userland"), root);
      }
      for (String module : modules) {
        Files.copy(kit.resolve("modules").resolve(module), root.resolve("lib/modules/" + module));
      }
      List<String> entries = entries(root);
      Path list = work.resolve("entries");
      Files.writeString(list, String.join("\n", entries) + "\n");
      Path archive = work.resolve("initrd");
      // busybox cpio reads the names from stdin and writes the archive to stdout.
      ExecResult packed =
          Commands.run(
              List.of(
                  "/bin/sh",
                  "-c",
                  "cd \"$1\" && \"$2\" cpio -o -H newc <\"$3\" >\"$4\"",
                  "sh",
                  root.toString(),
                  kit.resolve("busybox").toString(),
                  list.toString(),
                  archive.toString()),
              Map.of(),
              Duration.ofMinutes(1));
      packed.orThrow("busybox cpio");
      TestHosts.deleteRecursively(root);
      Files.delete(list);
      archive.toFile().deleteOnExit();
      return archive;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The kit's userland (sshd, nix and their libraries at their own paths under /usr) with /lib and
   * /lib64 as links into /usr, as on this merged-/usr Debian. The guest's /bin and /sbin stay
   * busybox's.
   */
  private static void addUserland(Path userland, Path root) throws IOException {
    if (!Files.isDirectory(userland)) {
      throw new IllegalStateException(
          "the guest kit has no userland/: run hack/guest-kit.sh (kit format " + FORMAT + ")");
    }
    try (Stream<Path> files = Files.walk(userland)) {
      for (Path source : files.sorted().toList()) {
        Path target = root.resolve(userland.relativize(source).toString());
        if (Files.isSymbolicLink(source)) {
          Files.createSymbolicLink(target, Files.readSymbolicLink(source));
        } else if (Files.isDirectory(source)) {
          Files.createDirectories(target);
        } else {
          Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
    Files.createSymbolicLink(root.resolve("lib64"), Path.of("usr/lib64"));
    // /lib holds the modules already: link the libraries' folder into it instead.
    Files.createSymbolicLink(
        root.resolve("lib/x86_64-linux-gnu"), Path.of("../usr/lib/x86_64-linux-gnu"));
  }

  /** Every path under root, parents first, with fixed times and modes (but the userland's). */
  private static List<String> entries(Path root) throws IOException {
    List<String> entries = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path path : files.sorted().toList()) {
        String entry = root.equals(path) ? "." : root.relativize(path).toString();
        entries.add(entry);
        if (!Files.isSymbolicLink(path) && !entry.startsWith("usr")) {
          Files.setPosixFilePermissions(
              path,
              PosixFilePermissions.fromString(
                  Files.isDirectory(path) || entry.equals("init") || entry.endsWith("busybox")
                      ? "rwxr-xr-x"
                      : "rw-r--r--"));
          Files.setLastModifiedTime(path, FileTime.fromMillis(0));
        }
      }
    }
    return entries;
  }
}
