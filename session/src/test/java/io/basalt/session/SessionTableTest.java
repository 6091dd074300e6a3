package io.basalt.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.basalt.proto.ErrorCode;
import io.basalt.proto.SessionGroup;
import io.basalt.rpc.BasaltException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SessionTableTest {
  private static final long MS = 1_000_000L;
  // keepalive 100 ms, timeout 1 s: grace 100 ms, tick 25 ms, pause threshold 100 ms, settle 200 ms
  private final SessionConfig cfg = SessionConfig.of(Duration.ofMillis(100), Duration.ofSeconds(1));
  private long now = 1_000 * MS;
  private final SessionTable table = new SessionTable(cfg, 7, now);

  /** Opens a session per cid after the leader's grace. */
  private List<SessionTable.Session> openChunks(int n) {
    advance(1_200);
    List<SessionTable.Session> out = new ArrayList<>();
    for (int cid = 1; cid <= n; cid++) {
      out.add(table.keepAlive(SessionGroup.CHUNK, cid, "", 0, "chunk" + cid, now).session());
    }
    return out;
  }

  /** Moves the clock in ticks of 25 ms (no pause), keeping {@code alive} sessions alive. */
  private List<SessionTable.Tick> run(long ms, List<SessionTable.Session> alive) {
    List<SessionTable.Tick> ticks = new ArrayList<>();
    for (long t = 0; t < ms; t += 25) {
      now += 25 * MS;
      for (SessionTable.Session s : alive) {
        if (s.alive()) table.keepAlive(s.group(), s.cid(), s.uuid(), s.epoch(), s.name(), now);
      }
      ticks.add(table.tick(now));
    }
    return ticks;
  }

  private void advance(long ms) {
    for (long t = 0; t < ms; t += 25) {
      now += 25 * MS;
      table.tick(now);
    }
  }

  @Test
  void epochsCarryTheMetaEpochAndGrow() {
    List<SessionTable.Session> s = openChunks(2);
    assertThat(s.get(0).epoch() >>> 32).isEqualTo(7);
    assertThat(s.get(1).epoch()).isGreaterThan(s.get(0).epoch());
  }

  @Test
  void anIsolatedExpiryIsRemovableAtOnce() {
    List<SessionTable.Session> s = openChunks(4);
    List<SessionTable.Tick> ticks = run(1_050, s.subList(1, 4));
    assertThat(ticks).flatMap(SessionTable.Tick::expired).isEmpty(); // 1 s + 100 ms grace not yet over
    ticks = run(100, s.subList(1, 4));
    assertThat(ticks).flatMap(SessionTable.Tick::expired).containsExactly(s.get(0));
    // no other chunk is silent: not the start of a mass event, so no settle (it would only lengthen the pause)
    assertThat(ticks).flatMap(SessionTable.Tick::removable).containsExactly(s.get(0));
    assertThat(table.inJeopardy()).isFalse();
    assertThat(table.isAlive(1, s.get(0).epoch())).isFalse();
    assertThat(table.isAlive(2, s.get(1).epoch())).isTrue();
  }

  @Test
  void anExpiryWhileMostChunksAreSilentWaitsUntilTheyAreHeardAgain() {
    List<SessionTable.Session> s = openChunks(4);
    run(300, s.subList(1, 4)); // chunk 1 is silent from the start
    List<SessionTable.Tick> ticks = run(800, s.subList(3, 4)); // chunks 2 and 3 go silent too
    assertThat(ticks).flatMap(SessionTable.Tick::expired).containsExactly(s.get(0));
    assertThat(ticks).flatMap(SessionTable.Tick::removable).as("two more chunks are silent: wait").isEmpty();
    // chunks 2 and 3 are heard again before their leases end: chunk 1's expiry is isolated after all, and its
    // replicas go before the settle (200 ms after the expiry) is over
    ticks = run(100, s.subList(1, 4));
    assertThat(ticks).flatMap(SessionTable.Tick::removable).containsExactly(s.get(0));
    assertThat(table.inJeopardy()).isFalse();
  }

  @Test
  void expiredSessionIsRefusedAndAReconnectIsANewSession() {
    List<SessionTable.Session> s = openChunks(2);
    run(1_500, s.subList(1, 2));
    SessionTable.Session gone = s.get(0);
    assertThatThrownBy(() -> table.keepAlive(SessionGroup.CHUNK, 1, gone.uuid(), gone.epoch(), "", now))
        .isInstanceOfSatisfying(BasaltException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NO_SESSION));
    SessionTable.KeepAlive again = table.keepAlive(SessionGroup.CHUNK, 1, "", 0, "chunk1", now);
    assertThat(again.opened()).isTrue();
    assertThat(again.session().epoch()).isGreaterThan(gone.epoch());
  }

  @Test
  void reconnectWhileAliveSupersedesTheOldSession() {
    List<SessionTable.Session> s = openChunks(1);
    SessionTable.KeepAlive again = table.keepAlive(SessionGroup.CHUNK, 1, "", 0, "chunk1", now);
    assertThat(again.superseded()).contains(s.get(0));
    assertThat(s.get(0).endReason()).isEqualTo(SessionTable.EndReason.SUPERSEDED);
    assertThat(table.held()).isEmpty();
    assertThat(run(3_000, List.of(again.session()))).flatMap(SessionTable.Tick::removable).isEmpty();
  }

  @Test
  void leaderPauseExtendsEveryLeaseInsteadOfExpiring() {
    List<SessionTable.Session> s = openChunks(3);
    run(500, s);
    now += 2_000 * MS; // the leader was stopped for twice the session timeout
    SessionTable.Tick t = table.tick(now);
    assertThat(t.pauseNanos()).isGreaterThan(1_900 * MS);
    assertThat(t.expired()).isEmpty();
    assertThat(table.pausesCompensated()).isEqualTo(1);
    // and the followers' keepalives (queued while stopped) land and keep them alive
    assertThat(run(2_000, s)).flatMap(SessionTable.Tick::expired).isEmpty();
  }

  @Test
  void massExpiryEntersJeopardyRemovesNothingAndEndsWhenChunksReturn() {
    List<SessionTable.Session> s = openChunks(4);
    List<SessionTable.Tick> ticks = run(3_000, s.subList(3, 4)); // three of four fall silent together
    assertThat(ticks).flatMap(SessionTable.Tick::expired).hasSize(3);
    assertThat(ticks).extracting(SessionTable.Tick::jeopardy).contains(SessionTable.JeopardyChange.ENTERED);
    assertThat(ticks).flatMap(SessionTable.Tick::removable).as("no replica removed in jeopardy").isEmpty();
    assertThat(table.inJeopardy()).isTrue();
    assertThat(table.jeopardyReason()).contains("3 of 4");
    assertThat(table.held()).hasSize(3);

    List<SessionTable.Session> back = new ArrayList<>(s.subList(3, 4));
    for (int cid = 1; cid <= 3; cid++) {
      back.add(table.keepAlive(SessionGroup.CHUNK, cid, "", 0, "chunk" + cid, now).session());
    }
    ticks = run(100, back);
    assertThat(ticks).extracting(SessionTable.Tick::jeopardy).contains(SessionTable.JeopardyChange.EXITED);
    assertThat(table.inJeopardy()).isFalse();
    assertThat(run(3_000, back)).flatMap(SessionTable.Tick::removable).isEmpty();
  }

  @Test
  void confirmExpiryReleasesTheHeldChunksForRemoval() {
    List<SessionTable.Session> s = openChunks(4);
    run(3_000, s.subList(3, 4));
    assertThat(table.inJeopardy()).isTrue();
    assertThat(table.confirmExpiry()).isEqualTo(3);
    List<SessionTable.Tick> ticks = run(100, s.subList(3, 4));
    assertThat(ticks).flatMap(SessionTable.Tick::removable).hasSize(3);
    assertThat(table.inJeopardy()).isFalse();
    assertThat(run(3_000, s.subList(3, 4))).extracting(SessionTable.Tick::jeopardy)
        .doesNotContain(SessionTable.JeopardyChange.ENTERED);
  }

  @Test
  void newLeaderAdoptsUnknownSessionsOnlyDuringGraceAndExpiresNobodyInIt() {
    SessionTable fresh = new SessionTable(cfg, 8, now);
    fresh.expectChunk(3, "chunk3", now);
    fresh.expectChunk(4, "chunk4", now);
    assertThat(fresh.inGrace(now)).isTrue();
    SessionTable.KeepAlive adopted = fresh.keepAlive(SessionGroup.CHUNK, 3, "abc", 42, "chunk3", now);
    assertThat(adopted.session().epoch()).isEqualTo(42);
    assertThat(fresh.isAlive(3, 42)).isTrue();
    assertThat(fresh.tick(now + 1_000 * MS).expired()).isEmpty();
    assertThatThrownBy(() -> fresh.keepAlive(SessionGroup.CHUNK, 4, "def", 43, "", now + 1_200 * MS))
        .isInstanceOfSatisfying(BasaltException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NO_SESSION));
  }

  @Test
  void graceEndsOnceEveryExpectedChunkReportedIn() {
    SessionTable fresh = new SessionTable(cfg, 8, now);
    assertThat(fresh.inGrace(now)).as("a cluster without chunks has no lease to wait for").isFalse();
    fresh.expectChunk(1, "chunk1", now);
    fresh.expectChunk(2, "chunk2", now);
    fresh.keepAlive(SessionGroup.CHUNK, 1, "old-1", 17, "chunk1", now);
    assertThat(fresh.inGrace(now + MS)).isTrue();
    SessionTable.Session two = fresh.keepAlive(SessionGroup.CHUNK, 2, "", 0, "chunk2", now + MS).session();
    assertThat(fresh.inGrace(now + 2 * MS)).as("each chunk answered once: a takeover may still be in flight")
        .isTrue();
    assertThat(fresh.awaitedChunks(now + 2 * MS)).isEqualTo(2);
    fresh.keepAlive(SessionGroup.CHUNK, 1, "old-1", 17, "chunk1", now + 2 * MS);
    assertThat(fresh.awaitedChunks(now + 3 * MS)).isEqualTo(1);
    fresh.keepAlive(SessionGroup.CHUNK, 2, two.uuid(), two.epoch(), "chunk2", now + 3 * MS);
    assertThat(fresh.inGrace(now + 4 * MS)).isFalse();
    assertThat(fresh.graceRemainingNanos(now + 4 * MS)).isZero();
  }

  @Test
  void aChunkNotHealthyAtLoadHoldsTheGraceButExpiresNothingWhenItStaysAway() {
    SessionTable fresh = new SessionTable(cfg, 8, now);
    fresh.expectChunk(1, "chunk1", now, false);
    fresh.expectChunk(2, "chunk2", now, true);
    SessionTable.Session back = fresh.keepAlive(SessionGroup.CHUNK, 2, "b", 21, "chunk2", now).session();
    fresh.keepAlive(SessionGroup.CHUNK, 2, back.uuid(), back.epoch(), "chunk2", now + MS);
    assertThat(fresh.inGrace(now + 2 * MS)).as("cid=1 was SESSION_EXPIRED at load but may hold a lease").isTrue();
    fresh.keepAlive(SessionGroup.CHUNK, 3, "", 0, "chunk3", now + 2 * MS); // registered in this term: not awaited
    assertThat(fresh.awaitedChunks(now + 2 * MS)).isEqualTo(1);
    TwoSeconds r = keepAliveOnly(fresh, back);
    assertThat(r.graceOverAt() - now).as("the grace lasts one lease period").isGreaterThanOrEqualTo(1_100 * MS);
    assertThat(r.expired()).extracting(SessionTable.Session::cid).as("cid=3 stopped after one keepalive")
        .containsExactly(3);
    assertThat(r.removable()).extracting(SessionTable.Session::cid).containsExactly(3);
    assertThat(fresh.aliveChunk(1)).isEmpty();
    assertThat(fresh.all()).extracting(SessionTable.Session::cid).doesNotContain(1);
  }

  @Test
  void aChunkNotHealthyAtLoadThatReportsIsAdoptedAndEndsTheGrace() {
    SessionTable fresh = new SessionTable(cfg, 8, now);
    fresh.expectChunk(1, "chunk1", now, false);
    SessionTable.Session s = fresh.keepAlive(SessionGroup.CHUNK, 1, "came-back", 33, "chunk1", now).session();
    assertThat(fresh.isAlive(1, 33)).isTrue();
    assertThat(fresh.inGrace(now + MS)).isTrue();
    fresh.keepAlive(SessionGroup.CHUNK, 1, s.uuid(), s.epoch(), "chunk1", now + MS);
    assertThat(fresh.inGrace(now + 2 * MS)).isFalse();
    List<SessionTable.Session> expired = new ArrayList<>();
    for (int i = 1; i <= 80; i++) {
      expired.addAll(fresh.tick(now + i * 25 * MS).expired());
    }
    assertThat(expired).as("no keepalive for two seconds: an ordinary expiry").extracting(SessionTable.Session::cid)
        .containsExactly(1);
  }

  @Test
  void aChunkThatNeverReturnsToANewLeaderExpiresAfterTheGrace() {
    SessionTable fresh = new SessionTable(cfg, 8, now);
    fresh.expectChunk(1, "chunk1", now);
    fresh.expectChunk(2, "chunk2", now);
    SessionTable.Session back = fresh.keepAlive(SessionGroup.CHUNK, 2, "", 0, "chunk2", now).session();
    TwoSeconds r = keepAliveOnly(fresh, back);
    assertThat(r.expired()).extracting(SessionTable.Session::cid).containsExactly(1);
    assertThat(r.removable()).extracting(SessionTable.Session::cid).containsExactly(1);
  }

  /** What two seconds of ticks (every 25 ms) did while only {@code kept} sent keepalives. */
  private record TwoSeconds(List<SessionTable.Session> expired, List<SessionTable.Session> removable,
      long graceOverAt) {}

  private TwoSeconds keepAliveOnly(SessionTable fresh, SessionTable.Session kept) {
    List<SessionTable.Session> expired = new ArrayList<>();
    List<SessionTable.Session> removable = new ArrayList<>();
    long graceOverAt = Long.MAX_VALUE;
    for (int i = 1; i <= 80; i++) {
      long t = now + i * 25 * MS;
      fresh.keepAlive(SessionGroup.CHUNK, kept.cid(), kept.uuid(), kept.epoch(), "chunk" + kept.cid(), t);
      SessionTable.Tick tick = fresh.tick(t);
      expired.addAll(tick.expired());
      removable.addAll(tick.removable());
      if (!fresh.inGrace(t) && graceOverAt == Long.MAX_VALUE) {
        graceOverAt = t;
      }
    }
    return new TwoSeconds(expired, removable, graceOverAt);
  }

  @Test
  void slowTrickleOfSingleExpiriesIsNotJeopardy() {
    List<SessionTable.Session> s = openChunks(4);
    List<SessionTable.Session> alive = new ArrayList<>(s);
    alive.remove(0);
    List<SessionTable.Tick> ticks = run(1_500, alive);
    assertThat(ticks).flatMap(SessionTable.Tick::removable).hasSize(1);
    assertThat(table.inJeopardy()).isFalse();
  }
}
