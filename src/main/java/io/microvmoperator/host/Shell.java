package io.microvmoperator.host;

/** The one way a string is put into a command line for the remote POSIX shell. */
public final class Shell {

  private Shell() {}

  /**
   * Quotes {@code value} so the remote shell passes it through as exactly one word, byte for byte.
   * Rejects NUL, which no shell word can carry.
   */
  public static String quote(String value) {
    if (value.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("a shell word cannot contain NUL");
    }
    return "'" + value.replace("'", "'\\''") + "'";
  }
}
