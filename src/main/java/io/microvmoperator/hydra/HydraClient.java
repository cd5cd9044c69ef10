package io.microvmoperator.hydra;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.microvmoperator.nix.StorePath;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Asks Hydra's JSON API for a job's latest successful build ({@code GET /job/P/J/JOB/latest} with
 * {@code Accept: application/json}). Everything in the answer is checked: a finished build with
 * {@code buildstatus} 0 and a valid store path as {@code buildoutputs.out.path}.
 */
public final class HydraClient {

  static final int MAX_RESPONSE_BYTES = 1 << 20;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http;
  private final Duration timeout;

  public HydraClient(Duration timeout) {
    this.timeout = timeout;
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(timeout)
            .followRedirects(HttpClient.Redirect.NORMAL)
            .build();
  }

  public HydraBuild latest(HydraJob job) throws HydraException {
    HttpRequest request =
        HttpRequest.newBuilder(job.latestBuild())
            .timeout(timeout)
            .header("Accept", "application/json")
            .GET()
            .build();
    HttpResponse<InputStream> response;
    byte[] body;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
      try (InputStream in = response.body()) {
        body = in.readNBytes(MAX_RESPONSE_BYTES + 1);
      }
    } catch (IOException e) {
      throw new HydraException(
          "HydraUnavailable", "Hydra at " + job.base() + " did not answer: " + describe(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new HydraException("HydraUnavailable", "interrupted while asking Hydra");
    }
    int status = response.statusCode();
    if (status == 404) {
      throw new HydraException(
          "HydraJobNotFound", "Hydra has no successful build of " + job + " (HTTP 404)");
    }
    if (status != 200) {
      throw new HydraException(
          "HydraUnavailable", "Hydra answered HTTP " + status + " for " + job.latestBuild());
    }
    if (body.length > MAX_RESPONSE_BYTES) {
      throw invalid(job, "the answer is larger than " + MAX_RESPONSE_BYTES + " bytes");
    }
    return parse(job, new String(body, StandardCharsets.UTF_8));
  }

  static HydraBuild parse(HydraJob job, String body) throws HydraException {
    JsonNode build;
    try {
      build = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw invalid(job, "the answer is not JSON");
    }
    if (build == null || !build.isObject()) {
      throw invalid(job, "the answer is not a JSON object");
    }
    if (!build.path("id").canConvertToLong()) {
      throw invalid(job, "the build has no numeric id");
    }
    if (build.path("finished").asInt(0) != 1 || build.path("buildstatus").asInt(-1) != 0) {
      throw invalid(job, "build " + build.path("id").asLong() + " is not a finished success");
    }
    String path = build.path("buildoutputs").path("out").path("path").asText("");
    StorePath outPath = StorePath.parseOrNull(path);
    if (outPath == null) {
      throw invalid(job, "buildoutputs.out.path is not a store path");
    }
    return new HydraBuild(build.path("id").asLong(), outPath);
  }

  private static HydraException invalid(HydraJob job, String what) {
    return new HydraException(
        "HydraResponseInvalid", "Hydra's answer for " + job + " is unusable: " + what);
  }

  private static String describe(IOException e) {
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }
}
