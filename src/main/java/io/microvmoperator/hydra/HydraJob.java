package io.microvmoperator.hydra;

import io.microvmoperator.api.ApiPatterns;
import io.microvmoperator.api.MicroVMSpec.HydraSource;
import io.microvmoperator.nix.InvalidValueException;
import io.microvmoperator.nix.NixName;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.regex.Pattern;

/** A validated Hydra job: {@code BASE/job/PROJECT/JOBSET/JOB}. */
public record HydraJob(URI base, NixName project, NixName jobset, String job) {

  private static final Pattern JOB = Pattern.compile(ApiPatterns.HYDRA_JOB);

  public HydraJob {
    if (!JOB.matcher(job).matches()) {
      throw new InvalidValueException("spec.hydra.job must match " + ApiPatterns.HYDRA_JOB);
    }
  }

  /** Validates {@code source}; the job defaults to {@code defaultJob} (the target). */
  public static HydraJob of(HydraSource source, String defaultJob) {
    String url = source.url() == null ? "" : source.url();
    if (!url.matches(ApiPatterns.HTTP_URL) || url.length() > ApiPatterns.MAX_URL_LENGTH) {
      throw new InvalidValueException("spec.hydra.url must be an http(s) URL");
    }
    URI base;
    try {
      base = new URI(url.replaceAll("/+$", ""));
    } catch (URISyntaxException e) {
      throw new InvalidValueException("spec.hydra.url is not a URL: " + e.getReason());
    }
    if (base.getRawQuery() != null
        || base.getRawFragment() != null
        || base.getRawUserInfo() != null
        || base.getHost() == null) {
      throw new InvalidValueException(
          "spec.hydra.url must be Hydra's base URL, without credentials, query or fragment");
    }
    return new HydraJob(
        base,
        new NixName(source.project()),
        new NixName(source.jobset()),
        source.job() == null ? defaultJob : source.job());
  }

  /** Hydra's JSON API for the job's latest successful build. */
  public URI latestBuild() {
    return URI.create(
        base + "/job/" + project.value() + "/" + jobset.value() + "/" + job + "/latest");
  }

  @Override
  public String toString() {
    return base + "/job/" + project.value() + "/" + jobset.value() + "/" + job;
  }
}
