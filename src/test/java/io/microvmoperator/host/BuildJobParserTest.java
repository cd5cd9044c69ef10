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
    BuildJob eval = BuildJobParser.parse("status 1\n\nerror: deliberate\n");
    BuildJob build =
        BuildJobParser.parse("status 1\n\nerror: builder for '/nix/store/x.drv' failed\n");
    assertThat(eval.isEvaluationFailure()).isTrue();
    assertThat(eval.logTail()).contains("deliberate");
    assertThat(build.isEvaluationFailure()).isFalse();
  }

  @Test
  void strangeAnswersAreErrors() {
    assertThatThrownBy(() -> BuildJobParser.parse("what?\n")).isInstanceOf(IOException.class);
  }
}
