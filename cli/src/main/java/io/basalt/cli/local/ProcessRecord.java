package io.basalt.cli.local;

import java.util.Objects;

/**
 * One process of a local cluster as the state file remembers it.
 *
 * @param role what it runs
 * @param index 1..N for chunk servers, ZooKeeper ensemble members and each of several meta servers; 0 for a
 *     standalone zookeeper, a lone meta and the nbd process
 * @param pid OS process id of the last start (0 = never started)
 * @param cid chunk id meta assigned (chunks only, once seen; null otherwise)
 * @param address the address it serves on, host:port
 * @param metricsAddress its Prometheus endpoint host:port, or null
 * @param dataDir its data directory, or null (meta and nbd keep nothing locally)
 * @param logFile where its stdout and stderr go
 */
public record ProcessRecord(Role role, int index, long pid, Integer cid, String address, String metricsAddress,
    String dataDir, String logFile) {
  public ProcessRecord {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(logFile, "logFile");
    if (index < 0 || pid < 0) {
      throw new IllegalArgumentException("bad process record " + role + " index=" + index + " pid=" + pid);
    }
  }

  /** "chunk-2", "meta", "zookeeper-3": the name used in messages and log file names. */
  public String name() {
    return name(role, index);
  }

  public static String name(Role role, int index) {
    return index > 0 ? role.label() + "-" + index : role.label();
  }

  public boolean sameSlot(ProcessRecord other) {
    return role == other.role && index == other.index;
  }

  public ProcessRecord withPid(long newPid) {
    return new ProcessRecord(role, index, newPid, cid, address, metricsAddress, dataDir, logFile);
  }

  public ProcessRecord withCid(Integer newCid) {
    return new ProcessRecord(role, index, pid, newCid, address, metricsAddress, dataDir, logFile);
  }
}
