package io.basalt.meta.store;

import java.util.regex.Pattern;

/**
 * The ZooKeeper layout of one cluster, under {@code /basalt/<cluster>/} (DESIGN.md "Durable metadata"):
 * <pre>
 *   meta/leader            Curator LeaderLatch
 *   meta/epoch             fencing counter (8-byte big-endian); its znode version is the fencing token
 *   meta/active            ephemeral: the active leader's RPC address
 *   meta/servers/&lt;addr&gt;    persistent, empty: every meta server that ever started (unfenced; for status only)
 *   cluster-id             random UUID, created once
 *   ids                    IdCounters
 *   chunks/&lt;cid&gt;          ChunkRecord
 *   volumes/&lt;vid&gt;         VolumeRecord
 *   volumes/&lt;vid&gt;/map/&lt;page&gt;   ExtentMapPage (index / PAGE)
 *   pextents/&lt;page&gt;       PExtentPage (pid / PAGE)
 *   config/recovery        RecoveryThrottle (operator-set; absent = defaults)
 *   config/scrub           ScrubThrottle (operator-set; absent = defaults)
 *   scrub/&lt;page&gt;          ScrubPage (pid / PAGE): the last scrub of each pextent
 * </pre>
 * Pure value; safe from any thread.
 */
public record ZkPaths(String cluster) {
  /** Records per map/pextent page: keeps each znode far below ZooKeeper's 1 MB limit. */
  public static final int PAGE = 1000;
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  public ZkPaths {
    if (cluster == null || !NAME.matcher(cluster).matches()) {
      throw new IllegalArgumentException("cluster name \"" + cluster + "\" is invalid: must match " + NAME);
    }
  }

  public String root() {
    return "/basalt/" + cluster;
  }

  public String meta() {
    return root() + "/meta";
  }

  public String leader() {
    return meta() + "/leader";
  }

  public String epoch() {
    return meta() + "/epoch";
  }

  public String active() {
    return meta() + "/active";
  }

  /** Registry of meta server addresses: lists a dead meta too, which the latch cannot. */
  public String servers() {
    return meta() + "/servers";
  }

  public String server(String address) {
    return servers() + "/" + address;
  }

  public String clusterId() {
    return root() + "/cluster-id";
  }

  public String ids() {
    return root() + "/ids";
  }

  public String chunks() {
    return root() + "/chunks";
  }

  public String chunk(int cid) {
    return chunks() + "/" + cid;
  }

  public String volumes() {
    return root() + "/volumes";
  }

  public String volume(long vid) {
    return volumes() + "/" + vid;
  }

  public String volumeMap(long vid) {
    return volume(vid) + "/map";
  }

  public String mapPage(long vid, long page) {
    return volumeMap(vid) + "/" + page;
  }

  public String pextents() {
    return root() + "/pextents";
  }

  public String pextentPage(long page) {
    return pextents() + "/" + page;
  }

  public String config() {
    return root() + "/config";
  }

  public String recoveryThrottle() {
    return config() + "/recovery";
  }

  public String scrubThrottle() {
    return config() + "/scrub";
  }

  public String scrub() {
    return root() + "/scrub";
  }

  public String scrubPage(long page) {
    return scrub() + "/" + page;
  }

  /** Page of an extent index (map pages) or a pid (pextent pages). */
  public static long pageOf(long indexOrPid) {
    return indexOrPid / PAGE;
  }
}
