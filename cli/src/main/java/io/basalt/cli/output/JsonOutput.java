package io.basalt.cli.output;

import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.PrettyPrinter;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.core.util.Instantiatable;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationConfig;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.BeanSerializerModifier;
import com.fasterxml.jackson.databind.ser.impl.UnknownSerializer;
import com.fasterxml.jackson.databind.ser.std.BeanSerializerBase;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import java.io.IOException;

/**
 * Renders plain Java values as JSON with Jackson: {@code Map} (keys as strings, in iteration order: pass a
 * LinkedHashMap for a stable order) as an object, {@code Iterable} or array as an array, {@code CharSequence} and
 * enums ({@code toString()}) as strings, {@code Number} and {@code Boolean} as they are, {@code null} as null.
 * Doubles with an integral value print without a fraction ({@code 3}, not {@code 3.0}) and non-finite ones as
 * null, since JSON has no spelling for them. Any other type (a record, a protobuf message) is refused: the keys
 * operators' scripts read are spelled out by the commands, never derived from getters. Used for every
 * {@code --json} output and for the local state file; the layout (two-space indent, {@code "key": value}, one array
 * element per line, {@code []} and {@code {}} when empty) and the escapes ({@code \n}, other control characters
 * as six-character escapes with lower-case hex, and also U+007F, U+2028 and U+2029) are those the CLI has always
 * printed. Stateless and thread-safe.
 */
public final class JsonOutput {
  private static final ObjectMapper MAPPER = JsonMapper.builder(new JsonFactoryBuilder()
          .characterEscapes(new Escapes()).build())
      .enable(SerializationFeature.WRITE_ENUMS_USING_TO_STRING)
      .addModule(new SimpleModule("basalt-cli-json")
          .addSerializer(Double.class, new DecimalSerializer())
          .addSerializer(Float.class, new DecimalSerializer())
          .addSerializer(Character.class, ToStringSerializer.instance)
          .addSerializer(CharSequence.class, ToStringSerializer.instance)
          .setSerializerModifier(new PlainValuesOnly()))
      .build();
  private static final ObjectWriter PRETTY = MAPPER.writer(new Layout());
  private static final ObjectWriter COMPACT = MAPPER.writer();

  private JsonOutput() {}

  /** Two-space indented JSON, the form printed for people and scripts alike. */
  public static String pretty(Object value) {
    return write(PRETTY, value);
  }

  /** One-line JSON. */
  public static String compact(Object value) {
    return write(COMPACT, value);
  }

  private static String write(ObjectWriter writer, Object value) {
    try {
      return writer.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot write as JSON: " + e.getOriginalMessage(), e);
    }
  }

  /** {@code s} as a JSON string literal, quotes included. */
  public static String quote(String s) {
    return compact(s);
  }

  /** {@code 3.0} as {@code 3} (below 10^15), NaN and infinities as null; else {@link Double#toString}. */
  private static final class DecimalSerializer extends StdSerializer<Number> {
    DecimalSerializer() {
      super(Number.class);
    }

    @Override
    public void serialize(Number value, JsonGenerator gen, SerializerProvider provider) throws IOException {
      double d = value.doubleValue();
      if (!Double.isFinite(d)) {
        gen.writeNull();
      } else if (d == Math.rint(d) && Math.abs(d) < 1e15) {
        gen.writeNumber((long) d);
      } else {
        gen.writeNumber(Double.toString(d));
      }
    }
  }

  /** Refuses what Jackson would write from getters or fields (beans, records, messages): no plain value. */
  private static final class PlainValuesOnly extends BeanSerializerModifier {
    @Override
    public JsonSerializer<?> modifySerializer(SerializationConfig config, BeanDescription desc,
        JsonSerializer<?> serializer) {
      if (serializer instanceof BeanSerializerBase || serializer instanceof UnknownSerializer) {
        return new Refused();
      }
      return serializer;
    }
  }

  private static final class Refused extends StdSerializer<Object> {
    Refused() {
      super(Object.class);
    }

    @Override
    public void serialize(Object value, JsonGenerator gen, SerializerProvider provider) throws IOException {
      provider.reportMappingProblem("cannot write %s as JSON (not a map, list, string, number or boolean)",
          value.getClass().getName());
    }
  }

  /**
   * Jackson's escapes, plus: control characters with lower-case hex (Jackson writes upper case), and U+007F,
   * U+2028 and U+2029 escaped too, so the output is also valid JavaScript.
   */
  private static final class Escapes extends CharacterEscapes {
    private final int[] ascii = standardAsciiEscapesForJSON();

    Escapes() {
      for (int c = 0; c < 0x20; c++) {
        if (ascii[c] == ESCAPE_STANDARD) {
          ascii[c] = ESCAPE_CUSTOM;
        }
      }
      ascii[0x7f] = ESCAPE_CUSTOM;
    }

    @Override
    public int[] getEscapeCodesForAscii() {
      return ascii;
    }

    @Override
    public SerializableString getEscapeSequence(int ch) {
      if (ch < 0x20 || ch == 0x7f || ch == 0x2028 || ch == 0x2029) {
        return new SerializedString(String.format("\\u%04x", ch));
      }
      return null;
    }
  }

  /**
   * The CLI's layout: a line per member and per element, indented two spaces per level, {@code "key": value}, and
   * {@code {}} / {@code []} for empty containers. One instance per document (it counts the depth).
   */
  private static final class Layout implements PrettyPrinter, Instantiatable<Layout> {
    private int depth;

    @Override
    public Layout createInstance() {
      return new Layout();
    }

    private void newline(JsonGenerator g) throws IOException {
      g.writeRaw('\n');
      g.writeRaw("  ".repeat(depth));
    }

    @Override
    public void writeRootValueSeparator(JsonGenerator g) throws IOException {
      g.writeRaw('\n');
    }

    @Override
    public void writeStartObject(JsonGenerator g) throws IOException {
      g.writeRaw('{');
      depth++;
    }

    @Override
    public void beforeObjectEntries(JsonGenerator g) throws IOException {
      newline(g);
    }

    @Override
    public void writeObjectFieldValueSeparator(JsonGenerator g) throws IOException {
      g.writeRaw(": ");
    }

    @Override
    public void writeObjectEntrySeparator(JsonGenerator g) throws IOException {
      g.writeRaw(',');
      newline(g);
    }

    @Override
    public void writeEndObject(JsonGenerator g, int entries) throws IOException {
      depth--;
      if (entries > 0) {
        newline(g);
      }
      g.writeRaw('}');
    }

    @Override
    public void writeStartArray(JsonGenerator g) throws IOException {
      g.writeRaw('[');
      depth++;
    }

    @Override
    public void beforeArrayValues(JsonGenerator g) throws IOException {
      newline(g);
    }

    @Override
    public void writeArrayValueSeparator(JsonGenerator g) throws IOException {
      g.writeRaw(',');
      newline(g);
    }

    @Override
    public void writeEndArray(JsonGenerator g, int values) throws IOException {
      depth--;
      if (values > 0) {
        newline(g);
      }
      g.writeRaw(']');
    }
  }
}
