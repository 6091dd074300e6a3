package io.basalt.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ServiceStackTest {
  final List<String> stopped = new ArrayList<>();

  AutoCloseable part(String name) {
    return () -> stopped.add(name);
  }

  @Test
  void stopsInReverseOrderOnceAndRunsEveryStopDespiteFailures() {
    ServiceStack stack = new ServiceStack("test");
    stack.add("store", part("store"));
    stack.onStop("rpc", () -> {
      stopped.add("rpc");
      throw new IllegalStateException("port stuck");
    });
    stack.add("session", part("session"));
    assertThat(stack.running()).containsExactly("session", "rpc", "store");

    stack.close();
    stack.close();

    assertThat(stopped).containsExactly("session", "rpc", "store");
    assertThat(stack.stopFailures()).singleElement().satisfies(e -> assertThat(e).hasMessage("port stuck"));
    assertThat(stack.running()).isEmpty();
  }

  @Test
  void aPartRegisteredAfterCloseIsStoppedAtOnce() {
    ServiceStack stack = new ServiceStack("test");
    stack.close();
    stack.add("late", part("late"));
    assertThat(stopped).containsExactly("late");
  }

  @Test
  void anErrorWhileStoppingIsKeptAndTheRestStillStop() {
    ServiceStack stack = new ServiceStack("test");
    stack.add("first", part("first"));
    stack.onStop("broken", () -> {
      throw new AssertionError("boom");
    });
    stack.close();
    assertThat(stopped).containsExactly("first");
    assertThat(stack.stopFailures()).hasSize(1);
  }
}
