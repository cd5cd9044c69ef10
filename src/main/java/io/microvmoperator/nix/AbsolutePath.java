package io.microvmoperator.nix;

import io.microvmoperator.api.ApiPatterns;

/** An absolute path of plain characters on a host, such as the state dir. */
public record AbsolutePath(String value) {
  public AbsolutePath {
    Validated.matching("path", value, ApiPatterns.ABSOLUTE_PATH, 1024);
    for (String part : value.split("/")) {
      if (part.equals("..") || part.equals(".")) {
        throw new InvalidValueException("path " + value + " has a '" + part + "' component");
      }
    }
  }

  public String resolve(String child) {
    return value + "/" + child;
  }
}
