package io.microvmoperator.hydra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.microvmoperator.api.MicroVMSpec.HydraSource;
import io.microvmoperator.nix.InvalidValueException;
import org.junit.jupiter.api.Test;

class HydraClientTest {

  private static final String PATH = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-microvm-web";
  private static final HydraJob JOB =
      HydraJob.of(
          new HydraSource("https://hydra.example.org/", "infra", "main", null, "5m"), "web");

  @Test
  void theJobDefaultsToTheTargetAndTheUrlIsHydrasApi() {
    assertThat(JOB.latestBuild().toString())
        .isEqualTo("https://hydra.example.org/job/infra/main/web/latest");
  }

  @Test
  void aFinishedSuccessfulBuildGivesItsIdAndOutPath() throws HydraException {
    HydraBuild build =
        HydraClient.parse(
            JOB,
            "{\"id\": 42, \"finished\": 1, \"buildstatus\": 0,"
                + " \"buildoutputs\": {\"out\": {\"path\": \""
                + PATH
                + "\"}}}");
    assertThat(build.id()).isEqualTo(42);
    assertThat(build.outPath().value()).isEqualTo(PATH);
  }

  @Test
  void unusableAnswersAreInvalid() {
    for (String body :
        new String[] {
          "<html>oops",
          "[]",
          "{\"finished\": 1, \"buildstatus\": 0}",
          "{\"id\": 1, \"finished\": 0, \"buildstatus\": 0, \"buildoutputs\": {\"out\": {\"path\": \""
              + PATH
              + "\"}}}",
          "{\"id\": 1, \"finished\": 1, \"buildstatus\": 1, \"buildoutputs\": {\"out\": {\"path\": \""
              + PATH
              + "\"}}}",
          "{\"id\": 1, \"finished\": 1, \"buildstatus\": 0, \"buildoutputs\": {\"out\": {\"path\":"
              + " \"/nix/store/x; rm -rf /\"}}}",
        }) {
      assertThatThrownBy(() -> HydraClient.parse(JOB, body))
          .as(body)
          .isInstanceOfSatisfying(
              HydraException.class, e -> assertThat(e.reason()).isEqualTo("HydraResponseInvalid"));
    }
  }

  @Test
  void baseUrlsWithQueriesOrCredentialsAreRefused() {
    for (String url :
        new String[] {"https://h.example.org/?x=1", "https://user:pw@h.example.org", "ftp://h"}) {
      assertThatThrownBy(
              () -> HydraJob.of(new HydraSource(url, "infra", "main", null, "5m"), "web"))
          .as(url)
          .isInstanceOf(InvalidValueException.class);
    }
  }
}
