package io.basalt.cli.output;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonOutputTest {
  record Point(int x, int y) {}

  @Test
  void escapesQuotesBackslashesAndControlCharacters() {
    assertThat(JsonOutput.quote("a\"b\\c")).isEqualTo("\"a\\\"b\\\\c\"");
    assertThat(JsonOutput.quote("l1\nl2\r\t\b\f")).isEqualTo("\"l1\\nl2\\r\\t\\b\\f\"");
    assertThat(JsonOutput.quote("\u0000\u0001\u001f\u007f")).isEqualTo("\"\\u0000\\u0001\\u001f\\u007f\"");
    assertThat(JsonOutput.quote("\u2028\u2029")).isEqualTo("\"\\u2028\\u2029\"");
    assertThat(JsonOutput.quote("/ é 日本 \uD83D\uDE00")).isEqualTo("\"/ é 日本 \uD83D\uDE00\"");
  }

  @Test
  void writesScalarsAndNull() {
    assertThat(JsonOutput.compact(null)).isEqualTo("null");
    assertThat(JsonOutput.compact(true)).isEqualTo("true");
    assertThat(JsonOutput.compact(Long.MAX_VALUE)).isEqualTo("9223372036854775807");
    assertThat(JsonOutput.compact(-7)).isEqualTo("-7");
    assertThat(JsonOutput.compact(3.0)).isEqualTo("3");
    assertThat(JsonOutput.compact(2.5)).isEqualTo("2.5");
    assertThat(JsonOutput.compact(Double.NaN)).isEqualTo("null");
    assertThat(JsonOutput.compact(Double.POSITIVE_INFINITY)).isEqualTo("null");
    assertThat(JsonOutput.compact(Thread.State.NEW)).isEqualTo("\"NEW\"");
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
    assertThat(JsonOutput.compact(m))
        .isEqualTo("{\"z\":1,\"a\":[1,2],\"k\\\"ey\":null,\"empty\":[],\"obj\":{},\"arr\":[\"x\",null]}");
  }

  @Test
  void prettyPrintsWithTwoSpaceIndent() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("role", "chunk");
    m.put("replicas", List.of(1, 2));
    m.put("none", new ArrayList<>());
    assertThat(JsonOutput.pretty(List.of(m))).isEqualTo(String.join("\n",
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
    Map<String, Object> back = JsonReader.parseObject(JsonOutput.pretty(m));
    assertThat(back.get("s")).isEqualTo(m.get("s"));
    assertThat(back.get("n")).isEqualTo(42.0);
    assertThat(back.get("list")).isEqualTo(Arrays.asList("a", null, true));
    assertThat(back.get("obj")).isEqualTo(Map.of("x", 1.5));
  }

  @Test
  void refusesUnknownTypesAndMalformedInput() {
    assertThatThrownBy(() -> JsonOutput.compact(new Object())).isInstanceOf(IllegalArgumentException.class);
    // keys come from the commands, never from getters or record components
    assertThatThrownBy(() -> JsonOutput.compact(List.of(new Point(1, 2)))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(Point.class.getName());
    assertThatThrownBy(() -> JsonOutput.compact(Map.of("m", Duration.ofSeconds(1))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> JsonReader.parseObject("{\"a\": ")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("malformed JSON");
    assertThatThrownBy(() -> JsonReader.parseObject("[1]")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("malformed JSON");
    assertThatThrownBy(() -> JsonReader.parseObject("{} {}")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("malformed JSON");
  }
}
