package io.microvmoperator.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Base64;
import org.junit.jupiter.api.Test;

class ProbeParserTest {

  private static final String RUNNER = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-microvm-web";

  @Test
  void readsEveryVmLineAndSkipsWhatNoMicroVMCouldBe() {
    String flake = Base64.getEncoder().encodeToString("git+https://x/y?ref=main".getBytes());
    String output =
        "nix\tnix (Nix) 2.8.0\n"
            + "vm\tweb\t"
            + RUNNER
            + "\t"
            + RUNNER
            + "\t0\t"
            + flake
            + "\tActiveState=active SubState=running MainPID=42 NRestarts=3 Result=success Job= \t"
            + "team-a/web 0c6a-uid\n"
            + "vm\tlegacy\t\t\t1\t\tActiveState=inactive SubState=dead MainPID=0 \t\n"
            + "vm\tbetween\t\t\t0\t\tActiveState=inactive SubState=dead NRestarts=2 Job=117 \t\n"
            + "vm\tbad name;\t\t\t0\t\t\t\n"
            + "garbage line\n";

    HostProbe probe = ProbeParser.parse(output, new PresentedKey("ssh-ed25519 AAAA", "SHA256:x"));

    assertThat(probe.nixVersion()).isEqualTo("2.8.0");
    assertThat(probe.vms()).containsOnlyKeys("web", "legacy", "between");
    VmObservation web = probe.vm("web").orElseThrow();
    assertThat(web.current()).isEqualTo(RUNNER);
    assertThat(web.flake()).isEqualTo("git+https://x/y?ref=main");
    assertThat(web.active()).isTrue();
    assertThat(web.mainPid()).isEqualTo(42);
    assertThat(web.restarts()).isEqualTo(3);
    assertThat(web.result()).isEqualTo("success");
    assertThat(web.owner()).isEqualTo("team-a/web 0c6a-uid");
    assertThat(web.jobQueued()).isFalse();
    assertThat(probe.vm("between").orElseThrow().jobQueued()).isTrue();
    assertThat(probe.vm("between").orElseThrow().startQueued()).isTrue();
    assertThat(probe.vm("legacy").orElseThrow().owner()).isEmpty();
    assertThat(probe.vm("legacy").orElseThrow().restarts())
        .as("systemd before 235 has no NRestarts")
        .isZero();
    assertThat(probe.vm("legacy").orElseThrow().declaredByHost()).isTrue();
    assertThat(probe.vm("legacy").orElseThrow().active()).isFalse();
  }

  @Test
  void equalProbesAreEqualSoNothingTriggers() {
    String output = "nix\tnix (Nix) 2.8.0\nvm\tweb\t\t\t0\t\tActiveState=inactive\t\n";
    assertThat(ProbeParser.parse(output, new PresentedKey("k", "f")))
        .isEqualTo(ProbeParser.parse(output, new PresentedKey("k", "f")));
  }
}
