package io.microvmoperator.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The one quoting function, checked against a real POSIX shell. */
class ShellTest {

  @Test
  void quotedWordsComeBackByteForByteFromARealShell() throws Exception {
    Random random = new Random(42);
    for (int i = 0; i < 200; i++) {
      byte[] bytes = new byte[random.nextInt(40)];
      random.nextBytes(bytes);
      String value = new String(bytes, StandardCharsets.UTF_8).replace("\0", "");
      assertThat(echo(value)).isEqualTo(value);
    }
    for (String hostile : new String[] {"'", "''", "\\'", "$(id)", "`id`", "\n;rm -rf /", "-n"}) {
      assertThat(echo(hostile)).isEqualTo(hostile);
    }
  }

  @Test
  void refusesNul() {
    assertThatThrownBy(() -> Shell.quote("a\0b")).isInstanceOf(IllegalArgumentException.class);
  }

  private static String echo(String value) throws Exception {
    Process sh = new ProcessBuilder("/bin/sh", "-c", "printf %s " + Shell.quote(value)).start();
    String out = new String(sh.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(sh.waitFor()).isZero();
    return out;
  }
}
