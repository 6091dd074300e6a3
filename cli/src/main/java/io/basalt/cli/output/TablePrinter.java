package io.basalt.cli.output;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Prints rows as a plain-text table: a header line, columns left-aligned and separated by two spaces, no trailing
 * blanks, null cells as "-". Column widths fit the widest cell. Build, add rows, then {@link #print}.
 */
public final class TablePrinter {
  private static final String GAP = "  ";
  private final List<String> headers;
  private final List<List<String>> rows = new ArrayList<>();

  public TablePrinter(String... headers) {
    if (headers.length == 0) {
      throw new IllegalArgumentException("a table needs at least one column");
    }
    this.headers = List.of(headers);
  }

  /** Adds a row; each cell is rendered with {@code String.valueOf}, null as "-". */
  public TablePrinter row(Object... cells) {
    if (cells.length != headers.size()) {
      throw new IllegalArgumentException("row has " + cells.length + " cells, table has " + headers.size()
          + " columns");
    }
    List<String> r = new ArrayList<>(cells.length);
    for (Object c : cells) {
      r.add(c == null ? "-" : oneLine(String.valueOf(c)));
    }
    rows.add(r);
    return this;
  }

  public int rowCount() {
    return rows.size();
  }

  public void print(PrintWriter out) {
    out.print(render());
    out.flush();
  }

  /** The whole table, each line ending in a newline. */
  public String render() {
    int[] widths = new int[headers.size()];
    for (int i = 0; i < widths.length; i++) {
      widths[i] = headers.get(i).length();
    }
    for (List<String> r : rows) {
      for (int i = 0; i < widths.length; i++) {
        widths[i] = Math.max(widths[i], r.get(i).length());
      }
    }
    StringBuilder sb = new StringBuilder();
    line(sb, headers, widths);
    for (List<String> r : rows) {
      line(sb, r, widths);
    }
    return sb.toString();
  }

  /** "key:  value" lines with the values aligned, for one-object views such as {@code volume show}. */
  public static String renderKeyValues(Map<String, ?> entries) {
    int width = 0;
    for (String k : entries.keySet()) {
      width = Math.max(width, k.length() + 1);
    }
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, ?> e : entries.entrySet()) {
      String key = e.getKey() + ":";
      String value = e.getValue() == null ? "-" : oneLine(String.valueOf(e.getValue()));
      sb.append(key).append(" ".repeat(width - key.length())).append(GAP).append(value);
      stripTrailing(sb);
      sb.append('\n');
    }
    return sb.toString();
  }

  private static void line(StringBuilder sb, List<String> cells, int[] widths) {
    for (int i = 0; i < cells.size(); i++) {
      String c = cells.get(i);
      sb.append(c);
      if (i < cells.size() - 1) {
        sb.append(" ".repeat(widths[i] - c.length())).append(GAP);
      }
    }
    stripTrailing(sb);
    sb.append('\n');
  }

  private static void stripTrailing(StringBuilder sb) {
    int end = sb.length();
    while (end > 0 && sb.charAt(end - 1) == ' ') {
      end--;
    }
    sb.setLength(end);
  }

  /** Cells stay on one line whatever they contain, so the columns stay aligned. */
  private static String oneLine(String s) {
    return s.indexOf('\n') < 0 && s.indexOf('\r') < 0 && s.indexOf('\t') < 0 ? s
        : s.replace("\r\n", " ").replace('\n', ' ').replace('\r', ' ').replace('\t', ' ');
  }
}
