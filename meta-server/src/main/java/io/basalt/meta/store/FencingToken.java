package io.basalt.meta.store;

/**
 * What a leader won at election: the value it wrote to {@code meta/epoch} and the znode version that write
 * produced. Every later write checks that version, so once another leader bumps the epoch this one cannot write.
 */
public record FencingToken(long epoch, int zkVersion) {
  public FencingToken {
    if (epoch <= 0 || zkVersion < 0) {
      throw new IllegalArgumentException("bad fencing token epoch=" + epoch + " version=" + zkVersion);
    }
  }
}
