package io.basalt.tester;

/** A case whose name, summary and speed are fixed values. */
abstract class BasicCase implements FaultCase {
  private final String name;
  private final String summary;
  private final boolean fast;

  BasicCase(String name, String summary, boolean fast) {
    this.name = name;
    this.summary = summary;
    this.fast = fast;
  }

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final String summary() {
    return summary;
  }

  @Override
  public final boolean fast() {
    return fast;
  }
}
