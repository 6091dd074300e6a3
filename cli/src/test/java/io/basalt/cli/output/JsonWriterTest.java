package io.basalt.cli.output;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonWriterTest {
  @Test
  void escapesQuotesBackslashesAndControlCharacters() {
    assertThat(JsonWriter.quote("a\"b\\c")).isEqualTo("\"a\\\"b\\\\c\"");
    assertThat(JsonWriter.quote("l1\nl2\r\t\b\f")).isEqualTo("\"l1\\nl2\\r\\t\\b\\f\"");
    assertThat(JsonWriter.quote("\u0000\u0001\u001f\u007f")).isEqualTo("\"\\u0000\\u0001\\u001f\\u007f\"");
    assertThat(JsonWriter.quote("\u2028\u2029")).isEqualTo("\"\\u2028\\u2029\"");
    assertThat(JsonWriter.quote("/ é 日本 \uD83D\uDE00")).isEqualTo("\"/ é 日本 \uD83D\uDE00\"");
  }

  @Test
  void writesScalarsAndNull() {
    assertThat(JsonWriter.compact(null)).isEqualTo("null");
    assertThat(JsonWriter.compact(true)).isEqualTo("true");
    assertThat(JsonWriter.compact(Long.MAX_VALUE)).isEqualTo("9223372036854775807");
    assertThat(JsonWriter.compact(-7)).isEqualTo("-7");
    assertThat(JsonWriter.compact(3.0)).isEqualTo("3");
    assertThat(JsonWriter.compact(2.5)).isEqualTo("2.5");
    assertThat(JsonWriter.compact(Double.NaN)).isEqualTo("null");
    assertThat(JsonWriter.compact(Double.POSITIVE_INFINITY)).isEqualTo("null");
    assertThat(JsonWriter.compact(Thread.State.NEW)).isEqualTo("\"NEW\"");
  }

  @Test
  void writesNestedStructuresInOrder() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("z", 1);
    m.put("a", List.of(1, 2));
    m.put("k\"ey", null);
    m.put("empty", List.of());
    m.put("obj", Map.of());
    m.put("arr", new Object[] {"x", null});
    assertThat(JsonWriter.compact(m))
        .isEqualTo("{\"z\":1,\"a\":[1,2],\"k\\\"ey\":null,\"empty\":[],\"obj\":{},\"arr\":[\"x\",null]}");
  }

  @Test
  void prettyPrintsWithTwoSpaceIndent() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("role", "chunk");
    m.put("replicas", List.of(1, 2));
    m.put("none", new ArrayList<>());
    assertThat(JsonWriter.pretty(List.of(m))).isEqualTo(String.join("\n",
        "[",
        "  {",
        "    \"role\": \"chunk\",",
        "    \"replicas\": [",
        "      1,",
        "      2",
        "    ],",
        "    \"none\": []",
        "  }",
        "]"));
  }

  @Test
  void roundTripsThroughTheReader() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("s", "tab\there \"q\" \\ \u0001 é");
    m.put("n", 42);
    m.put("list", Arrays.asList("a", null, true));
    m.put("obj", Map.of("x", 1.5));
    Map<String, Object> back = JsonReader.parseObject(JsonWriter.pretty(m));
    assertThat(back.get("s")).isEqualTo(m.get("s"));
    assertThat(back.get("n")).isEqualTo(42.0);
    assertThat(back.get("list")).isEqualTo(Arrays.asList("a", null, true));
    assertThat(back.get("obj")).isEqualTo(Map.of("x", 1.5));
  }

  @Test
  void refusesUnknownTypesAndMalformedInput() {
    assertThatThrownBy(() -> JsonWriter.compact(new Object())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> JsonReader.parseObject("{\"a\": ")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("malformed JSON");
  }
}
