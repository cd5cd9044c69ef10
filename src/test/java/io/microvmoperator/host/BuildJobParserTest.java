package io.microvmoperator.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class BuildJobParserTest {

  @Test
  void runningAndMissing() throws IOException {
    assertThat(BuildJobParser.parse("running\n").state()).isEqualTo(BuildJob.State.RUNNING);
    assertThat(BuildJobParser.parse("missing\n").state()).isEqualTo(BuildJob.State.MISSING);
  }

  @Test
  void successGivesTheOutPath() throws IOException {
    BuildJob job =
        BuildJobParser.parse(
            "status 0\n[{\"drvPath\":\"/nix/store/a.drv\",\"outputs\":{\"out\":\"/nix/store/b-x\"}}]\n");
    assertThat(job.state()).isEqualTo(BuildJob.State.SUCCEEDED);
    assertThat(job.outPath()).isEqualTo("/nix/store/b-x");
  }

  @Test
  void aBuildStartedByTheSameCommandSaysSo() throws IOException {
    BuildJob done =
        BuildJobParser.parse(
            "started\nstatus 0\n[{\"drvPath\":\"/nix/store/a.drv\",\"outputs\":{\"out\":\"/nix/store/b-x\"}}]\n");
    assertThat(done.startedNow()).isTrue();
    assertThat(done.outPath()).isEqualTo("/nix/store/b-x");
    assertThat(BuildJobParser.parse("started\nrunning\n").state())
        .isEqualTo(BuildJob.State.RUNNING);
    assertThat(BuildJobParser.parse("running\n").startedNow()).isFalse();
  }

  @Test
  void failuresTellEvaluationFromBuild() throws IOException {
    BuildJob eval = BuildJobParser.parse("status 1\n\n\nerror: deliberate\n");
    BuildJob build =
        BuildJobParser.parse("status 1\n\n\nerror: builder for '/nix/store/x.drv' failed\n");
    assertThat(eval.isEvaluationFailure()).isTrue();
    assertThat(eval.logTail()).contains("deliberate");
    assertThat(build.isEvaluationFailure()).isFalse();
  }

  @Test
  void aFetchedStorePathGivesItsPathAndSigners() throws IOException {
    BuildJob job =
        BuildJobParser.parse(
            "status 0\n[{\"path\":\"/nix/store/b-x\"}]\n"
                + "[{\"path\":\"/nix/store/b-x\",\"signatures\":[\"cache-1:c2ln\",\"cache-1:b3Ro\","
                + "\"other:eHl6\"]}]\n");
    assertThat(job.state()).isEqualTo(BuildJob.State.SUCCEEDED);
    assertThat(job.outPath()).isEqualTo("/nix/store/b-x");
    assertThat(job.signerNames()).containsExactly("cache-1", "other");
  }

  @Test
  void aRefusedSubstituteIsAnUntrustedSignature() throws IOException {
    BuildJob job =
        BuildJobParser.parse(
            "status 1\n\n\nwarning: the substitute for '/nix/store/b-x' from 'http://c' is not"
                + " signed by any of the keys in 'trusted-public-keys'\nerror: path '/nix/store/b-x'"
                + " is required, but there is no substituter that can build it\n");
    assertThat(job.isUntrustedSignature()).isTrue();
    assertThat(
            BuildJobParser.parse("status 1\n\n\nerror: unable to download\n")
                .isUntrustedSignature())
        .isFalse();
  }

  @Test
  void strangeAnswersAreErrors() {
    assertThatThrownBy(() -> BuildJobParser.parse("what?\n")).isInstanceOf(IOException.class);
  }
}
