package io.basalt.cli.output;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses a JSON object into plain Java values ({@code Map<String, Object>}, {@code List<Object>}, {@code String},
 * {@code Double}, {@code Boolean}, {@code null}) by way of protobuf's {@link Struct}, so we need no JSON library.
 * Numbers come back as doubles: exact for integers below 2^53, which covers pids and ports.
 */
public final class JsonReader {
  private JsonReader() {}

  /** Parses {@code json}, whose top level must be an object. */
  public static Map<String, Object> parseObject(String json) {
    Struct.Builder b = Struct.newBuilder();
    try {
      JsonFormat.parser().merge(json, b);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("malformed JSON: " + e.getMessage(), e);
    }
    return toMap(b.build());
  }

  private static Map<String, Object> toMap(Struct s) {
    Map<String, Object> m = new LinkedHashMap<>();
    s.getFieldsMap().forEach((k, v) -> m.put(k, toJava(v)));
    return m;
  }

  private static List<Object> toList(ListValue l) {
    List<Object> out = new ArrayList<>(l.getValuesCount());
    for (Value v : l.getValuesList()) {
      out.add(toJava(v));
    }
    return out;
  }

  private static Object toJava(Value v) {
    return switch (v.getKindCase()) {
      case NULL_VALUE, KIND_NOT_SET -> null;
      case NUMBER_VALUE -> v.getNumberValue();
      case STRING_VALUE -> v.getStringValue();
      case BOOL_VALUE -> v.getBoolValue();
      case STRUCT_VALUE -> toMap(v.getStructValue());
      case LIST_VALUE -> toList(v.getListValue());
    };
  }
}
