package io.basalt.meta.scrub;

import io.basalt.proto.ReplicaScrub;
import io.basalt.proto.ScrubExtentResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What one ScrubExtent answer means (DESIGN.md "Consistency check"). Every member's digest is at the one gen the
 * owner fixed, so equal hashes mean equal contents:
 * <ul>
 *   <li>a member that answered {@code error} or {@code gen_passed}, or no member at all: {@link Kind#PENDING},
 *       try again later, nothing decided;</li>
 *   <li>a member with CRC errors (deep): {@link Kind#CRC_ERROR}, that member is quarantined (blocks: the failing
 *       ones) while at least one member is clean; when every member fails, nothing is removed and the extent is
 *       SUSPECT;</li>
 *   <li>every hash equal: {@link Kind#OK};</li>
 *   <li>a strict majority equal: {@link Kind#MISMATCH}, each member of the minority is quarantined (blocks: the
 *       first block of every range whose hash differs from the majority's, at most {@link #MAX_BLOCKS});</li>
 *   <li>no strict majority (two replicas differing, three different hashes): {@link Kind#MISMATCH} and SUSPECT,
 *       nothing removed (writes go on; the operator is told).</li>
 * </ul>
 * Never every member is quarantined. Pure; any thread.
 */
public record ScrubVerdict(Kind kind, boolean suspect, List<Quarantine> quarantines, String detail,
    Map<Integer, Long> bytesRead) {
  /** Block size of a replica (a chunk's ReplicaStore.BLOCK_SIZE). */
  public static final long BLOCK_SIZE = 4096;
  /** Most block indexes named in one QuarantineReplica. */
  public static final int MAX_BLOCKS = 1024;

  /** The result of one scrub. */
  public enum Kind {
    OK("ok"), MISMATCH("mismatch"), CRC_ERROR("crc_error"), PENDING("pending");

    private final String wire;

    Kind(String wire) {
      this.wire = wire;
    }

    /** The name {@code scrub ls} shows. */
    public String wire() {
      return wire;
    }
  }

  /** A member to quarantine, why, and the blocks involved. */
  public record Quarantine(int cid, String reason, List<Long> blocks) {}

  public ScrubVerdict {
    quarantines = List.copyOf(quarantines);
    bytesRead = Map.copyOf(bytesRead);
  }

  /** Could not compare (the call failed, a member gave no digest): try again later. */
  public static ScrubVerdict pending(String why) {
    return new ScrubVerdict(Kind.PENDING, false, List.of(), why, Map.of());
  }

  /** Judges the owner's answer for {@code pid}; {@code rangeBytes} is the range size the request asked for. */
  public static ScrubVerdict judge(long pid, ScrubExtentResponse r, long rangeBytes) {
    List<ReplicaScrub> members = r.getReplicasList();
    Map<Integer, Long> bytes = new HashMap<>();
    for (ReplicaScrub m : members) {
      bytes.merge(m.getCid(), m.getBytesRead(), Long::sum);
    }
    if (members.isEmpty()) {
      return new ScrubVerdict(Kind.PENDING, false, List.of(), "owner cid=" + r.getOwnerCid() + " sent no digest",
          bytes);
    }
    List<String> notReady = new ArrayList<>();
    for (ReplicaScrub m : members) {
      if (!m.getError().isEmpty()) {
        notReady.add("cid=" + m.getCid() + " error: " + m.getError());
      } else if (m.getGenPassed()) {
        notReady.add("cid=" + m.getCid() + " already past gen=" + r.getGen());
      }
    }
    if (!notReady.isEmpty()) {
      return new ScrubVerdict(Kind.PENDING, false, List.of(), String.join("; ", notReady), bytes);
    }
    int n = members.size();
    Map<String, List<ReplicaScrub>> byHash = new LinkedHashMap<>();
    for (ReplicaScrub m : members) {
      byHash.computeIfAbsent(m.getHash(), h -> new ArrayList<>()).add(m);
    }
    List<ReplicaScrub> majority = null;
    for (List<ReplicaScrub> g : byHash.values()) {
      if (g.size() * 2 > n) {
        majority = g;
      }
    }
    String hashes = members.stream().map(m -> m.getCid() + ":" + m.getHash())
        .collect(Collectors.joining(","));
    long gen = r.getGen();

    List<ReplicaScrub> crcBad = members.stream().filter(m -> m.getCrcErrorsCount() > 0).toList();
    if (!crcBad.isEmpty()) {
      String badCids = crcBad.stream().map(m -> Integer.toString(m.getCid())).collect(Collectors.joining(","));
      if (crcBad.size() == n) {
        return new ScrubVerdict(Kind.CRC_ERROR, true, List.of(), "every member fails CRCs at gen=" + gen
            + " (cids " + badCids + "): nothing removed", bytes);
      }
      List<Quarantine> q = new ArrayList<>();
      for (ReplicaScrub m : crcBad) {
        q.add(new Quarantine(m.getCid(), "scrub pid=" + pid + " gen=" + gen + ": " + m.getCrcErrorsCount()
            + " block(s) fail their CRC (deep scrub)", cap(m.getCrcErrorsList())));
      }
      if (majority != null) {
        for (ReplicaScrub m : members) {
          if (!majority.contains(m) && m.getCrcErrorsCount() == 0 && q.size() + 1 < n) {
            q.add(mismatch(pid, gen, m, majority.get(0), rangeBytes));
          }
        }
      }
      return new ScrubVerdict(Kind.CRC_ERROR, false, q, "crc errors on cids " + badCids + " at gen=" + gen
          + " hashes " + hashes, bytes);
    }
    if (byHash.size() == 1) {
      return new ScrubVerdict(Kind.OK, false, List.of(), "", bytes);
    }
    if (majority == null) {
      return new ScrubVerdict(Kind.MISMATCH, true, List.of(), "no majority at gen=" + gen + " hashes " + hashes
          + ": nothing removed", bytes);
    }
    List<Quarantine> q = new ArrayList<>();
    for (ReplicaScrub m : members) {
      if (!majority.contains(m)) {
        q.add(mismatch(pid, gen, m, majority.get(0), rangeBytes));
      }
    }
    return new ScrubVerdict(Kind.MISMATCH, false, q, "minority " + q.stream()
        .map(x -> Integer.toString(x.cid())).collect(Collectors.joining(",")) + " at gen=" + gen + " hashes "
        + hashes, bytes);
  }

  private static Quarantine mismatch(long pid, long gen, ReplicaScrub odd, ReplicaScrub good, long rangeBytes) {
    String reason = "scrub mismatch pid=" + pid + " gen=" + gen + ": hash " + odd.getHash() + " on cid="
        + odd.getCid() + ", majority hash " + good.getHash() + " (cid=" + good.getCid() + ")";
    return new Quarantine(odd.getCid(), reason, differingBlocks(odd.getRangeHashesList(),
        good.getRangeHashesList(), rangeBytes <= 0 ? ScrubConfig.DEFAULT_RANGE_BYTES : rangeBytes));
  }

  /** The first block of every range whose hashes differ (a missing range counts as ""), at most MAX_BLOCKS. */
  static List<Long> differingBlocks(List<String> a, List<String> b, long rangeBytes) {
    List<Long> out = new ArrayList<>();
    int ranges = Math.max(a.size(), b.size());
    for (int i = 0; i < ranges && out.size() < MAX_BLOCKS; i++) {
      String x = i < a.size() ? a.get(i) : "";
      String y = i < b.size() ? b.get(i) : "";
      if (!x.equals(y)) {
        out.add(i * rangeBytes / BLOCK_SIZE);
      }
    }
    return out;
  }

  private static List<Long> cap(List<Long> blocks) {
    return blocks.size() <= MAX_BLOCKS ? blocks : blocks.subList(0, MAX_BLOCKS);
  }
}
