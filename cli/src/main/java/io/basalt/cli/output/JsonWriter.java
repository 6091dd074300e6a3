package io.basalt.cli.output;

import java.util.Iterator;
import java.util.Map;

/**
 * Renders plain Java values as JSON: {@code Map} (keys as strings, in iteration order: pass a LinkedHashMap for a
 * stable order) as an object, {@code Iterable} or array of objects as an array, {@code CharSequence} and enums as
 * strings, {@code Number} and {@code Boolean} as they are, {@code null} as null. Non-finite doubles become null,
 * since JSON has no spelling for them. Used for every {@code --json} output and for the local state file.
 */
public final class JsonWriter {
  private JsonWriter() {}

  /** Two-space indented JSON, the form printed for people and scripts alike. */
  public static String pretty(Object value) {
    StringBuilder sb = new StringBuilder();
    write(sb, value, 0, true);
    return sb.toString();
  }

  /** One-line JSON. */
  public static String compact(Object value) {
    StringBuilder sb = new StringBuilder();
    write(sb, value, 0, false);
    return sb.toString();
  }

  private static void write(StringBuilder sb, Object v, int depth, boolean pretty) {
    if (v == null) {
      sb.append("null");
    } else if (v instanceof CharSequence || v instanceof Enum<?> || v instanceof Character) {
      quote(sb, v.toString());
    } else if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      if (Double.isFinite(d)) {
        sb.append(d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d));
      } else {
        sb.append("null");
      }
    } else if (v instanceof Number || v instanceof Boolean) {
      sb.append(v);
    } else if (v instanceof Map<?, ?> m) {
      writeObject(sb, m, depth, pretty);
    } else if (v instanceof Iterable<?> it) {
      writeArray(sb, it.iterator(), depth, pretty);
    } else if (v instanceof Object[] arr) {
      writeArray(sb, java.util.Arrays.asList(arr).iterator(), depth, pretty);
    } else {
      throw new IllegalArgumentException("cannot write " + v.getClass().getName() + " as JSON");
    }
  }

  private static void writeObject(StringBuilder sb, Map<?, ?> m, int depth, boolean pretty) {
    if (m.isEmpty()) {
      sb.append("{}");
      return;
    }
    sb.append('{');
    boolean first = true;
    for (Map.Entry<?, ?> e : m.entrySet()) {
      if (!first) {
        sb.append(',');
      }
      first = false;
      newline(sb, depth + 1, pretty);
      quote(sb, String.valueOf(e.getKey()));
      sb.append(pretty ? ": " : ":");
      write(sb, e.getValue(), depth + 1, pretty);
    }
    newline(sb, depth, pretty);
    sb.append('}');
  }

  private static void writeArray(StringBuilder sb, Iterator<?> it, int depth, boolean pretty) {
    if (!it.hasNext()) {
      sb.append("[]");
      return;
    }
    sb.append('[');
    boolean first = true;
    while (it.hasNext()) {
      if (!first) {
        sb.append(',');
      }
      first = false;
      newline(sb, depth + 1, pretty);
      write(sb, it.next(), depth + 1, pretty);
    }
    newline(sb, depth, pretty);
    sb.append(']');
  }

  private static void newline(StringBuilder sb, int depth, boolean pretty) {
    if (pretty) {
      sb.append('\n');
      sb.append("  ".repeat(depth));
    }
  }

  /** {@code s} as a JSON string literal, quotes included. */
  public static String quote(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 2);
    quote(sb, s);
    return sb.toString();
  }

  private static void quote(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '\b' -> sb.append("\\b");
        case '\f' -> sb.append("\\f");
        default -> {
          // Control characters must be escaped; U+2028/2029 are escaped so the output is also valid JavaScript.
          if (c < 0x20 || c == '\u2028' || c == '\u2029' || c == 0x7f) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}
