package io.microvmoperator.testenv;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What the tests' real guests boot from: Debian's cloud kernel, its evdev and button modules and a
 * static busybox, prepared by {@code hack/guest-kit.sh} (run by {@code hack/setup.sh}) in {@code
 * ~/.cache/microvm-operator/guest/current}, or where {@code -Dtestenv.guestKit=DIR} or {@code
 * MICROVM_GUEST_KIT} say. The initramfs is made here, once per JVM, with busybox's cpio: the kit's
 * busybox, {@code testenv/guest/init} from the test resources and the two modules.
 */
public final class GuestKit {

  private static GuestKit instance;

  private final Path dir;
  private final Path initrd;

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
      instance = new GuestKit(dir, makeInitrd(dir));
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

  /** The kernel's Debian package and version, e.g. {@code linux-image-6.1.0-57-cloud-amd64}. */
  public String kernelPackage() {
    try {
      return Files.readString(dir.resolve("kernel-package")).trim().replace("\n", " ");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path makeInitrd(Path kit) {
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
      for (String module : List.of("evdev.ko", "button.ko")) {
        Files.copy(kit.resolve("modules").resolve(module), root.resolve("lib/modules/" + module));
      }
      List<String> entries =
          List.of(
              ".",
              "bin",
              "bin/busybox",
              "bin/sh",
              "init",
              "lib",
              "lib/modules",
              "lib/modules/evdev.ko",
              "lib/modules/button.ko");
      for (String entry : entries) {
        Path path = root.resolve(entry);
        if (!Files.isSymbolicLink(path)) {
          Files.setPosixFilePermissions(
              path,
              PosixFilePermissions.fromString(
                  Files.isDirectory(path) || entry.equals("init") || entry.endsWith("busybox")
                      ? "rwxr-xr-x"
                      : "rw-r--r--"));
          Files.setLastModifiedTime(path, FileTime.fromMillis(0));
        }
      }
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
}
