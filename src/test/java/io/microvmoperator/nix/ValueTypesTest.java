package io.microvmoperator.nix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The operator's own check of every value before it may reach a host. */
class ValueTypesTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "", "a;b", "$(id)", "`id`", "a b", "a\nb", "..", "a/b", "a'b", "-rf", "a.b", "a@b"
      })
  void rejectsHostileVmNames(String name) {
    assertThatThrownBy(() -> new VmName(name)).isInstanceOf(InvalidValueException.class);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"path:/x y", "path:/x\nrm", "path:/x#attr", "-L:x", "/no/scheme", "path:/x\u0000"})
  void rejectsFlakerefsThatCannotBeData(String ref) {
    assertThatThrownBy(() -> new FlakeRef(ref)).isInstanceOf(InvalidValueException.class);
  }

  @Test
  void knowsPinnedFromFollowedReferences() {
    String rev = "0123456789abcdef0123456789abcdef01234567";
    assertThat(new FlakeRef("git+https://x/y?ref=main&rev=" + rev).isPinned()).isTrue();
    assertThat(new FlakeRef("github:o/r/" + rev).isPinned()).isTrue();
    assertThat(new FlakeRef("path:/x?narHash=sha256-abc").isPinned()).isTrue();
    assertThat(new FlakeRef("git+https://x/y?ref=main").isPinned()).isFalse();
    assertThat(new FlakeRef("github:o/r").isPinned()).isFalse();
  }

  @Test
  void buildsTheRunnerInstallable() {
    assertThat(new FlakeRef("github:o/r").runnerInstallable(new NixName("web")))
        .isEqualTo("github:o/r#nixosConfigurations.web.config.microvm.declaredRunner");
  }

  @Test
  void shortensStorePaths() {
    StorePath path = new StorePath("/nix/store/0123456789abcdfghijklmnpqrsvwxyz-microvm-web");
    assertThat(path.shortName()).isEqualTo("0123456-microvm-web");
    assertThat(StorePath.parseOrNull("/etc/passwd")).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"/var/lib/../etc", "/var/./lib", "relative", "/var/lib/ x", "/.hidden"})
  void rejectsPathsThatAreNotPlain(String path) {
    assertThatThrownBy(() -> new AbsolutePath(path)).isInstanceOf(InvalidValueException.class);
  }
}
