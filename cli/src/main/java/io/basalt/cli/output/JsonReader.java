package io.basalt.cli.output;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses a JSON object into plain Java values ({@code Map<String, Object>} in document order,
 * {@code List<Object>}, {@code String}, {@code Double}, {@code Boolean}, {@code null}) with Jackson. Numbers come
 * back as doubles, as they always have for the state file's readers: exact for integers below 2^53, which covers
 * pids and ports. Stateless and thread-safe.
 */
public final class JsonReader {
  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  private JsonReader() {}

  /** Parses {@code json}, whose top level must be an object. */
  public static Map<String, Object> parseObject(String json) {
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("malformed JSON: " + e.getOriginalMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("malformed JSON: the top level is not an object");
    }
    return toMap(root);
  }

  private static Map<String, Object> toMap(JsonNode object) {
    Map<String, Object> m = new LinkedHashMap<>();
    object.properties().forEach(e -> m.put(e.getKey(), toJava(e.getValue())));
    return m;
  }

  private static List<Object> toList(JsonNode array) {
    List<Object> out = new ArrayList<>(array.size());
    array.forEach(v -> out.add(toJava(v)));
    return out;
  }

  private static Object toJava(JsonNode v) {
    return switch (v.getNodeType()) {
      case NUMBER -> v.doubleValue();
      case STRING -> v.textValue();
      case BOOLEAN -> v.booleanValue();
      case OBJECT -> toMap(v);
      case ARRAY -> toList(v);
      case NULL, MISSING, BINARY, POJO -> null;
    };
  }
}
