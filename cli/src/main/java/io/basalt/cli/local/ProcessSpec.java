package io.basalt.cli.local;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How to launch one process of a local cluster: its slot (role, index), program arguments, the ports it will bind
 * (checked free first), its data directory and log file. Pure data; {@link #command} builds the command line.
 *
 * @param host the address every process binds
 * @param port its serving port (RPC, ZooKeeper client or NBD)
 * @param metricsPort its Prometheus port, or 0 for none
 * @param dataDir its data directory, or null
 * @param peerPorts further ports it binds: an ensemble member's quorum and election ports
 */
public record ProcessSpec(Role role, int index, String host, int port, int metricsPort, Path dataDir, Path logFile,
    List<String> args, List<Integer> peerPorts) {
  public ProcessSpec {
    args = List.copyOf(args);
    peerPorts = List.copyOf(peerPorts);
  }

  /** A process that binds only its serving port and metrics port. */
  public ProcessSpec(Role role, int index, String host, int port, int metricsPort, Path dataDir, Path logFile,
      List<String> args) {
    this(role, index, host, port, metricsPort, dataDir, logFile, args, List.of());
  }

  public String name() {
    return ProcessRecord.name(role, index);
  }

  public String address() {
    return host + ":" + port;
  }

  /** Ports to check free before starting, with what they are for. */
  public List<String> portsWithPurpose() {
    List<String> out = new ArrayList<>();
    out.add(port + " (" + name() + " " + (role == Role.ZOOKEEPER ? "client" : role == Role.NBD ? "nbd" : "rpc")
        + ")");
    if (metricsPort > 0) {
      out.add(metricsPort + " (" + name() + " metrics)");
    }
    if (peerPorts.size() == 2) {
      out.add(peerPorts.get(0) + " (" + name() + " quorum)");
      out.add(peerPorts.get(1) + " (" + name() + " election)");
    } else {
      peerPorts.forEach(p -> out.add(p + " (" + name() + " peer)"));
    }
    return out;
  }

  /** Every port it binds, in the order of {@link #portsWithPurpose}. */
  public List<Integer> ports() {
    List<Integer> out = new ArrayList<>();
    out.add(port);
    if (metricsPort > 0) {
      out.add(metricsPort);
    }
    out.addAll(peerPorts);
    return out;
  }

  /** The full command line: JVM options, the distribution jar on the class path, main class and arguments. */
  public List<String> command(String javaBin, Path jar) {
    List<String> cmd = new ArrayList<>();
    cmd.add(javaBin);
    cmd.addAll(role.heap());
    if (role.heap().stream().noneMatch(o -> o.startsWith("-XX:+Use") && o.endsWith("GC"))) cmd.add("-XX:+UseG1GC");
    cmd.add("-Dbasalt.log.file=" + logFile);
    cmd.add("-Dlogback.configurationFile=" + LocalLayout.LOGBACK_RESOURCE);
    cmd.add("-cp");
    cmd.add(jar.toString());
    cmd.add(role.mainClass());
    cmd.addAll(args);
    return cmd;
  }

  /** The record of this process once started as {@code pid}, keeping a cid already known. */
  public ProcessRecord toRecord(long pid, Integer cid) {
    return new ProcessRecord(role, index, pid, cid, address(),
        metricsPort > 0 ? host + ":" + metricsPort : null, dataDir == null ? null : dataDir.toString(),
        logFile.toString());
  }
}
