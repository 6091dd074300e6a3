package io.basalt.it.net;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Directed cuts on a {@link TestNetwork}'s bridge: nftables rules in the hub namespace (table {@code bridge basalt},
 * chain {@code forward}) that drop every IPv4 packet from one address to another, with a counter each. A cut of
 * {@code a -> b} alone breaks TCP both ways in practice (a's SYNs, or b's SYN-ACKs, never arrive); it is directed
 * for one-way loss of datagrams and so that a case states exactly what it cut. A case proves its cut took effect
 * with {@link #dropped}. Rules live only in the test's own hub namespace: nothing on the host changes.
 */
public final class Partitions {
  private static final Logger log = LoggerFactory.getLogger(Partitions.class);
  private static final String TABLE = "basalt";
  private static final String CHAIN = "forward";
  private static final Pattern RULE = Pattern.compile(
      "ip saddr (\\S+) ip daddr (\\S+) counter packets (\\d+) bytes \\d+ drop # handle (\\d+)");

  private record Pair(String from, String to) {
    @Override
    public String toString() {
      return from + " -> " + to;
    }
  }

  private final String hub;
  private final Map<Pair, Long> handles = new ConcurrentHashMap<>();
  /** Packets dropped by rules already deleted, so that {@link #dropped} survives a heal. */
  private final Map<Pair, Long> healedDrops = new ConcurrentHashMap<>();

  Partitions(String hub) {
    this.hub = hub;
  }

  void install() {
    nft("add", "table", "bridge", TABLE);
    nft("add", "chain", "bridge", TABLE, CHAIN, "{ type filter hook forward priority 0; policy accept; }");
  }

  /** Drops every packet from {@code fromAddress} to {@code toAddress} until healed. Idempotent. */
  public synchronized void cut(String fromAddress, String toAddress) {
    Pair pair = new Pair(fromAddress, toAddress);
    if (handles.containsKey(pair)) {
      return;
    }
    String echo = nft("--echo", "--handle", "add", "rule", "bridge", TABLE, CHAIN, "ip", "saddr", fromAddress,
        "ip", "daddr", toAddress, "counter", "drop");
    Matcher m = RULE.matcher(echo);
    if (!m.find()) {
      throw new IllegalStateException("nft did not echo the new rule's handle: " + echo);
    }
    handles.put(pair, Long.parseLong(m.group(4)));
    log.info("partition: cut {} in {}", pair, hub);
  }

  /** {@link #cut} both directions. */
  public void cutBoth(String a, String b) {
    cut(a, b);
    cut(b, a);
  }

  /** Removes the cut {@code from -> to}, keeping its drop count. A no-op when there is none. */
  public synchronized void heal(String fromAddress, String toAddress) {
    Pair pair = new Pair(fromAddress, toAddress);
    Long handle = handles.get(pair);
    if (handle == null) {
      return;
    }
    long drops = counters().getOrDefault(pair, 0L);
    nft("delete", "rule", "bridge", TABLE, CHAIN, "handle", Long.toString(handle));
    handles.remove(pair);
    healedDrops.merge(pair, drops, Long::sum);
    log.info("partition: healed {} in {} ({} packets dropped)", pair, hub, drops);
  }

  public void healBoth(String a, String b) {
    heal(a, b);
    heal(b, a);
  }

  /** Removes every cut. */
  public synchronized void healAll() {
    for (Pair p : List.copyOf(handles.keySet())) {
      heal(p.from(), p.to());
    }
  }

  /** Packets dropped from {@code from} to {@code to} so far, across heals (proof that a cut took effect). */
  public long dropped(String fromAddress, String toAddress) {
    Pair pair = new Pair(fromAddress, toAddress);
    return counters().getOrDefault(pair, 0L) + healedDrops.getOrDefault(pair, 0L);
  }

  /** The cuts in force, as "from -> to". */
  public List<String> active() {
    List<String> out = new ArrayList<>();
    handles.keySet().forEach(p -> out.add(p.toString()));
    return out;
  }

  /** The hub's nft ruleset with counters, for evidence. */
  public String ruleset() {
    return Shell.tryRun("ip", "netns", "exec", hub, "nft", "-a", "list", "table", "bridge", TABLE).output();
  }

  private Map<Pair, Long> counters() {
    Map<Pair, Long> out = new ConcurrentHashMap<>();
    Matcher m = RULE.matcher(ruleset());
    while (m.find()) {
      out.put(new Pair(m.group(1), m.group(2)), Long.parseLong(m.group(3)));
    }
    return out;
  }

  private String nft(String... args) {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", hub, "nft"));
    cmd.addAll(List.of(args));
    return Shell.run(cmd);
  }
}
