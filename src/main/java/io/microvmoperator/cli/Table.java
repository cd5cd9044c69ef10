package io.microvmoperator.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** kubectl's table: upper-case headers, columns padded to their widest cell, three spaces apart. */
final class Table {

  private final List<String> headers;
  private final List<List<String>> rows = new ArrayList<>();

  Table(String... headers) {
    this.headers = List.of(headers);
  }

  Table row(String... cells) {
    if (cells.length != headers.size()) {
      throw new IllegalArgumentException("a row needs " + headers.size() + " cells");
    }
    rows.add(List.of(cells));
    return this;
  }

  void print(PrintStream out) {
    int[] widths = new int[headers.size()];
    for (List<String> line : allLines()) {
      for (int i = 0; i < widths.length; i++) {
        widths[i] = Math.max(widths[i], line.get(i).codePointCount(0, line.get(i).length()));
      }
    }
    for (List<String> line : allLines()) {
      StringBuilder text = new StringBuilder();
      for (int i = 0; i < widths.length; i++) {
        String cell = line.get(i);
        text.append(cell);
        if (i < widths.length - 1) {
          text.append(" ".repeat(widths[i] - cell.codePointCount(0, cell.length()) + 3));
        }
      }
      out.println(text.toString().stripTrailing());
    }
  }

  private List<List<String>> allLines() {
    List<List<String>> all = new ArrayList<>();
    all.add(headers);
    all.addAll(rows);
    return all;
  }
}
