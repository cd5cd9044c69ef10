package io.microvmoperator.nix;

import static org.assertj.core.api.Assertions.assertThat;

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
      Map.of(
          "vmName", VmName::new,
          "target", NixName::new,
          "flake", FlakeRef::new,
          "storePath", StorePath::new,
          "hydra.project", NixName::new,
          "hydra.jobset", NixName::new,
          "stateDir", AbsolutePath::new,
          "user", UnixUser::new,
          "address", HostAddress::new);

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
    assertThat(accepted)
        .as("%s %s", field, HostileInput.printable(value))
        .isEqualTo(field.accepts().test(value));
  }

  @Test
  void theCorpusIsLargeAndCoversEveryField() {
    assertThat(HostileInput.fragments()).hasSizeGreaterThanOrEqualTo(100);
    assertThat(cases().count()).isGreaterThanOrEqualTo(100L * VALUE_TYPES.size());
  }
}
