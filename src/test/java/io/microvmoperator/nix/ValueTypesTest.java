package io.microvmoperator.nix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
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

  @Test
  void aLocalFlakeIsAnAbsolutePathWithoutDotSegments() {
    assertThat(new FlakeRef("path:/srv/flakes/infra").localPath()).contains("/srv/flakes/infra");
    assertThat(new FlakeRef("git+file:///srv/infra?ref=main").localPath()).contains("/srv/infra");
    assertThat(new FlakeRef("PATH:/srv/infra/").localPath()).contains("/srv/infra");
    assertThat(new FlakeRef("git+https://example.org/infra?ref=main").localPath()).isEmpty();
    assertThat(new FlakeRef("path:/srv/x?narHash=sha256-a%2Fb%3D&dir=..").localPath())
        .contains("/srv/x");
    assertThat(new FlakeRef("github:owner/repo/..").localPath()).isEmpty();
    for (String refused :
        List.of(
            "path:../../etc",
            "path:etc",
            "path:/srv/../etc",
            "path:/srv/./x",
            "git+file://host/etc",
            "file:/srv/%2e%2e/etc",
            "Git+File:../x")) {
      assertThatThrownBy(() -> new FlakeRef(refused))
          .as(refused)
          .isInstanceOf(InvalidValueException.class)
          .hasMessageContaining("local flake");
    }
  }
}
