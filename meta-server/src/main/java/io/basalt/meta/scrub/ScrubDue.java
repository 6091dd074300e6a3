package io.basalt.meta.scrub;

import io.basalt.proto.ScrubRecord;

/**
 * When an extent's next scrub is due, and whether it is deep: a retry (when it was set for; also when an operator
 * asked), an operator's request (now), else the periodic ones: light {@code lightPeriod} after the last scrub, deep {@code deepPeriod} after
 * the last deep one (after the first scrub when there was none). An extent never scrubbed counts from the start of
 * the term (a fresh cluster does not scrub every extent at once). Pure; any thread.
 *
 * @param atMs wall clock when due (may be in the future)
 * @param rank 0 asked for by an operator, 1 a retry, 2 periodic (lower first)
 */
public record ScrubDue(long atMs, boolean deep, int rank) {
  public static ScrubDue of(ScrubRecord rec, Boolean forced, ScrubTable.Retry retry, long termStartMs, long nowMs,
      ScrubConfig config) {
    long lightBase = rec == null ? termStartMs : rec.getLastScrubbedMs();
    long deepBase = rec == null ? termStartMs
        : rec.getLastDeepScrubbedMs() > 0 ? rec.getLastDeepScrubbedMs()
        : rec.getFirstScrubbedMs() > 0 ? rec.getFirstScrubbedMs() : rec.getLastScrubbedMs();
    long lightAt = lightBase + config.lightPeriod().toMillis();
    long deepAt = deepBase + config.deepPeriod().toMillis();
    boolean periodicDeep = deepAt <= Math.max(lightAt, nowMs);
    if (retry != null) { // also an operator's request waits for its retry time: never hammer an owner
      return new ScrubDue(retry.atMs(), retry.deep() || forced != null && forced || periodicDeep && deepAt <= nowMs,
          forced != null ? 0 : 1);
    }
    if (forced != null) {
      return new ScrubDue(Long.MIN_VALUE, forced || periodicDeep && deepAt <= nowMs, 0);
    }
    return new ScrubDue(Math.min(lightAt, deepAt), periodicDeep, 2);
  }

  public boolean dueAt(long nowMs) {
    return atMs <= nowMs;
  }
}
