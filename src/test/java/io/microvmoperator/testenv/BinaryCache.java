package io.microvmoperator.testenv;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A signed Nix binary cache served over HTTP on 127.0.0.1. Runners are built in a builder store of
 * its own (a {@link NixNamespace}, no sshd), signed with the cache's key and copied into the cache
 * folder. Hosts substitute from {@link #url()} when they trust {@link #publicKey()}; {@link
 * #untrustedPublicKey()} is a valid key of another pair, for refusal tests.
 *
 * <p>Folder layout: {@code builder/} (its store), {@code keys/}, {@code cache/} (what is served).
 */
public final class BinaryCache implements AutoCloseable {

  private static final Pattern OUT_PATH = Pattern.compile("\"out\":\"(/nix/store/[^\"]+)\"");

  private final Path dir;
  private final NixNamespace builder;
  private final Path cacheDir;
  private final Path secretKey;
  private final String publicKey;
  private final String untrustedPublicKey;
  private final HttpServer server;
  private final AtomicInteger requests = new AtomicInteger();

  private BinaryCache(Path dir, String keyName) throws IOException {
    this.dir = dir;
    this.builder = NixNamespace.create(dir.resolve("builder"));
    this.cacheDir = Files.createDirectories(dir.resolve("cache"));
    Path keys = Files.createDirectories(dir.resolve("keys"));
    this.secretKey = keys.resolve("cache.sec");
    this.publicKey = generateKey(keyName, secretKey, keys.resolve("cache.pub"));
    this.untrustedPublicKey =
        generateKey(keyName, keys.resolve("untrusted.sec"), keys.resolve("untrusted.pub"));
    this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", this::serve);
    server.start();
  }

  /** Creates the cache in {@code dir} with a key named {@code testenv-cache-1}. */
  public static BinaryCache start(Path dir) {
    return start(dir, "testenv-cache-1");
  }

  public static BinaryCache start(Path dir, String keyName) {
    try {
      return new BinaryCache(dir, keyName);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Builds {@code flake}'s runner for {@code vmName}, signs it, adds it to the cache. */
  public String publish(TestFlake flake, String vmName) {
    return publish(flake.installable(vmName));
  }

  /** Builds {@code installable} in the builder store, signs it, adds it; returns the out path. */
  public String publish(String installable) {
    String json =
        builderExec("nix", "build", "--json", "--no-link", installable)
            .orThrow("nix build " + installable)
            .stdout();
    Matcher matcher = OUT_PATH.matcher(json);
    if (!matcher.find()) {
      throw new IllegalStateException("no out path in: " + json);
    }
    String storePath = matcher.group(1);
    builderExec("nix", "store", "sign", "--key-file", secretKey.toString(), "-r", storePath)
        .orThrow("nix store sign");
    builderExec("nix", "copy", "--to", "file://" + cacheDir, storePath).orThrow("nix copy");
    return storePath;
  }

  /** {@code http://127.0.0.1:PORT}, a substituter URL. */
  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** The trusted key, {@code NAME:BASE64}, for {@code trusted-public-keys}. */
  public String publicKey() {
    return publicKey;
  }

  /** A key of the same name from another pair: the cache's signatures do not match it. */
  public String untrustedPublicKey() {
    return untrustedPublicKey;
  }

  public Path cacheDir() {
    return cacheDir;
  }

  /** How many HTTP requests the cache has answered. */
  public int requestCount() {
    return requests.get();
  }

  @Override
  public void close() {
    server.stop(0);
    TestHosts.deleteRecursively(dir);
  }

  private String generateKey(String name, Path secret, Path pub) throws IOException {
    builderExec("nix-store", "--generate-binary-cache-key", name, secret.toString(), pub.toString())
        .orThrow("nix-store --generate-binary-cache-key");
    return Files.readString(pub).trim();
  }

  private ExecResult builderExec(String... argv) {
    return builder.exec(Commands.DEFAULT_TIMEOUT, List.of(argv));
  }

  private void serve(HttpExchange exchange) throws IOException {
    requests.incrementAndGet();
    try (exchange) {
      Path file = cacheDir.resolve(exchange.getRequestURI().getPath().substring(1)).normalize();
      boolean get = exchange.getRequestMethod().equals("GET");
      if (!file.startsWith(cacheDir) || !Files.isRegularFile(file)) {
        exchange.sendResponseHeaders(404, -1);
        return;
      }
      String name = file.getFileName().toString();
      exchange
          .getResponseHeaders()
          .set(
              "Content-Type",
              name.endsWith(".narinfo") ? "text/x-nix-narinfo" : "application/octet-stream");
      exchange.sendResponseHeaders(200, get ? Files.size(file) : -1);
      if (get) {
        try (OutputStream body = exchange.getResponseBody()) {
          Files.copy(file, body);
        }
      }
    }
  }
}
