package io.basalt.session;

import io.basalt.proto.ErrorCode;
import io.basalt.proto.SessionGroup;
import io.basalt.rpc.BasaltException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The meta leader's sessions (soft state of one leadership term): who is alive, when each lease ends on the leader's
 * monotonic clock, and the mass-expiry guard of DESIGN.md "Sessions and leases":
 * <ol>
 *   <li>a late {@link #tick} (the leader itself was paused: GC, VM stall, SIGSTOP) extends every live session by the
 *       pause before anything expires, so the leader's own stall never expires anyone;</li>
 *   <li>when more than {@code massExpiryShare} of the chunk sessions expire within one session timeout, the table
 *       enters cluster jeopardy: sessions still expire (their leases are released, which is safe: their holders
 *       stopped before the leader's expiry), but none is handed out for replica removal until the chunks return or
 *       an operator {@link #confirmExpiry confirms};</li>
 *   <li>removal waits {@code expirySettle} after an expiry, so every expiry of one mass event is counted first,
 *       unless the expiry is isolated: with the chunks silent towards the leader counted in, still no more than the
 *       share (then the replicas go at once: see {@link #isolatedExpiries}).</li>
 * </ol>
 * A new leader starts with a grace of one lease period: it expires nothing and adopts the sessions its followers
 * name (they were granted by the previous leader), so a failover expires no one. The grace ends early once every
 * chunk that may hold a lease has reported twice to this leader (see {@link #expectChunk}).
 *
 * <p>Session epochs are {@code metaEpoch << 32 | counter}: they grow across leaders, since every election bumps the
 * meta epoch. Not thread-safe: the meta loop owns it. Times are {@code System.nanoTime()}-style nanos.
 */
public final class SessionTable {
  private static final Logger log = LoggerFactory.getLogger(SessionTable.class);

  /** Why a session ended. */
  public enum EndReason { EXPIRED, SUPERSEDED }

  /** One session. Mutable only through the table. */
  public static final class Session {
    private final String uuid;
    private final long epoch;
    private final SessionGroup group;
    private final int cid;
    private String name;
    private long expiresAt;
    private EndReason ended;
    private long endedAt;
    private boolean replicasHandled;
    private boolean confirmed;
    private boolean quiet;
    private int reports;

    Session(String uuid, long epoch, SessionGroup group, int cid, String name, long expiresAt) {
      this.uuid = uuid;
      this.epoch = epoch;
      this.group = group;
      this.cid = cid;
      this.name = name;
      this.expiresAt = expiresAt;
    }

    public String uuid() {
      return uuid;
    }

    public long epoch() {
      return epoch;
    }

    public SessionGroup group() {
      return group;
    }

    public int cid() {
      return cid;
    }

    public String name() {
      return name;
    }

    public boolean alive() {
      return ended == null;
    }

    public long expiresAt() {
      return expiresAt;
    }

    /** Null while alive. */
    public EndReason endReason() {
      return ended;
    }

    public long endedAt() {
      return endedAt;
    }

    @Override
    public String toString() {
      return "session=" + uuid + " epoch=" + epoch + " group=" + group + " cid=" + cid
          + (ended == null ? "" : " ended=" + ended);
    }
  }

  /** What a keepalive did: the session now in force, and the one it replaced (a reconnect), if any. */
  public record KeepAlive(Session session, boolean opened, Optional<Session> superseded) {}

  /** Jeopardy transitions of one tick. */
  public enum JeopardyChange { NONE, ENTERED, EXITED }

  /**
   * One tick: sessions that expired now (their leases must be released), expired chunk sessions whose replicas may
   * now be removed, the pause compensated (0 if none), and the jeopardy transition.
   */
  public record Tick(List<Session> expired, List<Session> removable, long pauseNanos, JeopardyChange jeopardy) {}

  private final SessionConfig cfg;
  private final long timeout;
  private final long leaseEnd;
  private final Map<String, Session> byUuid = new LinkedHashMap<>();
  private final Map<Integer, Session> chunkLatest = new HashMap<>();
  private final Set<Integer> awaited = new HashSet<>();
  private final long graceUntil;
  private long nextEpoch;
  private long lastTick;
  private long pauses;
  private boolean jeopardy;
  private long jeopardySince;
  private String jeopardyReason = "";

  /** A new term's table: grace of one session timeout from {@code now}. */
  public SessionTable(SessionConfig cfg, long metaEpoch, long now) {
    this.cfg = cfg;
    this.timeout = cfg.sessionTimeout().toNanos();
    this.leaseEnd = timeout + cfg.leaderGrace().toNanos();
    this.graceUntil = now + leaseEnd;
    this.nextEpoch = (metaEpoch << 32) + 1;
    this.lastTick = now;
  }

  public SessionConfig config() {
    return cfg;
  }

  /**
   * Handles one KeepAlive received at {@code now}: opens a session ({@code uuid} empty), extends a live one, adopts an
   * unknown one during the grace, or refuses with NO_SESSION.
   */
  public KeepAlive keepAlive(SessionGroup group, int cid, String uuid, long epoch, String name, long now) {
    if (group == SessionGroup.CHUNK && cid <= 0) {
      throw new BasaltException(ErrorCode.INVALID_ARGUMENT, "chunk keepalive without a cid");
    }
    if (uuid.isEmpty()) {
      return reported(open(new Session(UUID.randomUUID().toString(), nextEpoch++, group, cid, name, now + leaseEnd),
          now));
    }
    Session s = byUuid.get(uuid);
    if (s == null) {
      if (inGrace(now) && epoch > 0) {
        log.info("session adopted in leader grace session={} epoch={} group={} cid={}", uuid, epoch, group, cid);
        return reported(open(new Session(uuid, epoch, group, cid, name, now + leaseEnd), now));
      }
      throw new BasaltException(ErrorCode.NO_SESSION, "session=" + uuid + " epoch=" + epoch
          + " is unknown to this leader: open a new session");
    }
    if (!s.alive()) {
      throw new BasaltException(ErrorCode.NO_SESSION, "session=" + uuid + " epoch=" + s.epoch + " "
          + s.ended.name().toLowerCase() + ": open a new session");
    }
    if (s.cid != cid || s.group != group) {
      throw new BasaltException(ErrorCode.INVALID_ARGUMENT, "session=" + uuid + " belongs to " + s.group + " cid="
          + s.cid + ", not " + group + " cid=" + cid);
    }
    s.expiresAt = Math.max(s.expiresAt, now + leaseEnd);
    s.name = name;
    return reported(new KeepAlive(s, false, Optional.empty()));
  }

  /**
   * Counts a chunk keepalive towards the end of the grace. An expected chunk has reported once this leader heard
   * from it twice under one session: the second keepalive was sent after the chunk had this leader's first answer,
   * so it names every lease the chunk holds, including a takeover the previous leader granted while the first one
   * was on its way (a chunk refuses a previous leader's answer once it has seen a newer meta epoch).
   */
  private KeepAlive reported(KeepAlive ka) {
    Session s = ka.session();
    if (s.group == SessionGroup.CHUNK && awaited.contains(s.cid) && ++s.reports >= 2) {
      awaited.remove(s.cid);
      log.info("expected chunk reported to the new leader cid={} session={} epoch={} stillAwaited={}", s.cid, s.uuid,
          s.epoch, awaited.size());
    }
    return ka;
  }

  /** As {@link #expectChunk(int, String, long, boolean)} for a chunk that was HEALTHY at load. */
  public void expectChunk(int cid, String name, long now) {
    expectChunk(cid, name, now, true);
  }

  /**
   * A chunk registered before this term, which may hold leases granted by the previous leader: until it has
   * reported (twice, see {@link #reported}) or one lease period passed, the grace lasts. It gets a placeholder
   * session that ends with the grace. A chunk {@code healthy} at load that never comes back expires like any other
   * (its replicas are then removed); one that was not (its session had expired already, or it is draining: it may
   * still hold a lease if it came back just before the failover) is only waited for: its placeholder ends quietly,
   * no expiry counted, nothing removed, as if it had not been expected. A chunk that comes back supersedes it.
   */
  public void expectChunk(int cid, String name, long now, boolean healthy) {
    if (!chunkLatest.containsKey(cid)) {
      Session placeholder = new Session("expected-" + cid, 0, SessionGroup.CHUNK, cid, name, graceUntil);
      placeholder.quiet = !healthy;
      byUuid.put(placeholder.uuid, placeholder);
      chunkLatest.put(cid, placeholder);
      awaited.add(cid);
    }
  }

  private KeepAlive open(Session s, long now) {
    byUuid.put(s.uuid, s);
    Optional<Session> superseded = Optional.empty();
    if (s.group == SessionGroup.CHUNK) {
      Session old = chunkLatest.put(s.cid, s);
      if (old != null && old.alive()) {
        end(old, EndReason.SUPERSEDED, now);
        superseded = Optional.of(old);
      } else if (old != null && !old.replicasHandled) {
        old.replicasHandled = true; // it came back before its replicas were removed: nothing to remove
        log.info("chunk returned before its expired session was handled cid={} session={} epoch={}", s.cid,
            old.uuid, old.epoch);
      }
    }
    log.info("session opened session={} epoch={} group={} cid={} name={}", s.uuid, s.epoch, s.group, s.cid, s.name);
    return new KeepAlive(s, true, superseded);
  }

  /** Checks every session at {@code now}; call every {@link SessionConfig#tickInterval()}. */
  public Tick tick(long now) {
    long gap = now - lastTick;
    lastTick = now;
    long pause = 0;
    if (gap > cfg.pauseThreshold().toNanos()) {
      pause = gap - cfg.tickInterval().toNanos();
      pauses++;
      int extended = 0;
      for (Session s : byUuid.values()) {
        if (s.alive()) {
          s.expiresAt += pause;
          extended++;
        }
      }
      log.warn("meta leader was paused for {} ms: extended {} sessions by the pause before expiring anything",
          pause / 1_000_000, extended);
    }
    List<Session> expired = new ArrayList<>();
    if (!inGrace(now)) {
      awaited.clear();
      for (Iterator<Session> it = byUuid.values().iterator(); it.hasNext(); ) {
        Session s = it.next();
        if (s.alive() && s.quiet && s.expiresAt <= now) {
          it.remove(); // a chunk already gone before this term that did not come back: as if never expected
          chunkLatest.remove(s.cid, s);
          log.info("expected chunk did not report in the grace; it was not healthy at load, nothing expires cid={}",
              s.cid);
        } else if (s.alive() && s.expiresAt <= now) {
          end(s, EndReason.EXPIRED, now);
          expired.add(s);
        }
      }
    }
    JeopardyChange change = updateJeopardy(now);
    List<Session> removable = new ArrayList<>();
    if (!jeopardy) {
      boolean isolated = isolatedExpiries(now);
      for (Session s : chunkLatest.values()) {
        if (s.ended == EndReason.EXPIRED && !s.replicasHandled
            && (isolated || now - s.endedAt >= cfg.expirySettle().toNanos())) {
          s.replicasHandled = true;
          removable.add(s);
        }
      }
    }
    purgeOld(now);
    return new Tick(expired, removable, pause, change);
  }

  /**
   * Whether the recent expiries cannot be the start of a mass event: counted with the live chunks that are silent
   * too (no keepalive for two intervals: the next ones to expire if this is one event), they are at most the
   * mass-expiry share. Then the expired chunks' replicas go at once, without the settle: the settle is there to
   * count every expiry of one mass event before removing anything, and waiting it out would only add to the pause
   * of the writers of an extent whose owner died (DESIGN.md "Sessions and leases").
   */
  private boolean isolatedExpiries(long now) {
    int recent = 0;
    int total = 0;
    int silent = 0;
    long silentNanos = cfg.keepaliveInterval().multipliedBy(2).toNanos();
    for (Session s : chunkLatest.values()) {
      total++;
      if (s.ended == EndReason.EXPIRED && !s.confirmed && now - s.endedAt < timeout) {
        recent++;
      } else if (s.alive() && silentForNanos(s, now) > silentNanos) {
        silent++;
      }
    }
    return recent + silent <= cfg.massExpiryShare() * total;
  }

  private JeopardyChange updateJeopardy(long now) {
    int recent = 0;
    for (Session s : chunkLatest.values()) {
      if (s.ended == EndReason.EXPIRED && !s.confirmed && now - s.endedAt < timeout) {
        recent++;
      }
    }
    int total = chunkLatest.size();
    if (!jeopardy && recent > 0 && recent > cfg.massExpiryShare() * total) {
      jeopardy = true;
      jeopardySince = now;
      jeopardyReason = recent + " of " + total + " chunk sessions expired within one session timeout ("
          + cfg.sessionTimeout().toMillis() + " ms), above the mass-expiry share " + cfg.massExpiryShare();
      log.error("CLUSTER JEOPARDY: {}; leases released, no replica removed and no recovery started until the"
          + " chunks return or an operator runs `basalt cluster confirm-expiry` held={}", jeopardyReason, held().size());
      return JeopardyChange.ENTERED;
    }
    if (jeopardy && held().isEmpty()) {
      jeopardy = false;
      log.warn("cluster jeopardy over: every held chunk returned after {} ms", (now - jeopardySince) / 1_000_000);
      return JeopardyChange.EXITED;
    }
    return JeopardyChange.NONE;
  }

  /**
   * The operator says the held expiries are real: leave jeopardy; the next tick hands their sessions out for
   * replica removal. Returns how many chunks that is (0 when not in jeopardy).
   */
  public int confirmExpiry() {
    List<Session> held = held();
    for (Session s : chunkLatest.values()) {
      if (s.ended == EndReason.EXPIRED) {
        s.confirmed = true;
      }
    }
    if (jeopardy) {
      jeopardy = false;
      log.warn("cluster jeopardy confirmed by operator: {} expired chunks will lose their replicas: {}", held.size(),
          held.stream().map(s -> "cid=" + s.cid).toList());
    }
    return held.size();
  }

  /** Expired chunk sessions whose replicas are kept (jeopardy or settling) and whose chunk has not returned. */
  public List<Session> held() {
    List<Session> out = new ArrayList<>();
    for (Session s : chunkLatest.values()) {
      if (s.ended == EndReason.EXPIRED && !s.replicasHandled) {
        out.add(s);
      }
    }
    return out;
  }

  /** Whether {@code cid} holds a live session with {@code epoch} (a lease under it is valid). */
  public boolean isAlive(int cid, long epoch) {
    Session s = chunkLatest.get(cid);
    return s != null && s.alive() && s.epoch == epoch;
  }

  /** The live session of chunk {@code cid}, if any. */
  public Optional<Session> aliveChunk(int cid) {
    Session s = chunkLatest.get(cid);
    return s != null && s.alive() ? Optional.of(s) : Optional.empty();
  }

  public Optional<Session> byUuid(String uuid) {
    return Optional.ofNullable(byUuid.get(uuid));
  }

  /** Every session this term knows, live ones and recently ended ones. */
  public Collection<Session> all() {
    return byUuid.values();
  }

  public boolean inJeopardy() {
    return jeopardy;
  }

  public String jeopardyReason() {
    return jeopardy ? jeopardyReason : "";
  }

  public long jeopardySince() {
    return jeopardySince;
  }

  /**
   * The new leader's grace: until one lease period has passed or every chunk expected at the start has reported
   * in, whichever is first. Once every possible lease holder has reported, no lease is unknown.
   */
  public boolean inGrace(long now) {
    return now < graceUntil && !awaited.isEmpty();
  }

  /** How many expected chunks have not reported to this leader yet (0 once the grace is over). */
  public int awaitedChunks(long now) {
    return inGrace(now) ? awaited.size() : 0;
  }

  public long graceRemainingNanos(long now) {
    return inGrace(now) ? graceUntil - now : 0;
  }

  public long pausesCompensated() {
    return pauses;
  }

  /** How long ago the leader last heard a keepalive of live session {@code s} (its lease runs a fixed time from it). */
  public long silentForNanos(Session s, long now) {
    return now - (s.expiresAt - leaseEnd);
  }

  /** Live chunk sessions, and how many of them sent no keepalive for more than {@code silentNanos}. */
  public record ChunkSilence(int alive, int silent) {
    /** Whether more than {@code share} of the live chunks are silent: the start of a mass event, not one failure. */
    public boolean massive(double share) {
      return alive > 0 && silent > share * alive;
    }
  }

  public ChunkSilence chunkSilence(long now, long silentNanos) {
    int alive = 0;
    int silent = 0;
    for (Session s : chunkLatest.values()) {
      if (s.alive()) {
        alive++;
        if (silentForNanos(s, now) > silentNanos) silent++;
      }
    }
    return new ChunkSilence(alive, silent);
  }

  public int aliveCount() {
    int n = 0;
    for (Session s : byUuid.values()) {
      if (s.alive()) n++;
    }
    return n;
  }

  private void end(Session s, EndReason reason, long now) {
    s.ended = reason;
    s.endedAt = now;
    if (reason == EndReason.SUPERSEDED) {
      s.replicasHandled = true; // the chunk is back under a new session: it keeps its replicas
    }
    if (reason == EndReason.EXPIRED) {
      log.warn("session expired session={} epoch={} group={} cid={} name={} lateByMs={}", s.uuid, s.epoch, s.group,
          s.cid, s.name, (now - s.expiresAt) / 1_000_000);
    } else {
      log.info("session superseded by a reconnect session={} epoch={} group={} cid={}", s.uuid, s.epoch, s.group,
          s.cid);
    }
  }

  /** Forgets ended sessions after ten timeouts, except each chunk's latest (the guard needs it). */
  private void purgeOld(long now) {
    byUuid.values().removeIf(s -> !s.alive() && now - s.endedAt > 10 * timeout && chunkLatest.get(s.cid) != s);
  }
}
