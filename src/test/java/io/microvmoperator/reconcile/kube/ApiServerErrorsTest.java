package io.microvmoperator.reconcile.kube;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.OperatorException;
import java.net.ConnectException;
import org.junit.jupiter.api.Test;

class ApiServerErrorsTest {

  @Test
  void noAnswerThrottlingAndServerErrorsAreUnavailabilityRefusalsAreNot() {
    assertThat(ApiServerErrors.unavailable(withCode(0))).isTrue();
    assertThat(ApiServerErrors.unavailable(withCode(429))).isTrue();
    assertThat(ApiServerErrors.unavailable(withCode(503))).isTrue();
    assertThat(ApiServerErrors.unavailable(withCode(403))).isFalse();
    assertThat(ApiServerErrors.unavailable(withCode(404))).isFalse();
    assertThat(ApiServerErrors.unavailable(withCode(409))).isFalse();
  }

  @Test
  void theFirstClientExceptionAmongTheCausesDecides() {
    KubernetesClientException refused =
        new KubernetesClientException("patch failed", new ConnectException("refused"));
    assertThat(ApiServerErrors.unavailableIn(new OperatorException(refused))).contains(refused);
    assertThat(ApiServerErrors.unavailableIn(new OperatorException(withCode(409)))).isEmpty();
    assertThat(ApiServerErrors.unavailableIn(new IllegalStateException("a bug"))).isEmpty();
  }

  private static KubernetesClientException withCode(int code) {
    return new KubernetesClientException("status " + code, code, null);
  }
}
