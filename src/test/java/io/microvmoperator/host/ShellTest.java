package io.microvmoperator.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.microvmoperator.testenv.HostileInput;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The one quoting function, checked against real POSIX shells (dash is Debian's /bin/sh, bash is
 * NixOS's): whatever the bytes, {@code printf %s QUOTED} prints exactly them.
 */
class ShellTest {

  private static final int CASES = 2000;

  /**
   * Random byte strings, each byte as one char (ISO-8859-1, so every byte value survives the trip
   * through a Java string), biased towards the bytes a shell treats specially.
   */
  @ParameterizedTest
  @ValueSource(strings = {"/bin/dash", "/bin/bash"})
  void randomByteStringsComeBackByteForByte(String shell) throws Exception {
    Random random = new Random(20261125);
    byte[] special = "'\"\\$`!*?[]{}()<>|&;#~= \t\n\r%^".getBytes(StandardCharsets.US_ASCII);
    List<byte[]> values = new ArrayList<>();
    for (int i = 0; i < CASES; i++) {
      byte[] value = new byte[random.nextInt(i % 100 == 0 ? 4096 : 64)];
      for (int j = 0; j < value.length; j++) {
        value[j] =
            random.nextInt(3) == 0 ? special[random.nextInt(special.length)] : randomByte(random);
      }
      values.add(value);
    }

    List<byte[]> echoed = echo(shell, values, StandardCharsets.ISO_8859_1);

    for (int i = 0; i < CASES; i++) {
      assertThat(echoed.get(i)).as("case %d", i).isEqualTo(values.get(i));
    }
  }

  /** Random Unicode text, sent and read back as UTF-8, as the operator sends commands. */
  @ParameterizedTest
  @ValueSource(strings = {"/bin/dash", "/bin/bash"})
  void randomUnicodeStringsComeBackCharacterForCharacter(String shell) throws Exception {
    Random random = new Random(7);
    List<String> values = new ArrayList<>(HostileInput.fragments());
    values.removeIf(v -> v.indexOf('\0') >= 0);
    for (int i = 0; i < CASES; i++) {
      StringBuilder value = new StringBuilder();
      for (int j = random.nextInt(40); j > 0; j--) {
        int codePoint;
        do {
          codePoint = random.nextInt(4) == 0 ? random.nextInt(0x80) : random.nextInt(0x10FFFF) + 1;
        } while (codePoint == 0 || Character.getType(codePoint) == Character.SURROGATE);
        value.appendCodePoint(codePoint);
      }
      values.add(value.toString());
    }
    List<byte[]> encoded = values.stream().map(v -> v.getBytes(StandardCharsets.UTF_8)).toList();

    List<byte[]> echoed = echo(shell, values, StandardCharsets.UTF_8);

    for (int i = 0; i < values.size(); i++) {
      assertThat(echoed.get(i))
          .as("case %d: %s", i, HostileInput.printable(values.get(i)))
          .isEqualTo(encoded.get(i));
    }
  }

  /** NUL ends a C string: no shell word, argument or environment value can hold one. */
  @ParameterizedTest
  @ValueSource(strings = {"\0", "a\0b", "\0$(id)", "trailing\0"})
  void refusesNulBecauseNoShellWordCanCarryIt(String value) {
    assertThatThrownBy(() -> Shell.quote(value))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NUL");
  }

  private static byte randomByte(Random random) {
    byte b;
    do {
      b = (byte) random.nextInt(256);
    } while (b == 0);
    return b;
  }

  /**
   * Runs one shell script (sent on stdin as {@code charset} bytes) that prints every value with
   * {@code printf %s QUOTED} followed by a NUL, which no value can contain, and splits the output.
   */
  private static List<byte[]> echo(String shell, List<?> values, java.nio.charset.Charset charset)
      throws Exception {
    StringBuilder script = new StringBuilder();
    for (Object value : values) {
      String text = value instanceof byte[] bytes ? new String(bytes, charset) : (String) value;
      script.append("printf %s ").append(Shell.quote(text)).append("; printf '\\0'\n");
    }
    Process sh =
        new ProcessBuilder(shell, "-s").redirectError(ProcessBuilder.Redirect.INHERIT).start();
    Thread writer =
        new Thread(
            () -> {
              try (OutputStream in = sh.getOutputStream()) {
                in.write(script.toString().getBytes(charset));
              } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });
    writer.start();
    byte[] out = sh.getInputStream().readAllBytes();
    writer.join();
    assertThat(sh.waitFor()).isZero();
    List<byte[]> parts = new ArrayList<>();
    ByteArrayOutputStream part = new ByteArrayOutputStream();
    for (byte b : out) {
      if (b == 0) {
        parts.add(part.toByteArray());
        part.reset();
      } else {
        part.write(b);
      }
    }
    assertThat(parts).hasSize(values.size());
    return parts;
  }
}
