package io.microvmoperator.nix;

import static org.assertj.core.api.Assertions.assertThat;

import io.microvmoperator.api.MicroVMSpec.HydraSource;
import io.microvmoperator.hydra.HydraJob;
import io.microvmoperator.testenv.HostileInput;
import io.microvmoperator.testenv.HostileInput.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The operator's second check of every value that reaches a host, with the injection corpus: each
 * value type accepts exactly what its field's rule in {@link HostileInput} accepts (the API server
 * is held to the same rules in {@code HostileInputIT}).
 */
class HostileValuesTest {

  /** The value type that guards each field before the operator uses it. */
  private static final Map<String, Consumer<String>> VALUE_TYPES =
      Map.ofEntries(
          Map.entry("vmName", VmName::new),
          Map.entry("target", NixName::new),
          Map.entry("flake", FlakeRef::new),
          Map.entry("storePath", StorePath::new),
          Map.entry("substituters", SubstituterUrl::new),
          Map.entry("trustedPublicKeys", NixPublicKey::new),
          Map.entry("hydra.url", v -> HydraJob.of(new HydraSource(v, "p", "j", "job", null), "t")),
          Map.entry("hydra.project", NixName::new),
          Map.entry("hydra.jobset", NixName::new),
          Map.entry(
              "hydra.job", v -> HydraJob.of(new HydraSource("http://h", "p", "j", v, null), "t")),
          Map.entry("stateDir", AbsolutePath::new),
          Map.entry("user", UnixUser::new),
          Map.entry("address", HostAddress::new));

  /**
   * Fields whose value type is stricter than the API on purpose: Hydra's base URL has no query,
   * fragment or credentials. There the type may refuse what the API accepts, never the reverse.
   */
  private static final java.util.Set<String> STRICTER = java.util.Set.of("hydra.url");

  static Stream<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    List<Field> fields = new ArrayList<>(HostileInput.microVMFields());
    fields.addAll(HostileInput.hostFields());
    for (Field field : fields) {
      if (VALUE_TYPES.containsKey(field.name())) {
        for (String fragment : HostileInput.fragments()) {
          cases.add(Arguments.of(field, field.embed().apply(fragment)));
        }
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0}: {index}")
  @MethodSource("cases")
  void aValueTypeAcceptsExactlyWhatItsFieldAllows(Field field, String value) {
    boolean accepted;
    try {
      VALUE_TYPES.get(field.name()).accept(value);
      accepted = true;
    } catch (InvalidValueException e) {
      accepted = false;
      assertThat(e.getMessage()).as("the message names the field").isNotBlank();
    }
    String what = field + " " + HostileInput.printable(value);
    if (STRICTER.contains(field.name())) {
      assertThat(!accepted || field.accepts().test(value)).as(what).isTrue();
    } else {
      assertThat(accepted).as(what).isEqualTo(field.accepts().test(value));
    }
  }

  @Test
  void theCorpusIsLargeAndCoversEveryField() {
    assertThat(HostileInput.fragments()).hasSizeGreaterThanOrEqualTo(100);
    assertThat(cases().count()).isGreaterThanOrEqualTo(100L * VALUE_TYPES.size());
  }
}
